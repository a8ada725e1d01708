/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The domusd kind of host. Besides DomusConnection and the migration flow, this is the
 * one place in backend/ that names protocol methods and reads their JSON: each typed
 * call becomes a request, each answer, event and sample becomes the model's typed news.
 */

#include "config.h"

#include <glib/gi18n-lib.h>

#include "domus-daemon-driver.h"
#include "domus-fd-task.h"
#include "domus-host-private.h"
#include "domus-json-util.h"

struct _DomusDaemonDriver
{
  DomusHostDriver   parent_instance;

  DomusConnection  *connection;   /* from a successful connect until close */
  GCancellable     *cancellable;  /* what the connection's own calls (refreshes) use */
  gboolean          following;    /* events and samples feed the host's model */
  gboolean          holding_samples; /* until the history is in (daemon_follow) */
  GQueue            held_samples; /* JsonNode: stats.sample params that came before it */
};

G_DEFINE_FINAL_TYPE (DomusDaemonDriver, domus_daemon_driver, DOMUS_TYPE_HOST_DRIVER)

/* What domain.get is asked for after an event: the config or the process may have changed. */
static const char * const refresh_reasons[] = {
  "started", "reattached", "defined", "config-changed", "autostart-changed", "rebooted", "migrated", NULL
};

static DomusHost *
host_of (DomusDaemonDriver *self)
{
  return domus_host_driver_get_host (DOMUS_HOST_DRIVER (self));
}

/* Reading the protocol's objects */

GStrv
_domus_daemon_strings_of (JsonNode *node)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  if (node != NULL && JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);

      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode *element = json_array_get_element (array, i);

          if (JSON_NODE_HOLDS_VALUE (element) && json_node_get_value_type (element) == G_TYPE_STRING)
            g_strv_builder_add (builder, json_node_get_string (element));
        }
    }
  return g_strv_builder_end (builder);
}

/* A domain object (docs/protocol.md, "The domain object"): only what it has. */
static DomusDomainInfo *
info_from_json (JsonObject *object)
{
  DomusDomainInfo *info = domus_domain_info_new ();
  gboolean whole = json_object_has_member (object, "state");

  info->name = g_strdup (domus_json_object_get_string (object, "name", NULL));
  if (json_object_has_member (object, "id"))
    {
      info->fields |= DOMUS_DOMAIN_INFO_ID;
      info->id = domus_json_object_get_int (object, "id", -1);
    }
  if (whole)
    {
      info->fields |= DOMUS_DOMAIN_INFO_STATE;
      info->state = domus_domain_state_from_string (domus_json_object_get_string (object, "state", NULL));
    }
  if (domus_json_object_get_string (object, "flags", NULL) != NULL)
    {
      info->fields |= DOMUS_DOMAIN_INFO_FLAGS;
      info->flags = g_strdup (domus_json_object_get_string (object, "flags", NULL));
    }
  if (json_object_has_member (object, "memory_mib"))
    {
      info->fields |= DOMUS_DOMAIN_INFO_MEMORY;
      info->memory_mib = domus_json_object_get_int (object, "memory_mib", -1);
    }
  if (json_object_has_member (object, "vcpus"))
    {
      info->fields |= DOMUS_DOMAIN_INFO_VCPUS;
      info->vcpus = domus_json_object_get_int (object, "vcpus", -1);
    }
  if (domus_json_object_has_number (object, "cpu_time_ns") || domus_json_object_has_number (object, "cpu_time"))
    {
      info->fields |= DOMUS_DOMAIN_INFO_CPU_TIME;
      if (domus_json_object_has_number (object, "cpu_time_ns"))
        info->cpu_time_ns = domus_json_object_get_int (object, "cpu_time_ns", -1);
      info->cpu_time = domus_json_object_get_double (object, "cpu_time", 0.0);
    }
  if (json_object_has_member (object, "autostart"))
    {
      info->fields |= DOMUS_DOMAIN_INFO_AUTOSTART;
      info->autostart = domus_json_object_get_bool (object, "autostart", FALSE);
    }
  if (json_object_has_member (object, "template"))
    {
      info->fields |= DOMUS_DOMAIN_INFO_TEMPLATE;
      info->template = domus_json_object_get_bool (object, "template", FALSE);
    }
  if (json_object_has_member (object, "tags"))
    {
      info->fields |= DOMUS_DOMAIN_INFO_TAGS;
      g_strfreev (info->tags);
      info->tags = _domus_daemon_strings_of (json_object_get_member (object, "tags"));
    }
  /* A whole domain object leaves these out, rather than null, when they do not apply. */
  if (json_object_has_member (object, "config") || whole)
    {
      info->fields |= DOMUS_DOMAIN_INFO_CONFIG;
      info->config = g_strdup (domus_json_object_get_string (object, "config", NULL));
    }
  if (json_object_has_member (object, "error") || whole)
    {
      info->fields |= DOMUS_DOMAIN_INFO_ERROR;
      info->error = g_strdup (domus_json_object_get_string (object, "error", NULL));
    }
  if (json_object_has_member (object, "notices"))
    {
      g_strfreev (info->notices);
      info->notices = _domus_daemon_strings_of (json_object_get_member (object, "notices"));
    }
  if (json_object_has_member (object, "vnc_socket") || json_object_has_member (object, "serial_socket"))
    {
      info->fields |= DOMUS_DOMAIN_INFO_CONSOLES;
      info->has_graphics = domus_json_object_get_string (object, "vnc_socket", NULL) != NULL;
      info->has_serial = domus_json_object_get_string (object, "serial_socket", NULL) != NULL;
    }
  return info;
}

static DomusImage *
image_from_json (JsonObject *object)
{
  g_auto(GStrv) users = NULL;
  const char *name = domus_json_object_get_string (object, "name", NULL);

  if (name == NULL)
    return NULL;
  users = _domus_daemon_strings_of (json_object_get_member (object, "used_by"));
  return _domus_image_new (name, domus_json_object_get_string (object, "path", NULL),
                           domus_json_object_get_string (object, "format", NULL),
                           MAX (domus_json_object_get_int (object, "size_bytes", 0), 0),
                           MAX (domus_json_object_get_int (object, "allocated_bytes", 0), 0),
                           (const char * const *) users);
}

