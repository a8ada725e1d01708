/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Clones with the real qemu-img and xorriso, booted on the test guest: a full clone of a
 * shut-off domain boots with a copy of its disk; a linked clone needs a template and leaves
 * the template's disk byte for byte as it was; every clone has new MACs, no uuid and, for a
 * seed Domus made, a new instance id and host name.
 *
 * Usage: test-clone GUEST_DIR
 */

#include <string.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "hv-clone.h"
#include "hv-cloud-seed.h"
#include "hv-domain-spec.h"
#include "real-guest-util.h"

static const char *guest_dir;

typedef struct {
  char *dir;
  char *images;
  char *configs;
  char *source_cfg;
  char *source_disk;
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  user_data)
{
  g_autoptr(HvCloudSeed) seed = hv_cloud_seed_new ("domus-source", "source");
  g_autofree char *seed_path = NULL;
  g_autofree char *iso = NULL;
  g_autofree char *data = NULL;
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;

  fixture->dir = make_test_dir ("clone");
  fixture->images = g_build_filename (fixture->dir, "images", NULL);
  fixture->configs = g_build_filename (fixture->dir, "configs", NULL);
  g_assert_cmpint (g_mkdir (fixture->images, 0700), ==, 0);
  g_assert_cmpint (g_mkdir (fixture->configs, 0700), ==, 0);
  fixture->source_disk = g_build_filename (fixture->images, "source.qcow2", NULL);
  data = g_build_filename (fixture->images, "source-data.img", NULL);
  iso = g_build_filename (fixture->images, "install.iso", NULL);
  seed_path = g_build_filename (fixture->images, "source-seed.iso", NULL);
  {
    const char *argv[] = { "qemu-img", "create", "-q", "-f", "qcow2", fixture->source_disk, "64M", NULL };
    g_free (run_ok (argv));
  }
  g_assert_true (g_file_set_contents (data, "data disk\n", -1, NULL));
  g_assert_true (g_file_set_contents (iso, "an iso\n", -1, NULL));
  hv_cloud_seed_add_file (seed, "domus-root-keys", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHj3vQ8u2bXpZ1m6kTqv9mTj1o2qYQh1kq0Sx5bGd7Qs k\n");
  g_assert_true (hv_cloud_seed_write (seed, seed_path, NULL, &error));
  g_assert_no_error (error);

  text = g_strdup_printf ("name = 'source'\nuuid = '6a4f9d1e-2b1c-4c3d-9e8f-0a1b2c3d4e5f'\nhostname = 'source'\n"
                          "kernel = '%s/vmlinuz'\nramdisk = '%s/initrd.img'\nmemory = 256\n"
                          "disk = [ 'tap:qcow2:%s,xvda,w', 'tap:aio:%s,xvdb,w', 'file:%s,hdc:cdrom,r',\n"
                          "         'file:%s,hdd:cdrom,r' ]\n"
                          "vif = [ 'mac=00:16:3e:11:22:33, bridge=xenbr0' ]\n",
                          guest_dir, guest_dir, fixture->source_disk, data, iso, seed_path);
  fixture->source_cfg = g_build_filename (fixture->configs, "source.cfg", NULL);
  g_assert_true (g_file_set_contents (fixture->source_cfg, text, -1, NULL));
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  user_data)
{
  remove_test_dir (fixture->dir);
  g_free (fixture->dir);
  g_free (fixture->images);
  g_free (fixture->configs);
  g_free (fixture->source_cfg);
  g_free (fixture->source_disk);
}

static HvCloneResult *
clone (Fixture     *fixture,
       const char  *name,
       gboolean     linked,
       GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  hv_clone_async (fixture->source_cfg, name, fixture->images, fixture->configs, linked, NULL,
                  on_result_ready, &result);
  return hv_clone_finish (wait_result (&result), error);
}

static HvDomainSpec *
load_spec (const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HvConfig) config = hv_config_new_from_file (path, &error);
  HvDomainSpec *spec;

  g_assert_no_error (error);
  spec = hv_domain_spec_new (config, HV_DOMAIN_SPEC_STRICT_FILES, &error);
  g_assert_no_error (error);
  return spec;
}

static const HvDiskSpec *
disk_of (const HvDomainSpec *spec,
         guint               number)
{
  for (guint i = 0; i < spec->disks->len; i++)
    {
      const HvDiskSpec *disk = g_ptr_array_index (spec->disks, i);

      if (disk->number == number)
        return disk;
    }
  g_assert_not_reached ();
  return NULL;
}

/* Boots the test guest on `disk` and returns the marker it wrote (one more than it found). */
static char *
boot_marker (Fixture    *fixture,
             const char *disk,
             const char *format,
             const char *name)
{
  g_autofree char *drive = g_strdup_printf ("file=%s,format=%s,if=virtio", disk, format);
  const char *drives[] = { drive, NULL };
  TestGuest *guest = test_guest_start (guest_dir, fixture->dir, name, drives, NULL);
  char *line = test_guest_wait_line (guest, "domus-disk /dev/vda marker", 0, 120);

  test_guest_stop (guest);
  return line;
}

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

static char *
listing (const char *dir)
{
  g_autoptr(GDir) handle = g_dir_open (dir, 0, NULL);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  while ((name = g_dir_read_name (handle)) != NULL)
    g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_names);
  g_ptr_array_add (names, NULL);
  return g_strjoinv (" ", (char **) names->pdata);
}

