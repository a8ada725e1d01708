/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Live migration, one side of it. The target starts QEMU with -incoming defer, accepts exactly
 * one TCP connection on the relocation address, checks the peer against hosts-allow and hands
 * the connected socket to QEMU (getfd + migrate-incoming fd:). The source sets capabilities and
 * parameters, mirrors disks to the target's NBD server when storage is copied, and migrates.
 * Whatever fails, the source keeps the domain and the target is left as it was.
 */

#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/stat.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <gio/gunixsocketaddress.h>

#include "domus-json-util.h"
#include "hv-bridges.h"
#include "hv-config.h"
#include "hv-domain-spec.h"
#include "hv-migration.h"
#include "hv-socket-relay.h"

/* "Fit the link": no bandwidth cap to speak of (1 TiB/s); the link and the CPU set the pace. */
#define UNCAPPED_BANDWIDTH_BYTES ((gint64) 1 << 40)
/* The target's completion, polled once perform answered: it follows the source within moments. */
#define FINISH_POLL_MS    10
#define FINISH_POLL_LIMIT 3000
/* Postcopy starts after this many passes over RAM that did not converge. */
#define POSTCOPY_AFTER_PASSES 2

#define QEMU_FD_MIGRATE "domus-migrate"

/* Checks */

void
hv_migration_check_free (HvMigrationCheck *check)
{
  g_free (check->id);
  g_free (check->message);
  g_free (check);
}

static void add_check (GPtrArray *checks, const char *id, gboolean ok,
                       const char *format, ...) G_GNUC_PRINTF (4, 5);

static void
add_check (GPtrArray  *checks,
           const char *id,
           gboolean    ok,
           const char *format,
           ...)
{
  HvMigrationCheck *check = g_new0 (HvMigrationCheck, 1);
  va_list args;

  check->id = g_strdup (id);
  check->ok = ok;
  va_start (args, format);
  check->message = g_strdup_vprintf (format, args);
  va_end (args);
  g_ptr_array_add (checks, check);
}

static gint64
available_memory_mib (void)
{
  g_autofree char *text = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/meminfo", &text, NULL, NULL))
    return -1;
  line = strstr (text, "MemAvailable:");
  if (line == NULL)
    return -1;
  return (gint64) (g_ascii_strtoull (line + strlen ("MemAvailable:"), NULL, 10) / 1024);
}

/* A disk's virtual size here: qcow2's header says it; any other file is its own size. */
static gint64
local_virtual_size (const char *path,
                    gint64     *file_size)
{
  struct stat info;
  guint8 header[32];
  FILE *file;
  gint64 size;

  *file_size = -1;
  if (g_stat (path, &info) != 0)
    return -1;
  *file_size = info.st_size;
  size = info.st_size;
  file = g_fopen (path, "rb");
  if (file == NULL)
    return size;
  if (fread (header, 1, sizeof header, file) == sizeof header &&
      memcmp (header, "QFI\xfb", 4) == 0)
    {
      size = 0;
      for (guint i = 24; i < 32; i++)
        size = (size << 8) | header[i];
    }
  fclose (file);
  return size;
}

gint64
hv_migration_disk_size (const char *path)
{
  gint64 file_size;

  return local_virtual_size (path, &file_size);
}

/* The size_bytes the client gave for `path`; -1 when not given. */
static gint64
requested_size (JsonArray  *disks,
                const char *path)
{
  for (guint i = 0; disks != NULL && i < json_array_get_length (disks); i++)
    {
      JsonNode *node = json_array_get_element (disks, i);
      JsonObject *disk = domus_json_node_get_object (node);

      if (disk != NULL && g_strcmp0 (json_object_get_string_member_with_default (disk, "path", NULL), path) == 0)
        return json_object_get_int_member_with_default (disk, "size_bytes", -1);
    }
  return -1;
}

static gboolean
disk_is_copyable (const HvDiskSpec *disk)
{
  return !disk->cdrom && *disk->path != '\0' && g_strcmp0 (disk->backend, "phy") != 0 &&
         (g_strcmp0 (disk->format, "raw") == 0 || g_strcmp0 (disk->format, "qcow2") == 0);
}

/* Whether the disk is there at the same path and the same size: then both hosts share it. */
static gboolean
disk_is_shared (const HvDiskSpec *disk,
                JsonArray        *disks)
{
  gint64 wanted = requested_size (disks, disk->path);
  gint64 file_size;
  gint64 size = local_virtual_size (disk->path, &file_size);

  if (size < 0)
    return FALSE;
  return wanted < 0 || wanted == size || wanted == file_size;
}

static gboolean
is_host_device (const HvDiskSpec *disk)
{
  return *disk->path != '\0' &&
         (g_strcmp0 (disk->backend, "phy") == 0 || g_str_has_prefix (disk->path, "/dev/"));
}

static void
check_disks (GPtrArray                *checks,
             const HvDomainSpec       *spec,
             const HvMigrationRequest *request)
{
  g_autoptr(GString) message = g_string_new (NULL);
  gboolean ok = TRUE;

  for (guint i = 0; i < spec->disks->len; i++)
    {
      const HvDiskSpec *disk = g_ptr_array_index (spec->disks, i);
      const char *what;

      if (*disk->path == '\0' || is_host_device (disk))
        continue;  /* an empty drive moves as it is; host devices are the devices check's */
      if (request->copy_storage && disk_is_copyable (disk))
        what = _("will be copied to the image store");
      else if (disk_is_shared (disk, request->disks))
        what = _("shared (the same file at the same path)");
      else if (disk_is_copyable (disk))
        {
          what = _("not here at the same path and size: use --copy-storage");
          ok = FALSE;
        }
      else
        {
          what = disk->cdrom ? _("a CD-ROM image missing here: put the same file at the same path, or eject it")
                             : _("not here, and only raw and qcow2 images can be copied");
          ok = FALSE;
        }
      if (message->len > 0)
        g_string_append (message, "; ");
      g_string_append_printf (message, "%s: %s", disk->path, what);
    }
  if (message->len == 0)
    g_string_append (message, _("no disk images"));
  add_check (checks, "disks", ok, "%s", message->str);
}

static void
check_devices (GPtrArray                *checks,
               const HvMigrationContext *context,
               const HvDomainSpec       *spec)
{
  for (guint i = 0; i < spec->disks->len; i++)
    {
      const HvDiskSpec *disk = g_ptr_array_index (spec->disks, i);

      if (is_host_device (disk))
        {
          add_check (checks, "devices", FALSE,
                     _("%s is a host device (%s): it cannot move; remove it or eject the CD-ROM first"),
                     disk->device, disk->path);
          return;
        }
    }
  for (guint i = 0; context->net_mode == HV_QEMU_NET_TAP && i < spec->vifs->len; i++)
    {
      const HvVifSpec *vif = g_ptr_array_index (spec->vifs, i);

      if (vif->bridge == NULL || !hv_bridge_exists (HV_SYS_CLASS_NET, vif->bridge))
        {
          add_check (checks, "devices", FALSE,
                     _("vif %u: the bridge %s does not exist on this host; create it or change the vif"),
                     vif->number, vif->bridge != NULL ? vif->bridge : "(none)");
          return;
        }
    }
  add_check (checks, "devices", TRUE, _("no host devices"));
}

static HvDomainSpec *
parse_request (const HvMigrationRequest  *request,
               HvConfig                 **config_out,
               GError                   **error)
{
  g_autoptr(HvConfig) config = NULL;
  g_autoptr(HvDomainSpec) spec = NULL;

  if (request->config_text == NULL)
    {
      g_set_error (error, HV_RPC_ERROR, HV_RPC_ERROR_INVALID_PARAMS, _("config is missing"));
      return NULL;
    }
  config = hv_config_new_from_data (request->config_text, -1, "<migrating config>", error);
  if (config == NULL)
    return NULL;
  spec = hv_domain_spec_new (config, HV_DOMAIN_SPEC_FLAGS_NONE, error);
  if (spec == NULL)
    return NULL;
  if (request->name != NULL && strcmp (request->name, spec->name) != 0)
    {
      g_set_error (error, HV_RPC_ERROR, HV_RPC_ERROR_INVALID_PARAMS,
                   _("name is “%s” but the config names “%s”"), request->name, spec->name);
      return NULL;
    }
  if (config_out != NULL)
    *config_out = g_steal_pointer (&config);
  return g_steal_pointer (&spec);
}

GPtrArray *
hv_migration_run_checks (const HvMigrationContext *context,
                         const HvMigrationRequest *request,
                         GError                  **error)
{
  g_autoptr(GPtrArray) checks = g_ptr_array_new_with_free_func ((GDestroyNotify) hv_migration_check_free);
  g_autoptr(HvDomainSpec) spec = NULL;
  g_autoptr(GError) lookup_error = NULL;
  const HvRelocationConfig *relocation = &context->config->relocation;
  const char *accel = context->accel == HV_QEMU_ACCEL_KVM ? "kvm" : "tcg";
  HvDomain *existing;
  gint64 available;

  spec = parse_request (request, NULL, error);
  if (spec == NULL)
    return NULL;

  if (relocation->enabled)
    add_check (checks, "relocation", TRUE, _("relocation is on (address %s)"),
               *relocation->address != '\0' ? relocation->address : _("every address"));
  else
    add_check (checks, "relocation", FALSE,
               _("relocation is off on this host: set enabled=true in [relocation] of %s and restart domusd"),
               context->config->path != NULL ? context->config->path : "domusd.conf");

  available = available_memory_mib ();
  if (available < 0)
    add_check (checks, "memory", TRUE, _("free memory unknown; %" PRId64 " MiB needed"), spec->memory_mib);
  else
    add_check (checks, "memory", available >= spec->memory_mib,
               available >= spec->memory_mib
                 ? _("%" PRId64 " MiB needed, %" PRId64 " MiB free")
                 : _("%" PRId64 " MiB needed but only %" PRId64 " MiB free: stop a domain here or lower memory"),
               spec->memory_mib, available);

  existing = hv_host_lookup (context->host, spec->name, &lookup_error);
  if (existing == NULL)
    add_check (checks, "name", TRUE, _("no domain named %s here"), spec->name);
  else
    add_check (checks, "name", FALSE,
               hv_domain_is_active (existing)
                 ? _("a domain named %s already runs here: rename or remove one of them")
                 : _("a domain named %s is already defined here: undefine it or rename one of them"),
               spec->name);

  check_disks (checks, spec, request);

  if (request->accelerator == NULL)
    add_check (checks, "cpu", TRUE, _("this host runs guests with %s (the source’s accelerator was not given)"), accel);
  else if (g_ascii_strcasecmp (request->accelerator, accel) == 0)
    add_check (checks, "cpu", TRUE, _("both hosts run guests with %s"), accel);
  else
    add_check (checks, "cpu", FALSE,
               _("the source runs the guest with %s, this host with %s: a running guest cannot move between them; shut it down and start it here"),
               request->accelerator, accel);

  check_devices (checks, context, spec);
  return g_steal_pointer (&checks);
}

