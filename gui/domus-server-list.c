/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The sidebar: a tree of servers and their domains, with a filter box and context menus.
 *
 * The rows are a DomusServerStore's, which keeps them in step with the hosts, their
 * domains and, grouped by tag (GSettings "group-by-tag"), their tags. This is the view:
 * the tree shows the store through a GtkTreeModelFilter for the filter box; it draws the
 * state icons and sparklines, offers the context menus, is the drag source and the drop
 * targets for migrations, and says what is selected. */

#include "config.h"

#include <glib/gi18n.h>
#include <librsvg/rsvg.h>

#include "domus-server-list.h"
#include "domus-name-renderer.h"
#include "domus-paced-redraw.h"
#include "domus-server-store.h"
#include "domus-sparkline-renderer.h"
#include "domus-state-text.h"
#include "domus-tag-groups.h"

#define ICON_SIZE 16
#define TAG_ICON_RESOURCE "/org/domus/Domus/icons/scalable/domus-tag.svg"
/* The settings key the "Group by Tag" toggle keeps (data/org.domus.Domus.gschema.xml). */
#define SETTINGS_GROUP_BY_TAG "group-by-tag"

#define COL_KIND       DOMUS_SERVER_STORE_COL_KIND
#define COL_OBJECT     DOMUS_SERVER_STORE_COL_OBJECT
#define COL_NAME       DOMUS_SERVER_STORE_COL_NAME
#define COL_STATE_TEXT DOMUS_SERVER_STORE_COL_STATE_TEXT
#define COL_STATE      DOMUS_SERVER_STORE_COL_STATE
#define COL_CURRENT    DOMUS_SERVER_STORE_COL_CURRENT
#define COL_A11Y_NAME  DOMUS_SERVER_STORE_COL_A11Y_NAME

struct _DomusServerList
{
  GtkBox              parent_instance;

  GtkSearchEntry     *filter_entry;
  GtkTreeView        *tree_view;

  DomusServerStore   *rows;
  GtkTreeModel       *store;           /* the rows' GtkTreeStore */
  GtkTreeModelFilter *filter;
  char               *needle;          /* the filter text, case-folded; NULL when empty */
  GtkWidget          *host_menu;
  GtkWidget          *domain_menu;
  GSettings          *settings;        /* NULL without the schema: grouping lasts this run */
  guint               changing;        /* nesting of begin_change () */
  GPtrArray          *kept_selection;  /* the objects selected when the change began */
  cairo_surface_t    *tag_icon;
  /* Icons drawn by librsvg at the window's scale, by state. */
  cairo_surface_t    *icons[DOMUS_DOMAIN_STATE_INVALID + 1];
  int                 icons_scale;
  DomusDomain        *drag_domain;     /* the domain row being dragged, while a drag lasts */
  GtkTreeViewColumn  *icon_column;     /* also the expanders' and the indentation's */
  GtkTreeViewColumn  *name_column;
  GtkTreeViewColumn  *state_column;
  GtkTreeViewColumn  *sparkline_column;
  DomusPacedRedraw    sparkline_pace;   /* the sparklines' redraws, on the one-second clock */
};

G_DEFINE_FINAL_TYPE (DomusServerList, domus_server_list, GTK_TYPE_BOX)

