/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A bounded series of timed samples (one metric of a host or domain), for graphs. */

#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define DOMUS_TYPE_STATS_HISTORY (domus_stats_history_get_type ())

typedef struct _DomusStatsHistory DomusStatsHistory;

GType              domus_stats_history_get_type     (void) G_GNUC_CONST;

/* A ring of at most capacity (at least 1) points; the oldest go first. */
DomusStatsHistory *domus_stats_history_new          (guint              capacity);
DomusStatsHistory *domus_stats_history_ref          (DomusStatsHistory *self);
void               domus_stats_history_unref        (DomusStatsHistory *self);

void               domus_stats_history_push         (DomusStatsHistory *self,
                                                     gint64             time_us,
                                                     double             value);
void               domus_stats_history_clear        (DomusStatsHistory *self);
guint              domus_stats_history_get_length   (DomusStatsHistory *self);
guint              domus_stats_history_get_capacity (DomusStatsHistory *self);
/* Keeps the newest points that fit. */
void               domus_stats_history_set_capacity (DomusStatsHistory *self,
                                                     guint              capacity);
/* n = 0 is the oldest point kept. FALSE when n is out of range; either out pointer may be NULL. */
gboolean           domus_stats_history_get_nth      (DomusStatsHistory *self,
                                                     guint              n,
                                                     gint64            *time_us,
                                                     double            *value);
/* The newest point; FALSE when empty. */
gboolean           domus_stats_history_get_latest  (DomusStatsHistory *self,
                                                     gint64            *time_us,
                                                     double            *value);
/* The largest value kept, 0 when empty (a graph's scale). */
double             domus_stats_history_get_max      (DomusStatsHistory *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DomusStatsHistory, domus_stats_history_unref)

G_END_DECLS
