/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A host's alerts. Threshold rules are tracked per subject (the host's CPU, a domain's CPU,
 * the host's memory, a filesystem): a subject raises once when its figure has stayed over the
 * threshold long enough, and may raise again only after falling clearly below it, so a figure
 * that wavers around the line does not raise an alert per sample.
 */

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "domus-json-util.h"
#include "hv-alerts.h"

/* How far under its threshold a figure must fall before the same subject may raise again. */
#define REARM_POINTS 2.0

/* Alert */

static const char * const kind_names[] = {
  [HV_ALERT_DOMAIN_CRASHED] = "domain-crashed",
  [HV_ALERT_DOMAIN_STOPPED] = "domain-stopped",
  [HV_ALERT_CPU] = "cpu",
  [HV_ALERT_MEMORY] = "memory",
  [HV_ALERT_DISK_SPACE] = "disk-space",
};

const char *
hv_alert_kind_to_string (HvAlertKind kind)
{
  g_return_val_if_fail ((guint) kind < G_N_ELEMENTS (kind_names), "unknown");
  return kind_names[kind];
}

gboolean
hv_alert_kind_from_string (const char  *text,
                           HvAlertKind *kind)
{
  for (guint i = 0; i < G_N_ELEMENTS (kind_names); i++)
    if (g_strcmp0 (text, kind_names[i]) == 0)
      {
        *kind = (HvAlertKind) i;
        return TRUE;
      }
  return FALSE;
}

static void
alert_clear (HvAlert *alert)
{
  g_free (alert->domain);
  g_free (alert->path);
  g_free (alert->message);
}

HvAlert *
hv_alert_ref (HvAlert *alert)
{
  return g_rc_box_acquire (alert);
}

void
hv_alert_unref (HvAlert *alert)
{
  g_rc_box_release_full (alert, (GDestroyNotify) alert_clear);
}

G_DEFINE_BOXED_TYPE (HvAlert, hv_alert, hv_alert_ref, hv_alert_unref)

JsonNode *
hv_alert_to_json (const HvAlert *alert)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "id");
  json_builder_add_int_value (builder, (gint64) alert->id);
  json_builder_set_member_name (builder, "time_us");
  json_builder_add_int_value (builder, alert->time_us);
  json_builder_set_member_name (builder, "kind");
  json_builder_add_string_value (builder, hv_alert_kind_to_string (alert->kind));
  domus_json_builder_add_string_or_null (builder, "domain", alert->domain);
  domus_json_builder_add_string_or_null (builder, "path", alert->path);
  json_builder_set_member_name (builder, "message");
  json_builder_add_string_value (builder, alert->message);
  json_builder_set_member_name (builder, "value");
  json_builder_add_double_value (builder, alert->value);
  json_builder_set_member_name (builder, "threshold");
  json_builder_add_int_value (builder, alert->threshold);
  json_builder_set_member_name (builder, "acknowledged");
  json_builder_add_boolean_value (builder, alert->acknowledged);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

static HvAlert *
alert_new (HvAlertKind  kind,
           const char  *domain,
           const char  *path,
           char        *message,
           double       value,
           guint        threshold,
           gint64       time_us)
{
  HvAlert *alert = g_rc_box_new0 (HvAlert);

  alert->kind = kind;
  alert->time_us = time_us;
  alert->domain = g_strdup (domain);
  alert->path = g_strdup (path);
  alert->message = message;
  alert->value = value;
  alert->threshold = threshold;
  return alert;
}

HvAlert *
hv_alert_new_from_json (JsonNode *node)
{
  JsonObject *object = domus_json_node_get_object (node);
  HvAlertKind kind;
  const char *message;
  HvAlert *alert;
  gint64 id;

  if (object == NULL ||
      !hv_alert_kind_from_string (domus_json_object_get_string (object, "kind", NULL), &kind))
    return NULL;
  id = domus_json_object_get_int (object, "id", 0);
  message = domus_json_object_get_string (object, "message", NULL);
  if (id <= 0 || message == NULL)
    return NULL;
  alert = alert_new (kind, domus_json_object_get_string (object, "domain", NULL),
                     domus_json_object_get_string (object, "path", NULL), g_strdup (message),
                     domus_json_object_get_double (object, "value", -1),
                     (guint) CLAMP (domus_json_object_get_int (object, "threshold", 0), 0, 100),
                     domus_json_object_get_int (object, "time_us", 0));
  alert->id = (guint64) id;
  alert->acknowledged = domus_json_object_get_bool (object, "acknowledged", FALSE);
  return alert;
}

