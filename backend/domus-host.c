/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * One host: its state and reconnection, its facts, its domains and stats kept current by
 * its driver, its image store. The typed calls are in domus-host-calls.c.
 */

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "domus-host.h"
#include "domus-alert-list.h"
#include "domus-host-driver.h"
#include "domus-host-private.h"

#define DEFAULT_INTERVAL_MS 1000

struct _DomusHost
{
  GObject            parent_instance;

  char              *uri;
  char              *name;
  DomusHostState     state;
  GError            *error;

  DomusHostDriver   *driver;         /* the kind of host, for the host's whole life */
  GCancellable      *cancellable;    /* the current attempt; NULL between attempts */
  gboolean           wanted;         /* connect() was called and disconnect() was not */
  guint              retry_source;
  guint              failures;       /* in a row: the next retry waits longer */
  guint              retry_delay_ms;

  DomusHostFacts    *facts;          /* from the last connection */
  double             cpu_percent;
  gint64             memory_mib;
  gint64             memory_used_mib;
  double             load_1;
  guint              interval_ms;
  guint              history_seconds;

  GTlsInteraction   *interaction;    /* asks for SSH passwords and passphrases */
  char              *accepted_key;   /* an SSH host key fingerprint the user accepted */

  DomusAlertList    *alerts;         /* the daemon's and ours (domus-host-alerts.c) */

  GListStore        *domains;        /* DomusDomain, sorted by name */
  GHashTable        *by_name;        /* name -> DomusDomain (a reference) */
  DomusStatsHistory *histories[DOMUS_HOST_N_METRICS];
  GPtrArray         *frozen;         /* objects whose notifications wait for the end of samples */

  GListStore        *images;         /* DomusImage, sorted by name */
  char              *image_dir;
  guint64            image_listings_sent;
  guint64            image_listing_applied;  /* the newest listing in the model */
};

