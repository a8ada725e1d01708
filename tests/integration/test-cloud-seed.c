/* SPDX-License-Identifier: GPL-3.0-or-later */
/* NoCloud seeds written with the real xorriso and read back; the cloud-init probe on real ext4 images. */

#include <string.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "hv-cloud-init-probe.h"
#include "hv-cloud-seed.h"
#include "real-guest-util.h"

#define TEST_KEY "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHj3vQ8u2bXpZ1m6kTqv9mTj1o2qYQh1kq0Sx5bGd7Qs test@domus"
#define TEST_HASH "$6$abcdefgh$0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ./0123456789abcdefghijklmnop"

static gboolean
write_seed (HvCloudSeed  *seed,
            const char   *path,
            GError      **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  hv_cloud_seed_write_async (seed, path, NULL, on_result_ready, &result);
  return hv_cloud_seed_write_finish (seed, wait_result (&result), error);
}

static char *
iso_file (const char *iso,
          const char *name)
{
  g_autofree char *path = g_strdup_printf ("/%s", name);
  g_autofree char *target = g_strdup_printf ("%s.%s", iso, name);
  const char *argv[] = { "xorriso", "-osirrox", "on", "-indev", iso, "-extract", path, target, NULL };
  char *contents = NULL;

  g_free (run_ok (argv));
  g_assert_true (g_file_get_contents (target, &contents, NULL, NULL));
  g_unlink (target);
  return contents;
}

static void
test_seed_files (void)
{
  g_autofree char *dir = make_test_dir ("seed");
  g_autofree char *iso = g_build_filename (dir, "guest-seed.iso", NULL);
  g_autoptr(HvCloudSeed) seed = hv_cloud_seed_new ("domus-1234", "web1.example");
  g_autoptr(GError) error = NULL;
  g_autofree char *meta = NULL;
  g_autofree char *user = NULL;
  g_autofree char *extra = NULL;
  g_autofree char *volume = NULL;

  hv_cloud_seed_set_user (seed, "admin");
  hv_cloud_seed_add_ssh_key (seed, TEST_KEY "\n");
  hv_cloud_seed_set_password_hash (seed, TEST_HASH);
  hv_cloud_seed_add_file (seed, "domus-root-keys", TEST_KEY "\n");
  g_assert_true (write_seed (seed, iso, &error));
  g_assert_no_error (error);

  /* NoCloud finds the disk by its volume id. */
  {
    const char *argv[] = { "xorriso", "-indev", iso, "-pvd_info", NULL };
    volume = run_ok (argv);
  }
  g_assert_nonnull (strstr (volume, "Volume Id    : cidata"));
  meta = iso_file (iso, "meta-data");
  g_assert_cmpstr (meta, ==, "instance-id: domus-1234\nlocal-hostname: web1.example\n");
  user = iso_file (iso, "user-data");
  g_assert_true (g_str_has_prefix (user, "#cloud-config\n"));
  g_assert_nonnull (strstr (user, "  - name: admin\n"));
  g_assert_nonnull (strstr (user, "      - \"" TEST_KEY "\"\n"));
  g_assert_nonnull (strstr (user, "    hashed_passwd: \"" TEST_HASH "\"\n"));
  extra = iso_file (iso, "domus-root-keys");
  g_assert_cmpstr (extra, ==, TEST_KEY "\n");

  /* Never over another file. */
  g_assert_false (write_seed (seed, iso, &error));
  g_assert_error (error, HV_CLOUD_SEED_ERROR, HV_CLOUD_SEED_ERROR_EXISTS);
  g_clear_error (&error);

  /* Read back, as a clone does. */
  {
    g_autoptr(HvCloudSeed) loaded = hv_cloud_seed_load (iso, NULL, &error);
    g_autofree char *loaded_user = NULL;

    g_assert_no_error (error);
    g_assert_cmpstr (hv_cloud_seed_get_instance_id (loaded), ==, "domus-1234");
    g_assert_cmpstr (hv_cloud_seed_get_hostname (loaded), ==, "web1.example");
    g_assert_cmpstr (hv_cloud_seed_get_file (loaded, "domus-root-keys"), ==, TEST_KEY "\n");
    loaded_user = hv_cloud_seed_dup_user_data (loaded, &error);
    g_assert_cmpstr (loaded_user, ==, user);
  }

  /* A user-data file of the user's own goes in as it is. */
  {
    g_autoptr(HvCloudSeed) own = hv_cloud_seed_new ("domus-5678", "db1");
    g_autofree char *own_iso = g_build_filename (dir, "own-seed.iso", NULL);
    g_autofree char *own_user = NULL;

    hv_cloud_seed_set_user_data (own, "#cloud-config\nruncmd:\n  - [touch, /run/domus]\n");
    g_assert_true (write_seed (own, own_iso, &error));
    g_assert_no_error (error);
    own_user = iso_file (own_iso, "user-data");
    g_assert_cmpstr (own_user, ==, "#cloud-config\nruncmd:\n  - [touch, /run/domus]\n");
  }
  remove_test_dir (dir);
}

