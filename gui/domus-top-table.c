/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A host's domains as `xm top` shows them: a live table, sortable by any column. */

#include "config.h"

#include <glib/gi18n.h>

#include "domus-server-list.h"
#include "domus-top-table.h"

/* After the public columns: what the state column sorts by (the state's enum value, so
 * running comes before paused whatever the language). */
#define COL_STATE_ORDER DOMUS_TOP_TABLE_N_COLUMNS

struct _DomusTopTable
{
  GtkScrolledWindow  parent_instance;

  DomusHost         *host;
  GPtrArray         *domains;  /* the host's list as we last saw it, each with a reference */
  GHashTable        *rows;     /* DomusDomain → GtkTreeIter* (a GtkListStore's iters persist) */

  GtkTreeView       *view;
  GtkListStore      *store;
};

G_DEFINE_FINAL_TYPE (DomusTopTable, domus_top_table, GTK_TYPE_SCROLLED_WINDOW)

enum {
  PROP_0,
  PROP_HOST,
  N_PROPS
};

enum {
  SIGNAL_OPEN_DOMAIN,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

/* Cells */

static char *
format_double (double value)
{
  return g_strdup_printf ("%.1f", value);
}

static char *
format_cell (GtkTreeModel        *model,
             GtkTreeIter         *iter,
             DomusTopTableColumn  column)
{
  GValue value = G_VALUE_INIT;
  char *text = NULL;

  gtk_tree_model_get_value (model, iter, column, &value);
  switch (column)
    {
    case DOMUS_TOP_TABLE_COLUMN_NAME:
    case DOMUS_TOP_TABLE_COLUMN_STATE:
      text = g_value_dup_string (&value);
      break;
    case DOMUS_TOP_TABLE_COLUMN_CPU_PERCENT:
    case DOMUS_TOP_TABLE_COLUMN_CPU_TIME:
      text = format_double (g_value_get_double (&value));
      break;
    case DOMUS_TOP_TABLE_COLUMN_MEMORY:
    case DOMUS_TOP_TABLE_COLUMN_VCPUS:
      /* -1: an invalid config does not say. */
      text = g_value_get_int64 (&value) < 0 ? g_strdup ("—")
                                            : g_strdup_printf ("%" G_GINT64_FORMAT, g_value_get_int64 (&value));
      break;
    case DOMUS_TOP_TABLE_COLUMN_DISK_READ:
    case DOMUS_TOP_TABLE_COLUMN_DISK_WRITE:
    case DOMUS_TOP_TABLE_COLUMN_NET_RX:
    case DOMUS_TOP_TABLE_COLUMN_NET_TX:
      /* Rates are kept in bytes/s, shown in KiB/s; -1 when the host cannot count them
       * (user-mode networking). */
      text = g_value_get_double (&value) < 0 ? g_strdup ("—") : format_double (g_value_get_double (&value) / 1024);
      break;
    case DOMUS_TOP_TABLE_COLUMN_DOMAIN:
    case DOMUS_TOP_TABLE_N_COLUMNS:
    default:
      break;
    }
  g_value_unset (&value);
  return text;
}

static void
cell_data (GtkTreeViewColumn *tree_column,
           GtkCellRenderer   *cell,
           GtkTreeModel      *model,
           GtkTreeIter       *iter,
           gpointer           data)
{
  g_autofree char *text = format_cell (model, iter, GPOINTER_TO_INT (data));

  g_object_set (cell, "text", text, NULL);
}

/* Sorting */

static int
compare_values (GtkTreeModel *model,
                GtkTreeIter  *a,
                GtkTreeIter  *b,
                int           column)
{
  GValue value_a = G_VALUE_INIT;
  GValue value_b = G_VALUE_INIT;
  int result = 0;

  gtk_tree_model_get_value (model, a, column, &value_a);
  gtk_tree_model_get_value (model, b, column, &value_b);
  switch (G_VALUE_TYPE (&value_a))
    {
    case G_TYPE_STRING:
      result = g_utf8_collate (g_value_get_string (&value_a) ? g_value_get_string (&value_a) : "",
                               g_value_get_string (&value_b) ? g_value_get_string (&value_b) : "");
      break;
    case G_TYPE_DOUBLE:
      result = (g_value_get_double (&value_a) > g_value_get_double (&value_b))
               - (g_value_get_double (&value_a) < g_value_get_double (&value_b));
      break;
    case G_TYPE_INT64:
      result = (g_value_get_int64 (&value_a) > g_value_get_int64 (&value_b))
               - (g_value_get_int64 (&value_a) < g_value_get_int64 (&value_b));
      break;
    case G_TYPE_INT:
      result = (g_value_get_int (&value_a) > g_value_get_int (&value_b))
               - (g_value_get_int (&value_a) < g_value_get_int (&value_b));
      break;
    default:
      break;
    }
  g_value_unset (&value_a);
  g_value_unset (&value_b);
  return result;
}

static int
sort_rows (GtkTreeModel *model,
           GtkTreeIter  *a,
           GtkTreeIter  *b,
           gpointer      data)
{
  int column = GPOINTER_TO_INT (data);
  int result = compare_values (model, a, b, column);
  int sort_column;
  GtkSortType order;

  if (result != 0 || column == DOMUS_TOP_TABLE_COLUMN_NAME)
    return result;
  /* Equal figures (all the shut-off domains' 0 %) keep the names in reading order:
   * the store reverses whatever we return for a descending sort, so reverse it first. */
  result = compare_values (model, a, b, DOMUS_TOP_TABLE_COLUMN_NAME);
  if (gtk_tree_sortable_get_sort_column_id (GTK_TREE_SORTABLE (model), &sort_column, &order)
      && order == GTK_SORT_DESCENDING)
    result = -result;
  return result;
}

/* Rows */

/* Sets the columns whose value changed: a row-changed (and a resort) only when something did. */
static void
update_row (DomusTopTable *self,
            DomusDomain   *domain)
{
  GtkTreeModel *model = GTK_TREE_MODEL (self->store);
  GtkTreeIter *iter = g_hash_table_lookup (self->rows, domain);
  DomusDomainState state;
  int columns[COL_STATE_ORDER + 1];
  GValue values[COL_STATE_ORDER + 1] = { G_VALUE_INIT };
  int n = 0;

  if (iter == NULL)
    return;
  state = domus_domain_get_state (domain);

#define SET_IF_CHANGED(column, getter, setter, new_value)                           \
  G_STMT_START {                                                                     \
    gtk_tree_model_get_value (model, iter, column, &values[n]);                      \
    if (getter (&values[n]) != (new_value))                                          \
      {                                                                              \
        setter (&values[n], new_value);                                              \
        columns[n++] = column;                                                       \
      }                                                                              \
    else                                                                             \
      g_value_unset (&values[n]);                                                    \
  } G_STMT_END

  SET_IF_CHANGED (COL_STATE_ORDER, g_value_get_int, g_value_set_int, (int) state);
  {
    const char *label = domus_domain_state_label (state);

    gtk_tree_model_get_value (model, iter, DOMUS_TOP_TABLE_COLUMN_STATE, &values[n]);
    if (g_strcmp0 (g_value_get_string (&values[n]), label) != 0)
      {
        g_value_set_string (&values[n], label);
        columns[n++] = DOMUS_TOP_TABLE_COLUMN_STATE;
      }
    else
      g_value_unset (&values[n]);
  }
  SET_IF_CHANGED (DOMUS_TOP_TABLE_COLUMN_CPU_PERCENT, g_value_get_double, g_value_set_double,
                  domus_domain_get_cpu_percent (domain));
  SET_IF_CHANGED (DOMUS_TOP_TABLE_COLUMN_CPU_TIME, g_value_get_double, g_value_set_double,
                  domus_domain_get_cpu_time (domain));
  SET_IF_CHANGED (DOMUS_TOP_TABLE_COLUMN_MEMORY, g_value_get_int64, g_value_set_int64,
                  domus_domain_get_rss_mib (domain));
  SET_IF_CHANGED (DOMUS_TOP_TABLE_COLUMN_VCPUS, g_value_get_int64, g_value_set_int64,
                  domus_domain_get_vcpus (domain));
  SET_IF_CHANGED (DOMUS_TOP_TABLE_COLUMN_DISK_READ, g_value_get_double, g_value_set_double,
                  domus_domain_get_disk_read_rate (domain));
  SET_IF_CHANGED (DOMUS_TOP_TABLE_COLUMN_DISK_WRITE, g_value_get_double, g_value_set_double,
                  domus_domain_get_disk_write_rate (domain));
  SET_IF_CHANGED (DOMUS_TOP_TABLE_COLUMN_NET_RX, g_value_get_double, g_value_set_double,
                  domus_domain_get_net_rx_rate (domain));
  SET_IF_CHANGED (DOMUS_TOP_TABLE_COLUMN_NET_TX, g_value_get_double, g_value_set_double,
                  domus_domain_get_net_tx_rate (domain));
#undef SET_IF_CHANGED

  if (n > 0)
    gtk_list_store_set_valuesv (self->store, iter, columns, values, n);
  for (int i = 0; i < n; i++)
    g_value_unset (&values[i]);
}

static void
on_domain_notify (DomusDomain   *domain,
                  GParamSpec    *pspec,
                  DomusTopTable *self)
{
  static const char * const live[] = {
    "cpu-percent", "cpu-time", "rss-mib", "disk-read-rate", "disk-write-rate", "net-rx-rate", "net-tx-rate",
  };
  const char *name = g_param_spec_get_name (pspec);

  /* A stats sample sets these one by one and "stats-updated" follows it: one update
   * per row then, rather than one per figure. Their other changes (to zero when the
   * domain stops) come with a state change, which does update the row. */
  for (guint i = 0; i < G_N_ELEMENTS (live); i++)
    if (g_str_equal (name, live[i]))
      return;
  update_row (self, domain);
}

static void
add_row (DomusTopTable *self,
         DomusDomain   *domain)
{
  GtkTreeIter iter;

  gtk_list_store_insert_with_values (self->store, &iter, -1,
                                     DOMUS_TOP_TABLE_COLUMN_DOMAIN, domain,
                                     DOMUS_TOP_TABLE_COLUMN_NAME, domus_domain_get_name (domain),
                                     DOMUS_TOP_TABLE_COLUMN_NET_RX, -1.0,
                                     DOMUS_TOP_TABLE_COLUMN_NET_TX, -1.0,
                                     COL_STATE_ORDER, -1,
                                     -1);
  g_hash_table_insert (self->rows, domain, g_memdup2 (&iter, sizeof iter));
  update_row (self, domain);
  g_signal_connect_object (domain, "notify", G_CALLBACK (on_domain_notify), self, 0);
}

static void
remove_row (DomusTopTable *self,
            DomusDomain   *domain)
{
  GtkTreeIter *iter = g_hash_table_lookup (self->rows, domain);

  g_signal_handlers_disconnect_by_func (domain, on_domain_notify, self);
  if (iter != NULL)
    {
      gtk_list_store_remove (self->store, iter);
      g_hash_table_remove (self->rows, domain);
    }
}

static void
on_domains_changed (GListModel    *model,
                    guint          position,
                    guint          removed,
                    guint          added,
                    DomusTopTable *self)
{
  /* Our copy of the list says which domains the removed positions held. */
  for (guint i = 0; i < removed && position < self->domains->len; i++)
    {
      remove_row (self, g_ptr_array_index (self->domains, position));
      g_ptr_array_remove_index (self->domains, position);
    }
  for (guint i = 0; i < added; i++)
    {
      DomusDomain *domain = g_list_model_get_item (model, position + i);

      g_ptr_array_insert (self->domains, position + i, domain);
      add_row (self, domain);
    }
}

static void
on_stats_updated (DomusHost     *host,
                  DomusTopTable *self)
{
  for (guint i = 0; i < self->domains->len; i++)
    update_row (self, g_ptr_array_index (self->domains, i));
}

static void
update_name (DomusTopTable *self)
{
  g_autofree char *name = g_strdup_printf (_("Domains of %s"), domus_host_get_name (self->host));

  atk_object_set_name (gtk_widget_get_accessible (GTK_WIDGET (self->view)), name);
}

static void
on_host_name (DomusHost     *host,
              GParamSpec    *pspec,
              DomusTopTable *self)
{
  update_name (self);
}

static void
row_activated (GtkTreeView       *view,
               GtkTreePath       *path,
               GtkTreeViewColumn *column,
               DomusTopTable     *self)
{
  g_autoptr(DomusDomain) domain = NULL;
  GtkTreeIter iter;

  if (!gtk_tree_model_get_iter (GTK_TREE_MODEL (self->store), &iter, path))
    return;
  /* A reference of our own: the handler may change the table. */
  gtk_tree_model_get (GTK_TREE_MODEL (self->store), &iter, DOMUS_TOP_TABLE_COLUMN_DOMAIN, &domain, -1);
  if (domain != NULL)
    g_signal_emit (self, signals[SIGNAL_OPEN_DOMAIN], 0, domain);
}

/* API */

GtkWidget *
domus_top_table_new (DomusHost *host)
{
  g_return_val_if_fail (DOMUS_IS_HOST (host), NULL);
  return g_object_new (DOMUS_TYPE_TOP_TABLE, "host", host, NULL);
}

DomusHost *
domus_top_table_get_host (DomusTopTable *self)
{
  g_return_val_if_fail (DOMUS_IS_TOP_TABLE (self), NULL);
  return self->host;
}

GtkTreeView *
domus_top_table_get_tree_view (DomusTopTable *self)
{
  g_return_val_if_fail (DOMUS_IS_TOP_TABLE (self), NULL);
  return self->view;
}

guint
domus_top_table_get_n_rows (DomusTopTable *self)
{
  g_return_val_if_fail (DOMUS_IS_TOP_TABLE (self), 0);
  return gtk_tree_model_iter_n_children (GTK_TREE_MODEL (self->store), NULL);
}

DomusDomain *
domus_top_table_get_row_domain (DomusTopTable *self,
                                guint          n)
{
  DomusDomain *domain = NULL;
  GtkTreeIter iter;

  g_return_val_if_fail (DOMUS_IS_TOP_TABLE (self), NULL);
  if (!gtk_tree_model_iter_nth_child (GTK_TREE_MODEL (self->store), &iter, NULL, n))
    return NULL;
  gtk_tree_model_get (GTK_TREE_MODEL (self->store), &iter, DOMUS_TOP_TABLE_COLUMN_DOMAIN, &domain, -1);
  /* The row holds a reference as long as the row lives. */
  if (domain != NULL)
    g_object_unref (domain);
  return domain;
}

char *
domus_top_table_get_cell_text (DomusTopTable       *self,
                               DomusDomain         *domain,
                               DomusTopTableColumn  column)
{
  GtkTreeIter *iter;

  g_return_val_if_fail (DOMUS_IS_TOP_TABLE (self), NULL);
  g_return_val_if_fail (column > DOMUS_TOP_TABLE_COLUMN_DOMAIN && column < DOMUS_TOP_TABLE_N_COLUMNS, NULL);
  iter = g_hash_table_lookup (self->rows, domain);
  return iter != NULL ? format_cell (GTK_TREE_MODEL (self->store), iter, column) : NULL;
}

/* GObject */

static void
domus_top_table_constructed (GObject *object)
{
  DomusTopTable *self = DOMUS_TOP_TABLE (object);
  GListModel *domains;

  G_OBJECT_CLASS (domus_top_table_parent_class)->constructed (object);
  g_return_if_fail (self->host != NULL);

  /* The host outlives its page. */
  g_signal_connect_object (self->host, "notify::name", G_CALLBACK (on_host_name), self, 0);
  g_signal_connect_object (self->host, "stats-updated", G_CALLBACK (on_stats_updated), self, 0);
  domains = domus_host_get_domains (self->host);
  g_signal_connect_object (domains, "items-changed", G_CALLBACK (on_domains_changed), self, 0);

  update_name (self);
  on_domains_changed (domains, 0, 0, g_list_model_get_n_items (domains), self);
}

static void
domus_top_table_dispose (GObject *object)
{
  DomusTopTable *self = DOMUS_TOP_TABLE (object);

  if (self->domains != NULL)
    {
      for (guint i = 0; i < self->domains->len; i++)
        g_signal_handlers_disconnect_by_func (g_ptr_array_index (self->domains, i), on_domain_notify, self);
      g_ptr_array_set_size (self->domains, 0);
    }
  if (self->rows != NULL)
    g_hash_table_remove_all (self->rows);
  if (self->host != NULL)
    {
      g_signal_handlers_disconnect_by_data (domus_host_get_domains (self->host), self);
      g_signal_handlers_disconnect_by_data (self->host, self);
      g_clear_object (&self->host);
    }

  G_OBJECT_CLASS (domus_top_table_parent_class)->dispose (object);
}

static void
domus_top_table_finalize (GObject *object)
{
  DomusTopTable *self = DOMUS_TOP_TABLE (object);

  g_clear_pointer (&self->domains, g_ptr_array_unref);
  g_clear_pointer (&self->rows, g_hash_table_unref);

  G_OBJECT_CLASS (domus_top_table_parent_class)->finalize (object);
}

static void
domus_top_table_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  DomusTopTable *self = DOMUS_TOP_TABLE (object);

