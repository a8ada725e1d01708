/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Snapshot create and revert on the running test guest: Domus's HvSnapshots against bare
 * QEMU's own QMP snapshot-save/snapshot-load jobs, alternating on the same guest and disk.
 *
 * Usage: bench-snapshots GUEST_DIR ROUNDS
 * Prints one line per measurement: "domus|bare create|revert MS".
 */

#include <glib.h>
#include <json-glib/json-glib.h>

#include "hv-config.h"
#include "hv-snapshots.h"
#include "real-guest-util.h"

static gboolean
domus_change (HvSnapshots *snapshots,
              const char  *what,
              const char  *name)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  if (g_str_equal (what, "create"))
    hv_snapshots_create_async (snapshots, name, NULL, on_result_ready, &result);
  else if (g_str_equal (what, "revert"))
    hv_snapshots_revert_async (snapshots, name, NULL, on_result_ready, &result);
  else
    hv_snapshots_delete_async (snapshots, name, NULL, on_result_ready, &result);
  if (!hv_snapshots_change_finish (snapshots, wait_result (&result), &error))
    g_error ("%s %s: %s", what, name, error->message);
  return TRUE;
}

/* What a script driving QEMU by hand does: the job, then wait until it concluded. */
static gboolean job_done;

static void
on_event (HvQmp      *qmp,
          const char *name,
          JsonObject *data,
          gint64      timestamp,
          gpointer    user_data)
{
  if (g_str_equal (name, "JOB_STATUS_CHANGE") &&
      g_strcmp0 (json_object_get_string_member_with_default (data, "status", ""), "concluded") == 0)
    job_done = TRUE;
}

static void
bare_job (TestGuest  *guest,
          const char *command,
          const char *node,
          const char *name,
          guint       round)
{
  g_autofree char *arguments = NULL;
  g_autoptr(JsonNode) reply = NULL;
  g_autofree char *dismiss = NULL;

  arguments = g_strdup_printf ("{\"job-id\": \"bare%u\", \"tag\": \"%s\", %s%s%s \"devices\": [\"%s\"]}",
                               round, name,
                               g_str_equal (command, "snapshot-delete") ? "" : "\"vmstate\": \"",
                               g_str_equal (command, "snapshot-delete") ? "" : node,
                               g_str_equal (command, "snapshot-delete") ? "" : "\",", node);
  job_done = FALSE;
  reply = test_guest_qmp (guest, command, arguments);
  while (!job_done)
    g_main_context_iteration (NULL, TRUE);
  dismiss = g_strdup_printf ("{\"id\": \"bare%u\"}", round);
  json_node_unref (test_guest_qmp (guest, "job-dismiss", dismiss));
}

static double
elapsed_ms (gint64 start)
{
  return (g_get_monotonic_time () - start) / 1000.0;
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *dir = NULL;
  g_autofree char *disk = NULL;
  g_autofree char *drive = NULL;
  g_autofree char *text = NULL;
  g_autoptr(HvConfig) config = NULL;
  g_autoptr(HvDomainSpec) spec = NULL;
  g_autoptr(HvSnapshots) snapshots = NULL;
  g_autoptr(JsonNode) block = NULL;
  const char *node;
  TestGuest *guest;
  guint rounds;

  if (argc != 3)
    {
      g_printerr ("usage: bench-snapshots GUEST_DIR ROUNDS\n");
      return 2;
    }
  rounds = (guint) g_ascii_strtoull (argv[2], NULL, 10);
  dir = make_test_dir ("bench-snapshots");
  disk = g_build_filename (dir, "disk.qcow2", NULL);
  {
    const char *create[] = { "qemu-img", "create", "-q", "-f", "qcow2", disk, "1G", NULL };
    g_free (run_ok (create));
  }
  drive = g_strdup_printf ("file=%s,format=qcow2,if=virtio,id=disk0", disk);
  text = g_strdup_printf ("name = 'bench'\nkernel = '%s/vmlinuz'\nmemory = 256\ndisk = [ 'tap:qcow2:%s,xvda,w' ]\n",
                          argv[1], disk);
  config = hv_config_new_from_data (text, -1, "bench.cfg", NULL);
  spec = hv_domain_spec_new (config, HV_DOMAIN_SPEC_FLAGS_NONE, NULL);
  {
    const char *drives[] = { drive, NULL };
    guest = test_guest_start (argv[1], dir, "bench", drives, NULL);
  }
  g_free (test_guest_wait_line (guest, "tick 2", 0, 120));
  snapshots = hv_snapshots_new (spec, guest->qmp);
  g_signal_connect (guest->qmp, "event", G_CALLBACK (on_event), NULL);
  block = test_guest_qmp (guest, "query-block", NULL);
  node = json_object_get_string_member (json_object_get_object_member (
           json_array_get_object_element (json_node_get_array (block), 0), "inserted"), "node-name");

  for (guint i = 0; i < rounds; i++)
    {
      g_autofree char *name = g_strdup_printf ("domus%u", i);
      g_autofree char *bare = g_strdup_printf ("bare%u", i);
      gint64 start;

      /* Who goes first alternates: the second save of a round finds the image grown. */
      for (guint turn = 0; turn < 2; turn++)
        {
          start = g_get_monotonic_time ();
          if ((turn + i) % 2 == 0)
            {
              bare_job (guest, "snapshot-save", node, bare, i);
              g_print ("bare create %.1f\n", elapsed_ms (start));
            }
          else
            {
              domus_change (snapshots, "create", name);
              g_print ("domus create %.1f\n", elapsed_ms (start));
            }
        }
      for (guint turn = 0; turn < 2; turn++)
        {
          start = g_get_monotonic_time ();
          if ((turn + i) % 2 == 0)
            {
              bare_job (guest, "snapshot-load", node, bare, i);
              g_print ("bare revert %.1f\n", elapsed_ms (start));
            }
          else
            {
              domus_change (snapshots, "revert", name);
              g_print ("domus revert %.1f\n", elapsed_ms (start));
            }
        }
      bare_job (guest, "snapshot-delete", node, bare, i);
      domus_change (snapshots, "delete", name);
    }
  test_guest_stop (guest);
  remove_test_dir (dir);
  return 0;
}
