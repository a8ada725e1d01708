/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The main window: the sidebar of servers and domains, and the page of what is selected.
 *
 * The pages follow the selected object through its notify signals. Domain actions are
 * window actions (win.start, win.pause, ...) acting on the selected domain: the page's
 * buttons, the sidebar's context menu and the keyboard shortcuts all go through them, and
 * their enabled state follows the domain's state and its host's connection. */

#include "config.h"

#include <glib/gi18n.h>
#include <vncdisplay.h>

#include "domus-config-editor.h"
#include "domus-console.h"
#include "domus-console-notebook.h"
#include "domus-create-assistant.h"
#include "domus-dashboard.h"
#include "domus-error.h"
#include "domus-graph-set.h"
#include "domus-image-store.h"
#include "domus-migrate-dialog.h"
#include "domus-server-list.h"
#include "domus-top-table.h"
#include "domus-ssh-options.h"
#include "domus-window.h"

struct _DomusWindow
{
  GtkApplicationWindow  parent_instance;

  /* Template children */
  DomusServerList      *server_list;
  GtkStack             *stack;
  GtkWidget            *dashboard_box;
  GtkWidget            *server_info_bar;
  GtkLabel             *server_info_label;
  GtkWidget            *reconnect_button;
  GtkWidget            *accept_key_button;
  GtkWidget            *refuse_key_button;
  GtkLabel             *server_title;
  GtkGrid              *server_facts;
  GtkWidget            *server_extra_box;
  GtkWidget            *domain_info_bar;
  GtkLabel             *domain_info_label;
  GtkImage             *domain_state_image;
  GtkLabel             *domain_title;
  GtkGrid              *domain_facts;
  GtkWidget            *domain_notebook;
  GtkStack             *consoles_stack;
  GtkLabel             *consoles_button_label;
  GMenuModel           *host_menu;
  GMenuModel           *domain_menu;

  /* Fact values, made in init */
  GtkLabel             *host_state_label;
  GtkLabel             *host_address_label;
  GtkLabel             *host_accelerator_label;
  GtkLabel             *host_qemu_label;
  GtkLabel             *host_version_label;
  GtkLabel             *host_cpus_label;
  GtkLabel             *host_memory_label;
  GtkLabel             *domain_state_label;
  GtkLabel             *domain_host_label;
  GtkLabel             *domain_memory_label;
  GtkLabel             *domain_vcpus_label;
  GtkLabel             *domain_id_label;

  gboolean              domain_bar_for_host;  /* the domain page's bar says the host is away */

  /* Made in code: they follow what is selected */
  DomusDashboard       *dashboard;
  GtkWidget            *server_details;       /* a notebook: the followed host's domains, load, images */
  GtkWidget            *server_domains_page;
  GtkWidget            *server_load_page;
  GtkWidget            *server_images_page;
  GtkWidget            *demo_button;
  GtkWidget            *console_page;         /* the domain notebook's console tab (a box) */
  DomusConsoleNotebook *console_notebook;     /* the open consoles, on the stack's "consoles" page */
  GtkWidget            *domain_graphs_page;
  GtkWidget            *domain_config_page;
  GListModel           *followed_domains;     /* the followed host's, for the demo button */
  GListModel           *hosts;                /* the application's, for the dashboard */
  GPtrArray            *dashboard_hosts;      /* DomusHost the dashboard shows (references) */

  DomusHost            *host;          /* the selected row's host (a reference), or NULL */
  DomusDomain          *domain;        /* the selected domain (a reference), or NULL */

  /* domus_window_open_domain() waiting for the domain to appear */
  DomusHost            *pending_host;
  char                 *pending_name;
  gboolean              pending_console;
};

G_DEFINE_FINAL_TYPE (DomusWindow, domus_window, GTK_TYPE_APPLICATION_WINDOW)

static void update_demo_button (DomusWindow *self);

/* The domain actions and the method each calls. */
typedef enum {
  ACTION_START,
  ACTION_SHUTDOWN,
  ACTION_REBOOT,
  ACTION_PAUSE,
  ACTION_RESUME,
  ACTION_DESTROY,
} DomainAction;

static const struct {
  const char *action;
  const char *method;
} domain_actions[] = {
  [ACTION_START]    = { "start",    "domain.start" },
  [ACTION_SHUTDOWN] = { "shutdown", "domain.shutdown" },
  [ACTION_REBOOT]   = { "reboot",   "domain.reboot" },
  [ACTION_PAUSE]    = { "pause",    "domain.pause" },
  [ACTION_RESUME]   = { "resume",   "domain.unpause" },
  [ACTION_DESTROY]  = { "destroy",  "domain.destroy" },
};

/* What to say when the daemon refuses. */
static char *
failure_message (DomainAction  action,
                 const char   *name,
                 const char   *reason)
{
  switch (action)
    {
    case ACTION_START:    return g_strdup_printf (_("Could not start “%s”: %s"), name, reason);
    case ACTION_SHUTDOWN: return g_strdup_printf (_("Could not shut down “%s”: %s"), name, reason);
    case ACTION_REBOOT:   return g_strdup_printf (_("Could not reboot “%s”: %s"), name, reason);
    case ACTION_PAUSE:    return g_strdup_printf (_("Could not pause “%s”: %s"), name, reason);
    case ACTION_RESUME:   return g_strdup_printf (_("Could not resume “%s”: %s"), name, reason);
    case ACTION_DESTROY:
    default:              return g_strdup_printf (_("Could not destroy “%s”: %s"), name, reason);
    }
}

static void
set_action_enabled (DomusWindow *self,
                    const char  *name,
                    gboolean     enabled)
{
  GAction *action = g_action_map_lookup_action (G_ACTION_MAP (self), name);

  g_simple_action_set_enabled (G_SIMPLE_ACTION (action), enabled);
}

/* Whether a migration has somewhere to go. */
static gboolean
other_host_connected (DomusWindow *self)
{
  for (guint i = 0; self->hosts != NULL && i < g_list_model_get_n_items (self->hosts); i++)
    {
      g_autoptr(DomusHost) host = g_list_model_get_item (self->hosts, i);

      if (host != self->host && domus_host_get_state (host) == DOMUS_HOST_STATE_CONNECTED)
        return TRUE;
    }
  return FALSE;
}

/* Which actions a domain in this state accepts (docs/protocol.md). */
static void
update_actions (DomusWindow *self)
{
  gboolean connected = self->host != NULL
                       && domus_host_get_state (self->host) == DOMUS_HOST_STATE_CONNECTED;
  DomusDomainState state = self->domain != NULL ? domus_domain_get_state (self->domain)
                                                : DOMUS_DOMAIN_STATE_INVALID;
  gboolean have = connected && self->domain != NULL;
  gboolean active = state == DOMUS_DOMAIN_STATE_RUNNING || state == DOMUS_DOMAIN_STATE_BLOCKED;

  set_action_enabled (self, "start", have && state == DOMUS_DOMAIN_STATE_SHUTOFF);
  set_action_enabled (self, "shutdown", have && active);
  set_action_enabled (self, "reboot", have && active);
  set_action_enabled (self, "pause", have && active);
  set_action_enabled (self, "resume", have && state == DOMUS_DOMAIN_STATE_PAUSED);
  set_action_enabled (self, "destroy", have && (active
                                                || state == DOMUS_DOMAIN_STATE_PAUSED
                                                || state == DOMUS_DOMAIN_STATE_SHUTDOWN
                                                || state == DOMUS_DOMAIN_STATE_CRASHED
                                                || state == DOMUS_DOMAIN_STATE_STARTING));
  set_action_enabled (self, "open-console", self->host != NULL && self->domain != NULL);
  /* A running or paused domain moves; the dialog lists the other connected servers. */
  set_action_enabled (self, "migrate", have && (active || state == DOMUS_DOMAIN_STATE_PAUSED)
                                       && other_host_connected (self));
  /* A shut-off one starts there instead (its disks must be where that server sees them). */
  set_action_enabled (self, "start-on", have && state == DOMUS_DOMAIN_STATE_SHUTOFF
                                        && other_host_connected (self));
  set_action_enabled (self, "reconnect", self->host != NULL && !connected);
  set_action_enabled (self, "remove-server", self->host != NULL);
  set_action_enabled (self, "disconnect", self->host != NULL
                                          && (connected || domus_host_get_state (self->host)
                                                           == DOMUS_HOST_STATE_CONNECTING));
}

