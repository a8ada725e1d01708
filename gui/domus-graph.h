/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A live graph of one DomusStatsHistory, drawn with cairo. */

#pragma once

#include <gtk/gtk.h>

#include "domus-stats-history.h"

G_BEGIN_DECLS

/* The range of the live histories DomusHost keeps (DOMUS_HOST_DEFAULT_HISTORY_SECONDS). */
#define DOMUS_GRAPH_DEFAULT_SECONDS 600

#define DOMUS_TYPE_GRAPH (domus_graph_get_type ())
G_DECLARE_FINAL_TYPE (DomusGraph, domus_graph, DOMUS, GRAPH, GtkDrawingArea)

GtkWidget         *domus_graph_new            (void);

/* Shows history (nullable; a reference is kept) titled title, its values in unit ("%",
 * "MiB", "B/s" or any other suffix; nullable). Also the accessible name and description. */
void               domus_graph_set_history    (DomusGraph        *self,
                                               DomusStatsHistory *history,
                                               const char        *title,
                                               const char        *unit);
/* (transfer none) nullable. */
DomusStatsHistory *domus_graph_get_history    (DomusGraph        *self);
const char        *domus_graph_get_title      (DomusGraph        *self);
const char        *domus_graph_get_unit       (DomusGraph        *self);

/* How far back the graph goes from its newest point. The graph draws whatever its history
 * holds: for a range longer than a live history covers, give it the daemon's archive
 * (domus_host_get_archive_async) or, when there is none, a NULL history and an empty text
 * that says why. */
void               domus_graph_set_range      (DomusGraph        *self,
                                               guint              seconds);
guint              domus_graph_get_range      (DomusGraph        *self);

/* The top of the scale, e.g. 100 for percentages; 0 (the default) scales to the largest
 * value shown, rounded up to a round number. Values above a fixed max raise the scale. */
void               domus_graph_set_max        (DomusGraph        *self,
                                               double             max);
double             domus_graph_get_max        (DomusGraph        *self);
/* The top of the scale the last drawing used (or would use now). */
double             domus_graph_get_scale_max  (DomusGraph        *self);

/* What an empty graph says instead of "No data yet" (nullable: back to the default). */
void               domus_graph_set_empty_text (DomusGraph        *self,
                                               const char        *text);
/* The text the graph shows in place of data, or NULL when it has data to draw. */
const char        *domus_graph_get_empty_reason (DomusGraph      *self);

/* A sparkline: no title, grid, labels or hover label. */
void               domus_graph_set_compact    (DomusGraph        *self,
                                               gboolean           compact);
gboolean           domus_graph_get_compact    (DomusGraph        *self);

/* The history or how it is shown changed: redraws at the next frame, however many times it
 * is called before, and updates the accessible description. */
void               domus_graph_queue_update   (DomusGraph        *self);
/* A sample came (call it on DomusHost::stats-updated): the accessible description now, the
 * drawing at the next turn of the process's one-second clock, with every other graph's. */
void               domus_graph_queue_sample   (DomusGraph        *self);

/* "42 %", "1.5 GiB", "12 KiB/s": value in unit, scaled for reading (newly allocated). */
char              *domus_graph_format_value   (double             value,
                                               const char        *unit);

G_END_DECLS
