/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The sidebar: a tree of servers and their domains, with a filter box and context menus.
 *
 * A GtkTreeStore mirrors the hosts' GListModels: a top-level row per host (in the hosts
 * model's order) with a child row per domain (in the host's order, by name) or, grouped
 * by tag (GSettings "group-by-tag"), a row per tag group of the host's DomusTagGroups with
 * the group's domains under it. Rows change only when the models or the objects say so
 * (items-changed, notify): nothing is polled. The view shows the store through a
 * GtkTreeModelFilter for the filter box. */

#include "config.h"

#include <glib/gi18n.h>
#include <librsvg/rsvg.h>

#include "domus-server-list.h"
#include "domus-name-renderer.h"
#include "domus-sparkline-renderer.h"
#include "domus-tag-groups.h"

#define ICON_SIZE 16
#define TAG_ICON_RESOURCE "/org/domus/Domus/icons/scalable/domus-tag.svg"
/* The settings key the "Group by Tag" toggle keeps (data/org.domus.Domus.gschema.xml). */
#define SETTINGS_GROUP_BY_TAG "group-by-tag"

enum {
  COL_KIND,         /* ROW_HOST, ROW_GROUP or ROW_DOMAIN */
  COL_OBJECT,       /* the DomusHost, the group (an item of DomusTagGroups) or the DomusDomain */
  COL_NAME,         /* the host or domain name, which a screen reader reads for the row; a
                       group's tag, or "Untagged" */
  COL_STATE_TEXT,   /* the state; for a group row, how many domains it holds */
  COL_STATE,        /* DomusDomainState for domain rows, DomusHostState for host rows */
  COL_CURRENT,      /* FALSE for the domains of a host that is not connected: shown dimmed */
  COL_A11Y_NAME,    /* what a screen reader reads when not COL_NAME: "Tag web"; else NULL */
  N_COLUMNS
};

enum {
  ROW_HOST,
  ROW_DOMAIN,
  ROW_GROUP,
};

struct _DomusServerList
{
  GtkBox              parent_instance;

  GtkSearchEntry     *filter_entry;
  GtkTreeView        *tree_view;

  GtkTreeStore       *store;
  GtkTreeModelFilter *filter;
  char               *needle;          /* the filter text, case-folded; NULL when empty */
  GListModel         *hosts;
  GtkWidget          *host_menu;
  GtkWidget          *domain_menu;
  gboolean            group_by_tag;
  GHashTable         *tag_groups;      /* DomusHost -> DomusTagGroups, while grouped */
  GHashTable         *watched;         /* DomusDomain -> its number of rows */
  GSettings          *settings;        /* NULL without the schema: grouping lasts this run */
  guint               changing;        /* nesting of begin_change () */
  GObject            *kept_selection;  /* what was selected when the change began */
  cairo_surface_t    *tag_icon;
  /* Icons drawn by librsvg at the window's scale, by state. */
  cairo_surface_t    *icons[DOMUS_DOMAIN_STATE_INVALID + 1];
  int                 icons_scale;
  DomusDomain        *drag_domain;     /* the domain row being dragged, while a drag lasts */
};

G_DEFINE_FINAL_TYPE (DomusServerList, domus_server_list, GTK_TYPE_BOX)