/* Facts */

static GtkLabel *
add_fact (GtkGrid    *grid,
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

/* A count, or MiB; a dash when unknown (negative). */
static void
set_int_fact (GtkLabel *label,
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

static void
set_text_fact (GtkLabel   *label,
               const char *value)
{
  gtk_label_set_text (label, value != NULL && *value != '\0' ? value : "—");
}

/* The server page */

static void
update_server_page (DomusWindow *self)
{
  DomusHost *host = self->host;
  DomusHostState state;
  const GError *error;
  const char *key_type = NULL;
  const char *fingerprint = NULL;
  gboolean connected;
  g_autofree char *message = NULL;

  if (host == NULL)
    return;
  state = domus_host_get_state (host);
  error = domus_host_get_error (host);
  connected = state == DOMUS_HOST_STATE_CONNECTED;

  gtk_label_set_text (self->server_title, domus_host_get_name (host));
  set_text_fact (self->host_state_label, domus_host_state_label (state));
  set_text_fact (self->host_address_label, domus_host_get_uri (host));
  set_text_fact (self->host_accelerator_label, domus_host_get_accelerator (host));
  set_text_fact (self->host_qemu_label, domus_host_get_qemu_version (host));
  set_text_fact (self->host_version_label, domus_host_get_version (host));
  set_int_fact (self->host_cpus_label, domus_host_get_hello (host) != NULL ? domus_host_get_cpus (host) : -1,
                FALSE);
  set_int_fact (self->host_memory_label, domus_host_get_hello (host) != NULL ? domus_host_get_memory_mib (host) : -1,
                TRUE);

  /* The info bar says why the host is not connected, and what can be done about it. */
  gtk_widget_set_visible (self->accept_key_button, FALSE);
  gtk_widget_set_visible (self->refuse_key_button, FALSE);
  gtk_widget_set_visible (self->reconnect_button, !connected);
  if (connected || (state == DOMUS_HOST_STATE_CONNECTING && error == NULL))
    {
      gtk_widget_set_visible (self->server_info_bar, FALSE);
      return;
    }

  if (error != NULL && g_error_matches (error, DOMUS_ERROR, DOMUS_ERROR_HOST_KEY_UNKNOWN)
      && domus_error_get_host_key (error, &key_type, &fingerprint))
    {
      message = g_strdup_printf (_("The host key of %s is not known. Its %s fingerprint is\n%s\n"
                                   "Accept it only if it is the key the server really has."),
                                 domus_host_get_name (host), key_type, fingerprint);
      gtk_info_bar_set_message_type (GTK_INFO_BAR (self->server_info_bar), GTK_MESSAGE_QUESTION);
      gtk_widget_set_visible (self->accept_key_button, TRUE);
      gtk_widget_set_visible (self->refuse_key_button, TRUE);
      gtk_widget_set_visible (self->reconnect_button, FALSE);
    }
  else if (error != NULL && g_error_matches (error, DOMUS_ERROR, DOMUS_ERROR_HOST_KEY_CHANGED)
           && domus_error_get_host_key (error, &key_type, &fingerprint))
    {
      message = g_strdup_printf (_("The host key of %s has changed: it now shows %s %s. Someone may "
                                 "be intercepting the connection; it was refused. If the server "
                                 "really got a new key, remove the old one from known_hosts."),
                                 domus_host_get_name (host), key_type, fingerprint);
      gtk_info_bar_set_message_type (GTK_INFO_BAR (self->server_info_bar), GTK_MESSAGE_ERROR);
    }
  else if (error != NULL)
    {
      if (state == DOMUS_HOST_STATE_CONNECTING)
        message = g_strdup_printf (_("Disconnected from %s: %s. Connecting again…"),
                                   domus_host_get_name (host), error->message);
      else if (domus_host_error_is_permanent (error))
        message = g_strdup_printf (_("Disconnected from %s: %s"), domus_host_get_name (host), error->message);
      else
        message = g_strdup_printf (_("Disconnected from %s: %s. Trying again shortly."),
                                   domus_host_get_name (host), error->message);
      gtk_info_bar_set_message_type (GTK_INFO_BAR (self->server_info_bar), GTK_MESSAGE_WARNING);
    }
  else
    {
      message = g_strdup_printf (_("Disconnected from %s."), domus_host_get_name (host));
      gtk_info_bar_set_message_type (GTK_INFO_BAR (self->server_info_bar), GTK_MESSAGE_INFO);
    }
  gtk_label_set_text (self->server_info_label, message);
  gtk_widget_set_visible (self->server_info_bar, TRUE);
}

static void
accept_key_clicked (GtkButton   *button,
                    DomusWindow *self)
{
  const char *fingerprint = NULL;
  const GError *error;

  if (self->host == NULL)
    return;
  error = domus_host_get_error (self->host);
  if (error != NULL && domus_error_get_host_key (error, NULL, &fingerprint))
    domus_host_accept_host_key (self->host, fingerprint);
}

static void
refuse_key_clicked (GtkButton   *button,
                    DomusWindow *self)
{
  /* The host stays disconnected until the user asks again. */
  if (self->host != NULL)
    domus_host_disconnect (self->host);
}

/* The domain page */

static void
update_domain_page (DomusWindow *self)
{
  DomusDomain *domain = self->domain;
  DomusDomainState state;
  g_autofree char *uri = NULL;
  g_autoptr(GFile) file = NULL;
  g_autoptr(GIcon) icon = NULL;

  if (domain == NULL)
    return;
  state = domus_domain_get_state (domain);

  gtk_label_set_text (self->domain_title, domus_domain_get_name (domain));
  if (state == DOMUS_DOMAIN_STATE_INVALID && domus_domain_get_error (domain) != NULL)
    {
      g_autofree char *text = g_strdup_printf ("%s: %s", domus_domain_state_label (state),
                                               domus_domain_get_error (domain));
      set_text_fact (self->domain_state_label, text);
    }
  else
    {
      set_text_fact (self->domain_state_label, domus_domain_state_label (state));
    }
  set_text_fact (self->domain_host_label, self->host != NULL ? domus_host_get_name (self->host) : NULL);
  set_int_fact (self->domain_memory_label, domus_domain_get_memory_mib (domain), TRUE);
  set_int_fact (self->domain_vcpus_label, domus_domain_get_vcpus (domain), FALSE);
  set_int_fact (self->domain_id_label, domus_domain_get_id (domain), FALSE);

  uri = g_strconcat ("resource://", domus_domain_state_icon_resource (state), NULL);
  file = g_file_new_for_uri (uri);
  icon = g_file_icon_new (file);
  gtk_image_set_from_gicon (self->domain_state_image, icon, GTK_ICON_SIZE_DIALOG);
  atk_object_set_name (gtk_widget_get_accessible (GTK_WIDGET (self->domain_state_image)),
                       domus_domain_state_label (state));
}

static void
show_domain_error (DomusWindow *self,
                   const char  *message)
{
  self->domain_bar_for_host = FALSE;
  gtk_info_bar_set_message_type (GTK_INFO_BAR (self->domain_info_bar), GTK_MESSAGE_ERROR);
  gtk_label_set_text (self->domain_info_label, message);
  gtk_widget_set_visible (self->domain_info_bar, TRUE);
}

/* While its host is away the domain's page says why its actions are unavailable. */
static void
update_domain_host_notice (DomusWindow *self)
{
  g_autofree char *message = NULL;

  if (self->domain == NULL || self->host == NULL)
    return;
  if (domus_host_get_state (self->host) == DOMUS_HOST_STATE_CONNECTED)
    {
      if (self->domain_bar_for_host)
        gtk_widget_set_visible (self->domain_info_bar, FALSE);
      self->domain_bar_for_host = FALSE;
      return;
    }
  message = g_strdup_printf (_("%s is not connected: what this page shows may be out of date, "
                               "and the domain cannot be acted on until the server is back."),
                             domus_host_get_name (self->host));
  self->domain_bar_for_host = TRUE;
  gtk_info_bar_set_message_type (GTK_INFO_BAR (self->domain_info_bar), GTK_MESSAGE_WARNING);
  gtk_label_set_text (self->domain_info_label, message);
  gtk_widget_set_visible (self->domain_info_bar, TRUE);
}

static void
domain_info_bar_response (GtkInfoBar  *info_bar,
                          int          response,
                          DomusWindow *self)
{
  gtk_widget_set_visible (GTK_WIDGET (info_bar), FALSE);
}

/* Following the selection */

static void
domain_notify (DomusDomain *domain,
               GParamSpec  *pspec,
               DomusWindow *self)
{
  update_domain_page (self);
  update_actions (self);
}

static void
host_notify (DomusHost   *host,
             GParamSpec  *pspec,
             DomusWindow *self)
{
  update_demo_button (self);
  update_server_page (self);
  update_domain_page (self);
  update_domain_host_notice (self);
  update_actions (self);
}

/* The properties the pages show; the per-second stats do not redraw them. */
static const char * const domain_properties[] = {
  "name", "state", "id", "memory-mib", "vcpus", "error",
};

/* What the pages show below their facts: made for the followed host and domain */

static void
open_domain_from (GtkWidget   *source,
                  DomusDomain *domain,
                  DomusWindow *self)
{
  domus_server_list_select_domain (self->server_list, domain);
}

static void
open_host_from (GtkWidget   *source,
                DomusHost   *host,
                DomusWindow *self)
{
  domus_server_list_select_host (self->server_list, host);
}

static GtkWidget *
tab_label (const char *text)
{
  return gtk_label_new_with_mnemonic (text);
}

/* Graphs scroll rather than ask the window for their whole height (three rows of them
 * would not fit a 768-pixel screen under a domain's facts). */
static GtkWidget *
scrolled_graphs (GtkWidget *graph_set)
{
  GtkWidget *scroller = gtk_scrolled_window_new (NULL, NULL);

  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroller), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_propagate_natural_height (GTK_SCROLLED_WINDOW (scroller), TRUE);
  gtk_container_add (GTK_CONTAINER (scroller), graph_set);
  return scroller;
}

/* The pages stay and only their contents change: accessibility objects of removed
   notebook pages confuse GTK 3's bridge. */
static void
fill_server_details (DomusWindow *self,
                     DomusHost   *host)
{
  GtkWidget *graphs = domus_graph_set_new_for_host (host);
  GtkWidget *top = domus_top_table_new (host);
  GtkWidget *images = domus_image_store_new (host);

  g_signal_connect_object (top, "open-domain", G_CALLBACK (open_domain_from), self, 0);
  gtk_box_pack_start (GTK_BOX (self->server_domains_page), top, TRUE, TRUE, 0);
  gtk_box_pack_start (GTK_BOX (self->server_load_page), scrolled_graphs (graphs), TRUE, TRUE, 0);
  gtk_box_pack_start (GTK_BOX (self->server_images_page), images, TRUE, TRUE, 0);
  gtk_widget_show_all (self->server_details);
}

/* Consoles */

static void
update_consoles_button (DomusWindow *self)
{
  guint n = domus_console_notebook_get_n_consoles (self->console_notebook);
  g_autofree char *text = NULL;

  /* Translators: the header bar's button; %u is how many consoles are open. */
  text = n > 0 ? g_strdup_printf (_("Consoles (%u)"), n) : g_strdup (_("Consoles"));
  gtk_label_set_text (self->consoles_button_label, text);
  gtk_stack_set_visible_child_name (self->consoles_stack, n > 0 ? "tabs" : "empty");
}

/* Ctrl+W closes the console in front, when the consoles are what the window shows. */
static void
update_close_console (DomusWindow *self)
{
  gboolean shown = g_strcmp0 (gtk_stack_get_visible_child_name (self->stack), "consoles") == 0;

  set_action_enabled (self, "close-console",
                      shown && domus_console_notebook_get_n_tabs (self->console_notebook) > 0);
}

static void
n_consoles_changed (GObject     *notebook,
                    GParamSpec  *pspec,
                    DomusWindow *self)
{
  update_consoles_button (self);
  update_close_console (self);
}

static void
n_tabs_changed (GObject     *notebook,
                GParamSpec  *pspec,
                DomusWindow *self)
{
  update_close_console (self);
}

static void
close_console_activated (GSimpleAction *action,
                         GVariant      *parameter,
                         gpointer       user_data)
{
  DomusWindow *self = user_data;
  DomusConsole *console = domus_console_notebook_get_current (self->console_notebook);

  if (console != NULL)
    domus_console_notebook_close (self->console_notebook, console);
  /* The focus went with the console: a keyboard user carries on from the sidebar. */
  if (gtk_window_get_focus (GTK_WINDOW (self)) == NULL)
    domus_server_list_focus_tree (self->server_list);
}

/* The page of what the sidebar selects. */
static void
show_selection_page (DomusWindow *self)
{
  if (self->domain != NULL)
    gtk_stack_set_visible_child_name (self->stack, "domain");
  else if (self->host != NULL)
    gtk_stack_set_visible_child_name (self->stack, "server");
  else
    gtk_stack_set_visible_child_name (self->stack, "dashboard");
}

static void
stack_child_changed (GtkStack    *stack,
                     GParamSpec  *pspec,
                     DomusWindow *self)
{
  GAction *action = g_action_map_lookup_action (G_ACTION_MAP (self), "show-consoles");
  gboolean shown = g_strcmp0 (gtk_stack_get_visible_child_name (stack), "consoles") == 0;

  g_simple_action_set_state (G_SIMPLE_ACTION (action), g_variant_new_boolean (shown));
  update_close_console (self);
}

/* One console per domain in this window: the tab already open is shown again. */
static void
open_console (DomusWindow *self,
              DomusHost   *host,
              const char  *name)
{
  DomusConsole *console = domus_console_notebook_open (self->console_notebook, host, name);
  GtkWidget *display;

  if (domus_console_get_detached (console))
    return;
  gtk_stack_set_visible_child_name (self->stack, "consoles");
  /* The guest gets the keys at once, as in a viewer of its own. */
  display = domus_console_get_display (console);
  if (display != NULL)
    gtk_widget_grab_focus (display);
}

static void
domain_tab_switched (GtkNotebook *notebook,
                     GtkWidget   *page,
                     guint        number,
                     DomusWindow *self)
{
  /* The Console tab is the way to the domain's tab among the consoles. */
  if (page == self->console_page && self->domain != NULL && self->host != NULL &&
      gtk_widget_get_mapped (GTK_WIDGET (notebook)))
    open_console (self, self->host, domus_domain_get_name (self->domain));
}

static void
open_console_activated (GSimpleAction *action,
                        GVariant      *parameter,
                        gpointer       user_data)
{
  DomusWindow *self = user_data;

  if (self->domain != NULL && self->host != NULL)
    open_console (self, self->host, domus_domain_get_name (self->domain));
}

static void
show_consoles_changed (GSimpleAction *action,
                       GVariant      *state,
                       gpointer       user_data)
{
  DomusWindow *self = user_data;

  if (g_variant_get_boolean (state))
    gtk_stack_set_visible_child_name (self->stack, "consoles");
  else
    show_selection_page (self);
  g_simple_action_set_state (action, state);
}

/* A double-click (or Enter) on a domain row opens its console. */
static void
server_row_activated (GtkTreeView       *tree,
                      GtkTreePath       *path,
                      GtkTreeViewColumn *column,
                      DomusWindow       *self)
{
  DomusDomain *domain;
  DomusHost *host;

  /* A double-click has selected the row already; an activation from elsewhere (a screen
   * reader's action) selects it now, so the pages follow what was opened. */
  gtk_tree_selection_select_path (gtk_tree_view_get_selection (tree), path);
  domain = domus_server_list_get_selected_domain (self->server_list);
  host = domus_server_list_get_selected_host (self->server_list);

  if (domain != NULL && host != NULL)
    open_console (self, host, domus_domain_get_name (domain));
}

static void
find_tree_view (GtkWidget *widget,
                gpointer   data)
{
  GtkWidget **found = data;

  if (*found != NULL)
    return;
  if (GTK_IS_TREE_VIEW (widget))
    *found = widget;
  else if (GTK_IS_CONTAINER (widget))
    gtk_container_forall (GTK_CONTAINER (widget), find_tree_view, data);
}

/* While the guest's screen has the focus, keys are the guest's: the window's shortcuts
 * (Ctrl+S, Ctrl+P, Ctrl+Q …) would otherwise act on the domain instead of reaching it, as
 * GtkWindow tries accelerators before the focused widget. Ctrl+Page Up/Down still switch
 * console tabs (DomusConsoleNotebook, connected earlier). */
static gboolean
window_key_press (GtkWidget   *widget,
                  GdkEventKey *event,
                  DomusWindow *self)
{
  GtkWidget *focus = gtk_window_get_focus (GTK_WINDOW (self));

  if (focus != NULL && VNC_IS_DISPLAY (focus))
    return gtk_window_propagate_key_event (GTK_WINDOW (self), event);
  return GDK_EVENT_PROPAGATE;
}

static void
clear_container (GtkWidget *container)
{
  g_autoptr(GList) children = gtk_container_get_children (GTK_CONTAINER (container));

  for (GList *l = children; l != NULL; l = l->next)
    gtk_widget_destroy (l->data);
}

static void
rebuild_domain_tabs (DomusWindow *self)
{
  clear_container (self->domain_graphs_page);
  clear_container (self->domain_config_page);
  if (self->domain == NULL || domus_domain_get_host (self->domain) == NULL)
    return;
  gtk_box_pack_start (GTK_BOX (self->domain_graphs_page),
                      scrolled_graphs (domus_graph_set_new_for_domain (self->domain)), TRUE, TRUE, 0);
  gtk_box_pack_start (GTK_BOX (self->domain_config_page), domus_config_editor_new (self->domain),
                      TRUE, TRUE, 0);
  gtk_widget_show_all (self->domain_graphs_page);
  gtk_widget_show_all (self->domain_config_page);
}

static void
followed_domains_changed (GListModel  *domains,
                          guint        position,
                          guint        removed,
                          guint        added,
                          DomusWindow *self)
{
  update_demo_button (self);
}

static void
rebuild_details (DomusWindow *self,
                 gboolean     host_changed,
                 gboolean     domain_changed)
{
  if (host_changed)
    {
      if (self->followed_domains != NULL)
        g_signal_handlers_disconnect_by_func (self->followed_domains, followed_domains_changed, self);
      g_clear_object (&self->followed_domains);
      if (self->host != NULL)
        {
          self->followed_domains = g_object_ref (domus_host_get_domains (self->host));
          g_signal_connect (self->followed_domains, "items-changed",
                            G_CALLBACK (followed_domains_changed), self);
        }
      clear_container (self->server_domains_page);
      clear_container (self->server_load_page);
      clear_container (self->server_images_page);
      if (self->host != NULL)
        fill_server_details (self, self->host);
    }
  if (domain_changed)
    rebuild_domain_tabs (self);
}

/* The demo guest: for a first start with nothing to look at */

static void
update_demo_button (DomusWindow *self)
{
  gboolean empty = self->host != NULL &&
                   domus_host_get_state (self->host) == DOMUS_HOST_STATE_CONNECTED &&
                   g_list_model_get_n_items (domus_host_get_domains (self->host)) == 0;

  gtk_widget_set_visible (self->demo_button, empty);
}

typedef struct {
  DomusWindow *window;
  DomusHost   *host;
  char        *name;
} DemoRun;

static void
demo_run_free (DemoRun *run)
{
  g_object_unref (run->window);
  g_object_unref (run->host);
  g_free (run->name);
  g_free (run);
}

static void
demo_failed (DomusWindow *self,
             const char  *message)
{
  gtk_widget_set_sensitive (self->demo_button, TRUE);
  gtk_info_bar_set_message_type (GTK_INFO_BAR (self->server_info_bar), GTK_MESSAGE_ERROR);
  gtk_label_set_text (self->server_info_label, message);
  gtk_widget_set_visible (self->reconnect_button, FALSE);
  gtk_widget_set_visible (self->server_info_bar, TRUE);
}

static void
on_demo_created (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  DemoRun *run = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) answer = domus_connection_call_finish (DOMUS_CONNECTION (source), result, &error);

  if (answer == NULL)
    demo_failed (run->window, error->message);
  else
    domus_window_open_domain (run->window, run->host, run->name, TRUE);
  gtk_widget_set_sensitive (run->window->demo_button, TRUE);
  demo_run_free (run);
}

