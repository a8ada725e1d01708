/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The "Create domain" assistant: name, install source, memory and CPUs, disk, network,
 * console, and what it will give the host (a .cfg, or a libvirt host's domain XML:
 * domus_host_write_choices()); finishing creates (and so starts) the domain.
 *
 * Three sources are made by the host instead (Debian from the archive, a cloud image of
 * the store, a clone of a template domain): the first two have their forms,
 * DomusDebianForm and DomusCloudForm, the disk, network and console pages are skipped
 * (the host chooses; a clone also skips memory and CPUs: the template's config has them),
 * and finishing asks the host to make the guest (DomusGuestBuild), with its progress on
 * the last page, then starts it. */

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "domus-cfg-builder.h"
#include "domus-cloud-form.h"
#include "domus-debian-form.h"
#include "domus-guest-build.h"
#include "domus-domain-name.h"
#include "domus-create-assistant-private.h"


G_DEFINE_FINAL_TYPE (DomusCreateAssistant, domus_create_assistant, GTK_TYPE_ASSISTANT)

enum {
  SIGNAL_CREATED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* Where the guest comes from: a .cfg this assistant writes, or a guest the host builds. */
typedef enum {
  SOURCE_CONFIG,
  SOURCE_DEBIAN,
  SOURCE_CLOUD,
  SOURCE_TEMPLATE,
} GuestSource;

static GuestSource
guest_source (DomusCreateAssistant *self)
{
  if (gtk_toggle_button_get_active (self->source_debian_radio))
    return SOURCE_DEBIAN;
  if (gtk_toggle_button_get_active (self->source_cloud_radio))
    return SOURCE_CLOUD;
  if (gtk_toggle_button_get_active (self->source_template_radio))
    return SOURCE_TEMPLATE;
  return SOURCE_CONFIG;
}

/* Choices */

/* A spin button's number as typed, before it is committed: pages follow the typing. */
static gboolean
spin_text_value (GtkSpinButton *spin,
                 gint64        *out)
{
  const char *text = gtk_entry_get_text (GTK_ENTRY (spin));
  g_autofree char *trimmed = g_strstrip (g_strdup (text));
  guint64 value;

  if (!g_ascii_string_to_unsigned (trimmed, 10, 0, G_MAXINT64, &value, NULL))
    return FALSE;
  *out = (gint64) value;
  return TRUE;
}

static gboolean
disk_is_boot_disk (DomusCreateAssistant *self)
{
  return gtk_toggle_button_get_active (self->source_disk_radio);
}

/* The image chosen in one of the combos, as the host's image store has it now. */
static DomusImage *
combo_image (DomusCreateAssistant *self,
             GtkComboBoxText      *combo)
{
  const char *name = gtk_combo_box_get_active_id (GTK_COMBO_BOX (combo));

  return name != NULL ? domus_host_lookup_image (self->host, name) : NULL;
}

static const char *
new_image_name (DomusCreateAssistant *self)
{
  return gtk_entry_get_text (self->disk_name_entry);
}

static gboolean
host_has_pools (DomusCreateAssistant *self)
{
  return (domus_host_get_capabilities (self->host) & DOMUS_HOST_CAN_POOLS) != 0;
}

/* The new image as the host names it: POOL/NAME on a host with storage pools. */
static char *
new_image_full_name (DomusCreateAssistant *self)
{
  const char *pool = gtk_combo_box_get_active_id (GTK_COMBO_BOX (self->disk_pool_combo));

  if (host_has_pools (self))
    return g_strdup_printf ("%s/%s", pool != NULL ? pool : "", new_image_name (self));
  return g_strdup (new_image_name (self));
}

/* Where the new image will be, for the summary: the store's folder when the host said
 * it (and the image goes there), a stand-in until the host has made it otherwise. */
static char *
new_image_path (DomusCreateAssistant *self)
{
  const char *dir = domus_host_get_image_dir (self->host);

  if (self->created_image_path != NULL)
    return g_strdup (self->created_image_path);
  return g_build_filename (dir != NULL && !host_has_pools (self) ? dir : UNKNOWN_IMAGE_DIR,
                           new_image_name (self), NULL);
}

/* Fills choices from the widgets; strings point into the widgets or into *owned. */
static void
collect_choices (DomusCreateAssistant *self,
                 DomusCfgChoices      *c,
                 char                **owned)
{
  DomusImage *image;

  memset (c, 0, sizeof *c);
  *owned = NULL;
  c->name = gtk_entry_get_text (self->name_entry);
  if (!spin_text_value (self->memory_spin, &c->memory_mib))
    c->memory_mib = 0;
  if (!spin_text_value (self->vcpus_spin, &c->vcpus))
    c->vcpus = 0;

  if (gtk_toggle_button_get_active (self->source_kernel_radio))
    c->kind = DOMUS_CFG_KIND_KERNEL;
  else if (gtk_toggle_button_get_active (self->source_disk_radio))
    c->kind = DOMUS_CFG_KIND_DISK;
  else
    c->kind = DOMUS_CFG_KIND_ISO;
  c->iso_path = gtk_entry_get_text (self->iso_entry);
  c->kernel = gtk_entry_get_text (self->kernel_entry);
  c->ramdisk = gtk_entry_get_text (self->ramdisk_entry);
  c->extra = gtk_entry_get_text (self->extra_entry);

  if (c->kind == DOMUS_CFG_KIND_DISK)
    {
      image = combo_image (self, self->boot_disk_combo);
      c->disk_path = image != NULL ? domus_image_get_path (image) : NULL;
      c->disk_format = image != NULL ? domus_image_get_format (image) : NULL;
    }
  else if (gtk_toggle_button_get_active (self->disk_new_radio))
    {
      c->disk_path = *owned = new_image_path (self);
      c->disk_format = "qcow2";
    }
  else if (gtk_toggle_button_get_active (self->disk_existing_radio))
    {
      image = combo_image (self, self->disk_combo);
      c->disk_path = image != NULL ? domus_image_get_path (image) : NULL;
      c->disk_format = image != NULL ? domus_image_get_format (image) : NULL;
    }

  if (gtk_toggle_button_get_active (self->net_bridge_radio))
    {
      c->network = DOMUS_CFG_NETWORK_BRIDGE;
      c->bridge = gtk_entry_get_text (self->bridge_entry);
    }
  else if (gtk_toggle_button_get_active (self->net_named_radio))
    {
      c->network = DOMUS_CFG_NETWORK_NAMED;
      c->network_name = gtk_combo_box_get_active_id (GTK_COMBO_BOX (self->network_combo));
    }
  else if (gtk_toggle_button_get_active (self->net_none_radio))
    c->network = DOMUS_CFG_NETWORK_NONE;
  else
    c->network = DOMUS_CFG_NETWORK_USER;
  c->vnc = gtk_toggle_button_get_active (self->vnc_check);
}

/* Which page a builder error belongs on. */
static DomusCreatePage
page_for_cfg_error (const GError *error)
{
  if (error->domain != DOMUS_CFG_ERROR)
    return DOMUS_CREATE_PAGE_SUMMARY;
  switch ((DomusCfgError) error->code)
    {
    case DOMUS_CFG_ERROR_NAME:    return DOMUS_CREATE_PAGE_NAME;
    case DOMUS_CFG_ERROR_SOURCE:  return DOMUS_CREATE_PAGE_SOURCE;
    case DOMUS_CFG_ERROR_MEMORY:
    case DOMUS_CFG_ERROR_VCPUS:   return DOMUS_CREATE_PAGE_RESOURCES;
    case DOMUS_CFG_ERROR_DISK:    return DOMUS_CREATE_PAGE_DISK;
    case DOMUS_CFG_ERROR_NETWORK: return DOMUS_CREATE_PAGE_NETWORK;
    default:                      return DOMUS_CREATE_PAGE_SUMMARY;
    }
}

/*
 * Checks one page the way the builder will: the choices of the other pages are replaced
 * with ones known to be good, so the first error the builder finds is this page's own.
 */
static gboolean
check_page_with_builder (DomusCreateAssistant  *self,
                         DomusCreatePage        page,
                         GError               **error)
{
  DomusCfgChoices c;
  g_autofree char *owned = NULL;
  g_autofree char *text = NULL;
  g_autofree char *filename = NULL;
  g_autoptr(GError) local_error = NULL;

  collect_choices (self, &c, &owned);
  if (page != DOMUS_CREATE_PAGE_NAME)
    c.name = "x";
  if (page != DOMUS_CREATE_PAGE_RESOURCES)
    c.memory_mib = c.vcpus = 1;
  if (page != DOMUS_CREATE_PAGE_NETWORK)
    c.network = DOMUS_CFG_NETWORK_NONE;
  /* The boot disk is chosen on the source page; the disk page checks the others. */
  if (page != DOMUS_CREATE_PAGE_DISK && !(page == DOMUS_CREATE_PAGE_SOURCE &&
                                          c.kind == DOMUS_CFG_KIND_DISK))
    c.disk_path = NULL;
  if (page != DOMUS_CREATE_PAGE_SOURCE && c.kind != DOMUS_CFG_KIND_DISK)
    {
      c.kind = DOMUS_CFG_KIND_KERNEL;
      c.kernel = "/k";
      c.ramdisk = c.extra = NULL;
    }

  /* The host's own form: a libvirt host takes choices a .cfg cannot say. */
  text = domus_host_write_choices (self->host, &c, &filename, &local_error);
  if (text != NULL)
    return TRUE;
  /* Source DISK without a disk is reported by the builder as a disk error; on the
   * source page it is the source's. */
  if (page_for_cfg_error (local_error) == page ||
      (page == DOMUS_CREATE_PAGE_SOURCE && local_error->code == DOMUS_CFG_ERROR_DISK))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  return TRUE;
}

/* Validation, page by page, as the user types */

static gboolean
validate_name (DomusCreateAssistant *self)
{
  const char *name = gtk_entry_get_text (self->name_entry);
  g_autoptr(GError) name_error = NULL;
  g_autofree char *hint = NULL;

  if (name[0] == '\0')
    hint = g_strdup ("");
  else if (!domus_domain_name_check (name, &name_error))
    hint = g_strdup (name_error->message);
  else if (domus_host_lookup_domain (self->host, name) != NULL)
    hint = g_strdup_printf (_("This host has a domain named “%s” already."), name);

  gtk_label_set_text (self->name_hint, hint != NULL ? hint : "");
  return hint == NULL;
}

static gboolean
validate_source (DomusCreateAssistant *self)
{
  g_autoptr(GError) error = NULL;
  gboolean ok;
  GuestSource source = guest_source (self);
  DomusCfgKind kind = gtk_toggle_button_get_active (self->source_kernel_radio)
                      ? DOMUS_CFG_KIND_KERNEL
                      : disk_is_boot_disk (self) ? DOMUS_CFG_KIND_DISK : DOMUS_CFG_KIND_ISO;

  gtk_widget_set_sensitive (self->iso_grid, source == SOURCE_CONFIG && kind == DOMUS_CFG_KIND_ISO);
  gtk_widget_set_sensitive (self->kernel_grid, source == SOURCE_CONFIG && kind == DOMUS_CFG_KIND_KERNEL);
  gtk_widget_set_sensitive (GTK_WIDGET (self->boot_disk_combo), source == SOURCE_CONFIG && kind == DOMUS_CFG_KIND_DISK);
  gtk_widget_set_visible (GTK_WIDGET (self->debian_form), source == SOURCE_DEBIAN);
  gtk_widget_set_visible (GTK_WIDGET (self->cloud_form), source == SOURCE_CLOUD);
  gtk_widget_set_visible (self->template_grid, source == SOURCE_TEMPLATE);
  if (source == SOURCE_TEMPLATE)
    {
      gboolean chosen = gtk_combo_box_get_active_id (GTK_COMBO_BOX (self->template_combo)) != NULL;

      gtk_label_set_text (self->source_hint, chosen ? "" : _("Choose the template to copy."));
      return chosen;
    }
  if (source != SOURCE_CONFIG)
    {
      /* The form says what is missing next to its fields. */
      g_autofree char *problem = source == SOURCE_DEBIAN ? domus_debian_form_check (self->debian_form)
                                                         : domus_cloud_form_check (self->cloud_form);

      gtk_label_set_text (self->source_hint, "");
      return problem == NULL;
    }

  ok = check_page_with_builder (self, DOMUS_CREATE_PAGE_SOURCE, &error);
  if (!ok && kind == DOMUS_CFG_KIND_DISK)
    gtk_label_set_text (self->source_hint, _("Choose the disk image to boot."));
  else
    gtk_label_set_text (self->source_hint, ok ? "" : error->message);
  return ok;
}

static gboolean
validate_resources (DomusCreateAssistant *self)
{
  gint64 memory, vcpus;
  gint64 max_memory = (gint64) gtk_adjustment_get_upper (gtk_spin_button_get_adjustment (self->memory_spin));
  gint64 min_memory = (gint64) gtk_adjustment_get_lower (gtk_spin_button_get_adjustment (self->memory_spin));
  gint64 max_vcpus = (gint64) gtk_adjustment_get_upper (gtk_spin_button_get_adjustment (self->vcpus_spin));
  g_autofree char *limits = NULL;
  g_autofree char *problem = NULL;
  gint64 host_memory = domus_host_get_memory_mib (self->host);
  gint64 host_cpus = domus_host_get_cpus (self->host);

  /* Numbers go in as %d/%s: xgettext cannot read G_GINT64_FORMAT inside a message. */
  if (host_memory > 0 && host_cpus > 0)
    limits = g_strdup_printf (ngettext ("This host has %d CPU and %d MiB of memory.",
                                        "This host has %d CPUs and %d MiB of memory.",
                                        (gulong) host_cpus),
                              (int) MIN (host_cpus, G_MAXINT), (int) MIN (host_memory, G_MAXINT));
  else
    limits = g_strdup (_("This host did not say how many CPUs and how much memory it has."));

  if (!spin_text_value (self->memory_spin, &memory) || memory < min_memory || memory > max_memory)
    problem = g_strdup_printf (_("Memory is a number of MiB from %d to %d."),
                               (int) min_memory, (int) MIN (max_memory, G_MAXINT));
  else if (!spin_text_value (self->vcpus_spin, &vcpus) || vcpus < 1 || vcpus > max_vcpus)
    problem = g_strdup_printf (_("Virtual CPUs are a number from 1 to %d."), (int) max_vcpus);

  if (problem != NULL)
    {
      g_autofree char *both = g_strdup_printf ("%s\n%s", problem, limits);

      gtk_label_set_text (self->limits_label, both);
      return FALSE;
    }
  gtk_label_set_text (self->limits_label, limits);
  return TRUE;
}

static gboolean
image_name_is_valid (const char *name)
{
  return name[0] != '\0' && name[0] != '.' && strchr (name, '/') == NULL &&
         strchr (name, ',') == NULL && g_utf8_validate (name, -1, NULL);
}

static gboolean
validate_disk (DomusCreateAssistant *self)
{
  gboolean boot_disk = disk_is_boot_disk (self);
  gboolean kernel = gtk_toggle_button_get_active (self->source_kernel_radio);
  g_autoptr(GError) error = NULL;
  const char *hint = "";
  gboolean ok = TRUE;

  /* Booting an existing image: that image is the disk, chosen on the source page. */
  gtk_widget_set_sensitive (GTK_WIDGET (self->disk_new_radio), !boot_disk && !self->no_pools);
  gtk_widget_set_sensitive (GTK_WIDGET (self->disk_existing_radio), !boot_disk && self->n_disk_images > 0);
  gtk_widget_set_sensitive (GTK_WIDGET (self->disk_none_radio), !boot_disk);
  gtk_widget_set_sensitive (self->disk_new_grid,
                            !boot_disk && gtk_toggle_button_get_active (self->disk_new_radio));
  gtk_widget_set_sensitive (GTK_WIDGET (self->disk_combo),
                            !boot_disk && gtk_toggle_button_get_active (self->disk_existing_radio));

  if (boot_disk)
    {
      DomusImage *image = combo_image (self, self->boot_disk_combo);

      gtk_label_set_text (self->disk_hint, image != NULL ? domus_image_get_path (image) : "");
      return TRUE;
    }

  if (gtk_toggle_button_get_active (self->disk_new_radio))
    {
      const char *name = new_image_name (self);
      g_autofree char *full_name = new_image_full_name (self);
      gint64 size;

      if (!image_name_is_valid (name))
        {
          hint = _("An image name cannot be empty, start with “.”, or contain “/” or “,”.");
          ok = FALSE;
        }
      else if (host_has_pools (self) && gtk_combo_box_get_active_id (GTK_COMBO_BOX (self->disk_pool_combo)) == NULL)
        {
          hint = _("Choose the storage pool the new volume is made in.");
          ok = FALSE;
        }
      else if (domus_host_lookup_image (self->host, full_name) != NULL)
        {
          hint = _("The image store has an image of that name already: choose it as an existing image, or another name.");
          ok = FALSE;
        }
      else if (!spin_text_value (self->disk_size_spin, &size) || size < 1)
        {
          hint = _("The size is a whole number of GiB, at least 1.");
          ok = FALSE;
        }
    }
  else if (gtk_toggle_button_get_active (self->disk_existing_radio) &&
           combo_image (self, self->disk_combo) == NULL)
    {
      hint = _("Choose an image from the image store.");
      ok = FALSE;
    }
  else if (gtk_toggle_button_get_active (self->disk_none_radio) && !kernel)
    hint = _("Without a disk, the guest can only run from its CD-ROM.");

  if (ok && !check_page_with_builder (self, DOMUS_CREATE_PAGE_DISK, &error))
    {
      hint = error->message;
      ok = FALSE;
    }
  gtk_label_set_text (self->disk_hint, hint);
  return ok;
}

static gboolean
validate_network (DomusCreateAssistant *self)
{
  g_autoptr(GError) error = NULL;
  gboolean ok;

  gtk_widget_set_sensitive (GTK_WIDGET (self->bridge_combo),
                            gtk_toggle_button_get_active (self->net_bridge_radio));
  gtk_widget_set_sensitive (GTK_WIDGET (self->network_combo),
                            gtk_toggle_button_get_active (self->net_named_radio));
  ok = check_page_with_builder (self, DOMUS_CREATE_PAGE_NETWORK, &error);
  if (!ok)
    gtk_label_set_text (self->network_hint, error->message);
  else
    {
      gtk_label_set_text (self->network_hint,
                          domus_host_get_network (self->host) == DOMUS_HOST_NETWORK_USER &&
                          gtk_toggle_button_get_active (self->net_bridge_radio)
                          ? _("This host’s daemon gives every guest user-mode networking: the bridge is written to the configuration but not used.")
                          : "");
    }
  return ok;
}

static void
update_summary (DomusCreateAssistant *self,
                gboolean             *complete)
{
  DomusCfgChoices c;
  g_autofree char *owned = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  g_autofree char *filename = NULL;
  g_autofree char *what = NULL;
  g_autofree char *more = NULL;
  g_autofree char *label = NULL;

  collect_choices (self, &c, &owned);
  text = domus_host_write_choices (self->host, &c, &filename, &error);
  if (text == NULL)
    {
      gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->summary_view), "", -1);
      gtk_label_set_text (self->summary_label, error->message);
      *complete = FALSE;
      return;
    }
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->summary_view), text, -1);
  /* A host that keeps a file gets this text as that file; a libvirt host keeps it as
   * its own definition of the domain. */
  if (filename != NULL)
    what = g_strdup_printf (_("This is the file “%s” that will be written on the host. "
                              "The domain starts when you apply."), filename);
  else
    what = g_strdup (_("This is the definition the host will keep for the domain (libvirt’s domain XML). "
                       "The domain starts when you apply."));
  if (gtk_toggle_button_get_active (self->disk_new_radio) && !disk_is_boot_disk (self))
    {
      g_autofree char *size = g_format_size_full ((guint64) gtk_spin_button_get_value_as_int (self->disk_size_spin) * GIB,
                                                  G_FORMAT_SIZE_IEC_UNITS);
      g_autofree char *full_name = new_image_full_name (self);

      if (self->created_image_path == NULL && g_str_has_prefix (c.disk_path, UNKNOWN_IMAGE_DIR "/"))
        more = g_strdup_printf (_("A new image “%s” of %s is created first; its path is filled in "
                                  "once the image store has made it."), full_name, size);
      else
        more = g_strdup_printf (_("A new image “%s” of %s is created first."), full_name, size);
    }
  label = more != NULL ? g_strdup_printf ("%s\n%s", more, what) : g_steal_pointer (&what);
  gtk_label_set_text (self->summary_label, label);
  *complete = TRUE;
}

