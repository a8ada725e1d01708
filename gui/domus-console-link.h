/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The way to one of a domain's consoles (its screen or its serial port): asks the host for a
 * stream, and asks again when one ends, backing off between failures and waiting for the host
 * to be connected and the domain to run. What shows the stream (a VNC display, a terminal)
 * says when it is up and when it ended; the link says what to show meanwhile.
 */

#pragma once

#include <gio/gio.h>

#include "domus-host.h"

G_BEGIN_DECLS

typedef enum {
  DOMUS_CONSOLE_STATE_CONNECTING,    /* asking the host for a stream, or its handshake */
  DOMUS_CONSOLE_STATE_CONNECTED,     /* the stream is up */
  DOMUS_CONSOLE_STATE_DISCONNECTED,  /* no stream: waiting to try again (the status says why) */
} DomusConsoleState;

#define DOMUS_TYPE_CONSOLE_STATE (domus_console_state_get_type ())
GType domus_console_state_get_type (void) G_GNUC_CONST;

/* The first wait before opening the stream again after a failure; each next one doubles. */
#define DOMUS_CONSOLE_RETRY_DELAY_MS     500
#define DOMUS_CONSOLE_MAX_RETRY_DELAY_MS 30000

#define DOMUS_TYPE_CONSOLE_LINK (domus_console_link_get_type ())
G_DECLARE_FINAL_TYPE (DomusConsoleLink, domus_console_link, DOMUS, CONSOLE_LINK, GObject)

/*
 * Properties: "state", "status" (a sentence: "Connecting…", "The console was disconnected:
 * the domain is not running"), "retry-text" (when it tries again, or what it waits for; "" while
 * connecting or connected), "domain-active" (the host lists the domain as running or paused).
 *
 * Signals:
 *   "opened" (int fd)   a new stream, to be shown: the handler owns fd (closes it when done)
 *   "no-console"        the host said the domain has no console of this kind (no screen in its
 *                       configuration); the link then waits, as for a failure, unless the
 *                       handler changes the kind (domus_console_link_set_kind())
 */

DomusConsoleLink  *domus_console_link_new             (DomusHost        *host,
                                                       const char       *domain_name,
                                                       DomusConsoleKind  kind);
DomusHost         *domus_console_link_get_host        (DomusConsoleLink *self);
const char        *domus_console_link_get_domain_name (DomusConsoleLink *self);
DomusConsoleKind   domus_console_link_get_kind        (DomusConsoleLink *self);
/* Another console of the same domain from the next stream on (a screen that is not there: its
 * serial port). The caller closes a stream it still shows first. */
void               domus_console_link_set_kind        (DomusConsoleLink *self,
                                                       DomusConsoleKind  kind);
DomusConsoleState  domus_console_link_get_state       (DomusConsoleLink *self);
const char        *domus_console_link_get_status      (DomusConsoleLink *self);
const char        *domus_console_link_get_retry_text  (DomusConsoleLink *self);
gboolean           domus_console_link_get_domain_active (DomusConsoleLink *self);

/* Asks for a stream now (the first time, or the user's Reconnect: the back-off starts over).
 * The caller closes a stream it still shows first. */
void               domus_console_link_open            (DomusConsoleLink *self);
/* The stream "opened" gave is up (a VNC handshake done): the next failure backs off from the
 * beginning. */
void               domus_console_link_stream_up       (DomusConsoleLink *self);
/* The stream ended. reason: what the viewer knows (a VNC error), or NULL: the link says what
 * it knows (the domain stopped, went away). Tries again later. */
void               domus_console_link_stream_lost     (DomusConsoleLink *self,
                                                       const char       *reason);
/* The stream could not be shown (status: the whole sentence). Tries again later. */
void               domus_console_link_stream_failed   (DomusConsoleLink *self,
                                                       const char       *status);

G_END_DECLS