static void
test_full_clone (Fixture       *fixture,
                 gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HvCloneResult) result = NULL;
  g_autoptr(HvDomainSpec) source = load_spec (fixture->source_cfg);
  g_autoptr(HvDomainSpec) copy = NULL;
  g_autofree char *first = boot_marker (fixture, fixture->source_disk, "qcow2", "source");
  g_autofree char *second = NULL;
  g_autofree char *images_before = NULL;

  g_assert_cmpstr (first, ==, "domus-disk /dev/vda marker 1");
  result = clone (fixture, "copy", FALSE, &error);
  g_assert_no_error (error);
  copy = load_spec (result->config_path);
  g_assert_cmpstr (copy->name, ==, "copy");
  g_assert_null (copy->uuid);
  g_assert_cmpuint (copy->vifs->len, ==, 1);
  g_assert_cmpstr (((HvVifSpec *) g_ptr_array_index (copy->vifs, 0))->mac, !=, "00:16:3e:11:22:33");
  g_assert_cmpstr (((HvVifSpec *) g_ptr_array_index (copy->vifs, 0))->bridge, ==, "xenbr0");
  g_assert_true (g_str_has_suffix (disk_of (copy, 1)->path, "/images/copy.qcow2"));
  g_assert_true (g_str_has_suffix (disk_of (copy, 2)->path, "/images/copy-disk2.img"));
  g_assert_cmpstr (disk_of (copy, 3)->path, ==, disk_of (source, 3)->path);
  g_assert_true (g_str_has_suffix (disk_of (copy, 4)->path, "/images/copy-seed.iso"));
  {
    g_autoptr(HvCloudSeed) seed = hv_cloud_seed_load (disk_of (copy, 4)->path, NULL, &error);

    g_assert_no_error (error);
    g_assert_cmpstr (hv_cloud_seed_get_hostname (seed), ==, "copy");
    g_assert_cmpstr (hv_cloud_seed_get_instance_id (seed), !=, "domus-source");
    g_assert_nonnull (hv_cloud_seed_get_file (seed, "domus-root-keys"));
  }
  /* A copy of the disk: the clone finds the source's marker and counts on. */
  second = boot_marker (fixture, disk_of (copy, 1)->path, "qcow2", "copy");
  g_assert_cmpstr (second, ==, "domus-disk /dev/vda marker 2");

  /* The same name again: refused, and nothing of the first clone is touched. */
  images_before = listing (fixture->images);
  g_assert_null (clone (fixture, "copy", FALSE, &error));
  g_assert_error (error, HV_CLONE_ERROR, HV_CLONE_ERROR_EXISTS);
  g_clear_error (&error);
  {
    g_autofree char *images_after = listing (fixture->images);

    g_assert_cmpstr (images_after, ==, images_before);
  }
}

static void
test_linked_clone (Fixture       *fixture,
                   gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HvCloneResult) result = NULL;
  g_autoptr(HvDomainSpec) linked = NULL;
  g_autofree char *images_before = listing (fixture->images);
  g_autofree char *sum_before = NULL;
  g_autofree char *sum_after = NULL;
  g_autofree char *marker = NULL;

  /* Not a template yet. */
  g_assert_null (clone (fixture, "linked", TRUE, &error));
  g_assert_error (error, HV_CLONE_ERROR, HV_CLONE_ERROR_NOT_TEMPLATE);
  g_clear_error (&error);
  {
    g_autofree char *images_after = listing (fixture->images);

    g_assert_cmpstr (images_after, ==, images_before);
  }
  {
    g_autoptr(HvConfig) config = hv_config_new_from_file (fixture->source_cfg, &error);

    g_assert_no_error (error);
    hv_clone_set_template (config, TRUE);
    g_assert_true (hv_config_save (config, fixture->source_cfg, &error));
  }
  sum_before = file_checksum (fixture->source_disk);
  result = clone (fixture, "linked", TRUE, &error);
  g_assert_no_error (error);
  linked = load_spec (result->config_path);
  g_assert_cmpstr (disk_of (linked, 1)->format, ==, "qcow2");
  g_assert_cmpstr (disk_of (linked, 2)->format, ==, "qcow2");
  {
    const char *argv[] = { "qemu-img", "info", "-U", disk_of (linked, 1)->path, NULL };
    g_autofree char *info = run_ok (argv);
    g_autofree char *expected = g_strdup_printf ("backing file: %s", fixture->source_disk);

    g_assert_nonnull (strstr (info, expected));
  }
  {
    g_autoptr(HvConfig) config = hv_config_new_from_file (result->config_path, &error);
    gboolean template = TRUE;

    g_assert_true (hv_clone_is_template (config, &template, &error));
    g_assert_false (template);
  }
  marker = boot_marker (fixture, disk_of (linked, 1)->path, "qcow2", "linked");
  g_assert_cmpstr (marker, ==, "domus-disk /dev/vda marker 1");
  sum_after = file_checksum (fixture->source_disk);
  g_assert_cmpstr (sum_after, ==, sum_before);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (argc, ==, 2);
  guest_dir = argv[1];
  g_test_add ("/clone/full", Fixture, NULL, fixture_set_up, test_full_clone, fixture_tear_down);
  g_test_add ("/clone/linked", Fixture, NULL, fixture_set_up, test_linked_clone, fixture_tear_down);
  return g_test_run ();
}
