/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Clones: qemu-img copies or overlays written under hidden names, a new seed, and the edited .cfg. */

#include "config.h"

#include <errno.h>
#include <string.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "hv-clone.h"
#include "hv-cloud-seed.h"
#include "hv-domain-spec.h"
#include "hv-tool.h"

G_DEFINE_QUARK (hv-clone-error-quark, hv_clone_error)

#define SEED_SUFFIX "-seed.iso"

typedef struct {
  char     *source_path;
  char     *new_name;
  char     *image_dir;
  char     *config_dir;
  gboolean  linked;
} CloneData;

/* A file this clone makes: written as `temporary`, renamed to `path` once all are whole. */
typedef struct {
  char     *path;
  char     *temporary;
  gboolean  published;  /* at `path` now: removed there if the clone fails after all */
} NewFile;

static void
clone_data_free (CloneData *data)
{
  g_free (data->source_path);
  g_free (data->new_name);
  g_free (data->image_dir);
  g_free (data->config_dir);
  g_free (data);
}

static void
new_file_free (NewFile *file)
{
  if (file->temporary != NULL)
    g_unlink (file->temporary);
  g_free (file->temporary);
  g_free (file->path);
  g_free (file);
}

void
hv_clone_result_free (HvCloneResult *result)
{
  if (result == NULL)
    return;
  g_free (result->config_path);
  g_ptr_array_unref (result->images);
  g_free (result);
}

gboolean
hv_clone_is_template (HvConfig  *config,
                      gboolean  *template,
                      GError   **error)
{
  return hv_config_get_bool (config, "template", FALSE, template, error);
}

void
hv_clone_set_template (HvConfig *config,
                       gboolean  template)
{
  if (template)
    hv_config_set_int (config, "template", 1);
  else
    hv_config_remove (config, "template");
}

static NewFile *
plan_file (const char  *image_dir,
           const char  *name,
           GPtrArray   *files,
           GError     **error)
{
  NewFile *file;

  if (strchr (name, '/') != NULL || *name == '.')
    {
      g_set_error (error, HV_CLONE_ERROR, HV_CLONE_ERROR_INVALID_NAME, _("“%s” cannot be an image name."), name);
      return NULL;
    }
  file = g_new0 (NewFile, 1);
  file->path = g_build_filename (image_dir, name, NULL);
  if (g_file_test (file->path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, HV_CLONE_ERROR, HV_CLONE_ERROR_EXISTS,
                   _("%s exists already; choose another name or remove it first."), file->path);
      new_file_free (file);
      return NULL;
    }
  file->temporary = g_strdup_printf ("%s/.%s.clone", image_dir, name);
  g_ptr_array_add (files, file);
  return file;
}

static gboolean
run_qemu_img (const char * const  *argv,
              GCancellable        *cancellable,
              GError             **error)
{
  g_autofree char *err = NULL;
  int status = 0;

  if (!hv_tool_run (argv, NULL, NULL, &err, &status, cancellable, error))
    return FALSE;
  if (status != 0)
    {
      g_autofree char *last = hv_tool_last_line (err);

      g_set_error (error, HV_CLONE_ERROR, HV_CLONE_ERROR_FAILED, _("qemu-img %s failed: %s"), argv[1], last);
      return FALSE;
    }
  return TRUE;
}

