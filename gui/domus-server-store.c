/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The sidebar's rows: a GtkTreeStore kept in step with the hosts, their domains and tags.
 *
 * Ungrouped, a host row's children mirror the host's domains by position. Grouped, they
 * mirror the host's DomusTagGroups: a row per group, whose children mirror that group's
 * domains by position. Either way a row's children follow one GListModel's items-changed;
 * a domain can have several rows (one per tag), so its notify handlers are connected once
 * per domain, and its rows are indexed (self->domain_rows) rather than searched for: with
 * a thousand rows, a walk of the tree per event is what stalls the window. Each batch of
 * changes is framed by "rows-changing" and "rows-changed" (once, however deep batches
 * nest), so that a view keeps its selection and refilters once per batch. A domain's
 * notifications are written to its rows once per main-loop iteration, all of them in one
 * batch: a flood of events from a host is one change of the view, not one per event. */

#include "config.h"

#include <glib/gi18n.h>

#include "domus-server-store.h"
#include "domus-state-text.h"
#include "domus-tag-groups.h"

#define COL_KIND       DOMUS_SERVER_STORE_COL_KIND
#define COL_OBJECT     DOMUS_SERVER_STORE_COL_OBJECT
#define COL_NAME       DOMUS_SERVER_STORE_COL_NAME
#define COL_STATE_TEXT DOMUS_SERVER_STORE_COL_STATE_TEXT
#define COL_STATE      DOMUS_SERVER_STORE_COL_STATE
#define COL_CURRENT    DOMUS_SERVER_STORE_COL_CURRENT
#define COL_A11Y_NAME  DOMUS_SERVER_STORE_COL_A11Y_NAME

struct _DomusServerStore
{
  GObject       parent_instance;

  GtkTreeStore *store;
  GListModel   *hosts;
  gboolean      group_by_tag;
  GHashTable   *tag_groups;   /* DomusHost -> DomusTagGroups, while grouped */
  GHashTable   *domain_rows;  /* DomusDomain -> GArray of GtkTreeIter: its rows (a tree
                                 store's iters stay valid while their rows exist) */
  GHashTable   *model_rows;   /* GListModel -> GtkTreeIter: the row whose children mirror it */
  guint         changing;     /* nesting of begin_change () */
  GHashTable   *dirty;        /* DomusDomain whose rows are to be written again */
  guint         flush_source; /* writes them, once the main loop has nothing more urgent */
};

G_DEFINE_FINAL_TYPE (DomusServerStore, domus_server_store, G_TYPE_OBJECT)

