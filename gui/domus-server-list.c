/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The sidebar: a tree of servers and their domains, with a filter box and context menus.
 *
 * A GtkTreeStore mirrors the hosts' GListModels: a top-level row per host (in the hosts
 * model's order) with a child row per domain (in the host's order, by name). Rows change
 * only when the models or the objects say so (items-changed, notify): nothing is polled.
 * The view shows the store through a GtkTreeModelFilter for the filter box. */

#include "config.h"

#include <glib/gi18n.h>
#include <librsvg/rsvg.h>

#include "domus-server-list.h"
#include "domus-sparkline-renderer.h"

#define ICON_SIZE 16

enum {
  COL_KIND,         /* ROW_HOST or ROW_DOMAIN */
  COL_OBJECT,       /* the DomusHost or DomusDomain */
  COL_NAME,         /* the text a screen reader reads for the row: the host or domain name */
  COL_STATE_TEXT,
  COL_STATE,        /* DomusDomainState for domain rows, DomusHostState for host rows */
  COL_CURRENT,      /* FALSE for the domains of a host that is not connected: shown dimmed */
  N_COLUMNS
};

enum {
  ROW_HOST,
  ROW_DOMAIN,
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
  /* Icons drawn by librsvg at the window's scale, by state. */
  cairo_surface_t    *icons[DOMUS_DOMAIN_STATE_INVALID + 1];
  int                 icons_scale;
};

G_DEFINE_FINAL_TYPE (DomusServerList, domus_server_list, GTK_TYPE_BOX)

