/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The main window: the sidebar of servers and domains, and the page of what is selected.
 *
 * The window is the wiring: the sidebar (DomusServerList) says what is selected, the stack
 * shows the dashboard, the server page (DomusServerPage), the domain page
 * (DomusDomainPage) or the open consoles (DomusConsoleNotebook), and each follows its
 * object through its notify signals. Domain actions are window actions (win.start,
 * win.pause, ...) acting on the selected domain: the page's buttons, the sidebar's context
 * menu and the keyboard shortcuts all go through them, and their enabled state follows the
 * domain's state and its host's connection. */

#include "config.h"

#include <glib/gi18n.h>
#include <vncdisplay.h>
#include <vte/vte.h>

#include "domus-add-server-dialog.h"
#include "domus-alerts-view.h"
#include "domus-bulk-dialog.h"
#include "domus-clone-dialog.h"
#include "domus-restore-dialog.h"
#include "domus-save-dialog.h"
#include "domus-console.h"
#include "domus-console-notebook.h"
#include "domus-create-assistant.h"
#include "domus-dashboard.h"
#include "domus-domain-page.h"
#include "domus-migrate-dialog.h"
#include "domus-selection-page.h"
#include "domus-server-list.h"
#include "domus-server-page.h"
#include "domus-window.h"

struct _DomusWindow
{
  GtkApplicationWindow  parent_instance;

  /* Template children */
  DomusServerList      *server_list;
  GtkStack             *stack;
  DomusDashboard       *dashboard;
  DomusServerPage      *server_page;
  DomusDomainPage      *domain_page;
  DomusSelectionPage   *selection_page;
  GtkStack             *consoles_stack;
  DomusConsoleNotebook *console_notebook;     /* the open consoles, on the stack's "consoles" page */
  GtkLabel             *consoles_button_label;
  GtkWidget            *alerts_button;
  GtkLabel             *alerts_button_label;
  DomusAlertsView      *alerts_view;
  GMenuModel           *host_menu;
  GMenuModel           *domain_menu;

  GListModel           *hosts;         /* the application's */

  DomusHost            *host;          /* the selected row's host (a reference), or NULL */
  DomusDomain          *domain;        /* the selected domain (a reference), or NULL */
  GPtrArray            *selected;      /* the selected domains while there are several, else empty */

  /* domus_window_open_domain() waiting for the domain to appear */
  DomusHost            *pending_host;
  char                 *pending_name;
  gboolean              pending_console;
};

G_DEFINE_FINAL_TYPE (DomusWindow, domus_window, GTK_TYPE_APPLICATION_WINDOW)

/* The window's domain actions, by the host's lifecycle action each is. */
static const char * const domain_actions[] = {
  [DOMUS_DOMAIN_ACTION_START]    = "start",
  [DOMUS_DOMAIN_ACTION_SHUTDOWN] = "shutdown",
  [DOMUS_DOMAIN_ACTION_REBOOT]   = "reboot",
  [DOMUS_DOMAIN_ACTION_PAUSE]    = "pause",
  [DOMUS_DOMAIN_ACTION_RESUME]   = "resume",
  [DOMUS_DOMAIN_ACTION_DESTROY]  = "destroy",
};