/* What a clone of the chosen template will be. */
static char *
describe_clone (DomusCreateAssistant *self,
                const char           *name)
{
  const char *template = gtk_combo_box_get_active_id (GTK_COMBO_BOX (self->template_combo));

  if (gtk_toggle_button_get_active (self->template_linked_check))
    return g_strdup_printf (_("“%s”, a linked clone of the template “%s”: its disks are qcow2 overlays "
                              "on the template’s, which stays as it is.\n"), name, template);
  return g_strdup_printf (_("“%s”, a full copy of the template “%s”: its writable disks are copied "
                            "into the image store.\n"), name, template);
}

static void
update_built_summary (DomusCreateAssistant *self,
                      gboolean             *complete)
{
  const char *name = gtk_entry_get_text (self->name_entry);
  GuestSource source = guest_source (self);
  g_autofree char *text = source == SOURCE_DEBIAN ? domus_debian_form_describe (self->debian_form, name)
                          : source == SOURCE_CLOUD ? domus_cloud_form_describe (self->cloud_form, name)
                          : describe_clone (self, name);

  gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->summary_view), text, -1);
  gtk_label_set_text (self->summary_label,
                      source == SOURCE_TEMPLATE
                      ? _("The server copies the template and defines the copy; the domain starts when it is ready.")
                      : _("The server builds this guest and defines it with a configuration of its own; "
                          "the domain starts when it is ready."));
  *complete = TRUE;
}

