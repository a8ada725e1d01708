/* SPDX-License-Identifier: GPL-3.0-or-later */
/* How a kind's migration flow reports to the DomusMigration it runs for. */

#pragma once

#include "domus-migration.h"

G_BEGIN_DECLS

/* What the source host measured when the stream completed. */
typedef struct {
  guint64  downtime_ms;
  guint64  migration_ms;
  guint64  setup_ms;
  guint64  transferred_bytes;
  guint64  dirty_rate;
  guint    throttle_pct;
  gboolean postcopy_used;
} DomusMigrationResults;

void _domus_migration_set_stage     (DomusMigration               *self,
                                     DomusMigrationStage           stage);
void _domus_migration_emit_progress (DomusMigration               *self,
                                     const DomusMigrationProgress *progress);
void _domus_migration_set_results   (DomusMigration               *self,
                                     const DomusMigrationResults  *results);
/* The whole run as the client saw it, from the first call to the last. */
void _domus_migration_set_total_ms  (DomusMigration               *self,
                                     guint64                       total_ms);
void _domus_migration_set_target_id (DomusMigration               *self,
                                     gint64                        id);
/* "encrypt" is set, or the target takes encrypted migrations only. */
gboolean _domus_migration_wants_encryption (DomusMigration *self);
/* The target said the stream and disk copies will go over TLS. */
void _domus_migration_set_encrypted (DomusMigration               *self,
                                     gboolean                      encrypted);

G_END_DECLS