/* The object */

typedef enum {
  STEP_NEW,
  STEP_PREPARING,    /* target: images, QEMU, listeners */
  STEP_PREPARED,     /* target: waiting for the stream */
  STEP_RECEIVING,    /* target: QEMU has the stream */
  STEP_PERFORMING,   /* source: mirror and migrate under way */
  STEP_PERFORMED,    /* source: QEMU completed; waiting for confirm */
  STEP_FINISHING,    /* either side: the last steps */
  STEP_CLEANING,     /* either side: rolling back */
  STEP_DONE,
} Step;

typedef struct {
  char *source_path;   /* the disk's path on the source */
  char *path;          /* the copy in this host's image store */
  char *format;
  char *export_name;   /* the NBD export; the drive id */
  guint64 size;
  gboolean created;
} DiskCopy;

static void
disk_copy_free (DiskCopy *copy)
{
  g_free (copy->source_path);
  g_free (copy->path);
  g_free (copy->format);
  g_free (copy->export_name);
  g_free (copy);
}

struct _HvMigration
{
  GObject             parent_instance;

  HvMigrationContext  context;
  gboolean            incoming;
  Step                step;
  char               *name;
  char               *id;
  HvDomain           *domain;
  gulong              ended_id;

  HvRpcCall          *call;              /* the call being answered (prepare, finish, perform) */
  GCancellable       *peer_cancellable;  /* cancelled when the driving client goes away */
  gulong              peer_cancelled_id;
  guint               peer_gone_idle_id;

  /* target */
  char               *request_text;
  JsonArray          *request_disks;
  gboolean            copy_storage;
  gboolean            postcopy;
  char               *config_text;       /* as it will be stored: disk paths rewritten to copies */
  char               *temp_config_path;
  GPtrArray          *copies;            /* DiskCopy */
  guint               next_copy;
  GSocketListener    *listener;
  GCancellable       *accept_cancellable;
  GSocket            *nbd_socket;        /* the TCP side sources connect to for disk copies */
  guint               nbd_port;
  GSocketService     *nbd_service;       /* admits them by hosts-allow */
  GCancellable       *nbd_cancellable;   /* their lookups, connections and relays */
  guint               nbd_admitted;
  char               *nbd_unix_path;     /* QEMU's own NBD server, private to this host */
  char               *uri;
  guint               timeout_id;
  GSocketConnection  *connection;
  char               *peer_address;
  gboolean            received;          /* QEMU reported the incoming migration completed */
  gboolean            resume;
  guint               finish_polls;
  GError             *failure;           /* why the target is being cleaned up */
  GPtrArray          *waiters;           /* HvRpcCall of finish{false}/confirm{false} during a rollback */

  /* source */
  HvMigrationPerform  perform;
  char               *perform_uri;
  JsonObject         *nbd;
  GPtrArray          *jobs;              /* mirror job ids */
  gboolean            was_running;
  gboolean            stopped_by_us;
  gboolean            cancel_requested;
  gboolean            completed;         /* QEMU said completed: the target may own the guest */
  gboolean            postcopy_started;
  guint               poll_id;
  const char         *phase;
  JsonObject         *last_info;         /* the last query-migrate */
  gint64              last_dirty_rate;
  gint64              disk_remaining;
  gint64              started_us;
};

G_DEFINE_FINAL_TYPE (HvMigration, hv_migration, G_TYPE_OBJECT)

enum {
  SIGNAL_DONE,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static gboolean open_nbd_gate (HvMigration  *self,
                               GError      **error);
static void     stop_nbd_gate (HvMigration  *self);

static void
hv_migration_dispose (GObject *object)
{
  HvMigration *self = HV_MIGRATION (object);

  g_clear_handle_id (&self->timeout_id, g_source_remove);
  g_clear_handle_id (&self->poll_id, g_source_remove);
  g_clear_handle_id (&self->peer_gone_idle_id, g_source_remove);
  if (self->peer_cancelled_id != 0)
    g_signal_handler_disconnect (self->peer_cancellable, self->peer_cancelled_id);
  self->peer_cancelled_id = 0;
  g_clear_object (&self->peer_cancellable);
  if (self->ended_id != 0)
    g_signal_handler_disconnect (self->domain, self->ended_id);
  self->ended_id = 0;
  if (self->accept_cancellable != NULL)
    g_cancellable_cancel (self->accept_cancellable);
  g_clear_object (&self->accept_cancellable);
  if (self->listener != NULL)
    g_socket_listener_close (self->listener);
  g_clear_object (&self->listener);
  stop_nbd_gate (self);
  g_clear_object (&self->nbd_socket);
  g_clear_object (&self->nbd_cancellable);
  g_clear_object (&self->connection);
  g_clear_object (&self->domain);
  G_OBJECT_CLASS (hv_migration_parent_class)->dispose (object);
}

static void
hv_migration_finalize (GObject *object)
{
  HvMigration *self = HV_MIGRATION (object);

  g_free (self->name);
  g_free (self->id);
  g_free (self->config_text);
  g_free (self->request_text);
  g_clear_pointer (&self->request_disks, json_array_unref);
  g_free (self->temp_config_path);
  g_clear_pointer (&self->copies, g_ptr_array_unref);
  g_free (self->uri);
  g_free (self->nbd_unix_path);
  g_free (self->peer_address);
  g_clear_error (&self->failure);
  g_free (self->perform_uri);
  g_clear_pointer (&self->nbd, json_object_unref);
  g_clear_pointer (&self->jobs, g_ptr_array_unref);
  g_ptr_array_unref (self->waiters);
  g_clear_pointer (&self->last_info, json_object_unref);
  g_clear_pointer (&self->context.config, hv_daemon_config_unref);
  g_clear_object (&self->context.host);
  g_clear_object (&self->context.images);
  g_clear_object (&self->context.server);
  g_free ((char *) self->context.incoming_dir);
  G_OBJECT_CLASS (hv_migration_parent_class)->finalize (object);
}

static void
hv_migration_class_init (HvMigrationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = hv_migration_dispose;
  object_class->finalize = hv_migration_finalize;

  signals[SIGNAL_DONE] = g_signal_new ("done", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                       0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
hv_migration_init (HvMigration *self)
{
  self->copies = g_ptr_array_new_with_free_func ((GDestroyNotify) disk_copy_free);
  self->jobs = g_ptr_array_new_with_free_func (g_free);
  self->waiters = g_ptr_array_new ();
  self->disk_remaining = 0;
}

static HvMigration *
migration_new (const HvMigrationContext *context)
{
  HvMigration *self = g_object_new (HV_TYPE_MIGRATION, NULL);

  self->context = *context;
  self->context.config = hv_daemon_config_ref (context->config);
  self->context.incoming_dir = g_strdup (context->incoming_dir);
  g_object_ref (self->context.host);
  if (self->context.images != NULL)
    g_object_ref (self->context.images);
  g_object_ref (self->context.server);
  return self;
}

const char *
hv_migration_get_name (HvMigration *self)
{
  g_return_val_if_fail (HV_IS_MIGRATION (self), NULL);
  return self->name;
}

const char *
hv_migration_get_id (HvMigration *self)
{
  g_return_val_if_fail (HV_IS_MIGRATION (self), NULL);
  return self->id;
}

gboolean
hv_migration_is_incoming (HvMigration *self)
{
  g_return_val_if_fail (HV_IS_MIGRATION (self), FALSE);
  return self->incoming;
}

/* Helpers */

static JsonNode *
empty_result (void)
{
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  json_node_take_object (node, json_object_new ());
  return node;
}

/* The answer to a rollback (finish or confirm with success false): empty, or why the
 * migration had already failed here, so the client can tell its user the real cause
 * (say, hosts-allow) rather than what the other side saw (a broken pipe). */
JsonNode *
hv_migration_new_rollback_result (const GError *failure)
{
  JsonNode *node = empty_result ();

  if (failure != NULL)
    {
      JsonObject *object = json_node_get_object (node);

      json_object_set_string_member (object, "reason", failure->message);
      json_object_set_string_member (object, "kind", hv_rpc_error_get_kind (failure));
    }
  return node;
}

const GError *
hv_migration_get_failure (HvMigration *self)
{
  g_return_val_if_fail (HV_IS_MIGRATION (self), NULL);

  return self->failure;
}

static void
set_done (HvMigration *self)
{
  g_autoptr(HvMigration) hold = g_object_ref (self);

  if (self->step == STEP_DONE)
    return;
  self->step = STEP_DONE;
  g_clear_handle_id (&self->poll_id, g_source_remove);
  g_clear_handle_id (&self->timeout_id, g_source_remove);
  /* Rollbacks asked for while one ran: it is done now. */
  for (guint i = 0; i < self->waiters->len; i++)
    hv_rpc_call_return (g_ptr_array_index (self->waiters, i), hv_migration_new_rollback_result (self->failure));
  g_ptr_array_set_size (self->waiters, 0);
  g_signal_emit (self, signals[SIGNAL_DONE], 0);
}

static void
answer (HvMigration *self,
        JsonNode    *result)
{
  HvRpcCall *call = g_steal_pointer (&self->call);

  if (call != NULL)
    hv_rpc_call_return (call, result);
  else if (result != NULL)
    json_node_unref (result);
}

static void
answer_error (HvMigration  *self,
              const GError *error)
{
  HvRpcCall *call = g_steal_pointer (&self->call);
  g_autoptr(GError) mapped = NULL;

  if (call == NULL)
    return;
  if (error->domain == HV_RPC_ERROR)
    hv_rpc_call_return_error (call, error);
  else
    {
      mapped = g_error_new_literal (HV_RPC_ERROR,
                                    error->domain == HV_CONFIG_ERROR ? HV_RPC_ERROR_INVALID_CONFIG
                                                                     : HV_RPC_ERROR_MIGRATION_FAILED,
                                    error->message);
      hv_rpc_call_return_error (call, mapped);
    }
}


typedef void (*QmpStep) (HvMigration  *self,
                         JsonNode     *reply,
                         const GError *error);

typedef struct {
  HvMigration *self;
  QmpStep      step;
} QmpCall;

static void
on_qmp_step (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  QmpCall *call = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) reply = hv_qmp_execute_finish (HV_QMP (source), result, &error);

  if (call->step != NULL)
    call->step (call->self, reply, error);
  else if (error != NULL)
    g_debug ("migration of %s: QMP: %s", call->self->name, error->message);
  g_object_unref (call->self);
  g_free (call);
}

/* Runs a QMP command on the domain's QEMU; `arguments` is taken (may be NULL); fd < 0: none. */
static void
qmp_run (HvMigration *self,
         const char  *command,
         JsonObject  *arguments,
         int          fd,
         QmpStep      step)
{
  g_autoptr(JsonObject) args = arguments;
  HvQmp *qmp = self->domain != NULL ? hv_domain_get_qmp (self->domain) : NULL;
  QmpCall *call;

  if (qmp == NULL)
    {
      g_autoptr(GError) error = g_error_new (HV_RPC_ERROR, HV_RPC_ERROR_MIGRATION_FAILED,
                                             _("QEMU of %s is gone"), self->name);

      if (step != NULL)
        step (self, NULL, error);
      return;
    }
  call = g_new0 (QmpCall, 1);
  call->self = g_object_ref (self);
  call->step = step;
  if (fd >= 0)
    hv_qmp_execute_with_fd_async (qmp, command, args, fd, NULL, on_qmp_step, call);
  else
    hv_qmp_execute_async (qmp, command, args, NULL, on_qmp_step, call);
}

static JsonObject *
capability (const char *name,
            gboolean    state)
{
  JsonObject *object = json_object_new ();

  json_object_set_string_member (object, "capability", name);
  json_object_set_boolean_member (object, "state", state);
  return object;
}

static JsonObject *
capabilities_arguments (JsonObject *first,
                        ...)
{
  JsonObject *arguments = json_object_new ();
  JsonArray *array = json_array_new ();
  va_list args;

  va_start (args, first);
  for (JsonObject *item = first; item != NULL; item = va_arg (args, JsonObject *))
    json_array_add_object_element (array, item);
  va_end (args);
  json_object_set_array_member (arguments, "capabilities", array);
  return arguments;
}



/* When the client that drives us goes away (its connection is the cancellable's). */
static void on_peer_gone (HvMigration *self);

static gboolean
peer_gone_idle (gpointer user_data)
{
  HvMigration *self = user_data;

  self->peer_gone_idle_id = 0;
  on_peer_gone (self);
  return G_SOURCE_REMOVE;
}

static void
on_peer_cancelled (GCancellable *cancellable,
                   gpointer      user_data)
{
  HvMigration *self = user_data;

  /* Out of the cancellable's emission: the handlers undo half the daemon. */
  if (self->peer_gone_idle_id == 0)
    self->peer_gone_idle_id = g_idle_add_full (G_PRIORITY_DEFAULT, peer_gone_idle,
                                               g_object_ref (self), g_object_unref);
}

static void
watch_peer (HvMigration *self,
            HvRpcCall   *call)
{
  GCancellable *cancellable = hv_rpc_call_get_cancellable (call);

  if (self->peer_cancellable == cancellable || cancellable == NULL)
    return;
  if (self->peer_cancelled_id != 0)
    g_signal_handler_disconnect (self->peer_cancellable, self->peer_cancelled_id);
  g_set_object (&self->peer_cancellable, cancellable);
  self->peer_cancelled_id = g_signal_connect (cancellable, "cancelled", G_CALLBACK (on_peer_cancelled), self);
  if (g_cancellable_is_cancelled (cancellable))
    on_peer_cancelled (cancellable, self);
}

static void
broadcast_progress (HvMigration *self,
                    const char  *phase)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) params = NULL;
  JsonObject *ram = self->last_info != NULL ? domus_json_object_get_object (self->last_info, "ram") : NULL;

