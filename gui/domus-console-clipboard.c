/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A console's clipboard. Sharing: while on, text the desktop's clipboard gets is sent to the
 * guest as VNC ClientCutText, and the guest's ServerCutText becomes the desktop's clipboard
 * (QEMU passes both to the guest's spice-vdagent through its qemu-vdagent, clipboard = 1). The
 * text just received is remembered, so that setting the desktop's clipboard from the guest does
 * not send it straight back. Off, nothing passes either way.
 *
 * Typing: for a guest without an agent, text becomes key presses, one character at a time on
 * a timer. gtk-vnc sends each key's scancode, which does not say Shift: a character the
 * keyboard reaches only with Shift (upper case, most symbols) is sent as Shift and its key.
 */

#include "config.h"

#include <glib/gi18n.h>
#include <vncdisplay.h>

#include "domus-console-clipboard.h"
#include "domus-serial-terminal.h"

struct _DomusConsoleClipboard
{
  GObject       parent_instance;

  GtkWidget    *display;          /* weak */
  GtkWidget    *terminal;         /* weak */
  GtkWidget    *confirm_dialog;   /* "Type N characters?" while asked */
  GtkClipboard *clipboard;
  gboolean      sharing;
  char         *last_received;    /* the guest's text, now the desktop's: not sent back */

  gunichar     *typing;           /* NULL when not typing */
  glong         typing_length;
  glong         typing_next;
  guint         typed;
  guint         skipped;
  guint         typing_source;
};

G_DEFINE_FINAL_TYPE (DomusConsoleClipboard, domus_console_clipboard, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_SHARING,
  PROP_TYPING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  SIGNAL_PROBLEM,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* Sharing */

static gboolean
display_open (DomusConsoleClipboard *self)
{
  return self->display != NULL && vnc_display_is_open (VNC_DISPLAY (self->display));
}

static void
on_desktop_text (GtkClipboard *clipboard,
                 const char   *text,
                 gpointer      user_data)
{
  g_autoptr(DomusConsoleClipboard) self = user_data;

  if (!self->sharing || text == NULL || !display_open (self))
    return;
  /* What the guest just gave us is not news for the guest. */
  if (g_strcmp0 (text, self->last_received) == 0)
    return;
  g_clear_pointer (&self->last_received, g_free);
  vnc_display_client_cut_text (VNC_DISPLAY (self->display), text);
}

static void
send_desktop_text (DomusConsoleClipboard *self)
{
  gtk_clipboard_request_text (self->clipboard, on_desktop_text, g_object_ref (self));
}

static void
on_owner_change (GtkClipboard        *clipboard,
                 GdkEventOwnerChange *event,
                 gpointer             user_data)
{
  DomusConsoleClipboard *self = user_data;

  if (self->sharing)
    send_desktop_text (self);
}

static void
on_server_cut_text (GtkWidget  *display,
                    const char *text,
                    gpointer    user_data)
{
  DomusConsoleClipboard *self = user_data;

  if (!self->sharing || text == NULL)
    return;
  g_free (self->last_received);
  self->last_received = g_strdup (text);
  gtk_clipboard_set_text (self->clipboard, text, -1);
}

static void
on_display_initialized (GtkWidget *display,
                        gpointer   user_data)
{
  DomusConsoleClipboard *self = user_data;

  if (self->sharing)
    send_desktop_text (self);
}

void
domus_console_clipboard_set_display (DomusConsoleClipboard *self,
                                     GtkWidget             *display)
{
  g_return_if_fail (DOMUS_IS_CONSOLE_CLIPBOARD (self));
  g_return_if_fail (display == NULL || VNC_IS_DISPLAY (display));

  if (display == self->display)
    return;
  if (self->display != NULL)
    g_signal_handlers_disconnect_by_data (self->display, self);
  g_set_weak_pointer (&self->display, display);
  if (display != NULL)
    {
      g_signal_connect (display, "vnc-server-cut-text", G_CALLBACK (on_server_cut_text), self);
      /* A new stream: the guest's side starts empty; give it the desktop's text once it is up. */
      g_signal_connect (display, "vnc-initialized", G_CALLBACK (on_display_initialized), self);
    }
  /* Keys meant for another screen stop with it. */
  domus_console_clipboard_stop_typing (self);
}

void
domus_console_clipboard_set_sharing (DomusConsoleClipboard *self,
                                     gboolean               sharing)
{
  g_return_if_fail (DOMUS_IS_CONSOLE_CLIPBOARD (self));

  sharing = !!sharing;
  if (sharing == self->sharing)
    return;
  self->sharing = sharing;
  g_clear_pointer (&self->last_received, g_free);
  if (sharing)
    send_desktop_text (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SHARING]);
}

gboolean
domus_console_clipboard_get_sharing (DomusConsoleClipboard *self)
{
  g_return_val_if_fail (DOMUS_IS_CONSOLE_CLIPBOARD (self), FALSE);
  return self->sharing;
}

/* Typing */

static guint
keyval_for (gunichar c)
{
  switch (c)
    {
    case '\n':
    case '\r':
      return GDK_KEY_Return;
    case '\t':
      return GDK_KEY_Tab;
    default:
      return gdk_unicode_to_keyval (c);
    }
}

/* The keys that type c on this desktop's keyboard: 0, 1 (the key) or 2 (Shift and the key). */
static guint
keys_for (DomusConsoleClipboard *self,
          gunichar               c,
          guint                  keys[2])
{
  GdkKeymap *keymap = gdk_keymap_get_for_display (gtk_widget_get_display (self->display));
  guint keyval = keyval_for (c);
  g_autofree GdkKeymapKey *entries = NULL;
  gint n = 0;
  gint level = -1;

  if (!gdk_keymap_get_entries_for_keyval (keymap, keyval, &entries, &n))
    return 0;
  for (gint i = 0; i < n && level != 0; i++)
    if (entries[i].group == 0 && entries[i].level <= 1 && (level < 0 || entries[i].level < level))
      level = entries[i].level;
  if (level < 0)
    return 0;
  if (level == 0)
    {
      keys[0] = keyval;
      return 1;
    }
  keys[0] = GDK_KEY_Shift_L;
  keys[1] = keyval;
  return 2;
}

static void
finish_typing (DomusConsoleClipboard *self)
{
  guint typed = self->typed, skipped = self->skipped;

  g_clear_handle_id (&self->typing_source, g_source_remove);
  g_clear_pointer (&self->typing, g_free);
  self->typed = self->skipped = 0;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TYPING]);
  if (skipped > 0)
    {
      g_autofree char *message =
        g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                      "%u character was left out: no key of this keyboard types it.",
                                      "%u characters were left out: no key of this keyboard types them.",
                                      skipped),
                         skipped);

      g_signal_emit (self, signals[SIGNAL_PROBLEM], 0, message);
    }
  g_debug ("typed %u characters, %u left out", typed, skipped);
}

