/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Moving a domain between two hosts: the options, the stage and the results the window
 * and domusctl see. The flow itself is the hosts' kind's (domus-daemon-migration.c for
 * domusd), reached through the source's driver once both hosts are found fit.
 */

#include "config.h"

#include <glib/gi18n-lib.h>

#include "domus-host-driver.h"
#include "domus-host-private.h"
#include "domus-migration-private.h"

struct _DomusMigration
{
  GObject              parent_instance;

  DomusHost           *source;
  DomusHost           *target;
  char                *name;

  gboolean             live;
  gboolean             copy_storage;
  gboolean             postcopy;
  guint                bandwidth_mib;
  guint                downtime_ms;
  gboolean             encrypt;

  DomusMigrationStage  stage;
  gboolean             started;        /* run or start_on was called: one per object */

  guint64              result_downtime_ms;
  guint64              result_total_ms;
  guint64              result_migration_ms;
  guint64              result_setup_ms;
  guint64              result_transferred_bytes;
  guint64              result_dirty_rate;
  guint                result_throttle_pct;
  gboolean             result_postcopy;
  gboolean             result_encrypted;
  gint64               result_target_id;
};

G_DEFINE_FINAL_TYPE (DomusMigration, domus_migration, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_SOURCE,
  PROP_TARGET,
  PROP_NAME,
  PROP_LIVE,
  PROP_COPY_STORAGE,
  PROP_POSTCOPY,
  PROP_BANDWIDTH_MIB,
  PROP_DOWNTIME_MS,
  PROP_ENCRYPT,
  PROP_STAGE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  SIGNAL_PROGRESS,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

#define DEFAULT_DOWNTIME_MS 10

static const GEnumValue stage_values[] = {
  { DOMUS_MIGRATION_STAGE_IDLE,         "DOMUS_MIGRATION_STAGE_IDLE",         "idle" },
  { DOMUS_MIGRATION_STAGE_CHECKING,     "DOMUS_MIGRATION_STAGE_CHECKING",     "checking" },
  { DOMUS_MIGRATION_STAGE_PREPARING,    "DOMUS_MIGRATION_STAGE_PREPARING",    "preparing" },
  { DOMUS_MIGRATION_STAGE_MIGRATING,    "DOMUS_MIGRATION_STAGE_MIGRATING",    "migrating" },
  { DOMUS_MIGRATION_STAGE_FINISHING,    "DOMUS_MIGRATION_STAGE_FINISHING",    "finishing" },
  { DOMUS_MIGRATION_STAGE_ROLLING_BACK, "DOMUS_MIGRATION_STAGE_ROLLING_BACK", "rolling-back" },
  { DOMUS_MIGRATION_STAGE_DONE,         "DOMUS_MIGRATION_STAGE_DONE",         "done" },
  { DOMUS_MIGRATION_STAGE_FAILED,       "DOMUS_MIGRATION_STAGE_FAILED",       "failed" },
  { 0, NULL, NULL }
};

GType
domus_migration_stage_get_type (void)
{
  static gsize type_id = 0;

  if (g_once_init_enter (&type_id))
    g_once_init_leave (&type_id, g_enum_register_static (g_intern_static_string ("DomusMigrationStage"),
                                                         stage_values));
  return type_id;
}

static const GEnumValue encryption_values[] = {
  { DOMUS_MIGRATION_ENCRYPTION_UNAVAILABLE, "DOMUS_MIGRATION_ENCRYPTION_UNAVAILABLE", "unavailable" },
  { DOMUS_MIGRATION_ENCRYPTION_OPTIONAL,    "DOMUS_MIGRATION_ENCRYPTION_OPTIONAL",    "optional" },
  { DOMUS_MIGRATION_ENCRYPTION_REQUIRED,    "DOMUS_MIGRATION_ENCRYPTION_REQUIRED",    "required" },
  { 0, NULL, NULL }
};

GType
domus_migration_encryption_get_type (void)
{
  static gsize type_id = 0;

  if (g_once_init_enter (&type_id))
    g_once_init_leave (&type_id, g_enum_register_static (g_intern_static_string ("DomusMigrationEncryption"),
                                                         encryption_values));
  return type_id;
}

/* Checks */

void
domus_migration_check_free (DomusMigrationCheck *check)
{
  if (check == NULL)
    return;
  g_free (check->id);
  g_free (check->message);
  g_free (check);
}

DomusMigrationCheck *
domus_migration_check_copy (const DomusMigrationCheck *check)
{
  DomusMigrationCheck *copy;

  g_return_val_if_fail (check != NULL, NULL);
  copy = g_new0 (DomusMigrationCheck, 1);
  copy->id = g_strdup (check->id);
  copy->ok = check->ok;
  copy->message = g_strdup (check->message);
  return copy;
}

/* For the flows (domus-migration-private.h) */

void
_domus_migration_set_stage (DomusMigration      *self,
                            DomusMigrationStage  stage)
{
  g_return_if_fail (DOMUS_IS_MIGRATION (self));

  if (self->stage == stage)
    return;
  self->stage = stage;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STAGE]);
}

