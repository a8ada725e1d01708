/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A cell renderer that draws the last minute of a stats history as a small line: the sidebar's CPU sparklines. */

#pragma once

#include <gtk/gtk.h>

#include "domus-stats-history.h"

G_BEGIN_DECLS

#define DOMUS_TYPE_SPARKLINE_RENDERER (domus_sparkline_renderer_get_type ())
G_DECLARE_FINAL_TYPE (DomusSparklineRenderer, domus_sparkline_renderer, DOMUS, SPARKLINE_RENDERER, GtkCellRenderer)

/* Properties: "history" (DomusStatsHistory, nullable: draws nothing), "max" (the top of
 * the scale; values above it are clipped), "seconds" (how far back, default 60). */
GtkCellRenderer *domus_sparkline_renderer_new (void);

G_END_DECLS
