/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What the server and domain pages share: rows of facts, graphs that scroll, emptying a box. */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* A row "title  value" at row of grid; returns the value's label (a screen reader reads
 * the title as its name). */
GtkLabel  *domus_page_add_fact          (GtkGrid    *grid,
                                         int         row,
                                         const char *title);
/* A count, or MiB; a dash when unknown (negative). */
void       domus_page_set_int_fact      (GtkLabel   *label,
                                         gint64      value,
                                         gboolean    mib);
/* The text, or a dash when NULL or empty. */
void       domus_page_set_text_fact     (GtkLabel   *label,
                                         const char *value);
/* A vertical scroller around a DomusGraphSet, as tall as the graphs where there is room. */
GtkWidget *domus_page_scrolled_graphs   (GtkWidget  *graph_set);
/* Destroys every child of container. */
void       domus_page_clear             (GtkWidget  *container);
/* Shows bar moving (pulsing) while a call that reports no progress runs, or hides it. The
 * pulse stops with the bar. */
void       domus_page_show_pulsing      (GtkProgressBar     *bar,
                                         gboolean            running);
/* Connects handler to "notify::NAME" of object for each of names (NULL-terminated). */
void       domus_page_connect_notify    (gpointer            object,
                                         const char * const *names,
                                         GCallback           handler,
                                         gpointer            data);

G_END_DECLS