static const struct {
  const char            *method;
  DomusHostCapabilities  capability;
} capability_methods[] = {
  { "host.bridges",      DOMUS_HOST_CAN_LIST_BRIDGES },
  { "demo.prepare",      DOMUS_HOST_CAN_DEMO },
  { "domain.dump",       DOMUS_HOST_CAN_DUMP },
  { "domain.sysrq",      DOMUS_HOST_CAN_SYSRQ },
  { "stats.archive",     DOMUS_HOST_CAN_ARCHIVE },
  { "migration.prepare", DOMUS_HOST_CAN_MIGRATE },
  { "image.list",        DOMUS_HOST_CAN_IMAGES },
  { "domain.snapshot.list", DOMUS_HOST_CAN_SNAPSHOTS },
  { "domain.save",       DOMUS_HOST_CAN_SAVE },
  { "domain.clone",      DOMUS_HOST_CAN_CLONE },
  { "image.debian",      DOMUS_HOST_CAN_BUILD_DEBIAN },
  { "image.cloud",       DOMUS_HOST_CAN_BUILD_CLOUD },
  { "alerts.list",       DOMUS_HOST_CAN_ALERTS },
};

/*
 * The daemon's own rule (hv_relocation_config_is_loopback): a target whose relocation
 * address is not a loopback one, or is every address (""), refuses a migration without
 * a key. Said here so that a client encrypts before it is refused.
 */
static gboolean
relocation_requires_encryption (JsonObject *relocation)
{
  const char *text = domus_json_object_get_string (relocation, "address", NULL);
  g_autoptr(GInetAddress) address = NULL;

  if (relocation == NULL || !domus_json_object_get_bool (relocation, "enabled", FALSE) || text == NULL)
    return FALSE;
  address = g_inet_address_new_from_string (text);
  return address == NULL || !g_inet_address_get_is_loopback (address);
}

static DomusHostFacts *
facts_from_hello (JsonObject *hello)
{
  DomusHostFacts *facts = domus_host_facts_new ();
  g_auto(GStrv) methods = _domus_daemon_strings_of (json_object_get_member (hello, "capabilities"));
  g_auto(GStrv) features = _domus_daemon_strings_of (json_object_get_member (hello, "features"));
  const char *network = domus_json_object_get_string (hello, "network", NULL);

  facts->name = g_strdup (domus_json_object_get_string (hello, "name", NULL));
  facts->version = g_strdup (domus_json_object_get_string (hello, "version", NULL));
  facts->hypervisor = g_strdup (domus_json_object_get_string (hello, "hypervisor", NULL));
  facts->hypervisor_version = g_strdup (domus_json_object_get_string (hello, "qemu_version", NULL));
  facts->accelerator = g_strdup (domus_json_object_get_string (hello, "accelerator", NULL));
  facts->cpus = domus_json_object_get_int (hello, "cpus", -1);
  facts->memory_mib = domus_json_object_get_int (hello, "memory_mib", -1);
  if (g_strcmp0 (network, "user") == 0)
    facts->network = DOMUS_HOST_NETWORK_USER;
  else if (g_strcmp0 (network, "bridge") == 0)
    facts->network = DOMUS_HOST_NETWORK_BRIDGE;
  for (gsize i = 0; i < G_N_ELEMENTS (capability_methods); i++)
    if (g_strv_contains ((const char * const *) methods, capability_methods[i].method))
      facts->capabilities |= capability_methods[i].capability;
  if (g_strv_contains ((const char * const *) features, "migration-tls"))
    facts->capabilities |= DOMUS_HOST_CAN_ENCRYPT_MIGRATION;
  facts->migration_encryption_required =
    relocation_requires_encryption (domus_json_object_get_object (hello, "relocation"));
  return facts;
}

/* One stats sample, applied as it is read: its strings are the JSON's. */
static void
apply_sample (DomusHost  *host,
              JsonObject *object)
{
  JsonObject *figures = domus_json_object_get_object (object, "host");
  JsonArray *domains = domus_json_object_get_array (object, "domains");
  JsonArray *load = figures != NULL ? domus_json_object_get_array (figures, "load") : NULL;
  g_autoptr(GArray) samples = g_array_new (FALSE, TRUE, sizeof (DomusDomainSample));
  DomusHostSample sample = { 0 };

  sample.time_us = domus_json_object_get_int (object, "time_us", 0);
  if (figures != NULL)
    {
      sample.has_host = TRUE;
      sample.cpu_percent = domus_json_object_get_double (figures, "cpu_percent", 0);
      sample.memory_used_mib = (gint64) domus_json_object_get_double (figures, "memory_used_mib", 0);
      sample.memory_mib = json_object_has_member (figures, "memory_mib")
                          ? (gint64) domus_json_object_get_double (figures, "memory_mib", 0) : -1;
      if (load != NULL && json_array_get_length (load) > 0 && JSON_NODE_HOLDS_VALUE (json_array_get_element (load, 0)))
        {
          sample.has_load = TRUE;
          sample.load_1 = json_node_get_double (json_array_get_element (load, 0));
        }
    }
  for (guint i = 0; domains != NULL && i < json_array_get_length (domains); i++)
    {
      JsonObject *entry = domus_json_node_get_object (json_array_get_element (domains, i));
      DomusDomainSample domain = { 0 };

      if (entry == NULL)
        continue;
      domain.name = domus_json_object_get_string (entry, "name", "");
      domain.id = domus_json_object_get_int (entry, "id", -1);
      domain.cpu_percent = domus_json_object_get_double (entry, "cpu_percent", 0);
      domain.cpu_time_ns = domus_json_object_has_number (entry, "cpu_time_ns")
                           ? domus_json_object_get_int (entry, "cpu_time_ns", 0) : -1;
      domain.rss_mib = domus_json_object_get_int (entry, "rss_mib", 0);
      domain.disk_rd_bytes = domus_json_object_get_int (entry, "disk_rd_bytes", 0);
      domain.disk_wr_bytes = domus_json_object_get_int (entry, "disk_wr_bytes", 0);
      domain.net_rx_bytes = domus_json_object_get_int (entry, "net_rx_bytes", -1);
      domain.net_tx_bytes = domus_json_object_get_int (entry, "net_tx_bytes", -1);
      g_array_append_val (samples, domain);
    }
  sample.domains = (const DomusDomainSample *) samples->data;
  sample.n_domains = samples->len;
  _domus_host_apply_sample (host, &sample);
}