enum {
  SIGNAL_ROWS_CHANGING,
  SIGNAL_ROWS_CHANGED,
  SIGNAL_ROW_FILLED,
  SIGNAL_STATS_UPDATED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
begin_change (DomusServerStore *self)
{
  if (self->changing++ == 0)
    g_signal_emit (self, signals[SIGNAL_ROWS_CHANGING], 0);
}

static void
end_change (DomusServerStore *self)
{
  g_return_if_fail (self->changing > 0);
  if (--self->changing == 0)
    g_signal_emit (self, signals[SIGNAL_ROWS_CHANGED], 0);
}

/* Finding rows */

static gboolean
find_child (DomusServerStore *self,
            GtkTreeIter      *parent,
            gpointer          object,
            GtkTreeIter      *iter)
{
  GtkTreeModel *model = GTK_TREE_MODEL (self->store);

  if (!gtk_tree_model_iter_children (model, iter, parent))
    return FALSE;
  do
    {
      g_autoptr(GObject) row_object = NULL;

      gtk_tree_model_get (model, iter, COL_OBJECT, &row_object, -1);
      if (row_object == object)
        return TRUE;
    }
  while (gtk_tree_model_iter_next (model, iter));
  return FALSE;
}

gboolean
domus_server_store_find_host (DomusServerStore *self,
                              DomusHost        *host,
                              GtkTreeIter      *iter)
{
  g_return_val_if_fail (DOMUS_IS_SERVER_STORE (self), FALSE);

  return find_child (self, NULL, host, iter);
}

gboolean
domus_server_store_next_row (DomusServerStore *self,
                             GtkTreeIter      *from,
                             GtkTreeIter      *iter)
{
  GtkTreeModel *model = GTK_TREE_MODEL (self->store);
  GtkTreeIter child, parent;

  if (from == NULL)
    return gtk_tree_model_get_iter_first (model, iter);
  if (gtk_tree_model_iter_children (model, &child, from))
    {
      *iter = child;
      return TRUE;
    }
  *iter = *from;
  while (TRUE)
    {
      GtkTreeIter sibling = *iter;

      if (gtk_tree_model_iter_next (model, &sibling))
        {
          *iter = sibling;
          return TRUE;
        }
      if (!gtk_tree_model_iter_parent (model, &parent, iter))
        return FALSE;
      *iter = parent;
    }
}

/* Of a domain's rows (from the index), the first after from in the tree's order. */
static gboolean
next_domain_row (DomusServerStore *self,
                 GArray           *rows,
                 GtkTreeIter      *from,
                 GtkTreeIter      *iter)
{
  GtkTreeModel *model = GTK_TREE_MODEL (self->store);
  g_autoptr(GtkTreePath) after = from != NULL ? gtk_tree_model_get_path (model, from) : NULL;
  g_autoptr(GtkTreePath) best = NULL;

  for (guint i = 0; i < rows->len; i++)
    {
      GtkTreeIter *row = &g_array_index (rows, GtkTreeIter, i);
      g_autoptr(GtkTreePath) path = gtk_tree_model_get_path (model, row);

      if ((after == NULL || gtk_tree_path_compare (path, after) > 0)
          && (best == NULL || gtk_tree_path_compare (path, best) < 0))
        {
          g_clear_pointer (&best, gtk_tree_path_free);
          best = g_steal_pointer (&path);
          *iter = *row;
        }
    }
  return best != NULL;
}

gboolean
domus_server_store_next_row_of (DomusServerStore *self,
                                gpointer          object,
                                GtkTreeIter      *from,
                                GtkTreeIter      *iter)
{
  GtkTreeModel *model = GTK_TREE_MODEL (self->store);
  GArray *rows = DOMUS_IS_DOMAIN (object) ? g_hash_table_lookup (self->domain_rows, object) : NULL;
  gboolean more;

  if (DOMUS_IS_DOMAIN (object))
    return rows != NULL && next_domain_row (self, rows, from, iter);
  more = domus_server_store_next_row (self, from, iter);

  while (more)
    {
      g_autoptr(GObject) row_object = NULL;

      gtk_tree_model_get (model, iter, COL_OBJECT, &row_object, -1);
      if (row_object == object)
        return TRUE;
      more = domus_server_store_next_row (self, iter, iter);
    }
  return FALSE;
}

/* Rows' contents */

static gboolean
host_is_current (DomusHost *host)
{
  return host != NULL && domus_host_get_state (host) == DOMUS_HOST_STATE_CONNECTED;
}

/* A domain row's columns, as values, so that a new row is inserted filled in: one
 * "row-inserted" for the view and its filter instead of an insertion and a change. */
enum { DOMAIN_ROW_N_COLUMNS = 6 };

static int domain_row_columns[DOMAIN_ROW_N_COLUMNS] = {
  COL_CURRENT, COL_KIND, COL_OBJECT, COL_NAME, COL_STATE_TEXT, COL_STATE
};

static void
domain_row_values (DomusDomain *domain,
                   GValue       values[DOMAIN_ROW_N_COLUMNS])
{
  DomusDomainState state = domus_domain_get_state (domain);

  g_value_set_boolean (g_value_init (&values[0], G_TYPE_BOOLEAN),
                       host_is_current (domus_domain_get_host (domain)));
  g_value_set_int (g_value_init (&values[1], G_TYPE_INT), DOMUS_SERVER_ROW_DOMAIN);
  g_value_set_object (g_value_init (&values[2], G_TYPE_OBJECT), domain);
  g_value_set_string (g_value_init (&values[3], G_TYPE_STRING), domus_domain_get_name (domain));
  g_value_set_static_string (g_value_init (&values[4], G_TYPE_STRING), domus_domain_state_label (state));
  g_value_set_int (g_value_init (&values[5], G_TYPE_INT), state);
}

static void
unset_values (GValue values[DOMAIN_ROW_N_COLUMNS])
{
  for (guint i = 0; i < DOMAIN_ROW_N_COLUMNS; i++)
    g_value_unset (&values[i]);
}

static void
set_domain_row (DomusServerStore *self,
                GtkTreeIter      *iter,
                DomusDomain      *domain)
{
  GValue values[DOMAIN_ROW_N_COLUMNS] = { G_VALUE_INIT };

  domain_row_values (domain, values);
  gtk_tree_store_set_valuesv (self->store, iter, domain_row_columns, values, DOMAIN_ROW_N_COLUMNS);
  unset_values (values);
}

static void
insert_domain_row (DomusServerStore *self,
                   GtkTreeIter      *parent,
                   guint             position,
                   DomusDomain      *domain,
                   GtkTreeIter      *iter)
{
  GValue values[DOMAIN_ROW_N_COLUMNS] = { G_VALUE_INIT };

  domain_row_values (domain, values);
  gtk_tree_store_insert_with_valuesv (self->store, iter, parent, (int) position,
                                      domain_row_columns, values, DOMAIN_ROW_N_COLUMNS);
  unset_values (values);
}

/* The tag next to a tag icon, read "Tag web" by a screen reader, or "Untagged"; the state
 * column counts the domains. */
static void
set_group_row (DomusServerStore *self,
               GtkTreeIter      *iter,
               GListModel       *group,
               DomusHost        *host)
{
  const char *tag = domus_tag_groups_get_tag (group);
  g_autofree char *a11y_name = tag != NULL ? g_strdup_printf (_("Tag %s"), tag) : g_strdup (_("Untagged"));
  g_autofree char *count = g_strdup_printf ("%u", g_list_model_get_n_items (group));

  gtk_tree_store_set (self->store, iter,
                      COL_CURRENT, host_is_current (host),
                      COL_KIND, DOMUS_SERVER_ROW_GROUP,
                      COL_OBJECT, group,
                      COL_NAME, tag != NULL ? tag : _("Untagged"),
                      COL_A11Y_NAME, a11y_name,
                      COL_STATE_TEXT, count,
                      COL_STATE, 0,
                      -1);
}

static void
set_host_row (DomusServerStore *self,
              GtkTreeIter      *iter,
              DomusHost        *host)
{
  DomusHostState state = domus_host_get_state (host);

  gtk_tree_store_set (self->store, iter,
                      COL_CURRENT, TRUE,
                      COL_KIND, DOMUS_SERVER_ROW_HOST,
                      COL_OBJECT, host,
                      COL_NAME, domus_host_get_name (host),
                      COL_STATE_TEXT, domus_host_state_label (state),
                      COL_STATE, state,
                      -1);
}

/* Domains, watched once however many rows they have */

/* Every row of every domain that changed since the last time: one batch. */
static gboolean
flush_dirty (gpointer user_data)
{
  DomusServerStore *self = user_data;
  g_autoptr(GHashTable) dirty = g_steal_pointer (&self->dirty);
  GHashTableIter it;
  gpointer domain;

  self->flush_source = 0;
  self->dirty = g_hash_table_new_full (g_direct_hash, g_direct_equal, g_object_unref, NULL);
  begin_change (self);
  g_hash_table_iter_init (&it, dirty);
  while (g_hash_table_iter_next (&it, &domain, NULL))
    {
      GArray *rows = g_hash_table_lookup (self->domain_rows, domain);

      for (guint i = 0; rows != NULL && i < rows->len; i++)
        set_domain_row (self, &g_array_index (rows, GtkTreeIter, i), domain);
    }
  end_change (self);
  return G_SOURCE_REMOVE;
}

/* Written when the main loop is done with what is pending now (a host's burst of events),
 * before the next redraw: GTK draws at G_PRIORITY_HIGH_IDLE + 20. */
#define FLUSH_PRIORITY (G_PRIORITY_HIGH_IDLE + 10)

static void
domain_notify (DomusDomain      *domain,
               GParamSpec       *pspec,
               DomusServerStore *self)
{
  if (!g_hash_table_add (self->dirty, g_object_ref (domain)) || self->flush_source != 0)
    return;
  self->flush_source = g_idle_add_full (FLUSH_PRIORITY, flush_dirty, self, NULL);
  g_source_set_name_by_id (self->flush_source, "[domus] server rows");
}

static void
watch_domain (DomusServerStore *self,
              DomusDomain      *domain,
              GtkTreeIter      *iter)
{
  GArray *rows = g_hash_table_lookup (self->domain_rows, domain);

  if (rows == NULL)
    {
      /* The tree shows the name and the state; the pages follow the rest themselves.
       * Grouped, a change of tags moves rows through the DomusTagGroups. */
      g_signal_connect (domain, "notify::state", G_CALLBACK (domain_notify), self);
      g_signal_connect (domain, "notify::name", G_CALLBACK (domain_notify), self);
      g_signal_connect (domain, "notify::tags", G_CALLBACK (domain_notify), self);
      rows = g_array_sized_new (FALSE, FALSE, sizeof (GtkTreeIter), 1);
      g_hash_table_insert (self->domain_rows, g_object_ref (domain), rows);
    }
  g_array_append_val (rows, *iter);
}

static void
unwatch_domain (DomusServerStore *self,
                DomusDomain      *domain,
                GtkTreeIter      *iter)
{
  GArray *rows = g_hash_table_lookup (self->domain_rows, domain);

  if (rows == NULL)
    return;
  for (guint i = 0; i < rows->len; i++)
    if (g_array_index (rows, GtkTreeIter, i).user_data == iter->user_data)
      {
        g_array_remove_index_fast (rows, i);
        break;
      }
  if (rows->len > 0)
    return;
  g_signal_handlers_disconnect_by_data (domain, self);
  g_hash_table_remove (self->dirty, domain);
  g_hash_table_remove (self->domain_rows, domain);
}

/* Mirroring a model under a row */

/* A row to show open: its first child arrived (an empty row cannot be expanded), or it is
 * a new group. */
static void
row_filled (DomusServerStore *self,
            GtkTreeIter      *iter)
{
  g_autoptr(GtkTreePath) path = gtk_tree_model_get_path (GTK_TREE_MODEL (self->store), iter);

  g_signal_emit (self, signals[SIGNAL_ROW_FILLED], 0, path);
}

static void children_changed (GListModel       *model,
                              guint             position,
                              guint             removed,
                              guint             added,
                              DomusServerStore *self);

/* A row and everything under it, with the handlers its objects had. */
static void
remove_row (DomusServerStore *self,
            GtkTreeIter      *iter)
{
  g_autoptr(GObject) object = NULL;
  GtkTreeIter child;
  int kind;

  while (gtk_tree_model_iter_children (GTK_TREE_MODEL (self->store), &child, iter))
    remove_row (self, &child);
  gtk_tree_model_get (GTK_TREE_MODEL (self->store), iter, COL_KIND, &kind, COL_OBJECT, &object, -1);
  if (kind == DOMUS_SERVER_ROW_DOMAIN && object != NULL)
    unwatch_domain (self, DOMUS_DOMAIN (object), iter);
  else if (kind == DOMUS_SERVER_ROW_GROUP && object != NULL)
    {
      g_signal_handlers_disconnect_by_data (object, self);
      g_hash_table_remove (self->model_rows, object);
    }
  gtk_tree_store_remove (self->store, iter);
}

/* Rows for items [position, position + added) of model (domains, or tag groups) under
 * parent, after removing `removed` rows there. */
static void
mirror_items (DomusServerStore *self,
              GtkTreeIter      *parent,
              GListModel       *model,
              DomusHost        *host,
              guint             position,
              guint             removed,
              guint             added)
{
  GtkTreeModel *tree_model = GTK_TREE_MODEL (self->store);
  gboolean was_empty = !gtk_tree_model_iter_has_child (tree_model, parent);

  for (guint i = 0; i < removed; i++)
    {
      GtkTreeIter iter;

      if (gtk_tree_model_iter_nth_child (tree_model, &iter, parent, position))
        remove_row (self, &iter);
    }
  for (guint i = 0; i < added; i++)
    {
      g_autoptr(GObject) item = g_list_model_get_item (model, position + i);
      GtkTreeIter iter;

      if (DOMUS_IS_DOMAIN (item))
        {
          insert_domain_row (self, parent, position + i, DOMUS_DOMAIN (item), &iter);
          watch_domain (self, DOMUS_DOMAIN (item), &iter);
        }
      else
        {
          GListModel *group = G_LIST_MODEL (item);

          gtk_tree_store_insert (self->store, &iter, parent, (int) (position + i));
          set_group_row (self, &iter, group, host);
          g_hash_table_insert (self->model_rows, group, g_memdup2 (&iter, sizeof iter));
          g_signal_connect (group, "items-changed", G_CALLBACK (children_changed), self);
          mirror_items (self, &iter, group, host, 0, 0, g_list_model_get_n_items (group));
          /* A new group opens: its domains are what the user came to see. */
          row_filled (self, &iter);
        }
    }
  if (was_empty && added > 0)
    row_filled (self, parent);
}

/* The row whose children mirror this model: a host row (its domains, or its groups when
 * grouped) or, grouped, a group row; and the host either belongs to (borrowed: the store
 * keeps its reference). */
static gboolean
find_model_row (DomusServerStore  *self,
                GListModel        *model,
                GtkTreeIter       *iter,
                DomusHost        **host_out)
{
  GtkTreeModel *tree_model = GTK_TREE_MODEL (self->store);
  GtkTreeIter *row = g_hash_table_lookup (self->model_rows, model);
  GtkTreeIter host_iter, up;
  g_autoptr(GObject) host = NULL;

  if (row == NULL)
    return FALSE;
  *iter = host_iter = *row;
  while (gtk_tree_model_iter_parent (tree_model, &up, &host_iter))
    host_iter = up;
  gtk_tree_model_get (tree_model, &host_iter, COL_OBJECT, &host, -1);
  *host_out = DOMUS_HOST (host);
  return TRUE;
}

/* A model that a row's children mirror changed: a host's domains or tag groups, or a
 * group's domains (whose row also counts them). */
static void
children_changed (GListModel       *model,
                  guint             position,
                  guint             removed,
                  guint             added,
                  DomusServerStore *self)
{
  GtkTreeIter iter;
  DomusHost *host = NULL;
  int kind;

  if (!find_model_row (self, model, &iter, &host))
    return;
  begin_change (self);
  gtk_tree_model_get (GTK_TREE_MODEL (self->store), &iter, COL_KIND, &kind, -1);
  if (kind == DOMUS_SERVER_ROW_GROUP)
    set_group_row (self, &iter, model, host);
  mirror_items (self, &iter, model, host, position, removed, added);
  end_change (self);
}

/* Hosts */

static void
host_list_change_begins (GListModel       *domains,
                         guint             position,
                         guint             removed,
                         guint             added,
                         DomusServerStore *self)
{
  begin_change (self);
}

static void
host_list_change_ends (GListModel       *domains,
                       guint             position,
                       guint             removed,
                       guint             added,
                       DomusServerStore *self)
{
  end_change (self);
}

/* The host row's children as the mode says: the domains, or the tag groups. */
static void
fill_host_row (DomusServerStore *self,
               GtkTreeIter      *host_iter,
               DomusHost        *host)
{
  GListModel *children = domus_host_get_domains (host);

  if (self->group_by_tag)
    {
      DomusTagGroups *groups;

      /* A change of the host's list moves domains through many groups, each a change of
       * its own: framed here as one batch, before the groups hear of it and after. */
      g_signal_connect (children, "items-changed", G_CALLBACK (host_list_change_begins), self);
      groups = domus_tag_groups_new (children);
      g_signal_connect_after (children, "items-changed", G_CALLBACK (host_list_change_ends), self);
      g_hash_table_insert (self->tag_groups, g_object_ref (host), groups);
      children = G_LIST_MODEL (groups);
    }
  g_hash_table_insert (self->model_rows, children, g_memdup2 (host_iter, sizeof *host_iter));
  g_signal_connect (children, "items-changed", G_CALLBACK (children_changed), self);
  mirror_items (self, host_iter, children, host, 0, 0, g_list_model_get_n_items (children));
}

static void
empty_host_row (DomusServerStore *self,
                GtkTreeIter      *host_iter,
                DomusHost        *host)
{
  GtkTreeIter child;
  DomusTagGroups *groups = g_hash_table_lookup (self->tag_groups, host);

  while (gtk_tree_model_iter_children (GTK_TREE_MODEL (self->store), &child, host_iter))
    remove_row (self, &child);
  g_signal_handlers_disconnect_by_data (domus_host_get_domains (host), self);
  g_hash_table_remove (self->model_rows, domus_host_get_domains (host));
  if (groups != NULL)
    {
      g_signal_handlers_disconnect_by_data (groups, self);
      g_hash_table_remove (self->model_rows, groups);
      g_hash_table_remove (self->tag_groups, host);
    }
}

static void
host_notify (DomusHost        *host,
             GParamSpec       *pspec,
             DomusServerStore *self)
{
  GtkTreeModel *model = GTK_TREE_MODEL (self->store);
  GtkTreeIter iter, row;
  gboolean more;

  if (!domus_server_store_find_host (self, host, &iter))
    return;
  begin_change (self);
  set_host_row (self, &iter, host);
  /* What the rows under it say is only as current as the host's connection. */
  more = domus_server_store_next_row (self, &iter, &row);
  while (more)
    {
      g_autoptr(GObject) object = NULL;

      gtk_tree_model_get (model, &row, COL_OBJECT, &object, -1);
      if (DOMUS_IS_HOST (object))
        break;
      if (DOMUS_IS_DOMAIN (object))
        set_domain_row (self, &row, DOMUS_DOMAIN (object));
      else if (G_IS_LIST_MODEL (object))
        set_group_row (self, &row, G_LIST_MODEL (object), host);
      more = domus_server_store_next_row (self, &row, &row);
    }
  end_change (self);
}

static void
host_stats_updated (DomusHost        *host,
                    DomusServerStore *self)
{
  g_signal_emit (self, signals[SIGNAL_STATS_UPDATED], 0, host);
}

static void
add_host_row (DomusServerStore *self,
              DomusHost        *host,
              guint             position)
{
  GtkTreeIter iter;

  gtk_tree_store_insert (self->store, &iter, NULL, position);
  set_host_row (self, &iter, host);
  g_signal_connect (host, "notify::state", G_CALLBACK (host_notify), self);
  g_signal_connect (host, "notify::name", G_CALLBACK (host_notify), self);
  /* The sparklines move once a sample: one redraw of the visible rows. */
  g_signal_connect (host, "stats-updated", G_CALLBACK (host_stats_updated), self);
  fill_host_row (self, &iter, host);
}

static void
remove_host_row (DomusServerStore *self,
                 GtkTreeIter      *iter)
{
  g_autoptr(DomusHost) host = NULL;

  gtk_tree_model_get (GTK_TREE_MODEL (self->store), iter, COL_OBJECT, &host, -1);
  if (host != NULL)
    {
      empty_host_row (self, iter, host);
      g_signal_handlers_disconnect_by_data (host, self);
    }
  remove_row (self, iter);
}

static void
hosts_changed (GListModel       *hosts,
               guint             position,
               guint             removed,
               guint             added,
               DomusServerStore *self)
{
  begin_change (self);
  for (guint i = 0; i < removed; i++)
    {
      GtkTreeIter iter;

      if (gtk_tree_model_iter_nth_child (GTK_TREE_MODEL (self->store), &iter, NULL, position))
        remove_host_row (self, &iter);
    }
  for (guint i = 0; i < added; i++)
    {
      g_autoptr(DomusHost) host = g_list_model_get_item (hosts, position + i);

      add_host_row (self, host, position + i);
    }
  end_change (self);
}

static void
clear_rows (DomusServerStore *self)
{
  GtkTreeIter iter;

  while (gtk_tree_model_get_iter_first (GTK_TREE_MODEL (self->store), &iter))
    remove_host_row (self, &iter);
}

void
domus_server_store_set_hosts (DomusServerStore *self,
                              GListModel       *hosts)
{
  g_return_if_fail (DOMUS_IS_SERVER_STORE (self));
  g_return_if_fail (hosts == NULL || G_IS_LIST_MODEL (hosts));

  if (self->hosts != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->hosts, self);
      clear_rows (self);
      g_clear_object (&self->hosts);
    }
  if (hosts == NULL)
    return;
  self->hosts = g_object_ref (hosts);
  g_signal_connect (hosts, "items-changed", G_CALLBACK (hosts_changed), self);
  hosts_changed (hosts, 0, 0, g_list_model_get_n_items (hosts), self);
}