/* Guests the host builds skip the disk, network and console pages; a clone also the
 * memory and CPUs (its template's config says them). */
static int
forward_page (int      current,
              gpointer user_data)
{
  DomusCreateAssistant *self = user_data;

  if (current == DOMUS_CREATE_PAGE_SOURCE && guest_source (self) == SOURCE_TEMPLATE)
    return DOMUS_CREATE_PAGE_SUMMARY;
  if (current == DOMUS_CREATE_PAGE_RESOURCES && guest_source (self) != SOURCE_CONFIG)
    return DOMUS_CREATE_PAGE_SUMMARY;
  return current + 1 < DOMUS_CREATE_N_PAGES ? current + 1 : -1;
}

void
_domus_create_assistant_update_pages (DomusCreateAssistant *self)
{
  GtkAssistant *assistant = GTK_ASSISTANT (self);
  gboolean summary_ok = FALSE;
  gboolean ok[DOMUS_CREATE_PAGE_SUMMARY];

  ok[DOMUS_CREATE_PAGE_NAME] = validate_name (self);
  ok[DOMUS_CREATE_PAGE_SOURCE] = validate_source (self);
  ok[DOMUS_CREATE_PAGE_RESOURCES] = validate_resources (self);
  ok[DOMUS_CREATE_PAGE_DISK] = validate_disk (self);
  ok[DOMUS_CREATE_PAGE_NETWORK] = validate_network (self);
  ok[DOMUS_CREATE_PAGE_CONSOLE] = TRUE;
  if (guest_source (self) != SOURCE_CONFIG)
    {
      /* The host chooses the disk, network and console of a guest it builds. */
      ok[DOMUS_CREATE_PAGE_DISK] = ok[DOMUS_CREATE_PAGE_NETWORK] = TRUE;
      if (guest_source (self) == SOURCE_TEMPLATE)
        ok[DOMUS_CREATE_PAGE_RESOURCES] = TRUE;
      update_built_summary (self, &summary_ok);
    }
  else
    update_summary (self, &summary_ok);

  for (int i = 0; i < DOMUS_CREATE_PAGE_SUMMARY; i++)
    gtk_assistant_set_page_complete (assistant, gtk_assistant_get_nth_page (assistant, i), ok[i]);
  /* Apply only when every page is right, whichever way the user got here. */
  for (int i = 0; i < DOMUS_CREATE_PAGE_SUMMARY; i++)
    summary_ok = summary_ok && ok[i];
  gtk_assistant_set_page_complete (assistant,
                                   gtk_assistant_get_nth_page (assistant, DOMUS_CREATE_PAGE_SUMMARY),
                                   summary_ok && !self->creating);
}

