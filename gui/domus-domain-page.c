/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A domain's page: its state, actions and facts; tabs for its graphs, configuration,
 * snapshots and console.
 *
 * The facts follow the domain's notify signals (not its per-second stats); the Overview,
 * Configuration and Snapshots tabs are made again for each domain shown. The Console tab holds no console:
 * choosing it asks the window for the domain's tab among the open consoles. */

#include "config.h"

#include <glib/gi18n.h>

#include "domus-config-editor.h"
#include "domus-domain-page.h"
#include "domus-graph-set.h"
#include "domus-page-parts.h"
#include "domus-snapshot-page.h"
#include "domus-state-text.h"

struct _DomusDomainPage
{
  GtkBox       parent_instance;

  /* Template children */
  GtkWidget   *info_bar;
  GtkLabel    *info_label;
  GtkImage    *state_image;
  GtkLabel    *title;
  GtkGrid     *facts;
  GtkWidget   *save_button;
  GtkWidget   *notebook;
  GtkWidget   *graphs_page;
  GtkWidget   *config_page;
  GtkWidget   *snapshots_page;
  GtkWidget   *console_page;

  /* Fact values, made in init */
  GtkLabel    *state_label;
  GtkLabel    *host_label;
  GtkLabel    *memory_label;
  GtkLabel    *vcpus_label;
  GtkLabel    *id_label;

  DomusHost   *host;          /* references, or NULL */
  DomusDomain *domain;
  gboolean     bar_for_host;  /* the info bar says the host is away */
};

G_DEFINE_FINAL_TYPE (DomusDomainPage, domus_domain_page, GTK_TYPE_BOX)

