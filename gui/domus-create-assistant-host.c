/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The create assistant's reading of its host: the images, bridges, networks and storage
 * pools it offers, and the sources it cannot build greyed out with the reason. */

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "domus-create-assistant-private.h"

/* What the host has: images, bridges, networks, pools */

static gboolean
has_suffix_nocase (const char *text,
                   const char *suffix)
{
  gsize length = strlen (text), suffix_length = strlen (suffix);

  return length >= suffix_length &&
         g_ascii_strcasecmp (text + length - suffix_length, suffix) == 0;
}

static void
images_listed (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(DomusCreateAssistant) self = user_data;
  g_autoptr(GError) error = NULL;
  GListModel *images = domus_host_get_images (self->host);
  guint n_iso = 0, n_disk = 0;

  if (!domus_host_refresh_images_finish (self->host, result, &error) && g_cancellable_is_cancelled (self->cancellable))
    return;
  if (error != NULL)
    {
      /* Not fatal: paths can still be typed. */
      g_autofree char *text = g_strdup_printf (_("The image store could not be read: %s"), error->message);

      gtk_label_set_text (self->infobar_labels[DOMUS_CREATE_PAGE_SOURCE], text);
      gtk_widget_show (self->infobars[DOMUS_CREATE_PAGE_SOURCE]);
      return;
    }

  for (guint i = 0; i < g_list_model_get_n_items (images); i++)
    {
      g_autoptr(DomusImage) image = g_list_model_get_item (images, i);
      const char *name = domus_image_get_name (image);
      const char *path = domus_image_get_path (image);

      if (path == NULL || !g_path_is_absolute (path))
        continue;
      if (has_suffix_nocase (name, ".iso"))
        {
          gtk_combo_box_text_append (self->iso_combo, name, name);
          n_iso++;
        }
      else
        {
          gtk_combo_box_text_append (self->boot_disk_combo, name, name);
          domus_cloud_form_add_image (self->cloud_form, name);
          gtk_combo_box_text_append (self->disk_combo, name, name);
          n_disk++;
        }
    }

  self->n_disk_images = n_disk;
  gtk_widget_set_visible (GTK_WIDGET (self->iso_combo), n_iso > 0);
  gtk_widget_set_sensitive (GTK_WIDGET (self->source_disk_radio), n_disk > 0);
  gtk_widget_set_sensitive (GTK_WIDGET (self->disk_existing_radio), n_disk > 0);
  _domus_create_assistant_update_pages (self);
}

static void
bridges_listed (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(DomusCreateAssistant) self = user_data;
  g_auto(GStrv) bridges = NULL;

  /* Without the list the entry still takes a typed name. */
  bridges = domus_host_list_bridges_finish (self->host, result, NULL);
  if (bridges == NULL || g_cancellable_is_cancelled (self->cancellable))
    return;
  for (guint i = 0; bridges[i] != NULL; i++)
    gtk_combo_box_text_append (self->bridge_combo, bridges[i], bridges[i]);
  /* A host that puts guests on bridges wants one: offer the first. */
  if (bridges[0] != NULL)
    {
      gtk_combo_box_set_active (GTK_COMBO_BOX (self->bridge_combo), 0);
      if (domus_host_get_network (self->host) == DOMUS_HOST_NETWORK_BRIDGE)
        gtk_toggle_button_set_active (self->net_bridge_radio, TRUE);
    }
  _domus_create_assistant_update_pages (self);
}

static void
grey_out (GtkToggleButton *source,
          const char      *why)
{
  gtk_widget_set_sensitive (GTK_WIDGET (source), FALSE);
  gtk_widget_set_tooltip_text (GTK_WIDGET (source), why);
}

/* Whether the host is another kind than domusd (libvirt's): guests built by the host and
 * templates are domusd's own, and updating the server would not bring them. */
static gboolean
host_is_domusd (DomusCreateAssistant *self)
{
  return g_strcmp0 (domus_host_get_kind (self->host), "domusd") == 0;
}

