/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Redraws paced by the process's one-second clock (see the header). */

#include "config.h"

#include "domus-paced-redraw.h"

static gboolean
on_tick (gpointer user_data)
{
  DomusPacedRedraw *pace = user_data;

  if (!pace->due)
    {
      /* A second without news: the clock stops until the next sample. */
      pace->source = 0;
      return G_SOURCE_REMOVE;
    }
  pace->due = FALSE;
  pace->draw (pace->user_data);
  return G_SOURCE_CONTINUE;
}

void
domus_paced_redraw_mark (DomusPacedRedraw *pace,
                         DomusPacedDraw    draw,
                         gpointer          user_data,
                         const char       *name)
{
  pace->due = TRUE;
  pace->draw = draw;
  pace->user_data = user_data;
  if (pace->source == 0)
    {
      pace->source = g_timeout_add_seconds (1, on_tick, pace);
      g_source_set_name_by_id (pace->source, name);
    }
}

void
domus_paced_redraw_clear (DomusPacedRedraw *pace)
{
  g_clear_handle_id (&pace->source, g_source_remove);
  pace->due = FALSE;
}
