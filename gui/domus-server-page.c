/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A server's page: its connection and facts, its domains, load and image store.
 *
 * The facts and the info bar follow the host's notify signals; the tabs' contents (the top
 * table, the graphs, the image store) are made again for each host shown. */

#include "config.h"

#include <glib/gi18n.h>

#include "domus-alerts-view.h"
#include "domus-error.h"
#include "domus-graph-set.h"
#include "domus-image-store.h"
#include "domus-page-parts.h"
#include "domus-state-text.h"
#include "domus-server-page.h"
#include "domus-top-table.h"

struct _DomusServerPage
{
  GtkBox      parent_instance;

  /* Template children */
  GtkWidget  *info_bar;
  GtkLabel   *info_label;
  GtkWidget  *reconnect_button;
  GtkWidget  *accept_key_button;
  GtkWidget  *refuse_key_button;
  GtkLabel   *title;
  GtkGrid    *facts;
  GtkWidget  *demo_button;
  GtkWidget  *details;
  GtkWidget  *domains_page;
  GtkWidget  *load_page;
  GtkWidget  *images_page;
  GtkWidget  *alerts_page;

  /* Fact values, made in init */
  GtkLabel   *state_label;
  GtkLabel   *address_label;
  GtkLabel   *accelerator_label;
  GtkLabel   *qemu_label;
  GtkLabel   *version_label;
  GtkLabel   *cpus_label;
  GtkLabel   *memory_label;

  DomusHost  *host;      /* a reference, or NULL */
  GListModel *domains;   /* the host's, for the demo button */
};

G_DEFINE_FINAL_TYPE (DomusServerPage, domus_server_page, GTK_TYPE_BOX)

