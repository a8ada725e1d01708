/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Snapshots and save/restore on the real test guest under TCG: its serial console counts
 * "tick N" once a second, so a revert or a restore shows as the counter going back to the
 * value it had when the state was taken (not to 1, which a reboot would give).
 *
 * Usage: test-snapshots GUEST_DIR
 */

#include <string.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "hv-config.h"
#include "hv-save-file.h"
#include "hv-snapshots.h"
#include "real-guest-util.h"

static const char *guest_dir;

static HvDomainSpec *
spec_for_disk (const char *disk_entry)
{
  g_autofree char *text = g_strdup_printf ("name = 'snap'\nkernel = '%s/vmlinuz'\nramdisk = '%s/initrd.img'\n"
                                           "memory = 256\ndisk = [ %s ]\n", guest_dir, guest_dir, disk_entry);
  g_autoptr(HvConfig) config = hv_config_new_from_data (text, -1, "snap.cfg", NULL);
  g_autoptr(GError) error = NULL;
  HvDomainSpec *spec;

  g_assert_nonnull (config);
  spec = hv_domain_spec_new (config, HV_DOMAIN_SPEC_FLAGS_NONE, &error);
  g_assert_no_error (error);
  return spec;
}

static gboolean
change (HvSnapshots  *snapshots,
        const char   *what,
        const char   *name,
        GError      **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  if (g_str_equal (what, "create"))
    hv_snapshots_create_async (snapshots, name, NULL, on_result_ready, &result);
  else if (g_str_equal (what, "revert"))
    hv_snapshots_revert_async (snapshots, name, NULL, on_result_ready, &result);
  else
    hv_snapshots_delete_async (snapshots, name, NULL, on_result_ready, &result);
  return hv_snapshots_change_finish (snapshots, wait_result (&result), error);
}

static GPtrArray *
list (HvSnapshots *snapshots)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  GPtrArray *snaps;

  hv_snapshots_list_async (snapshots, NULL, on_result_ready, &result);
  snaps = hv_snapshots_list_finish (snapshots, wait_result (&result), &error);
  g_assert_no_error (error);
  return snaps;
}

static char *
make_qcow2 (const char *dir,
            const char *name)
{
  char *path = g_build_filename (dir, name, NULL);
  const char *argv[] = { "qemu-img", "create", "-q", "-f", "qcow2", path, "64M", NULL };

  g_free (run_ok (argv));
  return path;
}