/* Calls */

typedef DomusDaemonAnswerFunc AnswerFunc;

typedef struct {
  DomusDaemonDriver *self;
  char              *method;
  GTask             *task;
  AnswerFunc         answer;
} Call;

static void
on_called (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Call *call = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = domus_connection_call_finish (DOMUS_CONNECTION (source), result, &error);
  JsonObject *object = domus_json_node_get_object (node);

  g_debug ("%s: %s answered%s%s", domus_host_driver_get_uri (DOMUS_HOST_DRIVER (call->self)), call->method,
           error != NULL ? ": " : "", error != NULL ? error->message : "");
  if (node == NULL && g_error_matches (error, DOMUS_ERROR, DOMUS_ERROR_METHOD_NOT_FOUND))
    g_task_return_new_error (call->task, DOMUS_ERROR, DOMUS_ERROR_METHOD_NOT_FOUND,
                             _("The daemon at %s does not know “%s”: it is older than this Domus."),
                             domus_host_driver_get_uri (DOMUS_HOST_DRIVER (call->self)), call->method);
  else if (node == NULL)
    g_task_return_error (call->task, g_steal_pointer (&error));
  else if (object == NULL)
    g_task_return_new_error (call->task, DOMUS_ERROR, DOMUS_ERROR_PROTOCOL,
                             _("The daemon answered %s with something that is not an object."), call->method);
  else
    call->answer (call->self, g_object_ref (call->task), object);
  g_object_unref (call->self);
  g_object_unref (call->task);
  g_free (call->method);
  g_free (call);
}

/*
 * Sends method with params (taken, nullable) and hands the answer to answer, or the
 * error to task (taken). The task's cancellable stops the wait.
 */
static void
call (DomusDaemonDriver *self,
      const char        *method,
      JsonObject        *params,
      GTask             *task,
      AnswerFunc         answer)
{
  g_autoptr(JsonObject) owned = params;
  g_autoptr(JsonNode) node = NULL;
  Call *call;

  if (self->connection == NULL)
    {
      g_task_return_new_error (task, DOMUS_ERROR, DOMUS_ERROR_CLOSED,
                               _("The connection to the daemon is closed."));
      g_object_unref (task);
      return;
    }
  if (owned != NULL)
    node = json_node_init_object (json_node_alloc (), owned);
  call = g_new0 (Call, 1);
  call->self = g_object_ref (self);
  call->method = g_strdup (method);
  call->task = task;
  call->answer = answer;
  domus_connection_call_async (self->connection, method, node, g_task_get_cancellable (task), on_called, call);
}

void
_domus_daemon_call (DomusDaemonDriver     *self,
                    const char            *method,
                    JsonObject            *params,
                    GTask                 *task,
                    DomusDaemonAnswerFunc  answer)
{
  call (self, method, params, task, answer);
}

JsonObject *
_domus_daemon_name_params (const char *name)
{
  JsonObject *params = json_object_new ();

  json_object_set_string_member (params, "name", name);
  return params;
}

/* Answers */

