/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Bridges found in a sysfs-shaped folder: devices with a bridge/ subfolder, nothing else. */

#include <glib.h>
#include <glib/gstdio.h>

#include "hv-bridges.h"

static void
make_device (const char *root,
             const char *name,
             gboolean    bridge)
{
  g_autofree char *path = g_build_filename (root, name, bridge ? "bridge" : "statistics", NULL);

  g_assert_cmpint (g_mkdir_with_parents (path, 0700), ==, 0);
}

static void
remove_device (const char *root,
               const char *name,
               gboolean    bridge)
{
  g_autofree char *inner = g_build_filename (root, name, bridge ? "bridge" : "statistics", NULL);
  g_autofree char *outer = g_build_filename (root, name, NULL);

  g_assert_cmpint (g_rmdir (inner), ==, 0);
  g_assert_cmpint (g_rmdir (outer), ==, 0);
}

static void
test_list (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *root = g_dir_make_tmp ("domus-sysnet-XXXXXX", &error);
  g_auto(GStrv) bridges = NULL;
  g_auto(GStrv) none = NULL;

  g_assert_no_error (error);
  make_device (root, "eth0", FALSE);
  make_device (root, "virbr1", TRUE);
  make_device (root, "br0", TRUE);

  bridges = hv_bridges_list (root);
  g_assert_cmpuint (g_strv_length (bridges), ==, 2);
  g_assert_cmpstr (bridges[0], ==, "br0");
  g_assert_cmpstr (bridges[1], ==, "virbr1");
  g_assert_true (hv_bridge_exists (root, "br0"));
  g_assert_false (hv_bridge_exists (root, "eth0"));
  g_assert_false (hv_bridge_exists (root, "missing"));
  /* Names that would look elsewhere are no bridges. */
  g_assert_false (hv_bridge_exists (root, "../br0"));
  g_assert_false (hv_bridge_exists (root, ""));

  none = hv_bridges_list ("/nonexistent/sys/class/net");
  g_assert_cmpuint (g_strv_length (none), ==, 0);

  remove_device (root, "eth0", FALSE);
  remove_device (root, "virbr1", TRUE);
  remove_device (root, "br0", TRUE);
  g_assert_cmpint (g_rmdir (root), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/bridges/list", test_list);
  return g_test_run ();
}