static void
test_seed_bad_input (void)
{
  static const struct {
    const char *hostname;
    const char *user;
    const char *key;
    const char *hash;
  } cases[] = {
    { "-bad", NULL, NULL, NULL },
    { "a..b", NULL, NULL, NULL },
    { "host_name", NULL, NULL, NULL },
    { "ok", "root\nx", NULL, NULL },
    { "ok", "1user", NULL, NULL },
    { "ok", NULL, "ssh-ed25519 AAAA\nssh-rsa AAAA", NULL },
    { "ok", NULL, "not-a-key AAAAAAAAAAAAAAAAAAAAAAAA", NULL },
    { "ok", NULL, NULL, "plaintext" },
    { "ok", NULL, NULL, "$6$x\"\n" },
  };
  g_autofree char *dir = make_test_dir ("seed-bad");

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(HvCloudSeed) seed = hv_cloud_seed_new ("id-1", cases[i].hostname);
      g_autofree char *iso = g_strdup_printf ("%s/bad-%u.iso", dir, i);
      g_autoptr(GError) error = NULL;

      hv_cloud_seed_set_user (seed, cases[i].user);
      if (cases[i].key != NULL)
        hv_cloud_seed_add_ssh_key (seed, cases[i].key);
      hv_cloud_seed_set_password_hash (seed, cases[i].hash);
      g_assert_false (write_seed (seed, iso, &error));
      g_assert_error (error, HV_CLOUD_SEED_ERROR, HV_CLOUD_SEED_ERROR_INVALID);
      /* Nothing half-made. */
      g_assert_false (g_file_test (iso, G_FILE_TEST_EXISTS));
    }
  {
    g_autoptr(GDir) handle = g_dir_open (dir, 0, NULL);
    g_assert_null (g_dir_read_name (handle));
  }
  remove_test_dir (dir);
}

/* The probe */

static HvCloudInitPresence
probe (const char  *image,
       const char  *format,
       char       **detail,
       GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  hv_cloud_init_probe_async (image, format, NULL, on_result_ready, &result);
  return hv_cloud_init_probe_finish (wait_result (&result), detail, error);
}

/* One primary Linux partition from sector 2048 to the end of 64 MiB. */
static void
write_mbr (const char *raw)
{
  g_autofree char *contents = NULL;
  gsize size;
  guint32 start = 2048, count = 64 * 2048 - 2048;

  g_assert_true (g_file_get_contents (raw, &contents, &size, NULL));
  contents[446 + 4] = (char) 0x83;
  for (int i = 0; i < 4; i++)
    {
      contents[446 + 8 + i] = (char) (start >> (8 * i));
      contents[446 + 12 + i] = (char) (count >> (8 * i));
    }
  contents[510] = 0x55;
  contents[511] = (char) 0xaa;
  g_assert_true (g_file_set_contents (raw, contents, size, NULL));
}

/* A 64 MiB disk with an MBR and one ext4 partition at 1 MiB holding `files`. */
static char *
make_disk (const char         *dir,
           const char         *name,
           const char * const *files)
{
  g_autofree char *tree = g_build_filename (dir, name, NULL);
  g_autofree char *raw = g_strdup_printf ("%s.raw", tree);

  for (guint i = 0; files[i] != NULL; i++)
    {
      g_autofree char *path = g_build_filename (tree, files[i], NULL);
      g_autofree char *parent = g_path_get_dirname (path);

      g_assert_cmpint (g_mkdir_with_parents (parent, 0755), ==, 0);
      g_assert_true (g_file_set_contents (path, "#!/bin/sh\n", -1, NULL));
    }
  {
    const char *argv[] = { "truncate", "-s", "64M", raw, NULL };
    g_free (run_ok (argv));
  }
  {
    const char *argv[] = { "mke2fs", "-q", "-t", "ext4", "-E", "offset=1048576", "-d", tree,
                           "-F", raw, "32M", NULL };
    g_free (run_ok (argv));
  }
  write_mbr (raw);
  return g_steal_pointer (&raw);
}

