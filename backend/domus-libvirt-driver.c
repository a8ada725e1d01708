/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The libvirt kind of host. Each typed call of DomusHost becomes calls of the libvirt
 * pieces (domus-libvirt-*.c), which run on the connection's own thread; each answer,
 * lifecycle or metadata event and 1 Hz sample becomes the model's typed news. Calls a
 * libvirt host cannot take are left NULL, so DomusHost answers them with
 * DOMUS_ERROR_NOT_SUPPORTED naming the kind; the ones that take different input than a
 * domusd host say so here.
 */

#include "config.h"

#include <string.h>
#include <unistd.h>
#include <glib/gi18n-lib.h>

#include "domus-fd-task.h"
#include "domus-host-private.h"
#include "domus-libvirt.h"
#include "domus-libvirt-builder.h"
#include "domus-libvirt-console.h"
#include "domus-libvirt-domains.h"
#include "domus-libvirt-driver.h"
#include "domus-libvirt-sampler.h"
#include "domus-libvirt-storage.h"

struct _DomusLibvirtDriver
{
  DomusHostDriver         parent_instance;

  DomusLibvirtConnection *connection;   /* from a successful connect until close */
  DomusLibvirtSampler    *sampler;      /* while followed */
  GCancellable           *cancellable;  /* the driver's own calls (refreshes) */
  gboolean                following;    /* events and samples feed the host's model */
  /* The host's best type of full virtual machine and its architecture, read as it
   * connects: what a preview of the create assistant's choices writes. */
  char                   *virt_type;
  char                   *arch;
};

G_DEFINE_FINAL_TYPE (DomusLibvirtDriver, domus_libvirt_driver, DOMUS_TYPE_HOST_DRIVER)

/* The pool a volume named without "POOL/" goes to, as virt-install and virt-manager use it. */
#define DEFAULT_POOL "default"

static DomusHost *
host_of (DomusLibvirtDriver *self)
{
  return domus_host_driver_get_host (DOMUS_HOST_DRIVER (self));
}

static DomusLibvirtDriver *
driver_of_task (GTask *task)
{
  return g_object_get_data (G_OBJECT (task), "domus-libvirt-driver");
}

/* Ties a host's task to this driver, for the callbacks of the libvirt pieces. */
static GTask *
hold_task (DomusLibvirtDriver *self,
           GTask              *task)
{
  g_object_set_data_full (G_OBJECT (task), "domus-libvirt-driver", g_object_ref (self), g_object_unref);
  return task;
}

DomusLibvirtConnection *
_domus_libvirt_driver_get_connection (DomusLibvirtDriver *self)
{
  g_return_val_if_fail (DOMUS_IS_LIBVIRT_DRIVER (self), NULL);
  return self->connection;
}

void
_domus_libvirt_driver_set_guest_type (DomusLibvirtDriver *self,
                                      const char         *virt_type,
                                      const char         *arch)
{
  g_return_if_fail (DOMUS_IS_LIBVIRT_DRIVER (self));
  g_free (self->virt_type);
  g_free (self->arch);
  self->virt_type = g_strdup (virt_type);
  self->arch = g_strdup (arch);
}

gboolean
_domus_libvirt_driver_get_guest_type (DomusLibvirtDriver  *self,
                                      const char         **virt_type,
                                      const char         **arch)
{
  g_return_val_if_fail (DOMUS_IS_LIBVIRT_DRIVER (self), FALSE);
  *virt_type = self->virt_type;
  *arch = self->arch;
  return self->virt_type != NULL && self->arch != NULL;
}

/* What libvirt says, as the model's types */

/* xm list's six columns for a state. */
static const char *
flags_for_state (DomusDomainState state)
{
  switch (state)
    {
    case DOMUS_DOMAIN_STATE_RUNNING:  return "r-----";
    case DOMUS_DOMAIN_STATE_BLOCKED:  return "-b----";
    case DOMUS_DOMAIN_STATE_PAUSED:
    case DOMUS_DOMAIN_STATE_STARTING:
    case DOMUS_DOMAIN_STATE_INCOMING: return "--p---";
    case DOMUS_DOMAIN_STATE_SHUTDOWN: return "---s--";
    case DOMUS_DOMAIN_STATE_CRASHED:  return "----c-";
    case DOMUS_DOMAIN_STATE_DYING:    return "-----d";
    default:                          return "------";
    }
}

static DomusDomainInfo *
info_from_libvirt (const DomusLibvirtDomainInfo *domain)
{
  DomusDomainInfo *info = domus_domain_info_new ();
  gboolean active = domain->id >= 0;

  info->fields = DOMUS_DOMAIN_INFO_ID | DOMUS_DOMAIN_INFO_STATE | DOMUS_DOMAIN_INFO_FLAGS
                 | DOMUS_DOMAIN_INFO_MEMORY | DOMUS_DOMAIN_INFO_VCPUS | DOMUS_DOMAIN_INFO_CPU_TIME
                 | DOMUS_DOMAIN_INFO_AUTOSTART | DOMUS_DOMAIN_INFO_TAGS | DOMUS_DOMAIN_INFO_CONFIG
                 | DOMUS_DOMAIN_INFO_ERROR | DOMUS_DOMAIN_INFO_CONSOLES | DOMUS_DOMAIN_INFO_TEMPLATE;
  info->name = g_strdup (domain->name);
  info->id = domain->id;
  info->state = domain->state;
  info->flags = g_strdup (flags_for_state (domain->state));
  info->memory_mib = domain->memory_mib;
  info->vcpus = domain->vcpus;
  info->cpu_time_ns = domain->cpu_time_ns;
  info->cpu_time = domain->cpu_time_ns / 1e9;
  info->autostart = domain->autostart;
  /* Libvirt has no templates of Domus's kind: its domains are never offered as one. */
  info->template = FALSE;
  g_strfreev (info->tags);
  info->tags = g_strdupv (domain->tags);
  /* A libvirt domain has no file of Domus's: its definition is libvirt's. */
  info->config = NULL;
  info->error = g_strdup (domain->error);
  info->has_graphics = active && domain->graphics == DOMUS_LIBVIRT_GRAPHICS_VNC;
  info->has_serial = active && domain->has_serial;
  return info;
}

