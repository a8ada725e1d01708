/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A domusd host's alerts: alerts.list when it is followed, alert.raised and
 * alert.acknowledged from then on, and the calls on them (acknowledge, the rules). The
 * protocol's objects stay here: the host's model gets DomusAlerts
 * (domus-host-private.h).
 */

#include "config.h"

#include <glib/gi18n-lib.h>

#include "domus-daemon-driver.h"
#include "domus-host-private.h"
#include "domus-json-util.h"

static DomusHost *
host_of (gpointer driver)
{
  return domus_host_driver_get_host (DOMUS_HOST_DRIVER (driver));
}

/* Reading the protocol's objects */

static DomusAlert *
alert_from_json (DomusHost  *host,
                 JsonObject *object)
{
  gint64 id = domus_json_object_get_int (object, "id", 0);
  const char *message = domus_json_object_get_string (object, "message", NULL);

  if (id <= 0 || message == NULL)
    return NULL;
  return _domus_alert_new ((guint64) id,
                           domus_json_object_get_int (object, "time_us", 0),
                           domus_json_object_get_string (object, "kind", NULL),
                           domus_json_object_get_string (object, "domain", NULL),
                           domus_json_object_get_string (object, "path", NULL),
                           message,
                           domus_json_object_get_double (object, "value", -1),
                           (guint) CLAMP (domus_json_object_get_int (object, "threshold", 0), 0, 100),
                           domus_json_object_get_bool (object, "acknowledged", FALSE),
                           domus_host_get_name (host));
}

/* The ids an object lists under "ids" (alert.acknowledged, alerts.acknowledge's answer). */
static GArray *
ids_from_json (JsonObject *object)
{
  JsonArray *array = object != NULL ? domus_json_object_get_array (object, "ids") : NULL;
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (guint64));

  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    {
      JsonNode *node = json_array_get_element (array, i);

      if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_INT64 &&
          json_node_get_int (node) > 0)
        {
          guint64 id = (guint64) json_node_get_int (node);

          g_array_append_val (ids, id);
        }
    }
  return ids;
}

/* Events */

static void
on_alert_raised (DomusConnection *connection,
                 const char      *method,
                 JsonNode        *params,
                 gpointer         user_data)
{
  DomusHost *host = host_of (user_data);
  JsonObject *object = domus_json_node_get_object (params);
  g_autoptr(DomusAlert) alert = NULL;

  if (host == NULL || object == NULL)
    return;
  alert = alert_from_json (host, object);
  if (alert != NULL)
    _domus_host_add_alert (host, alert);
}

static void
on_alert_acknowledged (DomusConnection *connection,
                       const char      *method,
                       JsonNode        *params,
                       gpointer         user_data)
{
  DomusHost *host = host_of (user_data);
  g_autoptr(GArray) ids = NULL;

  if (host == NULL)
    return;
  ids = ids_from_json (domus_json_node_get_object (params));
  _domus_host_acknowledge_alert_ids (host, (const guint64 *) ids->data, ids->len);
}

void
_domus_daemon_alerts_follow (DomusDaemonDriver *self,
                             DomusConnection   *connection)
{
  g_signal_connect (connection, "notification::alert.raised", G_CALLBACK (on_alert_raised), self);
  g_signal_connect (connection, "notification::alert.acknowledged",
                    G_CALLBACK (on_alert_acknowledged), self);
}

/* Calls: each answers its task (taken) */

/* _domus_daemon_call(), but an older daemon, which keeps no alerts, is not asked. */
static void
call (DomusDaemonDriver     *self,
      const char            *method,
      JsonObject            *params,
      GTask                 *task,
      DomusDaemonAnswerFunc  answer)
{
  DomusHost *host = host_of (self);

  if (host != NULL && !(domus_host_get_capabilities (host) & DOMUS_HOST_CAN_ALERTS))
    {
      g_clear_pointer (&params, json_object_unref);
      g_task_return_new_error (task, DOMUS_ERROR, DOMUS_ERROR_NOT_SUPPORTED,
                               _("The daemon of %s keeps no alerts (it is older than this Domus)."),
                               domus_host_get_name (host));
      g_object_unref (task);
      return;
    }
  _domus_daemon_call (self, method, params, task, answer);
}

/* Reading them all, when the host is followed: alerts.list's answer into the model. */

gboolean
_domus_daemon_alerts_apply (DomusDaemonDriver  *self,
                            JsonObject         *answer,
                            GError            **error)
{
  DomusHost *host = host_of (self);
  JsonArray *array = domus_json_object_get_array (answer, "alerts");
  g_autoptr(GPtrArray) alerts = g_ptr_array_new_with_free_func (g_object_unref);

  if (array == NULL)
    {
      g_set_error (error, DOMUS_ERROR, DOMUS_ERROR_PROTOCOL,
                   _("The daemon’s list of alerts has no “alerts” array."));
      return FALSE;
    }
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonObject *item = domus_json_node_get_object (json_array_get_element (array, i));
      DomusAlert *alert = item != NULL ? alert_from_json (host, item) : NULL;

      if (alert != NULL)
        g_ptr_array_add (alerts, alert);
    }
  _domus_host_sync_alerts (host, alerts);
  return TRUE;
}

