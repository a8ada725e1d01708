/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Reads the config folder: which domains it defines, and which files are broken. */

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "hv-clone.h"
#include "hv-config.h"
#include "hv-defined.h"
#include "hv-domain-spec.h"

void
hv_defined_free (HvDefined *defined)
{
  if (defined == NULL)
    return;
  g_free (defined->name);
  g_free (defined->path);
  g_free (defined->error);
  g_strfreev (defined->tags);
  g_free (defined);
}

/* What one .cfg file says about its domain, or why it says nothing usable. */
static HvDefined *
read_defined (const char *config_dir,
              const char *file_name)
{
  HvDefined *defined = g_new0 (HvDefined, 1);
  g_autoptr(HvConfig) config = NULL;
  g_autoptr(HvDomainSpec) spec = NULL;
  g_autoptr(GError) error = NULL;

  defined->path = g_build_filename (config_dir, file_name, NULL);
  /* Until the file says otherwise, its name stands for the domain. */
  defined->name = g_strndup (file_name, strlen (file_name) - strlen (".cfg"));
  defined->tags = g_new0 (char *, 1);

  /* The same reading as a start's, up to the size: a listing reads no disk or kernel. */
  config = hv_config_new_from_file (defined->path, &error);
  if (config != NULL)
    spec = hv_domain_spec_new (config, HV_DOMAIN_SPEC_BASICS_ONLY, &error);
  if (spec != NULL && !hv_clone_is_template (config, &defined->template, &error))
    g_clear_pointer (&spec, hv_domain_spec_free);
  if (spec == NULL)
    {
      defined->error = g_strdup (error->message);
      return defined;
    }

  g_free (defined->name);
  defined->name = g_strdup (spec->name);
  defined->memory_mib = spec->memory_mib;
  defined->vcpus = spec->vcpus;
  g_strfreev (defined->tags);
  defined->tags = g_steal_pointer (&spec->tags);
  return defined;
}

static int
compare_defined (gconstpointer a,
                 gconstpointer b)
{
  const HvDefined *da = *(const HvDefined * const *) a;
  const HvDefined *db = *(const HvDefined * const *) b;
  int by_name = g_utf8_collate (da->name, db->name);

  return by_name != 0 ? by_name : strcmp (da->path, db->path);
}

static int
compare_file_names (gconstpointer a,
                    gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

GPtrArray *
hv_defined_scan (const char *config_dir)
{
  g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func ((GDestroyNotify) hv_defined_free);
  g_autoptr(GHashTable) by_name = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) file_names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GDir) dir = NULL;
  g_autoptr(GError) error = NULL;
  const char *file_name;

  dir = g_dir_open (config_dir, 0, &error);
  if (dir == NULL)
    {
      /* A missing folder just means nothing is defined. */
      if (!g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        g_message ("cannot read %s: %s", config_dir, error->message);
      return g_steal_pointer (&all);
    }
  while ((file_name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_suffix (file_name, ".cfg") && file_name[0] != '.' &&
        strlen (file_name) > strlen (".cfg"))
      g_ptr_array_add (file_names, g_strdup (file_name));
  /* File order decides which of two files claiming one name wins: make it stable. */
  g_ptr_array_sort (file_names, compare_file_names);

  for (guint i = 0; i < file_names->len; i++)
    {
      HvDefined *defined = read_defined (config_dir, g_ptr_array_index (file_names, i));
      const HvDefined *first;

      if (defined->error == NULL &&
          (first = g_hash_table_lookup (by_name, defined->name)) != NULL)
        defined->error = g_strdup_printf (_("%s: name: “%s” is already used by %s"),
                                          defined->path, defined->name, first->path);
      else if (defined->error == NULL)
        g_hash_table_insert (by_name, defined->name, defined);
      g_ptr_array_add (all, defined);
    }

  g_ptr_array_sort (all, compare_defined);
  return g_steal_pointer (&all);
}

HvDefined *
hv_defined_find (const char *config_dir,
                 const char *name)
{
  g_autoptr(GPtrArray) all = hv_defined_scan (config_dir);

  for (guint i = 0; i < all->len; i++)
    {
      HvDefined *defined = g_ptr_array_index (all, i);

      if (defined->error == NULL && strcmp (defined->name, name) == 0)
        return g_ptr_array_steal_index (all, i);
    }
  return NULL;
}