static void
test_running (void)
{
  g_autofree char *dir = make_test_dir ("snapshots");
  g_autofree char *disk = make_qcow2 (dir, "disk.qcow2");
  g_autofree char *entry = g_strdup_printf ("'tap:qcow2:%s,xvda,w'", disk);
  g_autofree char *drive = g_strdup_printf ("file=%s,format=qcow2,if=virtio,id=disk0", disk);
  const char *drives[] = { drive, NULL };
  g_autoptr(HvDomainSpec) spec = spec_for_disk (entry);
  TestGuest *guest = test_guest_start (guest_dir, dir, "snap", drives, NULL);
  g_autoptr(HvSnapshots) snapshots = hv_snapshots_new (spec, guest->qmp);
  g_autoptr(GPtrArray) snaps = NULL;
  g_autoptr(GError) error = NULL;
  guint saved, lines, after;
  gint64 start;

  g_free (test_guest_wait_line (guest, "tick 3", 0, 120));
  start = g_get_monotonic_time ();
  {
    gboolean ok = change (snapshots, "create", "first", &error);

    g_assert_no_error (error);
    g_assert_true (ok);
  }
  g_test_message ("snapshot-save of a running guest: %.0f ms", (g_get_monotonic_time () - start) / 1e3);
  saved = test_guest_last_tick (guest);

  snaps = list (snapshots);
  g_assert_cmpuint (snaps->len, ==, 1);
  g_assert_cmpstr (((HvSnapshotInfo *) g_ptr_array_index (snaps, 0))->name, ==, "first");
  g_assert_cmpuint (((HvSnapshotInfo *) g_ptr_array_index (snaps, 0))->vm_state_size, >, 0);

  /* The same name twice, and names QEMU would misread. */
  g_assert_false (change (snapshots, "create", "first", &error));
  g_assert_error (error, HV_SNAPSHOT_ERROR, HV_SNAPSHOT_ERROR_EXISTS);
  g_clear_error (&error);
  g_assert_false (change (snapshots, "create", "12", &error));
  g_assert_error (error, HV_SNAPSHOT_ERROR, HV_SNAPSHOT_ERROR_INVALID_NAME);
  g_clear_error (&error);
  g_assert_false (change (snapshots, "revert", "nothing", &error));
  g_assert_error (error, HV_SNAPSHOT_ERROR, HV_SNAPSHOT_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* Let the counter run well past the snapshot, then go back. */
  {
    g_autofree char *past = g_strdup_printf ("tick %u", saved + 6);

    g_free (test_guest_wait_line (guest, past, 0, 120));
  }
  lines = test_guest_count_lines (guest);
  start = g_get_monotonic_time ();
  {
    gboolean ok = change (snapshots, "revert", "first", &error);

    g_assert_no_error (error);
    g_assert_true (ok);
  }
  g_test_message ("snapshot-load of a running guest: %.0f ms", (g_get_monotonic_time () - start) / 1e3);
  after = test_guest_next_tick (guest, lines, 60);
  g_test_message ("tick at snapshot %u, first tick after revert %u", saved, after);
  g_assert_cmpuint (after, >=, saved);
  g_assert_cmpuint (after, <=, saved + 2);

  {
    gboolean ok = change (snapshots, "delete", "first", &error);

    g_assert_no_error (error);
    g_assert_true (ok);
  }
  g_clear_pointer (&snaps, g_ptr_array_unref);
  snaps = list (snapshots);
  g_assert_cmpuint (snaps->len, ==, 0);

  test_guest_stop (guest);
  remove_test_dir (dir);
}

static void
test_shut_off (void)
{
  g_autofree char *dir = make_test_dir ("snapshots-off");
  g_autofree char *disk = make_qcow2 (dir, "disk.qcow2");
  g_autofree char *raw = g_build_filename (dir, "data.raw", NULL);
  g_autofree char *second = make_qcow2 (dir, "second.qcow2");
  g_autofree char *entry = g_strdup_printf ("'tap:qcow2:%s,xvda,w', 'tap:qcow2:%s,xvdb,w'", disk, second);
  g_autoptr(HvDomainSpec) spec = spec_for_disk (entry);
  g_autoptr(HvSnapshots) snapshots = hv_snapshots_new (spec, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) snaps = NULL;
  g_autofree char *before = NULL;
  g_autofree char *changed = NULL;

  /* The test guest writes its marker into the disk: a boot changes it, a revert undoes that. */
  {
    gboolean ok = change (snapshots, "create", "clean", &error);

    g_assert_no_error (error);
    g_assert_true (ok);
  }
  snaps = list (snapshots);
  g_assert_cmpuint (snaps->len, ==, 1);
  g_assert_cmpuint (((HvSnapshotInfo *) g_ptr_array_index (snaps, 0))->vm_state_size, ==, 0);
  {
    g_autofree char *drive = g_strdup_printf ("file=%s,format=qcow2,if=virtio,id=disk0", disk);
    const char *drives[] = { drive, NULL };
    TestGuest *guest = test_guest_start (guest_dir, dir, "off", drives, NULL);

    g_free (test_guest_wait_line (guest, "domus-disk /dev/vda marker 1", 0, 120));
    test_guest_stop (guest);
  }
  {
    g_autofree char *in = g_strdup_printf ("if=%s", disk);
    g_autofree char *out = g_strdup_printf ("of=%s", raw);
    const char *argv[] = { "qemu-img", "dd", "-f", "qcow2", "-O", "raw", "bs=64", "count=1", in, out, NULL };
    g_free (run_ok (argv));
    g_file_get_contents (raw, &changed, NULL, NULL);
    g_assert_true (g_str_has_prefix (changed, "domus-marker 1"));
    g_unlink (raw);
  }
  {
    gboolean ok = change (snapshots, "revert", "clean", &error);

    g_assert_no_error (error);
    g_assert_true (ok);
  }
  {
    g_autofree char *in = g_strdup_printf ("if=%s", disk);
    g_autofree char *out = g_strdup_printf ("of=%s", raw);
    const char *argv[] = { "qemu-img", "dd", "-f", "qcow2", "-O", "raw", "bs=64", "count=1", in, out, NULL };
    g_free (run_ok (argv));
    g_file_get_contents (raw, &before, NULL, NULL);
    g_assert_false (g_str_has_prefix (before, "domus-marker"));
  }
  {
    gboolean ok = change (snapshots, "delete", "clean", &error);

    g_assert_no_error (error);
    g_assert_true (ok);
  }
  remove_test_dir (dir);
}

static void
test_raw_refused (void)
{
  g_autofree char *dir = make_test_dir ("snapshots-raw");
  g_autofree char *raw = g_build_filename (dir, "disk.img", NULL);
  g_autofree char *iso = g_build_filename (dir, "cd.iso", NULL);
  g_autofree char *entry = NULL;
  g_autoptr(HvDomainSpec) spec = NULL;
  g_autoptr(HvSnapshots) snapshots = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (g_file_set_contents (raw, "", 0, NULL));
  g_assert_true (g_file_set_contents (iso, "", 0, NULL));
  entry = g_strdup_printf ("'tap:aio:%s,xvda,w', 'file:%s,hdc:cdrom,r'", raw, iso);
  spec = spec_for_disk (entry);
  snapshots = hv_snapshots_new (spec, NULL);
  g_assert_false (change (snapshots, "create", "x", &error));
  g_assert_error (error, HV_SNAPSHOT_ERROR, HV_SNAPSHOT_ERROR_UNSUPPORTED);
  g_assert_nonnull (strstr (error->message, raw));
  g_clear_error (&error);
  g_clear_object (&snapshots);
  g_clear_pointer (&spec, hv_domain_spec_free);

  /* A block device: the advice is the host's volume manager, not a conversion. */
  spec = spec_for_disk ("'phy:/dev/domus-no-such-volume,xvda,w'");
  snapshots = hv_snapshots_new (spec, NULL);
  g_assert_false (change (snapshots, "create", "x", &error));
  g_assert_error (error, HV_SNAPSHOT_ERROR, HV_SNAPSHOT_ERROR_UNSUPPORTED);
  g_assert_nonnull (strstr (error->message, "/dev/domus-no-such-volume) is a block device (phy:)"));
  remove_test_dir (dir);
}

static void
test_save_restore (void)
{
  g_autofree char *dir = make_test_dir ("save");
  g_autofree char *disk = make_qcow2 (dir, "disk.qcow2");
  g_autofree char *drive = g_strdup_printf ("file=%s,format=qcow2,if=virtio,id=disk0", disk);
  g_autofree char *file = g_build_filename (dir, "guest.save", NULL);
  const char *drives[] = { drive, NULL };
  const char *incoming[] = { "-incoming", "defer", NULL };
  TestGuest *guest = test_guest_start (guest_dir, dir, "save", drives, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *config = NULL;
  guint saved, after;
  gint64 start;

  g_free (test_guest_wait_line (guest, "tick 4", 0, 120));
  {
    g_autoptr(GAsyncResult) result = NULL;

    start = g_get_monotonic_time ();
    hv_save_file_save_async (guest->qmp, file, "name = 'save'\n", NULL, on_result_ready, &result);
    g_assert_true (hv_save_file_save_finish (wait_result (&result), &error));
    g_assert_no_error (error);
    g_test_message ("save of a 256 MiB guest: %.0f ms", (g_get_monotonic_time () - start) / 1e3);
  }
  saved = test_guest_last_tick (guest);
  test_guest_stop (guest);

  config = hv_save_file_read_config (file, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (config, ==, "name = 'save'\n");
  /* Saving over a file is refused. */
  {
    g_autoptr(GAsyncResult) result = NULL;
    TestGuest *other = test_guest_start (guest_dir, dir, "other", NULL, NULL);

    hv_save_file_save_async (other->qmp, file, "", NULL, on_result_ready, &result);
    g_assert_false (hv_save_file_save_finish (wait_result (&result), &error));
    g_assert_error (error, HV_SAVE_FILE_ERROR, HV_SAVE_FILE_ERROR_EXISTS);
    g_clear_error (&error);
    test_guest_stop (other);
  }

  guest = test_guest_start (guest_dir, dir, "restored", drives, incoming);
  {
    g_autoptr(GAsyncResult) result = NULL;

    start = g_get_monotonic_time ();
    hv_save_file_restore_async (guest->qmp, file, NULL, on_result_ready, &result);
    g_assert_true (hv_save_file_restore_finish (wait_result (&result), &error));
    g_assert_no_error (error);
    g_test_message ("restore: %.0f ms", (g_get_monotonic_time () - start) / 1e3);
  }
  after = test_guest_next_tick (guest, 0, 60);
  g_test_message ("tick at save %u, first tick after restore %u", saved, after);
  g_assert_cmpuint (after, >=, saved);
  g_assert_cmpuint (after, <=, saved + 2);
  test_guest_stop (guest);

  /* Not a save file. */
  {
    g_autoptr(GAsyncResult) result = NULL;
    g_autofree char *bogus = g_build_filename (dir, "bogus", NULL);

    g_assert_true (g_file_set_contents (bogus, "hello\n", -1, NULL));
    guest = test_guest_start (guest_dir, dir, "bogus", NULL, incoming);
    hv_save_file_restore_async (guest->qmp, bogus, NULL, on_result_ready, &result);
    g_assert_false (hv_save_file_restore_finish (wait_result (&result), &error));
    g_assert_error (error, HV_SAVE_FILE_ERROR, HV_SAVE_FILE_ERROR_NOT_SAVE);
    test_guest_stop (guest);
  }
  remove_test_dir (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (argc, ==, 2);
  guest_dir = argv[1];
  g_test_add_func ("/snapshots/running", test_running);
  g_test_add_func ("/snapshots/shut-off", test_shut_off);
  g_test_add_func ("/snapshots/raw-refused", test_raw_refused);
  g_test_add_func ("/save-file/save-restore", test_save_restore);
  return g_test_run ();
}