void
_domus_migration_emit_progress (DomusMigration               *self,
                                const DomusMigrationProgress *progress)
{
  g_return_if_fail (DOMUS_IS_MIGRATION (self));
  g_signal_emit (self, signals[SIGNAL_PROGRESS], 0, progress);
}

void
_domus_migration_set_results (DomusMigration              *self,
                              const DomusMigrationResults *results)
{
  g_return_if_fail (DOMUS_IS_MIGRATION (self));

  self->result_downtime_ms = results->downtime_ms;
  self->result_migration_ms = results->migration_ms;
  self->result_setup_ms = results->setup_ms;
  self->result_transferred_bytes = results->transferred_bytes;
  self->result_dirty_rate = results->dirty_rate;
  self->result_throttle_pct = results->throttle_pct;
  self->result_postcopy = results->postcopy_used;
}

void
_domus_migration_set_total_ms (DomusMigration *self,
                               guint64         total_ms)
{
  g_return_if_fail (DOMUS_IS_MIGRATION (self));
  self->result_total_ms = total_ms;
}

void
_domus_migration_set_target_id (DomusMigration *self,
                                gint64          id)
{
  g_return_if_fail (DOMUS_IS_MIGRATION (self));
  self->result_target_id = id;
}

void
_domus_migration_set_encrypted (DomusMigration *self,
                                gboolean        encrypted)
{
  g_return_if_fail (DOMUS_IS_MIGRATION (self));
  self->result_encrypted = encrypted;
}

gboolean
_domus_migration_wants_encryption (DomusMigration *self)
{
  g_return_val_if_fail (DOMUS_IS_MIGRATION (self), TRUE);
  return self->encrypt || domus_host_get_migration_encryption_required (self->target);
}

/* Encryption */

DomusMigrationEncryption
domus_migration_get_encryption (DomusMigration *self)
{
  g_return_val_if_fail (DOMUS_IS_MIGRATION (self), DOMUS_MIGRATION_ENCRYPTION_UNAVAILABLE);

  if (domus_host_get_migration_encryption_required (self->target))
    return DOMUS_MIGRATION_ENCRYPTION_REQUIRED;
  if ((domus_host_get_capabilities (self->source) & DOMUS_HOST_CAN_ENCRYPT_MIGRATION) &&
      (domus_host_get_capabilities (self->target) & DOMUS_HOST_CAN_ENCRYPT_MIGRATION))
    return DOMUS_MIGRATION_ENCRYPTION_OPTIONAL;
  return DOMUS_MIGRATION_ENCRYPTION_UNAVAILABLE;
}

/* TRUE when the run can be as encrypted as it must be; else the task is answered (and
 * unreferenced). Before anything is asked of either host: an older daemon would take the
 * key without a word and send the guest in clear. */