/* Acknowledging */

static void
answer_acknowledged (DomusDaemonDriver *self,
                     GTask             *owned_task,
                     JsonObject        *answer)
{
  g_autoptr(GTask) task = owned_task;
  DomusHost *host = DOMUS_HOST (g_task_get_source_object (task));
  g_autoptr(GArray) ids = ids_from_json (answer);

  /* The event says the same, to every client; this one need not wait for it. */
  _domus_host_acknowledge_alert_ids (host, (const guint64 *) ids->data, ids->len);
  g_task_return_boolean (task, TRUE);
}

void
_domus_daemon_acknowledge_alerts (DomusHostDriver *driver,
                                  const guint64   *ids,
                                  guint            n_ids,
                                  gboolean         all,
                                  GTask           *task)
{
  JsonObject *params = json_object_new ();

  if (all)
    json_object_set_boolean_member (params, "all", TRUE);
  else
    {
      JsonArray *list = json_array_sized_new (n_ids);

      for (guint i = 0; i < n_ids; i++)
        json_array_add_int_element (list, (gint64) ids[i]);
      json_object_set_array_member (params, "ids", list);
    }
  call (DOMUS_DAEMON_DRIVER (driver), "alerts.acknowledge", params, task, answer_acknowledged);
}

/* The rules: {"rules": {...}, "config": PATH} ↔ an a{sv} */

static GVariant *
rules_to_variant (JsonObject *rules)
{
  GVariantBuilder builder;
  JsonObjectIter iter;
  const char *key;
  JsonNode *node;

  g_variant_builder_init (&builder, G_VARIANT_TYPE_VARDICT);
  json_object_iter_init (&iter, rules);
  while (json_object_iter_next (&iter, &key, &node))
    {
      if (!JSON_NODE_HOLDS_VALUE (node))
        continue;
      switch (json_node_get_value_type (node))
        {
        case G_TYPE_BOOLEAN:
          g_variant_builder_add (&builder, "{sv}", key, g_variant_new_boolean (json_node_get_boolean (node)));
          break;
        case G_TYPE_INT64:
          g_variant_builder_add (&builder, "{sv}", key, g_variant_new_int64 (json_node_get_int (node)));
          break;
        case G_TYPE_STRING:
          g_variant_builder_add (&builder, "{sv}", key, g_variant_new_string (json_node_get_string (node)));
          break;
        default:
          break;
        }
    }
  return g_variant_ref_sink (g_variant_builder_end (&builder));
}

static JsonObject *
variant_to_rules (GVariant *rules)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  GVariantIter iter;
  const char *key;
  GVariant *value;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "rules");
  json_builder_begin_object (builder);
  g_variant_iter_init (&iter, rules);
  while (g_variant_iter_next (&iter, "{&sv}", &key, &value))
    {
      json_builder_set_member_name (builder, key);
      if (g_variant_is_of_type (value, G_VARIANT_TYPE_BOOLEAN))
        json_builder_add_boolean_value (builder, g_variant_get_boolean (value));
      else if (g_variant_is_of_type (value, G_VARIANT_TYPE_INT64))
        json_builder_add_int_value (builder, g_variant_get_int64 (value));
      else if (g_variant_is_of_type (value, G_VARIANT_TYPE_STRING))
        json_builder_add_string_value (builder, g_variant_get_string (value, NULL));
      else
        /* The daemon names the rule and what it takes. */
        json_builder_add_null_value (builder);
      g_variant_unref (value);
    }
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  return json_object_ref (json_node_get_object (root));
}

static void
answer_rules (DomusDaemonDriver *self,
              GTask             *owned_task,
              JsonObject        *answer)
{
  g_autoptr(GTask) task = owned_task;
  JsonObject *rules = domus_json_object_get_object (answer, "rules");
  DomusAlertRules *result;

  if (rules == NULL)
    {
      g_task_return_new_error (task, DOMUS_ERROR, DOMUS_ERROR_PROTOCOL,
                               _("The daemon answered without its alert rules."));
      return;
    }
  result = g_new0 (DomusAlertRules, 1);
  result->rules = rules_to_variant (rules);
  result->config_path = g_strdup (domus_json_object_get_string (answer, "config", NULL));
  g_task_return_pointer (task, result, (GDestroyNotify) domus_alert_rules_free);
}

void
_domus_daemon_get_alert_rules (DomusHostDriver *driver,
                               GTask           *task)
{
  call (DOMUS_DAEMON_DRIVER (driver), "alerts.get_rules", NULL, task, answer_rules);
}

void
_domus_daemon_set_alert_rules (DomusHostDriver *driver,
                               GVariant        *rules,
                               GTask           *task)
{
  call (DOMUS_DAEMON_DRIVER (driver), "alerts.set_rules", variant_to_rules (rules), task, answer_rules);
}