enum {
  SIGNAL_SELECTION_CHANGED,
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

/* Labels and icons */

const char *
domus_host_state_label (DomusHostState state)
{
  switch (state)
    {
    case DOMUS_HOST_STATE_CONNECTING:   return _("connecting");
    case DOMUS_HOST_STATE_CONNECTED:    return _("connected");
    case DOMUS_HOST_STATE_DISCONNECTED: return _("disconnected");
    default:                            return "";
    }
}

const char *
domus_domain_state_label (DomusDomainState state)
{
  switch (state)
    {
    case DOMUS_DOMAIN_STATE_RUNNING:  return _("running");
    case DOMUS_DOMAIN_STATE_BLOCKED:  return _("blocked");
    case DOMUS_DOMAIN_STATE_PAUSED:   return _("paused");
    case DOMUS_DOMAIN_STATE_SHUTDOWN: return _("shut down");
    case DOMUS_DOMAIN_STATE_CRASHED:  return _("crashed");
    case DOMUS_DOMAIN_STATE_DYING:    return _("dying");
    case DOMUS_DOMAIN_STATE_STARTING: return _("starting");
    case DOMUS_DOMAIN_STATE_SHUTOFF:  return _("shut off");
    case DOMUS_DOMAIN_STATE_INCOMING: return _("arriving");
    case DOMUS_DOMAIN_STATE_INVALID:
    default:                          return _("invalid");
    }
}

const char *
domus_domain_state_icon_resource (DomusDomainState state)
{
#define ICON(name) "/org/domus/Domus/icons/scalable/status/domus-state-" name ".svg"
  switch (state)
    {
    case DOMUS_DOMAIN_STATE_RUNNING:
    case DOMUS_DOMAIN_STATE_STARTING: return ICON ("running");
    /* Waiting for a migration's stream: not running yet here. */
    case DOMUS_DOMAIN_STATE_INCOMING: return ICON ("paused");
    case DOMUS_DOMAIN_STATE_BLOCKED:  return ICON ("blocked");
    case DOMUS_DOMAIN_STATE_PAUSED:   return ICON ("paused");
    case DOMUS_DOMAIN_STATE_SHUTDOWN:
    case DOMUS_DOMAIN_STATE_DYING:    return ICON ("shutdown");
    case DOMUS_DOMAIN_STATE_SHUTOFF:  return ICON ("shutoff");
    case DOMUS_DOMAIN_STATE_CRASHED:
    case DOMUS_DOMAIN_STATE_INVALID:
    default:                          return ICON ("crashed");
    }
#undef ICON
}

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
  if (kind == ROW_GROUP)
    {
      /* state_icon() keeps the cache at the widget's scale. */
      state_icon (self, DOMUS_DOMAIN_STATE_INVALID);
      if (self->tag_icon == NULL)
        self->tag_icon = render_icon (TAG_ICON_RESOURCE, self->icons_scale);
      g_object_set (cell, "icon-name", NULL, "surface", self->tag_icon, NULL);
    }
  else if (kind == ROW_HOST)
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

/* Rows
 *
 * Ungrouped, a host row's children mirror the host's domains by position. Grouped, they
 * mirror the host's DomusTagGroups: a row per group, whose children mirror that group's
 * domains by position. Either way a row's children follow one GListModel's items-changed;
 * a domain can have several rows (one per tag), so its notify handlers are connected once
 * per domain, counted in self->watched. */

static gboolean
find_object (DomusServerList *self,
             GtkTreeIter     *parent,
             gpointer         object,
             GtkTreeIter     *iter)
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

static gboolean
find_host_row (DomusServerList *self,
               DomusHost       *host,
               GtkTreeIter     *iter)
{
  return find_object (self, NULL, host, iter);
}

/* The first row (depth first) after *iter, or the first of all when from is NULL. */
static gboolean
next_row (GtkTreeModel *model,
          GtkTreeIter  *from,
          GtkTreeIter  *iter)
{
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

/* The next row of this domain after *iter (from NULL: the first). */
static gboolean
next_domain_row (DomusServerList *self,
                 DomusDomain     *domain,
                 GtkTreeIter     *from,
                 GtkTreeIter     *iter)
{
  GtkTreeModel *model = GTK_TREE_MODEL (self->store);
  gboolean more = next_row (model, from, iter);

  while (more)
    {
      g_autoptr(GObject) row_object = NULL;

      gtk_tree_model_get (model, iter, COL_OBJECT, &row_object, -1);
      if (row_object == (GObject *) domain)
        return TRUE;
      more = next_row (model, iter, iter);
    }
  return FALSE;
}

static gboolean
find_domain_row (DomusServerList *self,
                 DomusDomain     *domain,
                 GtkTreeIter     *iter)
{
  return next_domain_row (self, domain, NULL, iter);
}

static void refilter (DomusServerList *self);
static void add_group_action (DomusServerList *self);

/* A change can make a server row visible or hidden through its children: the filter only
 * re-checks the row that changed, so re-run it whole while a filter is set. */
static void
store_changed (DomusServerList *self)
{
  if (self->needle != NULL)
    refilter (self);
}

/* Changes keep the selection: a domain whose row went (it moved to another tag) is
 * selected again where it is now, and the window hears of a change only when the
 * selected object really is another. */
static GObject *
selected_object (DomusServerList *self);
static gboolean
select_object (DomusServerList *self,
               GObject         *object);

static void
begin_change (DomusServerList *self)
{
  if (self->changing++ == 0)
    g_set_object (&self->kept_selection, selected_object (self));
}

static void
end_change (DomusServerList *self)
{
  g_autoptr(GObject) now = NULL;

  if (self->changing > 1)
    {
      self->changing--;
      return;
    }
  now = selected_object (self);
  /* Removing the selected row moves the selection to a neighbour (often the host): the row
   * that was selected, when it is still there, wins. */
  if (now != self->kept_selection && self->kept_selection != NULL &&
      select_object (self, self->kept_selection))
    {
      g_clear_object (&now);
      now = selected_object (self);
    }
  self->changing = 0;
  if (now != self->kept_selection)
    g_signal_emit (self, signals[SIGNAL_SELECTION_CHANGED], 0);
  g_clear_object (&self->kept_selection);
}

static gboolean
host_is_current (DomusHost *host)
{
  return host != NULL && domus_host_get_state (host) == DOMUS_HOST_STATE_CONNECTED;
}

static void
set_domain_row (DomusServerList *self,
                GtkTreeIter     *iter,
                DomusDomain     *domain)
{
  DomusDomainState state = domus_domain_get_state (domain);

  gtk_tree_store_set (self->store, iter,
                      COL_CURRENT, host_is_current (domus_domain_get_host (domain)),
                      COL_KIND, ROW_DOMAIN,
                      COL_OBJECT, domain,
                      COL_NAME, domus_domain_get_name (domain),
                      COL_STATE_TEXT, domus_domain_state_label (state),
                      COL_STATE, state,
                      -1);
}

/* The tag next to a tag icon, read "Tag web" by a screen reader, or "Untagged"; the state
 * column counts the domains. */
static void
set_group_row (DomusServerList *self,
               GtkTreeIter     *iter,
               GListModel      *group,
               DomusHost       *host)
{
  const char *tag = domus_tag_groups_get_tag (group);
  g_autofree char *a11y_name = tag != NULL ? g_strdup_printf (_("Tag %s"), tag) : g_strdup (_("Untagged"));
  g_autofree char *count = g_strdup_printf ("%u", g_list_model_get_n_items (group));

  gtk_tree_store_set (self->store, iter,
                      COL_CURRENT, host_is_current (host),
                      COL_KIND, ROW_GROUP,
                      COL_OBJECT, group,
                      COL_NAME, tag != NULL ? tag : _("Untagged"),
                      COL_A11Y_NAME, a11y_name,
                      COL_STATE_TEXT, count,
                      COL_STATE, 0,
                      -1);
}

static void
set_host_row (DomusServerList *self,
              GtkTreeIter     *iter,
              DomusHost       *host)
{
  DomusHostState state = domus_host_get_state (host);

  gtk_tree_store_set (self->store, iter,
                      COL_CURRENT, TRUE,
                      COL_KIND, ROW_HOST,
                      COL_OBJECT, host,
                      COL_NAME, domus_host_get_name (host),
                      COL_STATE_TEXT, domus_host_state_label (state),
                      COL_STATE, state,
                      -1);
}

static void
domain_notify (DomusDomain     *domain,
               GParamSpec      *pspec,
               DomusServerList *self)
{
  GtkTreeIter iter;
  gboolean more = find_domain_row (self, domain, &iter);

  if (!more)
    return;
  begin_change (self);
  while (more)
    {
      set_domain_row (self, &iter, domain);
      more = next_domain_row (self, domain, &iter, &iter);
    }
  store_changed (self);
  end_change (self);
}

static void
watch_domain (DomusServerList *self,
              DomusDomain     *domain)
{
  guint rows = GPOINTER_TO_UINT (g_hash_table_lookup (self->watched, domain));

  if (rows == 0)
    {
      /* The tree shows the name and the state; the pages follow the rest themselves.
       * Grouped, a change of tags moves rows through the DomusTagGroups. */
      g_signal_connect (domain, "notify::state", G_CALLBACK (domain_notify), self);
      g_signal_connect (domain, "notify::name", G_CALLBACK (domain_notify), self);
      g_signal_connect (domain, "notify::tags", G_CALLBACK (domain_notify), self);
      g_hash_table_insert (self->watched, g_object_ref (domain), GUINT_TO_POINTER (1));
    }
  else
    g_hash_table_insert (self->watched, g_object_ref (domain), GUINT_TO_POINTER (rows + 1));
}

static void
unwatch_domain (DomusServerList *self,
                DomusDomain     *domain)
{
  guint rows = GPOINTER_TO_UINT (g_hash_table_lookup (self->watched, domain));

  if (rows > 1)
    {
      g_hash_table_insert (self->watched, g_object_ref (domain), GUINT_TO_POINTER (rows - 1));
      return;
    }
  g_signal_handlers_disconnect_by_data (domain, self);
  g_hash_table_remove (self->watched, domain);
}

/* Open a row when its first child arrives (an empty row cannot be expanded), and the rows
 * above it: a group made under a server row that was not open yet shows all the same. */
static void
expand_store_row (DomusServerList *self,
                  GtkTreeIter     *store_iter)
{
  g_autoptr(GtkTreePath) path = gtk_tree_model_get_path (GTK_TREE_MODEL (self->store), store_iter);
  g_autoptr(GtkTreePath) view_path = gtk_tree_model_filter_convert_child_path_to_path (self->filter, path);

  if (view_path != NULL)
    gtk_tree_view_expand_to_path (self->tree_view, view_path);
}

static void group_domains_changed (GListModel      *group,
                                   guint            position,
                                   guint            removed,
                                   guint            added,
                                   DomusServerList *self);

/* A row and everything under it, with the handlers its objects had. */
static void
remove_row (DomusServerList *self,
            GtkTreeIter     *iter)
{
  g_autoptr(GObject) object = NULL;
  GtkTreeIter child;
  int kind;

  while (gtk_tree_model_iter_children (GTK_TREE_MODEL (self->store), &child, iter))
    remove_row (self, &child);
  gtk_tree_model_get (GTK_TREE_MODEL (self->store), iter, COL_KIND, &kind, COL_OBJECT, &object, -1);
  if (kind == ROW_DOMAIN && object != NULL)
    unwatch_domain (self, DOMUS_DOMAIN (object));
  else if (kind == ROW_GROUP && object != NULL)
    g_signal_handlers_disconnect_by_data (object, self);
  gtk_tree_store_remove (self->store, iter);
}

/* Rows for items [position, position + added) of model (domains, or tag groups) under
 * parent, after removing `removed` rows there. */
static void
mirror_items (DomusServerList *self,
              GtkTreeIter     *parent,
              GListModel      *model,
              DomusHost       *host,
              guint            position,
              guint            removed,
              guint            added)
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

      gtk_tree_store_insert (self->store, &iter, parent, position + i);
      if (DOMUS_IS_DOMAIN (item))
        {
          set_domain_row (self, &iter, DOMUS_DOMAIN (item));
          watch_domain (self, DOMUS_DOMAIN (item));
        }
      else
        {
          GListModel *group = G_LIST_MODEL (item);

          set_group_row (self, &iter, group, host);
          g_signal_connect (group, "items-changed", G_CALLBACK (group_domains_changed), self);
          mirror_items (self, &iter, group, host, 0, 0, g_list_model_get_n_items (group));
          /* A new group opens: its domains are what the user came to see. */
          expand_store_row (self, &iter);
        }
    }
  if (was_empty && added > 0)
    expand_store_row (self, parent);
}

