/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A grid of graphs for a host or a domain and the range they show. The live range
 * draws the backend's own histories and redraws on each stats sample; the longer
 * ones ask the daemon's archive (stats.archive) once, then once a minute, as its
 * points are a minute apart.
 */

#include "config.h"

#include <glib/gi18n.h>

#include "domus-graph.h"
#include "domus-graph-set.h"

#define ARCHIVE_REFRESH_SECONDS 60

typedef struct {
  const char *title;
  const char *unit;
  const char *archive;       /* the figure's name in stats.archive */
  int         metric;        /* DomusHostMetric or DomusMetric */
  gboolean    percent;       /* a fixed 0–100 scale */
  gboolean    host_memory;   /* scaled to the host's RAM */
} Figure;

static const Figure host_figures[] = {
  { N_("CPU"),         "%",   "cpu_percent", DOMUS_HOST_METRIC_CPU_PERCENT, TRUE,  FALSE },
  { N_("Memory used"), "MiB", "memory_mib",  DOMUS_HOST_METRIC_MEMORY_USED, FALSE, TRUE },
};

static const Figure domain_figures[] = {
  { N_("CPU"),           "%",   "cpu_percent", DOMUS_METRIC_CPU_PERCENT,    FALSE, FALSE },
  { N_("Memory"),        "MiB", "memory_mib",  DOMUS_METRIC_MEMORY,         FALSE, FALSE },
  { N_("Disk read"),     "B/s", "disk_rd_bps", DOMUS_METRIC_DISK_READ_RATE,  FALSE, FALSE },
  { N_("Disk write"),    "B/s", "disk_wr_bps", DOMUS_METRIC_DISK_WRITE_RATE, FALSE, FALSE },
  { N_("Network in"),    "B/s", "net_rx_bps",  DOMUS_METRIC_NET_RX_RATE,     FALSE, FALSE },
  { N_("Network out"),   "B/s", "net_tx_bps",  DOMUS_METRIC_NET_TX_RATE,     FALSE, FALSE },
};

static const struct {
  const char *id;
  const char *label;
  guint       seconds;
} ranges[] = {
  { "10m", N_("Last 10 minutes"), 600 },
  { "1h",  N_("Last hour"),       3600 },
  { "24h", N_("Last 24 hours"),   24 * 3600 },
  { "30d", N_("Last 30 days"),    30 * 24 * 3600 },
};

struct _DomusGraphSet
{
  GtkBox          parent_instance;

  DomusHost      *host;
  DomusDomain    *domain;        /* NULL for the host's graphs */
  const Figure   *figures;
  guint           n_figures;
  GPtrArray      *graphs;        /* DomusGraph, one per figure */
  GtkComboBoxText *range_combo;
  char           *range;
  GCancellable   *cancellable;   /* the archive requests in flight */
  guint           refresh_id;
};

G_DEFINE_FINAL_TYPE (DomusGraphSet, domus_graph_set, GTK_TYPE_BOX)

static guint
range_seconds (const char *id)
{
  for (gsize i = 0; i < G_N_ELEMENTS (ranges); i++)
    if (g_strcmp0 (ranges[i].id, id) == 0)
      return ranges[i].seconds;
  return ranges[0].seconds;
}

static gboolean
is_live (DomusGraphSet *self)
{
  return g_strcmp0 (self->range, "10m") == 0;
}

static DomusStatsHistory *
live_history (DomusGraphSet *self,
              const Figure  *figure)
{
  if (self->domain != NULL)
    return domus_domain_get_history (self->domain, figure->metric);
  return domus_host_get_history (self->host, figure->metric);
}

static void
apply_scale (DomusGraphSet *self,
             DomusGraph    *graph,
             const Figure  *figure)
{
  if (figure->percent)
    domus_graph_set_max (graph, 100);
  else if (figure->host_memory && domus_host_get_memory_mib (self->host) > 0)
    domus_graph_set_max (graph, domus_host_get_memory_mib (self->host));
  else
    domus_graph_set_max (graph, 0);
}

static void
show_live (DomusGraphSet *self)
{
  for (guint i = 0; i < self->n_figures; i++)
    {
      DomusGraph *graph = g_ptr_array_index (self->graphs, i);
      const Figure *figure = &self->figures[i];

      domus_graph_set_empty_text (graph, NULL);
      domus_graph_set_history (graph, live_history (self, figure), _(figure->title), figure->unit);
      domus_graph_set_range (graph, range_seconds ("10m"));
      apply_scale (self, graph, figure);
    }
}