/* The new disk; returns the entry's new backend ("tap:qcow2" for an overlay). */
static gboolean
copy_disk (const CloneData   *data,
           const HvDiskSpec  *disk,
           const char        *name,
           GPtrArray         *files,
           GCancellable      *cancellable,
           char             **new_path,
           GError           **error)
{
  const char *format = disk->format != NULL ? disk->format : "raw";
  g_autofree char *file_name = NULL;
  NewFile *file;

  if (g_str_equal (disk->backend, "phy"))
    {
      g_set_error (error, HV_CLONE_ERROR, HV_CLONE_ERROR_UNSUPPORTED,
                   _("disk %u (%s) is a block device: Domus copies image files only; copy it yourself and clone the others."),
                   disk->number, disk->path);
      return FALSE;
    }
  file_name = g_strdup_printf ("%s.%s", name, data->linked || g_str_equal (format, "qcow2") ? "qcow2" : "img");
  file = plan_file (data->image_dir, file_name, files, error);
  if (file == NULL)
    return FALSE;
  if (data->linked)
    {
      /* The template's disk by its full path, opened with its recorded format. */
      const char *argv[] = { "qemu-img", "create", "-q", "-f", "qcow2", "-b", disk->path, "-F", format,
                             file->temporary, NULL };

      if (!run_qemu_img (argv, cancellable, error))
        return FALSE;
    }
  else
    {
      /* convert, not cp: a qcow2 on a backing file becomes one standalone image. */
      const char *argv[] = { "qemu-img", "convert", "-f", format, "-O", format, disk->path, file->temporary, NULL };

      if (!run_qemu_img (argv, cancellable, error))
        return FALSE;
    }
  *new_path = g_strdup (file->path);
  return TRUE;
}

/* A Domus seed: the clone gets a new instance id (a new machine to the guest) and name. */
static gboolean
copy_seed (const CloneData   *data,
           const HvDiskSpec  *disk,
           GPtrArray         *files,
           GCancellable      *cancellable,
           char             **new_path,
           GError           **error)
{
  g_autofree char *file_name = g_strconcat (data->new_name, SEED_SUFFIX, NULL);
  g_autofree char *uuid = g_uuid_string_random ();
  g_autofree char *instance_id = g_strdup_printf ("domus-%s", uuid);
  g_autofree char *hostname = g_strdelimit (g_ascii_strdown (data->new_name, -1), "_.", '-');
  g_autoptr(HvCloudSeed) seed = NULL;
  NewFile *file = plan_file (data->image_dir, file_name, files, error);
  GError *local = NULL;

  if (file == NULL)
    return FALSE;
  seed = hv_cloud_seed_load (disk->path, cancellable, &local);
  if (seed != NULL)
    {
      hv_cloud_seed_set_instance_id (seed, instance_id);
      hv_cloud_seed_set_hostname (seed, hostname);
      /* Written straight to its name: hv_cloud_seed_write renames into place itself. */
      g_clear_pointer (&file->temporary, g_free);
      if (hv_cloud_seed_write (seed, file->path, cancellable, &local))
        {
          file->published = TRUE;
          *new_path = g_strdup (file->path);
          return TRUE;
        }
    }
  g_set_error (error, HV_CLONE_ERROR, HV_CLONE_ERROR_FAILED, _("The seed %s: %s"), disk->path, local->message);
  g_error_free (local);
  return FALSE;
}

/* "backend:path,rest" with the path (and, for an overlay, the backend) replaced. */
static char *
replace_disk_path (const char       *entry,
                   const HvDiskSpec *disk,
                   const char       *backend,
                   const char       *path)
{
  const char *comma = strchr (entry, ',');

  return g_strdup_printf ("%s%s%s%s", backend, *backend != '\0' ? ":" : "", path, comma != NULL ? comma : "");
}

/* A forward of the source, moved to a host port that no other domain forwards: the clone
 * must be able to run beside its source. */
static char *
forward_for_clone (const char         *value,
                   const char * const *config_dirs)
{
  g_autofree char *message = NULL;
  g_autoptr(HvPortForward) forward = hv_port_forward_parse (value, &message);
  g_autofree char *text = NULL;
  guint port;

  if (forward == NULL)
    return g_strconcat ("forward=", value, NULL);
  port = hv_port_forward_pick_free_port (config_dirs, forward->host_port);
  if (port != 0)
    forward->host_port = port;
  text = hv_port_forward_to_string (forward);
  return g_strconcat ("forward=", text, NULL);
}