static void
on_demo_prepared (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  DemoRun *run = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) answer = domus_connection_call_finish (DOMUS_CONNECTION (source), result, &error);
  g_autoptr(JsonObject) params = NULL;
  g_autoptr(JsonNode) node = NULL;
  JsonObject *object;

  if (answer == NULL || !JSON_NODE_HOLDS_OBJECT (answer))
    {
      demo_failed (run->window, error != NULL ? error->message : _("The daemon sent no demo guest."));
      demo_run_free (run);
      return;
    }
  object = json_node_get_object (answer);
  run->name = g_strdup (json_object_get_string_member_with_default (object, "name", "demo"));
  params = json_object_new ();
  json_object_set_string_member (params, "config", json_object_get_string_member_with_default (object, "config", ""));
  json_object_set_string_member (params, "filename", "demo.cfg");
  node = json_node_init_object (json_node_alloc (), params);
  domus_connection_call_async (DOMUS_CONNECTION (source), "domain.create", node, NULL, on_demo_created, run);
}

static void
demo_clicked (GtkButton   *button,
              DomusWindow *self)
{
  DomusConnection *connection = self->host != NULL ? domus_host_get_connection (self->host) : NULL;
  DemoRun *run;

  if (connection == NULL)
    return;
  run = g_new0 (DemoRun, 1);
  run->window = g_object_ref (self);
  run->host = g_object_ref (self->host);
  gtk_widget_set_sensitive (self->demo_button, FALSE);
  domus_connection_call_async (connection, "demo.prepare", NULL, NULL, on_demo_prepared, run);
}

