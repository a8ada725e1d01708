/* SPDX-License-Identifier: GPL-3.0-or-later */
/* One JSON value per line over a GIOStream: the framing that domusd, its clients and QMP share. */

#include "config.h"

#include <inttypes.h>
#include <math.h>
#include <string.h>
#include <glib/gi18n-lib.h>

#include "domus-json-stream.h"

/* The read buffer starts small, doubles up to the line limit and shrinks back after a big line. */
#define READ_BUFFER_SIZE  (16 * 1024)

G_DEFINE_QUARK (domus-json-stream-error-quark, domus_json_stream_error)

struct _DomusJsonStream
{
  GObject               parent_instance;

  GIOStream            *stream;
  GBufferedInputStream *input;
  GOutputStream        *output;
  GCancellable         *cancellable;     /* cancelled at close: stops our own I/O */
  GMainContext         *context;         /* the caller's of _start: where our sources run */
  GSource              *hangup_source;   /* after the end of input, while held: the peer left? */
  gsize                 max_line_size;
  gsize                 max_queued_output;

  GQueue                out_queue;       /* GBytes, each one line with its newline */
  gsize                 out_bytes;
  guint                 holds;           /* domus_json_stream_hold() not yet released */

  guint                 started : 1;
  guint                 reading : 1;     /* a fill is in flight */
  guint                 writing : 1;     /* a write is in flight */
  guint                 discarding : 1;  /* inside an oversized line, skipping to its end */
  guint                 input_done : 1;
  guint                 close_when_flushed : 1;
  guint                 closed : 1;
  guint                 stream_closing : 1;
  guint                 exact : 1;       /* refuse what json-glib would change */
};

G_DEFINE_FINAL_TYPE (DomusJsonStream, domus_json_stream, G_TYPE_OBJECT)