void
hv_filesystem_use_free (HvFilesystemUse *use)
{
  if (use == NULL)
    return;
  g_free (use->path);
  g_free (use);
}

/* The model */

typedef struct {
  gboolean over;      /* the figure is over the threshold, */
  gint64   since_us;   /* since then */
  gboolean raised;    /* raised since it went over: wait until it falls clearly below */
  guint    round;     /* the last observation round that saw the subject */
} Tracker;

struct _HvAlerts
{
  GObject       parent_instance;

  HvAlertRules  rules;
  GQueue        alerts;     /* HvAlert, oldest first */
  guint64       next_id;
  GHashTable   *trackers;   /* "cpu:NAME", "cpu:", "memory:", "disk:PATH" → Tracker */
  guint         round;
};

enum {
  SIGNAL_RAISED,
  SIGNAL_ACKNOWLEDGED,
  SIGNAL_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (HvAlerts, hv_alerts, G_TYPE_OBJECT)

static void
hv_alerts_finalize (GObject *object)
{
  HvAlerts *self = HV_ALERTS (object);

  g_queue_clear_full (&self->alerts, (GDestroyNotify) hv_alert_unref);
  g_hash_table_unref (self->trackers);
  hv_alert_rules_clear (&self->rules);
  G_OBJECT_CLASS (hv_alerts_parent_class)->finalize (object);
}

static void
hv_alerts_class_init (HvAlertsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = hv_alerts_finalize;

  signals[SIGNAL_RAISED] =
    g_signal_new ("raised", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, HV_TYPE_ALERT | G_SIGNAL_TYPE_STATIC_SCOPE);
  signals[SIGNAL_ACKNOWLEDGED] =
    g_signal_new ("acknowledged", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_ARRAY | G_SIGNAL_TYPE_STATIC_SCOPE);
  signals[SIGNAL_CHANGED] =
    g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);
}

static void
hv_alerts_init (HvAlerts *self)
{
  g_queue_init (&self->alerts);
  self->next_id = 1;
  self->trackers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  hv_alert_rules_init (&self->rules);
}

HvAlerts *
hv_alerts_new (const HvAlertRules *rules)
{
  HvAlerts *self = g_object_new (HV_TYPE_ALERTS, NULL);

  if (rules != NULL)
    hv_alerts_set_rules (self, rules);
  return self;
}

const HvAlertRules *
hv_alerts_get_rules (HvAlerts *self)
{
  g_return_val_if_fail (HV_IS_ALERTS (self), NULL);
  return &self->rules;
}

/* Drops the oldest beyond what the rules keep; TRUE if any went. */
static gboolean
trim (HvAlerts *self)
{
  gboolean dropped = FALSE;

  while (self->alerts.length > self->rules.keep)
    {
      hv_alert_unref (g_queue_pop_head (&self->alerts));
      dropped = TRUE;
    }
  return dropped;
}

static void
forget_prefix (HvAlerts   *self,
               const char *prefix)
{
  GHashTableIter iter;
  const char *key;

  g_hash_table_iter_init (&iter, self->trackers);
  while (g_hash_table_iter_next (&iter, (gpointer *) &key, NULL))
    if (g_str_has_prefix (key, prefix))
      g_hash_table_iter_remove (&iter);
}