/* The create assistant */

static void
on_assistant_created (DomusCreateAssistant *assistant,
                      const char           *name,
                      DomusWindow          *self)
{
  domus_window_open_domain (self, domus_create_assistant_get_host (assistant), name, TRUE);
}

static DomusHost *
connected_host_for_create (DomusWindow *self)
{
  GListModel *hosts;

  if (self->host != NULL && domus_host_get_state (self->host) == DOMUS_HOST_STATE_CONNECTED)
    return self->host;
  hosts = domus_application_get_hosts (DOMUS_APPLICATION (gtk_window_get_application (GTK_WINDOW (self))));
  for (guint i = 0; hosts != NULL && i < g_list_model_get_n_items (hosts); i++)
    {
      g_autoptr(DomusHost) host = g_list_model_get_item (hosts, i);

      if (domus_host_get_state (host) == DOMUS_HOST_STATE_CONNECTED)
        return host;   /* the list keeps it alive */
    }
  return NULL;
}

static void
create_domain_activated (GSimpleAction *action,
                         GVariant      *parameter,
                         gpointer       user_data)
{
  DomusWindow *self = user_data;
  DomusHost *host = connected_host_for_create (self);
  GtkWidget *assistant;

  if (host == NULL)
    return;
  assistant = domus_create_assistant_new (host);
  gtk_window_set_transient_for (GTK_WINDOW (assistant), GTK_WINDOW (self));
  g_signal_connect_object (assistant, "created", G_CALLBACK (on_assistant_created), self, 0);
  gtk_widget_show (assistant);
}

/* The dashboard: a card per host, kept in step with the application's list */

static gboolean
model_contains (GListModel *model,
                gpointer    item)
{
  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(GObject) other = g_list_model_get_item (model, i);

      if (other == item)
        return TRUE;
    }
  return FALSE;
}

static void
hosts_changed (GListModel  *hosts,
               guint        position,
               guint        removed,
               guint        added,
               DomusWindow *self)
{
  /* A handful of hosts: compare the lists rather than track positions. */
  for (guint i = self->dashboard_hosts->len; i > 0; i--)
    {
      DomusHost *host = g_ptr_array_index (self->dashboard_hosts, i - 1);

      if (!model_contains (hosts, host))
        {
          domus_dashboard_remove_host (self->dashboard, host);
          g_ptr_array_remove_index (self->dashboard_hosts, i - 1);
        }
    }
  for (guint i = 0; i < g_list_model_get_n_items (hosts); i++)
    {
      g_autoptr(DomusHost) host = g_list_model_get_item (hosts, i);

      if (g_ptr_array_find (self->dashboard_hosts, host, NULL))
        continue;
      domus_dashboard_add_host (self->dashboard, host);
      g_ptr_array_add (self->dashboard_hosts, g_object_ref (host));
      /* win.migrate needs another connected server. */
      g_signal_connect_object (host, "notify::state", G_CALLBACK (update_actions), self, G_CONNECT_SWAPPED);
    }
  update_actions (self);
}

