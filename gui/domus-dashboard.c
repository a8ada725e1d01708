/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The home page: a summary line over every server, a search over every server's domains, and
 * a card per server (DomusHostCard) in a flow box that reflows with the width, the servers
 * needing attention first; or a word on adding one. Cards say when their figures change; the
 * summary, the order and the search results are worked out again once per burst of news.
 */

#include "config.h"

#include <glib/gi18n.h>

#include "domus-dashboard.h"
#include "domus-host-card.h"
#include "domus-search-query.h"
#include "domus-state-text.h"

/* More matches than this are counted, not listed: the search is for finding, not browsing. */
#define MAX_RESULTS 100

/* How long one main-loop turn makes cards when servers come (at least one a turn): a window
 * opened on twenty servers builds its first cards with the window and the others in the
 * turns after, each a short stretch, instead of one long one before anything is shown
 * (docs/libvirt.md, "The window with 1,000 domains"). A card costs about as much again when
 * it is first shown (its accessibles, its layout), so a turn is some twice this. A time
 * rather than a count: a card costs 2 to 4 ms on the machine the figures come from, and
 * a count would be too many on a slower one. */
#define CARDS_SLICE_US 5000

struct _DomusDashboard
{
  GtkScrolledWindow  parent_instance;

  GHashTable        *children;   /* DomusHost → its GtkFlowBoxChild (borrowed from the box) */
  GListModel        *hosts;      /* the model followed by set_hosts(), or NULL */
  DomusSearchQuery  *query;      /* NULL: no search */
  guint              refresh_id;
  gboolean           resort;     /* a card's trouble or a name changed since the last sort */
  guint              cards_id;   /* makes the cards still missing, a slice a turn */

  GtkStack          *stack;
  GtkFlowBox        *flow_box;
  GtkLabel          *summary_label;
  GtkSearchEntry    *search_entry;
  GtkLabel          *search_error_label;
  GtkWidget         *results_box;
  GtkLabel          *results_label;
  GtkListBox        *results_list;
};

G_DEFINE_FINAL_TYPE (DomusDashboard, domus_dashboard, GTK_TYPE_SCROLLED_WINDOW)

enum {
  SIGNAL_OPEN_HOST,
  SIGNAL_OPEN_DOMAIN,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
update_page (DomusDashboard *self)
{
  gtk_stack_set_visible_child_name (self->stack, g_hash_table_size (self->children) > 0 ? "cards" : "empty");
}

static DomusHostCard *
child_card (GtkFlowBoxChild *child)
{
  return DOMUS_HOST_CARD (gtk_bin_get_child (GTK_BIN (child)));
}

/* Trouble first (a server not connected, then one with crashed domains or open alerts), then
 * in the order of their names, as the sidebar lists them. */
static int
compare_children (GtkFlowBoxChild *a,
                  GtkFlowBoxChild *b,
                  gpointer         user_data)
{
  DomusHostCard *card_a = child_card (a);
  DomusHostCard *card_b = child_card (b);
  DomusHostCardTrouble trouble_a = domus_host_card_get_trouble (card_a);
  DomusHostCardTrouble trouble_b = domus_host_card_get_trouble (card_b);

  if (trouble_a != trouble_b)
    return trouble_a > trouble_b ? -1 : 1;
  return g_utf8_collate (domus_host_get_name (domus_host_card_get_host (card_a)),
                         domus_host_get_name (domus_host_card_get_host (card_b)));
}

static void schedule_refresh (DomusDashboard *self);

/* A host's name or its card's trouble: what orders the cards. Sorting lays the whole box
 * out again, so nothing else sorts them. */
static void
on_order_changed (GObject        *host_or_card,
                  GParamSpec     *pspec,
                  DomusDashboard *self)
{
  self->resort = TRUE;
  schedule_refresh (self);
}

static void
on_card_summary (DomusHostCard  *card,
                 DomusDashboard *self)
{
  schedule_refresh (self);
}

/* The summary line */

static void
update_summary (DomusDashboard *self)
{
  guint counts[DOMUS_HOST_CARD_N_COUNTS] = { 0 };
  guint n_hosts = 0, n_connected = 0, n_alerts = 0;
  GHashTableIter iter;
  gpointer host, child;
  g_autofree char *servers = NULL;
  g_autofree char *domains = NULL;
  g_autofree char *alerts = NULL;
  g_autofree char *text = NULL;

  g_hash_table_iter_init (&iter, self->children);
  while (g_hash_table_iter_next (&iter, &host, &child))
    {
      DomusHostCard *card = child_card (child);

      n_hosts++;
      if (domus_host_get_state (host) == DOMUS_HOST_STATE_CONNECTED)
        n_connected++;
      n_alerts += domus_host_get_n_open_alerts (host);
      for (guint i = 0; i < DOMUS_HOST_CARD_N_COUNTS; i++)
        counts[i] += domus_host_card_get_count (card, i);
    }
  servers = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u of %u server connected",
                                          "%u of %u servers connected", n_hosts),
                             n_connected, n_hosts);
  domains = g_strdup_printf (_("Domains — running: %u, paused: %u, shut off: %u, crashed: %u, other: %u"),
                             counts[DOMUS_HOST_CARD_COUNT_RUNNING], counts[DOMUS_HOST_CARD_COUNT_PAUSED],
                             counts[DOMUS_HOST_CARD_COUNT_OFF], counts[DOMUS_HOST_CARD_COUNT_CRASHED],
                             counts[DOMUS_HOST_CARD_COUNT_OTHER]);
  alerts = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u open alert", "%u open alerts", n_alerts),
                            n_alerts);
  text = g_strdup_printf ("%s · %s · %s", servers, domains, alerts);
  if (g_strcmp0 (gtk_label_get_text (self->summary_label), text) != 0)
    gtk_label_set_text (self->summary_label, text);
}

