/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A terminal on a domain's serial port: VTE fed from the backend's stream, keys sent back. */

#pragma once

#include <vte/vte.h>

G_BEGIN_DECLS

/* Lines kept above the screen. */
#define DOMUS_SERIAL_TERMINAL_SCROLLBACK 10000

#define DOMUS_TYPE_SERIAL_TERMINAL (domus_serial_terminal_get_type ())
G_DECLARE_FINAL_TYPE (DomusSerialTerminal, domus_serial_terminal, DOMUS, SERIAL_TERMINAL, VteTerminal)

/*
 * Signals:
 *   "stream-closed" (const char *reason)   the stream ended: reason is the error, or NULL
 *                                          when the other end closed it
 *
 * Keys typed and text pasted go to the guest; Ctrl+Shift+C and Ctrl+Shift+V copy and paste
 * (as in GNOME Terminal), so that Ctrl+C reaches the guest.
 */
GtkWidget *domus_serial_terminal_new        (void);

/* Shows the stream on fd (a socket; the terminal owns it from here), replacing one before. */
void       domus_serial_terminal_open_fd    (DomusSerialTerminal *self,
                                             int                  fd);
/* Ends the stream (no "stream-closed" for it). */
void       domus_serial_terminal_close      (DomusSerialTerminal *self);
gboolean   domus_serial_terminal_is_open    (DomusSerialTerminal *self);
/* Sends text to the guest as if typed: a newline is the Enter key (a carriage return). */
void       domus_serial_terminal_type_text  (DomusSerialTerminal *self,
                                             const char          *text);

G_END_DECLS
