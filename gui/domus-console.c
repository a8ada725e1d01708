/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A domain's console: its screen (a gtk-vnc display) or its serial port (a terminal) on the
 * backend's stream, with its toolbar.
 *
 * A DomusConsoleLink gets the streams and a new one when one ends (backing off between
 * failures, waiting for the host or the domain to come back); the console shows each: a new
 * VncDisplay per stream for the screen, one DomusSerialTerminal for the serial port. A console
 * opened for a domain that turns out to have no screen shows its serial port instead. The
 * toolbar's Detach and Fullscreen move it into a DomusConsoleWindow; Screenshot hands the frame
 * to a DomusScreenshotSaver. */

#include "config.h"

#include <string.h>
#include <unistd.h>
#include <glib/gi18n.h>
#include <vncdisplay.h>

#include "domus-console.h"
#include "domus-console-clipboard.h"
#include "domus-console-window.h"
#include "domus-screenshot-saver.h"
#include "domus-serial-terminal.h"

G_DEFINE_QUARK (domus-console-error-quark, domus_console_error)

struct _DomusConsole
{
  GtkBox             parent_instance;

  DomusHost         *host;
  char              *domain_name;
  DomusConsoleKind   kind;
  /* Opened as the domain's console: its screen, or its serial port when it has none. */
  gboolean           screen_or_serial;
  DomusConsoleLink  *link;

  /* A new VncDisplay per stream, as a display that ended is not reliably reusable. */
  GtkWidget         *display;
  int                pending_fd;           /* the stream, until the display is realized */
  /* The serial port's terminal: one for every stream, so the scrollback stays. */
  GtkWidget         *terminal;

  GtkWidget         *toolbar;
  GtkWidget         *scale_button;
  GtkWidget         *fullscreen_button;
  GtkWidget         *keys_button;
  GtkWidget         *screenshot_button;
  GtkWidget         *copy_button;
  GtkWidget         *paste_button;
  GtkWidget         *type_button;
  GtkWidget         *share_button;

  /* Sharing the desktop's clipboard with the screen, and typing text into either kind. */
  DomusConsoleClipboard *clipboard;
  GtkWidget         *detach_button;
  GtkWidget         *grab_label;
  GtkWidget         *fullscreen_label;
  GtkWidget         *message_bar;
  GtkWidget         *message_label;
  GtkWidget         *overlay;
  GtkWidget         *scroller;
  GtkWidget         *viewport;
  GtkWidget         *status_box;
  GtkWidget         *status_spinner;
  GtkWidget         *status_label;
  GtkWidget         *retry_label;
  GtkWidget         *reconnect_button;

  /* The last vnc-error, said when the stream then ends. */
  char              *error_reason;

  /* We closed the display ourselves to open a new stream: its end is no news. */
  gboolean           reopen_on_disconnect;

  gboolean           scaling;
  gboolean           pointer_grabbed;
  gboolean           keyboard_grabbed;
  gboolean           display_focused;

  /* The main window, weak: the window manager may make it fullscreen (its own key), which
   * the toggle then shows. */
  GtkWidget         *toplevel;

  /* Fullscreen is always in a window of the console's own (detached for it when it was in
   * a tab), so that the screen shows the guest and not the rest of the main window. */
  gboolean           fullscreen;
  gboolean           fullscreen_detached;  /* detached for fullscreen: goes back on leaving */

  DomusConsoleWindow *detached_window;

  DomusScreenshotSaver *saver;             /* the last screenshot asked for, while it runs */
  GCancellable      *saver_cancellable;
};

G_DEFINE_FINAL_TYPE (DomusConsole, domus_console, GTK_TYPE_BOX)

enum {
  PROP_0,
  PROP_HOST,
  PROP_DOMAIN_NAME,
  PROP_STATE,
  PROP_STATUS,
  PROP_DISPLAY,
  PROP_SERIAL,
  PROP_SCALING,
  PROP_DETACHED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* The "Send key" menu's targets. Keysyms, left-hand modifiers, pressed in order and released
 * in reverse by vnc_display_send_keys(). */
static const struct {
  const char *name;
  guint       keyvals[3];
} key_combinations[] = {
  { "ctrl-alt-del",       { GDK_KEY_Control_L, GDK_KEY_Alt_L, GDK_KEY_Delete } },
  { "ctrl-alt-backspace", { GDK_KEY_Control_L, GDK_KEY_Alt_L, GDK_KEY_BackSpace } },
  { "ctrl-alt-f1",        { GDK_KEY_Control_L, GDK_KEY_Alt_L, GDK_KEY_F1 } },
  { "ctrl-alt-f2",        { GDK_KEY_Control_L, GDK_KEY_Alt_L, GDK_KEY_F2 } },
  { "ctrl-alt-f3",        { GDK_KEY_Control_L, GDK_KEY_Alt_L, GDK_KEY_F3 } },
  { "ctrl-alt-f4",        { GDK_KEY_Control_L, GDK_KEY_Alt_L, GDK_KEY_F4 } },
  { "ctrl-alt-f5",        { GDK_KEY_Control_L, GDK_KEY_Alt_L, GDK_KEY_F5 } },
  { "ctrl-alt-f6",        { GDK_KEY_Control_L, GDK_KEY_Alt_L, GDK_KEY_F6 } },
  { "ctrl-alt-f7",        { GDK_KEY_Control_L, GDK_KEY_Alt_L, GDK_KEY_F7 } },
  { "ctrl-alt-f8",        { GDK_KEY_Control_L, GDK_KEY_Alt_L, GDK_KEY_F8 } },
  { "ctrl-alt-f9",        { GDK_KEY_Control_L, GDK_KEY_Alt_L, GDK_KEY_F9 } },
  { "ctrl-alt-f10",       { GDK_KEY_Control_L, GDK_KEY_Alt_L, GDK_KEY_F10 } },
  { "ctrl-alt-f11",       { GDK_KEY_Control_L, GDK_KEY_Alt_L, GDK_KEY_F11 } },
  { "ctrl-alt-f12",       { GDK_KEY_Control_L, GDK_KEY_Alt_L, GDK_KEY_F12 } },
};

static void new_terminal          (DomusConsole    *self);
static void update_kind_ui        (DomusConsole    *self);
static void terminal_stream_closed_cb (DomusSerialTerminal *terminal,
                                       const char          *reason,
                                       DomusConsole        *self);
static void fullscreen_toggled_cb (GtkToggleButton *button,
                                   DomusConsole    *self);
static void update_fullscreen_ui  (DomusConsole    *self);

/* ---- status ---------------------------------------------------------------------------- */

/* The overlay and the buttons say what the link says. */
static void
sync_status (DomusConsole *self)
{
  DomusConsoleState state = domus_console_link_get_state (self->link);
  gboolean connected = state == DOMUS_CONSOLE_STATE_CONNECTED;

  gtk_label_set_text (GTK_LABEL (self->status_label), domus_console_link_get_status (self->link));
  gtk_label_set_text (GTK_LABEL (self->retry_label), domus_console_link_get_retry_text (self->link));
  gtk_widget_set_visible (self->status_box, !connected);
  g_object_set (self->status_spinner,
                "active", state == DOMUS_CONSOLE_STATE_CONNECTING,
                "visible", state == DOMUS_CONSOLE_STATE_CONNECTING,
                NULL);
  gtk_widget_set_visible (self->reconnect_button, state == DOMUS_CONSOLE_STATE_DISCONNECTED);
  gtk_widget_set_sensitive (self->screenshot_button, connected);
  gtk_widget_set_sensitive (self->keys_button, connected);
  gtk_widget_set_sensitive (self->paste_button, connected);
  gtk_widget_set_sensitive (self->type_button, connected);
  if (!connected)
    domus_console_clipboard_stop_typing (self->clipboard);
}

static void
link_status_cb (DomusConsoleLink *link,
                GParamSpec       *pspec,
                DomusConsole     *self)
{
  sync_status (self);
  if (pspec == NULL || g_str_equal (pspec->name, "state"))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
  if (pspec == NULL || g_str_equal (pspec->name, "status"))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATUS]);
}