  self->phase = phase;
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, self->name);
  json_builder_set_member_name (builder, "phase");
  json_builder_add_string_value (builder, phase);
  json_builder_set_member_name (builder, "transferred_bytes");
  json_builder_add_int_value (builder, domus_json_object_get_int (ram, "transferred", 0));
  json_builder_set_member_name (builder, "remaining_bytes");
  json_builder_add_int_value (builder, domus_json_object_get_int (ram, "remaining", 0));
  json_builder_set_member_name (builder, "total_bytes");
  json_builder_add_int_value (builder, domus_json_object_get_int (ram, "total", 0));
  json_builder_set_member_name (builder, "dirty_rate_bytes_per_s");
  json_builder_add_int_value (builder, self->last_dirty_rate);
  json_builder_set_member_name (builder, "expected_downtime_ms");
  json_builder_add_int_value (builder, domus_json_object_get_int (self->last_info, "expected-downtime", 0));
  json_builder_set_member_name (builder, "mbps");
  json_builder_add_double_value (builder, domus_json_object_get_double (ram, "mbps", 0));
  json_builder_set_member_name (builder, "disk_remaining_bytes");
  json_builder_add_int_value (builder, self->disk_remaining);
  json_builder_end_object (builder);
  params = json_builder_get_root (builder);
  hv_rpc_server_broadcast (self->context.server, "migration.progress", params);
}

/* ------------------------------------------------------------------------- */
/* Target                                                                    */

static void incoming_fail (HvMigration *self, GError *error);
static void incoming_cleanup (HvMigration *self);
static char *copies_record_path (HvMigration *self);

HvMigration *
hv_migration_new_incoming (const HvMigrationContext *context,
                           const HvMigrationRequest *request)
{
  HvMigration *self = migration_new (context);

  self->incoming = TRUE;
  self->name = g_strdup (request->name);
  self->id = g_uuid_string_random ();
  self->copy_storage = request->copy_storage;
  self->postcopy = request->postcopy;
  self->request_text = g_strdup (request->config_text);
  if (request->disks != NULL)
    self->request_disks = json_array_ref (request->disks);
  self->resume = TRUE;
  return self;
}

static void
on_incoming_domain_ended (HvDomain   *domain,
                          const char *reason,
                          guint       action,
                          gpointer    user_data)
{
  HvMigration *self = user_data;

  if (self->step == STEP_CLEANING || self->step == STEP_DONE)
    {
      if (self->step == STEP_CLEANING)
        incoming_cleanup (self);
      return;
    }
  /* QEMU ends itself when the incoming stream breaks. */
  incoming_fail (self, g_error_new (HV_RPC_ERROR, HV_RPC_ERROR_MIGRATION_FAILED,
                                    _("QEMU on the target ended (%s) before the migration finished"), reason));
}

/* Rolls the target back: QEMU ended, run folder, copies and the temporary config removed. */
static void
incoming_cleanup (HvMigration *self)
{
  g_autoptr(HvMigration) hold = g_object_ref (self);

  self->step = STEP_CLEANING;
  g_clear_handle_id (&self->timeout_id, g_source_remove);
  if (self->accept_cancellable != NULL)
    g_cancellable_cancel (self->accept_cancellable);
  if (self->listener != NULL)
    g_socket_listener_close (self->listener);
  stop_nbd_gate (self);
  if (self->connection != NULL)
    g_io_stream_close (G_IO_STREAM (self->connection), NULL, NULL);

  if (self->domain != NULL && hv_domain_is_active (self->domain))
    {
      if (hv_domain_get_state (self->domain) != HV_DOMAIN_STATE_DYING)
        hv_domain_destroy_async (self->domain, NULL, NULL, NULL);
      return;  /* on_incoming_domain_ended comes back here */
    }
  if (self->domain != NULL)
    hv_host_forget_incoming (self->context.host, self->domain);
  for (guint i = 0; i < self->copies->len; i++)
    {
      DiskCopy *copy = g_ptr_array_index (self->copies, i);

      if (copy->created && g_unlink (copy->path) != 0 && errno != ENOENT)
        g_message ("migration of %s: cannot remove the copy %s: %s", self->name, copy->path, g_strerror (errno));
    }
  if (self->temp_config_path != NULL)
    g_unlink (self->temp_config_path);
  if (self->copies->len > 0)
    {
      g_autofree char *record = copies_record_path (self);

      g_unlink (record);
    }

  if (self->failure != NULL)
    answer_error (self, self->failure);
  else
    answer (self, empty_result ());
  set_done (self);
}

static void
incoming_fail (HvMigration *self,
               GError      *error)
{
  if (self->step == STEP_CLEANING || self->step == STEP_DONE)
    {
      g_error_free (error);
      return;
    }
  g_message ("migration of %s to this host failed: %s", self->name, error->message);
  g_clear_error (&self->failure);
  self->failure = error;
  incoming_cleanup (self);
}

static void
on_peer_gone (HvMigration *self)
{
  /* A finish or confirm under way ends the migration anyway. */
  if (self->step == STEP_DONE || self->step == STEP_CLEANING || self->step == STEP_FINISHING)
    return;
  if (self->incoming)
    {
      if (self->received)
        {
          /* The guest may live only here now: keep it, as finish would, but leave it as it is. */
          g_message ("migration of %s: the client left after the stream arrived; the domain stays here",
                     self->name);
          self->resume = FALSE;
          hv_migration_finish (self, TRUE, FALSE, NULL);
          return;
        }
      incoming_fail (self, g_error_new (HV_RPC_ERROR, HV_RPC_ERROR_CANCELLED,
                                        _("The client that prepared the migration went away")));
      return;
    }
  if (self->completed)
    {
      /* The target may already run the guest: resuming here could run it twice. */
      g_message ("migration of %s: the client left after QEMU completed; the domain stays paused here "
                 "(resume it, or destroy it if the target runs it)", self->name);
      set_done (self);
      return;
    }
  g_message ("migration of %s: the client left; cancelling", self->name);
  hv_migration_confirm (self, FALSE, NULL);
}

/* Accepting the stream */

static void
on_migrate_incoming (HvMigration  *self,
                     JsonNode     *reply,
                     const GError *error)
{
  if (error != NULL)
    {
      incoming_fail (self, g_error_new (HV_RPC_ERROR, HV_RPC_ERROR_MIGRATION_FAILED,
                                        _("QEMU refused the incoming stream: %s"), error->message));
      return;
    }
  /* QEMU has its own copy of the socket. */
  if (self->connection != NULL)
    g_io_stream_close (G_IO_STREAM (self->connection), NULL, NULL);
  g_clear_object (&self->connection);
}

static void
on_migrate_fd_passed (HvMigration  *self,
                      JsonNode     *reply,
                      const GError *error)
{
  JsonObject *arguments;

  if (error != NULL)
    {
      incoming_fail (self, g_error_new (HV_RPC_ERROR, HV_RPC_ERROR_MIGRATION_FAILED,
                                        _("Cannot hand the stream to QEMU: %s"), error->message));
      return;
    }
  arguments = json_object_new ();
  json_object_set_string_member (arguments, "uri", "fd:" QEMU_FD_MIGRATE);
  qmp_run (self, "migrate-incoming", arguments, -1, on_migrate_incoming);
}

