/* SPDX-License-Identifier: GPL-3.0-or-later */
/* One host's daemon: its connection, its domains kept current from its events, its stats. */

#include "config.h"

#include <glib/gi18n-lib.h>

#include "domus-host.h"
#include "domus-json-util.h"

#define DEFAULT_INTERVAL_MS 1000

struct _DomusHost
{
  GObject            parent_instance;

  char              *uri;
  char              *name;
  DomusHostState     state;
  GError            *error;

  DomusConnection   *connection;     /* from a successful connect until it is lost */
  GCancellable      *cancellable;    /* the current attempt and everything it started */
  gboolean           wanted;         /* connect() was called and disconnect() was not */
  guint              retry_source;
  guint              failures;       /* in a row: the next retry waits longer */
  guint              retry_delay_ms;

  JsonObject        *hello;
  double             cpu_percent;
  gint64             memory_mib;
  gint64             memory_used_mib;
  double             load_1;
  guint              interval_ms;
  guint              history_seconds;

  GTlsInteraction   *interaction;    /* asks for SSH passwords and passphrases */
  char              *accepted_key;   /* an SSH host key fingerprint the user accepted */

  GListStore        *domains;        /* DomusDomain, sorted by name */
  GHashTable        *by_name;        /* name -> DomusDomain (a reference) */
  DomusStatsHistory *histories[DOMUS_HOST_N_METRICS];
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
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* What domain.get is asked for after an event: the config or the process may have changed. */
static const char * const refresh_reasons[] = {
  "started", "reattached", "defined", "config-changed", "autostart-changed", "rebooted", "migrated", NULL
};

static void start_attempt (DomusHost *self);

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



static const char *
hello_string (DomusHost  *self,
              const char *member)
{
  if (self->hello == NULL)
    return NULL;
  return json_object_get_string_member_with_default (self->hello, member, NULL);
}

static gint64
hello_int (DomusHost  *self,
           const char *member)
{
  if (self->hello == NULL)
    return -1;
  return json_object_get_int_member_with_default (self->hello, member, -1);
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

static void
set_interval (DomusHost *self,
              gint64     interval_ms)
{
  if (interval_ms <= 0 || (guint) interval_ms == self->interval_ms)
    return;
  self->interval_ms = (guint) MIN (interval_ms, G_MAXUINT);
  update_capacities (self);
  notify (self, PROP_STATS_INTERVAL_MS);
}

/* Steps of an attempt: each knows which attempt it belongs to */

typedef struct {
  DomusHost    *host;
  GCancellable *cancellable;
  char         *name;          /* domain.get: which domain */
} Step;

static Step *
step_new (DomusHost  *self,
          const char *name)
{
  Step *step = g_new0 (Step, 1);

  step->host = g_object_ref (self);
  step->cancellable = g_object_ref (self->cancellable);
  step->name = g_strdup (name);
  return step;
}

static void
step_free (Step *step)
{
  g_object_unref (step->host);
  g_object_unref (step->cancellable);
  g_free (step->name);
  g_free (step);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Step, step_free)

/* disconnect() or a later attempt took over: this answer is nobody's business. */
static gboolean
step_is_stale (Step *step)
{
  return step->cancellable != step->host->cancellable ||
         g_cancellable_is_cancelled (step->cancellable);
}

/* Takes params (nullable). */
static void
call (DomusHost           *self,
      const char          *method,
      JsonObject          *params,
      const char          *name,
      GAsyncReadyCallback  callback)
{
  g_autoptr(JsonNode) node = NULL;

  if (params != NULL)
    {
      node = json_node_alloc ();
      json_node_take_object (node, params);
    }
  domus_connection_call_async (self->connection, method, node, self->cancellable,
                               callback, step_new (self, name));
}

/* Ends the attempt: no answer, event or close of the old connection reaches us afterwards. */
static void
teardown (DomusHost *self)
{
  g_clear_handle_id (&self->retry_source, g_source_remove);
  if (self->cancellable != NULL)
    {
      g_cancellable_cancel (self->cancellable);
      g_clear_object (&self->cancellable);
    }
  if (self->connection != NULL)
    {
      g_autoptr(DomusConnection) connection = g_steal_pointer (&self->connection);

      g_signal_handlers_disconnect_by_data (connection, self);
      domus_connection_close (connection);
    }
}

static gboolean
on_retry (gpointer user_data)
{
  DomusHost *self = user_data;

  self->retry_source = 0;
  start_attempt (self);
  return G_SOURCE_REMOVE;
}

/* Takes error. */
static void
attempt_failed (DomusHost *self,
                GError    *error)
{
  gboolean permanent = domus_host_error_is_permanent (error);

  g_debug ("%s: %s", self->uri, error->message);
  teardown (self);
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

/* Domains */

static int
compare_domains (gconstpointer a,
                 gconstpointer b,
                 gpointer      user_data)
{
  return g_utf8_collate (domus_domain_get_name ((DomusDomain *) a),
                         domus_domain_get_name ((DomusDomain *) b));
}

static gboolean
is_domain_0 (const char *name)
{
  return g_strcmp0 (name, "Domain-0") == 0;
}

/* Filled in before it is added, so a list view never sees a blank domain. */
static DomusDomain *
add_domain (DomusHost  *self,
            const char *name,
            JsonObject *entry,
            JsonObject *event)
{
  g_autoptr(DomusDomain) domain = _domus_domain_new (self, name, history_capacity (self));

  if (entry != NULL)
    _domus_domain_update (domain, entry);
  if (event != NULL)
    _domus_domain_apply_event (domain, event);
  g_hash_table_insert (self->by_name, g_strdup (name), g_object_ref (domain));
  g_list_store_insert_sorted (self->domains, domain, compare_domains, NULL);
  return domain;
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

static void
on_domain_got (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(Step) step = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = domus_connection_call_finish (DOMUS_CONNECTION (source), result, &error);
  DomusDomain *domain;

  if (step_is_stale (step))
    return;
  /* An undefined domain's event follows; a lost connection has its own handler. */
  if (node == NULL)
    {
      g_debug ("domain.get %s: %s", step->name, error->message);
      return;
    }
  domain = domus_host_lookup_domain (step->host, step->name);
  if (domain != NULL && domus_json_node_get_object (node) != NULL)
    _domus_domain_update (domain, domus_json_node_get_object (node));
}

static void
refresh_domain (DomusHost  *self,
                const char *name)
{
  JsonObject *params = json_object_new ();

  json_object_set_string_member (params, "name", name);
  call (self, "domain.get", params, name, on_domain_got);
}

static void
on_domain_event (DomusConnection *connection,
                 const char      *method,
                 JsonNode        *params,
                 gpointer         user_data)
{
  DomusHost *self = user_data;
  JsonObject *event = domus_json_node_get_object (params);
  const char *name, *reason;
  DomusDomain *domain;
  gboolean refresh;

  if (event == NULL)
    return;
  name = json_object_get_string_member_with_default (event, "name", NULL);
  reason = json_object_get_string_member_with_default (event, "reason", "");
  if (name == NULL || is_domain_0 (name))
    return;

  domain = domus_host_lookup_domain (self, name);
  if (g_str_equal (reason, "undefined"))
    {
      if (domain != NULL)
        remove_domain (self, domain);
      return;
    }

  refresh = g_strv_contains (refresh_reasons, reason);
  if (domain == NULL)
    {
      /* Shown at once with what the event says; domain.get fills in the rest. */
      add_domain (self, name, NULL, event);
      refresh = TRUE;
    }
  else
    /* The daemon's event already says shutoff and a null id for a domain that ended. */
    _domus_domain_apply_event (domain, event);
  if (refresh)
    refresh_domain (self, name);
}

static void
sync_domains (DomusHost  *self,
              JsonArray  *entries)
{
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  guint n = json_array_get_length (entries);

  for (guint i = 0; i < n; i++)
    {
      JsonObject *entry = domus_json_node_get_object (json_array_get_element (entries, i));
      const char *name = entry != NULL ? json_object_get_string_member_with_default (entry, "name", NULL) : NULL;
      DomusDomain *domain;

      if (name == NULL || is_domain_0 (name))
        continue;
      domain = domus_host_lookup_domain (self, name);
      if (domain == NULL)
        domain = add_domain (self, name, entry, NULL);
      else
        _domus_domain_update (domain, entry);
      g_hash_table_add (seen, (gpointer) domus_domain_get_name (domain));
    }

  /* Whatever went while we were away. Backwards, so positions stay valid. */
  for (guint i = g_list_model_get_n_items (G_LIST_MODEL (self->domains)); i > 0; i--)
    {
      g_autoptr(DomusDomain) domain = g_list_model_get_item (G_LIST_MODEL (self->domains), i - 1);

      if (!g_hash_table_contains (seen, domus_domain_get_name (domain)))
        remove_domain (self, domain);
    }
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

static void
apply_sample (DomusHost  *self,
              JsonObject *sample)
{
  gint64 time_us = json_object_get_int_member_with_default (sample, "time_us", 0);
  JsonObject *host = domus_json_node_get_object (json_object_get_member (sample, "host"));
  JsonNode *domains = json_object_get_member (sample, "domains");

  if (host != NULL)
    {
      JsonNode *load = json_object_get_member (host, "load");

      set_double (self, &self->cpu_percent, domus_json_object_get_double (host, "cpu_percent", 0), PROP_CPU_PERCENT);
      set_int (self, &self->memory_used_mib, (gint64) domus_json_object_get_double (host, "memory_used_mib", 0),
               PROP_MEMORY_USED_MIB);
      if (json_object_has_member (host, "memory_mib"))
        set_int (self, &self->memory_mib, (gint64) domus_json_object_get_double (host, "memory_mib", 0), PROP_MEMORY_MIB);
      if (load != NULL && JSON_NODE_HOLDS_ARRAY (load) && json_array_get_length (json_node_get_array (load)) > 0)
        {
          JsonNode *first = json_array_get_element (json_node_get_array (load), 0);

          if (JSON_NODE_HOLDS_VALUE (first))
            set_double (self, &self->load_1, json_node_get_double (first), PROP_LOAD_1);
        }
      push_newer (self->histories[DOMUS_HOST_METRIC_CPU_PERCENT], time_us, self->cpu_percent);
      push_newer (self->histories[DOMUS_HOST_METRIC_MEMORY_USED], time_us, self->memory_used_mib);
    }

  if (domains != NULL && JSON_NODE_HOLDS_ARRAY (domains))
    {
      JsonArray *array = json_node_get_array (domains);

      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonObject *entry = domus_json_node_get_object (json_array_get_element (array, i));
          DomusDomain *domain;

          if (entry == NULL)
            continue;
          /* A domain the list does not have yet gets its figures from the next sample. */
          domain = domus_host_lookup_domain (self, json_object_get_string_member_with_default (entry, "name", ""));
          if (domain != NULL)
            _domus_domain_apply_sample (domain, time_us, entry);
        }
    }
}

static void
on_stats_sample (DomusConnection *connection,
                 const char      *method,
                 JsonNode        *params,
                 gpointer         user_data)
{
  DomusHost *self = user_data;

  if (domus_json_node_get_object (params) == NULL)
    return;
  g_object_freeze_notify (G_OBJECT (self));
  apply_sample (self, domus_json_node_get_object (params));
  g_object_thaw_notify (G_OBJECT (self));
  g_signal_emit (self, signals[SIGNAL_STATS_UPDATED], 0);
}

static void
on_connection_closed (DomusConnection *connection,
                      const GError    *reason,
                      gpointer         user_data)
{
  DomusHost *self = user_data;

  /* Someone else closed our connection (domus_host_get_connection() hands it out). */
  if (reason == NULL)
    attempt_failed (self, g_error_new (DOMUS_ERROR, DOMUS_ERROR_CLOSED, _("The connection to the daemon was closed.")));
  else
    attempt_failed (self, g_error_copy (reason));
}

/* Connecting: connect, hello, domain.list, stats.get, stats.subscribe */

/* The answer of a step, or NULL when the attempt is over (stale, or failed here). */
static JsonObject *
finish_step (Step          *step,
             GObject       *source,
             GAsyncResult  *result,
             JsonNode     **node)
{
  g_autoptr(GError) error = NULL;

  *node = domus_connection_call_finish (DOMUS_CONNECTION (source), result, &error);
  if (step_is_stale (step))
    return NULL;
  if (*node == NULL)
    {
      attempt_failed (step->host, g_steal_pointer (&error));
      return NULL;
    }
  if (domus_json_node_get_object (*node) == NULL)
    {
      attempt_failed (step->host, g_error_new (DOMUS_ERROR, DOMUS_ERROR_PROTOCOL,
                                               _("The daemon answered with something that is not an object.")));
      return NULL;
    }
  return domus_json_node_get_object (*node);
}

static void
on_subscribed (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(Step) step = user_data;
  g_autoptr(JsonNode) node = NULL;
  JsonObject *answer = finish_step (step, source, result, &node);
  DomusHost *self = step->host;

  if (answer == NULL)
    return;
  set_interval (self, json_object_get_int_member_with_default (answer, "interval_ms", 0));
  self->failures = 0;
  set_error (self, NULL);
  set_state (self, DOMUS_HOST_STATE_CONNECTED);
}

static void
on_stats_got (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(Step) step = user_data;
  g_autoptr(JsonNode) node = NULL;
  JsonObject *answer = finish_step (step, source, result, &node);
  DomusHost *self = step->host;
  g_autoptr(GPtrArray) frozen = NULL;
  JsonNode *samples;
  JsonObject *params;

  if (answer == NULL)
    return;
  set_interval (self, json_object_get_int_member_with_default (answer, "interval_ms", 0));

  /* Ten minutes of samples would notify each figure hundreds of times: once is enough. */
  frozen = g_ptr_array_new_with_free_func ((GDestroyNotify) g_object_thaw_notify);
  g_object_freeze_notify (G_OBJECT (self));
  g_ptr_array_add (frozen, self);
  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (self->domains)); i++)
    {
      GObject *domain = g_list_model_get_item (G_LIST_MODEL (self->domains), i);

      g_object_freeze_notify (domain);
      g_ptr_array_add (frozen, domain);
      g_object_unref (domain);   /* the list keeps it */
    }
  samples = json_object_get_member (answer, "samples");
  if (samples != NULL && JSON_NODE_HOLDS_ARRAY (samples))
    {
      JsonArray *array = json_node_get_array (samples);

      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonObject *sample = domus_json_node_get_object (json_array_get_element (array, i));

          if (sample != NULL)
            apply_sample (self, sample);
        }
    }
  g_clear_pointer (&frozen, g_ptr_array_unref);
  g_signal_emit (self, signals[SIGNAL_STATS_UPDATED], 0);

  params = json_object_new ();
  json_object_set_boolean_member (params, "enable", TRUE);
  call (self, "stats.subscribe", params, NULL, on_subscribed);
}

static void
on_listed (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(Step) step = user_data;
  g_autoptr(JsonNode) node = NULL;
  JsonObject *answer = finish_step (step, source, result, &node);
  DomusHost *self = step->host;
  JsonNode *domains;

  if (answer == NULL)
    return;
  domains = json_object_get_member (answer, "domains");
  if (domains == NULL || !JSON_NODE_HOLDS_ARRAY (domains))
    {
      attempt_failed (self, g_error_new (DOMUS_ERROR, DOMUS_ERROR_PROTOCOL,
                                         _("The daemon’s list of domains has no “domains” array.")));
      return;
    }
  sync_domains (self, json_node_get_array (domains));
  call (self, "stats.get", NULL, NULL, on_stats_got);
}

/* The properties that read hello's answer. */
static const struct {
  const char *member;
  guint       prop;
} hello_members[] = {
  { "accelerator",  PROP_ACCELERATOR },
  { "qemu_version", PROP_QEMU_VERSION },
  { "version",      PROP_VERSION },
  { "cpus",         PROP_CPUS },
};

static void
on_hello (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(Step) step = user_data;
  g_autoptr(JsonNode) node = NULL;
  JsonObject *answer = finish_step (step, source, result, &node);
  DomusHost *self = step->host;
  g_autoptr(JsonObject) old_hello = NULL;
  JsonObject *params;
  gint64 protocol;
  const char *name;

  if (answer == NULL)
    return;
  protocol = json_object_get_int_member_with_default (answer, "protocol", 1);
  if (protocol != 1)
    {
      attempt_failed (self, g_error_new (DOMUS_ERROR, DOMUS_ERROR_PROTOCOL,
                                         _("The daemon speaks protocol version %lld; this Domus speaks version 1."),
                                         (long long) protocol));
      return;
    }

  g_object_freeze_notify (G_OBJECT (self));
  old_hello = g_steal_pointer (&self->hello);
  self->hello = json_object_ref (answer);
  name = json_object_get_string_member_with_default (answer, "name", NULL);
  if (name != NULL && g_strcmp0 (name, self->name) != 0)
    {
      g_free (self->name);
      self->name = g_strdup (name);
      notify (self, PROP_NAME);
    }
  set_int (self, &self->memory_mib, hello_int (self, "memory_mib"), PROP_MEMORY_MIB);
  /* A reconnection usually finds the same daemon: notify only what changed. */
  for (guint i = 0; i < G_N_ELEMENTS (hello_members); i++)
    {
      JsonNode *before = old_hello != NULL ? json_object_get_member (old_hello, hello_members[i].member) : NULL;
      JsonNode *after = json_object_get_member (answer, hello_members[i].member);

      if (before == NULL || after == NULL ? before != after : !json_node_equal (before, after))
        notify (self, hello_members[i].prop);
    }
  g_object_thaw_notify (G_OBJECT (self));

  params = json_object_new ();
  json_object_set_boolean_member (params, "all", TRUE);
  call (self, "domain.list", params, NULL, on_listed);
}

static void
on_connected (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(Step) step = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(DomusConnection) connection = domus_connection_connect_finish (result, &error);
  DomusHost *self = step->host;

  if (step_is_stale (step))
    {
      if (connection != NULL)
        domus_connection_close (connection);
      return;
    }
  if (connection == NULL)
    {
      attempt_failed (self, g_steal_pointer (&error));
      return;
    }

  self->connection = g_steal_pointer (&connection);
  /* From now on, so no event is missed while the state is read. */
  g_signal_connect (self->connection, "notification::domain.event", G_CALLBACK (on_domain_event), self);
  g_signal_connect (self->connection, "notification::stats.sample", G_CALLBACK (on_stats_sample), self);
  g_signal_connect (self->connection, "closed", G_CALLBACK (on_connection_closed), self);
  call (self, "hello", NULL, NULL, on_hello);
}

static void
start_attempt (DomusHost *self)
{
  teardown (self);
  self->cancellable = g_cancellable_new ();
  set_state (self, DOMUS_HOST_STATE_CONNECTING);
  domus_connection_connect_full_async (self->uri, self->interaction, self->accepted_key,
                                       self->cancellable, on_connected, step_new (self, NULL));
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
  start_attempt (self);
}

void
domus_host_disconnect (DomusHost *self)
{
  g_return_if_fail (DOMUS_IS_HOST (self));

  self->wanted = FALSE;
  self->failures = 0;
  teardown (self);
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
  domus_host_connect (self);
}

DomusHost *
domus_host_new (const char *uri)
{
  return g_object_new (DOMUS_TYPE_HOST, "uri", uri, NULL);
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

DomusConnection *
domus_host_get_connection (DomusHost *self)
{
  g_return_val_if_fail (DOMUS_IS_HOST (self), NULL);
  return self->state == DOMUS_HOST_STATE_CONNECTED ? self->connection : NULL;
}

JsonObject *
domus_host_get_hello (DomusHost *self)
{
  g_return_val_if_fail (DOMUS_IS_HOST (self), NULL);
  return self->hello;
}

const char *
domus_host_get_accelerator (DomusHost *self)
{
  g_return_val_if_fail (DOMUS_IS_HOST (self), NULL);
  return hello_string (self, "accelerator");
}

const char *
domus_host_get_qemu_version (DomusHost *self)
{
  g_return_val_if_fail (DOMUS_IS_HOST (self), NULL);
  return hello_string (self, "qemu_version");
}

const char *
domus_host_get_version (DomusHost *self)
{
  g_return_val_if_fail (DOMUS_IS_HOST (self), NULL);
  return hello_string (self, "version");
}

gint64
domus_host_get_cpus (DomusHost *self)
{
  g_return_val_if_fail (DOMUS_IS_HOST (self), -1);
  return hello_int (self, "cpus");
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
  teardown (self);
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
  g_clear_pointer (&self->hello, json_object_unref);
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
  self->by_name = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  for (guint i = 0; i < DOMUS_HOST_N_METRICS; i++)
    self->histories[i] = domus_stats_history_new (history_capacity (self));
}

/* Long-range history */

typedef struct {
  char *metric;
} ArchiveData;

static void
archive_data_free (ArchiveData *data)
{
  g_free (data->metric);
  g_free (data);
}

static void
on_archive (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ArchiveData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) answer = domus_connection_call_finish (DOMUS_CONNECTION (source), result, &error);
  g_autoptr(DomusStatsHistory) history = NULL;
  JsonObject *object;
  JsonArray *points;

  if (answer == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  object = domus_json_node_get_object (answer);
  if (object == NULL || !json_object_has_member (object, "points") ||
      !JSON_NODE_HOLDS_ARRAY (json_object_get_member (object, "points")))
    {
      g_task_return_new_error (task, DOMUS_ERROR, DOMUS_ERROR_PROTOCOL,
                               _("The daemon answered stats.archive without points."));
      return;
    }
  points = json_object_get_array_member (object, "points");
  history = domus_stats_history_new (MAX (json_array_get_length (points), 1));
  for (guint i = 0; i < json_array_get_length (points); i++)
    {
      JsonObject *point = domus_json_node_get_object (json_array_get_element (points, i));
      JsonNode *pair = point != NULL ? json_object_get_member (point, data->metric) : NULL;

      /* A point without this figure is a gap, not a zero. */
      if (pair == NULL || !JSON_NODE_HOLDS_ARRAY (pair) || json_array_get_length (json_node_get_array (pair)) < 1)
        continue;
      domus_stats_history_push (history, json_object_get_int_member_with_default (point, "time_us", 0),
                                json_array_get_double_element (json_node_get_array (pair), 0));
    }
  g_task_return_pointer (task, g_steal_pointer (&history), (GDestroyNotify) domus_stats_history_unref);
}

void
domus_host_get_archive_async (DomusHost           *self,
                              const char          *domain_name,
                              const char          *range,
                              const char          *metric,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  JsonObject *params;
  JsonNode *node;
  ArchiveData *data;

  g_return_if_fail (DOMUS_IS_HOST (self));
  g_return_if_fail (range != NULL && metric != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, domus_host_get_archive_async);
  data = g_new0 (ArchiveData, 1);
  data->metric = g_strdup (metric);
  g_task_set_task_data (task, data, (GDestroyNotify) archive_data_free);

  if (self->connection == NULL || self->state != DOMUS_HOST_STATE_CONNECTED)
    {
      g_task_return_new_error (task, DOMUS_ERROR, DOMUS_ERROR_CLOSED,
                               _("%s is not connected."), domus_host_get_name (self));
      return;
    }
  params = json_object_new ();
  json_object_set_string_member (params, "range", range);
  if (domain_name != NULL)
    json_object_set_string_member (params, "name", domain_name);
  node = json_node_init_object (json_node_alloc (), params);
  json_object_unref (params);
  domus_connection_call_async (self->connection, "stats.archive", node, cancellable,
                               on_archive, g_steal_pointer (&task));
  json_node_unref (node);
}

DomusStatsHistory *
domus_host_get_archive_finish (DomusHost     *self,
                               GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