static void
show_message (DomusConsole *self,
              const char   *message)
{
  gtk_label_set_text (GTK_LABEL (self->message_label), message);
  gtk_widget_show (self->message_bar);
}

/* "Ctrl+Alt": the grab sequence as the keyboard's own modifier names. */
static char *
grab_keys_label (DomusConsole *self)
{
  VncGrabSequence *seq = self->display != NULL ? vnc_display_get_grab_keys (VNC_DISPLAY (self->display)) : NULL;
  g_autoptr(GString) label = g_string_new (NULL);

  for (guint i = 0; seq != NULL && i < seq->nkeysyms; i++)
    {
      guint keyval = seq->keysyms[i];
      g_autofree char *name = NULL;

      switch (keyval)
        {
        case GDK_KEY_Control_L: case GDK_KEY_Control_R:
          name = gtk_accelerator_get_label (0, GDK_CONTROL_MASK);
          break;
        case GDK_KEY_Alt_L: case GDK_KEY_Alt_R:
          name = gtk_accelerator_get_label (0, GDK_MOD1_MASK);
          break;
        case GDK_KEY_Shift_L: case GDK_KEY_Shift_R:
          name = gtk_accelerator_get_label (0, GDK_SHIFT_MASK);
          break;
        case GDK_KEY_Super_L: case GDK_KEY_Super_R:
          name = gtk_accelerator_get_label (0, GDK_SUPER_MASK);
          break;
        default:
          name = gtk_accelerator_get_label (keyval, 0);
          break;
        }
      /* gtk_accelerator_get_label() ends modifiers with "+" already. */
      if (g_str_has_suffix (name, "+"))
        name[strlen (name) - 1] = '\0';
      if (label->len > 0)
        g_string_append_c (label, '+');
      g_string_append (label, name);
    }
  return g_string_free (g_steal_pointer (&label), FALSE);
}

static void
update_grab_label (DomusConsole *self)
{
  g_autofree char *keys = NULL;
  g_autofree char *text = NULL;

  if (!self->pointer_grabbed && !self->keyboard_grabbed && !self->display_focused)
    {
      gtk_label_set_text (GTK_LABEL (self->grab_label), "");
      gtk_widget_set_tooltip_text (self->grab_label, NULL);
      return;
    }

  keys = grab_keys_label (self);
  if (self->pointer_grabbed && self->keyboard_grabbed)
    /* Translators: %s is the key combination, e.g. "Ctrl+Alt". */
    text = g_strdup_printf (_("Keyboard and pointer grabbed: press %s to release them"), keys);
  else if (self->pointer_grabbed)
    /* Translators: %s is the key combination, e.g. "Ctrl+Alt". */
    text = g_strdup_printf (_("Pointer grabbed: press %s to release it"), keys);
  else if (self->keyboard_grabbed)
    /* gtk-vnc takes the keyboard while the pointer is over the screen, and gives it back
     * when the pointer leaves: the grab keys would grab the pointer instead. */
    text = g_strdup (_("Keyboard grabbed while the pointer is over the screen: move the pointer away or press Shift+F12 to release it"));
  else
    text = g_strdup (_("Keys go to the guest: Shift+F12 gives them back to the window"));
  gtk_label_set_text (GTK_LABEL (self->grab_label), text);
  /* The toolbar may be too narrow for the whole sentence. */
  gtk_widget_set_tooltip_text (self->grab_label, text);
}

/* ---- the stream ------------------------------------------------------------------------ */

static void
stream_lost (DomusConsole *self,
             const char   *reason)
{
  g_autofree char *saved = g_strdup (reason);

  g_clear_pointer (&self->error_reason, g_free);
  self->pointer_grabbed = self->keyboard_grabbed = FALSE;
  update_grab_label (self);
  domus_console_link_stream_lost (self->link, saved);
}

static void
vnc_initialized_cb (GtkWidget    *display,
                    DomusConsole *self)
{
  domus_console_link_stream_up (self->link);
}

static void
vnc_error_cb (GtkWidget    *display,
              const char   *message,
              DomusConsole *self)
{
  g_debug ("console of %s: %s", self->domain_name, message);
  g_free (self->error_reason);
  self->error_reason = g_strdup (message);
}

static void
vnc_disconnected_cb (GtkWidget    *display,
                     DomusConsole *self)
{
  if (self->reopen_on_disconnect)
    {
      self->reopen_on_disconnect = FALSE;
      domus_console_link_open (self->link);
      return;
    }
  stream_lost (self, self->error_reason);
}

static void
vnc_pointer_grab_cb (GtkWidget    *display,
                     DomusConsole *self)
{
  self->pointer_grabbed = TRUE;
  update_grab_label (self);
}

static void
vnc_pointer_ungrab_cb (GtkWidget    *display,
                       DomusConsole *self)
{
  self->pointer_grabbed = FALSE;
  update_grab_label (self);
}

static void
vnc_keyboard_grab_cb (GtkWidget    *display,
                      DomusConsole *self)
{
  self->keyboard_grabbed = TRUE;
  update_grab_label (self);
}

static void
vnc_keyboard_ungrab_cb (GtkWidget    *display,
                        DomusConsole *self)
{
  self->keyboard_grabbed = FALSE;
  update_grab_label (self);
}

/* Every key but this one goes to the guest while its screen has the focus (the window's
 * shortcuts included), so a keyboard-only user needs one way out: Shift+F12, the release key
 * of virt-viewer. */
static gboolean
display_key_press_cb (GtkWidget    *display,
                      GdkEventKey  *event,
                      DomusConsole *self)
{
  GdkModifierType modifiers = event->state & gtk_accelerator_get_default_mod_mask ();

  if (event->keyval != GDK_KEY_F12 || modifiers != GDK_SHIFT_MASK)
    return GDK_EVENT_PROPAGATE;
  domus_console_release_keyboard (self);
  return GDK_EVENT_STOP;
}