void
hv_alerts_set_rules (HvAlerts           *self,
                     const HvAlertRules *rules)
{
  g_return_if_fail (HV_IS_ALERTS (self));
  g_return_if_fail (rules != NULL);

  /* Minutes counted under another threshold say nothing about the new one; a rule that did
   * not change keeps its subjects as they are (an alert raised stays raised). */
  if (rules->cpu_percent != self->rules.cpu_percent || rules->cpu_minutes != self->rules.cpu_minutes)
    forget_prefix (self, "cpu:");
  if (rules->memory_percent != self->rules.memory_percent)
    forget_prefix (self, "memory:");
  if (rules->disk_percent != self->rules.disk_percent)
    forget_prefix (self, "disk:");
  hv_alert_rules_clear (&self->rules);
  hv_alert_rules_copy (&self->rules, rules);
  if (trim (self))
    g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
}

GPtrArray *
hv_alerts_dup_list (HvAlerts *self,
                    gboolean  unacknowledged_only)
{
  GPtrArray *list = g_ptr_array_new_with_free_func ((GDestroyNotify) hv_alert_unref);

  g_return_val_if_fail (HV_IS_ALERTS (self), list);
  for (GList *l = self->alerts.head; l != NULL; l = l->next)
    {
      HvAlert *alert = l->data;

      if (!unacknowledged_only || !alert->acknowledged)
        g_ptr_array_add (list, hv_alert_ref (alert));
    }
  return list;
}

guint
hv_alerts_count_unacknowledged (HvAlerts *self)
{
  guint count = 0;

  g_return_val_if_fail (HV_IS_ALERTS (self), 0);
  for (GList *l = self->alerts.head; l != NULL; l = l->next)
    if (!((HvAlert *) l->data)->acknowledged)
      count++;
  return count;
}

static gboolean
ids_contain (const guint64 *ids,
             guint          n_ids,
             guint64        id)
{
  for (guint i = 0; i < n_ids; i++)
    if (ids[i] == id)
      return TRUE;
  return FALSE;
}

GArray *
hv_alerts_acknowledge (HvAlerts      *self,
                       const guint64 *ids,
                       guint          n_ids)
{
  GArray *changed = g_array_new (FALSE, FALSE, sizeof (guint64));

  g_return_val_if_fail (HV_IS_ALERTS (self), changed);
  for (GList *l = self->alerts.head; l != NULL; l = l->next)
    {
      HvAlert *alert = l->data;

      if (alert->acknowledged || (ids != NULL && !ids_contain (ids, n_ids, alert->id)))
        continue;
      alert->acknowledged = TRUE;
      g_array_append_val (changed, alert->id);
    }
  if (changed->len > 0)
    {
      g_signal_emit (self, signals[SIGNAL_ACKNOWLEDGED], 0, changed);
      g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
    }
  return changed;
}

static void
raise_alert (HvAlerts *self,
             HvAlert  *alert)
{
  alert->id = self->next_id++;
  g_queue_push_tail (&self->alerts, alert);
  trim (self);
  g_debug ("alert %" G_GUINT64_FORMAT " (%s): %s", alert->id,
           hv_alert_kind_to_string (alert->kind), alert->message);
  /* The queue may have dropped it already (keep = 0 is refused, but be safe): hold it. */
  hv_alert_ref (alert);
  g_signal_emit (self, signals[SIGNAL_RAISED], 0, alert);
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
  hv_alert_unref (alert);
}

/* Domain events */

static void
forget_domain (HvAlerts   *self,
               const char *domain)
{
  g_autofree char *key = g_strconcat ("cpu:", domain, NULL);

  g_hash_table_remove (self->trackers, key);
}

void
hv_alerts_domain_event (HvAlerts   *self,
                        const char *domain,
                        const char *reason,
                        gint64      time_us)
{
  char *message = NULL;
  HvAlertKind kind;

  g_return_if_fail (HV_IS_ALERTS (self));
  g_return_if_fail (domain != NULL && reason != NULL);

  if (g_str_equal (reason, "crashed"))
    {
      kind = HV_ALERT_DOMAIN_CRASHED;
      message = g_strdup_printf (_("The domain %s crashed."), domain);
    }
  else if (g_str_equal (reason, "io-error"))
    {
      kind = HV_ALERT_DOMAIN_STOPPED;
      message = g_strdup_printf (_("The domain %s was stopped: a disk could not be read or written."),
                                 domain);
    }
  if (!g_str_equal (reason, "paused") && !g_str_equal (reason, "unpaused") &&
      !g_str_equal (reason, "config-changed") && !g_str_equal (reason, "autostart-changed"))
    forget_domain (self, domain);
  if (message == NULL)
    return;
  if (!self->rules.domain_crashed)
    {
      g_free (message);
      return;
    }
  raise_alert (self, alert_new (kind, domain, NULL, message, -1, 0, time_us));
}

