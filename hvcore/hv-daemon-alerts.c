/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The alerts.* methods and what feeds the host's alerts: domain events, stats samples and a
 * look at the image filesystems every minute. New alerts go to every client (alert.raised)
 * and to the rules' command; the kept list is saved beside the stats folder.
 */

#include "config.h"

#include <errno.h>
#include <glib/gi18n-lib.h>

#include "domus-json-util.h"
#include "hv-daemon-private.h"
#include "hv-disk-usage.h"

/* How often the image filesystems are measured. */
#define DISK_CHECK_SECONDS 60
/* Alerts come in bursts (many guests over a threshold in one sample): one save per burst. */
#define SAVE_DELAY_MS 1000

#define ALERTS_FILE "alerts.json"

/* Saving */

static void
save_now (HvDaemon *self)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) node = hv_alerts_to_json (self->alerts);
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  json_generator_set_root (generator, node);
  text = json_generator_to_data (generator, NULL);
  /* Losing the list is a pity, not a reason to stop watching: say it and go on. */
  if (!g_file_set_contents_full (self->alerts_path, text, -1,
                                 G_FILE_SET_CONTENTS_CONSISTENT, 0600, &error))
    g_message ("cannot save the alerts: %s", error->message);
}

static gboolean
on_save_due (gpointer user_data)
{
  HvDaemon *self = HV_DAEMON (user_data);

  self->alerts_save_id = 0;
  save_now (self);
  return G_SOURCE_REMOVE;
}

static void
on_alerts_changed (HvAlerts *alerts,
                   gpointer  user_data)
{
  HvDaemon *self = HV_DAEMON (user_data);

  if (self->alerts_save_id == 0)
    self->alerts_save_id = g_timeout_add (SAVE_DELAY_MS, on_save_due, self);
}

static void
load_saved (HvDaemon *self)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  if (!g_file_test (self->alerts_path, G_FILE_TEST_EXISTS))
    return;
  if (!json_parser_load_from_file (parser, self->alerts_path, &error) ||
      !hv_alerts_load_json (self->alerts, json_parser_get_root (parser), &error))
    g_message ("%s: the alerts kept there are not read: %s", self->alerts_path, error->message);
}

/* Events */

static void
on_alert_raised (HvAlerts *alerts,
                 HvAlert  *alert,
                 gpointer  user_data)
{
  HvDaemon *self = HV_DAEMON (user_data);
  g_autoptr(JsonNode) params = hv_alert_to_json (alert);
  const char *command = hv_alerts_get_rules (alerts)->command;

  g_message ("alert %" G_GUINT64_FORMAT ": %s", alert->id, alert->message);
  hv_rpc_server_broadcast (self->server, "alert.raised", params);
  if (command != NULL)
    hv_alert_command_run (self->alert_command, command, alert);
}

static JsonNode *
ids_to_json (GArray *ids)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "ids");
  json_builder_begin_array (builder);
  for (guint i = 0; i < ids->len; i++)
    json_builder_add_int_value (builder, (gint64) g_array_index (ids, guint64, i));
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

static void
on_alerts_acknowledged (HvAlerts *alerts,
                        GArray   *ids,
                        gpointer  user_data)
{
  HvDaemon *self = HV_DAEMON (user_data);
  g_autoptr(JsonNode) params = ids_to_json (ids);

  hv_rpc_server_broadcast (self->server, "alert.acknowledged", params);
}

static void
on_domain_event (HvHost     *host,
                 HvDomain   *domain,
                 const char *reason,
                 gpointer    user_data)
{
  HvDaemon *self = HV_DAEMON (user_data);

  hv_alerts_domain_event (self->alerts, hv_domain_get_name (domain), reason, g_get_real_time ());
}

static void
on_sample (HvStatsSampler *sampler,
           gpointer        sample,
           gpointer        user_data)
{
  HvDaemon *self = HV_DAEMON (user_data);

  hv_alerts_observe_sample (self->alerts, sample);
}

/* The image filesystems */

static GStrv
collect_image_paths (HvDaemon *self)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_autoptr(GPtrArray) active = hv_host_dup_active (self->host);

  /* The store first, so a filesystem it shares with disks is named by the store's folder. */
  g_strv_builder_add (builder, self->paths->image_dir);
  for (guint i = 0; i < active->len; i++)
    {
      const HvDomainSpec *spec = hv_domain_get_spec (g_ptr_array_index (active, i));

      for (guint j = 0; spec != NULL && j < spec->disks->len; j++)
        {
          const HvDiskSpec *disk = g_ptr_array_index (spec->disks, j);

          /* A CD-ROM or a read-only disk does not grow. */
          if (!disk->cdrom && !disk->readonly && disk->path != NULL && *disk->path != '\0')
            g_strv_builder_add (builder, disk->path);
        }
    }
  return g_strv_builder_end (builder);
}