static gboolean
type_next (gpointer user_data)
{
  DomusConsoleClipboard *self = user_data;
  guint keys[2];
  guint n;

  if (!display_open (self))
    {
      self->typing_source = 0;
      finish_typing (self);
      return G_SOURCE_REMOVE;
    }
  /* A CR LF pair is one Enter. */
  if (self->typing[self->typing_next] == '\r' && self->typing_next + 1 < self->typing_length &&
      self->typing[self->typing_next + 1] == '\n')
    self->typing_next++;
  n = keys_for (self, self->typing[self->typing_next], keys);
  if (n == 0)
    self->skipped++;
  else
    {
      vnc_display_send_keys_ex (VNC_DISPLAY (self->display), keys, n, VNC_DISPLAY_KEY_EVENT_CLICK);
      self->typed++;
    }
  if (++self->typing_next < self->typing_length)
    return G_SOURCE_CONTINUE;
  self->typing_source = 0;
  finish_typing (self);
  return G_SOURCE_REMOVE;
}

static void
type_on_screen (DomusConsoleClipboard *self,
                const char            *text)
{
  if (self->typing != NULL)
    finish_typing (self);
  if (!display_open (self))
    {
      g_signal_emit (self, signals[SIGNAL_PROBLEM], 0,
                     _("Nothing was typed: the console is not connected."));
      return;
    }
  self->typing = g_utf8_to_ucs4_fast (text, -1, &self->typing_length);
  self->typing_next = 0;
  if (self->typing_length == 0)
    {
      finish_typing (self);
      return;
    }
  self->typing_source = g_timeout_add (DOMUS_CONSOLE_TYPE_INTERVAL_MS, type_next, self);
  g_source_set_name_by_id (self->typing_source, "[domus] typing");
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TYPING]);
}

static void
type_now (DomusConsoleClipboard *self,
          const char            *text)
{
  if (self->terminal == NULL)
    type_on_screen (self, text);
  else if (domus_serial_terminal_is_open (DOMUS_SERIAL_TERMINAL (self->terminal)))
    domus_serial_terminal_type_text (DOMUS_SERIAL_TERMINAL (self->terminal), text);
  else
    g_signal_emit (self, signals[SIGNAL_PROBLEM], 0,
                   _("Nothing was typed: the serial console is not connected."));
}