enum {
  SIGNAL_OPEN_DOMAIN,
  SIGNAL_DOMAIN_CREATED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* The properties the page shows; the per-second stats do not redraw it. */
static const char * const host_properties[] = {
  "name", "state", "error", "accelerator", "qemu-version", "version", "cpus", "memory-mib", NULL,
};

/* The facts and the info bar */

static void
update_facts (DomusServerPage *self)
{
  DomusHost *host = self->host;
  gboolean known = domus_host_has_facts (host);

  gtk_label_set_text (self->title, domus_host_get_name (host));
  domus_page_set_text_fact (self->state_label, domus_host_state_label (domus_host_get_state (host)));
  domus_page_set_text_fact (self->address_label, domus_host_get_uri (host));
  domus_page_set_text_fact (self->accelerator_label, domus_host_get_accelerator (host));
  domus_page_set_text_fact (self->qemu_label, domus_host_get_qemu_version (host));
  domus_page_set_text_fact (self->version_label, domus_host_get_version (host));
  domus_page_set_int_fact (self->cpus_label, known ? domus_host_get_cpus (host) : -1, FALSE);
  domus_page_set_int_fact (self->memory_label, known ? domus_host_get_memory_mib (host) : -1, TRUE);
}

/* The info bar says why the host is not connected, and what can be done about it. */
static void
update_info_bar (DomusServerPage *self)
{
  DomusHost *host = self->host;
  DomusHostState state = domus_host_get_state (host);
  const GError *error = domus_host_get_error (host);
  gboolean connected = state == DOMUS_HOST_STATE_CONNECTED;
  const char *key_type = NULL;
  const char *fingerprint = NULL;
  g_autofree char *message = NULL;

  gtk_widget_set_visible (self->accept_key_button, FALSE);
  gtk_widget_set_visible (self->refuse_key_button, FALSE);
  gtk_widget_set_visible (self->reconnect_button, !connected);
  if (connected || (state == DOMUS_HOST_STATE_CONNECTING && error == NULL))
    {
      gtk_widget_set_visible (self->info_bar, FALSE);
      return;
    }

  if (error != NULL && g_error_matches (error, DOMUS_ERROR, DOMUS_ERROR_HOST_KEY_UNKNOWN)
      && domus_error_get_host_key (error, &key_type, &fingerprint))
    {
      message = g_strdup_printf (_("The host key of %s is not known. Its %s fingerprint is\n%s\n"
                                   "Accept it only if it is the key the server really has."),
                                 domus_host_get_name (host), key_type, fingerprint);
      gtk_info_bar_set_message_type (GTK_INFO_BAR (self->info_bar), GTK_MESSAGE_QUESTION);
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
      gtk_info_bar_set_message_type (GTK_INFO_BAR (self->info_bar), GTK_MESSAGE_ERROR);
    }
  else if (error != NULL && state != DOMUS_HOST_STATE_CONNECTING
           && g_error_matches (error, DOMUS_ERROR, DOMUS_ERROR_NOT_INSTALLED))
    {
      /* Nothing was lost: the message says what to run on the host (the label is
         selectable, to copy the commands), and Reconnect is the step after. */
      message = g_strdup_printf (_("%s Then press Reconnect."), error->message);
      gtk_info_bar_set_message_type (GTK_INFO_BAR (self->info_bar), GTK_MESSAGE_WARNING);
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
      gtk_info_bar_set_message_type (GTK_INFO_BAR (self->info_bar), GTK_MESSAGE_WARNING);
    }
  else
    {
      message = g_strdup_printf (_("Disconnected from %s."), domus_host_get_name (host));
      gtk_info_bar_set_message_type (GTK_INFO_BAR (self->info_bar), GTK_MESSAGE_INFO);
    }
  gtk_label_set_text (self->info_label, message);
  gtk_widget_set_visible (self->info_bar, TRUE);
}

static void
accept_key_clicked (GtkButton       *button,
                    DomusServerPage *self)
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
refuse_key_clicked (GtkButton       *button,
                    DomusServerPage *self)
{
  /* The host stays disconnected until the user asks again. */
  if (self->host != NULL)
    domus_host_disconnect (self->host);
}

/* The demo guest: for a first start with nothing to look at */

static void
update_demo_button (DomusServerPage *self)
{
  gboolean empty = self->host != NULL &&
                   domus_host_get_state (self->host) == DOMUS_HOST_STATE_CONNECTED &&
                   g_list_model_get_n_items (domus_host_get_domains (self->host)) == 0;

  gtk_widget_set_visible (self->demo_button, empty);
}

static void
demo_failed (DomusServerPage *self,
             const char      *message)
{
  gtk_widget_set_sensitive (self->demo_button, TRUE);
  gtk_info_bar_set_message_type (GTK_INFO_BAR (self->info_bar), GTK_MESSAGE_ERROR);
  gtk_label_set_text (self->info_label, message);
  gtk_widget_set_visible (self->reconnect_button, FALSE);
  gtk_widget_set_visible (self->info_bar, TRUE);
}

static void
on_demo_created (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(DomusServerPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *name = domus_host_create_demo_finish (DOMUS_HOST (source), result, &error);

  if (name == NULL)
    demo_failed (self, error->message);
  else
    g_signal_emit (self, signals[SIGNAL_DOMAIN_CREATED], 0, DOMUS_HOST (source), name);
  gtk_widget_set_sensitive (self->demo_button, TRUE);
}

static void
demo_clicked (GtkButton       *button,
              DomusServerPage *self)
{
  if (self->host == NULL || domus_host_get_state (self->host) != DOMUS_HOST_STATE_CONNECTED)
    return;
  gtk_widget_set_sensitive (self->demo_button, FALSE);
  domus_host_create_demo_async (self->host, NULL, on_demo_created, g_object_ref (self));
}

/* Following the host */

static void
host_notify (DomusHost       *host,
             GParamSpec      *pspec,
             DomusServerPage *self)
{
  update_demo_button (self);
  update_facts (self);
  update_info_bar (self);
}

static void
domains_changed (GListModel      *domains,
                 guint            position,
                 guint            removed,
                 guint            added,
                 DomusServerPage *self)
{
  update_demo_button (self);
}

static void
open_domain_from (GtkWidget       *source,
                  DomusDomain     *domain,
                  DomusServerPage *self)
{
  g_signal_emit (self, signals[SIGNAL_OPEN_DOMAIN], 0, domain);
}

static void
fill_details (DomusServerPage *self)
{
  GtkWidget *graphs = domus_graph_set_new_for_host (self->host);
  GtkWidget *top = domus_top_table_new (self->host);
  GtkWidget *images = domus_image_store_new (self->host);
  GtkWidget *alerts = domus_alerts_view_new ();

  g_signal_connect_object (top, "open-domain", G_CALLBACK (open_domain_from), self, 0);
  gtk_box_pack_start (GTK_BOX (self->domains_page), top, TRUE, TRUE, 0);
  gtk_box_pack_start (GTK_BOX (self->load_page), domus_page_scrolled_graphs (graphs), TRUE, TRUE, 0);
  gtk_box_pack_start (GTK_BOX (self->images_page), images, TRUE, TRUE, 0);
  domus_alerts_view_set_host (DOMUS_ALERTS_VIEW (alerts), self->host);
  gtk_box_pack_start (GTK_BOX (self->alerts_page), alerts, TRUE, TRUE, 0);
  gtk_widget_show_all (self->details);
}

static void
follow_host (DomusServerPage *self,
             DomusHost       *host)
{
  if (self->host != NULL)
    g_signal_handlers_disconnect_by_data (self->host, self);
  if (self->domains != NULL)
    g_signal_handlers_disconnect_by_func (self->domains, domains_changed, self);
  g_clear_object (&self->domains);
  g_set_object (&self->host, host);
  if (host != NULL)
    {
      domus_page_connect_notify (host, host_properties, G_CALLBACK (host_notify), self);
      self->domains = g_object_ref (domus_host_get_domains (host));
      g_signal_connect (self->domains, "items-changed", G_CALLBACK (domains_changed), self);
    }
  domus_page_clear (self->domains_page);
  domus_page_clear (self->load_page);
  domus_page_clear (self->images_page);
  domus_page_clear (self->alerts_page);
  if (host != NULL)
    fill_details (self);
}

void
domus_server_page_set_host (DomusServerPage *self,
                            DomusHost       *host)
{
  g_return_if_fail (DOMUS_IS_SERVER_PAGE (self));
  g_return_if_fail (host == NULL || DOMUS_IS_HOST (host));

  if (self->host != host)
    follow_host (self, host);
  update_demo_button (self);
  if (host != NULL)
    {
      update_facts (self);
      update_info_bar (self);
    }
}

DomusHost *
domus_server_page_get_host (DomusServerPage *self)
{
  g_return_val_if_fail (DOMUS_IS_SERVER_PAGE (self), NULL);
  return self->host;
}

/* Construction */

static void
domus_server_page_dispose (GObject *object)
{
  DomusServerPage *self = DOMUS_SERVER_PAGE (object);

  if (self->host != NULL || self->domains != NULL)
    follow_host (self, NULL);

  G_OBJECT_CLASS (domus_server_page_parent_class)->dispose (object);
}

static void
domus_server_page_class_init (DomusServerPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = domus_server_page_dispose;

  signals[SIGNAL_OPEN_DOMAIN] =
    g_signal_new ("open-domain", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, DOMUS_TYPE_DOMAIN);
  signals[SIGNAL_DOMAIN_CREATED] =
    g_signal_new ("domain-created", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, DOMUS_TYPE_HOST, G_TYPE_STRING);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/domus/Domus/ui/domus-server-page.ui");
  gtk_widget_class_bind_template_child (widget_class, DomusServerPage, info_bar);
  gtk_widget_class_bind_template_child (widget_class, DomusServerPage, info_label);
  gtk_widget_class_bind_template_child (widget_class, DomusServerPage, reconnect_button);
  gtk_widget_class_bind_template_child (widget_class, DomusServerPage, accept_key_button);
  gtk_widget_class_bind_template_child (widget_class, DomusServerPage, refuse_key_button);
  gtk_widget_class_bind_template_child (widget_class, DomusServerPage, title);
  gtk_widget_class_bind_template_child (widget_class, DomusServerPage, facts);
  gtk_widget_class_bind_template_child (widget_class, DomusServerPage, demo_button);
  gtk_widget_class_bind_template_child (widget_class, DomusServerPage, details);
  gtk_widget_class_bind_template_child (widget_class, DomusServerPage, domains_page);
  gtk_widget_class_bind_template_child (widget_class, DomusServerPage, load_page);
  gtk_widget_class_bind_template_child (widget_class, DomusServerPage, images_page);
  gtk_widget_class_bind_template_child (widget_class, DomusServerPage, alerts_page);
  gtk_widget_class_bind_template_callback (widget_class, accept_key_clicked);
  gtk_widget_class_bind_template_callback (widget_class, refuse_key_clicked);
  gtk_widget_class_bind_template_callback (widget_class, demo_clicked);
}

static void
domus_server_page_init (DomusServerPage *self)
{
  int row = 0;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->state_label = domus_page_add_fact (self->facts, row++, _("Connection"));
  self->address_label = domus_page_add_fact (self->facts, row++, _("Address"));
  self->accelerator_label = domus_page_add_fact (self->facts, row++, _("Accelerator"));
  self->qemu_label = domus_page_add_fact (self->facts, row++, _("QEMU version"));
  self->version_label = domus_page_add_fact (self->facts, row++, _("Domus version"));
  self->cpus_label = domus_page_add_fact (self->facts, row++, _("Processors"));
  self->memory_label = domus_page_add_fact (self->facts, row++, _("Memory"));
}

GtkWidget *
domus_server_page_new (void)
{
  return g_object_new (DOMUS_TYPE_SERVER_PAGE, NULL);
}