static const char * const host_properties[] = {
  "name", "state", "error", "accelerator", "qemu-version", "version", "cpus", "memory-mib",
};

static void
follow (DomusWindow *self,
        DomusHost   *host,
        DomusDomain *domain)
{
  gboolean host_changed = self->host != host;
  gboolean domain_changed = self->domain != domain;

  if (self->domain != domain)
    {
      if (self->domain != NULL)
        g_signal_handlers_disconnect_by_data (self->domain, self);
      g_set_object (&self->domain, domain);
      if (domain != NULL)
        for (guint i = 0; i < G_N_ELEMENTS (domain_properties); i++)
          {
            g_autofree char *signal = g_strconcat ("notify::", domain_properties[i], NULL);

            g_signal_connect (domain, signal, G_CALLBACK (domain_notify), self);
          }
      /* An error belongs to the domain it was about. */
      gtk_widget_set_visible (self->domain_info_bar, FALSE);
      self->domain_bar_for_host = FALSE;
    }
  if (self->host != host)
    {
      if (self->host != NULL)
        g_signal_handlers_disconnect_by_data (self->host, self);
      g_set_object (&self->host, host);
      if (host != NULL)
        for (guint i = 0; i < G_N_ELEMENTS (host_properties); i++)
          {
            g_autofree char *signal = g_strconcat ("notify::", host_properties[i], NULL);

            g_signal_connect (host, signal, G_CALLBACK (host_notify), self);
          }
    }
  rebuild_details (self, host_changed, domain_changed);
  update_demo_button (self);
  update_server_page (self);
  update_domain_page (self);
  update_domain_host_notice (self);
  update_actions (self);
}

static void
selection_changed (DomusServerList *list,
                   DomusWindow     *self)
{
  DomusDomain *domain = domus_server_list_get_selected_domain (list);
  DomusHost *host = domus_server_list_get_selected_host (list);

  follow (self, host, domain);
  show_selection_page (self);
}

/* Opening a domain by name (--console) */

static void pending_domains_changed (GListModel  *domains,
                                     guint        position,
                                     guint        removed,
                                     guint        added,
                                     DomusWindow *self);

static void
clear_pending (DomusWindow *self)
{
  if (self->pending_host != NULL)
    g_signal_handlers_disconnect_by_func (domus_host_get_domains (self->pending_host),
                                          pending_domains_changed, self);
  g_clear_object (&self->pending_host);
  g_clear_pointer (&self->pending_name, g_free);
}

static gboolean
try_open_pending (DomusWindow *self)
{
  DomusDomain *domain = domus_host_lookup_domain (self->pending_host, self->pending_name);

  if (domain == NULL || !domus_server_list_select_domain (self->server_list, domain))
    return FALSE;
  if (self->pending_console)
    open_console (self, self->pending_host, self->pending_name);
  clear_pending (self);
  return TRUE;
}

static void
pending_domains_changed (GListModel  *domains,
                         guint        position,
                         guint        removed,
                         guint        added,
                         DomusWindow *self)
{
  if (added > 0)
    try_open_pending (self);
}

void
domus_window_open_domain (DomusWindow *self,
                          DomusHost   *host,
                          const char  *name,
                          gboolean     console)
{
  g_return_if_fail (DOMUS_IS_WINDOW (self));
  g_return_if_fail (DOMUS_IS_HOST (host));
  g_return_if_fail (name != NULL);

  clear_pending (self);
  self->pending_host = g_object_ref (host);
  self->pending_name = g_strdup (name);
  self->pending_console = console;
  if (!try_open_pending (self))
    g_signal_connect (domus_host_get_domains (host), "items-changed",
                      G_CALLBACK (pending_domains_changed), self);
}

/* Actions */

typedef struct {
  DomusWindow *window;
  DomusDomain *domain;
  DomainAction action;
} Call;

static void
call_free (Call *call)
{
  g_object_unref (call->window);
  g_object_unref (call->domain);
  g_free (call);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Call, call_free)

static void
call_done (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(Call) call = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) answer = NULL;
  g_autofree char *message = NULL;

  answer = domus_domain_call_finish (call->domain, result, &error);
  if (answer != NULL)
    return;
  message = failure_message (call->action, domus_domain_get_name (call->domain), error->message);
  g_message ("%s", message);
  /* Shown where the user is looking: on the domain's page, if it is still the one shown. */
  if (call->window->domain == call->domain)
    show_domain_error (call->window, message);
}

static void
call_domain (DomusWindow *self,
             DomusDomain *domain,
             const char  *action)
{
  Call *call;

  for (guint i = 0; i < G_N_ELEMENTS (domain_actions); i++)
    if (g_str_equal (domain_actions[i].action, action))
      {
        call = g_new0 (Call, 1);
        call->window = g_object_ref (self);
        call->domain = g_object_ref (domain);
        call->action = i;
        if (!self->domain_bar_for_host)
          gtk_widget_set_visible (self->domain_info_bar, FALSE);
        domus_domain_call_async (domain, domain_actions[i].method, NULL, NULL, call_done, call);
        return;
      }
  g_assert_not_reached ();
}

static void
domain_action_activated (GSimpleAction *action,
                         GVariant      *parameter,
                         gpointer       user_data)
{
  DomusWindow *self = user_data;

  if (self->domain != NULL)
    call_domain (self, self->domain, g_action_get_name (G_ACTION (action)));
}

static void
destroy_response (GtkDialog *dialog,
                  int        response,
                  gpointer   user_data)
{
  DomusWindow *self = DOMUS_WINDOW (gtk_window_get_transient_for (GTK_WINDOW (dialog)));
  DomusDomain *domain = g_object_get_data (G_OBJECT (dialog), "domus-domain");

  if (response == GTK_RESPONSE_ACCEPT && self != NULL)
    call_domain (self, domain, "destroy");
  gtk_widget_destroy (GTK_WIDGET (dialog));
}

/* Destroying loses whatever the guest had not written: ask first, without blocking the
 * window (the dialog is not modal). */
static void
destroy_activated (GSimpleAction *action,
                   GVariant      *parameter,
                   gpointer       user_data)
{
  DomusWindow *self = user_data;
  GtkWidget *dialog;
  GtkWidget *button;

  if (self->domain == NULL)
    return;
  dialog = gtk_message_dialog_new (GTK_WINDOW (self), GTK_DIALOG_DESTROY_WITH_PARENT,
                                   GTK_MESSAGE_WARNING, GTK_BUTTONS_NONE,
                                   _("Destroy “%s”?"), domus_domain_get_name (self->domain));
  gtk_message_dialog_format_secondary_text (GTK_MESSAGE_DIALOG (dialog), "%s",
                                            _("The domain stops at once, as if its power cord "
                                              "were pulled: what its guest had not saved is lost."));
  button = gtk_dialog_add_button (GTK_DIALOG (dialog), _("_Cancel"), GTK_RESPONSE_CANCEL);
  gtk_widget_set_tooltip_text (button, _("Leave the domain running (Escape)"));
  button = gtk_dialog_add_button (GTK_DIALOG (dialog), _("_Destroy"), GTK_RESPONSE_ACCEPT);
  gtk_widget_set_tooltip_text (button, _("Stop the domain now, losing what its guest had not saved"));
  gtk_style_context_add_class (gtk_widget_get_style_context (button), "destructive-action");
  gtk_dialog_set_default_response (GTK_DIALOG (dialog), GTK_RESPONSE_CANCEL);
  gtk_window_set_modal (GTK_WINDOW (dialog), FALSE);
  g_object_set_data_full (G_OBJECT (dialog), "domus-domain", g_object_ref (self->domain), g_object_unref);
  g_signal_connect (dialog, "response", G_CALLBACK (destroy_response), NULL);
  gtk_widget_show (dialog);
}