static void
admit_peer (HvMigration *self,
            const char  *reverse_name)
{
  GSocket *socket;

  if (!hv_relocation_config_allows (&self->context.config->relocation, self->peer_address, reverse_name))
    {
      incoming_fail (self, g_error_new (HV_RPC_ERROR, HV_RPC_ERROR_MIGRATION_REFUSED,
                                        _("hosts-allow of this host does not name %s%s%s%s: the stream was refused"),
                                        self->peer_address, reverse_name != NULL ? " (" : "",
                                        reverse_name != NULL ? reverse_name : "", reverse_name != NULL ? ")" : ""));
      return;
    }
  g_debug ("migration of %s: stream from %s", self->name, self->peer_address);
  self->step = STEP_RECEIVING;
  socket = g_socket_connection_get_socket (self->connection);
  {
    JsonObject *arguments = json_object_new ();

    json_object_set_string_member (arguments, "fdname", QEMU_FD_MIGRATE);
    /* getfd names the fd that came with its own message (SCM_RIGHTS). */
    qmp_run (self, "getfd", arguments, g_socket_get_fd (socket), on_migrate_fd_passed);
  }
}

static void
on_reverse_name (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(HvMigration) self = user_data;
  g_autofree char *name = g_resolver_lookup_by_address_finish (G_RESOLVER (source), result, NULL);

  if (self->step != STEP_PREPARED)
    return;
  admit_peer (self, name);
}

static void
on_accepted (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(HvMigration) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketAddress) remote = NULL;
  GSocketConnection *connection;
  GInetAddress *address;

  connection = g_socket_listener_accept_finish (G_SOCKET_LISTENER (source), result, NULL, &error);
  if (connection == NULL)
    {
      if (self->step == STEP_PREPARED)
        incoming_fail (self, g_error_new (HV_RPC_ERROR, HV_RPC_ERROR_MIGRATION_FAILED,
                                          _("The relocation listener failed: %s"), error->message));
      return;
    }
  self->connection = connection;
  /* One stream per migration: nobody else gets in. */
  g_clear_handle_id (&self->timeout_id, g_source_remove);
  g_socket_listener_close (self->listener);
  remote = g_socket_connection_get_remote_address (connection, &error);
  if (remote == NULL || !G_IS_INET_SOCKET_ADDRESS (remote))
    {
      incoming_fail (self, g_error_new (HV_RPC_ERROR, HV_RPC_ERROR_MIGRATION_REFUSED,
                                        _("The relocation peer has no network address")));
      return;
    }
  address = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (remote));
  self->peer_address = g_inet_address_to_string (address);
  if (hv_relocation_config_allows (&self->context.config->relocation, self->peer_address, NULL))
    {
      admit_peer (self, NULL);
      return;
    }
  /* Patterns may name hosts: ask for the peer's name before refusing it. */
  g_resolver_lookup_by_address_async (g_resolver_get_default (), address, self->accept_cancellable,
                                      on_reverse_name, g_object_ref (self));
}

static gboolean
on_prepared_timeout (gpointer user_data)
{
  HvMigration *self = user_data;

  self->timeout_id = 0;
  incoming_fail (self, g_error_new (HV_RPC_ERROR, HV_RPC_ERROR_MIGRATION_FAILED,
                                    _("No migration stream arrived within %d s"), HV_MIGRATION_PREPARED_TIMEOUT_S));
  return G_SOURCE_REMOVE;
}

/* Listening */

/* A TCP socket listening on the relocation address; port 0 takes a free one. */
static GSocket *
listen_socket (HvMigration  *self,
               guint         port,
               guint        *bound_port,
               GError      **error)
{
  const char *host = self->context.config->relocation.address;
  g_autoptr(GInetAddress) address = NULL;
  g_autoptr(GSocketAddress) socket_address = NULL;
  g_autoptr(GSocketAddress) local = NULL;
  g_autoptr(GSocket) socket = NULL;

  address = *host != '\0' ? g_inet_address_new_from_string (host)
                          : g_inet_address_new_any (G_SOCKET_FAMILY_IPV6);
  if (address == NULL)
    {
      g_set_error (error, HV_RPC_ERROR, HV_RPC_ERROR_FAILED, _("“%s” is not an address"), host);
      return NULL;
    }
  socket = g_socket_new (g_inet_address_get_family (address), G_SOCKET_TYPE_STREAM,
                         G_SOCKET_PROTOCOL_TCP, error);
  if (socket == NULL)
    return NULL;
  g_socket_set_option (socket, SOL_SOCKET, SO_REUSEADDR, 1, NULL);
  socket_address = g_inet_socket_address_new (address, (guint16) port);
  if (!g_socket_bind (socket, socket_address, TRUE, error))
    {
      g_prefix_error (error, _("Cannot listen on %s port %u: "), *host != '\0' ? host : "*", port);
      return NULL;
    }
  g_socket_set_listen_backlog (socket, 1);
  if (!g_socket_listen (socket, error))
    return NULL;
  local = g_socket_get_local_address (socket, error);
  if (local == NULL)
    return NULL;
  *bound_port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
  return g_steal_pointer (&socket);
}

/* Where the source should connect: the relocation address, or this host's name when it is every address. */
static const char *
advertised_host (HvMigration *self)
{
  const char *host = self->context.config->relocation.address;

  return *host != '\0' ? host : g_get_host_name ();
}

static char *
format_host_port (const char *host,
                  guint       port)
{
  return strchr (host, ':') != NULL ? g_strdup_printf ("[%s]:%u", host, port)
                                    : g_strdup_printf ("%s:%u", host, port);
}

static void
answer_prepared (HvMigration *self)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) socket = NULL;
  g_autofree char *host_port = NULL;
  guint port = 0;

  socket = listen_socket (self, self->context.config->relocation.port, &port, &error);
  if (socket == NULL)
    {
      incoming_fail (self, g_steal_pointer (&error));
      return;
    }
  self->listener = g_socket_listener_new ();
  if (!g_socket_listener_add_socket (self->listener, socket, NULL, &error))
    {
      incoming_fail (self, g_steal_pointer (&error));
      return;
    }
  host_port = format_host_port (advertised_host (self), port);
  self->uri = g_strdup_printf ("tcp:%s", host_port);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "id");
  json_builder_add_string_value (builder, self->id);
  json_builder_set_member_name (builder, "uri");
  json_builder_add_string_value (builder, self->uri);
  json_builder_set_member_name (builder, "nbd");
  if (self->nbd_socket != NULL)
    {
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "host");
      json_builder_add_string_value (builder, advertised_host (self));
      json_builder_set_member_name (builder, "port");
      json_builder_add_int_value (builder, self->nbd_port);
      json_builder_set_member_name (builder, "exports");
      json_builder_begin_object (builder);
      for (guint i = 0; i < self->copies->len; i++)
        {
          DiskCopy *copy = g_ptr_array_index (self->copies, i);

          json_builder_set_member_name (builder, copy->source_path);
          json_builder_add_string_value (builder, copy->export_name);
        }
      json_builder_end_object (builder);
      json_builder_end_object (builder);
    }
  else
    json_builder_add_null_value (builder);
  json_builder_end_object (builder);

  self->step = STEP_PREPARED;
  self->accept_cancellable = g_cancellable_new ();
  self->timeout_id = g_timeout_add_seconds (HV_MIGRATION_PREPARED_TIMEOUT_S, on_prepared_timeout, self);
  g_socket_listener_accept_async (self->listener, self->accept_cancellable, on_accepted, g_object_ref (self));
  g_message ("migration of %s: prepared, waiting on %s", self->name, self->uri);
  answer (self, json_builder_get_root (builder));
}

static void
on_nbd_added (HvMigration  *self,
              JsonNode     *reply,
              const GError *error)
{
  DiskCopy *copy;
  JsonObject *arguments;

  if (error != NULL)
    {
      incoming_fail (self, g_error_new (HV_RPC_ERROR, HV_RPC_ERROR_MIGRATION_FAILED,
                                        _("Cannot export a disk copy over NBD: %s"), error->message));
      return;
    }
  if (self->next_copy >= self->copies->len)
    {
      answer_prepared (self);
      return;
    }
  copy = g_ptr_array_index (self->copies, self->next_copy++);
  arguments = json_object_new ();
  json_object_set_string_member (arguments, "device", copy->export_name);
  json_object_set_string_member (arguments, "name", copy->export_name);
  json_object_set_boolean_member (arguments, "writable", TRUE);
  qmp_run (self, "nbd-server-add", arguments, -1, on_nbd_added);
}

static void
on_nbd_started (HvMigration  *self,
                JsonNode     *reply,
                const GError *error)
{
  g_autoptr(GError) local_error = NULL;

  if (error != NULL)
    {
      incoming_fail (self, g_error_new (HV_RPC_ERROR, HV_RPC_ERROR_MIGRATION_FAILED,
                                        _("QEMU’s NBD server did not start: %s"), error->message));
      return;
    }
  if (!open_nbd_gate (self, &local_error))
    {
      incoming_fail (self, g_steal_pointer (&local_error));
      return;
    }
  self->next_copy = 0;
  on_nbd_added (self, reply, NULL);
}

/* The disk copies' way in. QEMU's NBD server listens on a socket in the domain's private
 * run folder; the TCP socket the source is told about is the daemon's, which admits a
 * connection only from a peer hosts-allow names (as the migration stream) and only as many
 * as there are disks, then relays it to QEMU's (hv-socket-relay.c, off the main loop). An
 * NBD export is writable: without the gate anyone who reached the relocation address first
 * could write into the copy. */

typedef struct {
  HvMigration       *migration;
  GSocketConnection *tcp;
  GSocketConnection *qemu;
  GInetAddress      *address;
} NbdPeer;

static void
nbd_peer_free (NbdPeer *peer)
{
  g_clear_object (&peer->migration);
  g_clear_object (&peer->tcp);
  g_clear_object (&peer->qemu);
  g_clear_object (&peer->address);
  g_free (peer);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NbdPeer, nbd_peer_free)

static void
stop_nbd_gate (HvMigration *self)
{
  if (self->nbd_cancellable != NULL)
    g_cancellable_cancel (self->nbd_cancellable);
  if (self->nbd_service != NULL)
    {
      g_socket_service_stop (self->nbd_service);
      g_socket_listener_close (G_SOCKET_LISTENER (self->nbd_service));
    }
  g_clear_object (&self->nbd_service);
  if (self->nbd_socket != NULL)
    g_socket_close (self->nbd_socket, NULL);
}