G_DEFINE_FINAL_TYPE (DomusHost, domus_host, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_URI,
  PROP_NAME,
  PROP_STATE,
  PROP_ERROR,
  PROP_ACCELERATOR,
  PROP_QEMU_VERSION,
  PROP_VERSION,
  PROP_CPUS,
  PROP_MEMORY_MIB,
  PROP_CPU_PERCENT,
  PROP_MEMORY_USED_MIB,
  PROP_LOAD_1,
  PROP_STATS_INTERVAL_MS,
  PROP_HISTORY_SECONDS,
  PROP_RETRY_DELAY_MS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  SIGNAL_STATS_UPDATED,
  SIGNAL_ALERT_RAISED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void start_attempt (DomusHost *self,
                           GTask     *open_task);

GType
domus_host_state_get_type (void)
{
  static gsize type_id = 0;
  static const GEnumValue values[] = {
    { DOMUS_HOST_STATE_DISCONNECTED, "DOMUS_HOST_STATE_DISCONNECTED", "disconnected" },
    { DOMUS_HOST_STATE_CONNECTING,   "DOMUS_HOST_STATE_CONNECTING",   "connecting" },
    { DOMUS_HOST_STATE_CONNECTED,    "DOMUS_HOST_STATE_CONNECTED",    "connected" },
    { 0, NULL, NULL }
  };

  if (g_once_init_enter (&type_id))
    g_once_init_leave (&type_id, g_enum_register_static (g_intern_static_string ("DomusHostState"), values));
  return type_id;
}

gboolean
domus_host_error_is_permanent (const GError *error)
{
  if (error == NULL || error->domain != DOMUS_ERROR)
    return FALSE;

  /*
   * Only what needs the user: a URI we cannot read, an SSH host key to accept, a
   * login to fix or a host to install Domus on. A daemon that is down, a network that
   * is out, a protocol we do not speak (the daemon may be upgraded) are worth trying
   * again. New transports' errors of that kind belong here.
   */
  switch ((DomusError) error->code)
    {
    case DOMUS_ERROR_INVALID_URI:
    case DOMUS_ERROR_HOST_KEY_UNKNOWN:
    case DOMUS_ERROR_HOST_KEY_CHANGED:
    case DOMUS_ERROR_AUTH_FAILED:
    case DOMUS_ERROR_NOT_INSTALLED:
      return TRUE;
    default:
      return FALSE;
    }
}

/* Small helpers */

static guint
history_capacity (DomusHost *self)
{
  guint64 capacity = (guint64) self->history_seconds * 1000 / MAX (self->interval_ms, 1);

  return (guint) CLAMP (capacity, 1, G_MAXUINT);
}

static void
update_capacities (DomusHost *self)
{
  guint capacity = history_capacity (self);
  GHashTableIter iter;
  gpointer domain;

  for (guint i = 0; i < DOMUS_HOST_N_METRICS; i++)
    domus_stats_history_set_capacity (self->histories[i], capacity);
  g_hash_table_iter_init (&iter, self->by_name);
  while (g_hash_table_iter_next (&iter, NULL, &domain))
    _domus_domain_set_history_capacity (domain, capacity);
}



static void
notify (DomusHost *self,
        guint      prop)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

static void
set_state (DomusHost      *self,
           DomusHostState  state)
{
  if (self->state == state)
    return;
  self->state = state;
  notify (self, PROP_STATE);
}

/* Takes error (nullable). */
static void
set_error (DomusHost *self,
           GError    *error)
{
  if (self->error == NULL && error == NULL)
    return;
  g_clear_error (&self->error);
  self->error = error;
  notify (self, PROP_ERROR);
}

static void
set_double (DomusHost *self,
            double    *field,
            double     value,
            guint      prop)
{
  if (*field == value)
    return;
  *field = value;
  notify (self, prop);
}

static void
set_int (DomusHost *self,
         gint64    *field,
         gint64     value,
         guint      prop)
{
  if (*field == value)
    return;
  *field = value;
  notify (self, prop);
}

/* Ends the attempt: no answer, event or loss of the old connection reaches us afterwards. */
static void
teardown (DomusHost *self,
          guint      wait_ms)
{
  g_clear_handle_id (&self->retry_source, g_source_remove);
  if (self->cancellable != NULL)
    {
      g_cancellable_cancel (self->cancellable);
      g_clear_object (&self->cancellable);
    }
  DOMUS_HOST_DRIVER_GET_CLASS (self->driver)->close (self->driver, wait_ms);
}

static gboolean
on_retry (gpointer user_data)
{
  DomusHost *self = user_data;

  self->retry_source = 0;
  start_attempt (self, NULL);
  return G_SOURCE_REMOVE;
}

/* A host that was connected and is no longer: an alert of this client's own (the daemon,
 * being away, cannot raise it). */
static void
raise_host_lost (DomusHost    *self,
                 const GError *error)
{
  g_autofree char *message = NULL;
  g_autoptr(DomusAlert) alert = NULL;

  /* Translators: the first %s is a server, the second why its connection ended. */
  message = g_strdup_printf (_("The connection to %s was lost: %s"), self->name, error->message);
  alert = _domus_alert_new_host_lost (self->name, message);
  _domus_host_add_alert (self, alert);
}

/* Takes error. */
static void
attempt_failed (DomusHost *self,
                GError    *error)
{
  gboolean permanent = domus_host_error_is_permanent (error);

  g_debug ("%s: %s", self->uri, error->message);
  if (self->state == DOMUS_HOST_STATE_CONNECTED)
    raise_host_lost (self, error);
  teardown (self, 0);
  set_error (self, error);
  set_state (self, DOMUS_HOST_STATE_DISCONNECTED);

  /* A notify::state handler may have called domus_host_connect() already. */
  if (self->wanted && !permanent && self->retry_source == 0 && self->cancellable == NULL)
    {
      guint64 delay = (guint64) self->retry_delay_ms << MIN (self->failures, 16);

      delay = MIN (delay, DOMUS_HOST_MAX_RETRY_DELAY_MS);
      self->failures++;
      self->retry_source = g_timeout_add ((guint) delay, on_retry, self);
    }
}

void
_domus_host_driver_lost (DomusHost *self,
                         GError    *error)
{
  g_return_if_fail (DOMUS_IS_HOST (self));

  /* Between attempts nothing is ours to lose. */
  if (self->cancellable == NULL)
    {
      g_error_free (error);
      return;
    }
  attempt_failed (self, error);
}

/* Domains */

static int
compare_domains (gconstpointer a,
                 gconstpointer b,
                 gpointer      user_data)
{
  return g_utf8_collate (domus_domain_get_name ((DomusDomain *) a),
                         domus_domain_get_name ((DomusDomain *) b));
}

/* The model leaves the host itself out: its figures are the host's. */
static gboolean
is_domain_0 (const char *name)
{
  return g_strcmp0 (name, "Domain-0") == 0;
}

/* Filled in and known by name before it reaches the list, so a list view never sees a
 * blank domain. The host's table holds the reference. */
static DomusDomain *
known_domain (DomusHost             *self,
              const DomusDomainInfo *info)
{
  DomusDomain *domain = _domus_domain_new (self, info->name, history_capacity (self));

  _domus_domain_update (domain, info);
  g_hash_table_insert (self->by_name, g_strdup (info->name), domain);
  return domain;
}

static void
add_domain (DomusHost             *self,
            const DomusDomainInfo *info)
{
  g_list_store_insert_sorted (self->domains, known_domain (self, info), compare_domains, NULL);
}

static void
remove_domain (DomusHost   *self,
               DomusDomain *domain)
{
  g_autoptr(DomusDomain) hold = g_object_ref (domain);
  guint position;

  if (g_list_store_find (self->domains, domain, &position))
    g_list_store_remove (self->domains, position);
  g_hash_table_remove (self->by_name, domus_domain_get_name (domain));
}

gboolean
_domus_host_update_domain (DomusHost             *self,
                           const DomusDomainInfo *info,
                           gboolean               add_missing)
{
  DomusDomain *domain;

  g_return_val_if_fail (DOMUS_IS_HOST (self), FALSE);
  g_return_val_if_fail (info != NULL, FALSE);

  if (info->name == NULL || is_domain_0 (info->name))
    return FALSE;
  domain = domus_host_lookup_domain (self, info->name);
  if (domain != NULL)
    {
      _domus_domain_update (domain, info);
      return FALSE;
    }
  if (!add_missing)
    return FALSE;
  add_domain (self, info);
  return TRUE;
}

void
_domus_host_remove_domain (DomusHost  *self,
                           const char *name)
{
  DomusDomain *domain;

  g_return_if_fail (DOMUS_IS_HOST (self));

  domain = domus_host_lookup_domain (self, name);
  if (domain != NULL)
    remove_domain (self, domain);
}

static int
compare_domain_slots (gconstpointer a,
                      gconstpointer b)
{
  return compare_domains (*(DomusDomain * const *) a, *(DomusDomain * const *) b, NULL);
}

/* The list as it is to be: the domains that stay, in their order, merged with the new ones
 * sorted. */
static GPtrArray *
merged_domains (DomusHost  *self,
                GHashTable *seen,
                GPtrArray  *added)
{
  GListModel *list = G_LIST_MODEL (self->domains);
  guint n_old = g_list_model_get_n_items (list);
  GPtrArray *merged = g_ptr_array_new_full (n_old + added->len, g_object_unref);
  guint j = 0;

  g_ptr_array_sort (added, compare_domain_slots);
  for (guint i = 0; i < n_old; i++)
    {
      g_autoptr(DomusDomain) domain = g_list_model_get_item (list, i);

      if (!g_hash_table_contains (seen, domain))
        continue;
      for (; j < added->len && compare_domains (g_ptr_array_index (added, j), domain, NULL) < 0; j++)
        g_ptr_array_add (merged, g_object_ref (g_ptr_array_index (added, j)));
      g_ptr_array_add (merged, g_object_ref (domain));
    }
  for (; j < added->len; j++)
    g_ptr_array_add (merged, g_object_ref (g_ptr_array_index (added, j)));
  return merged;
}

/* Brings the store from its items to `merged` with one splice per stretch of change, so a
 * first listing is one items-changed however long it is, and a domain that stays is never
 * reported removed and added again. Both lists are in the same order, so where they differ
 * an old item is either gone (not in `seen`) or a new one comes before it. */
static void
splice_domains (DomusHost  *self,
                GHashTable *seen,
                GPtrArray  *merged)
{
  GListModel *list = G_LIST_MODEL (self->domains);
  g_autoptr(GPtrArray) old = g_ptr_array_new_with_free_func (g_object_unref);
  guint i = 0, j = 0;

  for (guint k = 0; k < g_list_model_get_n_items (list); k++)
    g_ptr_array_add (old, g_list_model_get_item (list, k));
  while (i < old->len || j < merged->len)
    {
      guint first_old = i, first_new = j;

      while ((i < old->len || j < merged->len)
             && !(i < old->len && j < merged->len
                  && g_ptr_array_index (old, i) == g_ptr_array_index (merged, j)))
        {
          if (i < old->len && !g_hash_table_contains (seen, g_ptr_array_index (old, i)))
            i++;
          else
            j++;
        }
      if (i > first_old || j > first_new)
        g_list_store_splice (self->domains, first_new, i - first_old,
                             merged->pdata + first_new, j - first_new);
      if (i < old->len && j < merged->len)
        {
          i++;
          j++;
        }
    }
  /* Their rows are gone; now their names. */
  for (i = 0; i < old->len; i++)
    {
      DomusDomain *domain = g_ptr_array_index (old, i);

      if (!g_hash_table_contains (seen, domain))
        g_hash_table_remove (self->by_name, domus_domain_get_name (domain));
    }
}

void
_domus_host_sync_domains (DomusHost *self,
                          GPtrArray *infos)
{
  g_autoptr(GHashTable) seen = g_hash_table_new (g_direct_hash, g_direct_equal);
  g_autoptr(GPtrArray) added = g_ptr_array_new ();
  g_autoptr(GPtrArray) merged = NULL;

  g_return_if_fail (DOMUS_IS_HOST (self));

  for (guint i = 0; i < infos->len; i++)
    {
      const DomusDomainInfo *info = g_ptr_array_index (infos, i);
      DomusDomain *domain;

      if (info->name == NULL || is_domain_0 (info->name))
        continue;
      domain = domus_host_lookup_domain (self, info->name);
      if (domain != NULL)
        _domus_domain_update (domain, info);
      else
        {
          domain = known_domain (self, info);
          g_ptr_array_add (added, domain);
        }
      g_hash_table_add (seen, domain);
    }

  /* Whatever came or went while we were away, in as few items-changed as the list allows. */
  merged = merged_domains (self, seen, added);
  splice_domains (self, seen, merged);
}

/* Stats */

static void
push_newer (DomusStatsHistory *history,
            gint64             time_us,
            double             value)
{
  gint64 latest_us;

  if (domus_stats_history_get_latest (history, &latest_us, NULL) && time_us <= latest_us)
    return;
  domus_stats_history_push (history, time_us, value);
}

void
_domus_host_set_stats_interval (DomusHost *self,
                                gint64     interval_ms)
{
  g_return_if_fail (DOMUS_IS_HOST (self));

  if (interval_ms <= 0 || (guint) interval_ms == self->interval_ms)
    return;
  self->interval_ms = (guint) MIN (interval_ms, G_MAXUINT);
  update_capacities (self);
  notify (self, PROP_STATS_INTERVAL_MS);
}

void
_domus_host_begin_samples (DomusHost *self)
{
  g_return_if_fail (DOMUS_IS_HOST (self));
  g_return_if_fail (self->frozen == NULL);

  /* Ten minutes of samples would notify each figure hundreds of times: once is enough. */
  self->frozen = g_ptr_array_new_with_free_func ((GDestroyNotify) g_object_thaw_notify);
  g_object_freeze_notify (G_OBJECT (self));
  g_ptr_array_add (self->frozen, self);
  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (self->domains)); i++)
    {
      GObject *domain = g_list_model_get_item (G_LIST_MODEL (self->domains), i);

      g_object_freeze_notify (domain);
      g_ptr_array_add (self->frozen, domain);
      g_object_unref (domain);   /* the list keeps it */
    }
}