void
_domus_daemon_answer_true (DomusDaemonDriver *self,
                           GTask             *task,
                           JsonObject        *answer)
{
  g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

static void
answer_id (DomusDaemonDriver *self,
           GTask             *task,
           JsonObject        *answer)
{
  g_task_return_int (task, domus_json_object_get_int (answer, "id", -1));
  g_object_unref (task);
}

static void
answer_info (DomusDaemonDriver *self,
             GTask             *task,
             JsonObject        *answer)
{
  g_task_return_pointer (task, info_from_json (answer), (GDestroyNotify) domus_domain_info_free);
  g_object_unref (task);
}

/* domain.list's answer: the domains, or an error when it has no list. */
static GPtrArray *
infos_from_list (JsonObject  *answer,
                 GError     **error)
{
  JsonArray *domains = domus_json_object_get_array (answer, "domains");
  GPtrArray *infos;

  if (domains == NULL)
    {
      g_set_error (error, DOMUS_ERROR, DOMUS_ERROR_PROTOCOL,
                   _("The daemon’s list of domains has no “domains” array."));
      return NULL;
    }
  infos = g_ptr_array_new_with_free_func ((GDestroyNotify) domus_domain_info_free);
  for (guint i = 0; i < json_array_get_length (domains); i++)
    {
      JsonObject *entry = domus_json_node_get_object (json_array_get_element (domains, i));

      if (entry != NULL)
        g_ptr_array_add (infos, info_from_json (entry));
    }
  return infos;
}

static void
answer_domain_list (DomusDaemonDriver *self,
                    GTask             *task,
                    JsonObject        *answer)
{
  GError *error = NULL;
  GPtrArray *infos = infos_from_list (answer, &error);

  if (infos == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, infos, (GDestroyNotify) g_ptr_array_unref);
  g_object_unref (task);
}

static void
answer_config (DomusDaemonDriver *self,
               GTask             *task,
               JsonObject        *answer)
{
  DomusDriverFile *file;

  if (domus_json_object_get_string (answer, "config", NULL) == NULL)
    {
      g_task_return_new_error (task, DOMUS_ERROR, DOMUS_ERROR_PROTOCOL,
                               _("The daemon sent no configuration."));
      g_object_unref (task);
      return;
    }
  file = g_new0 (DomusDriverFile, 1);
  file->text = g_strdup (domus_json_object_get_string (answer, "config", NULL));
  file->path = g_strdup (domus_json_object_get_string (answer, "path", NULL));
  g_task_return_pointer (task, file, (GDestroyNotify) domus_driver_file_free);
  g_object_unref (task);
}

static void
answer_new_config (DomusDaemonDriver *self,
                   GTask             *task,
                   JsonObject        *answer)
{
  g_task_return_pointer (task, g_strdup (domus_json_object_get_string (answer, "config", NULL)), g_free);
  g_object_unref (task);
}

static void
answer_dump (DomusDaemonDriver *self,
             GTask             *task,
             JsonObject        *answer)
{
  DomusDriverFile *file;

  if (domus_json_object_get_string (answer, "path", NULL) == NULL)
    {
      g_task_return_new_error (task, DOMUS_ERROR, DOMUS_ERROR_PROTOCOL,
                               _("The daemon did not say where it wrote the core file."));
      g_object_unref (task);
      return;
    }
  file = g_new0 (DomusDriverFile, 1);
  file->path = g_strdup (domus_json_object_get_string (answer, "path", NULL));
  file->size = MAX (domus_json_object_get_int (answer, "size_bytes", 0), 0);
  g_task_return_pointer (task, file, (GDestroyNotify) domus_driver_file_free);
  g_object_unref (task);
}

static void
answer_bridges (DomusDaemonDriver *self,
                GTask             *task,
                JsonObject        *answer)
{
  g_task_return_pointer (task, _domus_daemon_strings_of (json_object_get_member (answer, "bridges")), (GDestroyNotify) g_strfreev);
  g_object_unref (task);
}

static void
answer_image (DomusDaemonDriver *self,
              GTask             *task,
              JsonObject        *answer)
{
  DomusImage *image = image_from_json (answer);

  if (image == NULL)
    g_task_return_new_error (task, DOMUS_ERROR, DOMUS_ERROR_PROTOCOL,
                             _("The daemon answered without the image’s name."));
  else
    g_task_return_pointer (task, image, g_object_unref);
  g_object_unref (task);
}

static void
answer_images (DomusDaemonDriver *self,
               GTask             *task,
               JsonObject        *answer)
{
  JsonArray *images = domus_json_object_get_array (answer, "images");
  DomusImageListing *listing = g_new0 (DomusImageListing, 1);
  const char *dir = domus_json_object_get_string (answer, "dir", NULL);

  listing->images = g_ptr_array_new_with_free_func (g_object_unref);
  /* An older daemon does not say where the store is: the first image's folder stands in. */
  if (dir != NULL && g_path_is_absolute (dir))
    listing->dir = g_strdup (dir);
  for (guint i = 0; images != NULL && i < json_array_get_length (images); i++)
    {
      JsonObject *entry = domus_json_node_get_object (json_array_get_element (images, i));
      DomusImage *image = entry != NULL ? image_from_json (entry) : NULL;

      if (image == NULL)
        continue;
      if (listing->dir == NULL && domus_image_get_path (image) != NULL && g_path_is_absolute (domus_image_get_path (image)))
        listing->dir = g_path_get_dirname (domus_image_get_path (image));
      g_ptr_array_add (listing->images, image);
    }
  g_task_return_pointer (task, listing, (GDestroyNotify) domus_image_listing_free);
  g_object_unref (task);
}

static void
answer_archive (DomusDaemonDriver *self,
                GTask             *task,
                JsonObject        *answer)
{
  const char *metric = g_task_get_task_data (task);
  JsonArray *points = domus_json_object_get_array (answer, "points");
  g_autoptr(DomusStatsHistory) history = NULL;

  if (points == NULL)
    {
      g_task_return_new_error (task, DOMUS_ERROR, DOMUS_ERROR_PROTOCOL,
                               _("The daemon answered stats.archive without points."));
      g_object_unref (task);
      return;
    }
  history = domus_stats_history_new (MAX (json_array_get_length (points), 1));
  for (guint i = 0; i < json_array_get_length (points); i++)
    {
      JsonObject *point = domus_json_node_get_object (json_array_get_element (points, i));
      JsonArray *pair = point != NULL ? domus_json_object_get_array (point, metric) : NULL;

      /* A point without this figure is a gap, not a zero. */
      if (pair == NULL || json_array_get_length (pair) < 1)
        continue;
      domus_stats_history_push (history, domus_json_object_get_int (point, "time_us", 0),
                                json_array_get_double_element (pair, 0));
    }
  g_task_return_pointer (task, g_steal_pointer (&history), (GDestroyNotify) domus_stats_history_unref);
  g_object_unref (task);
}

/* Events and samples, once the host is followed */

static void
on_domain_refreshed (DomusDaemonDriver *self,
                     GTask             *task,
                     JsonObject        *answer)
{
  g_autoptr(DomusDomainInfo) info = info_from_json (answer);

  g_task_return_boolean (task, TRUE);
  g_object_unref (task);
  if (host_of (self) != NULL)
    _domus_host_update_domain (host_of (self), info, FALSE);
}

static void
on_refresh_done (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  /* An undefined domain's event follows; a lost connection has its own handler. */
  if (!g_task_propagate_boolean (G_TASK (result), &error))
    g_debug ("domain.get %s: %s", (const char *) g_task_get_task_data (G_TASK (result)), error->message);
}

static void
refresh_domain (DomusDaemonDriver *self,
                const char        *name)
{
  GTask *task = g_task_new (self, self->cancellable, on_refresh_done, NULL);

  g_task_set_task_data (task, g_strdup (name), g_free);
  call (self, "domain.get", _domus_daemon_name_params (name), task, on_domain_refreshed);
}

static void
on_domain_event (DomusConnection *connection,
                 const char      *method,
                 JsonNode        *params,
                 gpointer         user_data)
{
  DomusDaemonDriver *self = user_data;
  JsonObject *event = domus_json_node_get_object (params);
  g_autoptr(DomusDomainInfo) info = NULL;
  const char *reason;

  if (!self->following || event == NULL || host_of (self) == NULL)
    return;
  info = info_from_json (event);
  /* An event says where the domain is, not what its config holds. */
  info->fields &= DOMUS_DOMAIN_INFO_ID | DOMUS_DOMAIN_INFO_STATE | DOMUS_DOMAIN_INFO_FLAGS;
  reason = domus_json_object_get_string (event, "reason", "");
  if (info->name == NULL || g_strcmp0 (info->name, "Domain-0") == 0)
    return;

  if (g_str_equal (reason, "undefined"))
    {
      _domus_host_remove_domain (host_of (self), info->name);
      return;
    }
  /* A new domain is shown at once with what the event says; domain.get fills in the rest. */
  if (_domus_host_update_domain (host_of (self), info, TRUE) || g_strv_contains (refresh_reasons, reason))
    refresh_domain (self, info->name);
}

static void
on_stats_sample (DomusConnection *connection,
                 const char      *method,
                 JsonNode        *params,
                 gpointer         user_data)
{
  DomusDaemonDriver *self = user_data;
  DomusHost *host = host_of (self);

  if (!self->following || host == NULL || domus_json_node_get_object (params) == NULL)
    return;
  if (self->holding_samples)
    {
      g_queue_push_tail (&self->held_samples, json_node_ref (params));
      return;
    }
  _domus_host_begin_samples (host);
  apply_sample (host, domus_json_node_get_object (params));
  _domus_host_end_samples (host);
}

static void
on_connection_closed (DomusConnection *connection,
                      const GError    *reason,
                      gpointer         user_data)
{
  DomusDaemonDriver *self = user_data;

  if (host_of (self) == NULL)
    return;
  /* Someone else closed our connection (domus_daemon_driver_get_connection() hands it out). */
  if (reason == NULL)
    _domus_host_driver_lost (host_of (self), g_error_new (DOMUS_ERROR, DOMUS_ERROR_CLOSED,
                                                          _("The connection to the daemon was closed.")));
  else
    _domus_host_driver_lost (host_of (self), g_error_copy (reason));
}

/*
 * Following: domain.list, stats.subscribe, stats.get and alerts.list go out together, as
 * soon as hello has answered: one round trip rather than four, each of which costs a pass
 * through the SSH worker thread and sshd. Subscribing before asking for the history
 * leaves no gap between the two, whenever the daemon samples; a sample in both is
 * applied once (the model drops what is not newer than what it has). Their answers may
 * come in any order (domain.list scans the configs); they are applied in request order,
 * the domains before the samples that name them, and live samples that come before the
 * history are held until it is in.
 */

typedef gboolean (*FollowStep) (DomusDaemonDriver  *self,
                                JsonObject         *answer,
                                GError            **error);

#define MAX_FOLLOW_CALLS 4

typedef struct {
  GTask      *task;                              /* the host's; NULL once answered */
  GCancellable *cancellable;                     /* the host's task's, for each call */
  guint       n_calls;                           /* all of them, counted before any is sent */
  guint       n_sent;
  guint       n_out;                             /* answers still to come, + 1 while sending */
  guint       applied;                           /* answers applied, in request order */
  FollowStep  steps[MAX_FOLLOW_CALLS];
  GTask      *answers[MAX_FOLLOW_CALLS];         /* each call's, kept until its turn */
} Follow;

static void
follow_end (Follow *follow,
            GError *error)
{
  if (error != NULL)
    g_task_return_error (follow->task, error);
  else
    g_task_return_boolean (follow->task, TRUE);
  g_clear_object (&follow->task);
}

/* Applies the answers that are in, in request order, up to the first missing one. */
static void
follow_apply_ready (DomusDaemonDriver *self,
                    Follow            *follow)
{
  while (follow->task != NULL && follow->applied < follow->n_calls &&
         follow->answers[follow->applied] != NULL)
    {
      GError *error = NULL;
      g_autoptr(JsonObject) answer = g_task_propagate_pointer (follow->answers[follow->applied], &error);

      if (answer == NULL || !follow->steps[follow->applied] (self, answer, &error))
        {
          follow_end (follow, error);
          return;
        }
      follow->applied++;
    }
  if (follow->task != NULL && follow->applied == follow->n_calls)
    follow_end (follow, NULL);
}

/* One call answered, or the sending over: the last of them frees. */
static void
follow_release (Follow *follow)
{
  if (--follow->n_out > 0)
    return;
  g_assert (follow->task == NULL);
  for (guint i = 0; i < follow->n_calls; i++)
    g_clear_object (&follow->answers[i]);
  g_clear_object (&follow->cancellable);
  g_free (follow);
}

static void
on_follow_answered (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  Follow *follow = user_data;
  guint index = GPOINTER_TO_UINT (g_task_get_task_data (G_TASK (result)));

  follow->answers[index] = g_object_ref (G_TASK (result));
  follow_apply_ready (DOMUS_DAEMON_DRIVER (source), follow);
  /* After a failure the others still answer (the closed connection's error). */
  follow_release (follow);
}

static void
answer_object (DomusDaemonDriver *self,
               GTask             *task,
               JsonObject        *answer)
{
  g_task_return_pointer (task, json_object_ref (answer), (GDestroyNotify) json_object_unref);
  g_object_unref (task);
}

static void
follow_call (DomusDaemonDriver *self,
             Follow            *follow,
             const char        *method,
             JsonObject        *params,
             FollowStep         step)
{
  guint index = follow->n_sent++;
  GTask *task = g_task_new (self, follow->cancellable, on_follow_answered, follow);

  g_assert (index < follow->n_calls);
  follow->steps[index] = step;
  g_task_set_task_data (task, GUINT_TO_POINTER (index), NULL);
  call (self, method, params, task, answer_object);
}

static gboolean
apply_domains (DomusDaemonDriver  *self,
               JsonObject         *answer,
               GError            **error)
{
  g_autoptr(GPtrArray) infos = infos_from_list (answer, error);

  if (infos == NULL)
    return FALSE;
  _domus_host_sync_domains (host_of (self), infos);
  return TRUE;
}

/* The history, then the samples that came before it (they are newer). */
static gboolean
apply_history (DomusDaemonDriver  *self,
               JsonObject         *answer,
               GError            **error)
{
  DomusHost *host = host_of (self);
  JsonArray *samples = domus_json_object_get_array (answer, "samples");
  JsonNode *held;

  _domus_host_set_stats_interval (host, domus_json_object_get_int (answer, "interval_ms", 0));
  _domus_host_begin_samples (host);
  for (guint i = 0; samples != NULL && i < json_array_get_length (samples); i++)
    {
      JsonObject *sample = domus_json_node_get_object (json_array_get_element (samples, i));

      if (sample != NULL)
        apply_sample (host, sample);
    }
  self->holding_samples = FALSE;
  while ((held = g_queue_pop_head (&self->held_samples)) != NULL)
    {
      apply_sample (host, json_node_get_object (held));
      json_node_unref (held);
    }
  _domus_host_end_samples (host);
  return TRUE;
}

static gboolean
apply_subscription (DomusDaemonDriver  *self,
                    JsonObject         *answer,
                    GError            **error)
{
  _domus_host_set_stats_interval (host_of (self), domus_json_object_get_int (answer, "interval_ms", 0));
  return TRUE;
}

static JsonObject *
boolean_params (const char *name,
                gboolean    value)
{
  JsonObject *params = json_object_new ();

  json_object_set_boolean_member (params, name, value);
  return params;
}

static void
daemon_follow (DomusHostDriver *driver,
               GTask           *task)
{
  DomusDaemonDriver *self = DOMUS_DAEMON_DRIVER (driver);
  Follow *follow = g_new0 (Follow, 1);
  /* An older daemon keeps no alerts: the model holds this client's own only. */
  gboolean alerts = (domus_host_get_capabilities (host_of (self)) & DOMUS_HOST_CAN_ALERTS) != 0;

  /* From now on, so no event is missed while the state is read. */
  self->following = TRUE;
  self->holding_samples = TRUE;
  follow->task = task;
  g_set_object (&follow->cancellable, g_task_get_cancellable (task));
  /* All counted before any is sent, and the sending holds the follow too: however soon
   * an answer comes, it is not the last. */
  follow->n_calls = alerts ? 4 : 3;
  follow->n_out = follow->n_calls + 1;
  follow_call (self, follow, "domain.list", boolean_params ("all", TRUE), apply_domains);
  follow_call (self, follow, "stats.subscribe", boolean_params ("enable", TRUE), apply_subscription);
  follow_call (self, follow, "stats.get", NULL, apply_history);
  if (alerts)
    follow_call (self, follow, "alerts.list", NULL, _domus_daemon_alerts_apply);
  g_assert (follow->n_sent == follow->n_calls);
  g_debug ("%s: following: %u calls sent at once", domus_host_driver_get_uri (driver), follow->n_calls);
  follow_release (follow);
}

static void
on_hello (DomusDaemonDriver *self,
          GTask             *task,
          JsonObject        *answer)
{
  gint64 protocol = domus_json_object_get_int (answer, "protocol", 1);

  if (protocol != 1)
    g_task_return_new_error (task, DOMUS_ERROR, DOMUS_ERROR_PROTOCOL,
                             _("The daemon speaks protocol version %lld; this Domus speaks version 1."),
                             (long long) protocol);
  else
    g_task_return_pointer (task, facts_from_hello (answer), (GDestroyNotify) domus_host_facts_free);
  g_object_unref (task);
}

static void
on_connected (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  GTask *task = user_data;
  DomusDaemonDriver *self = g_object_get_data (G_OBJECT (task), "driver");
  g_autoptr(GError) error = NULL;
  g_autoptr(DomusConnection) connection = domus_connection_connect_finish (result, &error);

  if (connection != NULL && g_cancellable_is_cancelled (g_task_get_cancellable (task)))
    {
      domus_connection_close (connection);
      g_clear_object (&connection);
      error = g_error_new (G_IO_ERROR, G_IO_ERROR_CANCELLED, _("The connection was closed."));
    }
  if (connection == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      g_object_unref (task);
      return;
    }
  self->connection = g_steal_pointer (&connection);
  self->cancellable = g_cancellable_new ();
  g_signal_connect (self->connection, "notification::domain.event", G_CALLBACK (on_domain_event), self);
  g_signal_connect (self->connection, "notification::stats.sample", G_CALLBACK (on_stats_sample), self);
  _domus_daemon_alerts_follow (self, self->connection);
  g_signal_connect (self->connection, "closed", G_CALLBACK (on_connection_closed), self);
  call (self, "hello", NULL, task, on_hello);
}

static void
daemon_connect (DomusHostDriver *driver,
                GTlsInteraction *interaction,
                const char      *accept_host_key,
                GTask           *task)
{
  g_object_set_data_full (G_OBJECT (task), "driver", g_object_ref (driver), g_object_unref);
  domus_connection_connect_full_async (domus_host_driver_get_uri (driver), interaction, accept_host_key,
                                       g_task_get_cancellable (task), on_connected, task);
}

static void
daemon_close (DomusHostDriver *driver,
              guint            wait_ms)
{
  DomusDaemonDriver *self = DOMUS_DAEMON_DRIVER (driver);

  self->following = FALSE;
  self->holding_samples = FALSE;
  g_queue_clear_full (&self->held_samples, (GDestroyNotify) json_node_unref);
  if (self->cancellable != NULL)
    {
      g_cancellable_cancel (self->cancellable);
      g_clear_object (&self->cancellable);
    }
  if (self->connection != NULL)
    {
      g_autoptr(DomusConnection) connection = g_steal_pointer (&self->connection);

      g_signal_handlers_disconnect_by_data (connection, self);
      if (wait_ms > 0)
        domus_connection_close_and_wait (connection, wait_ms);
      else
        domus_connection_close (connection);
    }
}

static const char *
daemon_get_security_notice (DomusHostDriver *driver)
{
  DomusDaemonDriver *self = DOMUS_DAEMON_DRIVER (driver);

  return self->connection != NULL ? domus_connection_get_security_notice (self->connection) : NULL;
}

static gboolean
daemon_is_local (DomusHostDriver *driver)
{
  g_autofree char *uri = domus_connection_expand_uri (domus_host_driver_get_uri (driver));

  return g_str_has_prefix (uri, "unix:") || g_strcmp0 (uri, "local") == 0;
}

static void
daemon_ping (DomusHostDriver *driver,
             GTask           *task)
{
  call (DOMUS_DAEMON_DRIVER (driver), "hello", NULL, task, _domus_daemon_answer_true);
}

/* Domains */

static void
daemon_list_domains (DomusHostDriver *driver,
                     gboolean         all,
                     GTask           *task)
{
  call (DOMUS_DAEMON_DRIVER (driver), "domain.list", boolean_params ("all", all), task, answer_domain_list);
}

static void
daemon_get_domain (DomusHostDriver *driver,
                   const char      *name,
                   GTask           *task)
{
  call (DOMUS_DAEMON_DRIVER (driver), "domain.get", _domus_daemon_name_params (name), task, answer_info);
}

static const char * const action_methods[] = {
  [DOMUS_DOMAIN_ACTION_START]    = "domain.start",
  [DOMUS_DOMAIN_ACTION_SHUTDOWN] = "domain.shutdown",
  [DOMUS_DOMAIN_ACTION_REBOOT]   = "domain.reboot",
  [DOMUS_DOMAIN_ACTION_PAUSE]    = "domain.pause",
  [DOMUS_DOMAIN_ACTION_RESUME]   = "domain.unpause",
  [DOMUS_DOMAIN_ACTION_DESTROY]  = "domain.destroy",
};

static void
daemon_domain_action (DomusHostDriver        *driver,
                      const char             *name,
                      DomusDomainAction       action,
                      DomusDomainActionFlags  flags,
                      GTask                  *task)
{
  JsonObject *params = _domus_daemon_name_params (name);

  if (action == DOMUS_DOMAIN_ACTION_SHUTDOWN)
    json_object_set_boolean_member (params, "wait", (flags & DOMUS_DOMAIN_ACTION_FLAGS_WAIT) != 0);
  call (DOMUS_DAEMON_DRIVER (driver), action_methods[action], params, task, answer_id);
}

static void
daemon_get_config (DomusHostDriver *driver,
                   const char      *name,
                   GTask           *task)
{
  call (DOMUS_DAEMON_DRIVER (driver), "domain.get_config", _domus_daemon_name_params (name), task, answer_config);
}

static void
daemon_set_config (DomusHostDriver *driver,
                   const char      *name,
                   const char      *config,
                   GTask           *task)
{
  JsonObject *params = _domus_daemon_name_params (name);

  json_object_set_string_member (params, "config", config);
  call (DOMUS_DAEMON_DRIVER (driver), "domain.set_config", params, task, _domus_daemon_answer_true);
}

static void
daemon_set_values (DomusHostDriver *driver,
                   const char      *name,
                   GVariant        *values,
                   GTask           *task)
{
  JsonObject *params = _domus_daemon_name_params (name);

  /* a{sv} is a JSON object; an empty maybe is null, which removes the key. */
  json_object_set_member (params, "values", json_gvariant_serialize (values));
  call (DOMUS_DAEMON_DRIVER (driver), "domain.set_values", params, task, answer_new_config);
}

static void
daemon_set_autostart (DomusHostDriver *driver,
                      const char      *name,
                      gboolean         autostart,
                      GTask           *task)
{
  JsonObject *params = _domus_daemon_name_params (name);

  json_object_set_boolean_member (params, "autostart", autostart);
  call (DOMUS_DAEMON_DRIVER (driver), "domain.set_autostart", params, task, _domus_daemon_answer_true);
}

static JsonObject *
config_params (const char *config,
               const char *filename)
{
  JsonObject *params = json_object_new ();

  json_object_set_string_member (params, "config", config);
  if (filename != NULL)
    json_object_set_string_member (params, "filename", filename);
  return params;
}

static void
daemon_define (DomusHostDriver *driver,
               const char      *config,
               const char      *filename,
               gboolean         start,
               GTask           *task)
{
  call (DOMUS_DAEMON_DRIVER (driver), start ? "domain.create" : "domain.define",
        config_params (config, filename), task, answer_info);
}

static void
daemon_undefine (DomusHostDriver *driver,
                 const char      *name,
                 GTask           *task)
{
  call (DOMUS_DAEMON_DRIVER (driver), "domain.undefine", _domus_daemon_name_params (name), task, _domus_daemon_answer_true);
}

static void
daemon_dump (DomusHostDriver *driver,
             const char      *name,
             GTask           *task)
{
  call (DOMUS_DAEMON_DRIVER (driver), "domain.dump", _domus_daemon_name_params (name), task, answer_dump);
}

static void
daemon_sysrq (DomusHostDriver *driver,
              const char      *name,
              const char      *key,
              GTask           *task)
{
  JsonObject *params = _domus_daemon_name_params (name);

  json_object_set_string_member (params, "key", key);
  call (DOMUS_DAEMON_DRIVER (driver), "domain.sysrq", params, task, _domus_daemon_answer_true);
}

static void
on_console_opened (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  int fd = domus_connection_open_console_finish (DOMUS_CONNECTION (source), result, &error);

  if (fd < 0)
    g_task_return_error (task, error);
  else
    domus_task_return_fd (task, fd);
}

static void
daemon_open_console (DomusHostDriver  *driver,
                     const char       *name,
                     DomusConsoleKind  kind,
                     GTask            *task)
{
  DomusDaemonDriver *self = DOMUS_DAEMON_DRIVER (driver);

  if (self->connection == NULL)
    {
      g_task_return_new_error (task, DOMUS_ERROR, DOMUS_ERROR_CLOSED, _("The connection to the daemon is closed."));
      g_object_unref (task);
      return;
    }
  domus_connection_open_console_async (self->connection, name, kind, g_task_get_cancellable (task),
                                       on_console_opened, task);
}

/* The demo: demo.prepare builds it, domain.create starts it under the name prepare chose. */
static void
on_demo_created (DomusDaemonDriver *self,
                 GTask             *task,
                 JsonObject        *answer)
{
  g_task_return_pointer (task, g_strdup (g_task_get_task_data (task)), g_free);
  g_object_unref (task);
}

static void
on_demo_prepared (DomusDaemonDriver *self,
                  GTask             *task,
                  JsonObject        *answer)
{
  g_task_set_task_data (task, g_strdup (domus_json_object_get_string (answer, "name", "demo")), g_free);
  call (self, "domain.create", config_params (domus_json_object_get_string (answer, "config", ""), "demo.cfg"),
        task, on_demo_created);
}

static void
daemon_create_demo (DomusHostDriver *driver,
                    GTask           *task)
{
  call (DOMUS_DAEMON_DRIVER (driver), "demo.prepare", NULL, task, on_demo_prepared);
}

/* The host */

static void
daemon_list_bridges (DomusHostDriver *driver,
                     GTask           *task)
{
  call (DOMUS_DAEMON_DRIVER (driver), "host.bridges", NULL, task, answer_bridges);
}

static void
daemon_get_archive (DomusHostDriver *driver,
                    const char      *domain_name,
                    const char      *range,
                    const char      *metric,
                    GTask           *task)
{
  JsonObject *params = json_object_new ();

  json_object_set_string_member (params, "range", range);
  if (domain_name != NULL)
    json_object_set_string_member (params, "name", domain_name);
  g_task_set_task_data (task, g_strdup (metric), g_free);
  call (DOMUS_DAEMON_DRIVER (driver), "stats.archive", params, task, answer_archive);
}

/* Images */

static void
daemon_list_images (DomusHostDriver *driver,
                    GTask           *task)
{
  call (DOMUS_DAEMON_DRIVER (driver), "image.list", NULL, task, answer_images);
}

static void
daemon_create_image (DomusHostDriver *driver,
                     const char      *name,
                     const char      *format,
                     guint64          size_bytes,
                     GTask           *task)
{
  JsonObject *params = _domus_daemon_name_params (name);

  json_object_set_string_member (params, "format", format);
  json_object_set_int_member (params, "size_bytes", (gint64) MIN (size_bytes, G_MAXINT64));
  call (DOMUS_DAEMON_DRIVER (driver), "image.create", params, task, answer_image);
}

static void
daemon_clone_image (DomusHostDriver *driver,
                    const char      *source,
                    const char      *name,
                    GTask           *task)
{
  JsonObject *params = json_object_new ();

  json_object_set_string_member (params, "source", source);
  json_object_set_string_member (params, "name", name);
  call (DOMUS_DAEMON_DRIVER (driver), "image.clone", params, task, answer_image);
}

static void
daemon_delete_image (DomusHostDriver *driver,
                     const char      *name,
                     GTask           *task)
{
  call (DOMUS_DAEMON_DRIVER (driver), "image.delete", _domus_daemon_name_params (name), task, _domus_daemon_answer_true);
}

/* Accessors */

DomusConnection *
domus_daemon_driver_get_connection (DomusDaemonDriver *self)
{
  g_return_val_if_fail (DOMUS_IS_DAEMON_DRIVER (self), NULL);
  return self->connection;
}

DomusConnection *
domus_daemon_driver_get_host_connection (DomusHost *host)
{
  DomusHostDriver *driver;

  g_return_val_if_fail (DOMUS_IS_HOST (host), NULL);
  driver = _domus_host_get_driver (host);
  if (!DOMUS_IS_DAEMON_DRIVER (driver) || domus_host_get_state (host) != DOMUS_HOST_STATE_CONNECTED)
    return NULL;
  return DOMUS_DAEMON_DRIVER (driver)->connection;
}

/* GObject */

static void
domus_daemon_driver_dispose (GObject *object)
{
  daemon_close (DOMUS_HOST_DRIVER (object), 0);
  G_OBJECT_CLASS (domus_daemon_driver_parent_class)->dispose (object);
}

static void
domus_daemon_driver_class_init (DomusDaemonDriverClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  DomusHostDriverClass *driver_class = DOMUS_HOST_DRIVER_CLASS (klass);

  object_class->dispose = domus_daemon_driver_dispose;

  driver_class->kind = "domusd";
  driver_class->connect = daemon_connect;
  driver_class->follow = daemon_follow;
  driver_class->close = daemon_close;
  driver_class->get_security_notice = daemon_get_security_notice;
  driver_class->is_local = daemon_is_local;
  driver_class->ping = daemon_ping;
  driver_class->list_domains = daemon_list_domains;
  driver_class->get_domain = daemon_get_domain;
  driver_class->domain_action = daemon_domain_action;
  driver_class->get_config = daemon_get_config;
  driver_class->set_config = daemon_set_config;
  driver_class->set_values = daemon_set_values;
  driver_class->set_autostart = daemon_set_autostart;
  driver_class->define = daemon_define;
  driver_class->undefine = daemon_undefine;
  driver_class->dump = daemon_dump;
  driver_class->sysrq = daemon_sysrq;
  driver_class->open_console = daemon_open_console;
  driver_class->create_demo = daemon_create_demo;
  driver_class->list_bridges = daemon_list_bridges;
  driver_class->get_archive = daemon_get_archive;
  driver_class->list_images = daemon_list_images;
  driver_class->create_image = daemon_create_image;
  driver_class->clone_image = daemon_clone_image;
  driver_class->delete_image = daemon_delete_image;
  _domus_daemon_guests_class_init (driver_class);
  driver_class->acknowledge_alerts = _domus_daemon_acknowledge_alerts;
  driver_class->get_alert_rules = _domus_daemon_get_alert_rules;
  driver_class->set_alert_rules = _domus_daemon_set_alert_rules;
  driver_class->migration_check = _domus_daemon_migration_check;
  driver_class->migration_run = _domus_daemon_migration_run;
  driver_class->migration_start_on = _domus_daemon_migration_start_on;
}

static void
domus_daemon_driver_init (DomusDaemonDriver *self)
{
  g_queue_init (&self->held_samples);
}