static void
on_nbd_relayed (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(NbdPeer) peer = user_data;
  g_autoptr(GError) error = NULL;
  gint64 bytes = hv_socket_relay_finish (result, &error);

  if (bytes < 0)
    g_debug ("migration of %s: NBD connection ended: %s", peer->migration->name, error->message);
  else
    g_debug ("migration of %s: NBD connection ended, %" G_GINT64_FORMAT " bytes", peer->migration->name, bytes);
  g_io_stream_close (G_IO_STREAM (peer->tcp), NULL, NULL);
  g_io_stream_close (G_IO_STREAM (peer->qemu), NULL, NULL);
}

static void
on_nbd_unix_connected (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(NbdPeer) peer = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketConnection) qemu = NULL;
  HvMigration *self = peer->migration;
  GSocket *tcp;

  qemu = g_socket_client_connect_finish (G_SOCKET_CLIENT (source), result, &error);
  if (qemu == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_warning ("migration of %s: cannot reach QEMU's NBD server: %s", self->name, error->message);
      return;
    }
  peer->qemu = g_object_ref (qemu);
  tcp = g_socket_connection_get_socket (peer->tcp);   /* before the peer moves into the call */
  /* NBD replies are small and many: Nagle would hold them for the source's ACKs, as QEMU's
   * own NBD server knows (it sets TCP_NODELAY too). */
  g_socket_set_option (tcp, IPPROTO_TCP, TCP_NODELAY, 1, NULL);
  hv_socket_relay_async (tcp, g_socket_connection_get_socket (qemu), self->nbd_cancellable,
                         on_nbd_relayed, g_steal_pointer (&peer));
}

static void
admit_nbd_peer (NbdPeer    *peer,
                const char *reverse_name)
{
  HvMigration *self = peer->migration;
  g_autofree char *address = g_inet_address_to_string (peer->address);
  g_autoptr(GSocketClient) client = NULL;
  g_autoptr(GSocketAddress) unix_address = NULL;

  if (!hv_relocation_config_allows (&self->context.config->relocation, address, reverse_name) ||
      self->nbd_admitted >= self->copies->len)
    {
      g_message ("migration of %s: an NBD connection from %s was refused (%s)", self->name, address,
                 self->nbd_admitted >= self->copies->len ? "one per disk" : "hosts-allow");
      g_io_stream_close (G_IO_STREAM (peer->tcp), NULL, NULL);
      nbd_peer_free (peer);
      return;
    }
  self->nbd_admitted++;
  g_debug ("migration of %s: NBD connection from %s", self->name, address);
  client = g_socket_client_new ();
  unix_address = g_unix_socket_address_new (self->nbd_unix_path);
  g_socket_client_connect_async (client, G_SOCKET_CONNECTABLE (unix_address), self->nbd_cancellable,
                                 on_nbd_unix_connected, peer);
}

static void
on_nbd_peer_name (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  NbdPeer *peer = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *name = g_resolver_lookup_by_address_finish (G_RESOLVER (source), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      nbd_peer_free (peer);
      return;
    }
  admit_nbd_peer (peer, name);
}

static gboolean
on_nbd_incoming (GSocketService    *service,
                 GSocketConnection *connection,
                 GObject           *source_object,
                 gpointer           user_data)
{
  HvMigration *self = user_data;
  g_autoptr(GSocketAddress) remote = g_socket_connection_get_remote_address (connection, NULL);
  g_autofree char *text = NULL;
  NbdPeer *peer;

  if (remote == NULL || !G_IS_INET_SOCKET_ADDRESS (remote))
    return TRUE;   /* dropped: the connection is closed when the service lets go of it */
  peer = g_new0 (NbdPeer, 1);
  peer->migration = g_object_ref (self);
  peer->tcp = g_object_ref (connection);
  peer->address = g_object_ref (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (remote)));
  text = g_inet_address_to_string (peer->address);
  if (hv_relocation_config_allows (&self->context.config->relocation, text, NULL))
    admit_nbd_peer (peer, NULL);
  else
    /* Patterns may name hosts: ask for the peer's name before refusing it. */
    g_resolver_lookup_by_address_async (g_resolver_get_default (), peer->address, self->nbd_cancellable,
                                        on_nbd_peer_name, peer);
  return TRUE;
}

static gboolean
open_nbd_gate (HvMigration  *self,
               GError      **error)
{
  self->nbd_service = g_socket_service_new ();
  if (!g_socket_listener_add_socket (G_SOCKET_LISTENER (self->nbd_service), self->nbd_socket, NULL, error))
    return FALSE;
  g_clear_object (&self->nbd_cancellable);
  self->nbd_cancellable = g_cancellable_new ();
  self->nbd_admitted = 0;
  g_signal_connect_object (self->nbd_service, "incoming", G_CALLBACK (on_nbd_incoming), self, 0);
  g_socket_service_start (self->nbd_service);
  return TRUE;
}

static void
on_capabilities_set (HvMigration  *self,
                     JsonNode     *reply,
                     const GError *error)
{
  g_autoptr(GError) local_error = NULL;
  JsonObject *arguments;

  if (error != NULL && self->postcopy)
    {
      incoming_fail (self, g_error_new (HV_RPC_ERROR, HV_RPC_ERROR_MIGRATION_REFUSED,
                                        _("Post-copy cannot be used on this host: %s"), error->message));
      return;
    }
  if (!self->copy_storage || self->copies->len == 0)
    {
      answer_prepared (self);
      return;
    }
  {
    guint port = self->context.config->relocation.port;

    self->nbd_socket = listen_socket (self, port != 0 && port < 65535 ? port + 1 : 0, &self->nbd_port, &local_error);
  }
  if (self->nbd_socket == NULL)
    {
      incoming_fail (self, g_steal_pointer (&local_error));
      return;
    }
  g_free (self->nbd_unix_path);
  self->nbd_unix_path = g_build_filename (hv_domain_get_run_dir (self->domain), "nbd.sock", NULL);
  {
    JsonObject *addr = json_object_new ();
    JsonObject *data = json_object_new ();

    json_object_set_string_member (data, "path", self->nbd_unix_path);
    json_object_set_string_member (addr, "type", "unix");
    json_object_set_object_member (addr, "data", data);
    arguments = json_object_new ();
    json_object_set_object_member (arguments, "addr", addr);
    qmp_run (self, "nbd-server-start", arguments, -1, on_nbd_started);
  }
}

static void
on_incoming_started (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(HvMigration) self = user_data;
  GError *error = NULL;
  HvDomain *domain;

  domain = hv_host_start_incoming_finish (HV_HOST (source), result, &error);
  if (domain == NULL)
    {
      incoming_fail (self, error);
      return;
    }
  self->domain = domain;
  self->ended_id = g_signal_connect (domain, "ended", G_CALLBACK (on_incoming_domain_ended), self);
  if (self->step != STEP_PREPARING)
    {
      incoming_cleanup (self);
      return;
    }
  /* postcopy-ram must be on at both ends; events lets query-migrate and events agree. */
  qmp_run (self, "migrate-set-capabilities",
           capabilities_arguments (capability ("events", TRUE),
                                   self->postcopy ? capability ("postcopy-ram", TRUE) : NULL, NULL),
           -1, on_capabilities_set);
}

static void
start_incoming_qemu (HvMigration *self)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *folder = NULL;

  folder = g_path_get_dirname (self->temp_config_path);
  if (g_mkdir_with_parents (folder, 0700) != 0 ||
      !g_file_set_contents_full (self->temp_config_path, self->config_text, -1,
                                 G_FILE_SET_CONTENTS_NONE, 0600, &error))
    {
      if (error == NULL)
        g_set_error (&error, G_FILE_ERROR, g_file_error_from_errno (errno),
                     _("Cannot make %s: %s"), folder, g_strerror (errno));
      incoming_fail (self, g_steal_pointer (&error));
      return;
    }
  hv_host_start_incoming_async (self->context.host, self->name, self->temp_config_path,
                                self->copy_storage, NULL, NULL, on_incoming_started, g_object_ref (self));
}

static void create_next_copy (HvMigration *self);

/* NAME.copies next to the temporary config: what to remove if the daemon dies meanwhile. */
static char *
copies_record_path (HvMigration *self)
{
  g_autofree char *file = g_strdup_printf ("%s.copies", self->name);

  return g_build_filename (self->context.incoming_dir, file, NULL);
}

static void
write_copies_record (HvMigration *self)
{
  g_autoptr(GString) text = g_string_new (NULL);
  g_autofree char *path = copies_record_path (self);
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < self->copies->len; i++)
    {
      DiskCopy *copy = g_ptr_array_index (self->copies, i);

      g_string_append_printf (text, "%s\n", copy->path);
    }
  if (g_mkdir_with_parents (self->context.incoming_dir, 0700) != 0 ||
      !g_file_set_contents_full (path, text->str, -1, G_FILE_SET_CONTENTS_NONE, 0600, &error))
    g_message ("migration of %s: cannot record the disk copies: %s", self->name,
               error != NULL ? error->message : g_strerror (errno));
}

static void
on_copy_created (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(HvMigration) self = user_data;
  g_autoptr(HvImageInfo) info = NULL;
  GError *error = NULL;
  DiskCopy *copy = g_ptr_array_index (self->copies, self->next_copy - 1);

  info = hv_image_store_create_finish (HV_IMAGE_STORE (source), result, &error);
  if (info == NULL)
    {
      g_prefix_error (&error, _("Cannot make the copy of %s: "), copy->source_path);
      incoming_fail (self, error);
      return;
    }
  copy->created = TRUE;
  if (self->step != STEP_PREPARING)
    {
      incoming_cleanup (self);
      return;
    }
  create_next_copy (self);
}

static void
create_next_copy (HvMigration *self)
{
  DiskCopy *copy;
  g_autofree char *name = NULL;

  if (self->next_copy == 0 && self->copies->len > 0)
    write_copies_record (self);
  if (self->next_copy >= self->copies->len)
    {
      start_incoming_qemu (self);
      return;
    }
  copy = g_ptr_array_index (self->copies, self->next_copy++);
  name = g_path_get_basename (copy->path);
  hv_image_store_create_async (self->context.images, name, copy->format, copy->size, NULL,
                               on_copy_created, g_object_ref (self));
}