/**
 * domus_console_release_keyboard:
 *
 * Gives the keyboard (and a grabbed pointer) back to the window: the focus moves from the
 * guest's screen to the console's toolbar, from where Tab and the window's shortcuts work.
 */
void
domus_console_release_keyboard (DomusConsole *self)
{
  GtkWidget *toplevel;

  g_return_if_fail (DOMUS_IS_CONSOLE (self));

  if (self->display != NULL && self->pointer_grabbed)
    vnc_display_force_grab (VNC_DISPLAY (self->display), FALSE);
  if (gtk_widget_child_focus (self->toolbar, GTK_DIR_TAB_FORWARD))
    return;
  toplevel = gtk_widget_get_toplevel (GTK_WIDGET (self));
  if (GTK_IS_WINDOW (toplevel))
    gtk_window_set_focus (GTK_WINDOW (toplevel), NULL);
}

static gboolean
display_focus_cb (GtkWidget     *display,
                  GdkEventFocus *event,
                  DomusConsole  *self)
{
  self->display_focused = event->in;
  update_grab_label (self);
  return GDK_EVENT_PROPAGATE;
}

/* A closed VncDisplay lives on until its connection has shut down, and until then gtk-vnc
 * keeps painting the guest's updates into the widget's GdkWindow, which a destroyed widget no
 * longer has (a Gdk-CRITICAL per update). Only its end of the connection is still wanted:
 * "vnc-disconnected" is what releases the display. */
static void
silence_display (GtkWidget *display)
{
  VncConnection *connection = vnc_display_get_connection (VNC_DISPLAY (display));

  if (connection == NULL)
    return;
  g_signal_handlers_block_matched (connection, G_SIGNAL_MATCH_DATA, 0, 0, NULL, NULL, display);
  g_signal_handlers_unblock_matched (connection, G_SIGNAL_MATCH_ID | G_SIGNAL_MATCH_DATA,
                                     g_signal_lookup ("vnc-disconnected", VNC_TYPE_CONNECTION),
                                     0, NULL, NULL, display);
}

static void
drop_display (DomusConsole *self)
{
  if (self->pending_fd >= 0)
    close (self->pending_fd);
  self->pending_fd = -1;
  if (self->display == NULL)
    return;
  domus_console_clipboard_set_display (self->clipboard, NULL);
  g_signal_handlers_disconnect_by_data (self->display, self);
  silence_display (self->display);
  if (vnc_display_is_open (VNC_DISPLAY (self->display)))
    vnc_display_close (VNC_DISPLAY (self->display));
  gtk_widget_destroy (self->display);
  self->display = NULL;
}

static void
new_display (DomusConsole *self)
{
  g_autofree char *name = NULL;
  GtkWidget *toplevel = gtk_widget_get_toplevel (GTK_WIDGET (self));
  /* The keyboard stays with the guest's screen across streams: each has a new display. */
  gboolean had_focus = self->display != NULL && GTK_IS_WINDOW (toplevel) &&
                       gtk_window_get_focus (GTK_WINDOW (toplevel)) == self->display;

  drop_display (self);

  self->display = vnc_display_new ();
  /* Ctrl+Alt (gtk-vnc's default grab keys) releases both grabs. */
  vnc_display_set_keyboard_grab (VNC_DISPLAY (self->display), TRUE);
  vnc_display_set_pointer_grab (VNC_DISPLAY (self->display), TRUE);
  vnc_display_set_keep_aspect_ratio (VNC_DISPLAY (self->display), TRUE);
  /* Shared: a second viewer of the same domain (another window, `domusctl vnc`) must not
   * disconnect this one, nor this one it. */
  vnc_display_set_shared_flag (VNC_DISPLAY (self->display), TRUE);
  vnc_display_set_scaling (VNC_DISPLAY (self->display), self->scaling);
  /* Translators: the accessible name of the guest's screen; %s is the domain's name. */
  name = g_strdup_printf (_("Console of %s"), self->domain_name);
  atk_object_set_name (gtk_widget_get_accessible (self->display), name);
  /* No tooltip: it would sit over the guest's screen; a screen reader still hears what this is. */
  atk_object_set_description (gtk_widget_get_accessible (self->display),
                              _("The guest's screen; keys and the pointer go to the guest while it has the focus, Shift+F12 gives the keyboard back to the window"));

  g_signal_connect (self->display, "key-press-event", G_CALLBACK (display_key_press_cb), self);
  g_signal_connect (self->display, "focus-in-event", G_CALLBACK (display_focus_cb), self);
  g_signal_connect (self->display, "focus-out-event", G_CALLBACK (display_focus_cb), self);
  g_signal_connect (self->display, "vnc-initialized", G_CALLBACK (vnc_initialized_cb), self);
  g_signal_connect (self->display, "vnc-error", G_CALLBACK (vnc_error_cb), self);
  g_signal_connect (self->display, "vnc-disconnected", G_CALLBACK (vnc_disconnected_cb), self);
  g_signal_connect (self->display, "vnc-pointer-grab", G_CALLBACK (vnc_pointer_grab_cb), self);
  g_signal_connect (self->display, "vnc-pointer-ungrab", G_CALLBACK (vnc_pointer_ungrab_cb), self);
  g_signal_connect (self->display, "vnc-keyboard-grab", G_CALLBACK (vnc_keyboard_grab_cb), self);
  g_signal_connect (self->display, "vnc-keyboard-ungrab", G_CALLBACK (vnc_keyboard_ungrab_cb), self);

  gtk_widget_set_hexpand (self->display, TRUE);
  gtk_widget_set_vexpand (self->display, TRUE);
  gtk_container_add (GTK_CONTAINER (self->viewport), self->display);
  gtk_widget_show (self->display);
  domus_console_clipboard_set_display (self->clipboard, self->display);
  if (had_focus)
    gtk_widget_grab_focus (self->display);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DISPLAY]);
}

static void
terminal_selection_cb (VteTerminal  *terminal,
                       DomusConsole *self)
{
  gtk_widget_set_sensitive (self->copy_button, vte_terminal_get_has_selection (terminal));
}

