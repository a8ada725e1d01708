/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A console in a window of its own: detached from its place, and put back there on closing. */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define DOMUS_TYPE_CONSOLE_WINDOW (domus_console_window_get_type ())
G_DECLARE_FINAL_TYPE (DomusConsoleWindow, domus_console_window, DOMUS, CONSOLE_WINDOW, GtkWindow)

/*
 * Moves console (any widget: a guest's screen, a text console) out of its parent into a
 * new window titled title, of the application and about the size the console had. Where
 * it was is remembered (in a GtkNotebook: its tab label and position), and closing the
 * window puts it back there rather than ending it, while that place exists; with nowhere
 * to go back to, the console closes with its window.
 */
GtkWidget *domus_console_window_new            (GtkWidget          *console,
                                                const char         *title);

/* Puts the console back where it came from and destroys the window. FALSE, and nothing
 * done, when that place has gone. */
gboolean   domus_console_window_put_back       (DomusConsoleWindow *self);

/*
 * Shows the window on its whole monitor, or not (property "fullscreen", notified also when
 * the window manager changes it). Without a window manager that does fullscreen (a bare X
 * server, a kiosk session) the window is moved and resized over its monitor instead, and
 * given back its place and size after.
 */
void       domus_console_window_set_fullscreen (DomusConsoleWindow *self,
                                                gboolean            fullscreen);
gboolean   domus_console_window_get_fullscreen (DomusConsoleWindow *self);

G_END_DECLS