/* Thresholds */

typedef struct {
  HvAlertKind  kind;
  const char  *domain;
  const char  *path;
  double       value;
  guint64      free_bytes;
  guint        threshold;
  guint        minutes;
  gint64       time_us;
} Observation;

static char *
describe (const Observation *obs)
{
  g_autofree char *free_text = NULL;

  switch (obs->kind)
    {
    case HV_ALERT_CPU:
      if (obs->domain != NULL && obs->minutes == 0)
        return g_strdup_printf (_("The domain %s used %.0f %% of its processors (the rule: over %u %%)."),
                                obs->domain, obs->value, obs->threshold);
      if (obs->domain != NULL)
        return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                             "The domain %s has used %.0f %% of its processors for %u minute (the rule: over %u %%).",
                                             "The domain %s has used %.0f %% of its processors for %u minutes (the rule: over %u %%).",
                                             obs->minutes),
                                obs->domain, obs->value, obs->minutes, obs->threshold);
      if (obs->minutes == 0)
        return g_strdup_printf (_("The host used %.0f %% of its processors (the rule: over %u %%)."),
                                obs->value, obs->threshold);
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                           "The host has used %.0f %% of its processors for %u minute (the rule: over %u %%).",
                                           "The host has used %.0f %% of its processors for %u minutes (the rule: over %u %%).",
                                           obs->minutes),
                              obs->value, obs->minutes, obs->threshold);
    case HV_ALERT_MEMORY:
      return g_strdup_printf (_("The host’s memory is %.0f %% in use (the rule: over %u %%)."),
                              obs->value, obs->threshold);
    case HV_ALERT_DISK_SPACE:
      free_text = g_format_size (obs->free_bytes);
      return g_strdup_printf (_("The filesystem holding %s is %.0f %% full, %s free (the rule: over %u %%)."),
                              obs->path, obs->value, free_text, obs->threshold);
    case HV_ALERT_DOMAIN_CRASHED:
    case HV_ALERT_DOMAIN_STOPPED:
    default:
      g_return_val_if_reached (NULL);
    }
}

static void
observe (HvAlerts          *self,
         const char        *key,
         const Observation *obs)
{
  Tracker *tracker;

  if (obs->threshold == 0)
    {
      g_hash_table_remove (self->trackers, key);
      return;
    }
  tracker = g_hash_table_lookup (self->trackers, key);
  if (tracker == NULL)
    {
      tracker = g_new0 (Tracker, 1);
      g_hash_table_insert (self->trackers, g_strdup (key), tracker);
    }
  tracker->round = self->round;
  if (obs->value <= obs->threshold)
    {
      tracker->over = FALSE;
      if (obs->value < obs->threshold - REARM_POINTS)
        tracker->raised = FALSE;
      return;
    }
  if (!tracker->over)
    {
      tracker->over = TRUE;
      tracker->since_us = obs->time_us;
    }
  if (tracker->raised || obs->time_us - tracker->since_us < (gint64) obs->minutes * 60 * G_USEC_PER_SEC)
    return;
  tracker->raised = TRUE;
  raise_alert (self, alert_new (obs->kind, obs->domain, obs->path, describe (obs),
                                obs->value, obs->threshold, obs->time_us));
}

/* Forgets the subjects under `prefix` the current round did not see (domains that stopped,
 * filesystems no longer used). */