/* The row whose children mirror this model: a host row (its domains, or its groups when
 * grouped) or, grouped, a group row. */
static gboolean
find_model_row (DomusServerList *self,
                GListModel      *model,
                GtkTreeIter     *iter,
                DomusHost      **host_out)
{
  GtkTreeModel *tree_model = GTK_TREE_MODEL (self->store);
  GtkTreeIter host_iter;

  if (!gtk_tree_model_get_iter_first (tree_model, &host_iter))
    return FALSE;
  do
    {
      g_autoptr(DomusHost) host = NULL;
      GListModel *children;

      gtk_tree_model_get (tree_model, &host_iter, COL_OBJECT, &host, -1);
      if (host == NULL)
        continue;
      children = self->group_by_tag ? g_hash_table_lookup (self->tag_groups, host)
                                    : domus_host_get_domains (host);
      *host_out = host;
      if (children == model)
        {
          *iter = host_iter;
          return TRUE;
        }
      if (self->group_by_tag && find_object (self, &host_iter, model, iter))
        return TRUE;
    }
  while (gtk_tree_model_iter_next (tree_model, &host_iter));
  return FALSE;
}

static void
children_changed (GListModel      *model,
                  guint            position,
                  guint            removed,
                  guint            added,
                  DomusServerList *self)
{
  GtkTreeIter iter;
  DomusHost *host = NULL;

  if (!find_model_row (self, model, &iter, &host))
    return;
  begin_change (self);
  mirror_items (self, &iter, model, host, position, removed, added);
  store_changed (self);
  end_change (self);
}