static void
test_probe (void)
{
  static const char * const with_cloud_init[] = { "etc/os-release", "usr/bin/cloud-init", NULL };
  static const char * const without[] = { "etc/os-release", "usr/bin/ls", NULL };
  static const char * const no_linux[] = { "data/readme", NULL };
  g_autofree char *dir = make_test_dir ("probe");
  g_autofree char *cloud = make_disk (dir, "cloud", with_cloud_init);
  g_autofree char *plain = make_disk (dir, "plain", without);
  g_autofree char *data = make_disk (dir, "data", no_linux);
  g_autofree char *cloud_qcow2 = g_build_filename (dir, "cloud.qcow2", NULL);
  g_autofree char *blank = g_build_filename (dir, "blank.raw", NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *detail = NULL;

  g_assert_cmpint (probe (cloud, "raw", &detail, &error), ==, HV_CLOUD_INIT_PRESENT);
  g_assert_no_error (error);
  g_clear_pointer (&detail, g_free);
  {
    const char *argv[] = { "qemu-img", "convert", "-f", "raw", "-O", "qcow2", cloud, cloud_qcow2, NULL };
    g_free (run_ok (argv));
  }
  g_assert_cmpint (probe (cloud_qcow2, "qcow2", NULL, &error), ==, HV_CLOUD_INIT_PRESENT);
  g_assert_no_error (error);
  g_assert_cmpint (probe (plain, "raw", &detail, &error), ==, HV_CLOUD_INIT_ABSENT);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (detail, "without cloud-init"));
  g_assert_cmpint (probe (data, "raw", NULL, &error), ==, HV_CLOUD_INIT_UNKNOWN);
  g_assert_no_error (error);

  /* A disk with nothing, and a hostile GPT whose entries point far outside the disk. */
  {
    const char *argv[] = { "truncate", "-s", "8M", blank, NULL };
    g_free (run_ok (argv));
  }
  g_assert_cmpint (probe (blank, "raw", NULL, &error), ==, HV_CLOUD_INIT_UNKNOWN);
  g_assert_no_error (error);
  {
    g_autofree char *contents = NULL;
    gsize size;

    g_assert_true (g_file_get_contents (blank, &contents, &size, NULL));
    contents[510] = 0x55;
    contents[511] = (char) 0xaa;
    contents[446 + 4] = (char) 0xee;
    memcpy (contents + 512, "EFI PART", 8);
    /* entries at LBA 2, 128 of 128 bytes; one whose first LBA is 2^63. */
    contents[512 + 72] = 2;
    contents[512 + 80] = (char) 128;
    contents[512 + 84] = (char) 128;
    memset (contents + 1024, 0x11, 16);
    contents[1024 + 32 + 7] = (char) 0x80;
    g_assert_true (g_file_set_contents (blank, contents, size, NULL));
  }
  g_assert_cmpint (probe (blank, "raw", NULL, &error), ==, HV_CLOUD_INIT_UNKNOWN);
  g_assert_no_error (error);

  /* The recorded format is used, never guessed: a raw file read as qcow2 is an error. */
  g_assert_cmpint (probe (cloud, "qcow2", NULL, &error), ==, HV_CLOUD_INIT_UNKNOWN);
  g_assert_error (error, HV_CLOUD_INIT_PROBE_ERROR, HV_CLOUD_INIT_PROBE_ERROR_TOOL);
  g_clear_error (&error);
  g_assert_cmpint (probe (cloud, "vmdk", NULL, &error), ==, HV_CLOUD_INIT_UNKNOWN);
  g_assert_error (error, HV_CLOUD_INIT_PROBE_ERROR, HV_CLOUD_INIT_PROBE_ERROR_INVALID_FORMAT);
  g_clear_error (&error);
  remove_test_dir (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/cloud-seed/files", test_seed_files);
  g_test_add_func ("/cloud-seed/bad-input", test_seed_bad_input);
  g_test_add_func ("/cloud-init-probe/images", test_probe);
  return g_test_run ();
}