static void
reconnect_activated (GSimpleAction *action,
                     GVariant      *parameter,
                     gpointer       user_data)
{
  DomusWindow *self = user_data;

  if (self->host != NULL)
    domus_host_connect (self->host);
}

static void
disconnect_activated (GSimpleAction *action,
                      GVariant      *parameter,
                      gpointer       user_data)
{
  DomusWindow *self = user_data;

  if (self->host != NULL)
    domus_host_disconnect (self->host);
}

static void
find_activated (GSimpleAction *action,
                GVariant      *parameter,
                gpointer       user_data)
{
  DomusWindow *self = user_data;

  domus_server_list_focus_filter (self->server_list);
}

/* Adding a server */

/* The Add Server dialog's fields; the dialog owns it. */
typedef struct {
  GtkWidget *dialog;
  GtkWidget *kind;       /* "local" or "ssh" */
  GtkWidget *host;
  GtkWidget *port;
  GtkWidget *user;
  GtkWidget *keyfile;
  GtkWidget *ssh_grid;
  GtkWidget *problem;
  GtkWidget *add_button;
} AddServer;

static char *
escape_query (const char *value)
{
  return g_uri_escape_string (value, "/", FALSE);
}

/* The address the fields describe; NULL with a reason when they do not make one yet. */
static char *
add_server_uri (AddServer  *form,
                char      **problem)
{
  const char *host = gtk_entry_get_text (GTK_ENTRY (form->host));
  const char *user = gtk_entry_get_text (GTK_ENTRY (form->user));
  const char *keyfile = gtk_entry_get_text (GTK_ENTRY (form->keyfile));
  int port = gtk_spin_button_get_value_as_int (GTK_SPIN_BUTTON (form->port));
  g_autoptr(GString) uri = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DomusSshOptions) options = NULL;

  *problem = NULL;
  if (g_strcmp0 (gtk_combo_box_get_active_id (GTK_COMBO_BOX (form->kind)), "local") == 0)
    return g_strdup (DOMUS_DEFAULT_URI);

  if (*host == '\0')
    {
      *problem = g_strdup (_("Enter the server’s host name or address."));
      return NULL;
    }
  if (strpbrk (host, " /?@#") != NULL)
    {
      *problem = g_strdup (_("A host name has no spaces and none of / ? @ #."));
      return NULL;
    }
  if (*keyfile != '\0' && !g_file_test (keyfile, G_FILE_TEST_IS_REGULAR))
    {
      *problem = g_strdup_printf (_("There is no key file %s."), keyfile);
      return NULL;
    }

  uri = g_string_new ("ssh://");
  if (*user != '\0')
    {
      g_autofree char *escaped = g_uri_escape_string (user, NULL, FALSE);

      g_string_append_printf (uri, "%s@", escaped);
    }
  /* An IPv6 address goes in brackets, as in any URI. */
  g_string_append_printf (uri, strchr (host, ':') != NULL ? "[%s]" : "%s", host);
  if (port != 22)
    g_string_append_printf (uri, ":%d", port);
  if (*keyfile != '\0')
    {
      g_autofree char *escaped = escape_query (keyfile);

      g_string_append_printf (uri, "?keyfile=%s", escaped);
    }

  /* The backend is the judge of what it can read. */
  options = domus_ssh_options_parse (uri->str, &error);
  if (options == NULL)
    {
      *problem = g_strdup (error->message);
      return NULL;
    }
  return g_string_free (g_steal_pointer (&uri), FALSE);
}

/* Validates as the user types: Add is offered only for an address that can be read. */
static void
add_server_changed (AddServer *form)
{
  g_autofree char *problem = NULL;
  g_autofree char *uri = NULL;
  gboolean ssh = g_strcmp0 (gtk_combo_box_get_active_id (GTK_COMBO_BOX (form->kind)), "ssh") == 0;

  gtk_widget_set_sensitive (form->ssh_grid, ssh);
  uri = add_server_uri (form, &problem);
  gtk_label_set_text (GTK_LABEL (form->problem), problem != NULL ? problem : "");
  gtk_widget_set_sensitive (form->add_button, uri != NULL);
}

static void
add_server_response (GtkDialog *dialog,
                     int        response,
                     AddServer *form)
{
  DomusWindow *self = DOMUS_WINDOW (gtk_window_get_transient_for (GTK_WINDOW (dialog)));
  g_autofree char *problem = NULL;
  g_autofree char *uri = NULL;
  GtkApplication *app;
  DomusHost *host;

  if (response == GTK_RESPONSE_ACCEPT && self != NULL)
    {
      uri = add_server_uri (form, &problem);
      if (uri == NULL)
        return;
      app = gtk_window_get_application (GTK_WINDOW (self));
      host = domus_application_add_host (DOMUS_APPLICATION (app), uri, TRUE);
      domus_server_list_select_host (self->server_list, host);
    }
  gtk_widget_destroy (GTK_WIDGET (dialog));
}

static GtkWidget *
add_form_row (GtkGrid    *grid,
              int         row,
              const char *title,
              GtkWidget  *field)
{
  GtkWidget *label = gtk_label_new_with_mnemonic (title);

  gtk_label_set_xalign (GTK_LABEL (label), 1);
  gtk_label_set_mnemonic_widget (GTK_LABEL (label), field);
  /* A screen reader names the field by its label (without the mnemonic's underline). */
  atk_object_set_name (gtk_widget_get_accessible (field), gtk_label_get_text (GTK_LABEL (label)));
  gtk_widget_set_hexpand (field, TRUE);
  gtk_grid_attach (grid, label, 0, row, 1, 1);
  gtk_grid_attach (grid, field, 1, row, 1, 1);
  return field;
}

static void
add_server_activated (GSimpleAction *action,
                      GVariant      *parameter,
                      gpointer       user_data)
{
  DomusWindow *self = user_data;
  AddServer *form = g_new0 (AddServer, 1);
  GtkWidget *content;
  GtkWidget *box;
  GtkWidget *grid;
  GtkWidget *cancel_button;

  form->dialog = gtk_dialog_new_with_buttons (_("Add Server"), GTK_WINDOW (self),
                                              GTK_DIALOG_DESTROY_WITH_PARENT, NULL, NULL);
  cancel_button = gtk_dialog_add_button (GTK_DIALOG (form->dialog), _("_Cancel"), GTK_RESPONSE_CANCEL);
  gtk_widget_set_tooltip_text (cancel_button, _("Close this dialog without adding a server (Escape)"));
  form->add_button = gtk_dialog_add_button (GTK_DIALOG (form->dialog), _("_Add"), GTK_RESPONSE_ACCEPT);
  gtk_widget_set_tooltip_text (form->add_button, _("Connect to this server and keep it in the sidebar"));
  gtk_style_context_add_class (gtk_widget_get_style_context (form->add_button), "suggested-action");
  gtk_dialog_set_default_response (GTK_DIALOG (form->dialog), GTK_RESPONSE_ACCEPT);
  gtk_window_set_modal (GTK_WINDOW (form->dialog), FALSE);
  g_object_set_data_full (G_OBJECT (form->dialog), "domus-form", form, g_free);

  content = gtk_dialog_get_content_area (GTK_DIALOG (form->dialog));
  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  gtk_container_set_border_width (GTK_CONTAINER (box), 18);
  gtk_container_add (GTK_CONTAINER (content), box);

  grid = gtk_grid_new ();
  gtk_grid_set_row_spacing (GTK_GRID (grid), 6);
  gtk_grid_set_column_spacing (GTK_GRID (grid), 12);
  form->kind = gtk_combo_box_text_new ();
  gtk_combo_box_text_append (GTK_COMBO_BOX_TEXT (form->kind), "local", _("This computer"));
  gtk_combo_box_text_append (GTK_COMBO_BOX_TEXT (form->kind), "ssh", _("Another computer, over SSH"));
  gtk_combo_box_set_active_id (GTK_COMBO_BOX (form->kind), "local");
  gtk_widget_set_tooltip_text (form->kind, _("Manage the domains of this computer or of another one over SSH"));
  add_form_row (GTK_GRID (grid), 0, _("_Server"), form->kind);
  gtk_container_add (GTK_CONTAINER (box), grid);

  form->ssh_grid = gtk_grid_new ();
  grid = form->ssh_grid;
  gtk_grid_set_row_spacing (GTK_GRID (grid), 6);
  gtk_grid_set_column_spacing (GTK_GRID (grid), 12);
  form->host = add_form_row (GTK_GRID (grid), 0, _("_Host"), gtk_entry_new ());
  gtk_entry_set_activates_default (GTK_ENTRY (form->host), TRUE);
  gtk_widget_set_tooltip_text (form->host, _("Name or address of the computer running domusd"));
  form->port = add_form_row (GTK_GRID (grid), 1, _("_Port"), gtk_spin_button_new_with_range (1, 65535, 1));
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (form->port), 22);
  gtk_widget_set_tooltip_text (form->port, _("SSH port of that computer"));
  form->user = add_form_row (GTK_GRID (grid), 2, _("_User"), gtk_entry_new ());
  gtk_entry_set_placeholder_text (GTK_ENTRY (form->user), g_get_user_name ());
  gtk_widget_set_tooltip_text (form->user, _("User to log in as; empty for your own name"));
  form->keyfile = add_form_row (GTK_GRID (grid), 3, _("_Key file"), gtk_entry_new ());
  gtk_entry_set_placeholder_text (GTK_ENTRY (form->keyfile), _("the agent, then ~/.ssh/id_*"));
  gtk_widget_set_tooltip_text (form->keyfile, _("Private key to log in with; empty tries the agent, then ~/.ssh/id_*"));
  gtk_container_add (GTK_CONTAINER (box), grid);

  form->problem = gtk_label_new (NULL);
  gtk_label_set_xalign (GTK_LABEL (form->problem), 0);
  gtk_label_set_line_wrap (GTK_LABEL (form->problem), TRUE);
  gtk_style_context_add_class (gtk_widget_get_style_context (form->problem), "dim-label");
  gtk_container_add (GTK_CONTAINER (box), form->problem);

  g_signal_connect_swapped (form->kind, "changed", G_CALLBACK (add_server_changed), form);
  g_signal_connect_swapped (form->host, "changed", G_CALLBACK (add_server_changed), form);
  g_signal_connect_swapped (form->port, "value-changed", G_CALLBACK (add_server_changed), form);
  g_signal_connect_swapped (form->user, "changed", G_CALLBACK (add_server_changed), form);
  g_signal_connect_swapped (form->keyfile, "changed", G_CALLBACK (add_server_changed), form);
  g_signal_connect (form->dialog, "response", G_CALLBACK (add_server_response), form);
  add_server_changed (form);
  gtk_widget_show_all (form->dialog);
}

