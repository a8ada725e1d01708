/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * libFuzzer entry point for the line reader every side shares (common/domus-json-stream.c):
 * bytes as a peer would send them, read from memory. The first byte picks exact mode.
 */

#include "config.h"

#include <string.h>
#include <gio/gio.h>

#include "domus-json-stream.h"
#include "fuzz-util.h"

/* Small, so that the fuzzer meets the line limit and the buffer's growth and shrinking. */
#define LINE_LIMIT 2048

typedef struct {
  gboolean   closed;
  guint      n_messages;
  guint      n_bad_lines;
  GPtrArray *values;     /* JsonNode: what was read, in order */
} Seen;

static guint
depth_of (JsonNode *node)
{
  guint deepest = 0;

  if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);

      for (guint i = 0; i < json_array_get_length (array); i++)
        deepest = MAX (deepest, depth_of (json_array_get_element (array, i)));
      return deepest + 1;
    }
  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      g_autoptr(GList) members = json_object_get_values (json_node_get_object (node));

      for (GList *l = members; l != NULL; l = l->next)
        deepest = MAX (deepest, depth_of (l->data));
      return deepest + 1;
    }
  return 0;
}

static void
on_message (DomusJsonStream *stream,
            JsonNode        *value,
            Seen            *seen)
{
  seen->n_messages++;
  /* Nothing deeper than the limit reaches json-glib, let alone an owner. */
  g_assert (depth_of (value) <= DOMUS_JSON_STREAM_MAX_DEPTH);
  /* It goes out again as one line (the queue is a memory stream), checked at the end. */
  g_ptr_array_add (seen->values, json_node_copy (value));
  domus_json_stream_send (stream, value);
}

static void
on_bad_line (DomusJsonStream *stream,
             const GError    *error,
             Seen            *seen)
{
  g_assert (error->domain == DOMUS_JSON_STREAM_ERROR);
  g_assert (error->code != DOMUS_JSON_STREAM_ERROR_IO && error->code != DOMUS_JSON_STREAM_ERROR_OVERFLOW);
  seen->n_bad_lines++;
}

static void
on_closed (DomusJsonStream *stream,
           const GError    *error,
           Seen            *seen)
{
  g_assert (!seen->closed);
  seen->closed = TRUE;
}

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  fuzz_init_logging ();
  return 0;
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(GInputStream) input = NULL;
  g_autoptr(GOutputStream) output = NULL;
  g_autoptr(GIOStream) io = NULL;
  g_autoptr(DomusJsonStream) stream = NULL;
  g_autoptr(GPtrArray) values = g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref);
  Seen seen = { 0 };

  if (size == 0)
    return 0;
  seen.values = values;
  input = g_memory_input_stream_new_from_data (g_memdup2 (data + 1, size - 1), size - 1, g_free);
  output = g_memory_output_stream_new_resizable ();
  io = g_simple_io_stream_new (input, output);
  stream = domus_json_stream_new (io, LINE_LIMIT, 64 * 1024 * 1024);
  domus_json_stream_set_exact (stream, data[0] & 1);
  g_signal_connect (stream, "message", G_CALLBACK (on_message), &seen);
  g_signal_connect (stream, "bad-line", G_CALLBACK (on_bad_line), &seen);
  g_signal_connect (stream, "closed", G_CALLBACK (on_closed), &seen);
  domus_json_stream_start (stream);

  /* Memory never blocks: the end of input comes, then the stream closes itself. */
  g_assert (fuzz_iterate_until (&seen.closed, 10000));
  g_assert (domus_json_stream_is_input_done (stream));
  fuzz_iterate_pending ();
  /* What went out is UTF-8, one line per value, each reading back as the value it was. */
  {
    GMemoryOutputStream *memory = G_MEMORY_OUTPUT_STREAM (output);
    gsize sent_size = g_memory_output_stream_get_data_size (memory);
    g_autofree char *text = sent_size > 0 ? g_strndup (g_memory_output_stream_get_data (memory), sent_size)
                                     : g_strdup ("");
    g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
    guint n_lines = 0;

    for (const char *p = text; *p != '\0'; p++)
      n_lines += *p == '\n';

    g_assert (g_utf8_validate (text, -1, NULL));
    g_assert (n_lines <= values->len);
    for (guint i = 0; i < n_lines; i++)
      {
        g_autoptr(JsonNode) again = json_from_string (lines[i], NULL);

        g_assert (again != NULL && json_node_equal (again, g_ptr_array_index (values, i)));
      }
  }
  return 0;
}