/* The search */

static gboolean
host_has_match (DomusDashboard *self,
                DomusHost      *host)
{
  GListModel *domains = domus_host_get_domains (host);

  for (guint i = 0; i < g_list_model_get_n_items (domains); i++)
    {
      g_autoptr(DomusDomain) domain = g_list_model_get_item (domains, i);

      if (domus_search_query_matches_domain (self->query, domain))
        return TRUE;
    }
  return FALSE;
}

/* With a search, a card shows when its server matches the host: terms and, when there are
 * terms about domains, holds a domain that matches. */
static gboolean
filter_child (GtkFlowBoxChild *child,
              gpointer         user_data)
{
  DomusDashboard *self = user_data;
  DomusHost *host = domus_host_card_get_host (child_card (child));

  if (self->query == NULL || domus_search_query_is_empty (self->query))
    return TRUE;
  if (!domus_search_query_matches_host (self->query, host))
    return FALSE;
  return !domus_search_query_has_domain_terms (self->query) || host_has_match (self, host);
}

static int
compare_domains (gconstpointer a,
                 gconstpointer b)
{
  DomusDomain *domain_a = *(DomusDomain **) a;
  DomusDomain *domain_b = *(DomusDomain **) b;
  int by_name = g_utf8_collate (domus_domain_get_name (domain_a), domus_domain_get_name (domain_b));

  if (by_name != 0)
    return by_name;
  return g_utf8_collate (domus_host_get_name (domus_domain_get_host (domain_a)),
                         domus_host_get_name (domus_domain_get_host (domain_b)));
}

static GtkWidget *
result_row_new (DomusDomain *domain)
{
  DomusHost *host = domus_domain_get_host (domain);
  const char * const *tags = domus_domain_get_tags (domain);
  g_autofree char *tag_text = tags != NULL && tags[0] != NULL ? g_strjoinv (", ", (char **) tags) : NULL;
  g_autofree char *detail = NULL;
  g_autofree char *accessible = NULL;
  GtkWidget *row = gtk_list_box_row_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *name = gtk_label_new (domus_domain_get_name (domain));
  GtkWidget *rest;

  if (tag_text != NULL)
    /* Translators: a search result: its state, its server and its tags. */
    detail = g_strdup_printf (_("%s on %s — tags: %s"), domus_domain_state_label (domus_domain_get_state (domain)),
                              domus_host_get_name (host), tag_text);
  else
    /* Translators: a search result: its state and its server. */
    detail = g_strdup_printf (_("%s on %s"), domus_domain_state_label (domus_domain_get_state (domain)),
                              domus_host_get_name (host));
  rest = gtk_label_new (detail);
  gtk_label_set_xalign (GTK_LABEL (name), 0);
  gtk_label_set_xalign (GTK_LABEL (rest), 0);
  gtk_label_set_ellipsize (GTK_LABEL (rest), PANGO_ELLIPSIZE_END);
  gtk_style_context_add_class (gtk_widget_get_style_context (rest), "dim-label");
  gtk_widget_set_hexpand (rest, TRUE);
  gtk_container_add (GTK_CONTAINER (box), name);
  gtk_container_add (GTK_CONTAINER (box), rest);
  g_object_set (box, "margin", 6, NULL);
  gtk_container_add (GTK_CONTAINER (row), box);
  /* Translators: a search result as a screen reader says it: the domain, then where and how. */
  accessible = g_strdup_printf (_("%s, %s"), domus_domain_get_name (domain), detail);
  atk_object_set_name (gtk_widget_get_accessible (row), accessible);
  g_object_set_data_full (G_OBJECT (row), "domus-domain", g_object_ref (domain), g_object_unref);
  gtk_widget_show_all (row);
  return row;
}