void
_domus_host_end_samples (DomusHost *self)
{
  g_return_if_fail (DOMUS_IS_HOST (self));

  g_clear_pointer (&self->frozen, g_ptr_array_unref);
  g_signal_emit (self, signals[SIGNAL_STATS_UPDATED], 0);
}

void
_domus_host_apply_sample (DomusHost             *self,
                          const DomusHostSample *sample)
{
  g_return_if_fail (DOMUS_IS_HOST (self));

  if (sample->has_host)
    {
      set_double (self, &self->cpu_percent, sample->cpu_percent, PROP_CPU_PERCENT);
      set_int (self, &self->memory_used_mib, sample->memory_used_mib, PROP_MEMORY_USED_MIB);
      if (sample->memory_mib >= 0)
        set_int (self, &self->memory_mib, sample->memory_mib, PROP_MEMORY_MIB);
      if (sample->has_load)
        set_double (self, &self->load_1, sample->load_1, PROP_LOAD_1);
      push_newer (self->histories[DOMUS_HOST_METRIC_CPU_PERCENT], sample->time_us, self->cpu_percent);
      push_newer (self->histories[DOMUS_HOST_METRIC_MEMORY_USED], sample->time_us, self->memory_used_mib);
    }

  for (guint i = 0; i < sample->n_domains; i++)
    {
      /* A domain the list does not have yet gets its figures from the next sample. */
      DomusDomain *domain = domus_host_lookup_domain (self, sample->domains[i].name);

      if (domain != NULL)
        _domus_domain_apply_sample (domain, sample->time_us, &sample->domains[i]);
    }
}