/* The terminal scrolls itself (it is a GtkScrollable): it takes the viewport's place. */
static void
new_terminal (DomusConsole *self)
{
  g_autofree char *name = NULL;
  GtkWidget *toplevel = gtk_widget_get_toplevel (GTK_WIDGET (self));
  gboolean had_focus = self->display != NULL && GTK_IS_WINDOW (toplevel) &&
                       gtk_window_get_focus (GTK_WINDOW (toplevel)) == self->display;

  drop_display (self);
  if (self->terminal != NULL)
    return;
  if (self->viewport != NULL)
    {
      gtk_container_remove (GTK_CONTAINER (self->scroller), self->viewport);
      self->viewport = NULL;
    }

  self->terminal = domus_serial_terminal_new ();
  /* Translators: the accessible name of a guest's text console; %s is the domain's name. */
  name = g_strdup_printf (_("Serial console of %s"), self->domain_name);
  atk_object_set_name (gtk_widget_get_accessible (self->terminal), name);
  atk_object_set_description (gtk_widget_get_accessible (self->terminal),
                              _("The guest's serial console; keys go to the guest while it has the focus, Ctrl+Shift+C copies, Ctrl+Shift+V pastes, Shift+F12 gives the keyboard back to the window"));
  g_signal_connect (self->terminal, "key-press-event", G_CALLBACK (display_key_press_cb), self);
  g_signal_connect (self->terminal, "focus-in-event", G_CALLBACK (display_focus_cb), self);
  g_signal_connect (self->terminal, "focus-out-event", G_CALLBACK (display_focus_cb), self);
  g_signal_connect (self->terminal, "stream-closed", G_CALLBACK (terminal_stream_closed_cb), self);
  g_signal_connect (self->terminal, "selection-changed", G_CALLBACK (terminal_selection_cb), self);

  gtk_widget_set_hexpand (self->terminal, TRUE);
  gtk_widget_set_vexpand (self->terminal, TRUE);
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (self->scroller),
                                  GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
  gtk_container_add (GTK_CONTAINER (self->scroller), self->terminal);
  gtk_widget_show (self->terminal);
  domus_console_clipboard_set_terminal (self->clipboard, self->terminal);
  terminal_selection_cb (VTE_TERMINAL (self->terminal), self);
  if (had_focus)
    gtk_widget_grab_focus (self->terminal);
}

/* The toolbar shows what the console's kind can do. */
static void
update_kind_ui (DomusConsole *self)
{
  gboolean serial = self->kind == DOMUS_CONSOLE_SERIAL;

  gtk_widget_set_visible (self->scale_button, !serial);
  gtk_widget_set_visible (self->keys_button, !serial);
  gtk_widget_set_visible (self->screenshot_button, !serial);
  gtk_widget_set_visible (self->copy_button, serial);
  gtk_widget_set_visible (self->paste_button, serial);
  /* A serial line has no clipboard to share; Paste and Type Clipboard send text there. */
  gtk_widget_set_visible (self->share_button, !serial);
  if (serial)
    domus_console_clipboard_set_sharing (self->clipboard, FALSE);
}

static void
open_stream (DomusConsole *self,
             int           fd)
{
  /* gtk-vnc makes a GSocket of the descriptor: from here it closes it. */
  if (!vnc_display_open_fd (VNC_DISPLAY (self->display), fd))
    {
      close (fd);
      domus_console_link_stream_failed (self->link,
                                        _("The console could not be opened: the display refused the stream"));
    }
}

static void
display_realized_cb (GtkWidget    *display,
                     DomusConsole *self)
{
  int fd = self->pending_fd;

  g_signal_handlers_disconnect_by_func (display, display_realized_cb, self);
  self->pending_fd = -1;
  if (fd >= 0)
    open_stream (self, fd);
}

static void
show_screen (DomusConsole *self,
             int           fd)
{
  new_display (self);
  /* gtk-vnc paints the first update into the display's GdkWindow without looking whether it
   * has one: the stream starts once the display is realized (at once inside a window). */
  if (gtk_widget_is_toplevel (gtk_widget_get_toplevel (self->display)))
    gtk_widget_realize (self->display);
  if (gtk_widget_get_realized (self->display))
    {
      open_stream (self, fd);
      return;
    }
  self->pending_fd = fd;
  g_signal_connect (self->display, "realize", G_CALLBACK (display_realized_cb), self);
}

/* A serial port has no handshake: the stream is up as soon as the terminal has it. */
static void
show_serial (DomusConsole *self,
             int           fd)
{
  domus_serial_terminal_open_fd (DOMUS_SERIAL_TERMINAL (self->terminal), fd);
  if (domus_serial_terminal_is_open (DOMUS_SERIAL_TERMINAL (self->terminal)))
    domus_console_link_stream_up (self->link);
}

static void
link_opened_cb (DomusConsoleLink *link,
                int               fd,
                DomusConsole     *self)
{
  if (self->kind == DOMUS_CONSOLE_SERIAL)
    show_serial (self, fd);
  else
    show_screen (self, fd);
}

/* The domain has no screen (vnc = 0): a console opened as the domain's console shows its
 * serial port instead, the only console such a guest has. */
static void
link_no_console_cb (DomusConsoleLink *link,
                    DomusConsole     *self)
{
  if (!self->screen_or_serial || self->kind != DOMUS_CONSOLE_GRAPHICS)
    return;
  drop_display (self);
  self->kind = DOMUS_CONSOLE_SERIAL;
  new_terminal (self);
  domus_console_link_set_kind (self->link, DOMUS_CONSOLE_SERIAL);
  update_kind_ui (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SERIAL]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DISPLAY]);
  domus_console_link_open (self->link);
}

static void
terminal_stream_closed_cb (DomusSerialTerminal *terminal,
                           const char          *reason,
                           DomusConsole        *self)
{
  stream_lost (self, reason);
}

/* ---- toolbar --------------------------------------------------------------------------- */

static void
scale_toggled_cb (GtkToggleButton *button,
                  DomusConsole    *self)
{
  domus_console_set_scaling (self, gtk_toggle_button_get_active (button));
}

/* The window manager may change it too (its own key, another window taking the screen). */
static void
window_fullscreen_changed (DomusConsole *self,
                           gboolean      fullscreen)
{
  if (fullscreen == self->fullscreen)
    return;
  if (!fullscreen)
    domus_console_set_fullscreen (self, FALSE);
  else
    {
      self->fullscreen = TRUE;
      update_fullscreen_ui (self);
    }
}

static gboolean
toplevel_window_state_cb (GtkWidget           *window,
                          GdkEventWindowState *event,
                          DomusConsole        *self)
{
  if ((event->changed_mask & GDK_WINDOW_STATE_FULLSCREEN) != 0)
    window_fullscreen_changed (self, (event->new_window_state & GDK_WINDOW_STATE_FULLSCREEN) != 0);
  return GDK_EVENT_PROPAGATE;
}

static void
detached_fullscreen_cb (DomusConsoleWindow *window,
                        GParamSpec         *pspec,
                        DomusConsole       *self)
{
  window_fullscreen_changed (self, domus_console_window_get_fullscreen (window));
}