static void
group_domains_changed (GListModel      *group,
                       guint            position,
                       guint            removed,
                       guint            added,
                       DomusServerList *self)
{
  GtkTreeIter iter;
  DomusHost *host = NULL;

  if (!find_model_row (self, group, &iter, &host))
    return;
  begin_change (self);
  set_group_row (self, &iter, group, host);
  mirror_items (self, &iter, group, host, position, removed, added);
  store_changed (self);
  end_change (self);
}

/* The host row's children as the mode says: the domains, or the tag groups. */
static void
fill_host_row (DomusServerList *self,
               GtkTreeIter     *host_iter,
               DomusHost       *host)
{
  GListModel *children = domus_host_get_domains (host);

  if (self->group_by_tag)
    {
      DomusTagGroups *groups = domus_tag_groups_new (children);

      g_hash_table_insert (self->tag_groups, g_object_ref (host), groups);
      children = G_LIST_MODEL (groups);
    }
  g_signal_connect (children, "items-changed", G_CALLBACK (children_changed), self);
  mirror_items (self, host_iter, children, host, 0, 0, g_list_model_get_n_items (children));
}

static void
empty_host_row (DomusServerList *self,
                GtkTreeIter     *host_iter,
                DomusHost       *host)
{
  GtkTreeIter child;
  DomusTagGroups *groups = g_hash_table_lookup (self->tag_groups, host);

  while (gtk_tree_model_iter_children (GTK_TREE_MODEL (self->store), &child, host_iter))
    remove_row (self, &child);
  g_signal_handlers_disconnect_by_data (domus_host_get_domains (host), self);
  if (groups != NULL)
    {
      g_signal_handlers_disconnect_by_data (groups, self);
      g_hash_table_remove (self->tag_groups, host);
    }
}

