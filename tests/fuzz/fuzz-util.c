/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What the libFuzzer harnesses share: quiet logs that still stop at a critical, a bounded main loop. */

#include "config.h"

#include <stdlib.h>

#include "fuzz-util.h"

static GLogWriterOutput
write_log (GLogLevelFlags   level,
           const GLogField *fields,
           gsize            n_fields,
           gpointer         user_data)
{
  if (level & (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_ERROR))
    {
      g_log_writer_standard_streams (level, fields, n_fields, user_data);
      abort ();
    }
  return G_LOG_WRITER_HANDLED;
}

void
fuzz_init_logging (void)
{
  g_log_set_writer_func (write_log, NULL, NULL);
}

static gboolean
on_timeout (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

gboolean
fuzz_iterate_until (const gboolean *flag,
                    guint           timeout_ms)
{
  gboolean timed_out = FALSE;
  guint timeout_id = g_timeout_add (timeout_ms, on_timeout, &timed_out);

  while (!*flag && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (!timed_out)
    g_source_remove (timeout_id);
  return *flag;
}

void
fuzz_iterate_pending (void)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
}
