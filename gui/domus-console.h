/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A domain's console: its screen (gtk-vnc) or its serial port (a terminal), with its toolbar. */

#pragma once

#include <gtk/gtk.h>

#include "domus-console-link.h"
#include "domus-host.h"

G_BEGIN_DECLS

#define DOMUS_CONSOLE_ERROR (domus_console_error_quark ())

typedef enum {
  DOMUS_CONSOLE_ERROR_NO_PICTURE,   /* nothing to save: the display has no frame yet */
} DomusConsoleError;

GQuark domus_console_error_quark (void);

#define DOMUS_TYPE_CONSOLE (domus_console_get_type ())
G_DECLARE_FINAL_TYPE (DomusConsole, domus_console, DOMUS, CONSOLE, GtkBox)

/*
 * The console's actions, in the "console" group it inserts on itself (for menus and
 * shortcuts): console.send-keys(s), console.screenshot (asks where, saves a PNG),
 * console.type-clipboard (types the desktop clipboard's text; again stops it),
 * console.detach (detaches, or attaches when detached), console.reconnect.
 *
 * Opens domain_name's console on host at once (or as soon as host is connected) and keeps
 * it open: when the stream ends (the domain was destroyed or restarted, the host dropped) it
 * says so and opens a new one, backing off between failures (DomusConsoleLink).
 * domus_console_new() shows the guest's screen, or its serial port when its configuration has
 * no screen (vnc = 0); domus_console_new_serial() its serial port (xm console), in a
 * terminal with scrollback, copy and paste.
 */
GtkWidget         *domus_console_new             (DomusHost     *host,
                                                  const char    *domain_name);
GtkWidget         *domus_console_new_serial      (DomusHost     *host,
                                                  const char    *domain_name);
/* Whether the console is what opening domain_name's console (serial: its serial console) on
 * host asks for: a notebook holds one console per domain and kind. */
gboolean           domus_console_matches         (DomusConsole  *self,
                                                  DomusHost     *host,
                                                  const char    *domain_name,
                                                  gboolean       serial);
/*
 * Types text into the guest: on its screen as key presses (one every
 * DOMUS_CONSOLE_TYPE_INTERVAL_MS), on its serial port as the bytes themselves. Over
 * DOMUS_CONSOLE_TYPE_CONFIRM_CHARS characters it asks first (a dialog), unless confirmed.
 * The toolbar's Type Clipboard (action console.type-clipboard) does this with the desktop's
 * clipboard.
 */
void               domus_console_type_text       (DomusConsole  *self,
                                                  const char    *text,
                                                  gboolean       confirmed);
/* The toolbar's Share Clipboard switch: off at first; a screen only (VNC cut-text both ways). */
gboolean           domus_console_get_sharing     (DomusConsole  *self);
void               domus_console_set_sharing     (DomusConsole  *self,
                                                  gboolean       sharing);
/* TRUE when it shows the serial port (asked for, or the domain has no screen). */
gboolean           domus_console_get_serial      (DomusConsole  *self);

DomusHost         *domus_console_get_host        (DomusConsole  *self);
const char        *domus_console_get_domain_name (DomusConsole  *self);
DomusConsoleState  domus_console_get_state       (DomusConsole  *self);
/* What the status overlay says ("Connecting…", "The console was disconnected: …"). */
const char        *domus_console_get_status      (DomusConsole  *self);
/* What shows the guest (transfer none): the VncDisplay (a new one per stream: "display" is
 * notified), or the serial port's VteTerminal. */
GtkWidget         *domus_console_get_display     (DomusConsole  *self);

/* Opens a new stream now instead of waiting for the next try (the overlay's button). */
void               domus_console_reconnect       (DomusConsole  *self);
void               domus_console_release_keyboard (DomusConsole *self);

void               domus_console_set_scaling     (DomusConsole  *self,
                                                  gboolean       scaling);
gboolean           domus_console_get_scaling     (DomusConsole  *self);
/*
 * Shows the console alone on the whole screen, or not. A console in a tab moves into a
 * window of its own for it and goes back to its tab on leaving; a detached one makes its
 * window fullscreen. Without a window manager that does fullscreen (a bare X server) the
 * window is moved and resized over its monitor instead, and given back its place after.
 * While fullscreen the toolbar says how to leave.
 */
void               domus_console_set_fullscreen  (DomusConsole  *self,
                                                  gboolean       fullscreen);
gboolean           domus_console_get_fullscreen  (DomusConsole  *self);

/*
 * Sends a key combination by name: "ctrl-alt-del", "ctrl-alt-backspace", "ctrl-alt-f1" …
 * "ctrl-alt-f12" (the "console.send-keys" action's targets). FALSE for an unknown name.
 */
gboolean           domus_console_send_keys       (DomusConsole  *self,
                                                  const char    *combination);

/* Saves the current frame as a PNG at path (for tests and scripts; the toolbar asks where). */
gboolean           domus_console_save_screenshot (DomusConsole  *self,
                                                  const char    *path,
                                                  GError       **error);

/*
 * Moves the console into a window of its own, titled with the domain's name; closing that
 * window (or domus_console_attach()) puts it back where it was, when that place still exists.
 */
void               domus_console_detach          (DomusConsole  *self);
void               domus_console_attach          (DomusConsole  *self);
gboolean           domus_console_get_detached    (DomusConsole  *self);

G_END_DECLS