/* A host whose daemon cannot build a kind of guest has that source greyed out, and says why. */
static void
offer_built_sources (DomusCreateAssistant *self)
{
  DomusHostCapabilities can = domus_host_get_capabilities (self->host);
  g_autofree char *why = NULL;

  if (!(can & DOMUS_HOST_CAN_BUILD_DEBIAN) && !host_is_domusd (self))
    {
      why = g_strdup_printf (_("Only a domusd host builds Debian guests; this is a %s host: "
                               "install from an ISO, or boot a kernel or an existing image."),
                             domus_host_get_kind (self->host));
      grey_out (self->source_debian_radio, why);
    }
  else if (!(can & DOMUS_HOST_CAN_BUILD_DEBIAN))
    grey_out (self->source_debian_radio,
              _("This server’s daemon cannot build Debian guests: update Domus on the server."));
  g_clear_pointer (&why, g_free);
  if (!(can & DOMUS_HOST_CAN_BUILD_CLOUD) && !host_is_domusd (self))
    {
      why = g_strdup_printf (_("Only a domusd host makes guests of cloud images; this is a %s host: "
                               "choose the image as an existing image instead."),
                             domus_host_get_kind (self->host));
      grey_out (self->source_cloud_radio, why);
    }
  else if (!(can & DOMUS_HOST_CAN_BUILD_CLOUD))
    grey_out (self->source_cloud_radio,
              _("This server’s daemon cannot make guests of cloud images (it has no such call): "
                "update Domus on the server."));
}

/* A list of the host's (networks, pools) in combo, libvirt's "default" chosen when it is
 * there, else the first; FALSE when there is none. */
static gboolean
offer_names (GtkComboBoxText *combo,
             GStrv            names)
{
  for (guint i = 0; names != NULL && names[i] != NULL; i++)
    gtk_combo_box_text_append (combo, names[i], names[i]);
  if (names == NULL || names[0] == NULL)
    return FALSE;
  if (!gtk_combo_box_set_active_id (GTK_COMBO_BOX (combo), "default"))
    gtk_combo_box_set_active (GTK_COMBO_BOX (combo), 0);
  return TRUE;
}

static void
networks_listed (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(DomusCreateAssistant) self = user_data;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) networks = domus_host_list_networks_finish (self->host, result, &error);

  if (g_cancellable_is_cancelled (self->cancellable))
    return;
  if (!offer_names (self->network_combo, networks))
    {
      g_autofree char *why = networks == NULL
                             ? g_strdup_printf (_("The host’s networks could not be read: %s"), error->message)
                             : g_strdup (_("The host has no active network (virsh net-list shows them; "
                                           "virsh net-start starts one)."));

      grey_out (self->net_named_radio, why);
    }
  _domus_create_assistant_update_pages (self);
}

static void
pools_listed (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(DomusCreateAssistant) self = user_data;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) pools = domus_host_list_pools_finish (self->host, result, &error);

  if (g_cancellable_is_cancelled (self->cancellable))
    return;
  if (!offer_names (self->disk_pool_combo, pools))
    {
      g_autofree char *why = pools == NULL
                             ? g_strdup_printf (_("The host’s storage pools could not be read: %s"), error->message)
                             : g_strdup (_("The host has no active storage pool to make a volume in "
                                           "(virsh pool-list shows them; virsh pool-start starts one)."));

      self->no_pools = TRUE;
      grey_out (self->disk_new_radio, why);
      gtk_toggle_button_set_active (self->disk_none_radio, TRUE);
    }
  _domus_create_assistant_update_pages (self);
}

/* A host with storage pools makes a new disk as a volume of a chosen pool; a host that
 * defines networks offers them to the card. Shown only on such hosts. */
static void
offer_pools_and_networks (DomusCreateAssistant *self)
{
  DomusHostCapabilities can = domus_host_get_capabilities (self->host);
  gboolean connected = domus_host_get_state (self->host) == DOMUS_HOST_STATE_CONNECTED;

  if (can & DOMUS_HOST_CAN_POOLS)
    {
      gtk_widget_show (self->disk_pool_label);
      gtk_widget_show (GTK_WIDGET (self->disk_pool_combo));
      gtk_button_set_label (GTK_BUTTON (self->disk_new_radio), _("A new _qcow2 volume in a storage pool"));
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->disk_new_radio),
                                   _("Create a new empty volume for the domain in one of the host’s storage pools"));
      if (connected)
        domus_host_list_pools_async (self->host, self->cancellable, pools_listed, g_object_ref (self));
    }
  if (can & DOMUS_HOST_CAN_NETWORKS)
    {
      gtk_widget_show (GTK_WIDGET (self->net_named_radio));
      gtk_widget_show (GTK_WIDGET (self->network_combo));
      if (connected)
        domus_host_list_networks_async (self->host, self->cancellable, networks_listed, g_object_ref (self));
    }
}

