/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A console's clipboard: sharing the desktop's with the guest's through VNC cut-text (both
 * ways, only while switched on), and typing text into the guest: on its screen as key presses,
 * on its serial port as the text itself, asking first when it is long.
 */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* Over this many characters, the console asks before typing them. */
#define DOMUS_CONSOLE_TYPE_CONFIRM_CHARS 1000
/* One character every this many milliseconds: a guest's keyboard buffer is small, and a
 * guest under TCG drains it slowly; faster loses keys. */
#define DOMUS_CONSOLE_TYPE_INTERVAL_MS 15

#define DOMUS_TYPE_CONSOLE_CLIPBOARD (domus_console_clipboard_get_type ())
G_DECLARE_FINAL_TYPE (DomusConsoleClipboard, domus_console_clipboard, DOMUS, CONSOLE_CLIPBOARD, GObject)

/*
 * Properties: "sharing" (boolean, off at first), "typing" (boolean, read-only: key presses
 * are being sent to the screen).
 * Signals:
 *   "problem" (const char *message)   something to tell the user: an empty clipboard,
 *                                     characters no key types (left out)
 */
DomusConsoleClipboard *domus_console_clipboard_new          (void);

/* The VncDisplay to share with and type into (NULL: none now); a new stream, a new display. */
void                   domus_console_clipboard_set_display  (DomusConsoleClipboard *self,
                                                             GtkWidget             *display);
/* A serial console's terminal instead (NULL: none): text typed goes there as it is. */
void                   domus_console_clipboard_set_terminal (DomusConsoleClipboard *self,
                                                             GtkWidget             *terminal);
void                   domus_console_clipboard_set_sharing  (DomusConsoleClipboard *self,
                                                             gboolean               sharing);
gboolean               domus_console_clipboard_get_sharing  (DomusConsoleClipboard *self);

/*
 * Types text into the terminal, or on the screen (replacing a typing under way): letters,
 * digits, symbols, spaces, Tab and Enter (a newline), with Shift where the keyboard needs it.
 * Over DOMUS_CONSOLE_TYPE_CONFIRM_CHARS characters, unless confirmed, a dialog over parent
 * asks first ("Type 1200 characters into NAME?").
 */
void                   domus_console_clipboard_type         (DomusConsoleClipboard *self,
                                                             const char            *text,
                                                             gboolean               confirmed,
                                                             GtkWidget             *parent,
                                                             const char            *domain_name);
/* The same with the desktop clipboard's text, once it is read. */
void                   domus_console_clipboard_type_desktop_text (DomusConsoleClipboard *self,
                                                                  GtkWidget             *parent,
                                                                  const char            *domain_name);
void                   domus_console_clipboard_stop_typing  (DomusConsoleClipboard *self);
gboolean               domus_console_clipboard_get_typing   (DomusConsoleClipboard *self);

G_END_DECLS