enum {
  SIGNAL_SELECTION_CHANGED,
  SIGNAL_DOMAIN_ACTIVATED,
  SIGNAL_MIGRATE_REQUESTED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

enum {
  PROP_0,
  PROP_GROUP_BY_TAG,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* Icons */

static void
clear_icons (DomusServerList *self)
{
  for (guint i = 0; i < G_N_ELEMENTS (self->icons); i++)
    g_clear_pointer (&self->icons[i], cairo_surface_destroy);
  g_clear_pointer (&self->tag_icon, cairo_surface_destroy);
}

/* The SVG drawn at the size the screen needs, so it stays sharp at any scale. */
static cairo_surface_t *
render_icon (const char *resource,
             int         scale)
{
  g_autofree char *uri = g_strconcat ("resource://", resource, NULL);
  g_autoptr(GFile) file = g_file_new_for_uri (uri);
  g_autoptr(GError) error = NULL;
  RsvgHandle *handle;
  RsvgRectangle viewport = { 0, 0, ICON_SIZE, ICON_SIZE };
  cairo_surface_t *surface;
  cairo_t *cr;

  handle = rsvg_handle_new_from_gfile_sync (file, RSVG_HANDLE_FLAGS_NONE, NULL, &error);
  if (handle == NULL)
    {
      g_critical ("%s: %s", resource, error->message);
      return NULL;
    }
  surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, ICON_SIZE * scale, ICON_SIZE * scale);
  cairo_surface_set_device_scale (surface, scale, scale);
  cr = cairo_create (surface);
  if (!rsvg_handle_render_document (handle, cr, &viewport, &error))
    g_critical ("%s: %s", resource, error->message);
  cairo_destroy (cr);
  g_object_unref (handle);
  return surface;
}

static cairo_surface_t *
state_icon (DomusServerList  *self,
            DomusDomainState  state)
{
  int scale = gtk_widget_get_scale_factor (GTK_WIDGET (self->tree_view));

  if (scale != self->icons_scale)
    {
      clear_icons (self);
      self->icons_scale = scale;
    }
  if ((guint) state >= G_N_ELEMENTS (self->icons))
    state = DOMUS_DOMAIN_STATE_INVALID;
  if (self->icons[state] == NULL)
    self->icons[state] = render_icon (domus_domain_state_icon_resource (state), scale);
  return self->icons[state];
}

static void
icon_data_func (GtkTreeViewColumn *column,
                GtkCellRenderer   *cell,
                GtkTreeModel      *model,
                GtkTreeIter       *iter,
                gpointer           user_data)
{
  DomusServerList *self = user_data;
  int kind, state;

  gtk_tree_model_get (model, iter, COL_KIND, &kind, COL_STATE, &state, -1);
  if (kind == DOMUS_SERVER_ROW_GROUP)
    {
      /* state_icon() keeps the cache at the widget's scale. */
      state_icon (self, DOMUS_DOMAIN_STATE_INVALID);
      if (self->tag_icon == NULL)
        self->tag_icon = render_icon (TAG_ICON_RESOURCE, self->icons_scale);
      g_object_set (cell, "icon-name", NULL, "surface", self->tag_icon, NULL);
    }
  else if (kind == DOMUS_SERVER_ROW_HOST)
    g_object_set (cell, "surface", NULL, "icon-name",
                  state == DOMUS_HOST_STATE_CONNECTED ? "network-server-symbolic" : "network-offline-symbolic",
                  NULL);
  else
    g_object_set (cell, "icon-name", NULL, "surface", state_icon (self, state), NULL);
}

/* The CPU sparkline of a row: the domain's, or the host's for a server row. */
static void
sparkline_data_func (GtkTreeViewColumn *column,
                     GtkCellRenderer   *cell,
                     GtkTreeModel      *model,
                     GtkTreeIter       *iter,
                     gpointer           user_data)
{
  g_autoptr(GObject) object = NULL;
  DomusStatsHistory *history = NULL;
  double max = 100;

  gtk_tree_model_get (model, iter, COL_OBJECT, &object, -1);
  if (DOMUS_IS_DOMAIN (object))
    {
      DomusDomain *domain = DOMUS_DOMAIN (object);

      /* Of one core: a guest keeping two busy shows 200. */
      max = 100.0 * MAX (domus_domain_get_vcpus (domain), 1);
      if (domus_domain_get_id (domain) >= 0)
        history = domus_domain_get_history (domain, DOMUS_METRIC_CPU_PERCENT);
    }
  else if (DOMUS_IS_HOST (object) && domus_host_get_state (DOMUS_HOST (object)) == DOMUS_HOST_STATE_CONNECTED)
    history = domus_host_get_history (DOMUS_HOST (object), DOMUS_HOST_METRIC_CPU_PERCENT);
  g_object_set (cell, "history", history, "max", max, NULL);
}

/* Following the rows: changes keep the selection. A domain whose row went (it moved to
 * another tag) is selected again where it is now, and the window hears of a change only
 * when the selected object really is another. */

static GObject   *selected_object  (DomusServerList *self);
static GPtrArray *selected_objects (DomusServerList *self);
static gboolean   select_object    (DomusServerList *self,
                                    GObject         *object,
                                    gboolean         add);
static void     refilter        (DomusServerList *self);
static void     set_column_widths (DomusServerList *self);
static void     add_group_action (DomusServerList *self);

static void
begin_change (DomusServerList *self)
{
  if (self->changing++ == 0)
    {
      g_clear_pointer (&self->kept_selection, g_ptr_array_unref);
      self->kept_selection = selected_objects (self);
    }
}

static gboolean
same_objects (GPtrArray *a,
              GPtrArray *b)
{
  if (a->len != b->len)
    return FALSE;
  for (guint i = 0; i < a->len; i++)
    if (!g_ptr_array_find (b, g_ptr_array_index (a, i), NULL))
      return FALSE;
  return TRUE;
}

static void
end_change (DomusServerList *self)
{
  g_autoptr(GPtrArray) now = NULL;
  g_autoptr(GPtrArray) kept = NULL;

  if (self->changing > 1)
    {
      self->changing--;
      return;
    }
  kept = g_steal_pointer (&self->kept_selection);
  now = selected_objects (self);
  /* Removing a selected row moves the selection to a neighbour (often the host): the rows
   * that were selected, those still there, win. */
  if (!same_objects (now, kept))
    {
      gtk_tree_selection_unselect_all (gtk_tree_view_get_selection (self->tree_view));
      for (guint i = 0; i < kept->len; i++)
        select_object (self, g_ptr_array_index (kept, i), i > 0);
      g_clear_pointer (&now, g_ptr_array_unref);
      now = selected_objects (self);
    }
  self->changing = 0;
  if (!same_objects (now, kept))
    g_signal_emit (self, signals[SIGNAL_SELECTION_CHANGED], 0);
}

static void
rows_changing (DomusServerStore *rows,
               DomusServerList  *self)
{
  begin_change (self);
}

/* A change can make a server row visible or hidden through its children: the filter only
 * re-checks the row that changed, so re-run it whole while a filter is set. */
static void
rows_changed (DomusServerStore *rows,
              DomusServerList  *self)
{
  if (self->needle != NULL)
    refilter (self);
  end_change (self);
}

/* Open a row when its first child arrives, and the rows above it: a group made under a
 * server row that was not open yet shows all the same. */
static void
row_filled (DomusServerStore *rows,
            GtkTreePath      *path,
            DomusServerList  *self)
{
  g_autoptr(GtkTreePath) view_path = gtk_tree_model_filter_convert_child_path_to_path (self->filter, path);

  if (view_path != NULL)
    gtk_tree_view_expand_to_path (self->tree_view, view_path);
}

/* The sparklines are drawn again at most once a second, with the dashboard's graphs
 * (domus-paced-redraw.h): twenty hosts would otherwise redraw the tree twenty times a
 * second, its names and states too (GtkTreeView draws every column of a row it draws; the
 * text is most of the cost). */
static void
redraw_sparklines (gpointer user_data)
{
  DomusServerList *self = user_data;
  GtkWidget *tree = GTK_WIDGET (self->tree_view);
  int x, width;

  if (!gtk_widget_get_realized (tree) || !gtk_tree_view_column_get_visible (self->sparkline_column))
    return;
  /* Only the sparklines' column is invalidated (GTK still draws the rows' other cells). */
  x = gtk_tree_view_column_get_x_offset (self->sparkline_column);
  width = gtk_tree_view_column_get_width (self->sparkline_column);
  gtk_tree_view_convert_bin_window_to_widget_coords (self->tree_view, x, 0, &x, NULL);
  gtk_widget_queue_draw_area (tree, x, 0, width, gtk_widget_get_allocated_height (tree));
}

static void
stats_updated (DomusServerStore *rows,
               DomusHost        *host,
               DomusServerList  *self)
{
  domus_paced_redraw_mark (&self->sparkline_pace, redraw_sparklines, self, "[domus] sparklines");
}

void
domus_server_list_set_hosts (DomusServerList *self,
                             GListModel      *hosts)
{
  g_return_if_fail (DOMUS_IS_SERVER_LIST (self));
  g_return_if_fail (hosts == NULL || G_IS_LIST_MODEL (hosts));

  /* By now the window has its application, for the action's shortcut. */
  if (hosts != NULL)
    add_group_action (self);
  domus_server_store_set_hosts (self->rows, hosts);
}

/* Grouping by tag: the rows are made again in the other mode; the selected domain stays
 * selected (under its first group), the rows open. */
void
domus_server_list_set_group_by_tag (DomusServerList *self,
                                    gboolean         group_by_tag)
{
  g_return_if_fail (DOMUS_IS_SERVER_LIST (self));

  group_by_tag = !!group_by_tag;
  if (domus_server_store_get_group_by_tag (self->rows) == group_by_tag)
    return;
  begin_change (self);
  domus_server_store_set_group_by_tag (self->rows, group_by_tag);
  set_column_widths (self);
  refilter (self);
  end_change (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_GROUP_BY_TAG]);
}

