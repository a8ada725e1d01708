/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The alert rules and the alerts model: thresholds over time, crashes, acknowledging, keeping,
 * the state file; the [alerts] group of domusd.conf; how full a filesystem is. */

#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>
#include <unistd.h>

#include "hv-alert-rules.h"
#include "hv-alerts.h"
#include "hv-daemon-config.h"
#include "hv-disk-usage.h"

#define MINUTE (60 * G_USEC_PER_SEC)

static GPtrArray *raised;

static void
on_raised (HvAlerts *alerts,
           HvAlert  *alert,
           gpointer  user_data)
{
  g_ptr_array_add (raised, hv_alert_ref (alert));
}

static HvAlerts *
new_alerts (guint cpu_percent,
            guint cpu_minutes,
            guint memory_percent)
{
  HvAlertRules rules;
  HvAlerts *alerts;

  hv_alert_rules_init (&rules);
  rules.cpu_percent = cpu_percent;
  rules.cpu_minutes = cpu_minutes;
  rules.memory_percent = memory_percent;
  rules.disk_percent = 90;
  alerts = hv_alerts_new (&rules);
  hv_alert_rules_clear (&rules);
  if (raised != NULL)
    g_ptr_array_unref (raised);
  raised = g_ptr_array_new_with_free_func ((GDestroyNotify) hv_alert_unref);
  g_signal_connect (alerts, "raised", G_CALLBACK (on_raised), NULL);
  return alerts;
}

/* A sample at `time_us`: the host at host_cpu, memory 1000 of 2000 MiB (50 %), and domain
 * "web" (2 vCPUs) at web_cpu of one core, when web_cpu >= 0. */
static HvStatsSample *
sample_at (gint64 time_us,
           double host_cpu,
           double web_cpu)
{
  HvStatsSample *sample = hv_stats_sample_new (web_cpu >= 0 ? 1 : 0);

  sample->time_us = time_us;
  sample->host_cpu_percent = host_cpu;
  sample->host_memory_mib = 2000;
  sample->host_memory_used_mib = 1000;
  if (web_cpu >= 0)
    {
      sample->domains[0].name = g_intern_string ("web");
      sample->domains[0].id = 4;
      sample->domains[0].vcpus = 2;
      sample->domains[0].cpu_percent = web_cpu;
    }
  return sample;
}

static void
observe (HvAlerts *alerts,
         gint64    time_us,
         double    host_cpu,
         double    web_cpu)
{
  g_autoptr(HvStatsSample) sample = sample_at (time_us, host_cpu, web_cpu);

  hv_alerts_observe_sample (alerts, sample);
}

static void
test_cpu_needs_its_minutes (void)
{
  g_autoptr(HvAlerts) alerts = new_alerts (80, 5, 0);
  HvAlert *alert;

  /* The domain's 2 vCPUs at 180 % of one core is 90 % of its processors. */
  for (gint64 t = 0; t < 5 * MINUTE; t += MINUTE)
    observe (alerts, t, 10, 180);
  g_assert_cmpuint (raised->len, ==, 0);
  observe (alerts, 5 * MINUTE, 10, 180);
  g_assert_cmpuint (raised->len, ==, 1);
  alert = g_ptr_array_index (raised, 0);
  g_assert_cmpint (alert->kind, ==, HV_ALERT_CPU);
  g_assert_cmpstr (alert->domain, ==, "web");
  g_assert_cmpfloat_with_epsilon (alert->value, 90, 0.001);
  g_assert_cmpuint (alert->threshold, ==, 80);
  g_assert_cmpuint (alert->id, ==, 1);
  g_assert_nonnull (strstr (alert->message, "web"));
  g_assert_nonnull (strstr (alert->message, "5 minutes"));

  /* Still over: no second alert. Just under (within the re-arm margin), then over: none either. */
  observe (alerts, 6 * MINUTE, 10, 180);
  observe (alerts, 7 * MINUTE, 10, 159);
  for (gint64 t = 8 * MINUTE; t <= 14 * MINUTE; t += MINUTE)
    observe (alerts, t, 10, 180);
  g_assert_cmpuint (raised->len, ==, 1);

  /* Clearly under, then over for its minutes again: a second one. */
  observe (alerts, 15 * MINUTE, 10, 20);
  for (gint64 t = 16 * MINUTE; t <= 21 * MINUTE; t += MINUTE)
    observe (alerts, t, 10, 180);
  g_assert_cmpuint (raised->len, ==, 2);
}

