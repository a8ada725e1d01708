/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What the window calls each state of a host or a domain, each domain state's icon, and
 * each of a migration's stages and its target's checks. */

#pragma once

#include "domus-host.h"
#include "domus-migration.h"

G_BEGIN_DECLS

/* Translated, lower case: "connected", "shut off". */
const char *domus_host_state_label           (DomusHostState   state);
const char *domus_domain_state_label         (DomusDomainState state);
/* The state icon's resource path (an SVG). */
const char *domus_domain_state_icon_resource (DomusDomainState state);

/* What a migration target's check (migration.check's ids, docs/protocol.md) is about,
 * translated: "Memory"; an id this client does not know as it is. */
const char *domus_migration_check_label      (const char      *id);
/* A migration's stage as a progress text ("Sending…"); "" before it starts. */
const char *domus_migration_stage_label      (DomusMigrationStage stage);

G_END_DECLS