gboolean
domus_server_list_get_group_by_tag (DomusServerList *self)
{
  g_return_val_if_fail (DOMUS_IS_SERVER_LIST (self), FALSE);
  return domus_server_store_get_group_by_tag (self->rows);
}

/* Filtering */

static gboolean
text_matches (DomusServerList *self,
              const char      *text)
{
  g_autofree char *folded = g_utf8_casefold (text != NULL ? text : "", -1);

  return strstr (folded, self->needle) != NULL;
}

/* A row matches by its own text: a host or domain by its name or state, a domain also by
 * one of its tags ("web", "prod"), a group by its tag (or "Untagged"), not its count. */
static gboolean
row_matches (DomusServerList *self,
             GtkTreeModel    *model,
             GtkTreeIter     *iter)
{
  g_autofree char *name = NULL;
  g_autofree char *state = NULL;
  g_autoptr(GObject) object = NULL;
  int kind;

  gtk_tree_model_get (model, iter, COL_KIND, &kind, COL_NAME, &name, COL_STATE_TEXT, &state,
                      COL_OBJECT, &object, -1);
  if (kind == DOMUS_SERVER_ROW_GROUP)
    {
      const char *tag = object != NULL ? domus_tag_groups_get_tag (G_LIST_MODEL (object)) : NULL;

      return text_matches (self, tag != NULL ? tag : _("Untagged"));
    }
  if (text_matches (self, name) || text_matches (self, state))
    return TRUE;
  if (DOMUS_IS_DOMAIN (object))
    {
      const char * const *tags = domus_domain_get_tags (DOMUS_DOMAIN (object));

      for (guint i = 0; tags != NULL && tags[i] != NULL; i++)
        if (text_matches (self, tags[i]))
          return TRUE;
    }
  return FALSE;
}

static gboolean
descendant_matches (DomusServerList *self,
                    GtkTreeModel    *model,
                    GtkTreeIter     *iter)
{
  GtkTreeIter child;

  if (gtk_tree_model_iter_children (model, &child, iter))
    do
      if (row_matches (self, model, &child) || descendant_matches (self, model, &child))
        return TRUE;
    while (gtk_tree_model_iter_next (model, &child));
  return FALSE;
}

/* A row stays while it, a row above it or a row below it matches: a matching server or
 * tag group shows all it holds, and a matching domain keeps its group and server. */
static gboolean
row_visible (GtkTreeModel *model,
             GtkTreeIter  *iter,
             gpointer      user_data)
{
  DomusServerList *self = user_data;
  GtkTreeIter row, up;

  if (self->needle == NULL)
    return TRUE;
  row = *iter;
  do
    {
      if (row_matches (self, model, &row))
        return TRUE;
    }
  while (gtk_tree_model_iter_parent (model, &up, &row) && (row = up, TRUE));
  return descendant_matches (self, model, iter);
}

static void
refilter (DomusServerList *self)
{
  gtk_tree_model_filter_refilter (self->filter);
  gtk_tree_view_expand_all (self->tree_view);
}

static void
filter_changed (GtkSearchEntry  *entry,
                DomusServerList *self)
{
  const char *text = gtk_entry_get_text (GTK_ENTRY (entry));

  begin_change (self);
  g_clear_pointer (&self->needle, g_free);
  if (text != NULL && *text != '\0')
    self->needle = g_utf8_casefold (text, -1);
  refilter (self);
  end_change (self);
}

void
domus_server_list_focus_filter (DomusServerList *self)
{
  g_return_if_fail (DOMUS_IS_SERVER_LIST (self));

  gtk_widget_grab_focus (GTK_WIDGET (self->filter_entry));
}

void
domus_server_list_focus_tree (DomusServerList *self)
{
  g_return_if_fail (DOMUS_IS_SERVER_LIST (self));

  gtk_widget_grab_focus (GTK_WIDGET (self->tree_view));
}

/* Selection. Several rows may be selected (Ctrl/Shift+click, Shift+arrows, Ctrl+A within a
 * server or a tag group): "the selected row" is the one row when there is one, and the window
 * acts on every selected domain (domus_server_list_get_selected_domains()). */

/* The one selected row, in the store; FALSE when none or several are. */
static gboolean
selected_row (DomusServerList *self,
              GtkTreeIter     *store_iter)
{
  GtkTreeSelection *selection = gtk_tree_view_get_selection (self->tree_view);
  g_autolist(GtkTreePath) paths = NULL;
  GtkTreeModel *model;
  GtkTreeIter iter;

  if (gtk_tree_selection_count_selected_rows (selection) != 1)
    return FALSE;
  paths = gtk_tree_selection_get_selected_rows (selection, &model);
  if (!gtk_tree_model_get_iter (model, &iter, paths->data))
    return FALSE;
  gtk_tree_model_filter_convert_iter_to_child_iter (self->filter, store_iter, &iter);
  return TRUE;
}

/* Every selected row's object, once each (transfer full), in the tree's order. */
static GPtrArray *
selected_objects (DomusServerList *self)
{
  GtkTreeSelection *selection = gtk_tree_view_get_selection (self->tree_view);
  GPtrArray *objects = g_ptr_array_new_with_free_func (g_object_unref);
  g_autolist(GtkTreePath) paths = NULL;
  GtkTreeModel *model;

  paths = gtk_tree_selection_get_selected_rows (selection, &model);
  for (GList *l = paths; l != NULL; l = l->next)
    {
      g_autoptr(GObject) object = NULL;
      GtkTreeIter iter;

      if (!gtk_tree_model_get_iter (model, &iter, l->data))
        continue;
      gtk_tree_model_get (model, &iter, COL_OBJECT, &object, -1);
      if (object != NULL && !g_ptr_array_find (objects, object, NULL))
        g_ptr_array_add (objects, g_steal_pointer (&object));
    }
  return objects;
}