static void
test_cpu_minutes_start_again_when_under (void)
{
  g_autoptr(HvAlerts) alerts = new_alerts (80, 3, 0);

  observe (alerts, 0, 95, -1);
  observe (alerts, 2 * MINUTE, 95, -1);
  observe (alerts, 2 * MINUTE + 1, 50, -1);   /* a dip: the three minutes start again */
  observe (alerts, 3 * MINUTE, 95, -1);
  observe (alerts, 5 * MINUTE, 95, -1);
  g_assert_cmpuint (raised->len, ==, 0);
  observe (alerts, 6 * MINUTE, 95, -1);
  g_assert_cmpuint (raised->len, ==, 1);
  g_assert_null (((HvAlert *) g_ptr_array_index (raised, 0))->domain);
}

static void
test_domain_that_stops_starts_again (void)
{
  g_autoptr(HvAlerts) alerts = new_alerts (80, 2, 0);

  observe (alerts, 0, 10, 180);
  observe (alerts, MINUTE, 10, 180);
  /* Shut off (absent from the next sample), then back: its two minutes count from its return. */
  observe (alerts, 2 * MINUTE - 1, 10, -1);
  observe (alerts, 2 * MINUTE, 10, 180);
  observe (alerts, 3 * MINUTE, 10, 180);
  g_assert_cmpuint (raised->len, ==, 0);
  observe (alerts, 4 * MINUTE, 10, 180);
  g_assert_cmpuint (raised->len, ==, 1);

  /* A domain event that ends it forgets it too. */
  hv_alerts_domain_event (alerts, "web", "destroyed", 5 * MINUTE);
  observe (alerts, 5 * MINUTE, 10, 20);
  g_assert_cmpuint (raised->len, ==, 1);
}

static void
test_memory_and_off_rules (void)
{
  g_autoptr(HvAlerts) alerts = new_alerts (0, 5, 40);
  HvAlertRules rules;

  /* CPU off: nothing however long; memory at 50 % over 40 %: at once (no minutes). */
  for (gint64 t = 0; t <= 30 * MINUTE; t += MINUTE)
    observe (alerts, t, 100, 200);
  g_assert_cmpuint (raised->len, ==, 1);
  g_assert_cmpint (((HvAlert *) g_ptr_array_index (raised, 0))->kind, ==, HV_ALERT_MEMORY);
  g_assert_cmpfloat_with_epsilon (((HvAlert *) g_ptr_array_index (raised, 0))->value, 50, 0.001);

  /* A change to another rule keeps memory's subject raised; a new memory threshold starts over. */
  hv_alert_rules_copy (&rules, hv_alerts_get_rules (alerts));
  rules.cpu_minutes = 9;
  hv_alerts_set_rules (alerts, &rules);
  observe (alerts, 31 * MINUTE, 0, -1);
  g_assert_cmpuint (raised->len, ==, 1);
  rules.memory_percent = 45;
  hv_alerts_set_rules (alerts, &rules);
  observe (alerts, 32 * MINUTE, 0, -1);
  g_assert_cmpuint (raised->len, ==, 2);
  hv_alert_rules_clear (&rules);
}

static void
test_crashes (void)
{
  g_autoptr(HvAlerts) alerts = new_alerts (0, 5, 0);
  HvAlertRules rules;
  HvAlert *alert;

  hv_alerts_domain_event (alerts, "web", "started", 1);
  hv_alerts_domain_event (alerts, "web", "shutdown", 2);
  hv_alerts_domain_event (alerts, "web", "destroyed", 3);
  g_assert_cmpuint (raised->len, ==, 0);
  hv_alerts_domain_event (alerts, "web", "crashed", 4);
  hv_alerts_domain_event (alerts, "db", "io-error", 5);
  g_assert_cmpuint (raised->len, ==, 2);
  alert = g_ptr_array_index (raised, 0);
  g_assert_cmpint (alert->kind, ==, HV_ALERT_DOMAIN_CRASHED);
  g_assert_cmpstr (alert->domain, ==, "web");
  g_assert_cmpint (alert->time_us, ==, 4);
  g_assert_cmpstr (alert->message, ==, "The domain web crashed.");
  g_assert_cmpint (((HvAlert *) g_ptr_array_index (raised, 1))->kind, ==, HV_ALERT_DOMAIN_STOPPED);

  hv_alert_rules_copy (&rules, hv_alerts_get_rules (alerts));
  rules.domain_crashed = FALSE;
  hv_alerts_set_rules (alerts, &rules);
  hv_alerts_domain_event (alerts, "web", "crashed", 6);
  g_assert_cmpuint (raised->len, ==, 2);
  hv_alert_rules_clear (&rules);
}