static void
domus_console_hierarchy_changed (GtkWidget *widget,
                                 GtkWidget *previous_toplevel)
{
  DomusConsole *self = DOMUS_CONSOLE (widget);
  GtkWidget *toplevel = gtk_widget_get_toplevel (widget);

  if (GTK_WIDGET_CLASS (domus_console_parent_class)->hierarchy_changed != NULL)
    GTK_WIDGET_CLASS (domus_console_parent_class)->hierarchy_changed (widget, previous_toplevel);

  /* A window of the console's own says so itself (detached_fullscreen_cb). */
  if (!gtk_widget_is_toplevel (toplevel) || DOMUS_IS_CONSOLE_WINDOW (toplevel))
    toplevel = NULL;
  if (toplevel == self->toplevel)
    return;

  if (self->toplevel != NULL)
    g_signal_handlers_disconnect_by_func (self->toplevel, toplevel_window_state_cb, self);
  g_set_weak_pointer (&self->toplevel, toplevel);
  if (toplevel != NULL)
    g_signal_connect_object (toplevel, "window-state-event",
                             G_CALLBACK (toplevel_window_state_cb), self, 0);
}

static void
fullscreen_toggled_cb (GtkToggleButton *button,
                       DomusConsole    *self)
{
  domus_console_set_fullscreen (self, gtk_toggle_button_get_active (button));
}

static void
send_keys_activated (GSimpleAction *action,
                     GVariant      *parameter,
                     gpointer       user_data)
{
  domus_console_send_keys (DOMUS_CONSOLE (user_data), g_variant_get_string (parameter, NULL));
}

static void
screenshot_done_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(DomusConsole) self = user_data;
  DomusScreenshotSaver *saver = DOMUS_SCREENSHOT_SAVER (source);
  g_autoptr(GError) error = NULL;

  if (self->saver == saver)
    g_clear_object (&self->saver);
  if (!domus_screenshot_saver_run_finish (saver, result, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_autofree char *message = NULL;

      /* Translators: %s is the reason, e.g. "Permission denied". */
      message = g_strdup_printf (_("The screenshot could not be saved: %s"), error->message);
      show_message (self, message);
    }
}

static void
ask_and_save_screenshot (DomusConsole *self)
{
  g_autoptr(GDateTime) now = NULL;
  g_autofree char *stamp = NULL;
  g_autofree char *file_name = NULL;
  g_autoptr(GdkPixbuf) pixbuf = NULL;
  GtkWidget *toplevel;

  /* A second click while the first still asks shows that question again. */
  if (self->saver != NULL && domus_screenshot_saver_present (self->saver))
    return;

  if (self->display != NULL && domus_console_get_state (self) == DOMUS_CONSOLE_STATE_CONNECTED)
    pixbuf = vnc_display_get_pixbuf (VNC_DISPLAY (self->display));
  if (pixbuf == NULL)
    {
      show_message (self, _("There is no picture of the screen to save yet."));
      return;
    }

  now = g_date_time_new_now_local ();
  stamp = g_date_time_format (now, "%Y-%m-%d-%H%M%S");
  file_name = g_strdup_printf ("%s-%s.png", self->domain_name, stamp);
  g_clear_object (&self->saver);
  self->saver = domus_screenshot_saver_new (pixbuf, file_name);
  toplevel = gtk_widget_get_toplevel (GTK_WIDGET (self));
  domus_screenshot_saver_run_async (self->saver, GTK_IS_WINDOW (toplevel) ? GTK_WINDOW (toplevel) : NULL,
                                    self->saver_cancellable, screenshot_done_cb, g_object_ref (self));
}

static void
screenshot_clicked_cb (GtkButton    *button,
                       DomusConsole *self)
{
  ask_and_save_screenshot (self);
}

static void
screenshot_activated (GSimpleAction *action,
                      GVariant      *parameter,
                      gpointer       user_data)
{
  ask_and_save_screenshot (DOMUS_CONSOLE (user_data));
}

static void
copy_clicked_cb (GtkButton    *button,
                 DomusConsole *self)
{
  if (self->terminal != NULL)
    vte_terminal_copy_clipboard_format (VTE_TERMINAL (self->terminal), VTE_FORMAT_TEXT);
}

static void
paste_clicked_cb (GtkButton    *button,
                  DomusConsole *self)
{
  if (self->terminal == NULL)
    return;
  vte_terminal_paste_clipboard (VTE_TERMINAL (self->terminal));
  gtk_widget_grab_focus (self->terminal);
}

/* Typing the clipboard */

static void
type_clipboard (DomusConsole *self)
{
  if (domus_console_clipboard_get_typing (self->clipboard))
    domus_console_clipboard_stop_typing (self->clipboard);
  else
    domus_console_clipboard_type_desktop_text (self->clipboard, GTK_WIDGET (self), self->domain_name);
}

static void
type_clicked_cb (GtkButton    *button,
                 DomusConsole *self)
{
  type_clipboard (self);
}

static void
type_clipboard_activated (GSimpleAction *action,
                          GVariant      *parameter,
                          gpointer      user_data)
{
  type_clipboard (DOMUS_CONSOLE (user_data));
}

static void
typing_cb (DomusConsoleClipboard *clipboard,
           GParamSpec            *pspec,
           DomusConsole          *self)
{
  gboolean typing = domus_console_clipboard_get_typing (clipboard);

  gtk_button_set_label (GTK_BUTTON (self->type_button), typing ? _("Stop Typing") : _("Type Clipboard"));
  gtk_widget_set_tooltip_text (self->type_button,
                               typing ? _("Stop typing the clipboard's text")
                                      : _("Type the desktop clipboard's text into the guest as key presses (asks first over 1,000 characters)"));
}

static void
clipboard_problem_cb (DomusConsoleClipboard *clipboard,
                      const char            *message,
                      DomusConsole          *self)
{
  show_message (self, message);
}

static void
toggle_detached (DomusConsole *self)
{
  if (self->detached_window != NULL)
    domus_console_attach (self);
  else
    domus_console_detach (self);
}

static void
detach_activated (GSimpleAction *action,
                  GVariant      *parameter,
                  gpointer       user_data)
{
  toggle_detached (DOMUS_CONSOLE (user_data));
}

static void
reconnect_activated (GSimpleAction *action,
                     GVariant      *parameter,
                     gpointer       user_data)
{
  domus_console_reconnect (DOMUS_CONSOLE (user_data));
}

static void
detach_clicked_cb (GtkButton    *button,
                   DomusConsole *self)
{
  toggle_detached (self);
}

static void
reconnect_clicked_cb (GtkButton    *button,
                      DomusConsole *self)
{
  domus_console_reconnect (self);
}

static void
message_bar_response_cb (GtkInfoBar   *bar,
                         int           response,
                         DomusConsole *self)
{
  gtk_widget_hide (GTK_WIDGET (bar));
}

/* ---- detaching ------------------------------------------------------------------------- */

static void
update_detach_button (DomusConsole *self)
{
  gboolean detached = self->detached_window != NULL;
  AtkObject *accessible = gtk_widget_get_accessible (self->detach_button);
  GtkWidget *image = gtk_bin_get_child (GTK_BIN (self->detach_button));

  atk_object_set_name (accessible, detached ? _("Attach") : _("Detach"));
  gtk_widget_set_tooltip_text (self->detach_button,
                               detached ? _("Put the console back into the main window")
                                        : _("Show the console in a window of its own"));
  gtk_image_set_from_icon_name (GTK_IMAGE (image),
                                detached ? "view-restore-symbolic" : "window-new-symbolic",
                                GTK_ICON_SIZE_BUTTON);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DETACHED]);
}