guint
domus_server_list_get_n_selected (DomusServerList *self)
{
  g_return_val_if_fail (DOMUS_IS_SERVER_LIST (self), 0);
  return (guint) gtk_tree_selection_count_selected_rows (gtk_tree_view_get_selection (self->tree_view));
}

GPtrArray *
domus_server_list_get_selected_domains (DomusServerList *self)
{
  g_autoptr(GPtrArray) objects = NULL;
  GPtrArray *domains = g_ptr_array_new_with_free_func (g_object_unref);

  g_return_val_if_fail (DOMUS_IS_SERVER_LIST (self), domains);

  objects = selected_objects (self);
  for (guint i = 0; i < objects->len; i++)
    {
      GObject *object = g_ptr_array_index (objects, i);

      /* A domain under two tags has two rows: it is acted on once. */
      if (DOMUS_IS_DOMAIN (object) && !g_ptr_array_find (domains, object, NULL))
        g_ptr_array_add (domains, g_object_ref (object));
    }
  return domains;
}

/* The selected row's host, domain or group (transfer full), or NULL. */
static GObject *
selected_object (DomusServerList *self)
{
  GObject *object = NULL;
  GtkTreeIter iter;

  if (selected_row (self, &iter))
    gtk_tree_model_get (self->store, &iter, COL_OBJECT, &object, -1);
  return object;
}

DomusHost *
domus_server_list_get_selected_host (DomusServerList *self)
{
  GtkTreeModel *model = self->store;
  GtkTreeIter iter, up;

  g_return_val_if_fail (DOMUS_IS_SERVER_LIST (self), NULL);

  if (!selected_row (self, &iter))
    return NULL;
  /* A domain's host is its top-level row, above a group row when grouped. */
  while (gtk_tree_model_iter_parent (model, &up, &iter))
    iter = up;
  {
    g_autoptr(GObject) object = NULL;

    gtk_tree_model_get (model, &iter, COL_OBJECT, &object, -1);
    /* The store holds a reference for as long as the row exists. */
    return DOMUS_IS_HOST (object) ? DOMUS_HOST (object) : NULL;
  }
}

DomusDomain *
domus_server_list_get_selected_domain (DomusServerList *self)
{
  g_autoptr(GObject) object = NULL;

  g_return_val_if_fail (DOMUS_IS_SERVER_LIST (self), NULL);

  object = selected_object (self);
  /* The store holds a reference for as long as the row exists. */
  return DOMUS_IS_DOMAIN (object) ? DOMUS_DOMAIN (object) : NULL;
}

const char *
domus_server_list_get_selected_tag (DomusServerList *self,
                                    gboolean        *is_group)
{
  g_autoptr(GObject) object = NULL;

  g_return_val_if_fail (DOMUS_IS_SERVER_LIST (self), NULL);

  object = selected_object (self);
  if (is_group != NULL)
    *is_group = object != NULL && G_IS_LIST_MODEL (object);
  if (object == NULL || !G_IS_LIST_MODEL (object))
    return NULL;
  /* The group lives while its row does. */
  return domus_tag_groups_get_tag (G_LIST_MODEL (object));
}

static gboolean
select_store_row (DomusServerList *self,
                  GtkTreeIter     *store_iter,
                  gboolean         add)
{
  g_autoptr(GtkTreePath) path = gtk_tree_model_get_path (self->store, store_iter);
  g_autoptr(GtkTreePath) view_path = gtk_tree_model_filter_convert_child_path_to_path (self->filter, path);

  if (view_path == NULL)
    return FALSE;
  if (gtk_tree_path_get_depth (view_path) > 1)
    {
      g_autoptr(GtkTreePath) parent = gtk_tree_path_copy (view_path);

      gtk_tree_path_up (parent);
      gtk_tree_view_expand_to_path (self->tree_view, parent);
    }
  /* Added to a selection, the cursor stays where the user has it. */
  if (add)
    gtk_tree_selection_select_path (gtk_tree_view_get_selection (self->tree_view), view_path);
  else
    {
      gtk_tree_view_set_cursor (self->tree_view, view_path, NULL, FALSE);
      gtk_tree_view_scroll_to_cell (self->tree_view, view_path, NULL, FALSE, 0, 0);
    }
  return TRUE;
}

/* The first row of the object the filter shows: alone, or added to the selection. */
static gboolean
select_object (DomusServerList *self,
               GObject         *object,
               gboolean         add)
{
  GtkTreeIter iter;
  gboolean more = domus_server_store_next_row_of (self->rows, object, NULL, &iter);

  while (more)
    {
      if (select_store_row (self, &iter, add))
        return TRUE;
      more = domus_server_store_next_row_of (self->rows, object, &iter, &iter);
    }
  return FALSE;
}

gboolean
domus_server_list_select_host (DomusServerList *self,
                               DomusHost       *host)
{
  GtkTreeIter iter;

  g_return_val_if_fail (DOMUS_IS_SERVER_LIST (self), FALSE);

  return domus_server_store_find_host (self->rows, host, &iter) && select_store_row (self, &iter, FALSE);
}

gboolean
domus_server_list_select_domain (DomusServerList *self,
                                 DomusDomain     *domain)
{
  g_return_val_if_fail (DOMUS_IS_SERVER_LIST (self), FALSE);

  return select_object (self, G_OBJECT (domain), FALSE);
}

static void
selection_changed (GtkTreeSelection *selection,
                   DomusServerList  *self)
{
  /* Within a change of rows, end_change() says whether the selection really changed. */
  if (self->changing == 0)
    g_signal_emit (self, signals[SIGNAL_SELECTION_CHANGED], 0);
}

/* A double-click (or Enter) on a domain row: the window opens its console. */
static void
tree_row_activated (GtkTreeView       *tree,
                    GtkTreePath       *path,
                    GtkTreeViewColumn *column,
                    DomusServerList   *self)
{
  DomusDomain *domain;
  DomusHost *host;

  /* A double-click has selected the row already; an activation from elsewhere (a screen
   * reader's action) selects it now, alone, so the pages follow what was opened. */
  gtk_tree_view_set_cursor (tree, path, NULL, FALSE);
  domain = domus_server_list_get_selected_domain (self);
  host = domus_server_list_get_selected_host (self);
  if (domain != NULL && host != NULL)
    g_signal_emit (self, signals[SIGNAL_DOMAIN_ACTIVATED], 0, domain, host);
}

/* Ctrl+A selects the domains of the server (or the tag group) the cursor is in, not the
 * whole tree: one estate's servers are seldom acted on all at once by accident. */