static void
update_results (DomusDashboard *self)
{
  g_autoptr(GPtrArray) matches = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GList) rows = gtk_container_get_children (GTK_CONTAINER (self->results_list));
  g_autoptr(GHashTable) hosts = g_hash_table_new (g_direct_hash, g_direct_equal);
  g_autofree char *count = NULL;
  GHashTableIter iter;
  gpointer host;

  for (GList *l = rows; l != NULL; l = l->next)
    gtk_widget_destroy (l->data);
  if (self->query == NULL || domus_search_query_is_empty (self->query))
    {
      gtk_widget_hide (self->results_box);
      return;
    }

  g_hash_table_iter_init (&iter, self->children);
  while (g_hash_table_iter_next (&iter, &host, NULL))
    {
      GListModel *domains = domus_host_get_domains (host);

      for (guint i = 0; i < g_list_model_get_n_items (domains); i++)
        {
          DomusDomain *domain = g_list_model_get_item (domains, i);

          if (domus_search_query_matches_domain (self->query, domain))
            {
              g_ptr_array_add (matches, domain);
              g_hash_table_add (hosts, host);
            }
          else
            g_object_unref (domain);
        }
    }
  g_ptr_array_sort (matches, compare_domains);
  for (guint i = 0; i < matches->len && i < MAX_RESULTS; i++)
    gtk_container_add (GTK_CONTAINER (self->results_list), result_row_new (g_ptr_array_index (matches, i)));

  if (matches->len > MAX_RESULTS)
    count = g_strdup_printf (_("%u domains match on %u servers; the first %u are listed"),
                             matches->len, g_hash_table_size (hosts), MAX_RESULTS);
  else if (matches->len == 0)
    count = g_strdup (_("No domain matches"));
  else
    count = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u domain matches on %u of the servers",
                                          "%u domains match on %u of the servers", matches->len),
                             matches->len, g_hash_table_size (hosts));
  gtk_label_set_text (self->results_label, count);
  gtk_widget_set_visible (GTK_WIDGET (self->results_list), matches->len > 0);
  gtk_widget_show (self->results_box);
}

static gboolean
refresh_cb (gpointer user_data)
{
  DomusDashboard *self = user_data;

  self->refresh_id = 0;
  update_summary (self);
  if (self->resort)
    gtk_flow_box_invalidate_sort (self->flow_box);
  self->resort = FALSE;
  if (self->query != NULL)
    {
      gtk_flow_box_invalidate_filter (self->flow_box);
      update_results (self);
    }
  return G_SOURCE_REMOVE;
}

/* A burst of news (a reconnection lists every domain again) is worked out once. */
static void
schedule_refresh (DomusDashboard *self)
{
  if (self->refresh_id == 0)
    self->refresh_id = g_idle_add_full (G_PRIORITY_DEFAULT_IDLE, refresh_cb, self, NULL);
}

static void
search_changed_cb (GtkSearchEntry *entry,
                   DomusDashboard *self)
{
  g_autoptr(GError) error = NULL;
  DomusSearchQuery *query = domus_search_query_parse (gtk_entry_get_text (GTK_ENTRY (entry)), &error);

  g_clear_pointer (&self->query, domus_search_query_free);
  gtk_widget_set_visible (GTK_WIDGET (self->search_error_label), query == NULL);
  if (query == NULL)
    {
      gtk_label_set_text (self->search_error_label, error->message);
      gtk_widget_hide (self->results_box);
    }
  else if (domus_search_query_is_empty (query))
    domus_search_query_free (query);
  else
    self->query = query;
  gtk_flow_box_invalidate_filter (self->flow_box);
  update_results (self);
}