/* The window went: it put the console back (Attach, or closing it), or takes it along. */
static void
detached_window_destroyed (GtkWidget    *window,
                           DomusConsole *self)
{
  if (window != GTK_WIDGET (self->detached_window))
    return;
  g_signal_handlers_disconnect_by_data (window, self);
  self->detached_window = NULL;
  /* Fullscreen belonged to the window that went away. */
  if (self->fullscreen)
    {
      self->fullscreen = self->fullscreen_detached = FALSE;
      update_fullscreen_ui (self);
    }
  update_detach_button (self);
}

/* ---- GObject --------------------------------------------------------------------------- */

static void
domus_console_constructed (GObject *object)
{
  DomusConsole *self = DOMUS_CONSOLE (object);

  G_OBJECT_CLASS (domus_console_parent_class)->constructed (object);

  g_return_if_fail (DOMUS_IS_HOST (self->host));
  g_return_if_fail (self->domain_name != NULL);

  self->clipboard = domus_console_clipboard_new ();
  g_object_bind_property (self->clipboard, "sharing", self->share_button, "active",
                          G_BINDING_BIDIRECTIONAL | G_BINDING_SYNC_CREATE);
  g_signal_connect (self->clipboard, "notify::typing", G_CALLBACK (typing_cb), self);
  g_signal_connect (self->clipboard, "problem", G_CALLBACK (clipboard_problem_cb), self);
  typing_cb (self->clipboard, NULL, self);

  self->link = domus_console_link_new (self->host, self->domain_name, self->kind);
  g_signal_connect (self->link, "notify::state", G_CALLBACK (link_status_cb), self);
  g_signal_connect (self->link, "notify::status", G_CALLBACK (link_status_cb), self);
  g_signal_connect (self->link, "notify::retry-text", G_CALLBACK (link_status_cb), self);
  g_signal_connect (self->link, "opened", G_CALLBACK (link_opened_cb), self);
  g_signal_connect (self->link, "no-console", G_CALLBACK (link_no_console_cb), self);

  if (self->kind == DOMUS_CONSOLE_SERIAL)
    new_terminal (self);
  else
    new_display (self);
  update_kind_ui (self);
  sync_status (self);
  domus_console_link_open (self->link);
}

static void
domus_console_dispose (GObject *object)
{
  DomusConsole *self = DOMUS_CONSOLE (object);

  if (self->link != NULL)
    g_signal_handlers_disconnect_by_data (self->link, self);
  g_clear_object (&self->link);
  if (self->clipboard != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->clipboard, self);
      domus_console_clipboard_set_display (self->clipboard, NULL);
      domus_console_clipboard_set_terminal (self->clipboard, NULL);
      g_clear_object (&self->clipboard);
    }

  if (self->pending_fd >= 0)
    close (self->pending_fd);
  self->pending_fd = -1;
  /* The display itself goes with the console's children. */
  if (self->display != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->display, self);
      silence_display (self->display);
      self->display = NULL;
    }
  /* The terminal goes with the console's children; its stream ends with it. */
  if (self->terminal != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->terminal, self);
      domus_serial_terminal_close (DOMUS_SERIAL_TERMINAL (self->terminal));
      self->terminal = NULL;
    }
  if (self->toplevel != NULL)
    g_signal_handlers_disconnect_by_func (self->toplevel, toplevel_window_state_cb, self);
  g_clear_weak_pointer (&self->toplevel);

  /* A question still asked goes with the console; a picture being written is finished. */
  g_cancellable_cancel (self->saver_cancellable);
  g_clear_object (&self->saver_cancellable);
  g_clear_object (&self->saver);

  /* Destroyed while detached (not by closing its window): the window goes too. */
  if (self->detached_window != NULL)
    {
      GtkWidget *window = GTK_WIDGET (g_steal_pointer (&self->detached_window));

      g_signal_handlers_disconnect_by_data (window, self);
      if (!gtk_widget_in_destruction (window))
        gtk_widget_destroy (window);
    }
  g_clear_object (&self->host);

  G_OBJECT_CLASS (domus_console_parent_class)->dispose (object);
}

static void
domus_console_finalize (GObject *object)
{
  DomusConsole *self = DOMUS_CONSOLE (object);

  g_free (self->domain_name);
  g_free (self->error_reason);

  G_OBJECT_CLASS (domus_console_parent_class)->finalize (object);
}