/* Every host row's children are made again in the other mode. */
void
domus_server_store_set_group_by_tag (DomusServerStore *self,
                                     gboolean          group_by_tag)
{
  GtkTreeModel *model;
  GtkTreeIter iter;

  g_return_if_fail (DOMUS_IS_SERVER_STORE (self));

  group_by_tag = !!group_by_tag;
  if (self->group_by_tag == group_by_tag)
    return;
  model = GTK_TREE_MODEL (self->store);
  begin_change (self);
  if (gtk_tree_model_get_iter_first (model, &iter))
    do
      {
        g_autoptr(DomusHost) host = NULL;

        gtk_tree_model_get (model, &iter, COL_OBJECT, &host, -1);
        empty_host_row (self, &iter, host);
      }
    while (gtk_tree_model_iter_next (model, &iter));
  self->group_by_tag = group_by_tag;
  if (gtk_tree_model_get_iter_first (model, &iter))
    do
      {
        g_autoptr(DomusHost) host = NULL;

        gtk_tree_model_get (model, &iter, COL_OBJECT, &host, -1);
        fill_host_row (self, &iter, host);
      }
    while (gtk_tree_model_iter_next (model, &iter));
  end_change (self);
}

gboolean
domus_server_store_get_group_by_tag (DomusServerStore *self)
{
  g_return_val_if_fail (DOMUS_IS_SERVER_STORE (self), FALSE);
  return self->group_by_tag;
}