enum {
  SIGNAL_SELECTION_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

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
  if (kind == ROW_HOST)
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

/* Rows */

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

static gboolean
find_domain_row (DomusServerList *self,
                 DomusDomain     *domain,
                 GtkTreeIter     *iter)
{
  GtkTreeModel *model = GTK_TREE_MODEL (self->store);
  GtkTreeIter host_iter;

  if (!gtk_tree_model_get_iter_first (model, &host_iter))
    return FALSE;
  do
    if (find_object (self, &host_iter, domain, iter))
      return TRUE;
  while (gtk_tree_model_iter_next (model, &host_iter));
  return FALSE;
}

static void refilter (DomusServerList *self);

/* A change can make a server row visible or hidden through its children: the filter only
 * re-checks the row that changed, so re-run it whole while a filter is set. */
static void
store_changed (DomusServerList *self)
{
  if (self->needle != NULL)
    refilter (self);
}

static void
set_domain_row (DomusServerList *self,
                GtkTreeIter     *iter,
                DomusDomain     *domain)
{
  DomusDomainState state = domus_domain_get_state (domain);
  DomusHost *host = domus_domain_get_host (domain);
  gboolean current = host != NULL && domus_host_get_state (host) == DOMUS_HOST_STATE_CONNECTED;

  gtk_tree_store_set (self->store, iter,
                      COL_CURRENT, current,
                      COL_KIND, ROW_DOMAIN,
                      COL_OBJECT, domain,
                      COL_NAME, domus_domain_get_name (domain),
                      COL_STATE_TEXT, domus_domain_state_label (state),
                      COL_STATE, state,
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

  if (find_domain_row (self, domain, &iter))
    {
      set_domain_row (self, &iter, domain);
      store_changed (self);
    }
}

/* Open a server's row when its first domain arrives: an empty row cannot be expanded. */
static void
expand_host_row (DomusServerList *self,
                 GtkTreeIter     *host_iter)
{
  g_autoptr(GtkTreePath) path = gtk_tree_model_get_path (GTK_TREE_MODEL (self->store), host_iter);
  g_autoptr(GtkTreePath) view_path = gtk_tree_model_filter_convert_child_path_to_path (self->filter, path);

  if (view_path != NULL)
    gtk_tree_view_expand_row (self->tree_view, view_path, FALSE);
}

static void
remove_domain_row (DomusServerList *self,
                   GtkTreeIter     *iter)
{
  g_autoptr(GObject) domain = NULL;

  gtk_tree_model_get (GTK_TREE_MODEL (self->store), iter, COL_OBJECT, &domain, -1);
  if (domain != NULL)
    g_signal_handlers_disconnect_by_data (domain, self);
  gtk_tree_store_remove (self->store, iter);
}

static void
domains_changed (GListModel      *domains,
                 guint            position,
                 guint            removed,
                 guint            added,
                 DomusServerList *self)
{
  GtkTreeModel *model = GTK_TREE_MODEL (self->store);
  GtkTreeIter host_iter;
  gboolean was_empty;
  guint n = g_list_model_get_n_items (self->hosts);
  gboolean found = FALSE;

  for (guint i = 0; i < n && !found; i++)
    {
      g_autoptr(DomusHost) host = g_list_model_get_item (self->hosts, i);

      if (domus_host_get_domains (host) == domains)
        found = find_host_row (self, host, &host_iter);
    }
  if (!found)
    return;

  was_empty = !gtk_tree_model_iter_has_child (model, &host_iter);
  for (guint i = 0; i < removed; i++)
    {
      GtkTreeIter iter;

      if (gtk_tree_model_iter_nth_child (model, &iter, &host_iter, position))
        remove_domain_row (self, &iter);
    }
  for (guint i = 0; i < added; i++)
    {
      g_autoptr(DomusDomain) domain = g_list_model_get_item (domains, position + i);
      GtkTreeIter iter;

      gtk_tree_store_insert (self->store, &iter, &host_iter, position + i);
      set_domain_row (self, &iter, domain);
      /* The tree shows the name and the state; the pages follow the rest themselves. */
      g_signal_connect (domain, "notify::state", G_CALLBACK (domain_notify), self);
      g_signal_connect (domain, "notify::name", G_CALLBACK (domain_notify), self);
      g_signal_connect (domain, "notify::tags", G_CALLBACK (domain_notify), self);
    }
  if (was_empty && added > 0)
    expand_host_row (self, &host_iter);
  store_changed (self);
}

static void
host_notify (DomusHost       *host,
             GParamSpec      *pspec,
             DomusServerList *self)
{
  GtkTreeModel *model = GTK_TREE_MODEL (self->store);
  GtkTreeIter iter, child;

  if (!find_host_row (self, host, &iter))
    return;
  set_host_row (self, &iter, host);
  /* What the domain rows say is only as current as the host's connection. */
  if (gtk_tree_model_iter_children (model, &child, &iter))
    do
      {
        g_autoptr(DomusDomain) domain = NULL;

        gtk_tree_model_get (model, &child, COL_OBJECT, &domain, -1);
        set_domain_row (self, &child, domain);
      }
    while (gtk_tree_model_iter_next (model, &child));
  store_changed (self);
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
  GListModel *domains = domus_host_get_domains (host);
  GtkTreeIter iter;

  gtk_tree_store_insert (self->store, &iter, NULL, position);
  set_host_row (self, &iter, host);
  g_signal_connect (host, "notify::state", G_CALLBACK (host_notify), self);
  g_signal_connect (host, "notify::name", G_CALLBACK (host_notify), self);
  /* The sparklines move once a sample: one redraw of the visible rows. */
  g_signal_connect (host, "stats-updated", G_CALLBACK (host_stats_updated), self);
  g_signal_connect (domains, "items-changed", G_CALLBACK (domains_changed), self);
  domains_changed (domains, 0, 0, g_list_model_get_n_items (domains), self);
}

static void
remove_host_row (DomusServerList *self,
                 GtkTreeIter     *iter)
{
  g_autoptr(DomusHost) host = NULL;
  GtkTreeIter child;

  while (gtk_tree_model_iter_children (GTK_TREE_MODEL (self->store), &child, iter))
    remove_domain_row (self, &child);
  gtk_tree_model_get (GTK_TREE_MODEL (self->store), iter, COL_OBJECT, &host, -1);
  if (host != NULL)
    {
      g_signal_handlers_disconnect_by_data (host, self);
      g_signal_handlers_disconnect_by_data (domus_host_get_domains (host), self);
    }
  gtk_tree_store_remove (self->store, iter);
}

static void
hosts_changed (GListModel      *hosts,
               guint            position,
               guint            removed,
               guint            added,
               DomusServerList *self)
{
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
  self->hosts = g_object_ref (hosts);
  g_signal_connect (hosts, "items-changed", G_CALLBACK (hosts_changed), self);
  hosts_changed (hosts, 0, 0, g_list_model_get_n_items (hosts), self);
}

/* Filtering */

static gboolean
row_matches (DomusServerList *self,
             GtkTreeModel    *model,
             GtkTreeIter     *iter)
{
  g_autofree char *name = NULL;
  g_autofree char *state = NULL;
  g_autofree char *name_folded = NULL;
  g_autofree char *state_folded = NULL;

  g_autoptr(GObject) object = NULL;

  gtk_tree_model_get (model, iter, COL_NAME, &name, COL_STATE_TEXT, &state, COL_OBJECT, &object, -1);
  name_folded = g_utf8_casefold (name != NULL ? name : "", -1);
  state_folded = g_utf8_casefold (state != NULL ? state : "", -1);
  if (strstr (name_folded, self->needle) != NULL || strstr (state_folded, self->needle) != NULL)
    return TRUE;
  /* Tags group domains ("web", "prod"): typing one finds the group. */
  if (DOMUS_IS_DOMAIN (object))
    {
      const char * const *tags = domus_domain_get_tags (DOMUS_DOMAIN (object));

      for (guint i = 0; tags != NULL && tags[i] != NULL; i++)
        {
          g_autofree char *tag_folded = g_utf8_casefold (tags[i], -1);

          if (strstr (tag_folded, self->needle) != NULL)
            return TRUE;
        }
    }
  return FALSE;
}

/* A server row stays while one of its domains matches; a matching server shows all of its
 * domains. */
static gboolean
row_visible (GtkTreeModel *model,
             GtkTreeIter  *iter,
             gpointer      user_data)
{
  DomusServerList *self = user_data;
  GtkTreeIter other;
  int kind;

  if (self->needle == NULL)
    return TRUE;
  if (row_matches (self, model, iter))
    return TRUE;

  gtk_tree_model_get (model, iter, COL_KIND, &kind, -1);
  if (kind == ROW_DOMAIN)
    return gtk_tree_model_iter_parent (model, &other, iter) && row_matches (self, model, &other);

  if (gtk_tree_model_iter_children (model, &other, iter))
    do
      if (row_matches (self, model, &other))
        return TRUE;
    while (gtk_tree_model_iter_next (model, &other));
  return FALSE;
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

  g_clear_pointer (&self->needle, g_free);
  if (text != NULL && *text != '\0')
    self->needle = g_utf8_casefold (text, -1);
  refilter (self);
}

void
domus_server_list_focus_filter (DomusServerList *self)
{
  g_return_if_fail (DOMUS_IS_SERVER_LIST (self));

  gtk_widget_grab_focus (GTK_WIDGET (self->filter_entry));
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

DomusHost *
domus_server_list_get_selected_host (DomusServerList *self)
{
  g_autoptr(GObject) object = NULL;
  GtkTreeIter iter;

  g_return_val_if_fail (DOMUS_IS_SERVER_LIST (self), NULL);

  if (!selected_row (self, &iter))
    return NULL;
  gtk_tree_model_get (GTK_TREE_MODEL (self->store), &iter, COL_OBJECT, &object, -1);
  if (DOMUS_IS_HOST (object))
    return DOMUS_HOST (object);
  if (DOMUS_IS_DOMAIN (object))
    return domus_domain_get_host (DOMUS_DOMAIN (object));
  return NULL;
}

DomusDomain *
domus_server_list_get_selected_domain (DomusServerList *self)
{
  g_autoptr(GObject) object = NULL;
  GtkTreeIter iter;

  g_return_val_if_fail (DOMUS_IS_SERVER_LIST (self), NULL);

  if (!selected_row (self, &iter))
    return NULL;
  gtk_tree_model_get (GTK_TREE_MODEL (self->store), &iter, COL_OBJECT, &object, -1);
  /* The store holds a reference for as long as the row exists. */
  return DOMUS_IS_DOMAIN (object) ? DOMUS_DOMAIN (object) : NULL;
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
      gtk_tree_view_expand_row (self->tree_view, parent, FALSE);
    }
  gtk_tree_view_set_cursor (self->tree_view, view_path, NULL, FALSE);
  gtk_tree_view_scroll_to_cell (self->tree_view, view_path, NULL, FALSE, 0, 0);
  return TRUE;
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
  GtkTreeIter iter;

  g_return_val_if_fail (DOMUS_IS_SERVER_LIST (self), FALSE);

  return find_domain_row (self, domain, &iter) && select_store_row (self, &iter);
}

static void
selection_changed (GtkTreeSelection *selection,
                   DomusServerList  *self)
{
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

/* Construction */

static void
domus_server_list_dispose (GObject *object)
{
  DomusServerList *self = DOMUS_SERVER_LIST (object);

  if (self->hosts != NULL)
    domus_server_list_set_hosts (self, NULL);
  if (self->host_menu != NULL || self->domain_menu != NULL)
    domus_server_list_set_menus (self, NULL, NULL);
  clear_icons (self);
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

  /* The selected row changed: read it with the getters. */
  signals[SIGNAL_SELECTION_CHANGED] =
    g_signal_new ("selection-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);

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
  GtkCellRenderer *cell = gtk_cell_renderer_text_new ();
  GtkTreeViewColumn *column = gtk_tree_view_column_new_with_attributes (title, cell,
                                                                        "text", text_column,
                                                                        "sensitive", COL_CURRENT,
                                                                        NULL);

  /* The name gives way to the state, which stays whole. */
  if (expand)
    g_object_set (cell, "ellipsize", PANGO_ELLIPSIZE_END, NULL);
  if (dim)
    g_object_set (cell, "foreground", "gray50", "scale", PANGO_SCALE_SMALL, NULL);
  gtk_tree_view_column_set_expand (column, expand);
  gtk_tree_view_append_column (self->tree_view, column);
  return column;
}

static void
domus_server_list_init (DomusServerList *self)
{
  GtkTreeViewColumn *column;
  GtkCellRenderer *cell;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->store = gtk_tree_store_new (N_COLUMNS, G_TYPE_INT, G_TYPE_OBJECT,
                                    G_TYPE_STRING, G_TYPE_STRING, G_TYPE_INT, G_TYPE_BOOLEAN);
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
}

GtkWidget *
domus_server_list_new (void)
{
  return g_object_new (DOMUS_TYPE_SERVER_LIST, NULL);
}
