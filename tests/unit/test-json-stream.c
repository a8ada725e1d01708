/* SPDX-License-Identifier: GPL-3.0-or-later */
/* DomusJsonStream over a socketpair: framing, bad lines, end of input, overflow, flushing. */

#include "config.h"

#include <string.h>
#include <gio/gio.h>

#include "domus-json-stream.h"
#include "test-util.h"

#define SMALL_LINE_LIMIT   64

/* What one stream delivered, in order. */
typedef struct {
  GPtrArray *messages;     /* compact JSON text of each "message" */
  GPtrArray *bad_lines;    /* GError */
  gboolean   closed;
  guint      n_closed;
  GError    *closed_error;
  gboolean   hold_on_message;
} Events;

static void
on_message (DomusJsonStream *stream,
            JsonNode        *value,
            Events          *events)
{
  g_ptr_array_add (events->messages, json_to_string (value, FALSE));
  if (events->hold_on_message)
    domus_json_stream_hold (stream);
}

static void
on_bad_line (DomusJsonStream *stream,
             const GError    *error,
             Events          *events)
{
  g_ptr_array_add (events->bad_lines, g_error_copy (error));
}

static void
on_closed (DomusJsonStream *stream,
           const GError    *error,
           Events          *events)
{
  events->closed = TRUE;
  events->n_closed++;
  events->closed_error = error != NULL ? g_error_copy (error) : NULL;
}

static void
events_init (Events *events)
{
  memset (events, 0, sizeof *events);
  events->messages = g_ptr_array_new_with_free_func (g_free);
  events->bad_lines = g_ptr_array_new_with_free_func ((GDestroyNotify) g_error_free);
}

static void
events_clear (Events *events)
{
  g_clear_pointer (&events->messages, g_ptr_array_unref);
  g_clear_pointer (&events->bad_lines, g_ptr_array_unref);
  g_clear_error (&events->closed_error);
}

static DomusJsonStream *
stream_new_watched (GIOStream *io,
                    gsize      max_line_size,
                    gsize      max_queued_output,
                    Events    *events)
{
  DomusJsonStream *stream = domus_json_stream_new (io, max_line_size, max_queued_output);

  g_signal_connect (stream, "message", G_CALLBACK (on_message), events);
  g_signal_connect (stream, "bad-line", G_CALLBACK (on_bad_line), events);
  g_signal_connect (stream, "closed", G_CALLBACK (on_closed), events);
  domus_json_stream_start (stream);
  return stream;
}

/* A watched stream (events initialised here) on one end of a new socketpair; *far is the
 * other end, for the test to play the peer. */
static DomusJsonStream *
stream_new_with_peer (gsize       max_line_size,
                      gsize       max_queued_output,
                      Events     *events,
                      GIOStream **far)
{
  g_autoptr(GIOStream) io = NULL;

  events_init (events);
  test_stream_pair (&io, far);
  return stream_new_watched (io, max_line_size, max_queued_output, events);
}

static void
shutdown_write (GIOStream *io)
{
  g_autoptr(GError) error = NULL;
  GSocket *socket = g_socket_connection_get_socket (G_SOCKET_CONNECTION (io));

  g_socket_shutdown (socket, FALSE, TRUE, &error);
  g_assert_no_error (error);
}

static void
on_raw_written (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GIOStream) io = user_data;
  g_autoptr(GError) error = NULL;

  g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, &error);
  g_assert_no_error (error);
  shutdown_write (io);
}

/*
 * Writes raw bytes to the far end, as a peer with its own idea of framing would, then
 * ends its output. Asynchronous: more than the socket holds waits for the stream to read.
 */
static void
write_raw_and_end (GIOStream  *io,
                   const char *data,
                   gsize       length)
{
  g_autoptr(GBytes) bytes = g_bytes_new (data, length);
  gsize size;
  const char *copy = g_bytes_get_data (bytes, &size);

  /* The copy lives as long as the write: it is attached to the stream. */
  g_object_set_data_full (G_OBJECT (io), "raw-bytes", g_bytes_ref (bytes),
                          (GDestroyNotify) g_bytes_unref);
  g_output_stream_write_all_async (g_io_stream_get_output_stream (io), copy, size,
                                   G_PRIORITY_DEFAULT, NULL, on_raw_written, g_object_ref (io));
}