enum {
  SIGNAL_MESSAGE,
  SIGNAL_BAD_LINE,
  SIGNAL_CLOSED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void stream_read_more      (DomusJsonStream *self);
static void stream_take_last_line (DomusJsonStream *self);
static void stream_flush          (DomusJsonStream *self);

static void
stream_stop_hangup_watch (DomusJsonStream *self)
{
  if (self->hangup_source == NULL)
    return;
  g_source_destroy (self->hangup_source);
  g_clear_pointer (&self->hangup_source, g_source_unref);
}

/* Closing */

static void
on_stream_closed (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(DomusJsonStream) self = user_data;

  /* Nothing to do about a failing close: the descriptor is gone either way. */
  g_io_stream_close_finish (G_IO_STREAM (source), result, NULL);
}

/* A stream cannot close while an operation on it is in flight: wait for both to end. */
static void
stream_maybe_close_stream (DomusJsonStream *self)
{
  if (!self->closed || self->reading || self->writing || self->stream_closing)
    return;
  self->stream_closing = TRUE;
  g_io_stream_close_async (self->stream, G_PRIORITY_DEFAULT, NULL,
                           on_stream_closed, g_object_ref (self));
}

/* reason: NULL for a clean end. */
static void
stream_close_with_error (DomusJsonStream *self,
                         const GError    *reason)
{
  g_autoptr(DomusJsonStream) hold = NULL;

  if (self->closed)
    return;

  hold = g_object_ref (self);
  self->closed = TRUE;
  g_cancellable_cancel (self->cancellable);
  stream_stop_hangup_watch (self);
  g_queue_clear_full (&self->out_queue, (GDestroyNotify) g_bytes_unref);
  self->out_bytes = 0;
  g_signal_emit (self, signals[SIGNAL_CLOSED], 0, reason);
  stream_maybe_close_stream (self);
}

static void
stream_close_with_io_error (DomusJsonStream *self,
                            const GError    *error)
{
  g_autoptr(GError) reason = g_error_new_literal (DOMUS_JSON_STREAM_ERROR,
                                                  DOMUS_JSON_STREAM_ERROR_IO,
                                                  error->message);

  stream_close_with_error (self, reason);
}

/* Ends the stream once nothing more can go out: all written, and nobody will add to it. */
static void
stream_maybe_finish (DomusJsonStream *self)
{
  if (self->closed || self->writing || !g_queue_is_empty (&self->out_queue))
    return;
  if (self->close_when_flushed || (self->input_done && self->holds == 0))
    stream_close_with_error (self, NULL);
}

static gboolean
on_hangup (GSocket      *socket,
           GIOCondition  condition,
           gpointer      user_data)
{
  DomusJsonStream *self = user_data;

  g_clear_pointer (&self->hangup_source, g_source_unref);
  stream_close_with_error (self, NULL);
  return G_SOURCE_REMOVE;
}

/*
 * The end of input alone does not say whether the peer still reads: it may have shut
 * down writing only (and waits for its answers) or closed the connection. A Unix socket
 * tells the two apart by the hang-up, which only the second gives: a peer that left is
 * not waited for, so its descriptor is freed at once and late answers go nowhere.
 */
static void
stream_watch_hangup (DomusJsonStream *self)
{
  GSocket *socket;

  if (self->closed || self->hangup_source != NULL || !G_IS_SOCKET_CONNECTION (self->stream))
    return;
  socket = g_socket_connection_get_socket (G_SOCKET_CONNECTION (self->stream));
  if (g_socket_condition_check (socket, G_IO_HUP | G_IO_ERR) != 0)
    {
      stream_close_with_error (self, NULL);
      return;
    }
  self->hangup_source = g_socket_create_source (socket, G_IO_HUP | G_IO_ERR, NULL);
  g_source_set_callback (self->hangup_source, G_SOURCE_FUNC (on_hangup), self, NULL);
  g_source_attach (self->hangup_source, self->context);
}

void
domus_json_stream_close (DomusJsonStream *self)
{
  g_return_if_fail (DOMUS_IS_JSON_STREAM (self));
  stream_close_with_error (self, NULL);
}

void
domus_json_stream_close_when_flushed (DomusJsonStream *self)
{
  g_return_if_fail (DOMUS_IS_JSON_STREAM (self));

  self->close_when_flushed = TRUE;
  stream_maybe_finish (self);
}

void
domus_json_stream_hold (DomusJsonStream *self)
{
  g_return_if_fail (DOMUS_IS_JSON_STREAM (self));
  self->holds++;
}

void
domus_json_stream_release (DomusJsonStream *self)
{
  g_return_if_fail (DOMUS_IS_JSON_STREAM (self));
  g_return_if_fail (self->holds > 0);

  self->holds--;
  stream_maybe_finish (self);
}

/* Writing */

static void
on_written (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(DomusJsonStream) self = user_data;
  g_autoptr(GError) error = NULL;

  self->writing = FALSE;
  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, &error))
    {
      if (!self->closed)
        stream_close_with_io_error (self, error);
      stream_maybe_close_stream (self);
      return;
    }
  if (self->closed)
    {
      stream_maybe_close_stream (self);
      return;
    }

  self->out_bytes -= g_bytes_get_size (g_queue_peek_head (&self->out_queue));
  g_bytes_unref (g_queue_pop_head (&self->out_queue));
  stream_flush (self);
  stream_maybe_finish (self);
}

/* Writes the queue one line at a time: a GOutputStream takes one operation at once. */
static void
stream_flush (DomusJsonStream *self)
{
  GBytes *bytes;

  if (self->closed || self->writing)
    return;
  bytes = g_queue_peek_head (&self->out_queue);
  if (bytes == NULL)
    return;

  self->writing = TRUE;
  g_output_stream_write_all_async (self->output,
                                   g_bytes_get_data (bytes, NULL),
                                   g_bytes_get_size (bytes),
                                   G_PRIORITY_DEFAULT, self->cancellable,
                                   on_written, g_object_ref (self));
}

/*
 * json-glib 1.6 writes a double as "%.17g" and adds ".0" when it sees no '.': after an
 * exponent too, so 1e20 goes out as "1e+20.0", which no JSON reader takes. Such a ".0"
 * (outside strings) is dropped here.
 */