static void
close_confirm_dialog (DomusConsoleClipboard *self)
{
  if (self->confirm_dialog != NULL)
    gtk_widget_destroy (g_steal_pointer (&self->confirm_dialog));
}

static void
confirm_response_cb (GtkDialog             *dialog,
                     int                    response,
                     DomusConsoleClipboard *self)
{
  g_autofree char *text = g_strdup (g_object_get_data (G_OBJECT (dialog), "domus-text"));

  close_confirm_dialog (self);
  if (response == GTK_RESPONSE_ACCEPT)
    type_now (self, text);
}

/* Not modal, as every question in the window: the console goes on working meanwhile. */
static void
ask_before_typing (DomusConsoleClipboard *self,
                   const char            *text,
                   glong                  length,
                   GtkWidget             *parent,
                   const char            *domain_name)
{
  GtkWidget *toplevel = parent != NULL ? gtk_widget_get_toplevel (parent) : NULL;
  guint seconds = (guint) ((length * DOMUS_CONSOLE_TYPE_INTERVAL_MS + 999) / 1000);
  GtkMessageDialog *dialog;

  close_confirm_dialog (self);
  self->confirm_dialog = gtk_message_dialog_new (GTK_IS_WINDOW (toplevel) ? GTK_WINDOW (toplevel) : NULL,
                                                 GTK_DIALOG_DESTROY_WITH_PARENT, GTK_MESSAGE_QUESTION,
                                                 GTK_BUTTONS_NONE,
                                                 _("Type %ld characters into %s?"), length, domain_name);
  dialog = GTK_MESSAGE_DIALOG (self->confirm_dialog);
  if (self->terminal != NULL)
    gtk_message_dialog_format_secondary_text (dialog, "%s",
                                              _("The clipboard's text goes to the guest's serial console as if typed there."));
  else
    gtk_message_dialog_format_secondary_text (dialog,
                                              g_dngettext (GETTEXT_PACKAGE,
                                                           "The clipboard's text is typed on the guest's keyboard, key by key: that takes about %u second.",
                                                           "The clipboard's text is typed on the guest's keyboard, key by key: that takes about %u seconds.",
                                                           seconds),
                                              seconds);
  gtk_dialog_add_buttons (GTK_DIALOG (dialog), _("_Cancel"), GTK_RESPONSE_CANCEL,
                          _("_Type"), GTK_RESPONSE_ACCEPT, NULL);
  gtk_dialog_set_default_response (GTK_DIALOG (dialog), GTK_RESPONSE_ACCEPT);
  g_object_set_data_full (G_OBJECT (dialog), "domus-text", g_strdup (text), g_free);
  g_signal_connect (dialog, "response", G_CALLBACK (confirm_response_cb), self);
  gtk_window_present (GTK_WINDOW (dialog));
}

void
domus_console_clipboard_type (DomusConsoleClipboard *self,
                              const char            *text,
                              gboolean               confirmed,
                              GtkWidget             *parent,
                              const char            *domain_name)
{
  glong length;

  g_return_if_fail (DOMUS_IS_CONSOLE_CLIPBOARD (self));
  g_return_if_fail (text != NULL);

  length = g_utf8_strlen (text, -1);
  if (!confirmed && length > DOMUS_CONSOLE_TYPE_CONFIRM_CHARS)
    ask_before_typing (self, text, length, parent, domain_name);
  else
    type_now (self, text);
}

typedef struct {
  DomusConsoleClipboard *clipboard;
  GtkWidget             *parent;
  char                  *domain_name;
} DesktopRequest;

static void
desktop_request_free (DesktopRequest *request)
{
  g_object_unref (request->clipboard);
  g_object_unref (request->parent);
  g_free (request->domain_name);
  g_free (request);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DesktopRequest, desktop_request_free)

static void
on_text_to_type (GtkClipboard *clipboard,
                 const char   *text,
                 gpointer      user_data)
{
  g_autoptr(DesktopRequest) request = user_data;

  /* The console went meanwhile. */
  if (gtk_widget_in_destruction (request->parent) || gtk_widget_get_parent (request->parent) == NULL)
    return;
  if (text == NULL || *text == '\0')
    {
      g_signal_emit (request->clipboard, signals[SIGNAL_PROBLEM], 0,
                     _("The clipboard holds no text to type."));
      return;
    }
  domus_console_clipboard_type (request->clipboard, text, FALSE, request->parent, request->domain_name);
}