static void
on_changed (DomusCreateAssistant *self)
{
  if (!self->creating)
    _domus_create_assistant_update_pages (self);
}

static void
on_disk_name_changed (DomusCreateAssistant *self)
{
  if (!self->setting_disk_name)
    self->disk_name_edited = TRUE;
  on_changed (self);
}

static void
on_name_changed_for_disk (DomusCreateAssistant *self)
{
  g_autofree char *name = NULL;

  /* The new image follows the domain's name until the user names it. */
  if (self->disk_name_edited)
    return;
  name = g_strdup_printf ("%s.qcow2", gtk_entry_get_text (self->name_entry));
  self->setting_disk_name = TRUE;
  gtk_entry_set_text (self->disk_name_entry, name);
  self->setting_disk_name = FALSE;
}

static void
on_iso_combo_changed (DomusCreateAssistant *self)
{
  DomusImage *image = combo_image (self, self->iso_combo);

  if (image != NULL)
    gtk_entry_set_text (self->iso_entry, domus_image_get_path (image));
}

/* Info bars: the daemon's errors on the page they concern */

static void
hide_page_errors (DomusCreateAssistant *self)
{
  for (int i = 0; i < DOMUS_CREATE_N_PAGES; i++)
    if (self->infobars[i] != NULL)
      gtk_widget_hide (self->infobars[i]);
}