static void
test_filesystems (void)
{
  g_autoptr(HvAlerts) alerts = new_alerts (0, 5, 0);
  g_autoptr(GPtrArray) uses = g_ptr_array_new_with_free_func ((GDestroyNotify) hv_filesystem_use_free);
  HvFilesystemUse *use = g_new0 (HvFilesystemUse, 1);
  HvAlert *alert;

  use->path = g_strdup ("/srv/images");
  use->percent_used = 93.5;
  use->free_bytes = 3 * 1000 * 1000 * 1000ull;
  g_ptr_array_add (uses, use);
  hv_alerts_observe_filesystems (alerts, uses, 10);
  hv_alerts_observe_filesystems (alerts, uses, 20);
  g_assert_cmpuint (raised->len, ==, 1);
  alert = g_ptr_array_index (raised, 0);
  g_assert_cmpint (alert->kind, ==, HV_ALERT_DISK_SPACE);
  g_assert_cmpstr (alert->path, ==, "/srv/images");
  g_assert_nonnull (strstr (alert->message, "/srv/images"));
  g_assert_nonnull (strstr (alert->message, "94 %"));
  g_assert_nonnull (strstr (alert->message, "3.0"));

  /* No longer among the filesystems in use: forgotten, so it raises again when it is back. */
  g_ptr_array_set_size (uses, 0);
  hv_alerts_observe_filesystems (alerts, uses, 30);
  use = g_new0 (HvFilesystemUse, 1);
  use->path = g_strdup ("/srv/images");
  use->percent_used = 95;
  g_ptr_array_add (uses, use);
  hv_alerts_observe_filesystems (alerts, uses, 40);
  g_assert_cmpuint (raised->len, ==, 2);
}

static void
test_acknowledge_and_keep (void)
{
  g_autoptr(HvAlerts) alerts = new_alerts (0, 5, 0);
  g_autoptr(GArray) changed = NULL;
  g_autoptr(GPtrArray) list = NULL;
  HvAlertRules rules;
  guint64 ids[] = { 2, 99 };

  for (guint i = 0; i < 5; i++)
    {
      g_autofree char *name = g_strdup_printf ("vm%u", i);

      hv_alerts_domain_event (alerts, name, "crashed", i);
    }
  g_assert_cmpuint (hv_alerts_count_unacknowledged (alerts), ==, 5);
  changed = hv_alerts_acknowledge (alerts, ids, G_N_ELEMENTS (ids));
  g_assert_cmpuint (changed->len, ==, 1);
  g_assert_cmpuint (g_array_index (changed, guint64, 0), ==, 2);
  g_clear_pointer (&changed, g_array_unref);
  /* Already acknowledged: nothing changes. */
  changed = hv_alerts_acknowledge (alerts, ids, 1);
  g_assert_cmpuint (changed->len, ==, 0);
  g_clear_pointer (&changed, g_array_unref);
  list = hv_alerts_dup_list (alerts, TRUE);
  g_assert_cmpuint (list->len, ==, 4);
  g_clear_pointer (&list, g_ptr_array_unref);

  /* Keeping three drops the two oldest. */
  hv_alert_rules_copy (&rules, hv_alerts_get_rules (alerts));
  rules.keep = 3;
  hv_alerts_set_rules (alerts, &rules);
  hv_alert_rules_clear (&rules);
  list = hv_alerts_dup_list (alerts, FALSE);
  g_assert_cmpuint (list->len, ==, 3);
  g_assert_cmpuint (((HvAlert *) g_ptr_array_index (list, 0))->id, ==, 3);

  changed = hv_alerts_acknowledge (alerts, NULL, 0);
  g_assert_cmpuint (changed->len, ==, 3);
  g_assert_cmpuint (hv_alerts_count_unacknowledged (alerts), ==, 0);
}