static void
host_notify (DomusHost       *host,
             GParamSpec      *pspec,
             DomusServerList *self)
{
  GtkTreeModel *model = GTK_TREE_MODEL (self->store);
  GtkTreeIter iter, row;
  gboolean more;

  if (!find_host_row (self, host, &iter))
    return;
  begin_change (self);
  set_host_row (self, &iter, host);
  /* What the rows under it say is only as current as the host's connection. */
  more = next_row (model, &iter, &row);
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
      more = next_row (model, &row, &row);
    }
  store_changed (self);
  end_change (self);
}

static void
host_stats_updated (DomusHost       *host,
                    DomusServerList *self)
{
  gtk_widget_queue_draw (GTK_WIDGET (self->tree_view));
}

static void
add_host_row (DomusServerList *self,
              DomusHost       *host,
              guint            position)
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
remove_host_row (DomusServerList *self,
                 GtkTreeIter     *iter)
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
hosts_changed (GListModel      *hosts,
               guint            position,
               guint            removed,
               guint            added,
               DomusServerList *self)
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
  store_changed (self);
  end_change (self);
}

static void
clear_rows (DomusServerList *self)
{
  GtkTreeIter iter;

  while (gtk_tree_model_get_iter_first (GTK_TREE_MODEL (self->store), &iter))
    remove_host_row (self, &iter);
}