static void
show_page_error (DomusCreateAssistant *self,
                 DomusCreatePage       page,
                 const char           *message)
{
  self->creating = FALSE;
  gtk_spinner_stop (self->progress_spinner);
  gtk_widget_hide (GTK_WIDGET (self->progress_bar));
  gtk_label_set_text (self->infobar_labels[page], message);
  gtk_widget_show (self->infobars[page]);
  _domus_create_assistant_update_pages (self);
  gtk_assistant_set_current_page (GTK_ASSISTANT (self), page);
}

static void
on_infobar_response (GtkInfoBar *bar,
                     int         response,
                     gpointer    user_data)
{
  gtk_widget_hide (GTK_WIDGET (bar));
}

static void
add_infobar (DomusCreateAssistant *self,
             DomusCreatePage       page)
{
  GtkWidget *container = gtk_assistant_get_nth_page (GTK_ASSISTANT (self), page);
  GtkWidget *bar = gtk_info_bar_new ();
  GtkWidget *label = gtk_label_new (NULL);

  gtk_info_bar_set_message_type (GTK_INFO_BAR (bar), GTK_MESSAGE_ERROR);
  gtk_info_bar_set_show_close_button (GTK_INFO_BAR (bar), TRUE);
  gtk_label_set_line_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_widget_show (label);
  gtk_container_add (GTK_CONTAINER (gtk_info_bar_get_content_area (GTK_INFO_BAR (bar))), label);
  atk_object_set_name (gtk_widget_get_accessible (label), _("Error"));
  g_signal_connect (bar, "response", G_CALLBACK (on_infobar_response), NULL);
  /* Hidden until there is something to say; show_all on the assistant must not show it. */
  gtk_widget_set_no_show_all (bar, TRUE);

  if (GTK_IS_GRID (container))
    {
      gtk_grid_insert_row (GTK_GRID (container), 0);
      gtk_grid_attach (GTK_GRID (container), bar, 0, 0, 2, 1);
    }
  else
    {
      gtk_box_pack_start (GTK_BOX (container), bar, FALSE, FALSE, 0);
      gtk_box_reorder_child (GTK_BOX (container), bar, 0);
    }
  self->infobars[page] = bar;
  self->infobar_labels[page] = GTK_LABEL (label);
}

/*
 * The page a daemon's error concerns. invalid-config messages read
 * "FILE:LINE:COL: KEY: what" (docs/config-format.md): the key says where it goes.
 */
static DomusCreatePage
page_for_daemon_error (DomusCreateAssistant *self,
                       const GError         *error)
{
  struct { const char *key; DomusCreatePage page; } keys[] = {
    { ": name:", DOMUS_CREATE_PAGE_NAME },
    { ": memory:", DOMUS_CREATE_PAGE_RESOURCES },
    { ": vcpus:", DOMUS_CREATE_PAGE_RESOURCES },
    { ": kernel:", DOMUS_CREATE_PAGE_SOURCE },
    { ": ramdisk:", DOMUS_CREATE_PAGE_SOURCE },
    { ": extra:", DOMUS_CREATE_PAGE_SOURCE },
    { ": boot:", DOMUS_CREATE_PAGE_SOURCE },
    { ": cdrom:", DOMUS_CREATE_PAGE_SOURCE },
    { ": disk:", DOMUS_CREATE_PAGE_DISK },
    { ": vif:", DOMUS_CREATE_PAGE_NETWORK },
    { ": vnc:", DOMUS_CREATE_PAGE_CONSOLE },
  };

  if (g_error_matches (error, DOMUS_ERROR, DOMUS_ERROR_ALREADY_EXISTS) ||
      g_error_matches (error, DOMUS_ERROR, DOMUS_ERROR_ALREADY_RUNNING))
    return DOMUS_CREATE_PAGE_NAME;
  if (!g_error_matches (error, DOMUS_ERROR, DOMUS_ERROR_INVALID_CONFIG))
    return DOMUS_CREATE_PAGE_SUMMARY;

  for (gsize i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      if (strstr (error->message, keys[i].key) == NULL)
        continue;
      /* The ISO is a `disk` entry too, but the user chose it on the source page. */
      if (keys[i].page == DOMUS_CREATE_PAGE_DISK &&
          gtk_toggle_button_get_active (self->source_iso_radio) &&
          gtk_entry_get_text (self->iso_entry)[0] != '\0' &&
          strstr (error->message, gtk_entry_get_text (self->iso_entry)) != NULL)
        return DOMUS_CREATE_PAGE_SOURCE;
      if (keys[i].page == DOMUS_CREATE_PAGE_DISK && disk_is_boot_disk (self))
        return DOMUS_CREATE_PAGE_SOURCE;
      return keys[i].page;
    }
  return DOMUS_CREATE_PAGE_SUMMARY;
}