/* Facts */

static void
set_facts (DomusHost      *self,
           DomusHostFacts *facts)
{
  g_autoptr(DomusHostFacts) old = g_steal_pointer (&self->facts);
  const DomusHostFacts none = { .cpus = -1, .memory_mib = -1 };
  const DomusHostFacts *before = old != NULL ? old : &none;

  g_object_freeze_notify (G_OBJECT (self));
  self->facts = facts;
  if (facts->name != NULL && g_strcmp0 (facts->name, self->name) != 0)
    {
      g_free (self->name);
      self->name = g_strdup (facts->name);
      notify (self, PROP_NAME);
    }
  set_int (self, &self->memory_mib, facts->memory_mib, PROP_MEMORY_MIB);
  /* A reconnection usually finds the same host: notify only what changed. */
  if (g_strcmp0 (before->accelerator, facts->accelerator) != 0)
    notify (self, PROP_ACCELERATOR);
  if (g_strcmp0 (before->hypervisor_version, facts->hypervisor_version) != 0)
    notify (self, PROP_QEMU_VERSION);
  if (g_strcmp0 (before->version, facts->version) != 0)
    notify (self, PROP_VERSION);
  if (before->cpus != facts->cpus)
    notify (self, PROP_CPUS);
  g_object_thaw_notify (G_OBJECT (self));
}

/* Connecting: the driver connects and says what the host is, then follows it */

/* disconnect() or a later attempt took over: this answer is nobody's business. */
static gboolean
attempt_is_stale (DomusHost    *self,
                  GAsyncResult *result)
{
  /* teardown() forgets the attempt's cancellable; an open's caller cancelling does not. */
  return g_task_get_cancellable (G_TASK (result)) != self->cancellable;
}

static void
on_followed (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  DomusHost *self = DOMUS_HOST (source);
  g_autoptr(GError) error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      if (!attempt_is_stale (self, result))
        attempt_failed (self, g_steal_pointer (&error));
      return;
    }
  if (attempt_is_stale (self, result))
    return;
  self->failures = 0;
  set_error (self, NULL);
  set_state (self, DOMUS_HOST_STATE_CONNECTED);
}

/* user_data: the open's task (one-shot), or NULL when the host is followed. */
static void
on_driver_connected (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  DomusHost *self = DOMUS_HOST (source);
  g_autoptr(GTask) open_task = user_data;
  g_autoptr(GError) error = NULL;
  DomusHostFacts *facts = g_task_propagate_pointer (G_TASK (result), &error);
  GTask *follow;

  if (facts != NULL && attempt_is_stale (self, result))
    {
      g_clear_pointer (&facts, domus_host_facts_free);
      error = g_error_new (DOMUS_ERROR, DOMUS_ERROR_CLOSED, _("The connection to %s was closed."), self->uri);
    }
  if (facts == NULL)
    {
      if (!attempt_is_stale (self, result))
        attempt_failed (self, g_error_copy (error));
      if (open_task != NULL)
        g_task_return_error (open_task, g_steal_pointer (&error));
      return;
    }

  set_facts (self, facts);
  if (open_task != NULL)
    {
      self->failures = 0;
      set_error (self, NULL);
      set_state (self, DOMUS_HOST_STATE_CONNECTED);
      g_task_return_boolean (open_task, TRUE);
      return;
    }
  follow = g_task_new (self, self->cancellable, on_followed, NULL);
  g_task_set_source_tag (follow, on_followed);
  DOMUS_HOST_DRIVER_GET_CLASS (self->driver)->follow (self->driver, follow);
}

static void
start_attempt (DomusHost *self,
               GTask     *open_task)
{
  GTask *task;

  teardown (self, 0);
  self->cancellable = g_cancellable_new ();
  set_state (self, DOMUS_HOST_STATE_CONNECTING);
  task = g_task_new (self, self->cancellable, on_driver_connected, open_task);
  g_task_set_source_tag (task, on_driver_connected);
  DOMUS_HOST_DRIVER_GET_CLASS (self->driver)->connect (self->driver, self->interaction, self->accepted_key, task);
}

void
domus_host_connect (DomusHost *self)
{
  g_return_if_fail (DOMUS_IS_HOST (self));

  self->wanted = TRUE;
  if (self->state != DOMUS_HOST_STATE_DISCONNECTED)
    return;
  /* Asked for now: the backoff starts again from its first delay. */
  self->failures = 0;
  start_attempt (self, NULL);
}