/* Decides the copies and rewrites the config's disk entries to them. */
static gboolean
plan_copies (HvMigration               *self,
             HvConfig                  *config,
             const HvDomainSpec        *spec,
             const HvMigrationRequest  *request,
             GError                   **error)
{
  g_auto(GStrv) entries = NULL;
  const char *store = hv_image_store_get_dir (self->context.images);

  if (!self->copy_storage)
    return TRUE;
  if (!hv_config_get_string_list (config, "disk", &entries, NULL) || entries == NULL)
    return TRUE;
  for (guint i = 0; i < spec->disks->len; i++)
    {
      const HvDiskSpec *disk = g_ptr_array_index (spec->disks, i);
      g_autofree char *base = NULL;
      g_autofree char *path = NULL;
      g_autoptr(GString) entry = NULL;
      gint64 file_size;
      gint64 size;
      DiskCopy *copy;

      if (disk->number == 0 || !disk_is_copyable (disk) || disk->number > g_strv_length (entries))
        continue;
      size = requested_size (request->disks, disk->path);
      if (size <= 0)
        size = local_virtual_size (disk->path, &file_size);
      if (size <= 0)
        {
          g_set_error (error, HV_RPC_ERROR, HV_RPC_ERROR_MIGRATION_REFUSED,
                       _("%s: the size of the disk is unknown; give size_bytes"), disk->path);
          return FALSE;
        }
      base = g_path_get_basename (disk->path);
      path = g_build_filename (store, base, NULL);
      if (g_file_test (path, G_FILE_TEST_EXISTS))
        {
          g_autofree char *unique = g_strdup_printf ("%.8s-%s", self->id, base);

          g_free (path);
          path = g_build_filename (store, unique, NULL);
        }
      entry = g_string_new (entries[disk->number - 1]);
      if (strstr (entry->str, disk->path) == NULL)
        {
          g_set_error (error, HV_RPC_ERROR, HV_RPC_ERROR_MIGRATION_REFUSED,
                       _("disk %u: the entry does not spell its path out; write the absolute path"), disk->number);
          return FALSE;
        }
      g_string_replace (entry, disk->path, path, 1);
      g_free (entries[disk->number - 1]);
      entries[disk->number - 1] = g_string_free (g_steal_pointer (&entry), FALSE);

      copy = g_new0 (DiskCopy, 1);
      copy->source_path = g_strdup (disk->path);
      copy->path = g_steal_pointer (&path);
      copy->format = g_strdup (disk->format);
      copy->export_name = g_strdup_printf ("disk%u", disk->number - 1);
      copy->size = (guint64) size;
      g_ptr_array_add (self->copies, copy);
    }
  hv_config_set_string_list (config, "disk", (const char * const *) entries);
  return TRUE;
}

void
hv_migration_prepare (HvMigration *self,
                      HvRpcCall   *call)
{
  g_autoptr(HvConfig) config = NULL;
  g_autoptr(HvDomainSpec) spec = NULL;
  g_autofree char *file = NULL;
  GError *error = NULL;
  HvMigrationRequest request = { 0 };

  g_return_if_fail (HV_IS_MIGRATION (self) && self->incoming && self->step == STEP_NEW);

  self->call = call;
  self->step = STEP_PREPARING;
  watch_peer (self, call);
  /* The daemon checked the request; here it is read once more for what it asks. */
  request.config_text = self->request_text;
  request.name = self->name;
  request.disks = self->request_disks;
  spec = parse_request (&request, &config, &error);
  if (spec == NULL || !plan_copies (self, config, spec, &request, &error))
    {
      incoming_fail (self, error);
      return;
    }
  self->config_text = hv_config_to_data (config, NULL);
  file = g_strdup_printf ("%s.cfg", self->name);
  /* Not in the config folder yet: the domain is not this host's until finish. */
  self->temp_config_path = g_build_filename (self->context.incoming_dir, file, NULL);
  self->next_copy = 0;
  create_next_copy (self);
}

/* Finish */

static void
on_finished_cont (HvMigration  *self,
                  JsonNode     *reply,
                  const GError *error);

static void
adopt (HvMigration   *self,
       HvDomainState  state)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(GError) error = NULL;

  if (!hv_host_adopt_incoming (self->context.host, self->domain, self->config_text, &error))
    {
      /* The guest runs: it must not be killed for a file; it keeps its temporary config. */
      g_message ("migration of %s: %s", self->name, error->message);
    }
  else if (self->temp_config_path != NULL)
    g_unlink (self->temp_config_path);
  {
    g_autofree char *record = copies_record_path (self);

    g_unlink (record);
  }
  if (self->ended_id != 0)
    g_signal_handler_disconnect (self->domain, self->ended_id);
  self->ended_id = 0;
  hv_domain_complete_incoming (self->domain, state);
  g_message ("migration of %s: arrived (id %" G_GINT64_FORMAT ")", self->name, hv_domain_get_id (self->domain));

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, self->name);
  json_builder_set_member_name (builder, "id");
  json_builder_add_int_value (builder, hv_domain_get_id (self->domain));
  json_builder_end_object (builder);
  answer (self, json_builder_get_root (builder));
  set_done (self);
}

static void
on_finished_cont (HvMigration  *self,
                  JsonNode     *reply,
                  const GError *error)
{
  if (error != NULL)
    g_message ("migration of %s: cont failed: %s", self->name, error->message);
  adopt (self, error == NULL ? HV_DOMAIN_STATE_RUNNING : HV_DOMAIN_STATE_PAUSED);
}

static void
on_finished_status (HvMigration  *self,
                    JsonNode     *reply,
                    const GError *error)
{
  JsonObject *status = domus_json_node_get_object (reply);
  gboolean running = status != NULL && json_object_get_boolean_member_with_default (status, "running", FALSE);

  if (error != NULL)
    {
      incoming_fail (self, g_error_copy (error));
      return;
    }
  if (running)
    adopt (self, HV_DOMAIN_STATE_RUNNING);
  else if (self->resume)
    qmp_run (self, "cont", NULL, -1, on_finished_cont);
  else
    adopt (self, HV_DOMAIN_STATE_PAUSED);
}

static void
on_nbd_stopped (HvMigration  *self,
                JsonNode     *reply,
                const GError *error)
{
  if (error != NULL)
    g_debug ("migration of %s: nbd-server-stop: %s", self->name, error->message);
  qmp_run (self, "query-status", NULL, -1, on_finished_status);
}

static void poll_incoming (HvMigration *self);

static gboolean
poll_incoming_again (gpointer user_data)
{
  HvMigration *self = user_data;

  self->poll_id = 0;
  poll_incoming (self);
  return G_SOURCE_REMOVE;
}

static void
on_incoming_info (HvMigration  *self,
                  JsonNode     *reply,
                  const GError *error)
{
  JsonObject *info = domus_json_node_get_object (reply);
  const char *status = info != NULL ? json_object_get_string_member_with_default (info, "status", "none") : "none";

  if (self->step != STEP_FINISHING)
    return;
  if (error != NULL)
    {
      incoming_fail (self, g_error_copy (error));
      return;
    }
  if (g_str_equal (status, "completed"))
    {
      self->received = TRUE;
      if (self->nbd_socket != NULL)
        {
          stop_nbd_gate (self);
          qmp_run (self, "nbd-server-stop", NULL, -1, on_nbd_stopped);
        }
      else
        qmp_run (self, "query-status", NULL, -1, on_finished_status);
      return;
    }
  if (g_str_equal (status, "failed") || g_str_equal (status, "cancelled") ||
      ++self->finish_polls > FINISH_POLL_LIMIT)
    {
      incoming_fail (self, g_error_new (HV_RPC_ERROR, HV_RPC_ERROR_MIGRATION_FAILED,
                                        _("The incoming migration did not complete (QEMU says %s)"), status));
      return;
    }
  self->poll_id = g_timeout_add (FINISH_POLL_MS, poll_incoming_again, self);
}

static void
poll_incoming (HvMigration *self)
{
  qmp_run (self, "query-migrate", NULL, -1, on_incoming_info);
}

void
hv_migration_finish (HvMigration *self,
                     gboolean     success,
                     gboolean     resume,
                     HvRpcCall   *call)
{
  g_return_if_fail (HV_IS_MIGRATION (self) && self->incoming);

  if (self->step == STEP_DONE || self->step == STEP_CLEANING || self->step == STEP_FINISHING)
    {
      if (call == NULL)
        return;
      if (!success && self->step == STEP_CLEANING)
        g_ptr_array_add (self->waiters, call);  /* answered once the rollback is over */
      else if (!success && self->step == STEP_DONE)
        hv_rpc_call_return (call, hv_migration_new_rollback_result (self->failure));
      else
        hv_rpc_call_return_new_error (call, HV_RPC_ERROR_MIGRATION_FAILED, "%s",
                                      self->failure != NULL ? self->failure->message
                                                            : _("The migration is already ending"));
      return;
    }
  if (self->call != NULL && call != NULL)
    {
      hv_rpc_call_return_new_error (call, HV_RPC_ERROR_FAILED,
                                    _("The migration of %s is still being prepared"), self->name);
      return;
    }
  self->call = call;
  if (!success)
    {
      g_clear_error (&self->failure);
      incoming_cleanup (self);
      return;
    }
  if (self->step != STEP_RECEIVING)
    {
      incoming_fail (self, g_error_new (HV_RPC_ERROR, HV_RPC_ERROR_MIGRATION_FAILED,
                                        _("No migration stream reached this host")));
      return;
    }
  self->resume = resume;
  self->step = STEP_FINISHING;
  self->finish_polls = 0;
  poll_incoming (self);
}

/* ------------------------------------------------------------------------- */
/* Source                                                                    */

HvMigration *
hv_migration_new_outgoing (const HvMigrationContext *context,
                           HvDomain                 *domain)
{
  HvMigration *self = migration_new (context);

  self->incoming = FALSE;
  self->name = g_strdup (hv_domain_get_name (domain));
  self->domain = g_object_ref (domain);
  return self;
}

static void rollback_source (HvMigration *self);

static void
perform_fail (HvMigration *self,
              GError      *error)
{
  g_autoptr(GError) owned = error;

  if (self->step != STEP_PERFORMING)
    return;
  g_message ("migration of %s from this host failed: %s", self->name, error->message);
  g_clear_handle_id (&self->poll_id, g_source_remove);
  broadcast_progress (self, error->code == HV_RPC_ERROR_CANCELLED ? "cancelled" : "failed");
  answer_error (self, error);
  rollback_source (self);
}

static void
on_rollback_cont (HvMigration  *self,
                  JsonNode     *reply,
                  const GError *error)
{
  if (error != NULL)
    g_message ("migration of %s: cannot resume the domain here: %s", self->name, error->message);
  answer (self, empty_result ());
  set_done (self);
}