static void
select_siblings (DomusServerList *self)
{
  GtkTreeSelection *selection = gtk_tree_view_get_selection (self->tree_view);
  GtkTreeModel *model = GTK_TREE_MODEL (self->filter);
  g_autoptr(GtkTreePath) cursor = NULL;
  GtkTreeIter parent, child;
  gboolean more;

  gtk_tree_view_get_cursor (self->tree_view, &cursor, NULL);
  if (cursor == NULL || !gtk_tree_model_get_iter (model, &parent, cursor))
    return;
  /* On a domain: its server's or group's domains; on a server or a group: its own. */
  {
    g_autoptr(GObject) object = NULL;
    GtkTreeIter up;

    gtk_tree_model_get (model, &parent, COL_OBJECT, &object, -1);
    if (DOMUS_IS_DOMAIN (object) && gtk_tree_model_iter_parent (model, &up, &parent))
      parent = up;
  }
  gtk_tree_view_expand_row (self->tree_view, cursor, FALSE);
  gtk_tree_selection_unselect_all (selection);
  for (more = gtk_tree_model_iter_children (model, &child, &parent); more;
       more = gtk_tree_model_iter_next (model, &child))
    {
      g_autoptr(GObject) object = NULL;

      gtk_tree_model_get (model, &child, COL_OBJECT, &object, -1);
      if (DOMUS_IS_DOMAIN (object))
        gtk_tree_selection_select_iter (selection, &child);
      else if (gtk_tree_model_iter_has_child (model, &child))
        {
          /* A server grouped by tag: the domains under each of its groups. */
          GtkTreeIter grandchild;
          gboolean deeper;
          g_autoptr(GtkTreePath) path = gtk_tree_model_get_path (model, &child);

          gtk_tree_view_expand_row (self->tree_view, path, FALSE);
          for (deeper = gtk_tree_model_iter_children (model, &grandchild, &child); deeper;
               deeper = gtk_tree_model_iter_next (model, &grandchild))
            gtk_tree_selection_select_iter (selection, &grandchild);
        }
    }
}

static gboolean
tree_key_pressed (GtkWidget       *widget,
                  GdkEventKey     *event,
                  DomusServerList *self)
{
  GdkModifierType modifiers = event->state & gtk_accelerator_get_default_mod_mask ();

  if (modifiers == GDK_CONTROL_MASK && gdk_keyval_to_lower (event->keyval) == GDK_KEY_a)
    {
      select_siblings (self);
      return GDK_EVENT_STOP;
    }
  return GDK_EVENT_PROPAGATE;
}

/* Context menus */

static void
set_menu (DomusServerList  *self,
          GtkWidget       **menu,
          GMenuModel       *model)
{
  if (*menu != NULL)
    gtk_widget_destroy (*menu);
  *menu = NULL;
  if (model == NULL)
    return;
  *menu = gtk_menu_new_from_model (model);
  /* Attached to the tree, the menu's win.* and app.* actions resolve through the window. */
  gtk_menu_attach_to_widget (GTK_MENU (*menu), GTK_WIDGET (self->tree_view), NULL);
}

void
domus_server_list_set_menus (DomusServerList *self,
                             GMenuModel      *host_menu,
                             GMenuModel      *domain_menu)
{
  g_return_if_fail (DOMUS_IS_SERVER_LIST (self));

  set_menu (self, &self->host_menu, host_menu);
  set_menu (self, &self->domain_menu, domain_menu);
}

static GtkWidget *
menu_for_selection (DomusServerList *self)
{
  g_autoptr(GPtrArray) domains = NULL;
  gboolean is_group;

  /* Several rows: the domains' menu, whose actions act on every selected domain. */
  if (domus_server_list_get_n_selected (self) > 1)
    {
      domains = domus_server_list_get_selected_domains (self);
      return domains->len > 0 ? self->domain_menu : NULL;
    }
  /* A tag group row has no menu of its own; its domains' rows have theirs. */
  domus_server_list_get_selected_tag (self, &is_group);
  if (is_group)
    return NULL;
  if (domus_server_list_get_selected_domain (self) != NULL)
    return self->domain_menu;
  if (domus_server_list_get_selected_host (self) != NULL)
    return self->host_menu;
  return NULL;
}

static gboolean
tree_button_pressed (GtkWidget       *widget,
                     GdkEventButton  *event,
                     DomusServerList *self)
{
  g_autoptr(GtkTreePath) path = NULL;
  GtkWidget *menu;

  if (!gdk_event_triggers_context_menu ((GdkEvent *) event) || event->window != gtk_tree_view_get_bin_window (self->tree_view))
    return GDK_EVENT_PROPAGATE;
  /* The menu acts on the row under the pointer: select it first, unless it is one of
   * several selected (then it acts on them all). */
  if (!gtk_tree_view_get_path_at_pos (self->tree_view, (int) event->x, (int) event->y,
                                      &path, NULL, NULL, NULL))
    return GDK_EVENT_PROPAGATE;
  if (!gtk_tree_selection_path_is_selected (gtk_tree_view_get_selection (self->tree_view), path))
    gtk_tree_view_set_cursor (self->tree_view, path, NULL, FALSE);

  menu = menu_for_selection (self);
  if (menu == NULL)
    return GDK_EVENT_PROPAGATE;
  gtk_menu_popup_at_pointer (GTK_MENU (menu), (GdkEvent *) event);
  return GDK_EVENT_STOP;
}

/* Shift+F10 and the Menu key: the menu opens at the selected row. */
static gboolean
tree_popup_menu (GtkWidget       *widget,
                 DomusServerList *self)
{
  g_autoptr(GtkTreePath) path = NULL;
  GdkRectangle rect;
  GtkWidget *menu = menu_for_selection (self);

  /* At the cursor's row: the focused one of a selection. */
  gtk_tree_view_get_cursor (self->tree_view, &path, NULL);
  if (menu == NULL || path == NULL)
    return FALSE;
  gtk_tree_view_get_cell_area (self->tree_view, path, NULL, &rect);
  gtk_tree_view_convert_bin_window_to_widget_coords (self->tree_view, rect.x, rect.y, &rect.x, &rect.y);
  gtk_menu_popup_at_rect (GTK_MENU (menu), gtk_widget_get_window (widget), &rect,
                          GDK_GRAVITY_SOUTH_WEST, GDK_GRAVITY_NORTH_WEST, NULL);
  return TRUE;
}