/* Finishing: image.create when a new disk is wanted, then domain.create */

static void
forget_created_image (DomusCreateAssistant *self)
{
  /* Best effort, and nothing waits for it: a left-over image is only clutter, shown in
   * the image store where the user can delete it. */
  if (self->created_image != NULL && domus_host_get_state (self->host) == DOMUS_HOST_STATE_CONNECTED)
    domus_host_delete_image_async (self->host, self->created_image, NULL, NULL, NULL);
  g_clear_pointer (&self->created_image, g_free);
  g_clear_pointer (&self->created_image_path, g_free);
}

static void
domain_created (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(DomusCreateAssistant) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(DomusDomainInfo) created = NULL;
  g_autofree char *name = NULL;

  created = domus_host_define_domain_finish (DOMUS_HOST (source), result, &error);
  if (g_cancellable_is_cancelled (self->cancellable))
    return;
  if (created == NULL)
    {
      DomusCreatePage page = page_for_daemon_error (self, error);

      forget_created_image (self);
      show_page_error (self, page, error->message);
      return;
    }

  name = g_strdup (gtk_entry_get_text (self->name_entry));
  self->creating = FALSE;
  g_signal_emit (self, signals[SIGNAL_CREATED], 0, name);
  gtk_widget_destroy (GTK_WIDGET (self));
}

static void
create_domain (DomusCreateAssistant *self)
{
  DomusCfgChoices c;
  g_autofree char *owned = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  g_autofree char *filename = NULL;
  gboolean complete;

  /* With a new image the path is now the store's own: show what is really written. */
  update_summary (self, &complete);
  collect_choices (self, &c, &owned);
  text = domus_host_write_choices (self->host, &c, &filename, &error);
  if (text == NULL)
    {
      forget_created_image (self);
      show_page_error (self, page_for_cfg_error (error), error->message);
      return;
    }
  if (domus_host_get_state (self->host) != DOMUS_HOST_STATE_CONNECTED)
    {
      forget_created_image (self);
      show_page_error (self, DOMUS_CREATE_PAGE_SUMMARY, _("The host is not connected."));
      return;
    }

  gtk_label_set_text (self->progress_label, _("Creating and starting the domain…"));
  /* The host writes the choices in its own form (a .cfg, or libvirt's XML). */
  domus_host_create_domain_from_choices_async (self->host, &c, TRUE, self->cancellable,
                                               domain_created, g_object_ref (self));
}

static void
image_created (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(DomusCreateAssistant) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(DomusImage) image = NULL;
  const char *path;

  image = domus_host_create_image_finish (DOMUS_HOST (source), result, &error);
  if (g_cancellable_is_cancelled (self->cancellable))
    return;
  if (image == NULL)
    {
      show_page_error (self, DOMUS_CREATE_PAGE_DISK, error->message);
      return;
    }
  path = domus_image_get_path (image);
  if (path == NULL)
    {
      show_page_error (self, DOMUS_CREATE_PAGE_DISK,
                       _("The image store did not say where it put the new image."));
      return;
    }
  self->created_image = new_image_full_name (self);
  self->created_image_path = g_strdup (path);
  create_domain (self);
}

/* Finishing a guest the host builds (DomusGuestBuild): its progress on the last page, and
 * a refusal on the page it concerns. */

static DomusCreatePage
page_for_build_error (DomusGuestBuildStep  step,
                      const GError        *error)
{
  if (step == DOMUS_GUEST_BUILD_STEP_START)
    return DOMUS_CREATE_PAGE_SUMMARY;
  if (g_error_matches (error, DOMUS_ERROR, DOMUS_ERROR_ALREADY_EXISTS))
    return DOMUS_CREATE_PAGE_NAME;
  if (g_error_matches (error, DOMUS_ERROR, DOMUS_ERROR_CLOSED) ||
      g_error_matches (error, DOMUS_ERROR, DOMUS_ERROR_DISCONNECTED))
    return DOMUS_CREATE_PAGE_SUMMARY;
  return DOMUS_CREATE_PAGE_SOURCE;
}

static void
build_progress (DomusGuestBuild      *build,
                const char           *text,
                double                fraction,
                DomusCreateAssistant *self)
{
  gtk_label_set_text (self->progress_label, text);
  gtk_widget_set_visible (GTK_WIDGET (self->progress_bar), fraction >= 0);
  if (fraction >= 0)
    {
      g_autofree char *percent = g_strdup_printf ("%d %%", (int) (fraction * 100 + 0.5));

      gtk_progress_bar_set_fraction (self->progress_bar, fraction);
      gtk_progress_bar_set_text (self->progress_bar, percent);
    }
}

static void
guest_built (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(DomusCreateAssistant) self = user_data;
  g_autoptr(GError) error = NULL;
  DomusGuestBuildStep step = DOMUS_GUEST_BUILD_STEP_BUILD;
  g_autofree char *name = domus_guest_build_run_finish (DOMUS_GUEST_BUILD (source), result, &step, &error);
  g_autofree char *message = NULL;

  if (g_cancellable_is_cancelled (self->cancellable))
    return;
  if (name != NULL)
    {
      self->creating = FALSE;
      g_signal_emit (self, signals[SIGNAL_CREATED], 0, name);
      gtk_widget_destroy (GTK_WIDGET (self));
      return;
    }
  if (step == DOMUS_GUEST_BUILD_STEP_START)
    message = g_strdup_printf (_("“%s” was built and defined, but did not start: %s"),
                               gtk_entry_get_text (self->name_entry), error->message);
  else if (g_error_matches (error, DOMUS_ERROR, DOMUS_ERROR_METHOD_NOT_FOUND))
    message = g_strdup (_("This server’s daemon cannot make guests of cloud images (it has no such call): "
                          "update Domus on the server."));
  else
    message = g_strdup (error->message);
  /* Only a guest that was built is kept: Apply then starts it; otherwise it is asked anew. */
  if (step != DOMUS_GUEST_BUILD_STEP_START)
    g_clear_object (&self->build);
  g_message ("%s", message);
  show_page_error (self, page_for_build_error (step, error), message);
}