static void
test_both_ways (void)
{
  g_autoptr(GIOStream) io_a = NULL;
  g_autoptr(GIOStream) io_b = NULL;
  g_autoptr(DomusJsonStream) a = NULL;
  g_autoptr(DomusJsonStream) b = NULL;
  g_autoptr(JsonNode) object = test_parse_json ("{\"text\": \"two\\nlines\", \"n\": 1}");
  g_autoptr(JsonNode) array = test_parse_json ("[1, \"x\", null]");
  g_autoptr(JsonNode) number = test_parse_json ("42");
  Events events_a;
  Events events_b;

  events_init (&events_a);
  events_init (&events_b);
  test_stream_pair (&io_a, &io_b);
  a = stream_new_watched (io_a, 1024, 1024 * 1024, &events_a);
  b = stream_new_watched (io_b, 1024, 1024 * 1024, &events_b);
  g_assert_true (domus_json_stream_get_stream (a) == io_a);

  domus_json_stream_send (a, object);
  domus_json_stream_send (a, number);
  domus_json_stream_send (b, array);
  g_assert_cmpuint (domus_json_stream_get_queued_bytes (a), >, 0);

  while (events_b.messages->len < 2 || events_a.messages->len < 1)
    g_main_context_iteration (NULL, TRUE);

  /* A newline inside a string stays escaped: one value, one line. */
  g_assert_cmpstr (g_ptr_array_index (events_b.messages, 0), ==, "{\"text\":\"two\\nlines\",\"n\":1}");
  g_assert_cmpstr (g_ptr_array_index (events_b.messages, 1), ==, "42");
  g_assert_cmpstr (g_ptr_array_index (events_a.messages, 0), ==, "[1,\"x\",null]");
  g_assert_cmpuint (events_a.bad_lines->len, ==, 0);
  g_assert_cmpuint (events_b.bad_lines->len, ==, 0);
  g_assert_cmpuint (domus_json_stream_get_queued_bytes (a), ==, 0);
  g_assert_false (events_a.closed);
  g_assert_false (events_b.closed);

  domus_json_stream_close (a);
  test_wait_until (&events_b.closed);
  g_assert_no_error (events_b.closed_error);

  events_clear (&events_a);
  events_clear (&events_b);
}

/* "\r\n", blank lines and a bad line among good ones, then the end of input. */
static void
test_lines (void)
{
  g_autoptr(GIOStream) far = NULL;
  g_autoptr(DomusJsonStream) stream = NULL;
  const char *text = "{\"a\": 1}\r\n\n   \r\n\tnot json\n{\"b\": 2}\n{\"half\": ";
  const GError *bad;
  Events events;

  stream = stream_new_with_peer (1024, 1024, &events, &far);

  write_raw_and_end (far, text, strlen (text));
  test_wait_until (&events.closed);

  g_assert_cmpuint (events.messages->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (events.messages, 0), ==, "{\"a\":1}");
  g_assert_cmpstr (g_ptr_array_index (events.messages, 1), ==, "{\"b\":2}");
  /* The last line, without its newline, counts too: here it is not JSON. */
  g_assert_cmpuint (events.bad_lines->len, ==, 2);
  for (guint i = 0; i < events.bad_lines->len; i++)
    {
      bad = g_ptr_array_index (events.bad_lines, i);
      g_assert_error (bad, DOMUS_JSON_STREAM_ERROR, DOMUS_JSON_STREAM_ERROR_PARSE);
    }
  /* The end is a clean one. */
  g_assert_no_error (events.closed_error);
  g_assert_cmpuint (events.n_closed, ==, 1);
  g_assert_true (domus_json_stream_is_closed (stream));
  g_assert_true (domus_json_stream_is_input_done (stream));

  events_clear (&events);
}