static void
measure_in_thread (GTask        *task,
                   gpointer      source_object,
                   gpointer      task_data,
                   GCancellable *cancellable)
{
  g_task_return_pointer (task, hv_disk_usage_measure (task_data), (GDestroyNotify) g_ptr_array_unref);
}

static void
on_measured (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  HvDaemon *self = HV_DAEMON (source);
  g_autoptr(GPtrArray) uses = g_task_propagate_pointer (G_TASK (result), NULL);

  /* Cancelled: the alerts stopped (and forgot the cancellable). */
  if (uses == NULL)
    return;
  g_clear_object (&self->disk_check_cancellable);
  if (self->alerts != NULL)
    hv_alerts_observe_filesystems (self->alerts, uses, g_get_real_time ());
}

static gboolean
on_disk_check_due (gpointer user_data)
{
  HvDaemon *self = HV_DAEMON (user_data);
  g_autoptr(GTask) task = NULL;

  /* A filesystem that takes a minute to answer statvfs: one question at a time. */
  if (self->disk_check_cancellable != NULL)
    return G_SOURCE_CONTINUE;
  if (hv_alerts_get_rules (self->alerts)->disk_percent == 0)
    return G_SOURCE_CONTINUE;
  self->disk_check_cancellable = g_cancellable_new ();
  task = g_task_new (self, self->disk_check_cancellable, on_measured, NULL);
  g_task_set_source_tag (task, on_disk_check_due);
  g_task_set_return_on_cancel (task, TRUE);
  g_task_set_task_data (task, collect_image_paths (self), (GDestroyNotify) g_strfreev);
  g_task_run_in_thread (task, measure_in_thread);
  return G_SOURCE_CONTINUE;
}

/* Starting and stopping */

void
hv_daemon_start_alerts (HvDaemon *self)
{
  g_autofree char *state_dir = g_path_get_dirname (self->paths->stats_dir);

  self->alerts = hv_alerts_new (&self->config->alerts);
  self->alerts_path = g_build_filename (state_dir, ALERTS_FILE, NULL);
  load_saved (self);
  self->alert_command = hv_alert_command_new (self->name);
  g_signal_connect_object (self->alerts, "raised", G_CALLBACK (on_alert_raised), self, 0);
  g_signal_connect_object (self->alerts, "acknowledged", G_CALLBACK (on_alerts_acknowledged), self, 0);
  g_signal_connect_object (self->alerts, "changed", G_CALLBACK (on_alerts_changed), self, 0);
  g_signal_connect_object (self->host, "domain-event", G_CALLBACK (on_domain_event), self, 0);
  g_signal_connect_object (self->sampler, "sample", G_CALLBACK (on_sample), self, 0);
  on_disk_check_due (self);
  self->disk_check_id = g_timeout_add_seconds (DISK_CHECK_SECONDS, on_disk_check_due, self);
}

void
hv_daemon_stop_alerts (HvDaemon *self)
{
  g_clear_handle_id (&self->disk_check_id, g_source_remove);
  if (self->disk_check_cancellable != NULL)
    g_cancellable_cancel (self->disk_check_cancellable);
  g_clear_object (&self->disk_check_cancellable);
  if (self->alerts_save_id != 0)
    {
      g_clear_handle_id (&self->alerts_save_id, g_source_remove);
      save_now (self);
    }
  g_clear_object (&self->alert_command);
  if (self->alerts != NULL)
    g_signal_handlers_disconnect_by_data (self->alerts, self);
  g_clear_object (&self->alerts);
  g_clear_pointer (&self->alerts_path, g_free);
}

/* Methods */

static JsonNode *
alerts_result (HvDaemon *self,
               gboolean  unacknowledged_only)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(GPtrArray) alerts = hv_alerts_dup_list (self->alerts, unacknowledged_only);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "alerts");
  json_builder_begin_array (builder);
  for (guint i = 0; i < alerts->len; i++)
    json_builder_add_value (builder, hv_alert_to_json (g_ptr_array_index (alerts, i)));
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "unacknowledged");
  json_builder_add_int_value (builder, hv_alerts_count_unacknowledged (self->alerts));
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

/* Before the daemon has loaded its host (a client as fast as the start): nothing to say yet. */
static gboolean
check_started (HvDaemon  *self,
               HvRpcCall *call)
{
  if (self->alerts != NULL)
    return TRUE;
  hv_rpc_call_return_new_error (call, HV_RPC_ERROR_FAILED, _("The daemon is still starting."));
  return FALSE;
}