static void
open_result (DomusDashboard *self,
             GtkListBoxRow  *row)
{
  DomusDomain *domain = g_object_get_data (G_OBJECT (row), "domus-domain");

  if (domain != NULL)
    g_signal_emit (self, signals[SIGNAL_OPEN_DOMAIN], 0, domain);
}

static void
result_activated_cb (GtkListBox     *list,
                     GtkListBoxRow  *row,
                     DomusDashboard *self)
{
  open_result (self, row);
}

/* Enter opens the first match. */
static void
search_activate_cb (GtkSearchEntry *entry,
                    DomusDashboard *self)
{
  GtkListBoxRow *first = gtk_list_box_get_row_at_index (self->results_list, 0);

  if (first != NULL)
    open_result (self, first);
}

static void
on_activate_host (DomusHostCard  *card,
                  DomusHost      *host,
                  DomusDashboard *self)
{
  g_signal_emit (self, signals[SIGNAL_OPEN_HOST], 0, host);
}

static void
on_open_domain (DomusHostCard  *card,
                DomusDomain    *domain,
                DomusDashboard *self)
{
  g_signal_emit (self, signals[SIGNAL_OPEN_DOMAIN], 0, domain);
}

GtkWidget *
domus_dashboard_new (void)
{
  return g_object_new (DOMUS_TYPE_DASHBOARD, NULL);
}

void
domus_dashboard_add_host (DomusDashboard *self,
                          DomusHost      *host)
{
  GtkWidget *card, *child;

  g_return_if_fail (DOMUS_IS_DASHBOARD (self));
  g_return_if_fail (DOMUS_IS_HOST (host));

  if (g_hash_table_contains (self->children, host))
    return;

  card = domus_host_card_new (host);
  g_signal_connect (card, "summary-changed", G_CALLBACK (on_card_summary), self);
  g_signal_connect (card, "notify::trouble", G_CALLBACK (on_order_changed), self);
  g_signal_connect (card, "activate-host", G_CALLBACK (on_activate_host), self);
  g_signal_connect (card, "open-domain", G_CALLBACK (on_open_domain), self);
  child = gtk_flow_box_child_new ();
  gtk_container_add (GTK_CONTAINER (child), card);
  /* Not show_all: the card hides what it has nothing to show for. */
  gtk_widget_show (child);
  gtk_container_add (GTK_CONTAINER (self->flow_box), child);
  g_hash_table_insert (self->children, g_object_ref (host), child);
  g_signal_connect_object (host, "notify::name", G_CALLBACK (on_order_changed), self, 0);
  update_page (self);
  schedule_refresh (self);
}

void
domus_dashboard_remove_host (DomusDashboard *self,
                             DomusHost      *host)
{
  GtkWidget *child;

  g_return_if_fail (DOMUS_IS_DASHBOARD (self));
  g_return_if_fail (DOMUS_IS_HOST (host));

  child = g_hash_table_lookup (self->children, host);
  if (child == NULL)
    return;
  g_signal_handlers_disconnect_by_func (host, on_order_changed, self);
  g_hash_table_remove (self->children, host);
  gtk_widget_destroy (child);
  update_page (self);
  schedule_refresh (self);
}

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

/* Makes the cards the followed hosts still lack, in their order, for CARDS_SLICE_US; TRUE
 * while some are still missing. */
static gboolean
add_missing_cards (DomusDashboard *self)
{
  gint64 start = g_get_monotonic_time ();
  gboolean made = FALSE;

  for (guint i = 0; self->hosts != NULL && i < g_list_model_get_n_items (self->hosts); i++)
    {
      g_autoptr(DomusHost) host = g_list_model_get_item (self->hosts, i);

      if (g_hash_table_contains (self->children, host))
        continue;
      if (made && g_get_monotonic_time () - start >= CARDS_SLICE_US)
        return TRUE;
      domus_dashboard_add_host (self, host);
      made = TRUE;
    }
  return FALSE;
}

static gboolean
add_cards_cb (gpointer user_data)
{
  DomusDashboard *self = user_data;

  if (add_missing_cards (self))
    return G_SOURCE_CONTINUE;
  self->cards_id = 0;
  return G_SOURCE_REMOVE;
}