typedef struct {
  DomusGraphSet *self;   /* a weak pointer: the request is cancelled when it goes */
  guint          index;
} ArchiveRequest;

static void
on_archive (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  ArchiveRequest *request = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(DomusStatsHistory) history = domus_host_get_archive_finish (DOMUS_HOST (source), result, &error);
  DomusGraphSet *self = request->self;
  DomusGraph *graph;
  const Figure *figure;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_free (request);
      return;
    }
  graph = g_ptr_array_index (self->graphs, request->index);
  figure = &self->figures[request->index];
  if (history == NULL)
    {
      g_autofree char *text = g_strdup_printf (_("No archive: %s"), error->message);

      domus_graph_set_history (graph, NULL, _(figure->title), figure->unit);
      domus_graph_set_empty_text (graph, text);
    }
  else
    {
      domus_graph_set_empty_text (graph, _("No data in this range yet"));
      domus_graph_set_history (graph, history, _(figure->title), figure->unit);
    }
  domus_graph_set_range (graph, range_seconds (self->range));
  apply_scale (self, graph, figure);
  g_free (request);
}

static void
fetch_archive (DomusGraphSet *self)
{
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();

  for (guint i = 0; i < self->n_figures; i++)
    {
      ArchiveRequest *request = g_new0 (ArchiveRequest, 1);

      request->self = self;
      request->index = i;
      domus_host_get_archive_async (self->host,
                                    self->domain != NULL ? domus_domain_get_name (self->domain) : NULL,
                                    self->range, self->figures[i].archive, self->cancellable,
                                    on_archive, request);
    }
}

static gboolean
refresh_archive (gpointer user_data)
{
  fetch_archive (user_data);
  return G_SOURCE_CONTINUE;
}

static void
show_range (DomusGraphSet *self)
{
  g_clear_handle_id (&self->refresh_id, g_source_remove);
  g_cancellable_cancel (self->cancellable);
  if (is_live (self))
    {
      show_live (self);
      return;
    }
  fetch_archive (self);
  self->refresh_id = g_timeout_add_seconds (ARCHIVE_REFRESH_SECONDS, refresh_archive, self);
}

void
domus_graph_set_set_range (DomusGraphSet *self,
                           const char    *range)
{
  g_return_if_fail (DOMUS_IS_GRAPH_SET (self));

  if (range_seconds (range) == range_seconds ("10m") && g_strcmp0 (range, "10m") != 0)
    range = "10m";
  if (g_strcmp0 (self->range, range) == 0)
    return;
  g_free (self->range);
  self->range = g_strdup (range);
  gtk_combo_box_set_active_id (GTK_COMBO_BOX (self->range_combo), range);
  show_range (self);
}

const char *
domus_graph_set_get_range (DomusGraphSet *self)
{
  g_return_val_if_fail (DOMUS_IS_GRAPH_SET (self), NULL);
  return self->range;
}

guint
domus_graph_set_get_n_graphs (DomusGraphSet *self)
{
  g_return_val_if_fail (DOMUS_IS_GRAPH_SET (self), 0);
  return self->graphs->len;
}

GtkWidget *
domus_graph_set_get_graph (DomusGraphSet *self,
                           guint          n)
{
  g_return_val_if_fail (DOMUS_IS_GRAPH_SET (self), NULL);
  g_return_val_if_fail (n < self->graphs->len, NULL);
  return g_ptr_array_index (self->graphs, n);
}

static void
on_range_changed (GtkComboBox   *combo,
                  DomusGraphSet *self)
{
  const char *id = gtk_combo_box_get_active_id (combo);

  if (id != NULL)
    domus_graph_set_set_range (self, id);
}

static void
on_stats_updated (DomusHost     *host,
                  DomusGraphSet *self)
{
  if (!is_live (self))
    return;
  for (guint i = 0; i < self->graphs->len; i++)
    domus_graph_queue_sample (g_ptr_array_index (self->graphs, i));
}

static void
on_host_state (DomusHost     *host,
               GParamSpec    *pspec,
               DomusGraphSet *self)
{
  /* Back after a drop: the archive may have what was missing. */
  if (!is_live (self) && domus_host_get_state (host) == DOMUS_HOST_STATE_CONNECTED)
    fetch_archive (self);
}