static void
remove_server_activated (GSimpleAction *action,
                         GVariant      *parameter,
                         gpointer       user_data)
{
  DomusWindow *self = user_data;
  GtkApplication *app = gtk_window_get_application (GTK_WINDOW (self));
  g_autoptr(DomusHost) host = NULL;

  if (self->host == NULL || app == NULL)
    return;
  host = g_object_ref (self->host);
  follow (self, NULL, NULL);
  domus_application_remove_host (DOMUS_APPLICATION (app), host);
}

/* Migration (docs/gui.md): a drop of a domain's row on a server's row, "Migrate to…" in
 * the domain's menu and win.migrate open the same non-modal dialog. */

static void
migrate_dialog_migrated (DomusMigrateDialog *dialog,
                         DomusHost          *target,
                         const char         *name,
                         DomusWindow        *self)
{
  DomusDomain *domain = domus_host_lookup_domain (target, name);

  /* The servers' events already moved the row; follow the domain there. */
  if (domain != NULL)
    domus_server_list_select_domain (self->server_list, domain);
}

static void
open_migrate_dialog (DomusWindow *self,
                     DomusDomain *domain,
                     DomusHost   *target)
{
  GtkWidget *dialog = domus_migrate_dialog_new (GTK_WINDOW (self), domain, target, self->hosts);

  g_signal_connect_object (dialog, "migrated", G_CALLBACK (migrate_dialog_migrated), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
migrate_requested (DomusServerList *list,
                   DomusDomain     *domain,
                   DomusHost       *target,
                   DomusWindow     *self)
{
  open_migrate_dialog (self, domain, target);
}

static void
migrate_activated (GSimpleAction *action,
                   GVariant      *parameter,
                   gpointer       user_data)
{
  DomusWindow *self = user_data;

  if (self->domain != NULL)
    open_migrate_dialog (self, self->domain, NULL);
}

static const GActionEntry win_actions[] = {
  { "start",      domain_action_activated, NULL, NULL, NULL },
  { "shutdown",   domain_action_activated, NULL, NULL, NULL },
  { "reboot",     domain_action_activated, NULL, NULL, NULL },
  { "pause",      domain_action_activated, NULL, NULL, NULL },
  { "resume",     domain_action_activated, NULL, NULL, NULL },
  { "destroy",    destroy_activated,       NULL, NULL, NULL },
  { "reconnect",  reconnect_activated,     NULL, NULL, NULL },
  { "disconnect", disconnect_activated,    NULL, NULL, NULL },
  { "find",       find_activated,          NULL, NULL, NULL },
  { "add-server", add_server_activated,    NULL, NULL, NULL },
  { "remove-server", remove_server_activated, NULL, NULL, NULL },
  { "create-domain", create_domain_activated, NULL, NULL, NULL },
  { "open-console", open_console_activated, NULL, NULL, NULL },
  { "show-consoles", NULL, NULL, "false", show_consoles_changed },
  { "close-console", close_console_activated, NULL, NULL, NULL },
  { "migrate",    migrate_activated,       NULL, NULL, NULL },
  { "start-on",   migrate_activated,       NULL, NULL, NULL },
};

/* Construction */

static GtkWidget *
page_box (void)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);

  gtk_container_set_border_width (GTK_CONTAINER (box), 6);
  gtk_widget_show (box);
  return box;
}

