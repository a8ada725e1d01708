/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What the window calls each state of a host or a domain, each domain state's icon, and
 * each of a migration's stages and its target's checks. */

#include "config.h"

#include <glib/gi18n.h>

#include "domus-state-text.h"

const char *
domus_host_state_label (DomusHostState state)
{
  switch (state)
    {
    case DOMUS_HOST_STATE_CONNECTING:   return _("connecting");
    case DOMUS_HOST_STATE_CONNECTED:    return _("connected");
    case DOMUS_HOST_STATE_DISCONNECTED: return _("disconnected");
    default:                            return "";
    }
}

const char *
domus_domain_state_label (DomusDomainState state)
{
  switch (state)
    {
    case DOMUS_DOMAIN_STATE_RUNNING:  return _("running");
    case DOMUS_DOMAIN_STATE_BLOCKED:  return _("blocked");
    case DOMUS_DOMAIN_STATE_PAUSED:   return _("paused");
    case DOMUS_DOMAIN_STATE_SHUTDOWN: return _("shut down");
    case DOMUS_DOMAIN_STATE_CRASHED:  return _("crashed");
    case DOMUS_DOMAIN_STATE_DYING:    return _("dying");
    case DOMUS_DOMAIN_STATE_STARTING: return _("starting");
    case DOMUS_DOMAIN_STATE_SHUTOFF:  return _("shut off");
    case DOMUS_DOMAIN_STATE_INCOMING: return _("arriving");
    case DOMUS_DOMAIN_STATE_INVALID:
    default:                          return _("invalid");
    }
}

const char *
domus_domain_state_icon_resource (DomusDomainState state)
{
#define ICON(name) "/org/domus/Domus/icons/scalable/status/domus-state-" name ".svg"
  switch (state)
    {
    case DOMUS_DOMAIN_STATE_RUNNING:
    case DOMUS_DOMAIN_STATE_STARTING: return ICON ("running");
    /* Waiting for a migration's stream: not running yet here. */
    case DOMUS_DOMAIN_STATE_INCOMING: return ICON ("paused");
    case DOMUS_DOMAIN_STATE_BLOCKED:  return ICON ("blocked");
    case DOMUS_DOMAIN_STATE_PAUSED:   return ICON ("paused");
    case DOMUS_DOMAIN_STATE_SHUTDOWN:
    case DOMUS_DOMAIN_STATE_DYING:    return ICON ("shutdown");
    case DOMUS_DOMAIN_STATE_SHUTOFF:  return ICON ("shutoff");
    case DOMUS_DOMAIN_STATE_CRASHED:
    case DOMUS_DOMAIN_STATE_INVALID:
    default:                          return ICON ("crashed");
    }
#undef ICON
}

const char *
domus_migration_check_label (const char *id)
{
  if (g_strcmp0 (id, "relocation") == 0)
    return _("Relocation");
  if (g_strcmp0 (id, "memory") == 0)
    return _("Memory");
  if (g_strcmp0 (id, "name") == 0)
    return _("Name");
  if (g_strcmp0 (id, "disks") == 0)
    return _("Disks");
  if (g_strcmp0 (id, "cpu") == 0)
    return _("Processor");
  if (g_strcmp0 (id, "devices") == 0)
    return _("Devices");
  if (g_strcmp0 (id, "encryption") == 0)
    return _("Encryption");
  return id;
}

const char *
domus_migration_stage_label (DomusMigrationStage stage)
{
  switch (stage)
    {
    case DOMUS_MIGRATION_STAGE_CHECKING:     return _("Checking…");
    case DOMUS_MIGRATION_STAGE_PREPARING:    return _("Preparing the target…");
    case DOMUS_MIGRATION_STAGE_MIGRATING:    return _("Sending…");
    case DOMUS_MIGRATION_STAGE_FINISHING:    return _("Handing over…");
    case DOMUS_MIGRATION_STAGE_ROLLING_BACK: return _("Rolling back…");
    case DOMUS_MIGRATION_STAGE_DONE:         return _("Done");
    case DOMUS_MIGRATION_STAGE_FAILED:       return _("Failed");
    case DOMUS_MIGRATION_STAGE_IDLE:
    default:                                 return "";
    }
}