static void
domus_console_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  DomusConsole *self = DOMUS_CONSOLE (object);

  switch (prop_id)
    {
    case PROP_HOST:
      g_value_set_object (value, self->host);
      break;
    case PROP_DOMAIN_NAME:
      g_value_set_string (value, self->domain_name);
      break;
    case PROP_STATE:
      g_value_set_enum (value, domus_console_get_state (self));
      break;
    case PROP_STATUS:
      g_value_set_string (value, domus_console_get_status (self));
      break;
    case PROP_DISPLAY:
      g_value_set_object (value, domus_console_get_display (self));
      break;
    case PROP_SERIAL:
      g_value_set_boolean (value, self->kind == DOMUS_CONSOLE_SERIAL);
      break;
    case PROP_SCALING:
      g_value_set_boolean (value, self->scaling);
      break;
    case PROP_DETACHED:
      g_value_set_boolean (value, self->detached_window != NULL);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
domus_console_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  DomusConsole *self = DOMUS_CONSOLE (object);

  switch (prop_id)
    {
    case PROP_HOST:
      self->host = g_value_dup_object (value);
      break;
    case PROP_DOMAIN_NAME:
      self->domain_name = g_value_dup_string (value);
      break;
    case PROP_SERIAL:
      self->kind = g_value_get_boolean (value) ? DOMUS_CONSOLE_SERIAL : DOMUS_CONSOLE_GRAPHICS;
      self->screen_or_serial = !g_value_get_boolean (value);
      break;
    case PROP_SCALING:
      domus_console_set_scaling (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
domus_console_class_init (DomusConsoleClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = domus_console_constructed;
  object_class->dispose = domus_console_dispose;
  object_class->finalize = domus_console_finalize;
  object_class->get_property = domus_console_get_property;
  object_class->set_property = domus_console_set_property;
  widget_class->hierarchy_changed = domus_console_hierarchy_changed;

  properties[PROP_HOST] =
    g_param_spec_object ("host", NULL, NULL, DOMUS_TYPE_HOST,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_DOMAIN_NAME] =
    g_param_spec_string ("domain-name", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL, DOMUS_TYPE_CONSOLE_STATE,
                       DOMUS_CONSOLE_STATE_CONNECTING,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_STATUS] =
    g_param_spec_string ("status", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_DISPLAY] =
    g_param_spec_object ("display", NULL, NULL, GTK_TYPE_WIDGET,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /* Written: a serial console asked for; read: the console shows the serial port (asked, or
   * the domain has no screen). */
  properties[PROP_SERIAL] =
    g_param_spec_boolean ("serial", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SCALING] =
    g_param_spec_boolean ("scaling", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_DETACHED] =
    g_param_spec_boolean ("detached", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/domus/Domus/ui/domus-console.ui");
  gtk_widget_class_bind_template_child (widget_class, DomusConsole, toolbar);
  gtk_widget_class_bind_template_child (widget_class, DomusConsole, scale_button);
  gtk_widget_class_bind_template_child (widget_class, DomusConsole, fullscreen_button);
  gtk_widget_class_bind_template_child (widget_class, DomusConsole, keys_button);
  gtk_widget_class_bind_template_child (widget_class, DomusConsole, screenshot_button);
  gtk_widget_class_bind_template_child (widget_class, DomusConsole, copy_button);
  gtk_widget_class_bind_template_child (widget_class, DomusConsole, paste_button);
  gtk_widget_class_bind_template_child (widget_class, DomusConsole, type_button);
  gtk_widget_class_bind_template_child (widget_class, DomusConsole, share_button);
  gtk_widget_class_bind_template_child (widget_class, DomusConsole, detach_button);
  gtk_widget_class_bind_template_child (widget_class, DomusConsole, grab_label);
  gtk_widget_class_bind_template_child (widget_class, DomusConsole, fullscreen_label);
  gtk_widget_class_bind_template_child (widget_class, DomusConsole, message_bar);
  gtk_widget_class_bind_template_child (widget_class, DomusConsole, message_label);
  gtk_widget_class_bind_template_child (widget_class, DomusConsole, overlay);
  gtk_widget_class_bind_template_child (widget_class, DomusConsole, scroller);
  gtk_widget_class_bind_template_child (widget_class, DomusConsole, viewport);
  gtk_widget_class_bind_template_child (widget_class, DomusConsole, status_box);
  gtk_widget_class_bind_template_child (widget_class, DomusConsole, status_spinner);
  gtk_widget_class_bind_template_child (widget_class, DomusConsole, status_label);
  gtk_widget_class_bind_template_child (widget_class, DomusConsole, retry_label);
  gtk_widget_class_bind_template_child (widget_class, DomusConsole, reconnect_button);
  gtk_widget_class_bind_template_callback (widget_class, scale_toggled_cb);
  gtk_widget_class_bind_template_callback (widget_class, fullscreen_toggled_cb);
  gtk_widget_class_bind_template_callback (widget_class, screenshot_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, copy_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, paste_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, type_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, detach_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, reconnect_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, message_bar_response_cb);
}

static void
domus_console_init (DomusConsole *self)
{
  static const GActionEntry actions[] = {
    { .name = "send-keys", .activate = send_keys_activated, .parameter_type = "s" },
    { .name = "screenshot", .activate = screenshot_activated },
    { .name = "detach", .activate = detach_activated },
    { .name = "reconnect", .activate = reconnect_activated },
    { .name = "type-clipboard", .activate = type_clipboard_activated },
  };
  g_autoptr(GSimpleActionGroup) group = g_simple_action_group_new ();

  self->kind = DOMUS_CONSOLE_GRAPHICS;
  self->screen_or_serial = TRUE;
  self->pending_fd = -1;
  self->saver_cancellable = g_cancellable_new ();

  gtk_widget_init_template (GTK_WIDGET (self));

  g_action_map_add_action_entries (G_ACTION_MAP (group), actions, G_N_ELEMENTS (actions), self);
  gtk_widget_insert_action_group (GTK_WIDGET (self), "console", G_ACTION_GROUP (group));
}

/* ---- public ---------------------------------------------------------------------------- */

GtkWidget *
domus_console_new (DomusHost  *host,
                   const char *domain_name)
{
  g_return_val_if_fail (DOMUS_IS_HOST (host), NULL);
  g_return_val_if_fail (domain_name != NULL, NULL);

  return g_object_new (DOMUS_TYPE_CONSOLE, "host", host, "domain-name", domain_name, NULL);
}

GtkWidget *
domus_console_new_serial (DomusHost  *host,
                          const char *domain_name)
{
  g_return_val_if_fail (DOMUS_IS_HOST (host), NULL);
  g_return_val_if_fail (domain_name != NULL, NULL);

  return g_object_new (DOMUS_TYPE_CONSOLE, "host", host, "domain-name", domain_name,
                       "serial", TRUE, NULL);
}

gboolean
domus_console_matches (DomusConsole *self,
                       DomusHost    *host,
                       const char   *domain_name,
                       gboolean      serial)
{
  g_return_val_if_fail (DOMUS_IS_CONSOLE (self), FALSE);

  if (self->host != host || g_strcmp0 (self->domain_name, domain_name) != 0)
    return FALSE;
  return serial ? self->kind == DOMUS_CONSOLE_SERIAL : self->screen_or_serial;
}

void
domus_console_type_text (DomusConsole *self,
                         const char   *text,
                         gboolean      confirmed)
{
  g_return_if_fail (DOMUS_IS_CONSOLE (self));
  g_return_if_fail (text != NULL);

  domus_console_clipboard_type (self->clipboard, text, confirmed, GTK_WIDGET (self), self->domain_name);
}

gboolean
domus_console_get_sharing (DomusConsole *self)
{
  g_return_val_if_fail (DOMUS_IS_CONSOLE (self), FALSE);
  return domus_console_clipboard_get_sharing (self->clipboard);
}

void
domus_console_set_sharing (DomusConsole *self,
                           gboolean      sharing)
{
  g_return_if_fail (DOMUS_IS_CONSOLE (self));
  domus_console_clipboard_set_sharing (self->clipboard, sharing && self->kind != DOMUS_CONSOLE_SERIAL);
}

gboolean
domus_console_get_serial (DomusConsole *self)
{
  g_return_val_if_fail (DOMUS_IS_CONSOLE (self), FALSE);
  return self->kind == DOMUS_CONSOLE_SERIAL;
}

DomusHost *
domus_console_get_host (DomusConsole *self)
{
  g_return_val_if_fail (DOMUS_IS_CONSOLE (self), NULL);
  return self->host;
}

const char *
domus_console_get_domain_name (DomusConsole *self)
{
  g_return_val_if_fail (DOMUS_IS_CONSOLE (self), NULL);
  return self->domain_name;
}

DomusConsoleState
domus_console_get_state (DomusConsole *self)
{
  g_return_val_if_fail (DOMUS_IS_CONSOLE (self), DOMUS_CONSOLE_STATE_DISCONNECTED);
  return self->link != NULL ? domus_console_link_get_state (self->link) : DOMUS_CONSOLE_STATE_DISCONNECTED;
}

const char *
domus_console_get_status (DomusConsole *self)
{
  g_return_val_if_fail (DOMUS_IS_CONSOLE (self), NULL);
  return self->link != NULL ? domus_console_link_get_status (self->link) : NULL;
}

GtkWidget *
domus_console_get_display (DomusConsole *self)
{
  g_return_val_if_fail (DOMUS_IS_CONSOLE (self), NULL);
  return self->kind == DOMUS_CONSOLE_SERIAL ? self->terminal : self->display;
}

void
domus_console_reconnect (DomusConsole *self)
{
  g_return_if_fail (DOMUS_IS_CONSOLE (self));

  if (self->display != NULL && vnc_display_is_open (VNC_DISPLAY (self->display)))
    {
      /* A new stream only once the old one said goodbye (vnc_disconnected_cb). */
      self->reopen_on_disconnect = TRUE;
      vnc_display_close (VNC_DISPLAY (self->display));
      return;
    }
  if (self->terminal != NULL)
    domus_serial_terminal_close (DOMUS_SERIAL_TERMINAL (self->terminal));
  domus_console_link_open (self->link);
}

void
domus_console_set_scaling (DomusConsole *self,
                           gboolean      scaling)
{
  g_return_if_fail (DOMUS_IS_CONSOLE (self));

  scaling = !!scaling;
  /* A terminal reflows its text instead. */
  if (self->kind == DOMUS_CONSOLE_SERIAL)
    return;
  if (self->display != NULL)
    vnc_display_set_scaling (VNC_DISPLAY (self->display), scaling);
  /* Scaled, the display takes the page's size (EXTERNAL: no scrollbars, and the page does
   * not grow to the screen's size); unscaled, a larger screen scrolls. */
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (self->scroller),
                                  scaling ? GTK_POLICY_EXTERNAL : GTK_POLICY_AUTOMATIC,
                                  scaling ? GTK_POLICY_EXTERNAL : GTK_POLICY_AUTOMATIC);
  if (self->scaling == scaling)
    return;
  self->scaling = scaling;
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (self->scale_button), scaling);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SCALING]);
}

gboolean
domus_console_get_scaling (DomusConsole *self)
{
  g_return_val_if_fail (DOMUS_IS_CONSOLE (self), FALSE);
  return self->scaling;
}

static void
update_fullscreen_ui (DomusConsole *self)
{
  AtkObject *accessible = gtk_widget_get_accessible (self->fullscreen_button);

  g_signal_handlers_block_by_func (self->fullscreen_button, fullscreen_toggled_cb, self);
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (self->fullscreen_button), self->fullscreen);
  g_signal_handlers_unblock_by_func (self->fullscreen_button, fullscreen_toggled_cb, self);
  atk_object_set_name (accessible, self->fullscreen ? _("Leave Fullscreen") : _("Fullscreen"));
  gtk_widget_set_tooltip_text (self->fullscreen_button,
                               self->fullscreen ? _("Leave fullscreen")
                                                : _("Show the console on the whole screen"));
  gtk_widget_set_visible (self->fullscreen_label, self->fullscreen);
}