static void
forget_unseen (HvAlerts   *self,
               const char *prefix)
{
  GHashTableIter iter;
  const char *key;
  Tracker *tracker;

  g_hash_table_iter_init (&iter, self->trackers);
  while (g_hash_table_iter_next (&iter, (gpointer *) &key, (gpointer *) &tracker))
    if (g_str_has_prefix (key, prefix) && tracker->round != self->round)
      g_hash_table_iter_remove (&iter);
}

void
hv_alerts_observe_sample (HvAlerts            *self,
                          const HvStatsSample *sample)
{
  Observation obs = { .time_us = sample->time_us };

  g_return_if_fail (HV_IS_ALERTS (self));

  self->round++;
  obs.kind = HV_ALERT_CPU;
  obs.threshold = self->rules.cpu_percent;
  obs.minutes = self->rules.cpu_minutes;
  if (sample->host_cpu_percent >= 0)
    {
      obs.value = sample->host_cpu_percent;
      observe (self, "cpu:", &obs);
    }
  for (guint i = 0; i < sample->n_domains; i++)
    {
      const HvDomainSample *domain = &sample->domains[i];
      g_autofree char *key = NULL;

      if (domain->cpu_percent < 0 || domain->vcpus <= 0)
        continue;
      key = g_strconcat ("cpu:", domain->name, NULL);
      obs.domain = domain->name;
      obs.value = domain->cpu_percent / (double) domain->vcpus;
      observe (self, key, &obs);
    }
  forget_unseen (self, "cpu:");

  if (sample->host_memory_mib > 0)
    {
      obs = (Observation) {
        .kind = HV_ALERT_MEMORY,
        .value = 100.0 * (double) sample->host_memory_used_mib / (double) sample->host_memory_mib,
        .threshold = self->rules.memory_percent,
        .time_us = sample->time_us,
      };
      observe (self, "memory:", &obs);
    }
}

void
hv_alerts_observe_filesystems (HvAlerts  *self,
                               GPtrArray *uses,
                               gint64     time_us)
{
  g_return_if_fail (HV_IS_ALERTS (self));

  self->round++;
  for (guint i = 0; i < uses->len; i++)
    {
      const HvFilesystemUse *use = g_ptr_array_index (uses, i);
      g_autofree char *key = g_strconcat ("disk:", use->path, NULL);
      Observation obs = {
        .kind = HV_ALERT_DISK_SPACE,
        .path = use->path,
        .value = use->percent_used,
        .free_bytes = use->free_bytes,
        .threshold = self->rules.disk_percent,
        .time_us = time_us,
      };

      observe (self, key, &obs);
    }
  forget_unseen (self, "disk:");
}

/* The state file */

JsonNode *
hv_alerts_to_json (HvAlerts *self)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "next_id");
  json_builder_add_int_value (builder, (gint64) self->next_id);
  json_builder_set_member_name (builder, "alerts");
  json_builder_begin_array (builder);
  for (GList *l = self->alerts.head; l != NULL; l = l->next)
    json_builder_add_value (builder, hv_alert_to_json (l->data));
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

gboolean
hv_alerts_load_json (HvAlerts  *self,
                     JsonNode  *node,
                     GError   **error)
{
  JsonObject *object = domus_json_node_get_object (node);
  JsonArray *array;
  guint64 next_id;

  g_return_val_if_fail (HV_IS_ALERTS (self), FALSE);

  array = object != NULL ? domus_json_object_get_array (object, "alerts") : NULL;
  if (array == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           _("not an object with a list of alerts"));
      return FALSE;
    }
  g_queue_clear_full (&self->alerts, (GDestroyNotify) hv_alert_unref);
  next_id = (guint64) MAX (domus_json_object_get_int (object, "next_id", 1), 1);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      HvAlert *alert = hv_alert_new_from_json (json_array_get_element (array, i));

      /* One bad entry (an older daemon's, a hand edit) costs that entry only. */
      if (alert == NULL)
        continue;
      next_id = MAX (next_id, alert->id + 1);
      g_queue_push_tail (&self->alerts, alert);
    }
  self->next_id = next_id;
  trim (self);
  return TRUE;
}