static void
test_state_file_round_trip (void)
{
  g_autoptr(HvAlerts) alerts = new_alerts (0, 5, 0);
  g_autoptr(HvAlerts) again = new_alerts (0, 5, 0);
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(JsonNode) bad = json_from_string ("{\"alerts\": [{\"id\": 0}, 7, {\"id\": 40, \"kind\": \"nonsense\", \"message\": \"x\"}]}", NULL);
  g_autoptr(GPtrArray) list = NULL;
  g_autoptr(GError) error = NULL;
  HvAlert *alert;

  hv_alerts_domain_event (alerts, "web", "crashed", 1234);
  hv_alerts_domain_event (alerts, "db", "crashed", 1235);
  g_array_unref (hv_alerts_acknowledge (alerts, (guint64[]) { 1 }, 1));
  node = hv_alerts_to_json (alerts);
  g_assert_true (hv_alerts_load_json (again, node, &error));
  g_assert_no_error (error);
  list = hv_alerts_dup_list (again, FALSE);
  g_assert_cmpuint (list->len, ==, 2);
  alert = g_ptr_array_index (list, 0);
  g_assert_cmpuint (alert->id, ==, 1);
  g_assert_true (alert->acknowledged);
  g_assert_cmpint (alert->time_us, ==, 1234);
  g_assert_cmpstr (alert->domain, ==, "web");
  g_assert_false (((HvAlert *) g_ptr_array_index (list, 1))->acknowledged);

  /* Ids go on from where they were. */
  g_ptr_array_set_size (raised, 0);
  hv_alerts_domain_event (again, "web", "crashed", 1300);
  g_assert_cmpuint (((HvAlert *) g_ptr_array_index (raised, 0))->id, ==, 3);

  /* Entries that are not alerts are passed over; something that is no list is refused. */
  g_assert_true (hv_alerts_load_json (again, bad, &error));
  g_clear_pointer (&list, g_ptr_array_unref);
  list = hv_alerts_dup_list (again, FALSE);
  g_assert_cmpuint (list->len, ==, 0);
  g_clear_pointer (&bad, json_node_unref);
  bad = json_from_string ("[1, 2]", NULL);
  g_assert_false (hv_alerts_load_json (again, bad, &error));
  g_assert_nonnull (error);
}

static void
test_rules_from_text_and_json (void)
{
  g_autoptr(JsonNode) changes = json_from_string ("{\"cpu-percent\": 75, \"domain-crashed\": false}", NULL);
  g_autoptr(JsonNode) bad_type = json_from_string ("{\"cpu-percent\": 75, \"keep\": \"ten\"}", NULL);
  g_autoptr(JsonNode) command = json_from_string ("{\"command\": \"rm -rf /\"}", NULL);
  g_autoptr(JsonNode) unknown = json_from_string ("{\"cpu\": 3}", NULL);
  g_autoptr(JsonNode) out = NULL;
  g_autoptr(GError) error = NULL;
  HvAlertRules rules;
  JsonObject *object;

  hv_alert_rules_init (&rules);
  g_assert_true (hv_alert_rules_set_from_text (&rules, "cpu-percent", " 90 ", &error));
  g_assert_cmpuint (rules.cpu_percent, ==, 90);
  g_assert_true (hv_alert_rules_set_from_text (&rules, "domain-crashed", "no", &error));
  g_assert_false (rules.domain_crashed);
  g_assert_true (hv_alert_rules_set_from_text (&rules, "command", "/usr/bin/mail -s 'Domus alert' root", &error));
  g_assert_cmpstr (rules.command, ==, "/usr/bin/mail -s 'Domus alert' root");

  g_assert_false (hv_alert_rules_set_from_text (&rules, "cpu-percent", "101", &error));
  g_assert_error (error, HV_ALERT_RULES_ERROR, HV_ALERT_RULES_ERROR_VALUE);
  g_assert_nonnull (strstr (error->message, "101"));
  g_clear_error (&error);
  g_assert_false (hv_alert_rules_set_from_text (&rules, "keep", "0", &error));
  g_clear_error (&error);
  g_assert_false (hv_alert_rules_set_from_text (&rules, "command", "mail 'unclosed", &error));
  g_assert_error (error, HV_ALERT_RULES_ERROR, HV_ALERT_RULES_ERROR_VALUE);
  g_clear_error (&error);
  g_assert_false (hv_alert_rules_set_from_text (&rules, "cpu", "1", &error));
  g_assert_error (error, HV_ALERT_RULES_ERROR, HV_ALERT_RULES_ERROR_UNKNOWN_KEY);
  g_clear_error (&error);
  g_assert_cmpuint (rules.cpu_percent, ==, 90);

  g_assert_true (hv_alert_rules_set_from_json (&rules, json_node_get_object (changes), &error));
  g_assert_cmpuint (rules.cpu_percent, ==, 75);
  g_assert_false (rules.domain_crashed);
  /* All or nothing: a bad value leaves cpu-percent as it was. */
  rules.cpu_percent = 10;
  g_assert_false (hv_alert_rules_set_from_json (&rules, json_node_get_object (bad_type), &error));
  g_assert_error (error, HV_ALERT_RULES_ERROR, HV_ALERT_RULES_ERROR_VALUE);
  g_clear_error (&error);
  g_assert_cmpuint (rules.cpu_percent, ==, 10);
  g_assert_false (hv_alert_rules_set_from_json (&rules, json_node_get_object (command), &error));
  g_assert_error (error, HV_ALERT_RULES_ERROR, HV_ALERT_RULES_ERROR_READ_ONLY);
  g_clear_error (&error);
  g_assert_false (hv_alert_rules_set_from_json (&rules, json_node_get_object (unknown), &error));
  g_assert_error (error, HV_ALERT_RULES_ERROR, HV_ALERT_RULES_ERROR_UNKNOWN_KEY);
  g_clear_error (&error);

  out = hv_alert_rules_to_json (&rules);
  object = json_node_get_object (out);
  g_assert_cmpint (json_object_get_int_member (object, "cpu-percent"), ==, 10);
  g_assert_false (json_object_get_boolean_member (object, "domain-crashed"));
  g_assert_cmpstr (json_object_get_string_member (object, "command"), ==, "/usr/bin/mail -s 'Domus alert' root");
  hv_alert_rules_clear (&rules);
}