/* A line of the limit passes; longer ones, whole or in pieces, are skipped. */
static void
test_too_large (void)
{
  g_autoptr(GIOStream) far = NULL;
  g_autoptr(DomusJsonStream) stream = NULL;
  g_autoptr(GString) text = g_string_new (NULL);
  g_autofree char *at_limit = NULL;
  g_autofree char *over_limit = NULL;
  g_autofree char *huge = NULL;
  g_autofree char *xs = g_strnfill (SMALL_LINE_LIMIT - 2, 'x');
  g_autofree char *ys = g_strnfill (SMALL_LINE_LIMIT - 1, 'y');
  Events events;

  /* A JSON string of exactly SMALL_LINE_LIMIT bytes, quotes included. */
  at_limit = g_strdup_printf ("\"%s\"", xs);
  g_assert_cmpuint (strlen (at_limit), ==, SMALL_LINE_LIMIT);
  over_limit = g_strdup_printf ("\"%s\"", ys);
  /* Far more than the read buffer: it arrives over several reads. */
  huge = g_strnfill (300 * 1024, ' ');
  huge[0] = '[';

  g_string_append_printf (text, "%s\r\n", at_limit);
  g_string_append_printf (text, "%s\n", over_limit);
  g_string_append (text, "{\"after\": 1}\n");
  g_string_append_printf (text, "%s\n", huge);
  g_string_append (text, "{\"after\": 2}\n");

  stream = stream_new_with_peer (SMALL_LINE_LIMIT, 1024, &events, &far);

  write_raw_and_end (far, text->str, text->len);
  test_wait_until (&events.closed);

  g_assert_cmpuint (events.messages->len, ==, 3);
  g_assert_cmpstr (g_ptr_array_index (events.messages, 0), ==, at_limit);
  g_assert_cmpstr (g_ptr_array_index (events.messages, 1), ==, "{\"after\":1}");
  g_assert_cmpstr (g_ptr_array_index (events.messages, 2), ==, "{\"after\":2}");
  g_assert_cmpuint (events.bad_lines->len, ==, 2);
  for (guint i = 0; i < events.bad_lines->len; i++)
    g_assert_error ((GError *) g_ptr_array_index (events.bad_lines, i),
                    DOMUS_JSON_STREAM_ERROR, DOMUS_JSON_STREAM_ERROR_TOO_LARGE);
  g_assert_no_error (events.closed_error);

  events_clear (&events);
}

/* A peer that never reads fills the socket, then the queue: the stream gives up. */
static void
test_overflow (void)
{
  g_autoptr(GIOStream) far = NULL;
  g_autoptr(DomusJsonStream) stream = NULL;
  g_autoptr(JsonNode) value = NULL;
  g_autofree char *text = NULL;
  g_autofree char *zs = g_strnfill (4000, 'z');
  gsize max_queued = 64 * 1024;
  guint n_sent = 0;
  Events events;

  text = g_strdup_printf ("[\"%s\"]", zs);
  value = test_parse_json (text);

  stream = stream_new_with_peer (1024, max_queued, &events, &far);

  /* Bounded: a socket buffer is at most a few MiB. */
  while (!events.closed && n_sent < 10000)
    {
      domus_json_stream_send (stream, value);
      n_sent++;
      g_assert_cmpuint (domus_json_stream_get_queued_bytes (stream), <=, max_queued);
      while (g_main_context_iteration (NULL, FALSE))
        ;
    }

  g_assert_true (events.closed);
  g_assert_error (events.closed_error, DOMUS_JSON_STREAM_ERROR, DOMUS_JSON_STREAM_ERROR_OVERFLOW);
  /* More than the queue holds went out first: the socket took its share. */
  g_assert_cmpuint (n_sent * strlen (text), >, max_queued);
  g_assert_true (domus_json_stream_is_closed (stream));
  g_assert_cmpuint (domus_json_stream_get_queued_bytes (stream), ==, 0);

  /* Dropped quietly once closed; no second "closed". */
  domus_json_stream_send (stream, value);
  domus_json_stream_close (stream);
  g_assert_cmpuint (events.n_closed, ==, 1);

  events_clear (&events);
}