/* Every vif a new MAC, and its port forwards new host ports; the other items kept. */
static gboolean
rewrite_vifs (HvConfig            *config,
              const char * const  *config_dirs,
              GError             **error)
{
  g_auto(GStrv) vifs = NULL;
  g_autoptr(GStrvBuilder) rewritten = g_strv_builder_new ();
  g_auto(GStrv) result = NULL;

  if (!hv_config_has_key (config, "vif"))
    return TRUE;
  if (!hv_config_get_string_list (config, "vif", &vifs, error))
    return FALSE;
  for (guint i = 0; vifs[i] != NULL; i++)
    {
      g_auto(GStrv) items = g_strsplit (vifs[i], ",", -1);
      g_autoptr(GStrvBuilder) kept = g_strv_builder_new ();
      g_auto(GStrv) kept_items = NULL;
      g_autofree char *joined = NULL;
      g_autofree char *mac = hv_domain_spec_generate_mac ();

      for (guint j = 0; items[j] != NULL; j++)
        {
          g_autofree char *item = g_strstrip (g_strdup (items[j]));
          const char *equals = strchr (item, '=');
          g_autofree char *key = equals != NULL ? g_strstrip (g_strndup (item, equals - item)) : NULL;

          if (g_strcmp0 (key, "forward") == 0)
            {
              g_autofree char *value = g_strstrip (g_strdup (equals + 1));
              g_autofree char *moved = forward_for_clone (value, config_dirs);

              g_strv_builder_add (kept, moved);
            }
          else if (*item != '\0' && g_strcmp0 (key, "mac") != 0)
            g_strv_builder_add (kept, item);
        }
      kept_items = g_strv_builder_end (kept);
      joined = g_strjoinv (", ", kept_items);
      g_autofree char *with_mac = hv_domain_spec_vif_entry_with_mac (joined, mac);

      g_strv_builder_add (rewritten, with_mac);
    }
  result = g_strv_builder_end (rewritten);
  hv_config_set_string_list (config, "vif", (const char * const *) result);
  return TRUE;
}

static gboolean
is_domus_seed (const HvDiskSpec *disk)
{
  return disk->cdrom && *disk->path != '\0' && g_str_has_suffix (disk->path, SEED_SUFFIX);
}

static gboolean
copy_disks (const CloneData     *data,
            HvConfig            *config,
            const HvDomainSpec  *spec,
            GPtrArray           *files,
            GCancellable        *cancellable,
            GError             **error)
{
  g_auto(GStrv) entries = NULL;
  guint n_copied = 0;

  if (!hv_config_get_string_list (config, "disk", &entries, error))
    return FALSE;
  for (guint i = 0; i < spec->disks->len; i++)
    {
      const HvDiskSpec *disk = g_ptr_array_index (spec->disks, i);
      g_autofree char *new_path = NULL;
      const char *backend = disk->backend;
      char **entry;

      /* The `cdrom` key's drive (number 0) and read-only disks are shared. */
      if (disk->number == 0 || disk->number > g_strv_length (entries))
        continue;
      entry = &entries[disk->number - 1];
      if (is_domus_seed (disk))
        {
          if (!copy_seed (data, disk, files, cancellable, &new_path, error))
            return FALSE;
        }
      else if (!disk->cdrom && !disk->readonly && *disk->path != '\0')
        {
          g_autofree char *name = n_copied == 0 ? g_strdup (data->new_name)
                                                : g_strdup_printf ("%s-disk%u", data->new_name, disk->number);

          if (!copy_disk (data, disk, name, files, cancellable, &new_path, error))
            return FALSE;
          if (data->linked)
            backend = "tap:qcow2";
          n_copied++;
        }
      else
        continue;
      {
        char *replaced = replace_disk_path (*entry, disk, backend, new_path);

        g_free (*entry);
        *entry = replaced;
      }
    }
  hv_config_set_string_list (config, "disk", (const char * const *) entries);
  return TRUE;
}

static gboolean
publish_files (GPtrArray  *files,
               GError    **error)
{
  for (guint i = 0; i < files->len; i++)
    {
      NewFile *file = g_ptr_array_index (files, i);

      if (file->temporary == NULL)
        continue;
      if (g_rename (file->temporary, file->path) != 0)
        {
          g_set_error (error, HV_CLONE_ERROR, HV_CLONE_ERROR_IO, _("Cannot rename %s to %s: %s"),
                       file->temporary, file->path, g_strerror (errno));
          return FALSE;
        }
      g_clear_pointer (&file->temporary, g_free);
      file->published = TRUE;
    }
  return TRUE;
}

