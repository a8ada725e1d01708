/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The home page: a card per server (DomusHostCard) in a flow box, or a word on adding one. */

#include "config.h"

#include <glib/gi18n.h>

#include "domus-dashboard.h"
#include "domus-host-card.h"

struct _DomusDashboard
{
  GtkScrolledWindow  parent_instance;

  GHashTable        *children;   /* DomusHost → its GtkFlowBoxChild (borrowed from the box) */
  GListModel        *hosts;      /* the model followed by set_hosts(), or NULL */

  GtkStack          *stack;
  GtkFlowBox        *flow_box;
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

/* Cards in the order of their servers' names, as the sidebar lists them. */
static int
compare_children (GtkFlowBoxChild *a,
                  GtkFlowBoxChild *b,
                  gpointer         user_data)
{
  DomusHost *host_a = domus_host_card_get_host (child_card (a));
  DomusHost *host_b = domus_host_card_get_host (child_card (b));

  return g_utf8_collate (domus_host_get_name (host_a), domus_host_get_name (host_b));
}

static void
on_host_name (DomusHost      *host,
              GParamSpec     *pspec,
              DomusDashboard *self)
{
  gtk_flow_box_invalidate_sort (self->flow_box);
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
  g_signal_connect (card, "activate-host", G_CALLBACK (on_activate_host), self);
  g_signal_connect (card, "open-domain", G_CALLBACK (on_open_domain), self);
  child = gtk_flow_box_child_new ();
  gtk_container_add (GTK_CONTAINER (child), card);
  /* Not show_all: the card hides what it has nothing to show for. */
  gtk_widget_show (child);
  gtk_container_add (GTK_CONTAINER (self->flow_box), child);
  g_hash_table_insert (self->children, g_object_ref (host), child);
  g_signal_connect_object (host, "notify::name", G_CALLBACK (on_host_name), self, 0);
  update_page (self);
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
  g_signal_handlers_disconnect_by_func (host, on_host_name, self);
  g_hash_table_remove (self->children, host);
  gtk_widget_destroy (child);
  update_page (self);
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
  for (guint i = 0; hosts != NULL && i < g_list_model_get_n_items (hosts); i++)
    {
      g_autoptr(DomusHost) host = g_list_model_get_item (hosts, i);

      domus_dashboard_add_host (self, host);
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

  if (self->hosts != NULL)
    g_signal_handlers_disconnect_by_func (self->hosts, hosts_changed, self);
  g_clear_object (&self->hosts);
  if (self->children != NULL)
    {
      GHashTableIter iter;
      gpointer host;

      g_hash_table_iter_init (&iter, self->children);
      while (g_hash_table_iter_next (&iter, &host, NULL))
        g_signal_handlers_disconnect_by_func (host, on_host_name, self);
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
}

static void
domus_dashboard_init (DomusDashboard *self)
{
  self->children = g_hash_table_new_full (g_direct_hash, g_direct_equal, g_object_unref, NULL);
  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_flow_box_set_sort_func (self->flow_box, compare_children, NULL, NULL);
  update_page (self);
}