static void
hosts_changed (GListModel     *hosts,
               guint           position,
               guint           removed,
               guint           added,
               DomusDashboard *self)
{
  g_autoptr(GList) shown = g_hash_table_get_keys (self->children);

  /* A handful of hosts: compare the lists rather than track positions. */
  for (GList *l = shown; l != NULL; l = l->next)
    if (hosts == NULL || !model_contains (hosts, l->data))
      domus_dashboard_remove_host (self, l->data);
  /* After the drawing of the turn (GTK draws at G_PRIORITY_HIGH_IDLE + 20). */
  if (add_missing_cards (self) && self->cards_id == 0)
    {
      self->cards_id = g_idle_add_full (G_PRIORITY_DEFAULT_IDLE, add_cards_cb, self, NULL);
      g_source_set_name_by_id (self->cards_id, "[domus] dashboard cards");
    }
}

void
domus_dashboard_set_hosts (DomusDashboard *self,
                           GListModel     *hosts)
{
  g_return_if_fail (DOMUS_IS_DASHBOARD (self));
  g_return_if_fail (hosts == NULL || G_IS_LIST_MODEL (hosts));

  if (self->hosts != NULL)
    g_signal_handlers_disconnect_by_func (self->hosts, hosts_changed, self);
  g_set_object (&self->hosts, hosts);
  if (hosts != NULL)
    g_signal_connect (hosts, "items-changed", G_CALLBACK (hosts_changed), self);
  hosts_changed (hosts, 0, 0, 0, self);
}

guint
domus_dashboard_get_n_hosts (DomusDashboard *self)
{
  g_return_val_if_fail (DOMUS_IS_DASHBOARD (self), 0);
  return g_hash_table_size (self->children);
}

GtkWidget *
domus_dashboard_get_card (DomusDashboard *self,
                          DomusHost      *host)
{
  GtkWidget *child;

  g_return_val_if_fail (DOMUS_IS_DASHBOARD (self), NULL);

  child = g_hash_table_lookup (self->children, host);
  return child != NULL ? gtk_bin_get_child (GTK_BIN (child)) : NULL;
}

static void
domus_dashboard_dispose (GObject *object)
{
  DomusDashboard *self = DOMUS_DASHBOARD (object);

  g_clear_handle_id (&self->refresh_id, g_source_remove);
  g_clear_handle_id (&self->cards_id, g_source_remove);
  g_clear_pointer (&self->query, domus_search_query_free);
  if (self->hosts != NULL)
    g_signal_handlers_disconnect_by_func (self->hosts, hosts_changed, self);
  g_clear_object (&self->hosts);
  if (self->children != NULL)
    {
      GHashTableIter iter;
      gpointer host;

      g_hash_table_iter_init (&iter, self->children);
      while (g_hash_table_iter_next (&iter, &host, NULL))
        g_signal_handlers_disconnect_by_func (host, on_order_changed, self);
      g_clear_pointer (&self->children, g_hash_table_unref);
    }

  G_OBJECT_CLASS (domus_dashboard_parent_class)->dispose (object);
}

static void
domus_dashboard_class_init (DomusDashboardClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = domus_dashboard_dispose;

  signals[SIGNAL_OPEN_HOST] =
    g_signal_new ("open-host", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, DOMUS_TYPE_HOST);
  signals[SIGNAL_OPEN_DOMAIN] =
    g_signal_new ("open-domain", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, DOMUS_TYPE_DOMAIN);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/domus/Domus/ui/domus-dashboard.ui");
  gtk_widget_class_bind_template_child (widget_class, DomusDashboard, stack);
  gtk_widget_class_bind_template_child (widget_class, DomusDashboard, flow_box);
  gtk_widget_class_bind_template_child (widget_class, DomusDashboard, summary_label);
  gtk_widget_class_bind_template_child (widget_class, DomusDashboard, search_entry);
  gtk_widget_class_bind_template_child (widget_class, DomusDashboard, search_error_label);
  gtk_widget_class_bind_template_child (widget_class, DomusDashboard, results_box);
  gtk_widget_class_bind_template_child (widget_class, DomusDashboard, results_label);
  gtk_widget_class_bind_template_child (widget_class, DomusDashboard, results_list);
  gtk_widget_class_bind_template_callback (widget_class, search_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, search_activate_cb);
  gtk_widget_class_bind_template_callback (widget_class, result_activated_cb);
}

static void
domus_dashboard_init (DomusDashboard *self)
{
  self->children = g_hash_table_new_full (g_direct_hash, g_direct_equal, g_object_unref, NULL);
  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_flow_box_set_sort_func (self->flow_box, compare_children, NULL, NULL);
  gtk_flow_box_set_filter_func (self->flow_box, filter_child, self, NULL);
  update_page (self);
  update_summary (self);
}