static DomusGuestBuild *
make_build (DomusCreateAssistant *self)
{
  const char *name = gtk_entry_get_text (self->name_entry);
  gint64 memory = 0, vcpus = 1;
  g_autofree char *key_file = NULL;
  DomusGuestBuild *build;

  if (!spin_text_value (self->memory_spin, &memory))
    memory = 0;
  if (!spin_text_value (self->vcpus_spin, &vcpus))
    vcpus = 1;
  if (guest_source (self) == SOURCE_TEMPLATE)
    build = domus_guest_build_new_clone (self->host, name,
                                         gtk_combo_box_get_active_id (GTK_COMBO_BOX (self->template_combo)),
                                         gtk_toggle_button_get_active (self->template_linked_check));
  else if (guest_source (self) == SOURCE_DEBIAN)
    {
      key_file = domus_debian_form_dup_key_file (self->debian_form);
      build = domus_guest_build_new_debian (self->host, name,
                                            domus_debian_form_make_request (self->debian_form, NULL, memory),
                                            key_file, vcpus);
    }
  else
    {
      key_file = domus_cloud_form_dup_key_file (self->cloud_form);
      build = domus_guest_build_new_cloud (self->host, name,
                                           domus_cloud_form_make_request (self->cloud_form, NULL, memory),
                                           key_file, vcpus);
    }
  g_signal_connect_object (build, "progress", G_CALLBACK (build_progress), self, 0);
  return build;
}

static void
start_build (DomusCreateAssistant *self)
{
  if (self->build == NULL)
    self->build = make_build (self);
  domus_guest_build_run_async (self->build, self->cancellable, guest_built, g_object_ref (self));
}

static gboolean
start_creating (gpointer user_data)
{
  DomusCreateAssistant *self = user_data;

  if (g_cancellable_is_cancelled (self->cancellable))
    return G_SOURCE_REMOVE;
  if (domus_host_get_state (self->host) != DOMUS_HOST_STATE_CONNECTED)
    {
      show_page_error (self, DOMUS_CREATE_PAGE_SUMMARY, _("The host is not connected."));
      return G_SOURCE_REMOVE;
    }
  if (guest_source (self) != SOURCE_CONFIG)
    {
      start_build (self);
      return G_SOURCE_REMOVE;
    }

  if (!disk_is_boot_disk (self) && gtk_toggle_button_get_active (self->disk_new_radio) &&
      self->created_image == NULL)
    {
      g_autofree char *full_name = new_image_full_name (self);

      gtk_label_set_text (self->progress_label, _("Creating the disk image…"));
      domus_host_create_image_async (self->host, full_name, "qcow2",
                                     (guint64) gtk_spin_button_get_value_as_int (self->disk_size_spin) * GIB,
                                     self->cancellable, image_created, g_object_ref (self));
      return G_SOURCE_REMOVE;
    }
  create_domain (self);
  return G_SOURCE_REMOVE;
}

static void
on_apply (GtkAssistant *assistant,
          gpointer      user_data)
{
  DomusCreateAssistant *self = DOMUS_CREATE_ASSISTANT (assistant);

  /* GtkAssistant moves on to the progress page once this handler returns: the work starts
   * from an idle so that an error can move to its page afterwards. */
  self->creating = TRUE;
  hide_page_errors (self);
  gtk_spinner_start (self->progress_spinner);
  g_idle_add_full (G_PRIORITY_DEFAULT, start_creating, g_object_ref (self), g_object_unref);
}

static void
on_cancel (GtkAssistant *assistant,
           gpointer      user_data)
{
  gtk_widget_destroy (GTK_WIDGET (assistant));
}

static void
on_prepare (GtkAssistant *assistant,
            GtkWidget    *page,
            gpointer      user_data)
{
  DomusCreateAssistant *self = DOMUS_CREATE_ASSISTANT (assistant);

  if (!self->creating)
    _domus_create_assistant_update_pages (self);
}

/* File choosers, for hosts whose files are this machine's */

static void
on_chooser_response (GtkNativeDialog      *dialog,
                     int                   response,
                     DomusCreateAssistant *self)
{
  if (response == GTK_RESPONSE_ACCEPT && self->chooser_target != NULL)
    {
      g_autofree char *path = gtk_file_chooser_get_filename (GTK_FILE_CHOOSER (dialog));

      if (path != NULL)
        gtk_entry_set_text (self->chooser_target, path);
    }
  self->chooser_target = NULL;
  g_clear_object (&self->chooser);
}