static char *
write_temp (const char *text)
{
  g_autoptr(GError) error = NULL;
  char *path = NULL;
  int fd = g_file_open_tmp ("domusd-XXXXXX.conf", &path, &error);

  g_assert_no_error (error);
  close (fd);
  g_assert_true (g_file_set_contents (path, text, -1, NULL));
  return path;
}

static void
test_config_group (void)
{
  g_autofree char *path = write_temp ("# mine\n[relocation]\nenabled=true\n\n[alerts]\ncpu-percent=80\n"
                                      "cpu-minutes=10\ncommand=/bin/true --quiet\n");
  g_autofree char *bad = write_temp ("[alerts]\ndomain-crashed=true\n\ndisk-percent=200\n");
  g_autofree char *typo = write_temp ("[alerts]\ncpu-percnt=3\n");
  g_autofree char *text = NULL;
  g_autoptr(HvDaemonConfig) config = NULL;
  g_autoptr(HvDaemonConfig) reread = NULL;
  g_autoptr(GError) error = NULL;
  HvAlertRules rules;

  config = hv_daemon_config_load (path, TRUE, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (config->alerts.cpu_percent, ==, 80);
  g_assert_cmpuint (config->alerts.cpu_minutes, ==, 10);
  g_assert_cmpuint (config->alerts.disk_percent, ==, 95);
  g_assert_cmpstr (config->alerts.command, ==, "/bin/true --quiet");

  g_assert_null (hv_daemon_config_load (bad, TRUE, &error));
  g_assert_error (error, HV_DAEMON_CONFIG_ERROR, HV_DAEMON_CONFIG_ERROR_VALUE);
  /* FILE:LINE: [alerts] key: … */
  g_assert_nonnull (strstr (error->message, ":4: [alerts] disk-percent:"));
  g_assert_nonnull (strstr (error->message, bad));
  g_clear_error (&error);
  g_assert_null (hv_daemon_config_load (typo, TRUE, &error));
  g_assert_error (error, HV_DAEMON_CONFIG_ERROR, HV_DAEMON_CONFIG_ERROR_UNKNOWN);
  g_assert_nonnull (strstr (error->message, "cpu-percnt"));
  g_clear_error (&error);

  /* Saving changes [alerts] and keeps the rest, comments and the command included. */
  hv_alert_rules_copy (&rules, &config->alerts);
  rules.cpu_percent = 66;
  g_free (rules.command);
  rules.command = g_strdup ("/bin/false");
  g_assert_true (hv_daemon_config_save_alerts (config, &rules, &error));
  g_assert_no_error (error);
  hv_alert_rules_clear (&rules);
  g_assert_cmpuint (config->alerts.cpu_percent, ==, 66);
  g_assert_cmpstr (config->alerts.command, ==, "/bin/true --quiet");
  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  g_assert_nonnull (strstr (text, "# mine"));
  g_assert_nonnull (strstr (text, "enabled=true"));
  reread = hv_daemon_config_load (path, TRUE, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (reread->alerts.cpu_percent, ==, 66);
  g_assert_cmpstr (reread->alerts.command, ==, "/bin/true --quiet");
  g_assert_true (reread->relocation.enabled);

  g_unlink (path);
  g_unlink (bad);
  g_unlink (typo);
}

static void
test_config_saved_where_none_was (void)
{
  g_autofree char *dir = g_dir_make_tmp ("domus-alerts-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "sub", "domusd.conf", NULL);
  g_autofree char *folder = g_path_get_dirname (path);
  g_autoptr(HvDaemonConfig) config = NULL;
  g_autoptr(HvDaemonConfig) reread = NULL;
  g_autoptr(GError) error = NULL;
  HvAlertRules rules;

  config = hv_daemon_config_load (path, FALSE, &error);
  g_assert_no_error (error);
  g_assert_null (config->path);
  hv_alert_rules_copy (&rules, &config->alerts);
  rules.memory_percent = 70;
  g_assert_true (hv_daemon_config_save_alerts (config, &rules, &error));
  g_assert_no_error (error);
  hv_alert_rules_clear (&rules);
  reread = hv_daemon_config_load (path, TRUE, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (reread->alerts.memory_percent, ==, 70);
  g_unlink (path);
  g_rmdir (folder);
  g_rmdir (dir);
}

static void
test_disk_usage (void)
{
  g_autofree char *dir = g_dir_make_tmp ("domus-alerts-XXXXXX", NULL);
  g_autofree char *file = g_build_filename (dir, "disk.img", NULL);
  g_autofree char *missing = g_build_filename (dir, "nothing", NULL);
  const char *paths[] = { missing, dir, file, NULL };
  g_autoptr(GPtrArray) uses = NULL;
  HvFilesystemUse *use;

  g_assert_true (g_file_set_contents (file, "x", 1, NULL));
  uses = hv_disk_usage_measure (paths);
  /* The folder and the file share a filesystem: one entry, named by the first found. */
  g_assert_cmpuint (uses->len, ==, 1);
  use = g_ptr_array_index (uses, 0);
  g_assert_cmpstr (use->path, ==, dir);
  g_assert_cmpfloat (use->percent_used, >=, 0);
  g_assert_cmpfloat (use->percent_used, <=, 100);
  g_assert_cmpuint (use->free_bytes, >, 0);
  g_unlink (file);
  g_rmdir (dir);
}

int
main (int    argc,
      char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/alerts/cpu-needs-its-minutes", test_cpu_needs_its_minutes);
  g_test_add_func ("/alerts/cpu-minutes-start-again-when-under", test_cpu_minutes_start_again_when_under);
  g_test_add_func ("/alerts/domain-that-stops-starts-again", test_domain_that_stops_starts_again);
  g_test_add_func ("/alerts/memory-and-off-rules", test_memory_and_off_rules);
  g_test_add_func ("/alerts/crashes", test_crashes);
  g_test_add_func ("/alerts/filesystems", test_filesystems);
  g_test_add_func ("/alerts/acknowledge-and-keep", test_acknowledge_and_keep);
  g_test_add_func ("/alerts/state-file-round-trip", test_state_file_round_trip);
  g_test_add_func ("/alerts/rules-from-text-and-json", test_rules_from_text_and_json);
  g_test_add_func ("/alerts/config-group", test_config_group);
  g_test_add_func ("/alerts/config-saved-where-none-was", test_config_saved_where_none_was);
  g_test_add_func ("/alerts/disk-usage", test_disk_usage);
  status = g_test_run ();
  g_clear_pointer (&raised, g_ptr_array_unref);
  return status;
}