enum {
  SIGNAL_CONSOLE_REQUESTED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* The properties the page shows; the per-second stats do not redraw it. */
static const char * const domain_properties[] = {
  "name", "state", "id", "memory-mib", "vcpus", "error", NULL,
};
/* Of the host: its name among the facts, its connection for the notice. */
static const char * const host_properties[] = {
  "name", "state", "error", NULL,
};

static void
update_facts (DomusDomainPage *self)
{
  DomusDomain *domain = self->domain;
  DomusDomainState state;
  g_autofree char *uri = NULL;
  g_autoptr(GFile) file = NULL;
  g_autoptr(GIcon) icon = NULL;

  if (domain == NULL)
    return;
  state = domus_domain_get_state (domain);

  gtk_label_set_text (self->title, domus_domain_get_name (domain));
  if (state == DOMUS_DOMAIN_STATE_INVALID && domus_domain_get_error (domain) != NULL)
    {
      g_autofree char *text = g_strdup_printf ("%s: %s", domus_domain_state_label (state),
                                               domus_domain_get_error (domain));
      domus_page_set_text_fact (self->state_label, text);
    }
  else
    {
      domus_page_set_text_fact (self->state_label, domus_domain_state_label (state));
    }
  domus_page_set_text_fact (self->host_label, self->host != NULL ? domus_host_get_name (self->host) : NULL);
  domus_page_set_int_fact (self->memory_label, domus_domain_get_memory_mib (domain), TRUE);
  domus_page_set_int_fact (self->vcpus_label, domus_domain_get_vcpus (domain), FALSE);
  domus_page_set_int_fact (self->id_label, domus_domain_get_id (domain), FALSE);

  uri = g_strconcat ("resource://", domus_domain_state_icon_resource (state), NULL);
  file = g_file_new_for_uri (uri);
  icon = g_file_icon_new (file);
  gtk_image_set_from_gicon (self->state_image, icon, GTK_ICON_SIZE_DIALOG);
  atk_object_set_name (gtk_widget_get_accessible (GTK_WIDGET (self->state_image)),
                       domus_domain_state_label (state));
}

/* While its host is away the page says why the domain's actions are unavailable. */
static void
update_host_notice (DomusDomainPage *self)
{
  g_autofree char *message = NULL;

  if (self->domain == NULL || self->host == NULL)
    return;
  if (domus_host_get_state (self->host) == DOMUS_HOST_STATE_CONNECTED)
    {
      if (self->bar_for_host)
        gtk_widget_set_visible (self->info_bar, FALSE);
      self->bar_for_host = FALSE;
      return;
    }
  message = g_strdup_printf (_("%s is not connected: what this page shows may be out of date, "
                               "and the domain cannot be acted on until the server is back."),
                             domus_host_get_name (self->host));
  self->bar_for_host = TRUE;
  gtk_info_bar_set_message_type (GTK_INFO_BAR (self->info_bar), GTK_MESSAGE_WARNING);
  gtk_label_set_text (self->info_label, message);
  gtk_widget_set_visible (self->info_bar, TRUE);
}

void
domus_domain_page_show_error (DomusDomainPage *self,
                              const char      *message)
{
  g_return_if_fail (DOMUS_IS_DOMAIN_PAGE (self));

  self->bar_for_host = FALSE;
  gtk_info_bar_set_message_type (GTK_INFO_BAR (self->info_bar), GTK_MESSAGE_ERROR);
  gtk_label_set_text (self->info_label, message);
  gtk_widget_set_visible (self->info_bar, TRUE);
}

void
domus_domain_page_clear_error (DomusDomainPage *self)
{
  g_return_if_fail (DOMUS_IS_DOMAIN_PAGE (self));

  if (!self->bar_for_host)
    gtk_widget_set_visible (self->info_bar, FALSE);
}

static void
info_bar_response (GtkInfoBar      *info_bar,
                   int              response,
                   DomusDomainPage *self)
{
  gtk_widget_set_visible (GTK_WIDGET (info_bar), FALSE);
}

static void
tab_switched (GtkNotebook     *notebook,
              GtkWidget       *page,
              guint            number,
              DomusDomainPage *self)
{
  /* The Console tab is the way to the domain's tab among the consoles. */
  if (page == self->console_page && self->domain != NULL && self->host != NULL &&
      gtk_widget_get_mapped (GTK_WIDGET (notebook)))
    g_signal_emit (self, signals[SIGNAL_CONSOLE_REQUESTED], 0, self->domain);
}

/* Following the domain */

static void
domain_notify (DomusDomain     *domain,
               GParamSpec      *pspec,
               DomusDomainPage *self)
{
  update_facts (self);
}

/* Save… is greyed out by the window's action; the tooltip says why when the server is the cause. */
static void
update_save_tooltip (DomusDomainPage *self)
{
  const char *tip;

  if (self->host == NULL || domus_host_get_state (self->host) != DOMUS_HOST_STATE_CONNECTED
      || (domus_host_get_capabilities (self->host) & DOMUS_HOST_CAN_SAVE))
    tip = _("Write the running guest’s whole state to a file on its server and stop it; "
            "Restore… in the server’s menu brings it back");
  else
    tip = _("This server’s daemon is too old to save domains");
  gtk_widget_set_tooltip_text (self->save_button, tip);
}

static void
host_notify (DomusHost       *host,
             GParamSpec      *pspec,
             DomusDomainPage *self)
{
  update_facts (self);
  update_host_notice (self);
  update_save_tooltip (self);
}

static void
rebuild_tabs (DomusDomainPage *self)
{
  domus_page_clear (self->graphs_page);
  domus_page_clear (self->config_page);
  domus_page_clear (self->snapshots_page);
  if (self->domain == NULL || domus_domain_get_host (self->domain) == NULL)
    return;
  gtk_box_pack_start (GTK_BOX (self->graphs_page),
                      domus_page_scrolled_graphs (domus_graph_set_new_for_domain (self->domain)),
                      TRUE, TRUE, 0);
  gtk_box_pack_start (GTK_BOX (self->config_page), domus_config_editor_new (self->domain),
                      TRUE, TRUE, 0);
  gtk_box_pack_start (GTK_BOX (self->snapshots_page), domus_snapshot_page_new (self->domain),
                      TRUE, TRUE, 0);
  gtk_widget_show_all (self->graphs_page);
  gtk_widget_show_all (self->config_page);
  gtk_widget_show (self->snapshots_page);
}

static void
follow_domain (DomusDomainPage *self,
               DomusDomain     *domain)
{
  if (self->domain != NULL)
    g_signal_handlers_disconnect_by_data (self->domain, self);
  g_set_object (&self->domain, domain);
  if (domain != NULL)
    domus_page_connect_notify (domain, domain_properties, G_CALLBACK (domain_notify), self);
  /* A message belongs to the domain it was about. */
  gtk_widget_set_visible (self->info_bar, FALSE);
  self->bar_for_host = FALSE;
  rebuild_tabs (self);
}

static void
follow_host (DomusDomainPage *self,
             DomusHost       *host)
{
  if (self->host != NULL)
    g_signal_handlers_disconnect_by_data (self->host, self);
  g_set_object (&self->host, host);
  if (host != NULL)
    domus_page_connect_notify (host, host_properties, G_CALLBACK (host_notify), self);
}

void
domus_domain_page_set_domain (DomusDomainPage *self,
                              DomusHost       *host,
                              DomusDomain     *domain)
{
  g_return_if_fail (DOMUS_IS_DOMAIN_PAGE (self));
  g_return_if_fail (host == NULL || DOMUS_IS_HOST (host));
  g_return_if_fail (domain == NULL || DOMUS_IS_DOMAIN (domain));

  if (self->host != host)
    follow_host (self, host);
  if (self->domain != domain)
    follow_domain (self, domain);
  update_facts (self);
  update_host_notice (self);
  update_save_tooltip (self);
}

DomusDomain *
domus_domain_page_get_domain (DomusDomainPage *self)
{
  g_return_val_if_fail (DOMUS_IS_DOMAIN_PAGE (self), NULL);
  return self->domain;
}

/* Construction */

static void
domus_domain_page_dispose (GObject *object)
{
  DomusDomainPage *self = DOMUS_DOMAIN_PAGE (object);

  if (self->domain != NULL)
    g_signal_handlers_disconnect_by_data (self->domain, self);
  g_clear_object (&self->domain);
  if (self->host != NULL)
    g_signal_handlers_disconnect_by_data (self->host, self);
  g_clear_object (&self->host);

  G_OBJECT_CLASS (domus_domain_page_parent_class)->dispose (object);
}

static void
domus_domain_page_class_init (DomusDomainPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = domus_domain_page_dispose;

  signals[SIGNAL_CONSOLE_REQUESTED] =
    g_signal_new ("console-requested", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, DOMUS_TYPE_DOMAIN);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/domus/Domus/ui/domus-domain-page.ui");
  gtk_widget_class_bind_template_child (widget_class, DomusDomainPage, info_bar);
  gtk_widget_class_bind_template_child (widget_class, DomusDomainPage, info_label);
  gtk_widget_class_bind_template_child (widget_class, DomusDomainPage, state_image);
  gtk_widget_class_bind_template_child (widget_class, DomusDomainPage, title);
  gtk_widget_class_bind_template_child (widget_class, DomusDomainPage, facts);
  gtk_widget_class_bind_template_child (widget_class, DomusDomainPage, save_button);
  gtk_widget_class_bind_template_child (widget_class, DomusDomainPage, notebook);
  gtk_widget_class_bind_template_child (widget_class, DomusDomainPage, graphs_page);
  gtk_widget_class_bind_template_child (widget_class, DomusDomainPage, config_page);
  gtk_widget_class_bind_template_child (widget_class, DomusDomainPage, snapshots_page);
  gtk_widget_class_bind_template_child (widget_class, DomusDomainPage, console_page);
  gtk_widget_class_bind_template_callback (widget_class, info_bar_response);
  gtk_widget_class_bind_template_callback (widget_class, tab_switched);
}

static void
domus_domain_page_init (DomusDomainPage *self)
{
  int row = 0;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->state_label = domus_page_add_fact (self->facts, row++, _("State"));
  self->host_label = domus_page_add_fact (self->facts, row++, _("Server"));
  self->memory_label = domus_page_add_fact (self->facts, row++, _("Memory"));
  self->vcpus_label = domus_page_add_fact (self->facts, row++, _("vCPUs"));
  self->id_label = domus_page_add_fact (self->facts, row++, _("ID"));
}

GtkWidget *
domus_domain_page_new (void)
{
  return g_object_new (DOMUS_TYPE_DOMAIN_PAGE, NULL);
}