static void
method_alerts_list (HvRpcCall *call,
                    JsonNode  *params,
                    gpointer   user_data)
{
  HvDaemon *self = HV_DAEMON (user_data);
  g_autoptr(GError) error = NULL;
  gboolean unacknowledged;

  if (!hv_rpc_params_get_boolean (params, "unacknowledged", FALSE, &unacknowledged, &error))
    {
      hv_rpc_call_return_error (call, error);
      return;
    }
  if (check_started (self, call))
    hv_rpc_call_return (call, alerts_result (self, unacknowledged));
}

/* params.ids: a list of positive integers; absent with all = true. */
static gboolean
read_ids (JsonNode  *params,
          GArray   **ids,
          GError   **error)
{
  JsonObject *object = domus_json_node_get_object (params);
  JsonArray *array = object != NULL ? domus_json_object_get_array (object, "ids") : NULL;
  gboolean all;

  if (!hv_rpc_params_get_boolean (params, "all", FALSE, &all, error))
    return FALSE;
  if (all == (array != NULL))
    {
      g_set_error (error, HV_RPC_ERROR, HV_RPC_ERROR_INVALID_PARAMS,
                   _("Give either “ids” (a list of alert ids) or “all”: true."));
      return FALSE;
    }
  *ids = NULL;
  if (all)
    return TRUE;
  *ids = g_array_new (FALSE, FALSE, sizeof (guint64));
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *node = json_array_get_element (array, i);
      guint64 id;

      if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64 ||
          json_node_get_int (node) <= 0)
        {
          g_clear_pointer (ids, g_array_unref);
          g_set_error (error, HV_RPC_ERROR, HV_RPC_ERROR_INVALID_PARAMS,
                       _("“ids” must list alert ids: whole numbers from 1."));
          return FALSE;
        }
      id = (guint64) json_node_get_int (node);
      g_array_append_val (*ids, id);
    }
  return TRUE;
}

static void
method_alerts_acknowledge (HvRpcCall *call,
                           JsonNode  *params,
                           gpointer   user_data)
{
  HvDaemon *self = HV_DAEMON (user_data);
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) ids = NULL;
  g_autoptr(GArray) changed = NULL;

  if (!read_ids (params, &ids, &error))
    {
      hv_rpc_call_return_error (call, error);
      return;
    }
  if (!check_started (self, call))
    return;
  changed = hv_alerts_acknowledge (self->alerts, ids != NULL ? (guint64 *) ids->data : NULL,
                                   ids != NULL ? ids->len : 0);
  hv_rpc_call_return (call, ids_to_json (changed));
}

static JsonNode *
rules_result (HvDaemon *self)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "rules");
  json_builder_add_value (builder, hv_alert_rules_to_json (hv_alerts_get_rules (self->alerts)));
  json_builder_set_member_name (builder, "config");
  if (self->config->save_path != NULL)
    json_builder_add_string_value (builder, self->config->save_path);
  else
    json_builder_add_null_value (builder);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

static void
method_alerts_get_rules (HvRpcCall *call,
                         JsonNode  *params,
                         gpointer   user_data)
{
  HvDaemon *self = HV_DAEMON (user_data);

  if (check_started (self, call))
    hv_rpc_call_return (call, rules_result (self));
}

static void
method_alerts_set_rules (HvRpcCall *call,
                         JsonNode  *params,
                         gpointer   user_data)
{
  HvDaemon *self = HV_DAEMON (user_data);
  g_autoptr(GError) error = NULL;
  JsonObject *changes = NULL;
  HvAlertRules rules;

  if (!hv_daemon_params_require_object (params, "rules", &changes, &error))
    {
      hv_rpc_call_return_error (call, error);
      return;
    }
  if (!check_started (self, call))
    return;
  hv_alert_rules_copy (&rules, hv_alerts_get_rules (self->alerts));
  /* Checked whole, then written, then applied: a refusal or a failed write changes nothing. */
  if (!hv_alert_rules_set_from_json (&rules, changes, &error) ||
      !hv_daemon_config_save_alerts (self->config, &rules, &error))
    {
      hv_alert_rules_clear (&rules);
      hv_daemon_return_error (call, error);
      return;
    }
  hv_alerts_set_rules (self->alerts, &self->config->alerts);
  hv_alert_rules_clear (&rules);
  hv_rpc_call_return (call, rules_result (self));
}

void
hv_daemon_add_alert_methods (HvDaemon *self)
{
  static const struct {
    const char      *name;
    HvRpcMethodFunc  func;
  } methods[] = {
    { "alerts.list", method_alerts_list },
    { "alerts.acknowledge", method_alerts_acknowledge },
    { "alerts.get_rules", method_alerts_get_rules },
    { "alerts.set_rules", method_alerts_set_rules },
  };

  for (guint i = 0; i < G_N_ELEMENTS (methods); i++)
    hv_rpc_server_add_method (self->server, methods[i].name, methods[i].func, self, NULL);
}
