/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A terminal on a serial port. VTE usually runs a program on a pseudo-terminal; here there is
 * none: what the guest writes is read from the backend's socket and fed to the terminal, and
 * what VTE would send its child ("commit": keys, pastes) is written to the socket in order.
 * A serial line has no window size to tell, so a resize only reflows what is shown.
 */

#include "config.h"

#include <unistd.h>

#include "domus-serial-terminal.h"

#define READ_SIZE 65536

struct _DomusSerialTerminal
{
  VteTerminal    parent_instance;

  GIOStream     *stream;
  GCancellable  *cancellable;   /* the stream's reads and writes */
  GByteArray    *pending;       /* typed, not yet handed to a write */
  gboolean       writing;
};

G_DEFINE_FINAL_TYPE (DomusSerialTerminal, domus_serial_terminal, VTE_TYPE_TERMINAL)

enum {
  SIGNAL_STREAM_CLOSED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void read_more  (DomusSerialTerminal *self);
static void write_more (DomusSerialTerminal *self);

static void
drop_stream (DomusSerialTerminal *self)
{
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->stream != NULL)
    g_io_stream_close (self->stream, NULL, NULL);
  g_clear_object (&self->stream);
  g_byte_array_set_size (self->pending, 0);
  self->writing = FALSE;
  vte_terminal_set_input_enabled (VTE_TERMINAL (self), FALSE);
}

static void
stream_ended (DomusSerialTerminal *self,
              const GError        *error)
{
  drop_stream (self);
  g_signal_emit (self, signals[SIGNAL_STREAM_CLOSED], 0, error != NULL ? error->message : NULL);
}

/* Each read and write carries the cancellable of its stream: a stream replaced or closed
 * meanwhile cancels them, and their ends are then no news. */
typedef struct {
  DomusSerialTerminal *terminal;
  GCancellable        *cancellable;
  GBytes              *bytes;        /* a write's data, held until it is written */
} StreamOp;

static StreamOp *
stream_op_new (DomusSerialTerminal *self)
{
  StreamOp *op = g_new0 (StreamOp, 1);

  op->terminal = g_object_ref (self);
  op->cancellable = g_object_ref (self->cancellable);
  return op;
}

static void
stream_op_free (StreamOp *op)
{
  g_object_unref (op->terminal);
  g_object_unref (op->cancellable);
  g_clear_pointer (&op->bytes, g_bytes_unref);
  g_free (op);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (StreamOp, stream_op_free)

static gboolean
stream_op_is_current (StreamOp *op)
{
  return op->cancellable == op->terminal->cancellable && !g_cancellable_is_cancelled (op->cancellable);
}

static void
on_read (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(StreamOp) op = user_data;
  DomusSerialTerminal *self = op->terminal;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result, &error);
  gsize size;
  const char *data;

  if (!stream_op_is_current (op))
    return;
  if (bytes == NULL || g_bytes_get_size (bytes) == 0)
    {
      stream_ended (self, error);
      return;
    }
  data = g_bytes_get_data (bytes, &size);
  vte_terminal_feed (VTE_TERMINAL (self), data, (gssize) size);
  read_more (self);
}

static void
read_more (DomusSerialTerminal *self)
{
  GInputStream *input = g_io_stream_get_input_stream (self->stream);

  g_input_stream_read_bytes_async (input, READ_SIZE, G_PRIORITY_DEFAULT, self->cancellable,
                                   on_read, stream_op_new (self));
}

static void
on_written (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(StreamOp) op = user_data;
  DomusSerialTerminal *self = op->terminal;
  g_autoptr(GError) error = NULL;

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, &error))
    {
      if (stream_op_is_current (op))
        stream_ended (self, error);
      return;
    }
  if (!stream_op_is_current (op))
    return;
  self->writing = FALSE;
  write_more (self);
}

/* One write at a time, so keys reach the guest in the order they were typed. */
static void
write_more (DomusSerialTerminal *self)
{
  g_autoptr(GBytes) bytes = NULL;
  StreamOp *op;
  gsize size;
  gconstpointer data;

  if (self->writing || self->stream == NULL || self->pending->len == 0)
    return;
  bytes = g_byte_array_free_to_bytes (g_steal_pointer (&self->pending));
  self->pending = g_byte_array_new ();
  self->writing = TRUE;
  op = stream_op_new (self);
  op->bytes = g_bytes_ref (bytes);
  data = g_bytes_get_data (bytes, &size);
  g_output_stream_write_all_async (g_io_stream_get_output_stream (self->stream), data, size,
                                   G_PRIORITY_DEFAULT, self->cancellable, on_written, op);
}

static void
commit_cb (VteTerminal *terminal,
           const char  *text,
           guint        size,
           gpointer     user_data)
{
  DomusSerialTerminal *self = DOMUS_SERIAL_TERMINAL (terminal);

  if (self->stream == NULL)
    return;
  g_byte_array_append (self->pending, (const guint8 *) text, size);
  write_more (self);
}