static GPtrArray *
infos_from_libvirt (GPtrArray *domains,
                    gboolean   all)
{
  GPtrArray *infos = g_ptr_array_new_with_free_func ((GDestroyNotify) domus_domain_info_free);

  for (guint i = 0; i < domains->len; i++)
    {
      const DomusLibvirtDomainInfo *domain = g_ptr_array_index (domains, i);

      if (all || domain->id >= 0)
        g_ptr_array_add (infos, info_from_libvirt (domain));
    }
  return infos;
}

static DomusImage *
image_from_volume (const DomusLibvirtVolume *volume)
{
  g_autofree char *name = g_strdup_printf ("%s/%s", volume->pool, volume->name);

  return _domus_image_new (name, volume->path, volume->format,
                           (guint64) MAX (volume->capacity, 0), (guint64) MAX (volume->allocation, 0), NULL);
}

/* "POOL/VOLUME", or a bare volume name in the default pool; FALSE for anything else. */
static gboolean
split_image_name (const char  *name,
                  char       **pool,
                  char       **volume)
{
  const char *slash = strchr (name, '/');

  if (slash == NULL)
    {
      *pool = g_strdup (DEFAULT_POOL);
      *volume = g_strdup (name);
    }
  else
    {
      *pool = g_strndup (name, (gsize) (slash - name));
      *volume = g_strdup (slash + 1);
    }
  return **pool != '\0' && **volume != '\0' && strchr (*volume, '/') == NULL && **volume != '.';
}

static gboolean
refuse_image_name (GTask      *task,
                   const char *name,
                   char      **pool,
                   char      **volume)
{
  if (split_image_name (name, pool, volume))
    return FALSE;
  g_task_return_new_error (task, DOMUS_ERROR, DOMUS_ERROR_INVALID_PARAMS,
                           _("“%s” is not a volume of a libvirt host: write POOL/VOLUME, or VOLUME for the pool “%s”."),
                           name, DEFAULT_POOL);
  g_object_unref (task);
  return TRUE;
}

/* Calls answered with what a libvirt piece gave */