/* Everything queued arrives before the end, and both sides end cleanly. */
static void
test_close_when_flushed (void)
{
  g_autoptr(GIOStream) io_a = NULL;
  g_autoptr(GIOStream) io_b = NULL;
  g_autoptr(DomusJsonStream) a = NULL;
  g_autoptr(DomusJsonStream) b = NULL;
  g_autofree char *padding = g_strnfill (10000, 'p');
  const guint n_messages = 200;
  Events events_a;
  Events events_b;

  events_init (&events_a);
  events_init (&events_b);
  test_stream_pair (&io_a, &io_b);
  a = stream_new_watched (io_a, 64 * 1024, 64 * 1024 * 1024, &events_a);
  b = stream_new_watched (io_b, 64 * 1024, 64 * 1024 * 1024, &events_b);

  /* 2 MB: more than the socket holds, so most of it is still queued when we ask to close. */
  for (guint i = 0; i < n_messages; i++)
    {
      g_autofree char *text = g_strdup_printf ("{\"i\": %u, \"pad\": \"%s\"}", i, padding);
      g_autoptr(JsonNode) value = test_parse_json (text);

      domus_json_stream_send (a, value);
    }
  domus_json_stream_close_when_flushed (a);
  g_assert_false (events_a.closed);

  test_wait_until (&events_b.closed);
  g_assert_true (events_a.closed);
  g_assert_no_error (events_a.closed_error);
  g_assert_no_error (events_b.closed_error);
  g_assert_cmpuint (events_b.messages->len, ==, n_messages);
  for (guint i = 0; i < n_messages; i++)
    {
      g_autoptr(JsonNode) node = test_parse_json (g_ptr_array_index (events_b.messages, i));

      g_assert_cmpint (json_object_get_int_member (json_node_get_object (node), "i"), ==, i);
    }

  events_clear (&events_a);
  events_clear (&events_b);
}