/* What to say when the host refuses. */
static char *
failure_message (DomusDomainAction  action,
                 const char        *name,
                 const char        *reason)
{
  switch (action)
    {
    case DOMUS_DOMAIN_ACTION_START:    return g_strdup_printf (_("Could not start “%s”: %s"), name, reason);
    case DOMUS_DOMAIN_ACTION_SHUTDOWN: return g_strdup_printf (_("Could not shut down “%s”: %s"), name, reason);
    case DOMUS_DOMAIN_ACTION_REBOOT:   return g_strdup_printf (_("Could not reboot “%s”: %s"), name, reason);
    case DOMUS_DOMAIN_ACTION_PAUSE:    return g_strdup_printf (_("Could not pause “%s”: %s"), name, reason);
    case DOMUS_DOMAIN_ACTION_RESUME:   return g_strdup_printf (_("Could not resume “%s”: %s"), name, reason);
    case DOMUS_DOMAIN_ACTION_DESTROY:
    default:                           return g_strdup_printf (_("Could not destroy “%s”: %s"), name, reason);
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

/* The domain operations the window's actions are: each enabled when a selected domain on
 * a connected server is in a state that takes it (domus_bulk_operation_accepts()). */
static const DomusBulkOperation selection_operations[] = {
  DOMUS_BULK_START, DOMUS_BULK_SHUTDOWN, DOMUS_BULK_REBOOT, DOMUS_BULK_PAUSE,
  DOMUS_BULK_RESUME, DOMUS_BULK_DESTROY, DOMUS_BULK_ADD_TAG, DOMUS_BULK_REMOVE_TAG,
};

static gboolean
domain_takes (DomusDomain        *domain,
              DomusBulkOperation  operation)
{
  DomusHost *host = domus_domain_get_host (domain);

  if (host == NULL || domus_host_get_state (host) != DOMUS_HOST_STATE_CONNECTED
      || !domus_bulk_operation_accepts (operation, domus_domain_get_state (domain)))
    return FALSE;
  /* Removing a tag wants one to remove. */
  return operation != DOMUS_BULK_REMOVE_TAG || domus_domain_get_tags (domain)[0] != NULL;
}

/* Several domains: an action is there when one of them takes it. */
static void
update_selection_actions (DomusWindow *self)
{
  gboolean movable = FALSE;

  for (guint i = 0; i < G_N_ELEMENTS (selection_operations); i++)
    {
      gboolean any = FALSE;

      for (guint j = 0; j < self->selected->len && !any; j++)
        any = domain_takes (g_ptr_array_index (self->selected, j), selection_operations[i]);
      set_action_enabled (self, domus_bulk_operation_action_name (selection_operations[i]), any);
    }
  for (guint j = 0; j < self->selected->len && !movable; j++)
    movable = domain_takes (g_ptr_array_index (self->selected, j), DOMUS_BULK_MIGRATE);
  /* The dialog chooses the target; one connected server may be some domains' own. */
  set_action_enabled (self, "migrate", movable);
  set_action_enabled (self, "start-on", FALSE);
  /* A clone is named by its one source. */
  set_action_enabled (self, "clone", FALSE);
  set_action_enabled (self, "save", FALSE);
  set_action_enabled (self, "restore", FALSE);
  set_action_enabled (self, "open-console", FALSE);
  set_action_enabled (self, "open-serial", FALSE);
  set_action_enabled (self, "reconnect", FALSE);
  set_action_enabled (self, "remove-server", FALSE);
  set_action_enabled (self, "disconnect", FALSE);
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

  if (self->selected->len > 1)
    {
      update_selection_actions (self);
      return;
    }
  for (guint i = 0; i < G_N_ELEMENTS (selection_operations); i++)
    set_action_enabled (self, domus_bulk_operation_action_name (selection_operations[i]),
                        have && domain_takes (self->domain, selection_operations[i]));
  set_action_enabled (self, "open-console", self->host != NULL && self->domain != NULL);
  set_action_enabled (self, "open-serial", self->host != NULL && self->domain != NULL);
  /* A running or paused domain moves; the dialog lists the other connected servers. */
  set_action_enabled (self, "migrate", have && domain_takes (self->domain, DOMUS_BULK_MIGRATE)
                                       && other_host_connected (self));
  /* A shut-off one starts there instead (its disks must be where that server sees them). */
  set_action_enabled (self, "start-on", have && state == DOMUS_DOMAIN_STATE_SHUTOFF
                                        && other_host_connected (self));
  /* The host copies a shut-off domain only (its disks must not change while copied). */
  set_action_enabled (self, "clone", have && state == DOMUS_DOMAIN_STATE_SHUTOFF
                                     && (domus_host_get_capabilities (self->host) & DOMUS_HOST_CAN_CLONE));
  /* Saved from running or paused (xm save); restored onto the server the state file is on. */
  set_action_enabled (self, "save", have && (domus_host_get_capabilities (self->host) & DOMUS_HOST_CAN_SAVE)
                                    && (state == DOMUS_DOMAIN_STATE_RUNNING || state == DOMUS_DOMAIN_STATE_BLOCKED
                                        || state == DOMUS_DOMAIN_STATE_PAUSED));
  set_action_enabled (self, "restore", connected && (domus_host_get_capabilities (self->host) & DOMUS_HOST_CAN_SAVE));
  set_action_enabled (self, "reconnect", self->host != NULL && !connected);
  set_action_enabled (self, "remove-server", self->host != NULL);
  set_action_enabled (self, "disconnect", self->host != NULL
                                          && (connected || domus_host_get_state (self->host)
                                                           == DOMUS_HOST_STATE_CONNECTING));
}

/* What the pages ask of the window */

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

/* The demo guest exists: show it, with its console. */
static void
domain_created (GtkWidget   *source,
                DomusHost   *host,
                const char  *name,
                DomusWindow *self)
{
  domus_window_open_domain (self, host, name, TRUE);
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
  if (self->selected->len > 1)
    gtk_stack_set_visible_child_name (self->stack, "selection");
  else if (self->domain != NULL)
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
  const char *page = gtk_stack_get_visible_child_name (stack);
  GAction *consoles = g_action_map_lookup_action (G_ACTION_MAP (self), "show-consoles");
  GAction *alerts = g_action_map_lookup_action (G_ACTION_MAP (self), "show-alerts");

  g_simple_action_set_state (G_SIMPLE_ACTION (consoles), g_variant_new_boolean (g_strcmp0 (page, "consoles") == 0));
  g_simple_action_set_state (G_SIMPLE_ACTION (alerts), g_variant_new_boolean (g_strcmp0 (page, "alerts") == 0));
  update_close_console (self);
}

/* Alerts */

static void
n_open_alerts_changed (DomusAlertsView *view,
                       GParamSpec      *pspec,
                       DomusWindow     *self)
{
  guint n = domus_alerts_view_get_n_open (view);
  g_autofree char *text = NULL;

  /* Translators: the header bar's button; %u is how many alerts nobody acknowledged. */
  text = n > 0 ? g_strdup_printf (_("Alerts (%u)"), n) : g_strdup (_("Alerts"));
  gtk_label_set_text (self->alerts_button_label, text);
  /* A screen reader hears the count too. */
  atk_object_set_name (gtk_widget_get_accessible (self->alerts_button), text);
}

static void
show_alerts_changed (GSimpleAction *action,
                     GVariant      *state,
                     gpointer       user_data)
{
  DomusWindow *self = user_data;

  if (g_variant_get_boolean (state))
    gtk_stack_set_visible_child_name (self->stack, "alerts");
  else
    show_selection_page (self);
  g_simple_action_set_state (action, state);
}

/* One console per domain (and one serial console) in this window: the tab already open is
 * shown again. */
static void
show_console (DomusWindow  *self,
              DomusConsole *console)
{
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
open_console (DomusWindow *self,
              DomusHost   *host,
              const char  *name)
{
  show_console (self, domus_console_notebook_open (self->console_notebook, host, name));
}

static void
open_serial_activated (GSimpleAction *action,
                       GVariant      *parameter,
                       gpointer       user_data)
{
  DomusWindow *self = user_data;

  if (self->domain != NULL && self->host != NULL)
    show_console (self, domus_console_notebook_open_serial (self->console_notebook, self->host,
                                                            domus_domain_get_name (self->domain)));
}

static void
console_requested (DomusDomainPage *page,
                   DomusDomain     *domain,
                   DomusWindow     *self)
{
  if (self->host != NULL)
    open_console (self, self->host, domus_domain_get_name (domain));
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
domain_activated (DomusServerList *list,
                  DomusDomain     *domain,
                  DomusHost       *host,
                  DomusWindow     *self)
{
  open_console (self, host, domus_domain_get_name (domain));
}

/* While the guest's screen (or its serial terminal) has the focus, keys are the guest's: the window's shortcuts
 * (Ctrl+S, Ctrl+P, Ctrl+Q …) would otherwise act on the domain instead of reaching it, as
 * GtkWindow tries accelerators before the focused widget. Ctrl+Page Up/Down still switch
 * console tabs (DomusConsoleNotebook, connected earlier). */
static gboolean
window_key_press (GtkWidget   *widget,
                  GdkEventKey *event,
                  DomusWindow *self)
{
  GtkWidget *focus = gtk_window_get_focus (GTK_WINDOW (self));

  if (focus != NULL && (VNC_IS_DISPLAY (focus) || VTE_IS_TERMINAL (focus)))
    return gtk_window_propagate_key_event (GTK_WINDOW (self), event);
  return GDK_EVENT_PROPAGATE;
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
  if (self->host != NULL && domus_host_get_state (self->host) == DOMUS_HOST_STATE_CONNECTED)
    return self->host;
  for (guint i = 0; self->hosts != NULL && i < g_list_model_get_n_items (self->hosts); i++)
    {
      g_autoptr(DomusHost) host = g_list_model_get_item (self->hosts, i);

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

/* The hosts: win.migrate needs another connected server */

static void
hosts_changed (GListModel  *hosts,
               guint        position,
               guint        removed,
               guint        added,
               DomusWindow *self)
{
  for (guint i = position; i < position + added; i++)
    {
      g_autoptr(DomusHost) host = g_list_model_get_item (hosts, i);

      g_signal_connect_object (host, "notify::state", G_CALLBACK (update_actions), self, G_CONNECT_SWAPPED);
    }
  update_actions (self);
}

/* Following the selection */

static void
follow (DomusWindow *self,
        DomusHost   *host,
        DomusDomain *domain)
{
  if (self->domain != domain)
    {
      if (self->domain != NULL)
        g_signal_handlers_disconnect_by_data (self->domain, self);
      g_set_object (&self->domain, domain);
      if (domain != NULL)
        g_signal_connect_swapped (domain, "notify::state", G_CALLBACK (update_actions), self);
    }
  g_set_object (&self->host, host);
  /* The selected host's state changes reach update_actions through hosts_changed. */
  domus_server_page_set_host (self->server_page, host);
  domus_domain_page_set_domain (self->domain_page, host, domain);
  update_actions (self);
}

/* Several domains: the window follows each one's state for its actions. */
static void
follow_several (DomusWindow *self,
                GPtrArray   *domains)
{
  for (guint i = 0; i < self->selected->len; i++)
    g_signal_handlers_disconnect_by_data (g_ptr_array_index (self->selected, i), self);
  g_ptr_array_set_size (self->selected, 0);
  for (guint i = 0; domains != NULL && domains->len > 1 && i < domains->len; i++)
    {
      DomusDomain *domain = g_ptr_array_index (domains, i);

      g_ptr_array_add (self->selected, g_object_ref (domain));
      g_signal_connect_swapped (domain, "notify::state", G_CALLBACK (update_actions), self);
      g_signal_connect_swapped (domain, "notify::tags", G_CALLBACK (update_actions), self);
    }
  if (self->selected->len > 1)
    domus_selection_page_set_domains (self->selection_page, self->selected);
}

static void
selection_changed (DomusServerList *list,
                   DomusWindow     *self)
{
  DomusDomain *domain = domus_server_list_get_selected_domain (list);
  DomusHost *host = domus_server_list_get_selected_host (list);
  g_autoptr(GPtrArray) domains = NULL;

  if (domus_server_list_get_n_selected (list) > 1)
    {
      domains = domus_server_list_get_selected_domains (list);
      /* A server row and one domain: that domain. */
      domain = domains->len == 1 ? g_ptr_array_index (domains, 0) : NULL;
      host = domain != NULL ? domus_domain_get_host (domain) : NULL;
    }
  follow_several (self, domains);
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
  DomusWindow       *window;
  DomusDomain       *domain;
  DomusDomainAction  action;
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
  g_autofree char *message = NULL;

  if (domus_host_domain_action_finish (DOMUS_HOST (source), result, NULL, &error))
    return;
  message = failure_message (call->action, domus_domain_get_name (call->domain), error->message);
  g_message ("%s", message);
  /* Shown where the user is looking: on the domain's page, if it is still the one shown. */
  if (call->window->domain == call->domain)
    domus_domain_page_show_error (call->window->domain_page, message);
}

static void
call_domain (DomusWindow *self,
             DomusDomain *domain,
             const char  *action)
{
  DomusHost *host = domus_domain_get_host (domain);
  Call *call;

  for (guint i = 0; i < G_N_ELEMENTS (domain_actions); i++)
    if (g_str_equal (domain_actions[i], action))
      {
        domus_domain_page_clear_error (self->domain_page);
        if (host == NULL)
          {
            g_autofree char *reason = g_strdup_printf (_("The host of domain “%s” is not connected."),
                                                       domus_domain_get_name (domain));
            g_autofree char *message = failure_message (i, domus_domain_get_name (domain), reason);

            domus_domain_page_show_error (self->domain_page, message);
            return;
          }
        call = g_new0 (Call, 1);
        call->window = g_object_ref (self);
        call->domain = g_object_ref (domain);
        call->action = i;
        domus_host_domain_action_async (host, domus_domain_get_name (domain), i, DOMUS_DOMAIN_ACTION_FLAGS_NONE,
                                        NULL, call_done, call);
        return;
      }
  g_assert_not_reached ();
}

/* One action on every selected domain (or on the one, for the tags): one dialog asks,
 * then lists the results (docs/gui.md, "Many domains at once"). */
static void
open_bulk_dialog (DomusWindow        *self,
                  DomusBulkOperation  operation)
{
  g_autoptr(GPtrArray) domains = g_ptr_array_new ();
  g_autoptr(DomusBulkRun) run = NULL;
  GtkWidget *dialog;

  if (self->selected->len > 1)
    g_ptr_array_extend (domains, self->selected, NULL, NULL);
  else if (self->domain != NULL)
    g_ptr_array_add (domains, self->domain);
  else
    return;
  run = domus_bulk_run_new (operation, domains);
  dialog = domus_bulk_dialog_new (GTK_WINDOW (self), run, self->hosts);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
domain_action_activated (GSimpleAction *action,
                         GVariant      *parameter,
                         gpointer       user_data)
{
  DomusWindow *self = user_data;
  DomusBulkOperation operation;

  if (self->selected->len > 1 && domus_bulk_operation_from_action (g_action_get_name (G_ACTION (action)), &operation))
    open_bulk_dialog (self, operation);
  else if (self->domain != NULL)
    call_domain (self, self->domain, g_action_get_name (G_ACTION (action)));
}

static void
tag_action_activated (GSimpleAction *action,
                      GVariant      *parameter,
                      gpointer       user_data)
{
  DomusWindow *self = user_data;
  DomusBulkOperation operation;

  if (domus_bulk_operation_from_action (g_action_get_name (G_ACTION (action)), &operation))
    open_bulk_dialog (self, operation);
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

  if (self->selected->len > 1)
    {
      open_bulk_dialog (self, DOMUS_BULK_DESTROY);
      return;
    }
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

/* Adding and removing servers */

static void
add_server_chosen (DomusAddServerDialog *dialog,
                   const char           *uri,
                   DomusWindow          *self)
{
  GtkApplication *app = gtk_window_get_application (GTK_WINDOW (self));
  DomusHost *host;

  if (app == NULL)
    return;
  host = domus_application_add_host (DOMUS_APPLICATION (app), uri, TRUE);
  domus_server_list_select_host (self->server_list, host);
}

static void
add_server_activated (GSimpleAction *action,
                      GVariant      *parameter,
                      gpointer       user_data)
{
  DomusWindow *self = user_data;
  GtkWidget *dialog = domus_add_server_dialog_new (GTK_WINDOW (self));

  g_signal_connect_object (dialog, "add-server", G_CALLBACK (add_server_chosen), self, 0);
  gtk_widget_show (dialog);
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

  if (self->selected->len > 1)
    open_bulk_dialog (self, DOMUS_BULK_MIGRATE);
  else if (self->domain != NULL)
    open_migrate_dialog (self, self->domain, NULL);
}

/* Clones (docs/gui.md): "Clone…" in the domain's menu opens a non-modal dialog; the copy's
 * row comes from the host's "defined" event, and the window selects it. */

static void
clone_dialog_cloned (DomusCloneDialog *dialog,
                     DomusHost        *host,
                     const char       *name,
                     DomusWindow      *self)
{
  domus_window_open_domain (self, host, name, FALSE);
}

static void
clone_activated (GSimpleAction *action,
                 GVariant      *parameter,
                 gpointer       user_data)
{
  DomusWindow *self = user_data;
  GtkWidget *dialog;

  if (self->domain == NULL || domus_domain_get_host (self->domain) == NULL)
    return;
  dialog = domus_clone_dialog_new (GTK_WINDOW (self), self->domain);
  g_signal_connect_object (dialog, "cloned", G_CALLBACK (clone_dialog_cloned), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* Save and restore (docs/gui.md): "Save…" in a running domain's menu and on its page,
 * "Restore…" in the server's menu; both dialogs are non-modal and show the host's refusal.
 * The domain's state follows from the host's events (saved: shut off; restored: running). */

static void
save_activated (GSimpleAction *action,
                GVariant      *parameter,
                gpointer       user_data)
{
  DomusWindow *self = user_data;

  if (self->domain == NULL || domus_domain_get_host (self->domain) == NULL)
    return;
  gtk_window_present (GTK_WINDOW (domus_save_dialog_new (GTK_WINDOW (self), self->domain)));
}

static void
restore_dialog_restored (GtkWidget   *dialog,
                         DomusHost   *host,
                         const char  *name,
                         DomusWindow *self)
{
  domus_window_open_domain (self, host, name, FALSE);
}

static void
restore_activated (GSimpleAction *action,
                   GVariant      *parameter,
                   gpointer       user_data)
{
  DomusWindow *self = user_data;
  GtkWidget *dialog;

  if (self->host == NULL)
    return;
  dialog = domus_restore_dialog_new (GTK_WINDOW (self), self->host);
  g_signal_connect_object (dialog, "restored", G_CALLBACK (restore_dialog_restored), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
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
  { "open-serial", open_serial_activated, NULL, NULL, NULL },
  { "show-consoles", NULL, NULL, "false", show_consoles_changed },
  { "show-alerts", NULL, NULL, "false", show_alerts_changed },
  { "close-console", close_console_activated, NULL, NULL, NULL },
  { "migrate",    migrate_activated,       NULL, NULL, NULL },
  { "start-on",   migrate_activated,       NULL, NULL, NULL },
  { "add-tag",    tag_action_activated,    NULL, NULL, NULL },
  { "remove-tag", tag_action_activated,    NULL, NULL, NULL },
  { "clone",      clone_activated,         NULL, NULL, NULL },
  { "save",       save_activated,          NULL, NULL, NULL },
  { "restore",    restore_activated,       NULL, NULL, NULL },
};

/* Construction */

static void
domus_window_dispose (GObject *object)
{
  DomusWindow *self = DOMUS_WINDOW (object);

  clear_pending (self);
  if (self->selected != NULL)
    follow_several (self, NULL);
  g_clear_pointer (&self->selected, g_ptr_array_unref);
  /* The sidebar may still say something while it goes: nobody listens now. */
  if (self->server_list != NULL)
    g_signal_handlers_disconnect_by_data (self->server_list, self);
  if (self->domain != NULL)
    g_signal_handlers_disconnect_by_data (self->domain, self);
  g_clear_object (&self->domain);
  g_clear_object (&self->host);
  if (self->hosts != NULL)
    g_signal_handlers_disconnect_by_func (self->hosts, hosts_changed, self);
  g_clear_object (&self->hosts);

  G_OBJECT_CLASS (domus_window_parent_class)->dispose (object);
}

static void
domus_window_class_init (DomusWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = domus_window_dispose;

  g_type_ensure (DOMUS_TYPE_SERVER_LIST);
  g_type_ensure (DOMUS_TYPE_DASHBOARD);
  g_type_ensure (DOMUS_TYPE_SERVER_PAGE);
  g_type_ensure (DOMUS_TYPE_DOMAIN_PAGE);
  g_type_ensure (DOMUS_TYPE_CONSOLE_NOTEBOOK);
  g_type_ensure (DOMUS_TYPE_ALERTS_VIEW);
  g_type_ensure (DOMUS_TYPE_SELECTION_PAGE);
  gtk_widget_class_set_template_from_resource (widget_class, "/org/domus/Domus/ui/domus-window.ui");
  gtk_widget_class_bind_template_child (widget_class, DomusWindow, server_list);
  gtk_widget_class_bind_template_child (widget_class, DomusWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, DomusWindow, dashboard);
  gtk_widget_class_bind_template_child (widget_class, DomusWindow, server_page);
  gtk_widget_class_bind_template_child (widget_class, DomusWindow, domain_page);
  gtk_widget_class_bind_template_child (widget_class, DomusWindow, selection_page);
  gtk_widget_class_bind_template_child (widget_class, DomusWindow, consoles_stack);
  gtk_widget_class_bind_template_child (widget_class, DomusWindow, console_notebook);
  gtk_widget_class_bind_template_child (widget_class, DomusWindow, consoles_button_label);
  gtk_widget_class_bind_template_child (widget_class, DomusWindow, alerts_button);
  gtk_widget_class_bind_template_child (widget_class, DomusWindow, alerts_button_label);
  gtk_widget_class_bind_template_child (widget_class, DomusWindow, alerts_view);
  gtk_widget_class_bind_template_callback (widget_class, n_open_alerts_changed);
  gtk_widget_class_bind_template_child (widget_class, DomusWindow, host_menu);
  gtk_widget_class_bind_template_child (widget_class, DomusWindow, domain_menu);
  gtk_widget_class_bind_template_callback (widget_class, selection_changed);
  gtk_widget_class_bind_template_callback (widget_class, domain_activated);
  gtk_widget_class_bind_template_callback (widget_class, migrate_requested);
  gtk_widget_class_bind_template_callback (widget_class, open_domain_from);
  gtk_widget_class_bind_template_callback (widget_class, open_host_from);
  gtk_widget_class_bind_template_callback (widget_class, domain_created);
  gtk_widget_class_bind_template_callback (widget_class, console_requested);
  gtk_widget_class_bind_template_callback (widget_class, n_consoles_changed);
  gtk_widget_class_bind_template_callback (widget_class, n_tabs_changed);
  gtk_widget_class_bind_template_callback (widget_class, stack_child_changed);
}

static void
domus_window_init (DomusWindow *self)
{
  self->selected = g_ptr_array_new_with_free_func (g_object_unref);
  gtk_widget_init_template (GTK_WIDGET (self));

  g_action_map_add_action_entries (G_ACTION_MAP (self), win_actions, G_N_ELEMENTS (win_actions), self);
  if (G_IS_MENU (self->domain_menu))
    {
      g_autoptr(GMenu) section = g_menu_new ();

      g_menu_append (section, _("_Migrate to…"), "win.migrate");
      g_menu_append (section, _("Start _on…"), "win.start-on");
      g_menu_append_section (G_MENU (self->domain_menu), NULL, G_MENU_MODEL (section));
    }
  domus_server_list_set_menus (self->server_list, self->host_menu, self->domain_menu);

  update_consoles_button (self);
  update_close_console (self);
  gtk_stack_set_visible_child_name (self->stack, "dashboard");
  update_actions (self);
  /* After the console notebook's own handler (connected when it joined the window). */
  g_signal_connect (self, "key-press-event", G_CALLBACK (window_key_press), self);
}

DomusWindow *
domus_window_new (DomusApplication *application)
{
  DomusWindow *self = g_object_new (DOMUS_TYPE_WINDOW, "application", application, NULL);
  GListModel *hosts = domus_application_get_hosts (application);

  domus_server_list_set_hosts (self->server_list, hosts);
  domus_dashboard_set_hosts (self->dashboard, hosts);
  domus_alerts_view_set_hosts (self->alerts_view, hosts);
  self->hosts = g_object_ref (hosts);
  g_signal_connect (self->hosts, "items-changed", G_CALLBACK (hosts_changed), self);
  hosts_changed (self->hosts, 0, 0, g_list_model_get_n_items (hosts), self);
  return self;
}