static void
drop_dot_zero_after_exponent (char  *text,
                              gsize *length)
{
  gboolean in_string = FALSE;
  gsize out = 0;
  gsize i = 0;

  /* out never passes i: the text is rewritten in place, text[out - 1] is the last kept byte. */
  while (i < *length)
    {
      char c = text[i];

      if (in_string)
        {
          text[out++] = text[i++];
          if (c == '\\' && i < *length)
            text[out++] = text[i++];
          else if (c == '"')
            in_string = FALSE;
          continue;
        }
      if ((c == 'e' || c == 'E') && out > 0 && g_ascii_isdigit (text[out - 1]))
        {
          gsize end = i + 1;

          if (end < *length && (text[end] == '+' || text[end] == '-'))
            end++;
          while (end < *length && g_ascii_isdigit (text[end]))
            end++;
          while (i < end)
            text[out++] = text[i++];
          if (i + 1 < *length && text[i] == '.' && text[i + 1] == '0' &&
              !(i + 2 < *length && g_ascii_isdigit (text[i + 2])))
            i += 2;
          continue;
        }
      if (c == '"')
        in_string = TRUE;
      text[out++] = text[i++];
    }
  *length = out;
  text[out] = '\0';
}

void
domus_json_stream_send (DomusJsonStream *self,
                        JsonNode        *value)
{
  g_autoptr(JsonGenerator) generator = NULL;
  g_autofree char *text = NULL;
  gsize length;

  g_return_if_fail (DOMUS_IS_JSON_STREAM (self));
  g_return_if_fail (value != NULL);

  if (self->closed)
    return;

  /* Compact output escapes every newline inside strings: one value, one line. */
  generator = json_generator_new ();
  json_generator_set_root (generator, value);
  text = json_generator_to_data (generator, &length);
  drop_dot_zero_after_exponent (text, &length);
  /*
   * JSON is UTF-8, but json-glib writes a string's bytes as they are: one byte of a
   * multibyte character in a message would make the whole line unreadable to the peer,
   * which then drops the connection. Such bytes become U+FFFD; the line's structure
   * (all ASCII) is untouched.
   */
  if (!g_utf8_validate_len (text, length, NULL))
    {
      g_autofree char *invalid = g_steal_pointer (&text);

      text = g_utf8_make_valid (invalid, length);
      length = strlen (text);
    }
  text = g_realloc (text, length + 2);
  text[length++] = '\n';
  text[length] = '\0';

  if (self->out_bytes + length > self->max_queued_output)
    {
      g_autoptr(GError) error = NULL;

      error = g_error_new (DOMUS_JSON_STREAM_ERROR, DOMUS_JSON_STREAM_ERROR_OVERFLOW,
                           _("The other side does not read: more than %" PRIu64 " bytes are waiting for it."),
                           (guint64) self->max_queued_output);
      stream_close_with_error (self, error);
      return;
    }
  self->out_bytes += length;
  g_queue_push_tail (&self->out_queue, g_bytes_new_take (g_steal_pointer (&text), length));
  stream_flush (self);
}

/* Reading */

/*
 * What json-glib would make of a number token. A number beyond the range of a double it
 * makes infinite, and then writes "inf", which no JSON reader takes back: refused on every
 * stream. An integer beyond 64 bits it wraps (2^64 - 1 becomes -1): an exact stream reads
 * it as the double it is close to instead (*as_double), which an owner expecting an integer
 * refuses as the wrong type, while everything else in the line stays readable.
 */
static gboolean
stream_check_number (DomusJsonStream  *self,
                     const char       *token,
                     gsize             length,
                     gboolean         *as_double,
                     GError          **error)
{
  g_autofree char *text = g_strndup (token, MIN (length, 400));
  g_autoptr(GError) parse_error = NULL;

  *as_double = FALSE;
  if (strpbrk (text, ".eE") != NULL)
    {
      if (!isinf (g_ascii_strtod (text, NULL)))
        return TRUE;
      g_set_error (error, DOMUS_JSON_STREAM_ERROR, DOMUS_JSON_STREAM_ERROR_INEXACT,
                   _("The number %.40s is outside the range of a double."), text);
      return FALSE;
    }
  if (!self->exact)
    return TRUE;
  g_ascii_string_to_signed (text, 10, G_MININT64, G_MAXINT64, NULL, &parse_error);
  /* Anything else that is wrong with it is the parser's to say. */
  *as_double = g_error_matches (parse_error, G_NUMBER_PARSER_ERROR, G_NUMBER_PARSER_ERROR_OUT_OF_BOUNDS);
  return TRUE;
}