/* Grouping by tag: a property, kept in GSettings, and the window's action
 * "win.group-by-tag" (Ctrl+G) that the toggle next to the filter shows. */

/* The action goes into the window the list is in, so that its shortcut (Ctrl+G, in the
 * application's table) works wherever the focus is. */
static void
add_group_action (DomusServerList *self)
{
  GtkWidget *toplevel = gtk_widget_get_toplevel (GTK_WIDGET (self));

  if (!GTK_IS_APPLICATION_WINDOW (toplevel))
    return;
  if (g_action_map_lookup_action (G_ACTION_MAP (toplevel), SETTINGS_GROUP_BY_TAG) == NULL)
    {
      g_autoptr(GPropertyAction) action = g_property_action_new (SETTINGS_GROUP_BY_TAG, self, "group-by-tag");

      g_action_map_add_action (G_ACTION_MAP (toplevel), G_ACTION (action));
    }
}

static void
toplevel_changed (GtkWidget *widget,
                  GtkWidget *previous,
                  gpointer   user_data)
{
  add_group_action (DOMUS_SERVER_LIST (widget));
}

static void
domus_server_list_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  DomusServerList *self = DOMUS_SERVER_LIST (object);

  switch (prop_id)
    {
    case PROP_GROUP_BY_TAG:
      g_value_set_boolean (value, domus_server_store_get_group_by_tag (self->rows));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
domus_server_list_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  DomusServerList *self = DOMUS_SERVER_LIST (object);

  switch (prop_id)
    {
    case PROP_GROUP_BY_TAG:
      domus_server_list_set_group_by_tag (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

/* g_settings_new() aborts on a schema that is not installed: without one (a build that
 * was not installed), grouping is not remembered. */
static GSettings *
settings_new (void)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr(GSettingsSchema) schema = NULL;

  if (source != NULL)
    schema = g_settings_schema_source_lookup (source, "org.domus.Domus", TRUE);
  if (schema == NULL || !g_settings_schema_has_key (schema, SETTINGS_GROUP_BY_TAG))
    return NULL;
  return g_settings_new_full (schema, NULL, NULL);
}

/* Construction */

static void
domus_server_list_dispose (GObject *object)
{
  DomusServerList *self = DOMUS_SERVER_LIST (object);

  if (self->rows != NULL)
    {
      domus_server_store_set_hosts (self->rows, NULL);
      g_signal_handlers_disconnect_by_data (self->rows, self);
    }
  if (self->host_menu != NULL || self->domain_menu != NULL)
    domus_server_list_set_menus (self, NULL, NULL);
  if (self->settings != NULL)
    g_settings_unbind (self, "group-by-tag");
  g_clear_object (&self->settings);
  clear_icons (self);
  g_clear_pointer (&self->kept_selection, g_ptr_array_unref);
  domus_paced_redraw_clear (&self->sparkline_pace);
  g_clear_object (&self->drag_domain);
  g_clear_object (&self->filter);
  self->store = NULL;
  g_clear_object (&self->rows);

  G_OBJECT_CLASS (domus_server_list_parent_class)->dispose (object);
}

static void
domus_server_list_finalize (GObject *object)
{
  DomusServerList *self = DOMUS_SERVER_LIST (object);

  g_free (self->needle);

  G_OBJECT_CLASS (domus_server_list_parent_class)->finalize (object);
}

static void
domus_server_list_class_init (DomusServerListClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = domus_server_list_dispose;
  object_class->finalize = domus_server_list_finalize;
  object_class->get_property = domus_server_list_get_property;
  object_class->set_property = domus_server_list_set_property;

  /* Whether each server's domains show under their tags (GSettings "group-by-tag"). */
  properties[PROP_GROUP_BY_TAG] =
    g_param_spec_boolean ("group-by-tag", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* The selected row changed: read it with the getters. */
  signals[SIGNAL_SELECTION_CHANGED] =
    g_signal_new ("selection-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  /* A domain's row was activated (double-click, Enter): (DomusDomain *, DomusHost *). */
  signals[SIGNAL_DOMAIN_ACTIVATED] =
    g_signal_new ("domain-activated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, DOMUS_TYPE_DOMAIN, DOMUS_TYPE_HOST);

  /* A domain's row was dropped on another connected server's row (docs/gui.md,
   * "Migration"): the window asks what to do. */
  signals[SIGNAL_MIGRATE_REQUESTED] =
    g_signal_new ("migrate-requested", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, DOMUS_TYPE_DOMAIN, DOMUS_TYPE_HOST);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/domus/Domus/ui/domus-server-list.ui");
  gtk_widget_class_bind_template_child (widget_class, DomusServerList, filter_entry);
  gtk_widget_class_bind_template_child (widget_class, DomusServerList, tree_view);
  gtk_widget_class_bind_template_callback (widget_class, filter_changed);
  gtk_widget_class_bind_template_callback (widget_class, tree_button_pressed);
  gtk_widget_class_bind_template_callback (widget_class, tree_popup_menu);
  gtk_widget_class_bind_template_callback (widget_class, tree_row_activated);
}

/* Fixed sizes. GTK 3 measures the text of every row of an autosized column, and measures
 * them all again after any row changes (a state, a name): with a thousand rows that was
 * most of what the sidebar cost while servers listed their domains, in stretches of tens of
 * milliseconds (docs/libvirt.md, "The window with 1,000 domains"). So every column has a
 * fixed width worked out from what it can show, and every row the height GTK measures on
 * one row (fixed-height-mode): a change redraws its row and measures nothing. */

/* How deep rows go: a server, its domains; grouped, a server, its tags, their domains. */
#define DEPTH_UNGROUPED 2
#define DEPTH_GROUPED   3

/* The width a column's cell asks for a text: its natural width, or its minimum (ellipsized). */
static int
first_cell_width (DomusServerList   *self,
                  GtkTreeViewColumn *column,
                  const char        *text,
                  gboolean           minimum)
{
  g_autoptr(GList) cells = gtk_cell_layout_get_cells (GTK_CELL_LAYOUT (column));
  int least = 0, natural = 0;

  if (text != NULL)
    g_object_set (cells->data, "text", text, NULL);
  gtk_cell_renderer_get_preferred_width (cells->data, GTK_WIDGET (self->tree_view), &least, &natural);
  return minimum ? least : natural;
}

/* The widest text the state column can show: a server's or a domain's state, a tag's count. */
static int
state_cell_width (DomusServerList *self)
{
  int widest = first_cell_width (self, self->state_column, "99999", FALSE);

  for (int state = 0; state <= DOMUS_DOMAIN_STATE_INVALID; state++)
    widest = MAX (widest, first_cell_width (self, self->state_column, domus_domain_state_label (state), FALSE));
  for (int state = 0; state <= DOMUS_HOST_STATE_CONNECTED; state++)
    widest = MAX (widest, first_cell_width (self, self->state_column, domus_host_state_label (state), FALSE));
  return widest;
}

/* The icon column is the expander column: a row of the given depth has its indentation and
 * expanders there before the icon, as GTK lays them out (gtk_tree_view_get_expander_size()
 * is expander-size plus half the separator). */
static int
icon_column_width (DomusServerList *self,
                   int              depth,
                   int              separator)
{
  g_autoptr(GList) cells = gtk_cell_layout_get_cells (GTK_CELL_LAYOUT (self->icon_column));
  int expander_size, xpad;

  gtk_widget_style_get (GTK_WIDGET (self->tree_view), "expander-size", &expander_size, NULL);
  gtk_cell_renderer_get_padding (cells->data, &xpad, NULL);
  return separator + (depth - 1) * gtk_tree_view_get_level_indentation (self->tree_view)
         + depth * (expander_size + separator / 2) + ICON_SIZE + 2 * xpad;
}

/* Again whenever the style changes (a font, a theme) or the rows' depth does. Each column
 * is its cell and GTK's separator; the name takes what is left and is ellipsized, down to
 * what GTK would have given a long name (three characters). */
static void
set_column_widths (DomusServerList *self)
{
  int depth = domus_server_store_get_group_by_tag (self->rows) ? DEPTH_GROUPED : DEPTH_UNGROUPED;
  int separator;

  gtk_widget_style_get (GTK_WIDGET (self->tree_view), "horizontal-separator", &separator, NULL);
  gtk_tree_view_column_set_fixed_width (self->icon_column, icon_column_width (self, depth, separator));
  gtk_tree_view_column_set_fixed_width (self->name_column,
                                        first_cell_width (self, self->name_column, "MMMMMMMM", TRUE) + separator);
  gtk_tree_view_column_set_fixed_width (self->state_column, state_cell_width (self) + separator);
  gtk_tree_view_column_set_fixed_width (self->sparkline_column,
                                        first_cell_width (self, self->sparkline_column, NULL, FALSE) + separator);
}

static void
tree_style_updated (GtkWidget       *tree,
                    DomusServerList *self)
{
  set_column_widths (self);
}

static void
fix_sizes (DomusServerList *self)
{
  g_autoptr(GList) columns = gtk_tree_view_get_columns (self->tree_view);

  for (GList *l = columns; l != NULL; l = l->next)
    gtk_tree_view_column_set_sizing (l->data, GTK_TREE_VIEW_COLUMN_FIXED);
  set_column_widths (self);
  gtk_tree_view_set_fixed_height_mode (self->tree_view, TRUE);
  g_signal_connect_after (self->tree_view, "style-updated", G_CALLBACK (tree_style_updated), self);
}

static GtkTreeViewColumn *
add_text_column (DomusServerList *self,
                 const char      *title,
                 int              text_column,
                 gboolean         expand,
                 gboolean         dim)
{
  /* The name's cells can be read otherwise than shown (a group row: "Tag web"). */
  GtkCellRenderer *cell = expand ? domus_name_renderer_new () : gtk_cell_renderer_text_new ();
  GtkTreeViewColumn *column = gtk_tree_view_column_new_with_attributes (title, cell,
                                                                        "text", text_column,
                                                                        "sensitive", COL_CURRENT,
                                                                        NULL);

  if (expand)
    gtk_tree_view_column_add_attribute (column, cell, "accessible-text", COL_A11Y_NAME);

  /* The name gives way to the state, which stays whole: its column is as wide as its
   * widest text (set_column_widths()). The state is ellipsized all the same, never cut:
   * GTK measures a row's height for the width that row's own text asked, rounded, and
   * without ellipsizing the text would wrap there and the rows be two lines high. */
  g_object_set (cell, "ellipsize", PANGO_ELLIPSIZE_END, NULL);
  if (dim)
    g_object_set (cell, "foreground", "gray50", "scale", PANGO_SCALE_SMALL, NULL);
  gtk_tree_view_column_set_expand (column, expand);
  gtk_tree_view_append_column (self->tree_view, column);
  return column;
}

/* Drag and drop: a domain's row onto another server's row asks for a migration.
 *
 * The drag never leaves the tree view (GTK_TARGET_SAME_WIDGET) and carries no data: the
 * dragged domain is the row selected when the drag began (a press selects its row), and
 * the drop emits "migrate-requested". The tree view's own handlers would ask the model
 * (a GtkTreeModelFilter, no GtkTreeDragDest) to take rows, so motion, drop and
 * data-received are handled here and stop there. */

static const GtkTargetEntry drag_targets[] = {
  { (char *) "application/x-domus-domain-row", GTK_TARGET_SAME_WIDGET, 0 },
};

/* The connected server under (x, y), other than the dragged domain's, or NULL. */
static DomusHost *
drop_host_at (DomusServerList *self,
              int              x,
              int              y,
              GtkTreePath    **path_out)
{
  GtkTreeModel *model = GTK_TREE_MODEL (self->filter);
  g_autoptr(GtkTreePath) path = NULL;
  g_autoptr(GObject) object = NULL;
  GtkTreeIter iter;
  int kind;

  if (self->drag_domain == NULL
      || !gtk_tree_view_get_dest_row_at_pos (self->tree_view, x, y, &path, NULL)
      || !gtk_tree_model_get_iter (model, &iter, path))
    return NULL;
  gtk_tree_model_get (model, &iter, COL_KIND, &kind, COL_OBJECT, &object, -1);
  if (kind != DOMUS_SERVER_ROW_HOST
      || DOMUS_HOST (object) == domus_domain_get_host (self->drag_domain)
      || domus_host_get_state (DOMUS_HOST (object)) != DOMUS_HOST_STATE_CONNECTED)
    return NULL;
  if (path_out != NULL)
    *path_out = g_steal_pointer (&path);
  return DOMUS_HOST (object);  /* the store keeps its reference */
}

static void
tree_drag_begin (GtkWidget       *widget,
                 GdkDragContext  *context,
                 DomusServerList *self)
{
  DomusDomain *domain = domus_server_list_get_selected_domain (self);

  g_set_object (&self->drag_domain, domain);
}

static void
tree_drag_end (GtkWidget       *widget,
               GdkDragContext  *context,
               DomusServerList *self)
{
  g_clear_object (&self->drag_domain);
}

static gboolean
tree_drag_motion (GtkWidget       *widget,
                  GdkDragContext  *context,
                  int              x,
                  int              y,
                  guint            time,
                  DomusServerList *self)
{
  g_autoptr(GtkTreePath) path = NULL;

  if (drop_host_at (self, x, y, &path) != NULL)
    {
      gtk_tree_view_set_drag_dest_row (self->tree_view, path, GTK_TREE_VIEW_DROP_INTO_OR_AFTER);
      gdk_drag_status (context, GDK_ACTION_MOVE, time);
    }
  else
    {
      gtk_tree_view_set_drag_dest_row (self->tree_view, NULL, GTK_TREE_VIEW_DROP_BEFORE);
      gdk_drag_status (context, 0, time);
    }
  return TRUE;
}

static gboolean
tree_drag_drop (GtkWidget       *widget,
                GdkDragContext  *context,
                int              x,
                int              y,
                guint            time,
                DomusServerList *self)
{
  DomusHost *host = drop_host_at (self, x, y, NULL);
  g_autoptr(DomusDomain) domain = self->drag_domain != NULL ? g_object_ref (self->drag_domain) : NULL;

  gtk_tree_view_set_drag_dest_row (self->tree_view, NULL, GTK_TREE_VIEW_DROP_BEFORE);
  /* The row stays where it is: it moves when the servers say the domain did. */
  gtk_drag_finish (context, host != NULL, FALSE, time);
  if (host != NULL)
    {
      g_autoptr(DomusHost) target = g_object_ref (host);

      g_signal_emit (self, signals[SIGNAL_MIGRATE_REQUESTED], 0, domain, target);
    }
  return TRUE;
}

static void
tree_drag_data_received (GtkWidget        *widget,
                         GdkDragContext   *context,
                         int               x,
                         int               y,
                         GtkSelectionData *data,
                         guint             info,
                         guint             time,
                         DomusServerList  *self)
{
  /* Never asked for; keep the tree view's handler (row reordering) out of it. */
  g_signal_stop_emission_by_name (widget, "drag-data-received");
}

static void
setup_drag_and_drop (DomusServerList *self)
{
  gtk_tree_view_enable_model_drag_source (self->tree_view, GDK_BUTTON1_MASK, drag_targets,
                                          G_N_ELEMENTS (drag_targets), GDK_ACTION_MOVE);
  gtk_tree_view_enable_model_drag_dest (self->tree_view, drag_targets,
                                        G_N_ELEMENTS (drag_targets), GDK_ACTION_MOVE);
  g_signal_connect_after (self->tree_view, "drag-begin", G_CALLBACK (tree_drag_begin), self);
  g_signal_connect (self->tree_view, "drag-end", G_CALLBACK (tree_drag_end), self);
  g_signal_connect (self->tree_view, "drag-motion", G_CALLBACK (tree_drag_motion), self);
  g_signal_connect (self->tree_view, "drag-drop", G_CALLBACK (tree_drag_drop), self);
  g_signal_connect (self->tree_view, "drag-data-received", G_CALLBACK (tree_drag_data_received), self);
}

static void
domus_server_list_init (DomusServerList *self)
{
  GtkTreeViewColumn *column;
  GtkCellRenderer *cell;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->rows = domus_server_store_new ();
  self->store = domus_server_store_get_model (self->rows);
  g_signal_connect (self->rows, "rows-changing", G_CALLBACK (rows_changing), self);
  g_signal_connect (self->rows, "rows-changed", G_CALLBACK (rows_changed), self);
  g_signal_connect (self->rows, "row-filled", G_CALLBACK (row_filled), self);
  g_signal_connect (self->rows, "stats-updated", G_CALLBACK (stats_updated), self);
  self->filter = GTK_TREE_MODEL_FILTER (gtk_tree_model_filter_new (self->store, NULL));
  gtk_tree_model_filter_set_visible_func (self->filter, row_visible, self, NULL);
  gtk_tree_view_set_model (self->tree_view, GTK_TREE_MODEL (self->filter));

  /* Icon, name and state in columns of their own: each text cell's accessible name is then
   * exactly the host's or domain's name, or the state. */
  cell = gtk_cell_renderer_pixbuf_new ();
  column = gtk_tree_view_column_new_with_attributes (_("State icon"), cell,
                                                     "sensitive", COL_CURRENT, NULL);
  self->icon_column = column;
  gtk_tree_view_column_set_cell_data_func (column, cell, icon_data_func, self, NULL);
  gtk_tree_view_append_column (self->tree_view, column);
  self->name_column = add_text_column (self, _("Name"), COL_NAME, TRUE, FALSE);
  gtk_tree_view_set_expander_column (self->tree_view, self->icon_column);
  self->state_column = add_text_column (self, _("State"), COL_STATE_TEXT, FALSE, TRUE);
  cell = domus_sparkline_renderer_new ();
  column = gtk_tree_view_column_new_with_attributes (_("CPU"), cell, "sensitive", COL_CURRENT, NULL);
  self->sparkline_column = column;
  gtk_tree_view_column_set_cell_data_func (column, cell, sparkline_data_func, self, NULL);
  gtk_tree_view_append_column (self->tree_view, column);
  fix_sizes (self);

  gtk_tree_selection_set_mode (gtk_tree_view_get_selection (self->tree_view), GTK_SELECTION_MULTIPLE);
  g_signal_connect (gtk_tree_view_get_selection (self->tree_view), "changed",
                    G_CALLBACK (selection_changed), self);
  g_signal_connect (self->tree_view, "key-press-event", G_CALLBACK (tree_key_pressed), self);
  setup_drag_and_drop (self);

  self->settings = settings_new ();
  if (self->settings != NULL)
    g_settings_bind (self->settings, SETTINGS_GROUP_BY_TAG, self, "group-by-tag", G_SETTINGS_BIND_DEFAULT);
  g_signal_connect (self, "hierarchy-changed", G_CALLBACK (toplevel_changed), NULL);
}

GtkWidget *
domus_server_list_new (void)
{
  return g_object_new (DOMUS_TYPE_SERVER_LIST, NULL);
}