/* The host's template domains, in the list's order; greyed out, saying why, when there is
 * none or the daemon cannot clone. */
static void
offer_templates (DomusCreateAssistant *self)
{
  GListModel *domains = domus_host_get_domains (self->host);
  guint n_templates = 0;

  for (guint i = 0; i < g_list_model_get_n_items (domains); i++)
    {
      g_autoptr(DomusDomain) domain = g_list_model_get_item (domains, i);

      if (!domus_domain_get_template (domain))
        continue;
      gtk_combo_box_text_append (self->template_combo, domus_domain_get_name (domain),
                                 domus_domain_get_name (domain));
      n_templates++;
    }
  if (n_templates > 0)
    gtk_combo_box_set_active (GTK_COMBO_BOX (self->template_combo), 0);

  if (!(domus_host_get_capabilities (self->host) & DOMUS_HOST_CAN_CLONE) && !host_is_domusd (self))
    {
      g_autofree char *why = g_strdup_printf (_("Only a domusd host keeps template domains and clones them; "
                                                "this is a %s host."), domus_host_get_kind (self->host));

      gtk_widget_set_tooltip_text (GTK_WIDGET (self->source_template_radio), why);
    }
  else if (!(domus_host_get_capabilities (self->host) & DOMUS_HOST_CAN_CLONE))
    gtk_widget_set_tooltip_text (GTK_WIDGET (self->source_template_radio),
                                 _("This server’s daemon cannot clone domains: update Domus on the server."));
  else if (n_templates == 0)
    gtk_widget_set_tooltip_text (GTK_WIDGET (self->source_template_radio),
                                 _("This server has no template domains: mark a shut-off domain as one "
                                   "(domusctl template NAME on)."));
  else
    return;
  gtk_widget_set_sensitive (GTK_WIDGET (self->source_template_radio), FALSE);
}

void
_domus_create_assistant_read_host (DomusCreateAssistant *self)
{
  GtkAdjustment *memory = gtk_spin_button_get_adjustment (self->memory_spin);
  GtkAdjustment *vcpus = gtk_spin_button_get_adjustment (self->vcpus_spin);
  gint64 host_memory = domus_host_get_memory_mib (self->host);
  gint64 host_cpus = domus_host_get_cpus (self->host);
  g_autofree char *title = NULL;

  title = g_strdup_printf (_("Create a Domain on %s"), domus_host_get_name (self->host));
  gtk_window_set_title (GTK_WINDOW (self), title);

  /* The spin buttons stop at what the host has. */
  if (host_memory > 0)
    {
      gtk_adjustment_set_upper (memory, (double) host_memory);
      gtk_adjustment_set_value (memory, MIN (512.0, (double) host_memory));
    }
  if (host_cpus > 0)
    gtk_adjustment_set_upper (vcpus, (double) MIN (host_cpus, 255));

  if (domus_host_get_network (self->host) == DOMUS_HOST_NETWORK_BRIDGE)
    gtk_toggle_button_set_active (self->net_bridge_radio, TRUE);

  gtk_widget_set_visible (self->iso_browse, domus_host_is_local (self->host));
  gtk_widget_set_visible (self->kernel_browse, domus_host_is_local (self->host));
  gtk_widget_set_visible (self->ramdisk_browse, domus_host_is_local (self->host));
  gtk_widget_set_visible (GTK_WIDGET (self->iso_combo), FALSE);
  gtk_widget_set_sensitive (GTK_WIDGET (self->source_disk_radio), FALSE);
  gtk_widget_set_sensitive (GTK_WIDGET (self->disk_existing_radio), FALSE);
  offer_built_sources (self);
  offer_templates (self);
  offer_pools_and_networks (self);

  if (domus_host_get_state (self->host) != DOMUS_HOST_STATE_CONNECTED)
    return;
  domus_host_refresh_images_async (self->host, self->cancellable, images_listed, g_object_ref (self));
  if (domus_host_get_capabilities (self->host) & DOMUS_HOST_CAN_LIST_BRIDGES)
    domus_host_list_bridges_async (self->host, self->cancellable, bridges_listed, g_object_ref (self));
}