static gboolean
encryption_is_possible (DomusMigration *self,
                        GTask          *task)
{
  DomusHost *hosts[] = { self->source, self->target };

  if (!_domus_migration_wants_encryption (self))
    return TRUE;
  for (gsize i = 0; i < G_N_ELEMENTS (hosts); i++)
    if (!(domus_host_get_capabilities (hosts[i]) & DOMUS_HOST_CAN_ENCRYPT_MIGRATION))
      {
        g_task_return_new_error (task, DOMUS_ERROR, DOMUS_ERROR_NOT_SUPPORTED,
                                 !domus_host_get_migration_encryption_required (self->target)
                                 ? _("%s cannot encrypt migrations (its daemon is older than this client): update it, or migrate without encryption on loopback.")
                                 : _("%s cannot encrypt migrations (its daemon is older than this client), and the target takes only encrypted ones: update it."),
                                 domus_host_get_name (hosts[i]));
        g_object_unref (task);
        return FALSE;
      }
  return TRUE;
}

/* Starting: the hosts must be able to do it together */

/* TRUE when both hosts can be asked; else the task is answered (and unreferenced). */
static gboolean
hosts_are_fit (DomusMigration *self,
               GTask          *task,
               gboolean        supported)
{
  DomusHost *hosts[] = { self->source, self->target };

  for (gsize i = 0; i < G_N_ELEMENTS (hosts); i++)
    if (domus_host_get_state (hosts[i]) != DOMUS_HOST_STATE_CONNECTED)
      {
        g_task_return_new_error (task, DOMUS_ERROR, DOMUS_ERROR_CLOSED,
                                 _("%s is not connected."), domus_host_get_name (hosts[i]));
        g_object_unref (task);
        return FALSE;
      }
  /* Checked before anything is asked of either: nothing to undo. */
  if (g_strcmp0 (domus_host_get_kind (self->source), domus_host_get_kind (self->target)) != 0)
    {
      g_task_return_new_error (task, DOMUS_ERROR, DOMUS_ERROR_HOST_KIND_MISMATCH,
                               _("%s is a %s host and %s a %s host: a domain moves only between hosts of one kind."),
                               domus_host_get_name (self->source), domus_host_get_kind (self->source),
                               domus_host_get_name (self->target), domus_host_get_kind (self->target));
      g_object_unref (task);
      return FALSE;
    }
  if (!supported)
    {
      g_task_return_new_error (task, DOMUS_ERROR, DOMUS_ERROR_NOT_SUPPORTED,
                               _("%s hosts cannot move domains."), domus_host_get_kind (self->source));
      g_object_unref (task);
      return FALSE;
    }
  return TRUE;
}

#define SOURCE_KLASS(self) DOMUS_HOST_DRIVER_GET_CLASS (_domus_host_get_driver ((self)->source))
#define SOURCE_DRIVER(self) _domus_host_get_driver ((self)->source)
#define TARGET_DRIVER(self) _domus_host_get_driver ((self)->target)

