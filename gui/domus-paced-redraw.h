/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Redraws paced by the process's one-second clock. Each host samples in its own phase:
 * twenty hosts' graphs redrawn as their samples come are up to twenty frames a second.
 * GLib fires every seconds-timeout of the process in the same main-loop turn, so whatever
 * is paced here (the dashboard's graphs, the sidebar's sparklines) goes to the screen
 * together, in one frame a second. The clock repeats while samples come and stops after a
 * second without; it is not set again at each sample, or a sample just before the
 * second's turn would wait for the next one and the drawing would move every other second.
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef void (*DomusPacedDraw) (gpointer user_data);

typedef struct {
  guint          source;   /* the clock, while samples come */
  gboolean       due;      /* a sample came since the last draw */
  DomusPacedDraw draw;
  gpointer       user_data;
} DomusPacedRedraw;

/* A sample came: draw (user_data) is called at the clock's next turn. */
void domus_paced_redraw_mark  (DomusPacedRedraw *pace,
                               DomusPacedDraw    draw,
                               gpointer          user_data,
                               const char       *name);
/* Stops the clock (dispose). */
void domus_paced_redraw_clear (DomusPacedRedraw *pace);

G_END_DECLS