void
domus_console_clipboard_type_desktop_text (DomusConsoleClipboard *self,
                                           GtkWidget             *parent,
                                           const char            *domain_name)
{
  DesktopRequest *request;

  g_return_if_fail (DOMUS_IS_CONSOLE_CLIPBOARD (self));
  g_return_if_fail (GTK_IS_WIDGET (parent));

  request = g_new0 (DesktopRequest, 1);
  request->clipboard = g_object_ref (self);
  request->parent = g_object_ref (parent);
  request->domain_name = g_strdup (domain_name);
  gtk_clipboard_request_text (self->clipboard, on_text_to_type, request);
}

void
domus_console_clipboard_set_terminal (DomusConsoleClipboard *self,
                                      GtkWidget             *terminal)
{
  g_return_if_fail (DOMUS_IS_CONSOLE_CLIPBOARD (self));
  g_return_if_fail (terminal == NULL || DOMUS_IS_SERIAL_TERMINAL (terminal));

  g_set_weak_pointer (&self->terminal, terminal);
}

void
domus_console_clipboard_stop_typing (DomusConsoleClipboard *self)
{
  g_return_if_fail (DOMUS_IS_CONSOLE_CLIPBOARD (self));

  if (self->typing != NULL)
    finish_typing (self);
}

gboolean
domus_console_clipboard_get_typing (DomusConsoleClipboard *self)
{
  g_return_val_if_fail (DOMUS_IS_CONSOLE_CLIPBOARD (self), FALSE);
  return self->typing != NULL;
}

/* GObject */

static void
domus_console_clipboard_dispose (GObject *object)
{
  DomusConsoleClipboard *self = DOMUS_CONSOLE_CLIPBOARD (object);

  g_clear_handle_id (&self->typing_source, g_source_remove);
  g_clear_pointer (&self->typing, g_free);
  close_confirm_dialog (self);
  if (self->display != NULL)
    g_signal_handlers_disconnect_by_data (self->display, self);
  g_clear_weak_pointer (&self->display);
  g_clear_weak_pointer (&self->terminal);
  if (self->clipboard != NULL)
    g_signal_handlers_disconnect_by_data (self->clipboard, self);
  self->clipboard = NULL;
  G_OBJECT_CLASS (domus_console_clipboard_parent_class)->dispose (object);
}

static void
domus_console_clipboard_finalize (GObject *object)
{
  DomusConsoleClipboard *self = DOMUS_CONSOLE_CLIPBOARD (object);

  g_free (self->last_received);
  G_OBJECT_CLASS (domus_console_clipboard_parent_class)->finalize (object);
}

static void
domus_console_clipboard_get_property (GObject    *object,
                                      guint       prop_id,
                                      GValue     *value,
                                      GParamSpec *pspec)
{
  DomusConsoleClipboard *self = DOMUS_CONSOLE_CLIPBOARD (object);

  switch (prop_id)
    {
    case PROP_SHARING:
      g_value_set_boolean (value, self->sharing);
      break;
    case PROP_TYPING:
      g_value_set_boolean (value, self->typing != NULL);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
domus_console_clipboard_set_property (GObject      *object,
                                      guint         prop_id,
                                      const GValue *value,
                                      GParamSpec   *pspec)
{
  DomusConsoleClipboard *self = DOMUS_CONSOLE_CLIPBOARD (object);

  switch (prop_id)
    {
    case PROP_SHARING:
      domus_console_clipboard_set_sharing (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
domus_console_clipboard_class_init (DomusConsoleClipboardClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = domus_console_clipboard_dispose;
  object_class->finalize = domus_console_clipboard_finalize;
  object_class->get_property = domus_console_clipboard_get_property;
  object_class->set_property = domus_console_clipboard_set_property;

  properties[PROP_SHARING] =
    g_param_spec_boolean ("sharing", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_TYPING] =
    g_param_spec_boolean ("typing", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNAL_PROBLEM] =
    g_signal_new ("problem", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
domus_console_clipboard_init (DomusConsoleClipboard *self)
{
  self->clipboard = gtk_clipboard_get (GDK_SELECTION_CLIPBOARD);
  g_signal_connect (self->clipboard, "owner-change", G_CALLBACK (on_owner_change), self);
}

DomusConsoleClipboard *
domus_console_clipboard_new (void)
{
  return g_object_new (DOMUS_TYPE_CONSOLE_CLIPBOARD, NULL);
}