static void
on_done_boolean (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  GTask *task = user_data;
  GError *error = NULL;

  /* Every boolean call of the pieces returns through a GTask of the connection. */
  if (g_task_propagate_boolean (G_TASK (result), &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
  g_object_unref (task);
}

/* Connecting */

static char *
version_text (unsigned long version)
{
  return g_strdup_printf ("%lu.%lu.%lu", version / 1000000, (version / 1000) % 1000, version % 1000);
}

/* On the connection's thread: what the host says about itself. Calls a driver cannot
 * answer (the test driver has no hypervisor version) leave their facts unsaid. */
static void
facts_work (DomusLibvirtReply *reply,
            virConnectPtr      conn,
            gpointer           task_data,
            GCancellable      *cancellable)
{
  DomusHostFacts *facts = domus_host_facts_new ();
  unsigned long version = 0;
  virNodeInfo node;
  char *text;
  const char *type = virConnectGetType (conn);

  if ((text = virConnectGetHostname (conn)) != NULL)
    {
      facts->name = g_strdup (text);
      free (text);
    }
  facts->hypervisor = g_strdup (type);
  if (virConnectGetLibVersion (conn, &version) == 0)
    {
      g_autofree char *number = version_text (version);

      facts->version = g_strdup_printf ("libvirt %s", number);
    }
  if (virConnectGetVersion (conn, &version) == 0 && version > 0)
    facts->hypervisor_version = version_text (version);
  if (virNodeGetInfo (conn, &node) == 0)
    {
      facts->cpus = node.cpus;
      facts->memory_mib = (gint64) (node.memory / 1024);
    }
  /* A QEMU host runs its guests with KVM when its capabilities offer it. */
  if (g_strcmp0 (type, "QEMU") == 0 && (text = virConnectGetCapabilities (conn)) != NULL)
    {
      facts->accelerator = g_strdup (strstr (text, "<domain type='kvm'") != NULL ? "kvm" : "tcg");
      free (text);
    }
  virResetLastError ();
  facts->network = DOMUS_HOST_NETWORK_UNKNOWN;
  /* Encrypted migrations are QEMU's TLS, with certificates libvirt cannot be asked
   * about: offered, and a host without them fails as the migration starts. Save and
   * restore are libvirt's managed save (domus-libvirt-driver-saves.c). */
  facts->capabilities = DOMUS_HOST_CAN_MIGRATE | DOMUS_HOST_CAN_IMAGES | DOMUS_HOST_CAN_NETWORKS |
                        DOMUS_HOST_CAN_POOLS | DOMUS_HOST_CAN_ENCRYPT_MIGRATION | DOMUS_HOST_CAN_SAVE;
  domus_libvirt_reply_pointer (reply, facts, (GDestroyNotify) domus_host_facts_free);
}

static void on_domain_event (DomusLibvirtConnection *connection, const char *uuid, const char *name,
                             int kind, int event, int detail, gpointer user_data);
static void on_connection_closed (DomusLibvirtConnection *connection, const GError *error,
                                  gpointer user_data);

static void
on_opened (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  GTask *task = user_data;
  DomusLibvirtDriver *self = driver_of_task (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(DomusLibvirtConnection) connection = domus_libvirt_connection_open_finish (result, &error);

  if (connection != NULL && g_task_return_error_if_cancelled (task))
    {
      domus_libvirt_connection_close (connection);
      g_object_unref (task);
      return;
    }
  if (connection == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      g_object_unref (task);
      return;
    }
  self->connection = g_steal_pointer (&connection);
  self->cancellable = g_cancellable_new ();
  g_signal_connect (self->connection, "domain-event", G_CALLBACK (on_domain_event), self);
  g_signal_connect (self->connection, "closed", G_CALLBACK (on_connection_closed), self);
  /* Queued first, so it is known once the host is connected. */
  _domus_libvirt_driver_read_guest_type (self);
  domus_libvirt_connection_run (self->connection, task, facts_work);
  g_object_unref (task);
}

static void
libvirt_connect (DomusHostDriver *driver,
                 GTlsInteraction *interaction,
                 const char      *accept_host_key,
                 GTask           *task)
{
  DomusLibvirtDriver *self = DOMUS_LIBVIRT_DRIVER (driver);

  domus_libvirt_connection_open_async (domus_host_driver_get_uri (driver), interaction, accept_host_key,
                                       g_task_get_cancellable (task), on_opened, hold_task (self, task));
}

static void
libvirt_close (DomusHostDriver *driver,
               guint            wait_ms)
{
  DomusLibvirtDriver *self = DOMUS_LIBVIRT_DRIVER (driver);

  self->following = FALSE;
  if (self->sampler != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->sampler, self);
      domus_libvirt_sampler_stop (self->sampler);
      g_clear_object (&self->sampler);
    }
  if (self->cancellable != NULL)
    {
      g_cancellable_cancel (self->cancellable);
      g_clear_object (&self->cancellable);
    }
  if (self->connection != NULL)
    {
      g_autoptr(DomusLibvirtConnection) connection = g_steal_pointer (&self->connection);

      /* The connection's thread ends by itself once its queued calls are done. */
      g_signal_handlers_disconnect_by_data (connection, self);
      domus_libvirt_connection_close (connection);
    }
}

static void
on_connection_closed (DomusLibvirtConnection *connection,
                      const GError           *error,
                      gpointer                user_data)
{
  DomusLibvirtDriver *self = user_data;

  if (host_of (self) == NULL)
    return;
  if (error != NULL)
    _domus_host_driver_lost (host_of (self), g_error_copy (error));
  else
    _domus_host_driver_lost (host_of (self), g_error_new (DOMUS_ERROR, DOMUS_ERROR_DISCONNECTED,
                                                          _("The libvirt connection closed.")));
}

/* A URI without a host part is this machine's libvirt (qemu:///system, test:///…). */
static gboolean
libvirt_is_local (DomusHostDriver *driver)
{
  g_autoptr(GUri) uri = g_uri_parse (domus_host_driver_get_uri (driver), G_URI_FLAGS_NONE, NULL);

  return uri != NULL && (g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0');
}

static void
alive_work (DomusLibvirtReply *reply,
            virConnectPtr      conn,
            gpointer           task_data,
            GCancellable      *cancellable)
{
  if (virConnectIsAlive (conn) == 1)
    domus_libvirt_reply_boolean (reply, TRUE);
  else
    domus_libvirt_reply_error (reply, g_error_new (DOMUS_ERROR, DOMUS_ERROR_DISCONNECTED,
                                                   _("The libvirt connection is no longer alive.")));
}

static void
libvirt_ping (DomusHostDriver *driver,
              GTask           *task)
{
  domus_libvirt_connection_run (DOMUS_LIBVIRT_DRIVER (driver)->connection, task, alive_work);
  g_object_unref (task);
}

/* Following: the list, then lifecycle and metadata events and 1 Hz samples */

typedef struct {
  DomusLibvirtDriver *self;
  char               *name;
} Refresh;

static void
refresh_free (Refresh *refresh)
{
  g_object_unref (refresh->self);
  g_free (refresh->name);
  g_free (refresh);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Refresh, refresh_free)

static void
on_refreshed (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(Refresh) refresh = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(DomusLibvirtDomainInfo) domain = domus_libvirt_get_domain_finish (DOMUS_LIBVIRT_CONNECTION (source),
                                                                              result, &error);
  g_autoptr(DomusDomainInfo) info = NULL;
  DomusHost *host = host_of (refresh->self);

  if (!refresh->self->following || host == NULL)
    return;
  /* A transient domain that stopped is gone: libvirt has no definition left. */
  if (g_error_matches (error, DOMUS_ERROR, DOMUS_ERROR_NO_SUCH_DOMAIN))
    {
      _domus_host_remove_domain (host, refresh->name);
      return;
    }
  if (domain == NULL)
    {
      g_debug ("%s: refreshing %s: %s", domus_host_get_uri (host), refresh->name, error->message);
      return;
    }
  info = info_from_libvirt (domain);
  _domus_host_update_domain (host, info, TRUE);
}

static void
refresh_domain (DomusLibvirtDriver *self,
                const char         *name)
{
  Refresh *refresh = g_new0 (Refresh, 1);

  refresh->self = g_object_ref (self);
  refresh->name = g_strdup (name);
  domus_libvirt_get_domain_async (self->connection, name, self->cancellable, on_refreshed, refresh);
}

/*
 * A lifecycle or metadata event says which domain changed, not all of what it is now:
 * the domain is read again (on the connection's thread, after any call queued before),
 * so the model gets state, id, tags and consoles in one update. An undefined domain goes.
 */
static void
on_domain_event (DomusLibvirtConnection *connection,
                 const char             *uuid,
                 const char             *name,
                 int                     kind,
                 int                     event,
                 int                     detail,
                 gpointer                user_data)
{
  DomusLibvirtDriver *self = user_data;

  if (!self->following || host_of (self) == NULL || name == NULL)
    return;
  if (kind == DOMUS_LIBVIRT_EVENT_LIFECYCLE && event == VIR_DOMAIN_EVENT_UNDEFINED)
    _domus_host_remove_domain (host_of (self), name);
  else
    refresh_domain (self, name);
}

static void
on_sample (DomusLibvirtSampler      *sampler,
           const DomusLibvirtSample *sample,
           gpointer                  user_data)
{
  DomusLibvirtDriver *self = user_data;
  DomusHost *host = host_of (self);
  g_autoptr(GArray) domains = g_array_sized_new (FALSE, TRUE, sizeof (DomusDomainSample), sample->domains->len);
  DomusHostSample figures = { 0 };

  if (!self->following || host == NULL)
    return;
  figures.time_us = sample->time_us;
  figures.has_host = sample->host_cpu_percent >= 0;
  figures.cpu_percent = MAX (sample->host_cpu_percent, 0);
  figures.memory_mib = sample->host_memory_mib;
  figures.memory_used_mib = MAX (sample->host_memory_used_mib, 0);
  for (guint i = 0; i < sample->domains->len; i++)
    {
      const DomusLibvirtDomainSample *domain = g_ptr_array_index (sample->domains, i);
      DomusDomainSample entry = { 0 };

      entry.name = domain->name;
      entry.id = domain->id;
      /* The first sample of a domain has no rate yet. */
      entry.cpu_percent = MAX (domain->cpu_percent, 0);
      entry.cpu_time_ns = domain->cpu_time_ns;
      entry.rss_mib = MAX (domain->rss_mib, 0);
      entry.disk_rd_bytes = MAX (domain->disk_rd_bytes, 0);
      entry.disk_wr_bytes = MAX (domain->disk_wr_bytes, 0);
      entry.net_rx_bytes = domain->net_rx_bytes;
      entry.net_tx_bytes = domain->net_tx_bytes;
      g_array_append_val (domains, entry);
    }
  figures.domains = (const DomusDomainSample *) domains->data;
  figures.n_domains = domains->len;
  _domus_host_begin_samples (host);
  _domus_host_apply_sample (host, &figures);
  _domus_host_end_samples (host);
}

static void
on_followed_list (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  GTask *task = user_data;
  DomusLibvirtDriver *self = driver_of_task (task);
  GError *error = NULL;
  g_autoptr(GPtrArray) domains = domus_libvirt_list_domains_finish (DOMUS_LIBVIRT_CONNECTION (source), result, &error);
  g_autoptr(GPtrArray) infos = NULL;

  if (domains == NULL || host_of (self) == NULL || self->connection == NULL)
    {
      if (error == NULL)
        error = g_error_new (DOMUS_ERROR, DOMUS_ERROR_CLOSED, _("The libvirt connection closed."));
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  infos = infos_from_libvirt (domains, TRUE);
  _domus_host_sync_domains (host_of (self), infos);
  /* libvirt keeps no history: the graphs fill from now on, a point a second. */
  _domus_host_set_stats_interval (host_of (self), DOMUS_LIBVIRT_SAMPLER_DEFAULT_INTERVAL_MS);
  self->sampler = domus_libvirt_sampler_new (self->connection, DOMUS_LIBVIRT_SAMPLER_DEFAULT_INTERVAL_MS);
  g_signal_connect (self->sampler, "sample", G_CALLBACK (on_sample), self);
  domus_libvirt_sampler_start (self->sampler);
  g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

static void
libvirt_follow (DomusHostDriver *driver,
                GTask           *task)
{
  DomusLibvirtDriver *self = DOMUS_LIBVIRT_DRIVER (driver);

  /* From now on, so no event is missed while the list is read; an event's refresh is
   * queued after the list on the connection's thread, so it is applied after it. */
  self->following = TRUE;
  domus_libvirt_list_domains_async (self->connection, g_task_get_cancellable (task), on_followed_list,
                                    hold_task (self, task));
}

/* Domains */

static void
on_listed (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  GTask *task = user_data;
  GError *error = NULL;
  g_autoptr(GPtrArray) domains = domus_libvirt_list_domains_finish (DOMUS_LIBVIRT_CONNECTION (source), result, &error);
  gboolean all = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (task), "all"));

  if (domains == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, infos_from_libvirt (domains, all), (GDestroyNotify) g_ptr_array_unref);
  g_object_unref (task);
}

static void
libvirt_list_domains (DomusHostDriver *driver,
                      gboolean         all,
                      GTask           *task)
{
  g_object_set_data (G_OBJECT (task), "all", GINT_TO_POINTER (all));
  domus_libvirt_list_domains_async (DOMUS_LIBVIRT_DRIVER (driver)->connection, g_task_get_cancellable (task),
                                    on_listed, task);
}

/* For the pieces' calls that answer a DomusLibvirtDomainInfo (a lookup, a create):
 * the host's task gets it as the model's DomusDomainInfo. */
static void
on_domain_answered (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  GTask *task = user_data;
  GError *error = NULL;
  g_autoptr(DomusLibvirtDomainInfo) domain = g_task_propagate_pointer (G_TASK (result), &error);

  if (domain == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, info_from_libvirt (domain), (GDestroyNotify) domus_domain_info_free);
  g_object_unref (task);
}

static void
libvirt_get_domain (DomusHostDriver *driver,
                    const char      *name,
                    GTask           *task)
{
  domus_libvirt_get_domain_async (DOMUS_LIBVIRT_DRIVER (driver)->connection, name, g_task_get_cancellable (task),
                                  on_domain_answered, task);
}

/* Lifecycle: START answers with the new id; SHUTDOWN with WAIT once libvirt says it stopped. */

typedef struct {
  DomusLibvirtDriver *self;
  GTask              *task;
  char               *name;
  DomusDomainAction   action;
  gboolean            wait;
  gulong              event_handler;
  gulong              cancel_handler;
  gboolean            acted;          /* the action itself succeeded */
} Action;

static void
action_free (Action *action)
{
  if (action->event_handler != 0 && action->self->connection != NULL)
    g_signal_handler_disconnect (action->self->connection, action->event_handler);
  if (action->cancel_handler != 0)
    g_signal_handler_disconnect (g_task_get_cancellable (action->task), action->cancel_handler);
  g_object_unref (action->self);
  g_free (action->name);
  g_free (action);
}

/* Answers the action's task (takes error when not NULL) and frees the action. */
static void
action_answer (Action *action,
               gint64  id,
               GError *error)
{
  g_autoptr(GTask) task = action->task;

  action_free (action);
  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_int (task, (gssize) id);
}

static void
on_started_domain (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  Action *action = user_data;
  g_autoptr(DomusLibvirtDomainInfo) domain = domus_libvirt_get_domain_finish (DOMUS_LIBVIRT_CONNECTION (source),
                                                                              result, NULL);

  action_answer (action, domain != NULL ? domain->id : -1, NULL);
}

static void
on_wait_event (DomusLibvirtConnection *connection,
               const char             *uuid,
               const char             *name,
               int                     kind,
               int                     event,
               int                     detail,
               gpointer                user_data)
{
  Action *action = user_data;

  if (action->acted && kind == DOMUS_LIBVIRT_EVENT_LIFECYCLE && event == VIR_DOMAIN_EVENT_STOPPED &&
      g_strcmp0 (name, action->name) == 0)
    action_answer (action, -1, NULL);
}

static void
on_wait_cancelled (GCancellable *cancellable,
                   gpointer      user_data)
{
  Action *action = user_data;

  if (action->acted)
    action_answer (action, -1, g_error_new (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                            _("Stopped waiting for %s to shut down."), action->name));
}

static void
on_acted (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  Action *action = user_data;
  GError *error = NULL;

  if (!domus_libvirt_domain_action_finish (DOMUS_LIBVIRT_CONNECTION (source), result, &error))
    {
      action_answer (action, -1, error);
      return;
    }
  action->acted = TRUE;
  if (action->action == DOMUS_DOMAIN_ACTION_START)
    domus_libvirt_get_domain_async (DOMUS_LIBVIRT_CONNECTION (source), action->name, NULL, on_started_domain, action);
  else if (!action->wait)
    action_answer (action, -1, NULL);
  else if (g_cancellable_is_cancelled (g_task_get_cancellable (action->task)))
    on_wait_cancelled (NULL, action);
  /* else the STOPPED event (or the caller giving up) answers. */
}

static void
libvirt_domain_action (DomusHostDriver        *driver,
                       const char             *name,
                       DomusDomainAction       domain_action,
                       DomusDomainActionFlags  flags,
                       GTask                  *task)
{
  static const DomusLibvirtAction actions[] = {
    [DOMUS_DOMAIN_ACTION_START] = DOMUS_LIBVIRT_ACTION_START,
    [DOMUS_DOMAIN_ACTION_SHUTDOWN] = DOMUS_LIBVIRT_ACTION_SHUTDOWN,
    [DOMUS_DOMAIN_ACTION_REBOOT] = DOMUS_LIBVIRT_ACTION_REBOOT,
    [DOMUS_DOMAIN_ACTION_PAUSE] = DOMUS_LIBVIRT_ACTION_PAUSE,
    [DOMUS_DOMAIN_ACTION_RESUME] = DOMUS_LIBVIRT_ACTION_RESUME,
    [DOMUS_DOMAIN_ACTION_DESTROY] = DOMUS_LIBVIRT_ACTION_DESTROY,
  };
  DomusLibvirtDriver *self = DOMUS_LIBVIRT_DRIVER (driver);
  Action *action = g_new0 (Action, 1);
  GCancellable *cancellable = g_task_get_cancellable (task);

  g_return_if_fail ((guint) domain_action < G_N_ELEMENTS (actions));
  action->self = g_object_ref (self);
  action->task = task;
  action->name = g_strdup (name);
  action->action = domain_action;
  action->wait = domain_action == DOMUS_DOMAIN_ACTION_SHUTDOWN && (flags & DOMUS_DOMAIN_ACTION_FLAGS_WAIT);
  /* Listening before the button is pressed, so a quick guest's STOPPED is not missed. */
  if (action->wait)
    {
      action->event_handler = g_signal_connect (self->connection, "domain-event", G_CALLBACK (on_wait_event), action);
      if (cancellable != NULL)
        action->cancel_handler = g_signal_connect (cancellable, "cancelled", G_CALLBACK (on_wait_cancelled), action);
    }
  /* The action itself is not cancelled half-way: libvirt may have done it already. */
  domus_libvirt_domain_action_async (self->connection, name, actions[domain_action], NULL, on_acted, action);
}

/* Configuration: the domain XML, the form's values, autostart */

static void
on_got_xml (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  GTask *task = user_data;
  GError *error = NULL;
  char *xml = domus_libvirt_get_xml_finish (DOMUS_LIBVIRT_CONNECTION (source), result, &error);

  if (xml == NULL)
    {
      g_task_return_error (task, error);
    }
  else if (g_object_get_data (G_OBJECT (task), "as-file") != NULL)
    {
      DomusDriverFile *file = g_new0 (DomusDriverFile, 1);

      file->text = xml;
      g_task_return_pointer (task, file, (GDestroyNotify) domus_driver_file_free);
    }
  else
    {
      g_task_return_pointer (task, xml, g_free);
    }
  g_object_unref (task);
}

/* The definition the domain boots with next (the running one for a transient domain). */
static void
get_next_xml (DomusLibvirtDriver *self,
              const char         *name,
              GTask              *task)
{
  domus_libvirt_get_xml_async (self->connection, name, TRUE, g_task_get_cancellable (task), on_got_xml, task);
}

static void
libvirt_get_config (DomusHostDriver *driver,
                    const char      *name,
                    GTask           *task)
{
  g_object_set_data (G_OBJECT (task), "as-file", GINT_TO_POINTER (TRUE));
  get_next_xml (DOMUS_LIBVIRT_DRIVER (driver), name, task);
}

static void
on_defined (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data);

/* TRUE when text looks like XML; else the task is answered with what a libvirt host takes. */
static gboolean
is_domain_xml (GTask      *task,
               const char *text,
               const char *filename)
{
  const char *start = text;

  while (g_ascii_isspace (*start))
    start++;
  if (*start == '<')
    return TRUE;
  g_task_return_new_error (task, DOMUS_ERROR, DOMUS_ERROR_INVALID_CONFIG,
                           _("%s: a libvirt host takes a domain’s libvirt XML, not an xm configuration "
                             "(the create assistant builds the XML itself)."),
                           filename != NULL ? filename : _("the configuration"));
  g_object_unref (task);
  return FALSE;
}

static void
libvirt_set_config (DomusHostDriver *driver,
                    const char      *name,
                    const char      *config,
                    GTask           *task)
{
  g_autoptr(DomusLibvirtDomainInfo) parsed = domus_libvirt_domain_info_new ();
  GError *error = NULL;

  if (!is_domain_xml (task, config, name))
    return;
  if (!domus_libvirt_domain_info_read_xml (parsed, config, &error))
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  if (g_strcmp0 (parsed->name, name) != 0)
    {
      g_task_return_new_error (task, DOMUS_ERROR, DOMUS_ERROR_INVALID_CONFIG,
                               _("The XML names the domain “%s”; its name must stay “%s”."),
                               parsed->name != NULL ? parsed->name : "", name);
      g_object_unref (task);
      return;
    }
  g_object_set_data (G_OBJECT (task), "answer-boolean", GINT_TO_POINTER (TRUE));
  domus_libvirt_define_xml_async (DOMUS_LIBVIRT_DRIVER (driver)->connection, config,
                                  g_task_get_cancellable (task), on_defined, task);
}

/* The form's values, one piece after another, then the new XML. */
typedef struct {
  char   *name;
  gint64  memory_mib;   /* -1: unchanged */
  gint64  vcpus;
  GStrv   tags;         /* NULL: unchanged */
} Values;

static void
values_free (Values *values)
{
  g_free (values->name);
  g_strfreev (values->tags);
  g_free (values);
}

static void values_next (GTask *task);

static void
on_value_set (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  GTask *task = user_data;
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  values_next (task);
}

static void
values_next (GTask *task)
{
  DomusLibvirtDriver *self = driver_of_task (task);
  Values *values = g_task_get_task_data (task);

  if (values->memory_mib >= 0 || values->vcpus >= 0)
    {
      gint64 memory_mib = values->memory_mib, vcpus = values->vcpus;

      values->memory_mib = values->vcpus = -1;
      domus_libvirt_set_resources_async (self->connection, values->name, memory_mib, vcpus,
                                         g_task_get_cancellable (task), on_value_set, task);
    }
  else if (values->tags != NULL)
    {
      g_auto(GStrv) tags = g_steal_pointer (&values->tags);

      domus_libvirt_set_tags_async (self->connection, values->name, (const char * const *) tags,
                                    g_task_get_cancellable (task), on_value_set, task);
    }
  else
    {
      get_next_xml (self, values->name, task);
    }
}

/* A string list from an "av" of strings; NULL when it holds anything else. */
static GStrv
strings_of (GVariant *list)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  GVariantIter iter;
  GVariant *item;

  g_variant_iter_init (&iter, list);
  while ((item = g_variant_iter_next_value (&iter)) != NULL)
    {
      g_autoptr(GVariant) boxed = item;
      g_autoptr(GVariant) value = g_variant_get_variant (boxed);

      if (!g_variant_is_of_type (value, G_VARIANT_TYPE_STRING))
        return NULL;
      g_strv_builder_add (builder, g_variant_get_string (value, NULL));
    }
  return g_strv_builder_end (builder);
}

/* FALSE with the error naming the key when values has one a libvirt host cannot take. */
static gboolean
read_values (GVariant  *dict,
             Values    *values,
             GError   **error)
{
  GVariantIter iter;
  const char *key;
  GVariant *value;

  g_variant_iter_init (&iter, dict);
  while (g_variant_iter_next (&iter, "{&sv}", &key, &value))
    {
      g_autoptr(GVariant) owned = value;

      if (g_str_equal (key, "memory") && g_variant_is_of_type (value, G_VARIANT_TYPE_INT64))
        values->memory_mib = g_variant_get_int64 (value);
      else if (g_str_equal (key, "vcpus") && g_variant_is_of_type (value, G_VARIANT_TYPE_INT64))
        values->vcpus = g_variant_get_int64 (value);
      else if (g_str_equal (key, "tags") && g_variant_is_of_type (value, G_VARIANT_TYPE ("av")) &&
               (g_strfreev (values->tags), values->tags = strings_of (value)) != NULL)
        continue;
      /* An empty maybe removes the key: no tags left. */
      else if (g_str_equal (key, "tags") && g_variant_is_of_type (value, G_VARIANT_TYPE_MAYBE) &&
               g_variant_n_children (value) == 0)
        {
          g_strfreev (values->tags);
          values->tags = g_new0 (char *, 1);
          continue;
        }
      else
        {
          g_set_error (error, DOMUS_ERROR, DOMUS_ERROR_INVALID_PARAMS,
                       _("A libvirt host takes “memory” and “vcpus” (integers) and “tags” (a list of "
                         "strings) here, not “%s” of type %s: change the rest in the domain’s XML."),
                       key, g_variant_get_type_string (value));
          return FALSE;
        }
      if ((g_str_equal (key, "memory") || g_str_equal (key, "vcpus")) && g_variant_get_int64 (value) < 1)
        {
          g_set_error (error, DOMUS_ERROR, DOMUS_ERROR_INVALID_PARAMS,
                       _("“%s” must be at least 1, not %lld."), key, (long long) g_variant_get_int64 (value));
          return FALSE;
        }
    }
  return TRUE;
}

static void
libvirt_set_values (DomusHostDriver *driver,
                    const char      *name,
                    GVariant        *dict,
                    GTask           *task)
{
  Values *values = g_new0 (Values, 1);
  GError *error = NULL;

  values->name = g_strdup (name);
  values->memory_mib = values->vcpus = -1;
  g_task_set_task_data (task, values, (GDestroyNotify) values_free);
  hold_task (DOMUS_LIBVIRT_DRIVER (driver), task);
  if (!read_values (dict, values, &error))
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  values_next (task);
}

static void
libvirt_set_autostart (DomusHostDriver *driver,
                       const char      *name,
                       gboolean         autostart,
                       GTask           *task)
{
  domus_libvirt_set_autostart_async (DOMUS_LIBVIRT_DRIVER (driver)->connection, name, autostart,
                                     g_task_get_cancellable (task), on_done_boolean, task);
}

/* Defining: libvirt XML, started when asked */

static void
on_define_started (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  GTask *task = user_data;
  DomusDomainInfo *info = g_object_steal_data (G_OBJECT (task), "info");
  GError *error = NULL;

  if (!domus_libvirt_domain_action_finish (DOMUS_LIBVIRT_CONNECTION (source), result, &error))
    {
      /* Defined but not started: say both, as a domusd create does. */
      g_prefix_error (&error, _("%s is defined but did not start: "), info->name);
      domus_domain_info_free (info);
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  info->state = DOMUS_DOMAIN_STATE_RUNNING;
  g_task_return_pointer (task, info, (GDestroyNotify) domus_domain_info_free);
  g_object_unref (task);
}

static void
on_defined (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  GTask *task = user_data;
  GError *error = NULL;
  g_autoptr(DomusLibvirtDomainInfo) domain = domus_libvirt_define_xml_finish (DOMUS_LIBVIRT_CONNECTION (source),
                                                                              result, &error);
  DomusDomainInfo *info;

  if (domain == NULL)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  if (g_object_get_data (G_OBJECT (task), "answer-boolean") != NULL)
    {
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
      return;
    }
  info = info_from_libvirt (domain);
  if (g_object_get_data (G_OBJECT (task), "start") == NULL)
    {
      g_task_return_pointer (task, info, (GDestroyNotify) domus_domain_info_free);
      g_object_unref (task);
      return;
    }
  g_object_set_data_full (G_OBJECT (task), "info", info, (GDestroyNotify) domus_domain_info_free);
  domus_libvirt_domain_action_async (DOMUS_LIBVIRT_CONNECTION (source), domain->name, DOMUS_LIBVIRT_ACTION_START,
                                     NULL, on_define_started, task);
}

static void
libvirt_define (DomusHostDriver *driver,
                const char      *config,
                const char      *filename,
                gboolean         start,
                GTask           *task)
{
  if (!is_domain_xml (task, config, filename))
    return;
  if (start)
    g_object_set_data (G_OBJECT (task), "start", GINT_TO_POINTER (TRUE));
  domus_libvirt_define_xml_async (DOMUS_LIBVIRT_DRIVER (driver)->connection, config,
                                  g_task_get_cancellable (task), on_defined, task);
}

/* The assistant's choices as domain XML (libvirt-gconfig): the host's own virtualisation
 * type and architecture, the disk as chosen (the assistant made its volume already), the
 * NIC on QEMU's user-mode network or the chosen bridge. */
static void
libvirt_create_from_choices (DomusHostDriver       *driver,
                             const DomusCfgChoices *choices,
                             gboolean               start,
                             GTask                 *task)
{
  DomusLibvirtCreateOptions options = { .start = start };

  domus_libvirt_create_domain_async (DOMUS_LIBVIRT_DRIVER (driver)->connection, choices, &options,
                                     g_task_get_cancellable (task), on_domain_answered, task);
}

static void
libvirt_undefine (DomusHostDriver *driver,
                  const char      *name,
                  GTask           *task)
{
  domus_libvirt_domain_action_async (DOMUS_LIBVIRT_DRIVER (driver)->connection, name, DOMUS_LIBVIRT_ACTION_UNDEFINE,
                                     g_task_get_cancellable (task), on_done_boolean, task);
}

/* Consoles: the screen's descriptor from libvirt, the serial stream's socket */

static void
on_graphics_opened (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  GTask *task = user_data;
  GError *error = NULL;
  int fd = domus_libvirt_open_graphics_finish (DOMUS_LIBVIRT_CONNECTION (source), result, &error);

  if (fd < 0)
    g_task_return_error (task, error);
  else
    domus_task_return_fd (task, fd);
  g_object_unref (task);
}

static void
on_serial_opened (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  GTask *task = user_data;
  GError *error = NULL;
  g_autoptr(GIOStream) stream = domus_libvirt_open_serial_finish (DOMUS_LIBVIRT_CONNECTION (source), result, &error);
  int fd;

  if (stream == NULL)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  /* The caller gets a descriptor of its own; the stream's socket closes with it here,
   * and the pump's end stays open for as long as the caller's does. */
  fd = dup (g_socket_get_fd (g_socket_connection_get_socket (G_SOCKET_CONNECTION (stream))));
  if (fd < 0)
    g_task_return_new_error (task, DOMUS_ERROR, DOMUS_ERROR_FAILED, _("Cannot hand out the serial console: %s"),
                             g_strerror (errno));
  else
    domus_task_return_fd (task, fd);
  g_object_unref (task);
}

static void
libvirt_open_console (DomusHostDriver  *driver,
                      const char       *name,
                      DomusConsoleKind  kind,
                      GTask            *task)
{
  DomusLibvirtConnection *connection = DOMUS_LIBVIRT_DRIVER (driver)->connection;

  if (kind == DOMUS_CONSOLE_GRAPHICS)
    domus_libvirt_open_graphics_async (connection, name, g_task_get_cancellable (task), on_graphics_opened, task);
  else
    domus_libvirt_open_serial_async (connection, name, g_task_get_cancellable (task), on_serial_opened, task);
}

/* Images: the storage pools' volumes, named POOL/VOLUME */

static void
on_pools_listed (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  GTask *task = user_data;
  GError *error = NULL;
  g_autoptr(GPtrArray) pools = domus_libvirt_list_pools_finish (DOMUS_LIBVIRT_CONNECTION (source), result, &error);
  DomusImageListing *listing;

  if (pools == NULL)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  listing = g_new0 (DomusImageListing, 1);
  listing->images = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < pools->len; i++)
    {
      const DomusLibvirtPool *pool = g_ptr_array_index (pools, i);

      /* New volumes go to the default pool: its folder is where "new images go". */
      if (g_strcmp0 (pool->name, DEFAULT_POOL) == 0 && pool->target != NULL)
        listing->dir = g_strdup (pool->target);
      for (guint j = 0; j < pool->volumes->len; j++)
        g_ptr_array_add (listing->images, image_from_volume (g_ptr_array_index (pool->volumes, j)));
    }
  g_task_return_pointer (task, listing, (GDestroyNotify) domus_image_listing_free);
  g_object_unref (task);
}

static void
libvirt_list_images (DomusHostDriver *driver,
                     GTask           *task)
{
  domus_libvirt_list_pools_async (DOMUS_LIBVIRT_DRIVER (driver)->connection, g_task_get_cancellable (task),
                                  on_pools_listed, task);
}

static void
on_volume_created (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  GTask *task = user_data;
  GError *error = NULL;
  g_autoptr(DomusLibvirtVolume) volume = domus_libvirt_create_volume_finish (DOMUS_LIBVIRT_CONNECTION (source),
                                                                             result, &error);

  if (volume == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, image_from_volume (volume), g_object_unref);
  g_object_unref (task);
}

static void
libvirt_create_image (DomusHostDriver *driver,
                      const char      *name,
                      const char      *format,
                      guint64          size_bytes,
                      GTask           *task)
{
  g_autofree char *pool = NULL;
  g_autofree char *volume = NULL;

  if (refuse_image_name (task, name, &pool, &volume))
    return;
  domus_libvirt_create_volume_async (DOMUS_LIBVIRT_DRIVER (driver)->connection, pool, volume, (gint64) size_bytes,
                                     format, g_task_get_cancellable (task), on_volume_created, task);
}

static void
libvirt_delete_image (DomusHostDriver *driver,
                      const char      *name,
                      GTask           *task)
{
  g_autofree char *pool = NULL;
  g_autofree char *volume = NULL;

  if (refuse_image_name (task, name, &pool, &volume))
    return;
  domus_libvirt_delete_volume_async (DOMUS_LIBVIRT_DRIVER (driver)->connection, pool, volume,
                                     g_task_get_cancellable (task), on_done_boolean, task);
}

/* The graphs' long ranges: there is nothing to read them from. */
static void
libvirt_get_archive (DomusHostDriver *driver,
                     const char      *domain_name,
                     const char      *range,
                     const char      *metric,
                     GTask           *task)
{
  DomusHost *host = domus_host_driver_get_host (driver);

  g_task_return_new_error (task, DOMUS_ERROR, DOMUS_ERROR_NOT_SUPPORTED,
                           _("%s is a libvirt host, and libvirt keeps no history: only the last 10 minutes "
                             "since Domus connected can be shown."),
                           host != NULL ? domus_host_get_name (host) : domus_host_driver_get_uri (driver));
  g_object_unref (task);
}

/* GObject */

static void
domus_libvirt_driver_dispose (GObject *object)
{
  DomusLibvirtDriver *self = DOMUS_LIBVIRT_DRIVER (object);

  libvirt_close (DOMUS_HOST_DRIVER (object), 0);
  g_clear_pointer (&self->virt_type, g_free);
  g_clear_pointer (&self->arch, g_free);
  G_OBJECT_CLASS (domus_libvirt_driver_parent_class)->dispose (object);
}

/*
 * Left NULL, so DomusHost says "HOST (a libvirt host) cannot do that.": dump (libvirt's
 * core dumps are written by the host's daemon where its own settings say), sysrq, the
 * demo guest (it is built for domusd's image store), bridges, cloning an image, and
 * starting a shut-off domain on
 * another host (libvirt moves running domains only).
 */
static void
domus_libvirt_driver_class_init (DomusLibvirtDriverClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  DomusHostDriverClass *driver_class = DOMUS_HOST_DRIVER_CLASS (klass);

  object_class->dispose = domus_libvirt_driver_dispose;

  driver_class->kind = "libvirt";
  driver_class->connect = libvirt_connect;
  driver_class->follow = libvirt_follow;
  driver_class->close = libvirt_close;
  driver_class->is_local = libvirt_is_local;
  driver_class->ping = libvirt_ping;
  driver_class->list_domains = libvirt_list_domains;
  driver_class->get_domain = libvirt_get_domain;
  driver_class->domain_action = libvirt_domain_action;
  driver_class->get_config = libvirt_get_config;
  driver_class->set_config = libvirt_set_config;
  driver_class->set_values = libvirt_set_values;
  driver_class->set_autostart = libvirt_set_autostart;
  driver_class->define = libvirt_define;
  driver_class->create_from_choices = libvirt_create_from_choices;
  driver_class->write_choices = _domus_libvirt_write_choices;
  driver_class->list_networks = _domus_libvirt_list_networks;
  driver_class->list_pools = _domus_libvirt_list_pools;
  driver_class->undefine = libvirt_undefine;
  driver_class->open_console = libvirt_open_console;
  driver_class->get_archive = libvirt_get_archive;
  driver_class->list_images = libvirt_list_images;
  driver_class->create_image = libvirt_create_image;
  driver_class->delete_image = libvirt_delete_image;
  driver_class->save_domain = _domus_libvirt_save_domain;
  driver_class->restore_domain = _domus_libvirt_restore_domain;
  driver_class->list_saves = _domus_libvirt_list_saves;
  driver_class->migration_check = _domus_libvirt_migration_check;
  driver_class->migration_run = _domus_libvirt_migration_run;
}

static void
domus_libvirt_driver_init (DomusLibvirtDriver *self)
{
}