/* Whatever happened, the domain goes on here as it was. */
static void
rollback_source (HvMigration *self)
{
  self->step = STEP_CLEANING;
  g_clear_handle_id (&self->poll_id, g_source_remove);
  if (self->postcopy_started && self->completed == FALSE)
    g_message ("migration of %s: post-copy had started; the guest’s state is split between hosts",
               self->name);
  for (guint i = 0; i < self->jobs->len; i++)
    {
      JsonObject *arguments = json_object_new ();

      json_object_set_string_member (arguments, "device", g_ptr_array_index (self->jobs, i));
      json_object_set_boolean_member (arguments, "force", TRUE);
      qmp_run (self, "block-job-cancel", arguments, -1, NULL);
    }
  g_ptr_array_set_size (self->jobs, 0);
  if (self->was_running && hv_domain_get_qmp (self->domain) != NULL)
    qmp_run (self, "cont", NULL, -1, on_rollback_cont);
  else
    on_rollback_cont (self, NULL, NULL);
}

static JsonNode *
perform_result (HvMigration *self)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  JsonObject *info = self->last_info;
  JsonObject *ram = info != NULL ? domus_json_object_get_object (info, "ram") : NULL;
  JsonObject *disk = info != NULL ? domus_json_object_get_object (info, "disk") : NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "downtime_ms");
  json_builder_add_int_value (builder, domus_json_object_get_int (info, "downtime", 0));
  json_builder_set_member_name (builder, "total_ms");
  json_builder_add_int_value (builder, domus_json_object_get_int (info, "total-time", 0));
  json_builder_set_member_name (builder, "setup_ms");
  json_builder_add_int_value (builder, domus_json_object_get_int (info, "setup-time", 0));
  json_builder_set_member_name (builder, "transferred_bytes");
  json_builder_add_int_value (builder, domus_json_object_get_int (ram, "transferred", 0) + domus_json_object_get_int (disk, "transferred", 0));
  json_builder_set_member_name (builder, "dirty_rate_bytes_per_s");
  json_builder_add_int_value (builder, self->last_dirty_rate);
  json_builder_set_member_name (builder, "auto_converge_throttle_pct");
  json_builder_add_int_value (builder, domus_json_object_get_int (info, "cpu-throttle-percentage", 0));
  json_builder_set_member_name (builder, "postcopy");
  json_builder_add_boolean_value (builder, self->postcopy_started);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

static void
perform_succeeded (HvMigration *self)
{
  self->step = STEP_PERFORMED;
  g_message ("migration of %s: QEMU completed (downtime %" G_GINT64_FORMAT " ms, total %" G_GINT64_FORMAT " ms)",
             self->name, domus_json_object_get_int (self->last_info, "downtime", 0), domus_json_object_get_int (self->last_info, "total-time", 0));
  answer (self, perform_result (self));
}

/* The mirrors end once the source stopped: block-job-cancel after READY leaves a consistent copy. */
static void poll_jobs_gone (HvMigration *self);

static gboolean
poll_jobs_gone_again (gpointer user_data)
{
  HvMigration *self = user_data;

  self->poll_id = 0;
  poll_jobs_gone (self);
  return G_SOURCE_REMOVE;
}

static gboolean
job_listed (JsonArray  *jobs,
            const char *id)
{
  for (guint i = 0; jobs != NULL && i < json_array_get_length (jobs); i++)
    {
      JsonObject *job = json_array_get_object_element (jobs, i);

      if (job != NULL && g_strcmp0 (json_object_get_string_member_with_default (job, "device", NULL), id) == 0)
        return TRUE;
    }
  return FALSE;
}

static void
on_jobs_gone_listed (HvMigration  *self,
                     JsonNode     *reply,
                     const GError *error)
{
  JsonArray *jobs = reply != NULL && JSON_NODE_HOLDS_ARRAY (reply) ? json_node_get_array (reply) : NULL;

  if (self->step != STEP_PERFORMING)
    return;
  for (guint i = 0; error == NULL && i < self->jobs->len; i++)
    if (job_listed (jobs, g_ptr_array_index (self->jobs, i)))
      {
        self->poll_id = g_timeout_add (10, poll_jobs_gone_again, self);
        return;
      }
  g_ptr_array_set_size (self->jobs, 0);
  perform_succeeded (self);
}

static void
poll_jobs_gone (HvMigration *self)
{
  qmp_run (self, "query-block-jobs", NULL, -1, on_jobs_gone_listed);
}

static void
end_mirrors (HvMigration *self)
{
  for (guint i = 0; i < self->jobs->len; i++)
    {
      JsonObject *arguments = json_object_new ();

      json_object_set_string_member (arguments, "device", g_ptr_array_index (self->jobs, i));
      qmp_run (self, "block-job-cancel", arguments, -1, NULL);
    }
  poll_jobs_gone (self);
}

static void poll_migration (HvMigration *self);

static gboolean
poll_migration_again (gpointer user_data)
{
  HvMigration *self = user_data;

  self->poll_id = 0;
  poll_migration (self);
  return G_SOURCE_REMOVE;
}

static void
on_migration_info (HvMigration  *self,
                   JsonNode     *reply,
                   const GError *error)
{
  JsonObject *info = domus_json_node_get_object (reply);
  const char *status;
  JsonObject *ram;

  if (self->step != STEP_PERFORMING)
    return;
  if (error != NULL)
    {
      perform_fail (self, g_error_copy (error));
      return;
    }
  status = json_object_get_string_member_with_default (info, "status", "none");
  g_clear_pointer (&self->last_info, json_object_unref);
  self->last_info = json_object_ref (info);
  ram = domus_json_object_get_object (info, "ram");
  if (ram != NULL && domus_json_object_get_int (ram, "dirty-pages-rate", 0) > 0)
    self->last_dirty_rate = domus_json_object_get_int (ram, "dirty-pages-rate", 0) * MAX (domus_json_object_get_int (ram, "page-size", 0), 4096);

  if (g_str_equal (status, "completed"))
    {
      self->completed = TRUE;
      broadcast_progress (self, "completed");
      end_mirrors (self);
      return;
    }
  if (g_str_equal (status, "failed"))
    {
      perform_fail (self, g_error_new (HV_RPC_ERROR, HV_RPC_ERROR_MIGRATION_FAILED,
                                       _("QEMU’s migration failed: %s"),
                                       json_object_get_string_member_with_default (info, "error-desc", _("no reason given"))));
      return;
    }
  if (g_str_equal (status, "cancelled"))
    {
      perform_fail (self, g_error_new (HV_RPC_ERROR, HV_RPC_ERROR_CANCELLED,
                                       _("The migration of %s was cancelled"), self->name));
      return;
    }
  if (g_str_has_prefix (status, "postcopy"))
    broadcast_progress (self, "postcopy");
  else
    broadcast_progress (self, g_str_equal (status, "setup") ? "setup" : "active");

  /* Post-copy when asked and the copy did not converge in its first passes. */
  if (self->perform.postcopy && !self->postcopy_started && g_str_equal (status, "active") &&
      domus_json_object_get_int (ram, "dirty-sync-count", 0) >= POSTCOPY_AFTER_PASSES)
    {
      self->postcopy_started = TRUE;
      qmp_run (self, "migrate-start-postcopy", NULL, -1, NULL);
    }
  self->poll_id = g_timeout_add (HV_MIGRATION_PROGRESS_MS, poll_migration_again, self);
}

static void
poll_migration (HvMigration *self)
{
  qmp_run (self, "query-migrate", NULL, -1, on_migration_info);
}

static void
on_migrate_started (HvMigration  *self,
                    JsonNode     *reply,
                    const GError *error)
{
  if (error != NULL)
    {
      perform_fail (self, g_error_new (HV_RPC_ERROR, HV_RPC_ERROR_MIGRATION_FAILED,
                                       _("QEMU did not start the migration: %s"), error->message));
      return;
    }
  poll_migration (self);
}

static void
start_migrate (HvMigration *self)
{
  JsonObject *arguments = json_object_new ();

  if (self->cancel_requested)
    {
      perform_fail (self, g_error_new (HV_RPC_ERROR, HV_RPC_ERROR_CANCELLED,
                                       _("The migration of %s was cancelled"), self->name));
      json_object_unref (arguments);
      return;
    }
  json_object_set_string_member (arguments, "uri", self->perform_uri);
  broadcast_progress (self, "setup");
  qmp_run (self, "migrate", arguments, -1, on_migrate_started);
}

static void
on_stopped (HvMigration  *self,
            JsonNode     *reply,
            const GError *error)
{
  if (error != NULL)
    {
      perform_fail (self, g_error_copy (error));
      return;
    }
  self->stopped_by_us = TRUE;
  start_migrate (self);
}

static void
after_mirrors (HvMigration *self)
{
  if (!self->perform.live && hv_domain_get_state (self->domain) == HV_DOMAIN_STATE_RUNNING)
    qmp_run (self, "stop", NULL, -1, on_stopped);
  else
    start_migrate (self);
}

static void poll_mirrors (HvMigration *self);

static gboolean
poll_mirrors_again (gpointer user_data)
{
  HvMigration *self = user_data;

  self->poll_id = 0;
  poll_mirrors (self);
  return G_SOURCE_REMOVE;
}

static void
on_mirrors_listed (HvMigration  *self,
                   JsonNode     *reply,
                   const GError *error)
{
  JsonArray *jobs = reply != NULL && JSON_NODE_HOLDS_ARRAY (reply) ? json_node_get_array (reply) : NULL;
  gboolean all_ready = TRUE;
  gint64 remaining = 0;

  if (self->step != STEP_PERFORMING)
    return;
  if (error != NULL)
    {
      perform_fail (self, g_error_copy (error));
      return;
    }
  if (self->cancel_requested)
    {
      perform_fail (self, g_error_new (HV_RPC_ERROR, HV_RPC_ERROR_CANCELLED,
                                       _("The migration of %s was cancelled"), self->name));
      return;
    }
  for (guint i = 0; i < self->jobs->len; i++)
    {
      const char *id = g_ptr_array_index (self->jobs, i);
      JsonObject *found = NULL;

      for (guint j = 0; jobs != NULL && j < json_array_get_length (jobs); j++)
        {
          JsonObject *job = json_array_get_object_element (jobs, j);

          if (g_strcmp0 (json_object_get_string_member_with_default (job, "device", NULL), id) == 0)
            found = job;
        }
      if (found == NULL)
        {
          perform_fail (self, g_error_new (HV_RPC_ERROR, HV_RPC_ERROR_MIGRATION_FAILED,
                                           _("The copy of %s to the target stopped before it was complete"), id));
          return;
        }
      if (!json_object_get_boolean_member_with_default (found, "ready", FALSE))
        all_ready = FALSE;
      remaining += domus_json_object_get_int (found, "len", 0) - domus_json_object_get_int (found, "offset", 0);
    }
  self->disk_remaining = remaining;
  broadcast_progress (self, "mirror");
  if (all_ready)
    {
      after_mirrors (self);
      return;
    }
  self->poll_id = g_timeout_add (HV_MIGRATION_PROGRESS_MS, poll_mirrors_again, self);
}