/* What escaped_unit() says of an escape that is not a whole "\\uXXXX". */
enum {
  ESCAPE_OTHER     = -1,   /* \" \\ \/ \b \f \n \r \t, or a backslash that ends the line */
  ESCAPE_MALFORMED = -2,   /* a \u without four hex digits */
  ESCAPE_UNKNOWN   = -3,   /* one JSON does not have: json-glib 1.6 reads \600 as the byte 0x80 */
};

/* The UTF-16 unit of the "\\uXXXX" escape at text (a backslash), or ESCAPE_OTHER or ESCAPE_MALFORMED. */
static gint
escaped_unit (const char *text,
              gsize       available)
{
  gint unit = 0;

  if (available < 2)
    return ESCAPE_OTHER;
  if (text[1] != 'u')
    return text[1] != '\0' && strchr ("\"\\/bfnrt", text[1]) != NULL ? ESCAPE_OTHER : ESCAPE_UNKNOWN;
  if (available < 6)
    return ESCAPE_MALFORMED;
  for (guint k = 2; k < 6; k++)
    {
      gint digit = g_ascii_xdigit_value (text[k]);

      if (digit < 0)
        return ESCAPE_MALFORMED;
      unit = unit * 16 + digit;
    }
  return unit;
}

/*
 * One pass over the line before json-glib sees it: how deep it nests (outside strings,
 * where brackets count) and what the parser would change (stream_check_number; a lone
 * low surrogate escape, a \\u without four hex digits or an escape JSON does not have, which
 * json-glib 1.6 reads into bytes that are not UTF-8; for exact
 * streams also a NUL in a string). A line that is not JSON at all passes: the parser says
 * what is wrong with it. *rewritten (NULL when the line is fine as it is) is the line with
 * each integer beyond 64 bits written as a double.
 */
static gboolean
stream_check_line (DomusJsonStream  *self,
                   const char       *line,
                   gsize             length,
                   GString         **rewritten,
                   GError          **error)
{
  g_autoptr(GString) copy = NULL;
  gsize copied = 0;
  guint depth = 0;
  gboolean in_string = FALSE;
  gboolean after_high_surrogate = FALSE;

  for (gsize i = 0; i < length; i++)
    {
      char c = line[i];

      if (c == '\0' && self->exact)
        {
          g_set_error (error, DOMUS_JSON_STREAM_ERROR, DOMUS_JSON_STREAM_ERROR_INEXACT,
                       _("The line holds a NUL byte."));
          return FALSE;
        }
      if (in_string)
        {
          if (c == '\\')
            {
              gint unit = escaped_unit (line + i, length - i);

              /* json-glib 1.6 reads more than JSON: a \u stops at the first other character. */
              if (unit == ESCAPE_MALFORMED)
                {
                  g_set_error (error, DOMUS_JSON_STREAM_ERROR, DOMUS_JSON_STREAM_ERROR_PARSE,
                               _("A string holds a \\u escape without four hex digits."));
                  return FALSE;
                }
              if (unit == ESCAPE_UNKNOWN)
                {
                  g_set_error (error, DOMUS_JSON_STREAM_ERROR, DOMUS_JSON_STREAM_ERROR_PARSE,
                               _("A string holds an escape JSON does not have (a backslash before byte 0x%02X)."),
                               (guint) (guchar) line[i + 1]);
                  return FALSE;
                }
              if (unit == 0 && self->exact)
                {
                  g_set_error (error, DOMUS_JSON_STREAM_ERROR, DOMUS_JSON_STREAM_ERROR_INEXACT,
                               _("A string holds a NUL character (\\u0000)."));
                  return FALSE;
                }
              if (unit >= 0xDC00 && unit <= 0xDFFF && !after_high_surrogate)
                {
                  g_set_error (error, DOMUS_JSON_STREAM_ERROR, DOMUS_JSON_STREAM_ERROR_INEXACT,
                               _("A string holds a lone UTF-16 surrogate (\\u%04X)."), (guint) unit);
                  return FALSE;
                }
              after_high_surrogate = unit >= 0xD800 && unit <= 0xDBFF;
              i += unit >= 0 ? 5 : 1;    /* the escaped character, a quote or a backslash included */
            }
          else
            {
              after_high_surrogate = FALSE;
              if (c == '"')
                in_string = FALSE;
            }
          continue;
        }

      /*
       * Between strings JSON has only these bytes; json-glib 1.6 also takes comments, 'single
       * quoted' strings and 0x numbers, in which the counting above would lose its place.
       */
      if (c == '\0' || strchr (" \t\r\n[]{}:,\"-+.0123456789eEtruefalsn", c) == NULL)
        {
          g_set_error (error, DOMUS_JSON_STREAM_ERROR, DOMUS_JSON_STREAM_ERROR_PARSE,
                       _("Byte %" PRIu64 " (0x%02X) is not JSON: only whitespace, brackets, “:”, “,”, strings, numbers, true, false and null stand between strings."),
                       (guint64) i + 1, (guint) (guchar) c);
          return FALSE;
        }
      if (c == '"')
        in_string = TRUE;
      else if (c == '[' || c == '{')
        {
          if (++depth > DOMUS_JSON_STREAM_MAX_DEPTH)
            {
              g_set_error (error, DOMUS_JSON_STREAM_ERROR, DOMUS_JSON_STREAM_ERROR_TOO_DEEP,
                           _("The line nests arrays and objects deeper than %d levels."),
                           DOMUS_JSON_STREAM_MAX_DEPTH);
              return FALSE;
            }
        }
      else if ((c == ']' || c == '}') && depth > 0)
        depth--;
      else if (c == '-' || g_ascii_isdigit (c))
        {
          gsize end = i + 1;
          gboolean as_double;

          while (end < length && line[end] != '\0' &&
                 (g_ascii_isdigit (line[end]) || strchr ("+-.eE", line[end]) != NULL))
            end++;
          if (!stream_check_number (self, line + i, end - i, &as_double, error))
            return FALSE;
          if (as_double)
            {
              if (copy == NULL)
                copy = g_string_sized_new (length + 16);
              g_string_append_len (copy, line + copied, end - copied);
              g_string_append (copy, ".0");
              copied = end;
            }
          i = end - 1;
        }
    }
  if (copy != NULL)
    g_string_append_len (copy, line + copied, length - copied);
  *rewritten = g_steal_pointer (&copy);
  return TRUE;
}

