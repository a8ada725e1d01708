/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The plain types of a new ready-made guest: its request, its build's stages, the result. */

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "domus-new-guest.h"

DomusDebianRequest *
domus_debian_request_new (void)
{
  DomusDebianRequest *request = g_new0 (DomusDebianRequest, 1);

  request->ssh_port = -1;
  return request;
}

void
domus_debian_request_free (DomusDebianRequest *request)
{
  if (request == NULL)
    return;
  g_free (request->suite);
  g_free (request->hostname);
  g_free (request->ssh_keys);
  /* A password should not linger in freed memory. */
  if (request->root_password != NULL)
    memset (request->root_password, 0, strlen (request->root_password));
  g_free (request->root_password);
  g_strfreev (request->packages);
  g_free (request->mirror);
  g_free (request);
}

DomusCloudRequest *
domus_cloud_request_new (void)
{
  DomusCloudRequest *request = g_new0 (DomusCloudRequest, 1);

  request->ssh_port = -1;
  return request;
}

void
domus_cloud_request_free (DomusCloudRequest *request)
{
  if (request == NULL)
    return;
  g_free (request->image);
  g_free (request->ssh_keys);
  g_free (request->user_data);
  g_free (request->user);
  g_free (request->hostname);
  g_free (request->format);
  g_free (request);
}

DomusNewGuest *
domus_new_guest_new (void)
{
  DomusNewGuest *guest = g_new0 (DomusNewGuest, 1);

  guest->ssh_port = -1;
  return guest;
}

void
domus_new_guest_free (DomusNewGuest *guest)
{
  if (guest == NULL)
    return;
  g_free (guest->name);
  g_free (guest->disk);
  g_free (guest->seed);
  g_free (guest->base);
  g_free (guest->cloud_init_detail);
  g_free (guest);
}

/* The host's names of the stages (docs/protocol.md, image.progress), in DomusBuildStage's order. */
static const char * const stage_names[] = {
  [DOMUS_BUILD_STAGE_CHECKING]      = "checking",
  [DOMUS_BUILD_STAGE_BOOTSTRAPPING] = "bootstrapping",
  [DOMUS_BUILD_STAGE_FILE_SYSTEM]   = "file-system",
  [DOMUS_BUILD_STAGE_CONVERTING]    = "converting",
  [DOMUS_BUILD_STAGE_OVERLAY]       = "overlay",
  [DOMUS_BUILD_STAGE_SEED]          = "seed",
  [DOMUS_BUILD_STAGE_CONFIG]        = "config",
  [DOMUS_BUILD_STAGE_DONE]          = "done",
};

DomusBuildStage
domus_build_stage_from_string (const char *stage)
{
  for (gsize i = 1; stage != NULL && i < G_N_ELEMENTS (stage_names); i++)
    if (g_str_equal (stage, stage_names[i]))
      return (DomusBuildStage) i;
  return DOMUS_BUILD_STAGE_OTHER;
}

const char *
domus_build_stage_describe (DomusBuildStage stage)
{
  switch (stage)
    {
    case DOMUS_BUILD_STAGE_CHECKING:
      return _("Checking the request");
    case DOMUS_BUILD_STAGE_BOOTSTRAPPING:
      return _("Building the base system from the archive (minutes, once per suite)");
    case DOMUS_BUILD_STAGE_FILE_SYSTEM:
      return _("Making the base image’s file system");
    case DOMUS_BUILD_STAGE_CONVERTING:
      return _("Converting the base image");
    case DOMUS_BUILD_STAGE_OVERLAY:
      return _("Making the guest’s disk");
    case DOMUS_BUILD_STAGE_SEED:
      return _("Writing the guest’s first-boot seed");
    case DOMUS_BUILD_STAGE_CONFIG:
      return _("Writing and defining the guest’s configuration");
    case DOMUS_BUILD_STAGE_DONE:
      return _("Done");
    case DOMUS_BUILD_STAGE_OTHER:
    default:
      return _("Working");
    }
}