static HvCloneResult *
clone_domain (const CloneData  *data,
              GPtrArray        *files,
              GCancellable     *cancellable,
              GError          **error)
{
  g_autoptr(HvConfig) config = hv_config_new_from_file (data->source_path, error);
  g_autoptr(HvDomainSpec) spec = NULL;
  g_autofree char *config_name = g_strconcat (data->new_name, ".cfg", NULL);
  g_autofree char *config_path = g_build_filename (data->config_dir, config_name, NULL);
  HvCloneResult *result;
  gboolean template = FALSE;

  if (config == NULL)
    return NULL;
  if (!hv_domain_name_is_valid (data->new_name))
    {
      g_set_error (error, HV_CLONE_ERROR, HV_CLONE_ERROR_INVALID_NAME,
                   _("name: “%s” is not a domain name (letters, digits, “.”, “_” and “-”, at most 64)"),
                   data->new_name);
      return NULL;
    }
  if (g_file_test (config_path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, HV_CLONE_ERROR, HV_CLONE_ERROR_EXISTS,
                   _("%s exists already; choose another name or remove it first."), config_path);
      return NULL;
    }
  spec = hv_domain_spec_new (config, HV_DOMAIN_SPEC_STRICT_FILES, error);
  if (spec == NULL || !hv_clone_is_template (config, &template, error))
    return NULL;
  if (data->linked && !template)
    {
      g_set_error (error, HV_CLONE_ERROR, HV_CLONE_ERROR_NOT_TEMPLATE,
                   _("A linked clone stands on its source's disks, which must then never change: mark “%s” as a template first."),
                   spec->name);
      return NULL;
    }
  {
    g_autofree char *source_dir = g_path_get_dirname (data->source_path);
    const char *config_dirs[] = { source_dir, data->config_dir, NULL };

    if (!copy_disks (data, config, spec, files, cancellable, error) ||
        !rewrite_vifs (config, config_dirs, error))
      return NULL;
  }
  hv_config_set_string (config, "name", data->new_name);
  if (hv_config_has_key (config, "hostname"))
    hv_config_set_string (config, "hostname", data->new_name);
  hv_config_remove (config, "uuid");
  hv_clone_set_template (config, FALSE);
  if (!publish_files (files, error) || !hv_config_save (config, config_path, error))
    return NULL;

  result = g_new0 (HvCloneResult, 1);
  result->config_path = g_steal_pointer (&config_path);
  result->images = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < files->len; i++)
    {
      NewFile *file = g_ptr_array_index (files, i);

      g_ptr_array_add (result->images, g_strdup (file->path));
      /* The clone is whole: its files are the new domain's now. */
      file->published = FALSE;
    }
  return result;
}

static void
clone_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func ((GDestroyNotify) new_file_free);
  GError *error = NULL;
  HvCloneResult *result = clone_domain (task_data, files, cancellable, &error);

  if (result == NULL)
    {
      /* Files already at their names (a seed, or all of them when the .cfg failed) go too;
       * the hidden ones go with the list. */
      for (guint i = 0; i < files->len; i++)
        {
          NewFile *file = g_ptr_array_index (files, i);

          if (file->published)
            g_unlink (file->path);
        }
      g_task_return_error (task, error);
      return;
    }
  g_task_return_pointer (task, result, (GDestroyNotify) hv_clone_result_free);
}

void
hv_clone_async (const char          *source_path,
                const char          *new_name,
                const char          *image_dir,
                const char          *config_dir,
                gboolean             linked,
                GCancellable        *cancellable,
                GAsyncReadyCallback  callback,
                gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  CloneData *data = g_new0 (CloneData, 1);

  g_task_set_source_tag (task, hv_clone_async);
  data->source_path = g_strdup (source_path);
  data->new_name = g_strdup (new_name);
  data->image_dir = g_strdup (image_dir);
  data->config_dir = g_strdup (config_dir);
  data->linked = linked;
  g_task_set_task_data (task, data, (GDestroyNotify) clone_data_free);
  g_task_run_in_thread (task, clone_thread);
}

HvCloneResult *
hv_clone_finish (GAsyncResult  *result,
                 GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