static void
stream_handle_line (DomusJsonStream *self,
                    const char      *line,
                    gsize            length)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) rewritten = NULL;
  JsonNode *root;

  /* "\r\n" endings (QMP) and blank lines (keep-alives from a person typing into socat). */
  while (length > 0 && g_ascii_isspace (line[length - 1]))
    length--;
  if (length == 0)
    return;

  if (!stream_check_line (self, line, length, &rewritten, &error))
    {
      g_signal_emit (self, signals[SIGNAL_BAD_LINE], 0, error);
      return;
    }
  if (rewritten != NULL)
    {
      line = rewritten->str;
      length = rewritten->len;
    }

  parser = json_parser_new_immutable ();
  if (!json_parser_load_from_data (parser, line, length, &error))
    {
      g_autoptr(GError) bad_line = NULL;

      /* The parser's own words: owners put them in messages of their own. */
      bad_line = g_error_new_literal (DOMUS_JSON_STREAM_ERROR, DOMUS_JSON_STREAM_ERROR_PARSE,
                                      error->message);
      g_signal_emit (self, signals[SIGNAL_BAD_LINE], 0, bad_line);
      return;
    }

  root = json_parser_get_root (parser);
  if (root != NULL)
    g_signal_emit (self, signals[SIGNAL_MESSAGE], 0, root);
}

static void
stream_report_too_large (DomusJsonStream *self)
{
  g_autoptr(GError) error = NULL;

  error = g_error_new (DOMUS_JSON_STREAM_ERROR, DOMUS_JSON_STREAM_ERROR_TOO_LARGE,
                       _("A line longer than %" PRIu64 " bytes was ignored."),
                       (guint64) self->max_line_size);
  g_signal_emit (self, signals[SIGNAL_BAD_LINE], 0, error);
}