/* An open's tie to its caller's cancellable, which ends the attempt. */
typedef struct {
  GCancellable *cancellable;
  gulong        handler;
} OpenData;

static void
open_data_free (OpenData *data)
{
  g_cancellable_disconnect (data->cancellable, data->handler);
  g_object_unref (data->cancellable);
  g_free (data);
}

static void
on_open_cancelled (GCancellable *cancellable,
                   gpointer      attempt)
{
  g_cancellable_cancel (attempt);
}

void
domus_host_open_async (DomusHost           *self,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (DOMUS_IS_HOST (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, domus_host_open_async);
  self->wanted = FALSE;
  start_attempt (self, g_object_ref (task));
  if (cancellable != NULL)
    {
      OpenData *data = g_new0 (OpenData, 1);

      data->cancellable = g_object_ref (cancellable);
      data->handler = g_cancellable_connect (cancellable, G_CALLBACK (on_open_cancelled),
                                             g_object_ref (self->cancellable), g_object_unref);
      g_task_set_task_data (task, data, (GDestroyNotify) open_data_free);
    }
}

gboolean
domus_host_open_finish (DomusHost     *self,
                        GAsyncResult  *result,
                        GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == domus_host_open_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

void
domus_host_disconnect (DomusHost *self)
{
  domus_host_disconnect_and_wait (self, 0);
}

void
domus_host_disconnect_and_wait (DomusHost *self,
                                guint      timeout_ms)
{
  g_return_if_fail (DOMUS_IS_HOST (self));

  self->wanted = FALSE;
  self->failures = 0;
  teardown (self, timeout_ms);
  set_error (self, NULL);
  set_state (self, DOMUS_HOST_STATE_DISCONNECTED);
}

void
domus_host_set_interaction (DomusHost       *self,
                            GTlsInteraction *interaction)
{
  g_return_if_fail (DOMUS_IS_HOST (self));
  g_return_if_fail (interaction == NULL || G_IS_TLS_INTERACTION (interaction));

  g_set_object (&self->interaction, interaction);
}

void
domus_host_accept_host_key (DomusHost  *self,
                            const char *fingerprint)
{
  g_return_if_fail (DOMUS_IS_HOST (self));
  g_return_if_fail (fingerprint != NULL);

  g_free (self->accepted_key);
  self->accepted_key = g_strdup (fingerprint);
  if (self->wanted)
    domus_host_connect (self);
}

DomusHost *
domus_host_new (const char *uri)
{
  return g_object_new (DOMUS_TYPE_HOST, "uri", uri, NULL);
}

DomusHost *
_domus_host_new_for_driver (const char *uri,
                            GType       driver_type)
{
  DomusHost *self = domus_host_new (uri);

  g_object_unref (self->driver);
  self->driver = domus_host_driver_new (driver_type, self, self->uri);
  return self;
}

/* Getters and setters */

const char *
domus_host_get_uri (DomusHost *self)
{
  g_return_val_if_fail (DOMUS_IS_HOST (self), NULL);
  return self->uri;
}

const char *
domus_host_get_name (DomusHost *self)
{
  g_return_val_if_fail (DOMUS_IS_HOST (self), NULL);
  return self->name;
}

DomusHostState
domus_host_get_state (DomusHost *self)
{
  g_return_val_if_fail (DOMUS_IS_HOST (self), DOMUS_HOST_STATE_DISCONNECTED);
  return self->state;
}

const GError *
domus_host_get_error (DomusHost *self)
{
  g_return_val_if_fail (DOMUS_IS_HOST (self), NULL);
  return self->error;
}

DomusHostDriver *
_domus_host_get_driver (DomusHost *self)
{
  return self->driver;
}

const char *
domus_host_get_kind (DomusHost *self)
{
  g_return_val_if_fail (DOMUS_IS_HOST (self), NULL);
  return DOMUS_HOST_DRIVER_GET_CLASS (self->driver)->kind;
}

const char *
domus_host_get_security_notice (DomusHost *self)
{
  DomusHostDriverClass *klass;

  g_return_val_if_fail (DOMUS_IS_HOST (self), NULL);
  klass = DOMUS_HOST_DRIVER_GET_CLASS (self->driver);
  return klass->get_security_notice != NULL ? klass->get_security_notice (self->driver) : NULL;
}

gboolean
domus_host_is_local (DomusHost *self)
{
  DomusHostDriverClass *klass;

  g_return_val_if_fail (DOMUS_IS_HOST (self), FALSE);
  klass = DOMUS_HOST_DRIVER_GET_CLASS (self->driver);
  return klass->is_local != NULL && klass->is_local (self->driver);
}

gboolean
domus_host_has_facts (DomusHost *self)
{
  g_return_val_if_fail (DOMUS_IS_HOST (self), FALSE);
  return self->facts != NULL;
}

#define FACT(self, member, fallback) ((self)->facts != NULL ? (self)->facts->member : (fallback))

const char *
domus_host_get_accelerator (DomusHost *self)
{
  g_return_val_if_fail (DOMUS_IS_HOST (self), NULL);
  return FACT (self, accelerator, NULL);
}

const char *
domus_host_get_hypervisor (DomusHost *self)
{
  g_return_val_if_fail (DOMUS_IS_HOST (self), NULL);
  return FACT (self, hypervisor, NULL);
}

const char *
domus_host_get_qemu_version (DomusHost *self)
{
  g_return_val_if_fail (DOMUS_IS_HOST (self), NULL);
  return FACT (self, hypervisor_version, NULL);
}

const char *
domus_host_get_version (DomusHost *self)
{
  g_return_val_if_fail (DOMUS_IS_HOST (self), NULL);
  return FACT (self, version, NULL);
}

gint64
domus_host_get_cpus (DomusHost *self)
{
  g_return_val_if_fail (DOMUS_IS_HOST (self), -1);
  return FACT (self, cpus, -1);
}

DomusHostNetwork
domus_host_get_network (DomusHost *self)
{
  g_return_val_if_fail (DOMUS_IS_HOST (self), DOMUS_HOST_NETWORK_UNKNOWN);
  return FACT (self, network, DOMUS_HOST_NETWORK_UNKNOWN);
}

DomusHostCapabilities
domus_host_get_capabilities (DomusHost *self)
{
  g_return_val_if_fail (DOMUS_IS_HOST (self), 0);
  return FACT (self, capabilities, 0);
}

gboolean
domus_host_get_migration_encryption_required (DomusHost *self)
{
  g_return_val_if_fail (DOMUS_IS_HOST (self), FALSE);
  return FACT (self, migration_encryption_required, FALSE);
}

gint64
domus_host_get_memory_mib (DomusHost *self)
{
  g_return_val_if_fail (DOMUS_IS_HOST (self), -1);
  return self->memory_mib;
}

double
domus_host_get_cpu_percent (DomusHost *self)
{
  g_return_val_if_fail (DOMUS_IS_HOST (self), 0);
  return self->cpu_percent;
}

gint64
domus_host_get_memory_used_mib (DomusHost *self)
{
  g_return_val_if_fail (DOMUS_IS_HOST (self), 0);
  return self->memory_used_mib;
}

double
domus_host_get_load_1 (DomusHost *self)
{
  g_return_val_if_fail (DOMUS_IS_HOST (self), 0);
  return self->load_1;
}

guint
domus_host_get_stats_interval_ms (DomusHost *self)
{
  g_return_val_if_fail (DOMUS_IS_HOST (self), DEFAULT_INTERVAL_MS);
  return self->interval_ms;
}

guint
domus_host_get_history_seconds (DomusHost *self)
{
  g_return_val_if_fail (DOMUS_IS_HOST (self), 0);
  return self->history_seconds;
}

void
domus_host_set_history_seconds (DomusHost *self,
                                guint      seconds)
{
  g_return_if_fail (DOMUS_IS_HOST (self));

  seconds = MAX (seconds, 1);
  if (self->history_seconds == seconds)
    return;
  self->history_seconds = seconds;
  update_capacities (self);
  notify (self, PROP_HISTORY_SECONDS);
}

guint
domus_host_get_retry_delay_ms (DomusHost *self)
{
  g_return_val_if_fail (DOMUS_IS_HOST (self), 0);
  return self->retry_delay_ms;
}

void
domus_host_set_retry_delay_ms (DomusHost *self,
                               guint      delay_ms)
{
  g_return_if_fail (DOMUS_IS_HOST (self));

  delay_ms = MAX (delay_ms, 1);
  if (self->retry_delay_ms == delay_ms)
    return;
  self->retry_delay_ms = delay_ms;
  notify (self, PROP_RETRY_DELAY_MS);
}

GListModel *
domus_host_get_alerts (DomusHost *self)
{
  g_return_val_if_fail (DOMUS_IS_HOST (self), NULL);
  return G_LIST_MODEL (self->alerts);
}

guint
domus_host_get_n_open_alerts (DomusHost *self)
{
  g_return_val_if_fail (DOMUS_IS_HOST (self), 0);
  return domus_alert_list_get_n_open (self->alerts);
}

void
_domus_host_sync_alerts (DomusHost *self,
                         GPtrArray *alerts)
{
  g_return_if_fail (DOMUS_IS_HOST (self));
  _domus_alert_list_sync (self->alerts, alerts);
}

void
_domus_host_add_alert (DomusHost  *self,
                       DomusAlert *alert)
{
  g_return_if_fail (DOMUS_IS_HOST (self));

  if (!domus_alert_get_local (alert) && domus_alert_list_lookup (self->alerts, domus_alert_get_id (alert)) != NULL)
    return;
  _domus_alert_list_add (self->alerts, alert);
  g_signal_emit (self, signals[SIGNAL_ALERT_RAISED], 0, alert);
}

void
_domus_host_acknowledge_alert_ids (DomusHost     *self,
                                   const guint64 *ids,
                                   guint          n_ids)
{
  g_return_if_fail (DOMUS_IS_HOST (self));
  _domus_alert_list_acknowledge (self->alerts, ids, n_ids);
}

GListModel *
domus_host_get_domains (DomusHost *self)
{
  g_return_val_if_fail (DOMUS_IS_HOST (self), NULL);
  return G_LIST_MODEL (self->domains);
}

DomusDomain *
domus_host_lookup_domain (DomusHost  *self,
                          const char *name)
{
  g_return_val_if_fail (DOMUS_IS_HOST (self), NULL);
  return name != NULL ? g_hash_table_lookup (self->by_name, name) : NULL;
}

GListModel *
domus_host_get_images (DomusHost *self)
{
  g_return_val_if_fail (DOMUS_IS_HOST (self), NULL);
  return G_LIST_MODEL (self->images);
}

DomusImage *
domus_host_lookup_image (DomusHost  *self,
                         const char *name)
{
  g_return_val_if_fail (DOMUS_IS_HOST (self), NULL);

  for (guint i = 0; name != NULL && i < g_list_model_get_n_items (G_LIST_MODEL (self->images)); i++)
    {
      g_autoptr(DomusImage) image = g_list_model_get_item (G_LIST_MODEL (self->images), i);

      if (g_str_equal (domus_image_get_name (image), name))
        return image;   /* the store keeps it */
    }
  return NULL;
}

const char *
domus_host_get_image_dir (DomusHost *self)
{
  g_return_val_if_fail (DOMUS_IS_HOST (self), NULL);
  return self->image_dir;
}

/* The image store, as the driver's listings and the changes made here say */

static int
compare_images (gconstpointer a,
                gconstpointer b,
                gpointer      user_data)
{
  return strcmp (domus_image_get_name ((DomusImage *) a), domus_image_get_name ((DomusImage *) b));
}

/* The model's object for image: the one it had when nothing changed, else image, put
 * in the old one's place or in its sorted place. (transfer none) */
DomusImage *
_domus_host_put_image (DomusHost  *self,
                       DomusImage *image)
{
  DomusImage *known = domus_host_lookup_image (self, domus_image_get_name (image));
  guint position;

  if (known == NULL)
    g_list_store_insert_sorted (self->images, image, compare_images, NULL);
  else if (_domus_image_equal (known, image))
    return known;
  else if (g_list_store_find (self->images, known, &position))
    g_list_store_splice (self->images, position, 1, (gpointer *) &image, 1);
  return image;
}

void
_domus_host_forget_image (DomusHost  *self,
                          const char *name)
{
  DomusImage *image = domus_host_lookup_image (self, name);
  guint position;

  if (image != NULL && g_list_store_find (self->images, image, &position))
    g_list_store_remove (self->images, position);
}

/* A listing sent before one already applied says less than it: dropped. */
guint64
_domus_host_next_image_listing (DomusHost *self)
{
  return ++self->image_listings_sent;
}

void
_domus_host_apply_image_listing (DomusHost         *self,
                                 guint64            serial,
                                 DomusImageListing *listing)
{
  g_autoptr(GHashTable) listed = g_hash_table_new (g_str_hash, g_str_equal);

  if (serial <= self->image_listing_applied)
    return;
  self->image_listing_applied = serial;
  if (listing->dir != NULL && g_strcmp0 (listing->dir, self->image_dir) != 0)
    {
      g_free (self->image_dir);
      self->image_dir = g_strdup (listing->dir);
    }
  for (guint i = 0; i < listing->images->len; i++)
    {
      DomusImage *image = _domus_host_put_image (self, g_ptr_array_index (listing->images, i));

      g_hash_table_add (listed, (gpointer) domus_image_get_name (image));
    }
  for (guint i = g_list_model_get_n_items (G_LIST_MODEL (self->images)); i > 0; i--)
    {
      g_autoptr(DomusImage) image = g_list_model_get_item (G_LIST_MODEL (self->images), i - 1);

      if (!g_hash_table_contains (listed, domus_image_get_name (image)))
        g_list_store_remove (self->images, i - 1);
    }
}

DomusStatsHistory *
domus_host_get_history (DomusHost       *self,
                        DomusHostMetric  metric)
{
  g_return_val_if_fail (DOMUS_IS_HOST (self), NULL);
  g_return_val_if_fail ((guint) metric < DOMUS_HOST_N_METRICS, NULL);
  return self->histories[metric];
}

/* GObject */

static void
domus_host_dispose (GObject *object)
{
  DomusHost *self = DOMUS_HOST (object);

  self->wanted = FALSE;
  if (self->driver != NULL)
    teardown (self, 0);
  g_clear_object (&self->driver);
  if (self->by_name != NULL)
    {
      GHashTableIter iter;
      gpointer domain;

      /* A GUI may hold on to a domain longer than to its host. */
      g_hash_table_iter_init (&iter, self->by_name);
      while (g_hash_table_iter_next (&iter, NULL, &domain))
        _domus_domain_forget_host (domain);
    }
  if (self->domains != NULL)
    g_list_store_remove_all (self->domains);
  g_clear_pointer (&self->by_name, g_hash_table_unref);
  g_clear_object (&self->alerts);

  G_OBJECT_CLASS (domus_host_parent_class)->dispose (object);
}

static void
domus_host_finalize (GObject *object)
{
  DomusHost *self = DOMUS_HOST (object);

  g_clear_object (&self->domains);
  g_clear_object (&self->interaction);
  g_free (self->accepted_key);
  g_free (self->uri);
  g_free (self->name);
  g_clear_error (&self->error);
  g_clear_pointer (&self->facts, domus_host_facts_free);
  g_clear_object (&self->images);
  g_free (self->image_dir);
  for (guint i = 0; i < DOMUS_HOST_N_METRICS; i++)
    g_clear_pointer (&self->histories[i], domus_stats_history_unref);

  G_OBJECT_CLASS (domus_host_parent_class)->finalize (object);
}

static void
domus_host_get_property (GObject    *object,
                         guint       prop_id,
                         GValue     *value,
                         GParamSpec *pspec)
{
  DomusHost *self = DOMUS_HOST (object);

  switch (prop_id)
    {
    case PROP_URI:               g_value_set_string (value, self->uri); break;
    case PROP_NAME:              g_value_set_string (value, self->name); break;
    case PROP_STATE:             g_value_set_enum (value, self->state); break;
    case PROP_ERROR:             g_value_set_boxed (value, self->error); break;
    case PROP_ACCELERATOR:       g_value_set_string (value, domus_host_get_accelerator (self)); break;
    case PROP_QEMU_VERSION:      g_value_set_string (value, domus_host_get_qemu_version (self)); break;
    case PROP_VERSION:           g_value_set_string (value, domus_host_get_version (self)); break;
    case PROP_CPUS:              g_value_set_int64 (value, domus_host_get_cpus (self)); break;
    case PROP_MEMORY_MIB:        g_value_set_int64 (value, self->memory_mib); break;
    case PROP_CPU_PERCENT:       g_value_set_double (value, self->cpu_percent); break;
    case PROP_MEMORY_USED_MIB:   g_value_set_int64 (value, self->memory_used_mib); break;
    case PROP_LOAD_1:            g_value_set_double (value, self->load_1); break;
    case PROP_STATS_INTERVAL_MS: g_value_set_uint (value, self->interval_ms); break;
    case PROP_HISTORY_SECONDS:   g_value_set_uint (value, self->history_seconds); break;
    case PROP_RETRY_DELAY_MS:    g_value_set_uint (value, self->retry_delay_ms); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
domus_host_set_property (GObject      *object,
                         guint         prop_id,
                         const GValue *value,
                         GParamSpec   *pspec)
{
  DomusHost *self = DOMUS_HOST (object);

  switch (prop_id)
    {
    case PROP_URI:
      self->uri = g_strdup (g_value_get_string (value) != NULL && *g_value_get_string (value) != '\0'
                            ? g_value_get_string (value) : DOMUS_DEFAULT_URI);
      break;
    case PROP_HISTORY_SECONDS:
      domus_host_set_history_seconds (self, g_value_get_uint (value));
      break;
    case PROP_RETRY_DELAY_MS:
      domus_host_set_retry_delay_ms (self, g_value_get_uint (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
domus_host_constructed (GObject *object)
{
  DomusHost *self = DOMUS_HOST (object);

  G_OBJECT_CLASS (domus_host_parent_class)->constructed (object);

  if (self->name == NULL)
    self->name = g_strdup (self->uri);
  self->driver = domus_host_driver_new_for_uri (self, self->uri);
}

static void
domus_host_class_init (DomusHostClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags ro = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->constructed = domus_host_constructed;
  object_class->dispose = domus_host_dispose;
  object_class->finalize = domus_host_finalize;
  object_class->get_property = domus_host_get_property;
  object_class->set_property = domus_host_set_property;

  properties[PROP_URI] =
    g_param_spec_string ("uri", NULL, NULL, DOMUS_DEFAULT_URI,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_NAME] =
    g_param_spec_string ("name", NULL, NULL, NULL, ro);
  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL, DOMUS_TYPE_HOST_STATE, DOMUS_HOST_STATE_DISCONNECTED, ro);
  properties[PROP_ERROR] =
    g_param_spec_boxed ("error", NULL, NULL, G_TYPE_ERROR, ro);
  properties[PROP_ACCELERATOR] =
    g_param_spec_string ("accelerator", NULL, NULL, NULL, ro);
  properties[PROP_QEMU_VERSION] =
    g_param_spec_string ("qemu-version", NULL, NULL, NULL, ro);
  properties[PROP_VERSION] =
    g_param_spec_string ("version", NULL, NULL, NULL, ro);
  properties[PROP_CPUS] =
    g_param_spec_int64 ("cpus", NULL, NULL, -1, G_MAXINT64, -1, ro);
  properties[PROP_MEMORY_MIB] =
    g_param_spec_int64 ("memory-mib", NULL, NULL, -1, G_MAXINT64, -1, ro);
  properties[PROP_CPU_PERCENT] =
    g_param_spec_double ("cpu-percent", NULL, NULL, 0, G_MAXDOUBLE, 0, ro);
  properties[PROP_MEMORY_USED_MIB] =
    g_param_spec_int64 ("memory-used-mib", NULL, NULL, 0, G_MAXINT64, 0, ro);
  properties[PROP_LOAD_1] =
    g_param_spec_double ("load-1", NULL, NULL, 0, G_MAXDOUBLE, 0, ro);
  properties[PROP_STATS_INTERVAL_MS] =
    g_param_spec_uint ("stats-interval-ms", NULL, NULL, 1, G_MAXUINT, DEFAULT_INTERVAL_MS, ro);
  properties[PROP_HISTORY_SECONDS] =
    g_param_spec_uint ("history-seconds", NULL, NULL, 1, G_MAXUINT, DOMUS_HOST_DEFAULT_HISTORY_SECONDS, rw);
  properties[PROP_RETRY_DELAY_MS] =
    g_param_spec_uint ("retry-delay-ms", NULL, NULL, 1, G_MAXUINT, DOMUS_HOST_DEFAULT_RETRY_DELAY_MS, rw);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * DomusHost::stats-updated:
   *
   * A stats sample (or stats.get's history) was applied to the host's and its
   * domains' figures and histories: graphs redraw here.
   */
  signals[SIGNAL_ALERT_RAISED] =
    g_signal_new ("alert-raised", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, DOMUS_TYPE_ALERT);
  signals[SIGNAL_STATS_UPDATED] =
    g_signal_new ("stats-updated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
domus_host_init (DomusHost *self)
{
  self->state = DOMUS_HOST_STATE_DISCONNECTED;
  self->interval_ms = DEFAULT_INTERVAL_MS;
  self->history_seconds = DOMUS_HOST_DEFAULT_HISTORY_SECONDS;
  self->retry_delay_ms = DOMUS_HOST_DEFAULT_RETRY_DELAY_MS;
  self->memory_mib = -1;
  self->domains = g_list_store_new (DOMUS_TYPE_DOMAIN);
  self->images = g_list_store_new (DOMUS_TYPE_IMAGE);
  self->alerts = domus_alert_list_new ();
  self->by_name = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  for (guint i = 0; i < DOMUS_HOST_N_METRICS; i++)
    self->histories[i] = domus_stats_history_new (history_capacity (self));
}
