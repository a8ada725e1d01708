/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A domain's graphical console: a gtk-vnc display on the backend's stream, with its toolbar. */

#pragma once

#include <gtk/gtk.h>

#include "domus-host.h"

G_BEGIN_DECLS

#define DOMUS_CONSOLE_ERROR (domus_console_error_quark ())

typedef enum {
  DOMUS_CONSOLE_ERROR_NO_PICTURE,   /* nothing to save: the display has no frame yet */
} DomusConsoleError;

GQuark domus_console_error_quark (void);

typedef enum {
  DOMUS_CONSOLE_STATE_CONNECTING,    /* asking the host for a stream, or the VNC handshake */
  DOMUS_CONSOLE_STATE_CONNECTED,     /* the guest's screen is shown */
  DOMUS_CONSOLE_STATE_DISCONNECTED,  /* no stream: waiting to try again (get_status says why) */
} DomusConsoleState;

#define DOMUS_TYPE_CONSOLE_STATE (domus_console_state_get_type ())
GType domus_console_state_get_type (void) G_GNUC_CONST;

/* The first wait before opening the stream again after a failure; each next one doubles. */
#define DOMUS_CONSOLE_RETRY_DELAY_MS     500
#define DOMUS_CONSOLE_MAX_RETRY_DELAY_MS 30000

#define DOMUS_TYPE_CONSOLE (domus_console_get_type ())
G_DECLARE_FINAL_TYPE (DomusConsole, domus_console, DOMUS, CONSOLE, GtkBox)

/*
 * The console's actions, in the "console" group it inserts on itself (for menus and
 * shortcuts): console.send-keys(s), console.screenshot (asks where, saves a PNG),
 * console.detach (detaches, or attaches when detached), console.reconnect.
 *
 * Opens domain_name's VNC console on host at once (or as soon as host is connected) and
 * keeps it open: when the stream ends (the domain was destroyed or restarted, the host
 * dropped) it says so and opens a new one, backing off between failures.
 */
GtkWidget         *domus_console_new             (DomusHost     *host,
                                                  const char    *domain_name);

DomusHost         *domus_console_get_host        (DomusConsole  *self);
const char        *domus_console_get_domain_name (DomusConsole  *self);
DomusConsoleState  domus_console_get_state       (DomusConsole  *self);
/* What the status overlay says ("Connecting…", "The console was disconnected: …"). */
const char        *domus_console_get_status      (DomusConsole  *self);
/* The VncDisplay (transfer none), for its signals; it lives as long as the console. */
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