/* The parts that are not in the template because they are made per host or domain. */
static void
build_made_parts (DomusWindow *self)
{
  g_autoptr(GList) placeholders = gtk_container_get_children (GTK_CONTAINER (self->dashboard_box));

  for (GList *l = placeholders; l != NULL; l = l->next)
    gtk_widget_destroy (l->data);
  self->dashboard = DOMUS_DASHBOARD (domus_dashboard_new ());
  gtk_widget_set_vexpand (GTK_WIDGET (self->dashboard), TRUE);
  g_signal_connect (self->dashboard, "open-host", G_CALLBACK (open_host_from), self);
  g_signal_connect (self->dashboard, "open-domain", G_CALLBACK (open_domain_from), self);
  gtk_box_pack_start (GTK_BOX (self->dashboard_box), GTK_WIDGET (self->dashboard), TRUE, TRUE, 0);
  gtk_widget_show (GTK_WIDGET (self->dashboard));

  self->demo_button = gtk_button_new_with_mnemonic (_("Create a small _demo guest"));
  gtk_widget_set_tooltip_text (self->demo_button,
                               _("Builds a tiny guest from this server's own kernel and busybox, starts it and opens its console"));
  gtk_widget_set_halign (self->demo_button, GTK_ALIGN_START);
  g_signal_connect (self->demo_button, "clicked", G_CALLBACK (demo_clicked), self);
  gtk_box_pack_start (GTK_BOX (self->server_extra_box), self->demo_button, FALSE, FALSE, 0);

  self->server_details = gtk_notebook_new ();
  gtk_widget_set_vexpand (self->server_details, TRUE);
  self->server_domains_page = page_box ();
  gtk_container_set_border_width (GTK_CONTAINER (self->server_domains_page), 0);
  self->server_load_page = page_box ();
  self->server_images_page = page_box ();
  gtk_notebook_append_page (GTK_NOTEBOOK (self->server_details), self->server_domains_page,
                            tab_label (_("_Domains")));
  gtk_notebook_append_page (GTK_NOTEBOOK (self->server_details), self->server_load_page,
                            tab_label (_("_Load")));
  gtk_notebook_append_page (GTK_NOTEBOOK (self->server_details), self->server_images_page,
                            tab_label (_("_Images")));
  gtk_box_pack_start (GTK_BOX (self->server_extra_box), self->server_details, TRUE, TRUE, 0);
  gtk_widget_show (self->server_details);

  self->domain_graphs_page = page_box ();
  self->domain_config_page = page_box ();
  self->console_page = page_box ();
  {
    GtkWidget *text = gtk_label_new (_("The console opens in a tab among the open consoles "
                                       "(Consoles, at the top), where several guests can be "
                                       "watched side by side."));
    GtkWidget *button = gtk_button_new_with_mnemonic (_("_Open Console"));

    gtk_widget_set_tooltip_text (button, _("Show this domain's console among the open consoles (Ctrl+O)"));

    gtk_label_set_line_wrap (GTK_LABEL (text), TRUE);
    gtk_label_set_xalign (GTK_LABEL (text), 0);
    gtk_actionable_set_action_name (GTK_ACTIONABLE (button), "win.open-console");
    gtk_widget_set_halign (button, GTK_ALIGN_START);
    gtk_box_set_spacing (GTK_BOX (self->console_page), 12);
    gtk_container_set_border_width (GTK_CONTAINER (self->console_page), 18);
    gtk_box_pack_start (GTK_BOX (self->console_page), text, FALSE, FALSE, 0);
    gtk_box_pack_start (GTK_BOX (self->console_page), button, FALSE, FALSE, 0);
    gtk_widget_show_all (self->console_page);
  }
  gtk_notebook_append_page (GTK_NOTEBOOK (self->domain_notebook), self->domain_graphs_page,
                            tab_label (_("_Overview")));
  gtk_notebook_append_page (GTK_NOTEBOOK (self->domain_notebook), self->domain_config_page,
                            tab_label (_("Con_figuration")));
  gtk_notebook_append_page (GTK_NOTEBOOK (self->domain_notebook), self->console_page,
                            tab_label (_("_Console")));
  g_signal_connect (self->domain_notebook, "switch-page", G_CALLBACK (domain_tab_switched), self);

  self->console_notebook = DOMUS_CONSOLE_NOTEBOOK (domus_console_notebook_new ());
  gtk_stack_add_named (self->consoles_stack, GTK_WIDGET (self->console_notebook), "tabs");
  gtk_widget_show (GTK_WIDGET (self->console_notebook));
  g_signal_connect (self->console_notebook, "notify::n-consoles", G_CALLBACK (n_consoles_changed), self);
  /* Detaching and attaching change the tabs, not the consoles. */
  g_signal_connect (self->console_notebook, "notify::n-tabs", G_CALLBACK (n_tabs_changed), self);
  update_consoles_button (self);
  update_close_console (self);
  g_signal_connect (self->stack, "notify::visible-child-name", G_CALLBACK (stack_child_changed), self);

  {
    GtkWidget *tree = NULL;

    find_tree_view (GTK_WIDGET (self->server_list), &tree);
    if (tree != NULL)
      g_signal_connect (tree, "row-activated", G_CALLBACK (server_row_activated), self);
  }
}

static void
domus_window_dispose (GObject *object)
{
  DomusWindow *self = DOMUS_WINDOW (object);

  clear_pending (self);
  follow (self, NULL, NULL);
  if (self->hosts != NULL)
    g_signal_handlers_disconnect_by_func (self->hosts, hosts_changed, self);
  g_clear_object (&self->hosts);
  g_clear_pointer (&self->dashboard_hosts, g_ptr_array_unref);

  G_OBJECT_CLASS (domus_window_parent_class)->dispose (object);
}

static void
domus_window_class_init (DomusWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = domus_window_dispose;

  g_type_ensure (DOMUS_TYPE_SERVER_LIST);
  gtk_widget_class_set_template_from_resource (widget_class, "/org/domus/Domus/ui/domus-window.ui");
  gtk_widget_class_bind_template_child (widget_class, DomusWindow, server_list);
  gtk_widget_class_bind_template_child (widget_class, DomusWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, DomusWindow, dashboard_box);
  gtk_widget_class_bind_template_child (widget_class, DomusWindow, server_info_bar);
  gtk_widget_class_bind_template_child (widget_class, DomusWindow, server_info_label);
  gtk_widget_class_bind_template_child (widget_class, DomusWindow, reconnect_button);
  gtk_widget_class_bind_template_child (widget_class, DomusWindow, accept_key_button);
  gtk_widget_class_bind_template_child (widget_class, DomusWindow, refuse_key_button);
  gtk_widget_class_bind_template_child (widget_class, DomusWindow, server_title);
  gtk_widget_class_bind_template_child (widget_class, DomusWindow, server_facts);
  gtk_widget_class_bind_template_child (widget_class, DomusWindow, server_extra_box);
  gtk_widget_class_bind_template_child (widget_class, DomusWindow, domain_info_bar);
  gtk_widget_class_bind_template_child (widget_class, DomusWindow, domain_info_label);
  gtk_widget_class_bind_template_child (widget_class, DomusWindow, domain_state_image);
  gtk_widget_class_bind_template_child (widget_class, DomusWindow, domain_title);
  gtk_widget_class_bind_template_child (widget_class, DomusWindow, domain_facts);
  gtk_widget_class_bind_template_child (widget_class, DomusWindow, domain_notebook);
  gtk_widget_class_bind_template_child (widget_class, DomusWindow, consoles_stack);
  gtk_widget_class_bind_template_child (widget_class, DomusWindow, consoles_button_label);
  gtk_widget_class_bind_template_child (widget_class, DomusWindow, host_menu);
  gtk_widget_class_bind_template_child (widget_class, DomusWindow, domain_menu);
  gtk_widget_class_bind_template_callback (widget_class, selection_changed);
  gtk_widget_class_bind_template_callback (widget_class, accept_key_clicked);
  gtk_widget_class_bind_template_callback (widget_class, refuse_key_clicked);
  gtk_widget_class_bind_template_callback (widget_class, domain_info_bar_response);
}

static void
domus_window_init (DomusWindow *self)
{
  int row = 0;

  gtk_widget_init_template (GTK_WIDGET (self));
  self->dashboard_hosts = g_ptr_array_new_with_free_func (g_object_unref);

  g_action_map_add_action_entries (G_ACTION_MAP (self), win_actions, G_N_ELEMENTS (win_actions), self);
  if (G_IS_MENU (self->domain_menu))
    {
      g_autoptr(GMenu) section = g_menu_new ();

      g_menu_append (section, _("_Migrate to…"), "win.migrate");
      g_menu_append (section, _("Start _on…"), "win.start-on");
      g_menu_append_section (G_MENU (self->domain_menu), NULL, G_MENU_MODEL (section));
    }
  domus_server_list_set_menus (self->server_list, self->host_menu, self->domain_menu);
  g_signal_connect (self->server_list, "migrate-requested", G_CALLBACK (migrate_requested), self);

  self->host_state_label = add_fact (self->server_facts, row++, _("Connection"));
  self->host_address_label = add_fact (self->server_facts, row++, _("Address"));
  self->host_accelerator_label = add_fact (self->server_facts, row++, _("Accelerator"));
  self->host_qemu_label = add_fact (self->server_facts, row++, _("QEMU version"));
  self->host_version_label = add_fact (self->server_facts, row++, _("Domus version"));
  self->host_cpus_label = add_fact (self->server_facts, row++, _("Processors"));
  self->host_memory_label = add_fact (self->server_facts, row++, _("Memory"));

  row = 0;
  self->domain_state_label = add_fact (self->domain_facts, row++, _("State"));
  self->domain_host_label = add_fact (self->domain_facts, row++, _("Server"));
  self->domain_memory_label = add_fact (self->domain_facts, row++, _("Memory"));
  self->domain_vcpus_label = add_fact (self->domain_facts, row++, _("vCPUs"));
  self->domain_id_label = add_fact (self->domain_facts, row++, _("ID"));

  build_made_parts (self);
  gtk_stack_set_visible_child_name (self->stack, "dashboard");
  update_actions (self);
  /* After the console notebook's own handler (connected when it joined the window). */
  g_signal_connect (self, "key-press-event", G_CALLBACK (window_key_press), self);
}

DomusWindow *
domus_window_new (DomusApplication *application)
{
  DomusWindow *self = g_object_new (DOMUS_TYPE_WINDOW, "application", application, NULL);

  domus_server_list_set_hosts (self->server_list, domus_application_get_hosts (application));
  self->hosts = g_object_ref (domus_application_get_hosts (application));
  g_signal_connect (self->hosts, "items-changed", G_CALLBACK (hosts_changed), self);
  hosts_changed (self->hosts, 0, 0, 0, self);
  return self;
}