/* After the end of input, a hold keeps the stream open for the answers still to come. */
static void
test_hold (void)
{
  g_autoptr(GIOStream) far = NULL;
  g_autoptr(DomusJsonStream) stream = NULL;
  g_autoptr(JsonNode) answer = test_parse_json ("{\"answer\": 42}");
  g_autoptr(GDataInputStream) far_input = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  const char *request = "{\"question\": 1}\n";
  Events events;

  stream = stream_new_with_peer (1024, 1024, &events, &far);
  events.hold_on_message = TRUE;

  write_raw_and_end (far, request, strlen (request));
  while (!domus_json_stream_is_input_done (stream))
    g_main_context_iteration (NULL, TRUE);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_cmpuint (events.messages->len, ==, 1);
  g_assert_false (events.closed);

  domus_json_stream_send (stream, answer);
  domus_json_stream_release (stream);
  test_wait_until (&events.closed);
  g_assert_no_error (events.closed_error);

  far_input = g_data_input_stream_new (g_io_stream_get_input_stream (far));
  line = g_data_input_stream_read_line (far_input, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (line, ==, "{\"answer\":42}");

  events_clear (&events);
}

/* What one stream made of text sent by a peer that then ended its output. */
static void
read_all (const char *text,
          gsize       length,
          gboolean    exact,
          Events     *events)
{
  g_autoptr(GIOStream) far = NULL;
  g_autoptr(DomusJsonStream) stream = stream_new_with_peer (1024 * 1024, 1024, events, &far);

  /* Started, but nothing is read before the main loop runs. */
  domus_json_stream_set_exact (stream, exact);
  write_raw_and_end (far, text, length);
  test_wait_until (&events->closed);
  g_assert_no_error (events->closed_error);
}

static char *
nested (guint        depth,
        const char  *inside)
{
  g_autofree char *open = g_strnfill (depth, '[');
  g_autofree char *close = g_strnfill (depth, ']');

  return g_strconcat (open, inside, close, NULL);
}

/* 100,000 "[" would crash json-glib (it recurses per level): refused unparsed; the stream goes on. */
static void
test_too_deep (void)
{
  g_autoptr(GString) text = g_string_new (NULL);
  g_autofree char *at_limit = nested (DOMUS_JSON_STREAM_MAX_DEPTH, "1");
  g_autofree char *over_limit = nested (DOMUS_JSON_STREAM_MAX_DEPTH + 1, "1");
  g_autofree char *brackets = g_strnfill (100000, '[');
  g_autofree char *in_string = NULL;
  Events events;

  /* Brackets in strings do not count, an escaped quote does not end a string. */
  in_string = g_strdup_printf ("[\"\\\"%s\\\\\", 2]", brackets);

  g_string_append_printf (text, "%s\n", at_limit);
  g_string_append_printf (text, "%s\n", over_limit);
  g_string_append_printf (text, "%s\n", brackets);
  g_string_append (text, "{\"after\": 1}\n");
  g_string_append_printf (text, "%s\n", in_string);
  g_string_append (text, "]]]]]]]]]]]]\n");
  g_string_append (text, brackets);          /* the last line, without a newline */

  read_all (text->str, text->len, FALSE, &events);

  g_assert_cmpuint (events.messages->len, ==, 3);
  g_assert_cmpstr (g_ptr_array_index (events.messages, 0), ==, at_limit);
  g_assert_cmpstr (g_ptr_array_index (events.messages, 1), ==, "{\"after\":1}");
  g_assert_true (g_str_has_prefix (g_ptr_array_index (events.messages, 2), "[\"\\\"[[[["));
  g_assert_cmpuint (events.bad_lines->len, ==, 4);
  g_assert_error ((GError *) g_ptr_array_index (events.bad_lines, 0),
                  DOMUS_JSON_STREAM_ERROR, DOMUS_JSON_STREAM_ERROR_TOO_DEEP);
  g_assert_error ((GError *) g_ptr_array_index (events.bad_lines, 1),
                  DOMUS_JSON_STREAM_ERROR, DOMUS_JSON_STREAM_ERROR_TOO_DEEP);
  g_assert_error ((GError *) g_ptr_array_index (events.bad_lines, 2),
                  DOMUS_JSON_STREAM_ERROR, DOMUS_JSON_STREAM_ERROR_PARSE);
  g_assert_error ((GError *) g_ptr_array_index (events.bad_lines, 3),
                  DOMUS_JSON_STREAM_ERROR, DOMUS_JSON_STREAM_ERROR_TOO_DEEP);
  g_assert_nonnull (strstr (((GError *) g_ptr_array_index (events.bad_lines, 0))->message, "128"));

  events_clear (&events);
}

/* An exact stream refuses what json-glib would change; others take it as json-glib reads it. */
static void
test_exact (void)
{
  static const char text[] =
    "{\"name\": \"a\\u0000b\"}\n"                   /* refused: json-glib would give "a" */
    "{\"id\": 18446744073709551615}\n"             /* a double: json-glib would give -1 */
    "{\"id\": [-9223372036854775809, 1]}\n"        /* a double too */
    "{\"id\": 9223372036854775807}\n"
    "{\"id\": -9223372036854775808}\n"
    "{\"s\": \"\\\\u0000\", \"t\": \"18446744073709551615\"}\n"  /* a backslash, and digits in a string */
    "{\"f\": 1.8446744073709552e19}\n"
    "{\"raw\": \"a\0b\"}\n"                          /* refused: a zero byte */
    "{\"f\": 7e323}\n"                                /* refused: json-glib would make it inf */
    "{\"f\": 1e-400}\n"                               /* becomes 0: harmless */
    "[1, 2]";
  static const char *const taken[] = {
    "{\"id\":1.8446744073709552e+19}",
    "{\"id\":[-9.2233720368547758e+18,1]}",
    "{\"id\":9223372036854775807}",
    "{\"id\":-9223372036854775808}",
    "{\"s\":\"\\\\u0000\",\"t\":\"18446744073709551615\"}",
    "{\"f\":1.8446744073709552e+19}",
    "{\"f\":0.0}",
    "[1,2]",
  };
  Events events;

  read_all (text, sizeof text - 1, TRUE, &events);
  g_assert_cmpuint (events.messages->len, ==, G_N_ELEMENTS (taken));
  for (guint i = 0; i < G_N_ELEMENTS (taken); i++)
    g_assert_cmpstr (g_ptr_array_index (events.messages, i), ==, taken[i]);
  g_assert_cmpuint (events.bad_lines->len, ==, 3);
  for (guint i = 0; i < events.bad_lines->len; i++)
    g_assert_error ((GError *) g_ptr_array_index (events.bad_lines, i),
                    DOMUS_JSON_STREAM_ERROR, DOMUS_JSON_STREAM_ERROR_INEXACT);
  g_assert_nonnull (strstr (((GError *) g_ptr_array_index (events.bad_lines, 0))->message, "NUL"));
  events_clear (&events);

  /* QMP's streams are not exact: QEMU reports unsigned 64-bit counters (json-glib wraps them). */
  read_all (text, strchr (strchr (text, '\n') + 1, '\n') + 1 - text, FALSE, &events);
  g_assert_cmpuint (events.messages->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (events.messages, 1), ==, "{\"id\":-1}");
  g_assert_cmpuint (events.bad_lines->len, ==, 0);
  events_clear (&events);

  /* But no stream takes a number it could only make infinite (fuzz-json-stream found it). */
  read_all ("{\"f\": -7e323}\n[1]", 17, FALSE, &events);
  g_assert_cmpuint (events.messages->len, ==, 1);
  g_assert_cmpuint (events.bad_lines->len, ==, 1);
  g_assert_error ((GError *) g_ptr_array_index (events.bad_lines, 0),
                  DOMUS_JSON_STREAM_ERROR, DOMUS_JSON_STREAM_ERROR_INEXACT);
  events_clear (&events);

  /*
   * Nor a low surrogate without its high one: json-glib would hold bytes that are not UTF-8
   * (fuzz-json-stream found it); a whole pair is a character like any other.
   */
  {
    static const char surrogates[] = "[\"\\udc00x\"]\n[\"\\\\udc00\"]\n[\"\\ud83d\\ude00\"]\n[\"a\\uDFFFb\"]\n"
                                     "[\"\\udcp0x\"]\n[\"\\u00\"]\n"  /* json-glib read \\udcp0 as \\udc00 */
                                     "[\"\\600\"]\n[\"\\q\"]\n[\"\\/\\b\\f\\n\\r\\t\\\"\\\\\"]\n"  /* \\600 as byte 0x80 */
                                     "['\"', \"\\600\"]\n[1 /* \" */, \"\\600\"]\n[0x10]\n[true, false, null, -1.5e+3]";

    read_all (surrogates, sizeof surrogates - 1, FALSE, &events);
    g_assert_cmpuint (events.messages->len, ==, 4);
    g_assert_cmpstr (g_ptr_array_index (events.messages, 0), ==, "[\"\\\\udc00\"]");
    g_assert_cmpstr (g_ptr_array_index (events.messages, 1), ==, "[\"\U0001F600\"]");
    g_assert_cmpstr (g_ptr_array_index (events.messages, 2), ==, "[\"/\\b\\f\\n\\r\\t\\\"\\\\\"]");
    g_assert_cmpstr (g_ptr_array_index (events.messages, 3), ==, "[true,false,null,-1500.0]");
    g_assert_cmpuint (events.bad_lines->len, ==, 9);
    g_assert_error ((GError *) g_ptr_array_index (events.bad_lines, 0),
                    DOMUS_JSON_STREAM_ERROR, DOMUS_JSON_STREAM_ERROR_INEXACT);
    g_assert_nonnull (strstr (((GError *) g_ptr_array_index (events.bad_lines, 1))->message, "DFFF"));
    for (guint i = 2; i < 9; i++)
      g_assert_error ((GError *) g_ptr_array_index (events.bad_lines, i),
                      DOMUS_JSON_STREAM_ERROR, DOMUS_JSON_STREAM_ERROR_PARSE);
    events_clear (&events);
  }
}

/* A string that is not UTF-8 (a byte of a multibyte character) still makes a line a peer can read. */
static void
test_send_invalid_utf8 (void)
{
  g_autoptr(GIOStream) io_a = NULL;
  g_autoptr(GIOStream) io_b = NULL;
  g_autoptr(DomusJsonStream) a = NULL;
  g_autoptr(DomusJsonStream) b = NULL;
  g_autoptr(JsonNode) value = json_node_new (JSON_NODE_OBJECT);
  g_autoptr(JsonObject) object = json_object_new ();
  Events events_a;
  Events events_b;

  json_object_set_string_member (object, "message", "unexpected character \u201c\xef\u201d");
  json_node_set_object (value, object);
  events_init (&events_a);
  events_init (&events_b);
  test_stream_pair (&io_a, &io_b);
  a = stream_new_watched (io_a, 1024, 1024 * 1024, &events_a);
  b = stream_new_watched (io_b, 1024, 1024 * 1024, &events_b);

  domus_json_stream_send (a, value);
  while (events_b.messages->len + events_b.bad_lines->len == 0)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (events_b.bad_lines->len, ==, 0);
  g_assert_cmpstr (g_ptr_array_index (events_b.messages, 0), ==,
                   "{\"message\":\"unexpected character \u201c\ufffd\u201d\"}");

  /*
   * json-glib writes 1e20 as "1e+20.0", which is not JSON (fuzz-json-stream found it): the
   * far end must read the line (its handler prints with json-glib again, hence the text).
   */
  {
    g_autoptr(JsonNode) doubles = test_parse_json ("[1e20, -2.5e-300, 1.5, \"1e+20.0\", 7]");

    domus_json_stream_send (a, doubles);
    while (events_b.messages->len + events_b.bad_lines->len < 2)
      g_main_context_iteration (NULL, TRUE);
    g_assert_cmpuint (events_b.bad_lines->len, ==, 0);
    g_assert_cmpstr (g_ptr_array_index (events_b.messages, 1), ==,
                     "[1e+20.0,-2.5e-300,1.5,\"1e+20.0\",7]");
  }

  events_clear (&events_a);
  events_clear (&events_b);
}

/* A held stream whose peer closed altogether (not just its writing end) closes at once. */
static void
test_hangup (void)
{
  g_autoptr(GIOStream) far = NULL;
  g_autoptr(DomusJsonStream) stream = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) answer = test_parse_json ("{\"answer\": 42}");
  const char *request = "{\"question\": 1}\n";
  Events events;

  stream = stream_new_with_peer (1024, 1024, &events, &far);
  events.hold_on_message = TRUE;

  g_output_stream_write_all (g_io_stream_get_output_stream (far), request, strlen (request),
                             NULL, NULL, &error);
  g_assert_no_error (error);
  while (events.messages->len == 0)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (events.closed);

  /* Still held (the answer is being worked out) when the peer goes. */
  g_io_stream_close (far, NULL, &error);
  g_assert_no_error (error);
  test_wait_until (&events.closed);
  g_assert_no_error (events.closed_error);
  g_assert_true (domus_json_stream_is_closed (stream));

  /* The late answer goes nowhere, quietly. */
  domus_json_stream_send (stream, answer);
  domus_json_stream_release (stream);
  g_assert_cmpuint (events.n_closed, ==, 1);

  events_clear (&events);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/json-stream/both-ways", test_both_ways);
  g_test_add_func ("/json-stream/lines", test_lines);
  g_test_add_func ("/json-stream/too-large", test_too_large);
  g_test_add_func ("/json-stream/overflow", test_overflow);
  g_test_add_func ("/json-stream/close-when-flushed", test_close_when_flushed);
  g_test_add_func ("/json-stream/hold", test_hold);
  g_test_add_func ("/json-stream/too-deep", test_too_deep);
  g_test_add_func ("/json-stream/exact", test_exact);
  g_test_add_func ("/json-stream/hangup", test_hangup);
  g_test_add_func ("/json-stream/send-invalid-utf8", test_send_invalid_utf8);
  return g_test_run ();
}