  switch (prop_id)
    {
    case PROP_HOST: g_value_set_object (value, self->host); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
domus_top_table_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  DomusTopTable *self = DOMUS_TOP_TABLE (object);

  switch (prop_id)
    {
    case PROP_HOST: self->host = g_value_dup_object (value); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
domus_top_table_class_init (DomusTopTableClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = domus_top_table_constructed;
  object_class->dispose = domus_top_table_dispose;
  object_class->finalize = domus_top_table_finalize;
  object_class->get_property = domus_top_table_get_property;
  object_class->set_property = domus_top_table_set_property;

  properties[PROP_HOST] =
    g_param_spec_object ("host", NULL, NULL, DOMUS_TYPE_HOST,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNAL_OPEN_DOMAIN] =
    g_signal_new ("open-domain", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, DOMUS_TYPE_DOMAIN);

  /* The template's store names the type of its first column. */
  g_type_ensure (DOMUS_TYPE_DOMAIN);
  gtk_widget_class_set_template_from_resource (widget_class, "/org/domus/Domus/ui/domus-top-table.ui");
  gtk_widget_class_bind_template_child (widget_class, DomusTopTable, view);
  gtk_widget_class_bind_template_child (widget_class, DomusTopTable, store);
  gtk_widget_class_bind_template_callback (widget_class, row_activated);
}

static void
domus_top_table_init (DomusTopTable *self)
{
  GtkTreeSortable *sortable;
  g_autoptr(GList) columns = NULL;

  self->domains = g_ptr_array_new_with_free_func (g_object_unref);
  self->rows = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  gtk_widget_init_template (GTK_WIDGET (self));

  sortable = GTK_TREE_SORTABLE (self->store);
  for (int column = DOMUS_TOP_TABLE_COLUMN_NAME; column <= COL_STATE_ORDER; column++)
    gtk_tree_sortable_set_sort_func (sortable, column, sort_rows, GINT_TO_POINTER (column), NULL);
  /* `xm top`'s order: the busiest first. */
  gtk_tree_sortable_set_sort_column_id (sortable, DOMUS_TOP_TABLE_COLUMN_CPU_PERCENT, GTK_SORT_DESCENDING);

  /* Each column shows the model column it sorts by (the state its label); the header's
   * accessible name is its title, with the unit, for screen readers and tests. */
  columns = gtk_tree_view_get_columns (self->view);
  for (GList *l = columns; l != NULL; l = l->next)
    {
      GtkTreeViewColumn *column = l->data;
      int shown = gtk_tree_view_column_get_sort_column_id (column);
      g_autoptr(GList) cells = gtk_cell_layout_get_cells (GTK_CELL_LAYOUT (column));
      GtkWidget *button = gtk_tree_view_column_get_button (column);

      if (shown == COL_STATE_ORDER)
        shown = DOMUS_TOP_TABLE_COLUMN_STATE;
      if (cells != NULL)
        gtk_tree_view_column_set_cell_data_func (column, cells->data, cell_data, GINT_TO_POINTER (shown), NULL);
      if (button != NULL)
        atk_object_set_name (gtk_widget_get_accessible (button), gtk_tree_view_column_get_title (column));
    }
}
