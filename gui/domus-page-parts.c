/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What the server and domain pages share: rows of facts, graphs that scroll, emptying a box. */

#include "config.h"

#include <glib/gi18n.h>

#include "domus-page-parts.h"

GtkLabel *
domus_page_add_fact (GtkGrid    *grid,
                     int         row,
                     const char *title)
{
  GtkWidget *name = gtk_label_new (title);
  GtkWidget *value = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (name), 1);
  gtk_style_context_add_class (gtk_widget_get_style_context (name), "domus-fact-name");
  gtk_label_set_xalign (GTK_LABEL (value), 0);
  gtk_label_set_selectable (GTK_LABEL (value), TRUE);
  gtk_label_set_ellipsize (GTK_LABEL (value), PANGO_ELLIPSIZE_END);
  /* A screen reader says which fact a value is. */
  gtk_label_set_mnemonic_widget (GTK_LABEL (name), value);
  gtk_grid_attach (grid, name, 0, row, 1, 1);
  gtk_grid_attach (grid, value, 1, row, 1, 1);
  gtk_widget_show (name);
  gtk_widget_show (value);
  return GTK_LABEL (value);
}

void
domus_page_set_int_fact (GtkLabel *label,
                         gint64    value,
                         gboolean  mib)
{
  g_autofree char *text = NULL;

  if (value < 0)
    text = g_strdup ("—");
  else if (mib)
    text = g_strdup_printf (_("%lld MiB"), (long long) value);
  else
    text = g_strdup_printf ("%" G_GINT64_FORMAT, value);
  gtk_label_set_text (label, text);
}

void
domus_page_set_text_fact (GtkLabel   *label,
                          const char *value)
{
  gtk_label_set_text (label, value != NULL && *value != '\0' ? value : "—");
}

/* Graphs scroll rather than ask the window for their whole height (three rows of them
 * would not fit a 768-pixel screen under a domain's facts). */
GtkWidget *
domus_page_scrolled_graphs (GtkWidget *graph_set)
{
  GtkWidget *scroller = gtk_scrolled_window_new (NULL, NULL);

  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroller), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_propagate_natural_height (GTK_SCROLLED_WINDOW (scroller), TRUE);
  gtk_container_add (GTK_CONTAINER (scroller), graph_set);
  return scroller;
}

void
domus_page_clear (GtkWidget *container)
{
  g_autoptr(GList) children = gtk_container_get_children (GTK_CONTAINER (container));

  for (GList *l = children; l != NULL; l = l->next)
    gtk_widget_destroy (l->data);
}

void
domus_page_connect_notify (gpointer            object,
                           const char * const *names,
                           GCallback           handler,
                           gpointer            data)
{
  for (guint i = 0; names[i] != NULL; i++)
    {
      g_autofree char *signal = g_strconcat ("notify::", names[i], NULL);

      g_signal_connect (object, signal, handler, data);
    }
}

static gboolean
pulse_bar (gpointer user_data)
{
  gtk_progress_bar_pulse (GTK_PROGRESS_BAR (user_data));
  return G_SOURCE_CONTINUE;
}

static void
stop_pulse (gpointer user_data)
{
  g_source_remove (GPOINTER_TO_UINT (user_data));
}

static void
pulsing_bar_destroyed (GtkWidget *bar)
{
  domus_page_show_pulsing (GTK_PROGRESS_BAR (bar), FALSE);
}

void
domus_page_show_pulsing (GtkProgressBar *bar,
                         gboolean        running)
{
  gboolean pulsing;

  g_return_if_fail (GTK_IS_PROGRESS_BAR (bar));

  pulsing = g_object_get_data (G_OBJECT (bar), "domus-pulse") != NULL;
  gtk_widget_set_visible (GTK_WIDGET (bar), running);
  if (!running && pulsing)
    {
      g_signal_handlers_disconnect_by_func (bar, pulsing_bar_destroyed, NULL);
      g_object_set_data (G_OBJECT (bar), "domus-pulse", NULL);
    }
  else if (running && !pulsing)
    {
      /* The timeout holds no reference to the bar: it ends when the bar is destroyed. */
      g_object_set_data_full (G_OBJECT (bar), "domus-pulse",
                              GUINT_TO_POINTER (g_timeout_add (100, pulse_bar, bar)), stop_pulse);
      g_signal_connect (bar, "destroy", G_CALLBACK (pulsing_bar_destroyed), NULL);
    }
}