static void
poll_mirrors (HvMigration *self)
{
  qmp_run (self, "query-block-jobs", NULL, -1, on_mirrors_listed);
}

static void
on_mirror_started (HvMigration  *self,
                   JsonNode     *reply,
                   const GError *error)
{
  if (error != NULL)
    {
      perform_fail (self, g_error_new (HV_RPC_ERROR, HV_RPC_ERROR_MIGRATION_FAILED,
                                       _("QEMU cannot copy a disk to the target: %s"), error->message));
      return;
    }
}

static gboolean
start_mirrors (HvMigration  *self,
               GError      **error)
{
  const HvDomainSpec *spec = hv_domain_get_spec (self->domain);
  JsonObject *exports = domus_json_object_get_object (self->nbd, "exports");
  const char *host = json_object_get_string_member_with_default (self->nbd, "host", NULL);
  gint64 port = json_object_get_int_member_with_default (self->nbd, "port", 0);

  if (spec == NULL || exports == NULL || host == NULL || port <= 0)
    {
      g_set_error (error, HV_RPC_ERROR, HV_RPC_ERROR_INVALID_PARAMS,
                   _("nbd must be what migration.prepare answered: {host, port, exports}"));
      return FALSE;
    }
  for (guint i = 0; i < spec->disks->len; i++)
    {
      const HvDiskSpec *disk = g_ptr_array_index (spec->disks, i);
      const char *export_name;
      g_autofree char *target = NULL;
      g_autofree char *job = NULL;
      JsonObject *arguments;

      if (disk->number == 0 || !json_object_has_member (exports, disk->path))
        continue;
      export_name = json_object_get_string_member_with_default (exports, disk->path, NULL);
      if (export_name == NULL)
        continue;
      target = strchr (host, ':') != NULL
                 ? g_strdup_printf ("nbd://[%s]:%" G_GINT64_FORMAT "/%s", host, port, export_name)
                 : g_strdup_printf ("nbd://%s:%" G_GINT64_FORMAT "/%s", host, port, export_name);
      job = g_strdup_printf ("disk%u", disk->number - 1);
      arguments = json_object_new ();
      json_object_set_string_member (arguments, "job-id", job);
      json_object_set_string_member (arguments, "device", job);
      json_object_set_string_member (arguments, "target", target);
      json_object_set_string_member (arguments, "format", "raw");
      json_object_set_string_member (arguments, "sync", "full");
      json_object_set_string_member (arguments, "mode", "existing");
      g_ptr_array_add (self->jobs, g_steal_pointer (&job));
      qmp_run (self, "drive-mirror", arguments, -1, on_mirror_started);
    }
  return TRUE;
}

static void
on_parameters_set (HvMigration  *self,
                   JsonNode     *reply,
                   const GError *error)
{
  g_autoptr(GError) local_error = NULL;

  if (error != NULL)
    {
      perform_fail (self, g_error_copy (error));
      return;
    }
  if (self->nbd == NULL)
    {
      after_mirrors (self);
      return;
    }
  if (!start_mirrors (self, &local_error))
    {
      perform_fail (self, g_steal_pointer (&local_error));
      return;
    }
  broadcast_progress (self, "mirror");
  poll_mirrors (self);
}

static void
on_source_capabilities_set (HvMigration  *self,
                            JsonNode     *reply,
                            const GError *error)
{
  JsonObject *arguments;
  gint64 bandwidth = self->perform.bandwidth_mib > 0 ? self->perform.bandwidth_mib * 1024 * 1024
                                                     : UNCAPPED_BANDWIDTH_BYTES;

  if (error != NULL)
    {
      perform_fail (self, g_error_new (HV_RPC_ERROR, HV_RPC_ERROR_MIGRATION_FAILED,
                                       self->perform.postcopy ? _("Post-copy cannot be used here: %s")
                                                              : _("QEMU refused the migration capabilities: %s"),
                                       error->message));
      return;
    }
  arguments = json_object_new ();
  json_object_set_int_member (arguments, "max-bandwidth", bandwidth);
  json_object_set_int_member (arguments, "downtime-limit", self->perform.downtime_ms);
  qmp_run (self, "migrate-set-parameters", arguments, -1, on_parameters_set);
}

void
hv_migration_perform (HvMigration              *self,
                      const HvMigrationPerform *perform,
                      HvRpcCall                *call)
{
  HvDomainState state;

  g_return_if_fail (HV_IS_MIGRATION (self) && !self->incoming && self->step == STEP_NEW);

  self->call = call;
  self->step = STEP_PERFORMING;
  self->perform = *perform;
  self->perform_uri = g_strdup (perform->uri);
  self->perform.uri = self->perform_uri;
  self->perform.nbd = NULL;
  if (self->perform.downtime_ms <= 0)
    self->perform.downtime_ms = HV_MIGRATION_DEFAULT_DOWNTIME_MS;
  if (perform->nbd != NULL)
    self->nbd = json_object_ref (perform->nbd);
  self->started_us = g_get_monotonic_time ();
  watch_peer (self, call);

  state = hv_domain_get_state (self->domain);
  if (state != HV_DOMAIN_STATE_RUNNING && state != HV_DOMAIN_STATE_PAUSED)
    {
      perform_fail (self, g_error_new (HV_RPC_ERROR, HV_RPC_ERROR_NOT_RUNNING,
                                       _("Domain %s is %s: only a running or paused domain migrates"),
                                       self->name, hv_domain_state_to_string (state)));
      return;
    }
  self->was_running = state == HV_DOMAIN_STATE_RUNNING;
  /* auto-converge: a guest dirtying memory faster than the link is slowed until the copy catches up. */
  qmp_run (self, "migrate-set-capabilities",
           capabilities_arguments (capability ("auto-converge", TRUE),
                                   capability ("events", TRUE),
                                   capability ("postcopy-ram", perform->postcopy), NULL),
           -1, on_source_capabilities_set);
}

static void
on_confirmed_end (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(HvMigration) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!hv_domain_destroy_finish (HV_DOMAIN (source), result, &error))
    g_message ("migration of %s: ending QEMU here: %s", self->name, error->message);
  if (!hv_host_retire_migrated (self->context.host, self->name, &error))
    {
      g_message ("migration of %s: the config stays: %s", self->name, error->message);
      answer_error (self, error);
    }
  else
    answer (self, empty_result ());
  set_done (self);
}

void
hv_migration_confirm (HvMigration *self,
                      gboolean     success,
                      HvRpcCall   *call)
{
  g_return_if_fail (HV_IS_MIGRATION (self) && !self->incoming);

  if (self->step == STEP_DONE || self->step == STEP_CLEANING || self->step == STEP_FINISHING)
    {
      if (call != NULL && self->step == STEP_CLEANING && !success)
        g_ptr_array_add (self->waiters, call);
      else if (call != NULL)
        hv_rpc_call_return_new_error (call, HV_RPC_ERROR_FAILED,
                                      _("The migration of %s is already ending"), self->name);
      return;
    }
  if (self->step == STEP_PERFORMING)
    {
      /* confirm{false} during perform: as cancel; the perform answers "cancelled". */
      self->cancel_requested = TRUE;
      if (call != NULL)
        hv_rpc_call_return (call, empty_result ());
      if (self->call == NULL)
        {
          perform_fail (self, g_error_new (HV_RPC_ERROR, HV_RPC_ERROR_CANCELLED,
                                           _("The migration of %s was cancelled"), self->name));
          return;
        }
      qmp_run (self, "migrate_cancel", NULL, -1, NULL);
      return;
    }
  self->call = call;
  if (!success)
    {
      rollback_source (self);
      return;
    }
  if (self->step != STEP_PERFORMED)
    {
      g_autoptr(GError) error = g_error_new (HV_RPC_ERROR, HV_RPC_ERROR_FAILED,
                                             _("The migration of %s did not complete"), self->name);

      answer_error (self, error);
      return;
    }
  self->step = STEP_FINISHING;
  hv_domain_set_end_reason (self->domain, "migrated");
  hv_domain_destroy_async (self->domain, NULL, on_confirmed_end, g_object_ref (self));
}

void
hv_migration_cancel (HvMigration *self,
                     HvRpcCall   *call)
{
  g_return_if_fail (HV_IS_MIGRATION (self));

  if (self->incoming)
    {
      hv_migration_finish (self, FALSE, FALSE, NULL);
      hv_rpc_call_return (call, empty_result ());
      return;
    }
  if (self->step == STEP_PERFORMING)
    {
      self->cancel_requested = TRUE;
      qmp_run (self, "migrate_cancel", NULL, -1, NULL);
    }
  hv_rpc_call_return (call, empty_result ());
}

/* After a restart */

static void
on_abandoned_destroyed (GObject      *source,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  g_autoptr(HvHost) host = user_data;
  HvDomain *domain = HV_DOMAIN (source);

  hv_domain_destroy_finish (domain, result, NULL);
  hv_host_forget_incoming (host, domain);
}

void
hv_migration_clean_abandoned (HvHost     *host,
                              const char *incoming_dir)
{
  g_autoptr(GDir) dir = g_dir_open (incoming_dir, 0, NULL);
  const char *entry;

  while (dir != NULL && (entry = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (incoming_dir, entry, NULL);
      g_autofree char *name = NULL;
      HvDomain *domain;

      if (g_str_has_suffix (entry, ".copies"))
        {
          g_autofree char *text = NULL;
          g_auto(GStrv) lines = NULL;

          if (g_file_get_contents (path, &text, NULL, NULL))
            lines = g_strsplit (text, "\n", -1);
          for (guint i = 0; lines != NULL && lines[i] != NULL; i++)
            if (*lines[i] != '\0')
              g_unlink (lines[i]);
          g_unlink (path);
          continue;
        }
      if (!g_str_has_suffix (entry, ".cfg"))
        continue;
      name = g_strndup (entry, strlen (entry) - strlen (".cfg"));
      domain = hv_host_lookup (host, name, NULL);
      /* Its QEMU outlived the daemon: reattached, but nobody will finish it. */
      if (domain != NULL && hv_domain_is_active (domain) &&
          g_strcmp0 (hv_domain_get_config_path (domain), path) == 0)
        {
          g_message ("migration of %s to this host was abandoned when the daemon stopped; ending it", name);
          hv_domain_destroy_async (domain, NULL, on_abandoned_destroyed, g_object_ref (host));
        }
      else if (domain != NULL && hv_domain_is_active (domain) && hv_domain_get_config_path (domain) == NULL)
        {
          g_message ("migration of %s to this host was abandoned when the daemon stopped; ending it", name);
          hv_domain_destroy_async (domain, NULL, on_abandoned_destroyed, g_object_ref (host));
        }
      g_unlink (path);
    }
}