static void
on_filled (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(DomusJsonStream) self = user_data;
  g_autoptr(GError) error = NULL;
  gssize n_read;

  self->reading = FALSE;
  n_read = g_buffered_input_stream_fill_finish (G_BUFFERED_INPUT_STREAM (source), result, &error);

  if (self->closed)
    stream_maybe_close_stream (self);
  else if (n_read < 0)
    stream_close_with_io_error (self, error);
  else if (n_read == 0)
    {
      /* The peer is done sending; what it sent last without a newline still counts. */
      self->input_done = TRUE;
      stream_take_last_line (self);
      stream_maybe_finish (self);
      if (self->holds > 0)
        stream_watch_hangup (self);
    }
  else
    stream_read_more (self);
}

static void
stream_shrink_buffer (DomusJsonStream *self)
{
  gsize available;

  if (g_buffered_input_stream_get_buffer_size (self->input) <= READ_BUFFER_SIZE)
    return;
  g_buffered_input_stream_peek_buffer (self->input, &available);
  if (available < READ_BUFFER_SIZE)
    g_buffered_input_stream_set_buffer_size (self->input, READ_BUFFER_SIZE);
}

/*
 * The line that starts the buffer, length bytes without its newline, consumed bytes
 * with it. Taken out of the buffer before anyone hears of it: a handler may close us.
 */
static void
stream_take_line (DomusJsonStream *self,
                  const char      *data,
                  gsize            length,
                  gsize            consumed)
{
  gboolean too_large;
  g_autofree char *line = NULL;

  if (length > 0 && data[length - 1] == '\r')
    length--;
  too_large = self->discarding || length > self->max_line_size;
  if (!too_large)
    {
      /* A copy of the bytes as they are: a zero byte in them is for the checks to see. */
      line = g_malloc (length + 1);
      memcpy (line, data, length);
      line[length] = '\0';
    }
  g_input_stream_skip (G_INPUT_STREAM (self->input), consumed, NULL, NULL);
  self->discarding = FALSE;
  stream_shrink_buffer (self);

  if (too_large)
    stream_report_too_large (self);
  else
    stream_handle_line (self, line, length);
}

/* At the end of input: a last line that the peer did not end with a newline. */
static void
stream_take_last_line (DomusJsonStream *self)
{
  const char *data;
  gsize available;

  data = g_buffered_input_stream_peek_buffer (self->input, &available);
  if (available == 0 || self->closed)
    return;
  stream_take_line (self, data, available, available);
}

/*
 * GDataInputStream's read_line_async grows its buffer without limit to hold a line,
 * so a peer could make us allocate anything. Instead: look for a newline in what is
 * buffered, take complete lines (which never blocks: the data is there), grow the
 * buffer up to the limit, and fill it asynchronously.
 */
static void
stream_read_more (DomusJsonStream *self)
{
  g_autoptr(DomusJsonStream) hold = g_object_ref (self);
  /* A line of the limit may end in "\r\n". */
  gsize max_buffer_size = self->max_line_size + 2;

  while (!self->closed)
    {
      const char *data;
      const char *newline;
      gsize available;
      gsize buffer_size;

      data = g_buffered_input_stream_peek_buffer (self->input, &available);
      newline = memchr (data, '\n', available);
      buffer_size = g_buffered_input_stream_get_buffer_size (self->input);

      if (newline != NULL)
        stream_take_line (self, data, newline - data, newline - data + 1);
      else if (self->discarding || available >= max_buffer_size)
        {
          self->discarding = TRUE;
          g_input_stream_skip (G_INPUT_STREAM (self->input), available, NULL, NULL);
          stream_shrink_buffer (self);
          break;
        }
      else
        {
          if (available == buffer_size)
            g_buffered_input_stream_set_buffer_size (self->input,
                                                     MIN (buffer_size * 2, max_buffer_size));
          break;
        }
    }

  if (self->closed || self->input_done || self->reading)
    return;
  self->reading = TRUE;
  g_buffered_input_stream_fill_async (self->input, -1, G_PRIORITY_DEFAULT, self->cancellable,
                                      on_filled, g_object_ref (self));
}

void
domus_json_stream_set_exact (DomusJsonStream *self,
                             gboolean         exact)
{
  g_return_if_fail (DOMUS_IS_JSON_STREAM (self));
  self->exact = exact != FALSE;
}