void
domus_server_list_set_hosts (DomusServerList *self,
                             GListModel      *hosts)
{
  g_return_if_fail (DOMUS_IS_SERVER_LIST (self));
  g_return_if_fail (hosts == NULL || G_IS_LIST_MODEL (hosts));

  if (self->hosts != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->hosts, self);
      clear_rows (self);
      g_clear_object (&self->hosts);
    }
  if (hosts == NULL)
    return;
  /* By now the window has its application, for the action's shortcut. */
  add_group_action (self);
  self->hosts = g_object_ref (hosts);
  g_signal_connect (hosts, "items-changed", G_CALLBACK (hosts_changed), self);
  hosts_changed (hosts, 0, 0, g_list_model_get_n_items (hosts), self);
}

/* Grouping by tag: every host row's children are made again in the other mode; the
 * selected domain stays selected (under its first group), the rows open. */
void
domus_server_list_set_group_by_tag (DomusServerList *self,
                                    gboolean         group_by_tag)
{
  GtkTreeModel *model;
  GtkTreeIter iter;

  g_return_if_fail (DOMUS_IS_SERVER_LIST (self));

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
  refilter (self);
  end_change (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_GROUP_BY_TAG]);
}

gboolean
domus_server_list_get_group_by_tag (DomusServerList *self)
{
  g_return_val_if_fail (DOMUS_IS_SERVER_LIST (self), FALSE);
  return self->group_by_tag;
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
  if (kind == ROW_GROUP)
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

/* Selection */

static gboolean
selected_row (DomusServerList *self,
              GtkTreeIter     *store_iter)
{
  GtkTreeSelection *selection = gtk_tree_view_get_selection (self->tree_view);
  GtkTreeModel *model;
  GtkTreeIter iter;

  if (!gtk_tree_selection_get_selected (selection, &model, &iter))
    return FALSE;
  gtk_tree_model_filter_convert_iter_to_child_iter (self->filter, store_iter, &iter);
  return TRUE;
}

/* The selected row's host, domain or group (transfer full), or NULL. */
static GObject *
selected_object (DomusServerList *self)
{
  GObject *object = NULL;
  GtkTreeIter iter;

  if (selected_row (self, &iter))
    gtk_tree_model_get (GTK_TREE_MODEL (self->store), &iter, COL_OBJECT, &object, -1);
  return object;
}

DomusHost *
domus_server_list_get_selected_host (DomusServerList *self)
{
  GtkTreeModel *model = GTK_TREE_MODEL (self->store);
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
                  GtkTreeIter     *store_iter)
{
  g_autoptr(GtkTreePath) path = gtk_tree_model_get_path (GTK_TREE_MODEL (self->store), store_iter);
  g_autoptr(GtkTreePath) view_path = gtk_tree_model_filter_convert_child_path_to_path (self->filter, path);

  if (view_path == NULL)
    return FALSE;
  if (gtk_tree_path_get_depth (view_path) > 1)
    {
      g_autoptr(GtkTreePath) parent = gtk_tree_path_copy (view_path);

      gtk_tree_path_up (parent);
      gtk_tree_view_expand_to_path (self->tree_view, parent);
    }
  gtk_tree_view_set_cursor (self->tree_view, view_path, NULL, FALSE);
  gtk_tree_view_scroll_to_cell (self->tree_view, view_path, NULL, FALSE, 0, 0);
  return TRUE;
}

/* The first row of the object the filter shows. */
static gboolean
select_object (DomusServerList *self,
               GObject         *object)
{
  GtkTreeModel *model = GTK_TREE_MODEL (self->store);
  GtkTreeIter iter;
  gboolean more = next_row (model, NULL, &iter);

  while (more)
    {
      g_autoptr(GObject) row_object = NULL;

      gtk_tree_model_get (model, &iter, COL_OBJECT, &row_object, -1);
      if (row_object == object && select_store_row (self, &iter))
        return TRUE;
      more = next_row (model, &iter, &iter);
    }
  return FALSE;
}

gboolean
domus_server_list_select_host (DomusServerList *self,
                               DomusHost       *host)
{
  GtkTreeIter iter;

  g_return_val_if_fail (DOMUS_IS_SERVER_LIST (self), FALSE);

  return find_host_row (self, host, &iter) && select_store_row (self, &iter);
}

gboolean
domus_server_list_select_domain (DomusServerList *self,
                                 DomusDomain     *domain)
{
  g_return_val_if_fail (DOMUS_IS_SERVER_LIST (self), FALSE);

  return select_object (self, G_OBJECT (domain));
}

static void
selection_changed (GtkTreeSelection *selection,
                   DomusServerList  *self)
{
  /* Within a change of rows, end_change() says whether the selection really changed. */
  if (self->changing == 0)
    g_signal_emit (self, signals[SIGNAL_SELECTION_CHANGED], 0);
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
  gboolean is_group;

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
  /* The menu acts on the row under the pointer: select it first. */
  if (!gtk_tree_view_get_path_at_pos (self->tree_view, (int) event->x, (int) event->y,
                                      &path, NULL, NULL, NULL))
    return GDK_EVENT_PROPAGATE;
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
  GtkTreeSelection *selection = gtk_tree_view_get_selection (self->tree_view);
  g_autoptr(GtkTreePath) path = NULL;
  GtkTreeModel *model;
  GtkTreeIter iter;
  GdkRectangle rect;
  GtkWidget *menu = menu_for_selection (self);

  if (menu == NULL || !gtk_tree_selection_get_selected (selection, &model, &iter))
    return FALSE;
  path = gtk_tree_model_get_path (model, &iter);
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
      g_value_set_boolean (value, self->group_by_tag);
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

  if (self->hosts != NULL)
    domus_server_list_set_hosts (self, NULL);
  if (self->host_menu != NULL || self->domain_menu != NULL)
    domus_server_list_set_menus (self, NULL, NULL);
  if (self->settings != NULL)
    g_settings_unbind (self, "group-by-tag");
  g_clear_object (&self->settings);
  clear_icons (self);
  g_clear_object (&self->kept_selection);
  g_clear_object (&self->drag_domain);
  g_clear_pointer (&self->tag_groups, g_hash_table_unref);
  g_clear_pointer (&self->watched, g_hash_table_unref);
  g_clear_object (&self->filter);
  g_clear_object (&self->store);

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

  /* The name gives way to the state, which stays whole. */
  if (expand)
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
  if (kind != ROW_HOST
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

  self->tag_groups = g_hash_table_new_full (g_direct_hash, g_direct_equal, g_object_unref, g_object_unref);
  self->watched = g_hash_table_new_full (g_direct_hash, g_direct_equal, g_object_unref, NULL);
  self->store = gtk_tree_store_new (N_COLUMNS, G_TYPE_INT, G_TYPE_OBJECT,
                                    G_TYPE_STRING, G_TYPE_STRING, G_TYPE_INT, G_TYPE_BOOLEAN,
                                    G_TYPE_STRING);
  self->filter = GTK_TREE_MODEL_FILTER (gtk_tree_model_filter_new (GTK_TREE_MODEL (self->store), NULL));
  gtk_tree_model_filter_set_visible_func (self->filter, row_visible, self, NULL);
  gtk_tree_view_set_model (self->tree_view, GTK_TREE_MODEL (self->filter));

  /* Icon, name and state in columns of their own: each text cell's accessible name is then
   * exactly the host's or domain's name, or the state. */
  cell = gtk_cell_renderer_pixbuf_new ();
  column = gtk_tree_view_column_new_with_attributes (_("State icon"), cell,
                                                     "sensitive", COL_CURRENT, NULL);
  gtk_tree_view_column_set_cell_data_func (column, cell, icon_data_func, self, NULL);
  gtk_tree_view_append_column (self->tree_view, column);
  column = add_text_column (self, _("Name"), COL_NAME, TRUE, FALSE);
  gtk_tree_view_set_expander_column (self->tree_view, gtk_tree_view_get_column (self->tree_view, 0));
  add_text_column (self, _("State"), COL_STATE_TEXT, FALSE, TRUE);
  cell = domus_sparkline_renderer_new ();
  column = gtk_tree_view_column_new_with_attributes (_("CPU"), cell, "sensitive", COL_CURRENT, NULL);
  gtk_tree_view_column_set_cell_data_func (column, cell, sparkline_data_func, self, NULL);
  gtk_tree_view_append_column (self->tree_view, column);

  g_signal_connect (gtk_tree_view_get_selection (self->tree_view), "changed",
                    G_CALLBACK (selection_changed), self);
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