/* Ctrl+Shift+C and V copy and paste, as in GNOME Terminal: Ctrl+C itself goes to the guest. */
static gboolean
domus_serial_terminal_key_press_event (GtkWidget   *widget,
                                       GdkEventKey *event)
{
  GdkModifierType modifiers = event->state & gtk_accelerator_get_default_mod_mask ();
  guint keyval = gdk_keyval_to_lower (event->keyval);

  if (modifiers == (GDK_CONTROL_MASK | GDK_SHIFT_MASK) && keyval == GDK_KEY_c)
    {
      vte_terminal_copy_clipboard_format (VTE_TERMINAL (widget), VTE_FORMAT_TEXT);
      return GDK_EVENT_STOP;
    }
  if (modifiers == (GDK_CONTROL_MASK | GDK_SHIFT_MASK) && keyval == GDK_KEY_v)
    {
      vte_terminal_paste_clipboard (VTE_TERMINAL (widget));
      return GDK_EVENT_STOP;
    }
  return GTK_WIDGET_CLASS (domus_serial_terminal_parent_class)->key_press_event (widget, event);
}

static void
domus_serial_terminal_dispose (GObject *object)
{
  DomusSerialTerminal *self = DOMUS_SERIAL_TERMINAL (object);

  if (self->pending != NULL)
    drop_stream (self);
  G_OBJECT_CLASS (domus_serial_terminal_parent_class)->dispose (object);
}

static void
domus_serial_terminal_finalize (GObject *object)
{
  DomusSerialTerminal *self = DOMUS_SERIAL_TERMINAL (object);

  g_clear_pointer (&self->pending, g_byte_array_unref);
  G_OBJECT_CLASS (domus_serial_terminal_parent_class)->finalize (object);
}

static void
domus_serial_terminal_class_init (DomusSerialTerminalClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = domus_serial_terminal_dispose;
  object_class->finalize = domus_serial_terminal_finalize;
  widget_class->key_press_event = domus_serial_terminal_key_press_event;

  signals[SIGNAL_STREAM_CLOSED] =
    g_signal_new ("stream-closed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
domus_serial_terminal_init (DomusSerialTerminal *self)
{
  VteTerminal *terminal = VTE_TERMINAL (self);

  self->pending = g_byte_array_new ();
  vte_terminal_set_scrollback_lines (terminal, DOMUS_SERIAL_TERMINAL_SCROLLBACK);
  vte_terminal_set_scroll_on_output (terminal, TRUE);
  vte_terminal_set_scroll_on_keystroke (terminal, TRUE);
  vte_terminal_set_input_enabled (terminal, FALSE);
  /* A guest's serial output is text as the kernel and getty write it: lines end in CR LF. */
  vte_terminal_set_backspace_binding (terminal, VTE_ERASE_ASCII_DELETE);
  g_signal_connect (self, "commit", G_CALLBACK (commit_cb), NULL);
}

GtkWidget *
domus_serial_terminal_new (void)
{
  return g_object_new (DOMUS_TYPE_SERIAL_TERMINAL, NULL);
}

void
domus_serial_terminal_open_fd (DomusSerialTerminal *self,
                               int                  fd)
{
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GError) error = NULL;

  g_return_if_fail (DOMUS_IS_SERIAL_TERMINAL (self));
  g_return_if_fail (fd >= 0);

  drop_stream (self);
  socket = g_socket_new_from_fd (fd, &error);
  if (socket == NULL)
    {
      close (fd);
      g_signal_emit (self, signals[SIGNAL_STREAM_CLOSED], 0, error->message);
      return;
    }
  self->stream = G_IO_STREAM (g_socket_connection_factory_create_connection (socket));
  self->cancellable = g_cancellable_new ();
  vte_terminal_set_input_enabled (VTE_TERMINAL (self), TRUE);
  read_more (self);
}

void
domus_serial_terminal_close (DomusSerialTerminal *self)
{
  g_return_if_fail (DOMUS_IS_SERIAL_TERMINAL (self));
  drop_stream (self);
}

gboolean
domus_serial_terminal_is_open (DomusSerialTerminal *self)
{
  g_return_val_if_fail (DOMUS_IS_SERIAL_TERMINAL (self), FALSE);
  return self->stream != NULL;
}

void
domus_serial_terminal_type_text (DomusSerialTerminal *self,
                                 const char          *text)
{
  g_autoptr(GString) typed = NULL;

  g_return_if_fail (DOMUS_IS_SERIAL_TERMINAL (self));
  g_return_if_fail (text != NULL);

  if (self->stream == NULL)
    return;
  /* Enter sends a carriage return on a terminal; a CR LF pair is one Enter. */
  typed = g_string_new (text);
  g_string_replace (typed, "\r\n", "\r", 0);
  g_string_replace (typed, "\n", "\r", 0);
  g_byte_array_append (self->pending, (const guint8 *) typed->str, typed->len);
  write_more (self);
}