GtkTreeModel *
domus_server_store_get_model (DomusServerStore *self)
{
  g_return_val_if_fail (DOMUS_IS_SERVER_STORE (self), NULL);
  return GTK_TREE_MODEL (self->store);
}

/* GObject */

static void
domus_server_store_dispose (GObject *object)
{
  DomusServerStore *self = DOMUS_SERVER_STORE (object);

  if (self->hosts != NULL)
    domus_server_store_set_hosts (self, NULL);
  g_clear_handle_id (&self->flush_source, g_source_remove);
  g_clear_pointer (&self->dirty, g_hash_table_unref);
  g_clear_pointer (&self->tag_groups, g_hash_table_unref);
  g_clear_pointer (&self->domain_rows, g_hash_table_unref);
  g_clear_pointer (&self->model_rows, g_hash_table_unref);
  g_clear_object (&self->store);

  G_OBJECT_CLASS (domus_server_store_parent_class)->dispose (object);
}

static void
domus_server_store_class_init (DomusServerStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = domus_server_store_dispose;

  signals[SIGNAL_ROWS_CHANGING] =
    g_signal_new ("rows-changing", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_ROWS_CHANGED] =
    g_signal_new ("rows-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_ROW_FILLED] =
    g_signal_new ("row-filled", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, GTK_TYPE_TREE_PATH);
  signals[SIGNAL_STATS_UPDATED] =
    g_signal_new ("stats-updated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, DOMUS_TYPE_HOST);
}

static void
domus_server_store_init (DomusServerStore *self)
{
  self->tag_groups = g_hash_table_new_full (g_direct_hash, g_direct_equal, g_object_unref, g_object_unref);
  self->domain_rows = g_hash_table_new_full (g_direct_hash, g_direct_equal, g_object_unref,
                                            (GDestroyNotify) g_array_unref);
  self->model_rows = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, g_free);
  self->dirty = g_hash_table_new_full (g_direct_hash, g_direct_equal, g_object_unref, NULL);
  self->store = gtk_tree_store_new (DOMUS_SERVER_STORE_N_COLUMNS, G_TYPE_INT, G_TYPE_OBJECT,
                                    G_TYPE_STRING, G_TYPE_STRING, G_TYPE_INT, G_TYPE_BOOLEAN,
                                    G_TYPE_STRING);
}

DomusServerStore *
domus_server_store_new (void)
{
  return g_object_new (DOMUS_TYPE_SERVER_STORE, NULL);
}