static void
build (DomusGraphSet *self)
{
  GtkWidget *bar = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *label = gtk_label_new_with_mnemonic (_("_Range:"));
  GtkWidget *grid = gtk_grid_new ();

  self->range_combo = GTK_COMBO_BOX_TEXT (gtk_combo_box_text_new ());
  for (gsize i = 0; i < G_N_ELEMENTS (ranges); i++)
    gtk_combo_box_text_append (self->range_combo, ranges[i].id, _(ranges[i].label));
  gtk_combo_box_set_active_id (GTK_COMBO_BOX (self->range_combo), self->range);
  gtk_label_set_mnemonic_widget (GTK_LABEL (label), GTK_WIDGET (self->range_combo));
  atk_object_set_name (gtk_widget_get_accessible (GTK_WIDGET (self->range_combo)), _("Graph range"));
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->range_combo), _("How far back the graphs below reach"));
  g_signal_connect (self->range_combo, "changed", G_CALLBACK (on_range_changed), self);
  gtk_box_pack_end (GTK_BOX (bar), GTK_WIDGET (self->range_combo), FALSE, FALSE, 0);
  gtk_box_pack_end (GTK_BOX (bar), label, FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (self), bar, FALSE, FALSE, 0);

  gtk_grid_set_row_spacing (GTK_GRID (grid), 12);
  gtk_grid_set_column_spacing (GTK_GRID (grid), 12);
  gtk_grid_set_column_homogeneous (GTK_GRID (grid), TRUE);
  for (guint i = 0; i < self->n_figures; i++)
    {
      GtkWidget *graph = domus_graph_new ();

      gtk_widget_set_size_request (graph, 260, 130);
      gtk_widget_set_hexpand (graph, TRUE);
      gtk_grid_attach (GTK_GRID (grid), graph, (int) (i % 2), (int) (i / 2), 1, 1);
      g_ptr_array_add (self->graphs, graph);
    }
  gtk_box_pack_start (GTK_BOX (self), grid, TRUE, TRUE, 0);
  gtk_widget_show_all (GTK_WIDGET (self));

  g_signal_connect_object (self->host, "stats-updated", G_CALLBACK (on_stats_updated), self, 0);
  g_signal_connect_object (self->host, "notify::state", G_CALLBACK (on_host_state), self, 0);
  show_range (self);
}

GtkWidget *
domus_graph_set_new_for_host (DomusHost *host)
{
  DomusGraphSet *self;

  g_return_val_if_fail (DOMUS_IS_HOST (host), NULL);

  self = g_object_new (DOMUS_TYPE_GRAPH_SET, NULL);
  self->host = g_object_ref (host);
  self->figures = host_figures;
  self->n_figures = G_N_ELEMENTS (host_figures);
  build (self);
  return GTK_WIDGET (self);
}

GtkWidget *
domus_graph_set_new_for_domain (DomusDomain *domain)
{
  DomusGraphSet *self;

  g_return_val_if_fail (DOMUS_IS_DOMAIN (domain), NULL);
  g_return_val_if_fail (domus_domain_get_host (domain) != NULL, NULL);

  self = g_object_new (DOMUS_TYPE_GRAPH_SET, NULL);
  self->host = g_object_ref (domus_domain_get_host (domain));
  self->domain = g_object_ref (domain);
  self->figures = domain_figures;
  self->n_figures = G_N_ELEMENTS (domain_figures);
  build (self);
  return GTK_WIDGET (self);
}

static void
domus_graph_set_dispose (GObject *object)
{
  DomusGraphSet *self = DOMUS_GRAPH_SET (object);

  g_clear_handle_id (&self->refresh_id, g_source_remove);
  /* The callbacks of cancelled requests see CANCELLED and leave self alone. */
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->domain);
  g_clear_object (&self->host);
  G_OBJECT_CLASS (domus_graph_set_parent_class)->dispose (object);
}

static void
domus_graph_set_finalize (GObject *object)
{
  DomusGraphSet *self = DOMUS_GRAPH_SET (object);

  g_ptr_array_unref (self->graphs);
  g_free (self->range);
  G_OBJECT_CLASS (domus_graph_set_parent_class)->finalize (object);
}

static void
domus_graph_set_class_init (DomusGraphSetClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = domus_graph_set_dispose;
  G_OBJECT_CLASS (klass)->finalize = domus_graph_set_finalize;
}

static void
domus_graph_set_init (DomusGraphSet *self)
{
  gtk_orientable_set_orientation (GTK_ORIENTABLE (self), GTK_ORIENTATION_VERTICAL);
  gtk_box_set_spacing (GTK_BOX (self), 6);
  self->graphs = g_ptr_array_new ();
  self->range = g_strdup ("10m");
  self->cancellable = g_cancellable_new ();
}