void
domus_json_stream_start (DomusJsonStream *self)
{
  g_return_if_fail (DOMUS_IS_JSON_STREAM (self));

  if (self->started || self->closed)
    return;
  self->started = TRUE;
  self->context = g_main_context_ref_thread_default ();
  stream_read_more (self);
}

/* Accessors */

GIOStream *
domus_json_stream_get_stream (DomusJsonStream *self)
{
  g_return_val_if_fail (DOMUS_IS_JSON_STREAM (self), NULL);
  return self->stream;
}

gboolean
domus_json_stream_is_closed (DomusJsonStream *self)
{
  g_return_val_if_fail (DOMUS_IS_JSON_STREAM (self), TRUE);
  return self->closed;
}

gboolean
domus_json_stream_is_input_done (DomusJsonStream *self)
{
  g_return_val_if_fail (DOMUS_IS_JSON_STREAM (self), TRUE);
  return self->input_done;
}

gsize
domus_json_stream_get_queued_bytes (DomusJsonStream *self)
{
  g_return_val_if_fail (DOMUS_IS_JSON_STREAM (self), 0);
  return self->out_bytes;
}

/* Object */

static void
domus_json_stream_dispose (GObject *object)
{
  DomusJsonStream *self = DOMUS_JSON_STREAM (object);

  /* Nothing in flight holds a reference any more: this is the end, and nobody is listening. */
  stream_stop_hangup_watch (self);
  if (!self->closed && self->stream != NULL)
    {
      self->closed = TRUE;
      g_cancellable_cancel (self->cancellable);
      g_io_stream_close (self->stream, NULL, NULL);
    }
  G_OBJECT_CLASS (domus_json_stream_parent_class)->dispose (object);
}

static void
domus_json_stream_finalize (GObject *object)
{
  DomusJsonStream *self = DOMUS_JSON_STREAM (object);

  g_queue_clear_full (&self->out_queue, (GDestroyNotify) g_bytes_unref);
  g_clear_object (&self->input);
  g_clear_object (&self->stream);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->context, g_main_context_unref);
  G_OBJECT_CLASS (domus_json_stream_parent_class)->finalize (object);
}

static void
domus_json_stream_class_init (DomusJsonStreamClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = domus_json_stream_dispose;
  object_class->finalize = domus_json_stream_finalize;

  /**
   * DomusJsonStream::message:
   * @value: the value one line held
   */
  signals[SIGNAL_MESSAGE] =
    g_signal_new ("message", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, JSON_TYPE_NODE);
  /**
   * DomusJsonStream::bad-line:
   * @error: DOMUS_JSON_STREAM_ERROR_PARSE (the message is the parser's), _TOO_LARGE,
   *   _TOO_DEEP or _INEXACT
   */
  signals[SIGNAL_BAD_LINE] =
    g_signal_new ("bad-line", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
  /**
   * DomusJsonStream::closed:
   * @error: (nullable): NULL for a clean end, else _IO or _OVERFLOW
   */
  signals[SIGNAL_CLOSED] =
    g_signal_new ("closed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
}

static void
domus_json_stream_init (DomusJsonStream *self)
{
  self->cancellable = g_cancellable_new ();
  g_queue_init (&self->out_queue);
}

DomusJsonStream *
domus_json_stream_new (GIOStream *stream,
                       gsize      max_line_size,
                       gsize      max_queued_output)
{
  DomusJsonStream *self;

  g_return_val_if_fail (G_IS_IO_STREAM (stream), NULL);
  g_return_val_if_fail (max_line_size > 0, NULL);
  g_return_val_if_fail (max_queued_output > 0, NULL);

  self = g_object_new (DOMUS_TYPE_JSON_STREAM, NULL);
  self->stream = g_object_ref (stream);
  self->max_line_size = max_line_size;
  self->max_queued_output = max_queued_output;
  self->input = G_BUFFERED_INPUT_STREAM (
    g_buffered_input_stream_new_sized (g_io_stream_get_input_stream (stream), READ_BUFFER_SIZE));
  /* The stream is closed as a whole, by stream_maybe_close_stream(). */
  g_filter_input_stream_set_close_base_stream (G_FILTER_INPUT_STREAM (self->input), FALSE);
  self->output = g_io_stream_get_output_stream (stream);
  return self;
}
