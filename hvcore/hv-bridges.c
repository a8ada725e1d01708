/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The host's network bridges, as the kernel lists them in sysfs. */

#include "config.h"

#include <string.h>

#include "hv-bridges.h"

gboolean
hv_bridge_exists (const char *sys_class_net,
                  const char *name)
{
  g_autofree char *path = NULL;

  /* A name with a slash would look elsewhere in sysfs. */
  if (name == NULL || *name == '\0' || strchr (name, '/') != NULL || name[0] == '.')
    return FALSE;
  path = g_build_filename (sys_class_net, name, "bridge", NULL);
  return g_file_test (path, G_FILE_TEST_IS_DIR);
}

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

GStrv
hv_bridges_list (const char *sys_class_net)
{
  g_autoptr(GDir) dir = g_dir_open (sys_class_net, 0, NULL);
  g_autoptr(GPtrArray) names = g_ptr_array_new ();
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    if (hv_bridge_exists (sys_class_net, name))
      g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_names);
  g_ptr_array_add (names, NULL);
  return (GStrv) g_ptr_array_free (g_steal_pointer (&names), FALSE);
}
