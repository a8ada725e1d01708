/* SPDX-License-Identifier: GPL-3.0-or-later */
/* DomusAlertList, a host's alerts as the window sees them: listings, events, acknowledging. */

#include <glib.h>

#include "domus-alert-list.h"

static DomusAlert *
daemon_alert (guint64  id,
              gint64   time_us,
              gboolean acknowledged)
{
  g_autofree char *message = g_strdup_printf ("alert %" G_GUINT64_FORMAT, id);

  return _domus_alert_new (id, time_us, "domain-crashed", "web", NULL, message, -1, 0,
                           acknowledged, "host1");
}

static guint changes;

static void
count_changes (GListModel *model,
               guint       position,
               guint       removed,
               guint       added,
               gpointer    user_data)
{
  changes++;
}

static void
test_sync_keeps_objects_and_local_ones (void)
{
  g_autoptr(DomusAlertList) list = domus_alert_list_new ();
  g_autoptr(GPtrArray) first = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) second = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(DomusAlert) lost = _domus_alert_new_host_lost ("host1", "The connection to host1 was lost: x");
  g_autoptr(DomusAlert) kept = NULL;
  g_autoptr(DomusAlert) item = NULL;

  g_ptr_array_add (first, daemon_alert (1, 100, FALSE));
  g_ptr_array_add (first, daemon_alert (2, 300, FALSE));
  _domus_alert_list_sync (list, first);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 2);
  g_assert_cmpuint (domus_alert_list_get_n_open (list), ==, 2);
  kept = g_object_ref (domus_alert_list_lookup (list, 2));

  /* Ours: kept through listings, in time order (now: after the daemon's). */
  g_assert_true (domus_alert_get_local (lost));
  g_assert_cmpint (domus_alert_get_kind (lost), ==, DOMUS_ALERT_KIND_HOST_LOST);
  _domus_alert_list_add (list, lost);

  /* A reconnection: 1 has gone (the daemon keeps fewer), 2 was acknowledged meanwhile, 3 is new. */
  g_ptr_array_add (second, daemon_alert (2, 300, TRUE));
  g_ptr_array_add (second, daemon_alert (3, 400, FALSE));
  _domus_alert_list_sync (list, second);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 3);
  g_assert_null (domus_alert_list_lookup (list, 1));
  g_assert_true (domus_alert_list_lookup (list, 2) == kept);
  g_assert_true (domus_alert_get_acknowledged (kept));
  item = g_list_model_get_item (G_LIST_MODEL (list), 1);
  g_assert_cmpuint (domus_alert_get_id (item), ==, 3);
  g_clear_object (&item);
  item = g_list_model_get_item (G_LIST_MODEL (list), 2);
  g_assert_true (item == lost);
  /* The lost connection and 3 are open. */
  g_assert_cmpuint (domus_alert_list_get_n_open (list), ==, 2);
}

static void
test_events (void)
{
  g_autoptr(DomusAlertList) list = domus_alert_list_new ();
  g_autoptr(DomusAlert) one = daemon_alert (7, 10, FALSE);
  g_autoptr(DomusAlert) again = daemon_alert (7, 10, FALSE);
  guint64 ids[] = { 7, 99 };

  g_signal_connect (list, "items-changed", G_CALLBACK (count_changes), NULL);
  changes = 0;
  _domus_alert_list_add (list, one);
  /* The same alert twice (an event and a listing crossing): once. */
  _domus_alert_list_add (list, again);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 1);
  g_assert_cmpuint (changes, ==, 1);
  _domus_alert_list_acknowledge (list, ids, G_N_ELEMENTS (ids));
  g_assert_true (domus_alert_get_acknowledged (one));
  g_assert_cmpuint (domus_alert_list_get_n_open (list), ==, 0);
}

static void
test_local_ones_are_few (void)
{
  g_autoptr(DomusAlertList) list = domus_alert_list_new ();
  g_autoptr(DomusAlert) first = NULL;

  for (guint i = 0; i < DOMUS_ALERT_LIST_MAX_LOCAL + 5; i++)
    {
      g_autofree char *message = g_strdup_printf ("lost %u", i);
      g_autoptr(DomusAlert) lost = _domus_alert_new_host_lost ("h", message);

      _domus_alert_list_add (list, lost);
    }
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, DOMUS_ALERT_LIST_MAX_LOCAL);
  first = g_list_model_get_item (G_LIST_MODEL (list), 0);
  g_assert_cmpstr (domus_alert_get_message (first), ==, "lost 5");
}

static void
test_unknown_kind (void)
{
  g_autoptr(DomusAlert) alert = _domus_alert_new (1, 1, "solar-flare", NULL, NULL, "Sun.", -1, 0, FALSE, "h");
  g_autoptr(DomusAlert) pretending = _domus_alert_new (2, 1, "host-lost", NULL, NULL, "x", -1, 0, FALSE, "h");

  g_assert_cmpint (domus_alert_get_kind (alert), ==, DOMUS_ALERT_KIND_OTHER);
  g_assert_cmpint (domus_alert_get_kind (pretending), ==, DOMUS_ALERT_KIND_OTHER);
  g_assert_cmpstr (domus_alert_kind_to_string (DOMUS_ALERT_KIND_DISK_SPACE), ==, "disk-space");
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/alert-list/sync-keeps-objects-and-local-ones", test_sync_keeps_objects_and_local_ones);
  g_test_add_func ("/alert-list/events", test_events);
  g_test_add_func ("/alert-list/local-ones-are-few", test_local_ones_are_few);
  g_test_add_func ("/alert-list/unknown-kind", test_unknown_kind);
  return g_test_run ();
}