void
domus_console_set_fullscreen (DomusConsole *self,
                              gboolean      fullscreen)
{
  g_return_if_fail (DOMUS_IS_CONSOLE (self));

  fullscreen = !!fullscreen;
  if (fullscreen == self->fullscreen)
    {
      update_fullscreen_ui (self);
      return;
    }

  self->fullscreen = fullscreen;
  if (fullscreen)
    {
      if (self->detached_window == NULL)
        {
          domus_console_detach (self);
          self->fullscreen_detached = TRUE;
        }
      domus_console_window_set_fullscreen (self->detached_window, TRUE);
    }
  else
    {
      if (self->detached_window != NULL)
        domus_console_window_set_fullscreen (self->detached_window, FALSE);
      else if (self->toplevel != NULL && GTK_IS_WINDOW (self->toplevel))
        /* The window manager made the main window fullscreen (its own key): give it back. */
        gtk_window_unfullscreen (GTK_WINDOW (self->toplevel));
      if (self->fullscreen_detached)
        {
          self->fullscreen_detached = FALSE;
          domus_console_attach (self);
        }
    }
  update_fullscreen_ui (self);
}

gboolean
domus_console_get_fullscreen (DomusConsole *self)
{
  g_return_val_if_fail (DOMUS_IS_CONSOLE (self), FALSE);
  return self->fullscreen;
}

gboolean
domus_console_send_keys (DomusConsole *self,
                         const char   *combination)
{
  g_return_val_if_fail (DOMUS_IS_CONSOLE (self), FALSE);
  g_return_val_if_fail (combination != NULL, FALSE);

  for (gsize i = 0; i < G_N_ELEMENTS (key_combinations); i++)
    if (g_str_equal (key_combinations[i].name, combination))
      {
        if (self->display != NULL && domus_console_get_state (self) == DOMUS_CONSOLE_STATE_CONNECTED)
          vnc_display_send_keys (VNC_DISPLAY (self->display), key_combinations[i].keyvals,
                                 G_N_ELEMENTS (key_combinations[i].keyvals));
        return TRUE;
      }
  return FALSE;
}

gboolean
domus_console_save_screenshot (DomusConsole  *self,
                               const char    *path,
                               GError       **error)
{
  g_autoptr(GdkPixbuf) pixbuf = NULL;

  g_return_val_if_fail (DOMUS_IS_CONSOLE (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  if (self->display != NULL && domus_console_get_state (self) == DOMUS_CONSOLE_STATE_CONNECTED)
    pixbuf = vnc_display_get_pixbuf (VNC_DISPLAY (self->display));
  if (pixbuf == NULL)
    {
      g_set_error_literal (error, DOMUS_CONSOLE_ERROR, DOMUS_CONSOLE_ERROR_NO_PICTURE,
                           _("There is no picture of the screen to save yet."));
      return FALSE;
    }
  return gdk_pixbuf_save (pixbuf, path, "png", error, NULL);
}

void
domus_console_detach (DomusConsole *self)
{
  g_return_if_fail (DOMUS_IS_CONSOLE (self));

  if (self->detached_window == NULL)
    {
      self->detached_window = DOMUS_CONSOLE_WINDOW (domus_console_window_new (GTK_WIDGET (self),
                                                                              self->domain_name));
      g_signal_connect (self->detached_window, "destroy", G_CALLBACK (detached_window_destroyed), self);
      g_signal_connect (self->detached_window, "notify::fullscreen",
                        G_CALLBACK (detached_fullscreen_cb), self);
      update_detach_button (self);
    }
  gtk_window_present (GTK_WINDOW (self->detached_window));
}

void
domus_console_attach (DomusConsole *self)
{
  g_return_if_fail (DOMUS_IS_CONSOLE (self));

  /* The window tells when it has put the console back (detached_window_destroyed). */
  if (self->detached_window != NULL)
    domus_console_window_put_back (self->detached_window);
}

gboolean
domus_console_get_detached (DomusConsole *self)
{
  g_return_val_if_fail (DOMUS_IS_CONSOLE (self), FALSE);
  return self->detached_window != NULL;
}