static void
on_browse_clicked (GtkButton *button,
                   gpointer   user_data)
{
  DomusCreateAssistant *self = DOMUS_CREATE_ASSISTANT (user_data);
  const char *title;

  if (self->chooser != NULL)
    return;
  if (button == GTK_BUTTON (self->iso_browse))
    {
      self->chooser_target = self->iso_entry;
      title = _("Choose an ISO Image");
    }
  else if (button == GTK_BUTTON (self->kernel_browse))
    {
      self->chooser_target = self->kernel_entry;
      title = _("Choose a Kernel");
    }
  else
    {
      self->chooser_target = self->ramdisk_entry;
      title = _("Choose a Ramdisk");
    }
  self->chooser = gtk_file_chooser_native_new (title, GTK_WINDOW (self), GTK_FILE_CHOOSER_ACTION_OPEN,
                                               NULL, NULL);
  gtk_file_chooser_set_local_only (GTK_FILE_CHOOSER (self->chooser), TRUE);
  if (self->chooser_target == self->iso_entry)
    {
      GtkFileFilter *filter = gtk_file_filter_new ();

      gtk_file_filter_set_name (filter, _("ISO images"));
      gtk_file_filter_add_pattern (filter, "*.iso");
      gtk_file_filter_add_pattern (filter, "*.ISO");
      gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->chooser), filter);
    }
  g_signal_connect (self->chooser, "response", G_CALLBACK (on_chooser_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

/* GObject */

static void
domus_create_assistant_dispose (GObject *object)
{
  DomusCreateAssistant *self = DOMUS_CREATE_ASSISTANT (object);

  g_cancellable_cancel (self->cancellable);
  if (self->debian_form != NULL)
    domus_debian_form_forget_password (self->debian_form);
  if (self->chooser != NULL)
    {
      gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
      g_clear_object (&self->chooser);
    }
  g_clear_object (&self->build);
  g_clear_object (&self->host);
  G_OBJECT_CLASS (domus_create_assistant_parent_class)->dispose (object);
}

static void
domus_create_assistant_finalize (GObject *object)
{
  DomusCreateAssistant *self = DOMUS_CREATE_ASSISTANT (object);

  g_clear_object (&self->cancellable);
  g_free (self->created_image);
  g_free (self->created_image_path);
  G_OBJECT_CLASS (domus_create_assistant_parent_class)->finalize (object);
}

static void
domus_create_assistant_class_init (DomusCreateAssistantClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = domus_create_assistant_dispose;
  object_class->finalize = domus_create_assistant_finalize;

  /**
   * DomusCreateAssistant::created:
   * @name: the new domain's name
   *
   * The daemon created and started the domain; the assistant closes right after.
   */
  signals[SIGNAL_CREATED] =
    g_signal_new ("created", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  g_type_ensure (DOMUS_TYPE_DEBIAN_FORM);
  g_type_ensure (DOMUS_TYPE_CLOUD_FORM);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/domus/Domus/ui/domus-create-assistant.ui");
#define BIND(name) gtk_widget_class_bind_template_child (widget_class, DomusCreateAssistant, name)
  BIND (name_entry);
  BIND (name_hint);
  BIND (source_iso_radio);
  BIND (source_kernel_radio);
  BIND (source_disk_radio);
  BIND (iso_grid);
  BIND (iso_combo);
  BIND (iso_entry);
  BIND (iso_browse);
  BIND (kernel_grid);
  BIND (kernel_entry);
  BIND (kernel_browse);
  BIND (ramdisk_entry);
  BIND (ramdisk_browse);
  BIND (extra_entry);
  BIND (boot_disk_combo);
  BIND (source_hint);
  BIND (memory_spin);
  BIND (vcpus_spin);
  BIND (limits_label);
  BIND (disk_new_radio);
  BIND (disk_new_grid);
  BIND (disk_name_entry);
  BIND (disk_size_spin);
  BIND (disk_pool_label);
  BIND (disk_pool_combo);
  BIND (disk_existing_radio);
  BIND (disk_combo);
  BIND (disk_none_radio);
  BIND (disk_hint);
  BIND (net_user_radio);
  BIND (net_bridge_radio);
  BIND (bridge_combo);
  BIND (bridge_entry);
  BIND (net_named_radio);
  BIND (network_combo);
  BIND (net_none_radio);
  BIND (network_hint);
  BIND (vnc_check);
  BIND (summary_label);
  BIND (summary_view);
  BIND (progress_spinner);
  BIND (progress_label);
  BIND (progress_bar);
  BIND (source_debian_radio);
  BIND (debian_form);
  BIND (source_cloud_radio);
  BIND (source_template_radio);
  BIND (template_grid);
  BIND (template_combo);
  BIND (template_linked_check);
  BIND (cloud_form);
#undef BIND
  gtk_widget_class_bind_template_callback (widget_class, on_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_disk_name_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_iso_combo_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_browse_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_apply);
  gtk_widget_class_bind_template_callback (widget_class, on_cancel);
  gtk_widget_class_bind_template_callback (widget_class, on_prepare);
}

static void
domus_create_assistant_init (DomusCreateAssistant *self)
{
  self->cancellable = g_cancellable_new ();
  gtk_widget_init_template (GTK_WIDGET (self));
  for (int page = 0; page < DOMUS_CREATE_PAGE_PROGRESS; page++)
    add_infobar (self, page);
  g_signal_connect_swapped (self->name_entry, "changed", G_CALLBACK (on_name_changed_for_disk), self);
  gtk_assistant_set_forward_page_func (GTK_ASSISTANT (self), forward_page, self, NULL);
}

GtkWidget *
domus_create_assistant_new (DomusHost *host)
{
  DomusCreateAssistant *self;

  g_return_val_if_fail (DOMUS_IS_HOST (host), NULL);

  self = g_object_new (DOMUS_TYPE_CREATE_ASSISTANT, NULL);
  self->host = g_object_ref (host);
  /* A domain created elsewhere meanwhile takes its name: check the name again. */
  g_signal_connect_object (domus_host_get_domains (host), "items-changed",
                           G_CALLBACK (on_changed), self, G_CONNECT_SWAPPED);
  _domus_create_assistant_read_host (self);
  on_name_changed_for_disk (self);
  _domus_create_assistant_update_pages (self);
  return GTK_WIDGET (self);
}

DomusHost *
domus_create_assistant_get_host (DomusCreateAssistant *self)
{
  g_return_val_if_fail (DOMUS_IS_CREATE_ASSISTANT (self), NULL);

  return self->host;
}

char *
domus_create_assistant_dup_config (DomusCreateAssistant *self)
{
  DomusCfgChoices c;
  g_autofree char *owned = NULL;
  g_autofree char *filename = NULL;

  g_return_val_if_fail (DOMUS_IS_CREATE_ASSISTANT (self), NULL);

  collect_choices (self, &c, &owned);
  return domus_host_write_choices (self->host, &c, &filename, NULL);
}

const char *
domus_create_assistant_get_page_error (DomusCreateAssistant *self,
                                       DomusCreatePage       page)
{
  g_return_val_if_fail (DOMUS_IS_CREATE_ASSISTANT (self), NULL);
  g_return_val_if_fail (page < DOMUS_CREATE_N_PAGES, NULL);

  if (self->infobars[page] == NULL || !gtk_widget_get_visible (self->infobars[page]))
    return NULL;
  return gtk_label_get_text (self->infobar_labels[page]);
}