void
domus_migration_check_async (DomusMigration      *self,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (DOMUS_IS_MIGRATION (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, domus_migration_check_async);
  if (hosts_are_fit (self, task, SOURCE_KLASS (self)->migration_check != NULL))
    SOURCE_KLASS (self)->migration_check (SOURCE_DRIVER (self), TARGET_DRIVER (self), self, task);
}

/* The client's own check, beside the target's: whether both hosts can encrypt a run
 * that must be. */
static DomusMigrationCheck *
encryption_check (DomusMigration *self)
{
  DomusMigrationCheck *check = g_new0 (DomusMigrationCheck, 1);
  DomusHost *hosts[] = { self->source, self->target };

  check->id = g_strdup ("encryption");
  check->ok = TRUE;
  for (gsize i = 0; i < G_N_ELEMENTS (hosts) && check->ok; i++)
    if (!(domus_host_get_capabilities (hosts[i]) & DOMUS_HOST_CAN_ENCRYPT_MIGRATION))
      {
        check->ok = FALSE;
        check->message = g_strdup_printf (_("%s cannot encrypt migrations: its daemon is older than this client."),
                                          domus_host_get_name (hosts[i]));
      }
  if (check->ok && g_strcmp0 (domus_host_get_kind (self->source), "libvirt") == 0)
    check->message = g_strdup (_("The memory and disks go over QEMU’s TLS, with the certificates both libvirt hosts "
                                 "must have (qemu.conf’s migrate_tls_x509_cert_dir)."));
  else if (check->ok)
    check->message = g_strdup (_("The memory and disks go over TLS, with a key made for this migration."));
  return check;
}

GPtrArray *
domus_migration_check_finish (DomusMigration  *self,
                              GAsyncResult    *result,
                              GError         **error)
{
  GPtrArray *checks;

  g_return_val_if_fail (DOMUS_IS_MIGRATION (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == domus_migration_check_async, NULL);

  checks = g_task_propagate_pointer (G_TASK (result), error);
  if (checks != NULL && _domus_migration_wants_encryption (self))
    g_ptr_array_add (checks, encryption_check (self));
  return checks;
}

/* The task of a run or a start_on, or NULL (the task answered already): this object ran
 * before (one object, one migration), or the hosts are not fit. */
static GTask *
start_task (DomusMigration      *self,
            gboolean             supported,
            GCancellable        *cancellable,
            GAsyncReadyCallback  callback,
            gpointer             user_data,
            gpointer             source_tag)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  /* A cancel mid-way ends in the flow's own error, after the rollback, not in
   * G_IO_ERROR_CANCELLED at once. */
  g_task_set_check_cancellable (task, FALSE);
  if (self->started)
    {
      g_task_return_new_error (task, DOMUS_ERROR, DOMUS_ERROR_FAILED,
                               _("This migration has run already."));
      g_object_unref (task);
      return NULL;
    }
  if (!hosts_are_fit (self, task, supported))
    return NULL;
  self->started = TRUE;
  return task;
}

void
domus_migration_run_async (DomusMigration      *self,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (DOMUS_IS_MIGRATION (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = start_task (self, SOURCE_KLASS (self)->migration_run != NULL, cancellable, callback, user_data,
                     domus_migration_run_async);
  if (task != NULL && encryption_is_possible (self, task))
    SOURCE_KLASS (self)->migration_run (SOURCE_DRIVER (self), TARGET_DRIVER (self), self, task);
}

gboolean
domus_migration_run_finish (DomusMigration  *self,
                            GAsyncResult    *result,
                            GError         **error)
{
  g_return_val_if_fail (DOMUS_IS_MIGRATION (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == domus_migration_run_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

void
domus_migration_start_on_async (DomusMigration      *self,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (DOMUS_IS_MIGRATION (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = start_task (self, SOURCE_KLASS (self)->migration_start_on != NULL, cancellable, callback, user_data,
                     domus_migration_start_on_async);
  if (task != NULL)
    SOURCE_KLASS (self)->migration_start_on (SOURCE_DRIVER (self), TARGET_DRIVER (self), self, task);
}

gboolean
domus_migration_start_on_finish (DomusMigration  *self,
                                 GAsyncResult    *result,
                                 GError         **error)
{
  g_return_val_if_fail (DOMUS_IS_MIGRATION (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == domus_migration_start_on_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Accessors */

const char *
domus_migration_get_name (DomusMigration *self)
{
  g_return_val_if_fail (DOMUS_IS_MIGRATION (self), NULL);
  return self->name;
}

DomusHost *
domus_migration_get_source (DomusMigration *self)
{
  g_return_val_if_fail (DOMUS_IS_MIGRATION (self), NULL);
  return self->source;
}

DomusHost *
domus_migration_get_target (DomusMigration *self)
{
  g_return_val_if_fail (DOMUS_IS_MIGRATION (self), NULL);
  return self->target;
}

DomusMigrationStage
domus_migration_get_stage (DomusMigration *self)
{
  g_return_val_if_fail (DOMUS_IS_MIGRATION (self), DOMUS_MIGRATION_STAGE_IDLE);
  return self->stage;
}

#define DEFINE_OPTION(type, accessor, field, prop)                              \
  void                                                                          \
  domus_migration_set_##accessor (DomusMigration *self, type value)             \
  {                                                                             \
    g_return_if_fail (DOMUS_IS_MIGRATION (self));                               \
    if (self->field == value)                                                   \
      return;                                                                   \
    self->field = value;                                                        \
    g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);               \
  }                                                                             \
  type                                                                          \
  domus_migration_get_##accessor (DomusMigration *self)                         \
  {                                                                             \
    g_return_val_if_fail (DOMUS_IS_MIGRATION (self), 0);                        \
    return self->field;                                                         \
  }

DEFINE_OPTION (gboolean, live, live, PROP_LIVE)
DEFINE_OPTION (gboolean, copy_storage, copy_storage, PROP_COPY_STORAGE)
DEFINE_OPTION (gboolean, postcopy, postcopy, PROP_POSTCOPY)
DEFINE_OPTION (guint, bandwidth_mib, bandwidth_mib, PROP_BANDWIDTH_MIB)
DEFINE_OPTION (guint, downtime_limit_ms, downtime_ms, PROP_DOWNTIME_MS)
DEFINE_OPTION (gboolean, encrypt, encrypt, PROP_ENCRYPT)

#define DEFINE_RESULT(type, getter, field, fallback)                            \
  type                                                                          \
  domus_migration_get_##getter (DomusMigration *self)                           \
  {                                                                             \
    g_return_val_if_fail (DOMUS_IS_MIGRATION (self), fallback);                 \
    return self->field;                                                         \
  }

DEFINE_RESULT (guint64, downtime_ms, result_downtime_ms, 0)
DEFINE_RESULT (guint64, total_ms, result_total_ms, 0)
DEFINE_RESULT (guint64, migration_ms, result_migration_ms, 0)
DEFINE_RESULT (guint64, setup_ms, result_setup_ms, 0)
DEFINE_RESULT (guint64, transferred_bytes, result_transferred_bytes, 0)
DEFINE_RESULT (guint64, dirty_rate, result_dirty_rate, 0)
DEFINE_RESULT (guint, throttle_pct, result_throttle_pct, 0)
DEFINE_RESULT (gboolean, postcopy_used, result_postcopy, FALSE)
DEFINE_RESULT (gboolean, encrypted, result_encrypted, FALSE)
DEFINE_RESULT (gint64, target_id, result_target_id, -1)

/* Object */

static void
domus_migration_dispose (GObject *object)
{
  DomusMigration *self = DOMUS_MIGRATION (object);

  g_clear_object (&self->source);
  g_clear_object (&self->target);
  G_OBJECT_CLASS (domus_migration_parent_class)->dispose (object);
}

static void
domus_migration_finalize (GObject *object)
{
  DomusMigration *self = DOMUS_MIGRATION (object);

  g_free (self->name);
  G_OBJECT_CLASS (domus_migration_parent_class)->finalize (object);
}

static void
domus_migration_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  DomusMigration *self = DOMUS_MIGRATION (object);

  switch (prop_id)
    {
    case PROP_SOURCE:        g_value_set_object (value, self->source); break;
    case PROP_TARGET:        g_value_set_object (value, self->target); break;
    case PROP_NAME:          g_value_set_string (value, self->name); break;
    case PROP_LIVE:          g_value_set_boolean (value, self->live); break;
    case PROP_COPY_STORAGE:  g_value_set_boolean (value, self->copy_storage); break;
    case PROP_POSTCOPY:      g_value_set_boolean (value, self->postcopy); break;
    case PROP_BANDWIDTH_MIB: g_value_set_uint (value, self->bandwidth_mib); break;
    case PROP_DOWNTIME_MS:   g_value_set_uint (value, self->downtime_ms); break;
    case PROP_ENCRYPT:       g_value_set_boolean (value, self->encrypt); break;
    case PROP_STAGE:         g_value_set_enum (value, self->stage); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
domus_migration_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  DomusMigration *self = DOMUS_MIGRATION (object);

  switch (prop_id)
    {
    case PROP_SOURCE:        self->source = g_value_dup_object (value); break;
    case PROP_TARGET:        self->target = g_value_dup_object (value); break;
    case PROP_NAME:          self->name = g_value_dup_string (value); break;
    case PROP_LIVE:          domus_migration_set_live (self, g_value_get_boolean (value)); break;
    case PROP_COPY_STORAGE:  domus_migration_set_copy_storage (self, g_value_get_boolean (value)); break;
    case PROP_POSTCOPY:      domus_migration_set_postcopy (self, g_value_get_boolean (value)); break;
    case PROP_BANDWIDTH_MIB: domus_migration_set_bandwidth_mib (self, g_value_get_uint (value)); break;
    case PROP_DOWNTIME_MS:   domus_migration_set_downtime_limit_ms (self, g_value_get_uint (value)); break;
    case PROP_ENCRYPT:       domus_migration_set_encrypt (self, g_value_get_boolean (value)); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
domus_migration_class_init (DomusMigrationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags rw = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->dispose = domus_migration_dispose;
  object_class->finalize = domus_migration_finalize;
  object_class->get_property = domus_migration_get_property;
  object_class->set_property = domus_migration_set_property;

  properties[PROP_SOURCE] =
    g_param_spec_object ("source", NULL, NULL, DOMUS_TYPE_HOST,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_TARGET] =
    g_param_spec_object ("target", NULL, NULL, DOMUS_TYPE_HOST,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_NAME] =
    g_param_spec_string ("name", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_LIVE] = g_param_spec_boolean ("live", NULL, NULL, TRUE, rw);
  properties[PROP_COPY_STORAGE] = g_param_spec_boolean ("copy-storage", NULL, NULL, FALSE, rw);
  properties[PROP_POSTCOPY] = g_param_spec_boolean ("postcopy", NULL, NULL, FALSE, rw);
  properties[PROP_BANDWIDTH_MIB] = g_param_spec_uint ("bandwidth-mib", NULL, NULL, 0, G_MAXUINT32, 0, rw);
  properties[PROP_DOWNTIME_MS] = g_param_spec_uint ("downtime-ms", NULL, NULL, 1, 60000, DEFAULT_DOWNTIME_MS, rw);
  properties[PROP_ENCRYPT] = g_param_spec_boolean ("encrypt", NULL, NULL, FALSE, rw);
  properties[PROP_STAGE] =
    g_param_spec_enum ("stage", NULL, NULL, DOMUS_TYPE_MIGRATION_STAGE, DOMUS_MIGRATION_STAGE_IDLE,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * DomusMigration::progress:
   * @progress: (type gpointer): a const DomusMigrationProgress *, valid during the emission
   *
   * The source reported how the stream goes (about every 100 ms while it runs).
   */
  signals[SIGNAL_PROGRESS] =
    g_signal_new ("progress", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
}

static void
domus_migration_init (DomusMigration *self)
{
  self->live = TRUE;
  self->downtime_ms = DEFAULT_DOWNTIME_MS;
  self->result_target_id = -1;
}

DomusMigration *
domus_migration_new (DomusHost  *source,
                     DomusHost  *target,
                     const char *name)
{
  g_return_val_if_fail (DOMUS_IS_HOST (source), NULL);
  g_return_val_if_fail (DOMUS_IS_HOST (target), NULL);
  g_return_val_if_fail (name != NULL && *name != '\0', NULL);

  return g_object_new (DOMUS_TYPE_MIGRATION, "source", source, "target", target, "name", name, NULL);
}
