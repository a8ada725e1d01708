/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Snapshots as internal qcow2 snapshots: one name on every writable disk, plus the memory
 * (in the first disk) when the guest runs. Running: QMP's snapshot-save/-load/-delete jobs;
 * shut off: qemu-img snapshot, undone on every disk when one fails. See docs/snapshots.md.
 */

#include "config.h"

#include <string.h>
#include <sys/statvfs.h>
#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>

#include "domus-json-util.h"
#include "hv-snapshots.h"
#include "hv-tool.h"

G_DEFINE_QUARK (hv-snapshot-error-quark, hv_snapshot_error)

#define MAX_NAME_LENGTH 64
/* Less room than this beside a disk, after a failure, names the full disk as its cause. */
#define FULL_DISK_BYTES (1024 * 1024)

typedef struct {
  char *path;
  char *drive_id;   /* QEMU's -drive id: "disk0" */
} Disk;

struct _HvSnapshots
{
  GObject    parent_instance;

  HvQmp     *qmp;          /* NULL: shut off */
  GPtrArray *disks;        /* Disk: the writable qcow2 ones */
  char      *unsupported;  /* why a writable disk cannot be snapshotted, or NULL */
  guint      next_job;
};

G_DEFINE_FINAL_TYPE (HvSnapshots, hv_snapshots, G_TYPE_OBJECT)

typedef enum {
  OP_CREATE,
  OP_REVERT,
  OP_DELETE,
} OpKind;

void
hv_snapshot_info_free (HvSnapshotInfo *info)
{
  if (info == NULL)
    return;
  g_free (info->name);
  g_free (info);
}

static void
disk_free (Disk *disk)
{
  g_free (disk->path);
  g_free (disk->drive_id);
  g_free (disk);
}

static void
hv_snapshots_finalize (GObject *object)
{
  HvSnapshots *self = HV_SNAPSHOTS (object);

  g_clear_object (&self->qmp);
  g_ptr_array_unref (self->disks);
  g_free (self->unsupported);
  G_OBJECT_CLASS (hv_snapshots_parent_class)->finalize (object);
}

static void
hv_snapshots_class_init (HvSnapshotsClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = hv_snapshots_finalize;
}

static void
hv_snapshots_init (HvSnapshots *self)
{
  self->disks = g_ptr_array_new_with_free_func ((GDestroyNotify) disk_free);
}

/* Why a writable disk that is not qcow2 holds no snapshot, and what the user can do. */
static char *
describe_unsupported (const HvDiskSpec *disk)
{
  /* A block device cannot be converted in place: the host's volume manager snapshots it. */
  if (g_strcmp0 (disk->backend, "phy") == 0)
    return g_strdup_printf (_("disk %u (%s) is a block device (phy:), which cannot hold snapshots: snapshot it on the host (LVM, ZFS) with the domain shut off, or make it read-only"),
                            disk->number, disk->path);
  return g_strdup_printf (_("disk %u (%s) is %s, which cannot hold snapshots: convert it to qcow2 (qemu-img convert -O qcow2) or make it read-only"),
                          disk->number, disk->path, disk->format != NULL ? disk->format : "raw");
}

HvSnapshots *
hv_snapshots_new (const HvDomainSpec *spec,
                  HvQmp              *qmp)
{
  HvSnapshots *self = g_object_new (HV_TYPE_SNAPSHOTS, NULL);

  self->qmp = qmp != NULL ? g_object_ref (qmp) : NULL;
  for (guint i = 0; i < spec->disks->len; i++)
    {
      const HvDiskSpec *spec_disk = g_ptr_array_index (spec->disks, i);
      Disk *disk;

      if (spec_disk->cdrom || spec_disk->readonly || *spec_disk->path == '\0')
        continue;
      if (g_strcmp0 (spec_disk->format, "qcow2") != 0)
        {
          /* A raw disk has nowhere to keep a snapshot; an external overlay would change
           * the file the config names. Say so rather than snapshot half the guest. */
          if (self->unsupported == NULL)
            self->unsupported = describe_unsupported (spec_disk);
          continue;
        }
      disk = g_new0 (Disk, 1);
      disk->path = g_strdup (spec_disk->path);
      disk->drive_id = g_strdup_printf ("disk%u", spec_disk->number - 1);
      g_ptr_array_add (self->disks, disk);
    }
  return self;
}

gboolean
hv_snapshot_name_is_valid (const char *name)
{
  gboolean all_digits = TRUE;

  if (name == NULL || *name == '\0' || strlen (name) > MAX_NAME_LENGTH || *name == '-' || *name == '.')
    return FALSE;
  for (const char *p = name; *p != '\0'; p++)
    {
      if (!g_ascii_isalnum (*p) && strchr ("._-", *p) == NULL)
        return FALSE;
      all_digits = all_digits && g_ascii_isdigit (*p);
    }
  return !all_digits;
}

static gboolean
check_usable (HvSnapshots  *self,
              GError      **error)
{
  if (self->unsupported != NULL)
    {
      g_set_error (error, HV_SNAPSHOT_ERROR, HV_SNAPSHOT_ERROR_UNSUPPORTED,
                   _("No snapshot: %s."), self->unsupported);
      return FALSE;
    }
  if (self->disks->len == 0)
    {
      g_set_error_literal (error, HV_SNAPSHOT_ERROR, HV_SNAPSHOT_ERROR_UNSUPPORTED,
                           _("No snapshot: the domain has no writable qcow2 disk to keep one in."));
      return FALSE;
    }
  return TRUE;
}

/* Listing: qemu-img info and QMP's query-block both describe an image's snapshots so */

static GPtrArray *
snapshots_from_json (JsonArray *snapshots)
{
  GPtrArray *list = g_ptr_array_new_with_free_func ((GDestroyNotify) hv_snapshot_info_free);

  for (guint i = 0; snapshots != NULL && i < json_array_get_length (snapshots); i++)
    {
      JsonObject *item = json_array_get_object_element (snapshots, i);
      HvSnapshotInfo *info;

      if (item == NULL)
        continue;
      info = g_new0 (HvSnapshotInfo, 1);
      info->name = g_strdup (json_object_get_string_member_with_default (item, "name", ""));
      info->date_sec = json_object_get_int_member_with_default (item, "date-sec", 0);
      info->vm_state_size = (guint64) json_object_get_int_member_with_default (item, "vm-state-size", 0);
      info->vm_clock_ns = (guint64) json_object_get_int_member_with_default (item, "vm-clock-sec", 0) * G_GUINT64_CONSTANT (1000000000) +
                          (guint64) json_object_get_int_member_with_default (item, "vm-clock-nsec", 0);
      g_ptr_array_add (list, info);
    }
  return list;
}

/* Shut off, by qemu-img (-U all the same: a QEMU started meanwhile holds the image). */

static GPtrArray *
list_disk (const Disk    *disk,
           GCancellable  *cancellable,
           GError       **error)
{
  const char *argv[] = { "qemu-img", "info", "-U", "--output=json", "-f", "qcow2", disk->path, NULL };
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  JsonArray *snapshots = NULL;
  int status = 0;

  if (!hv_tool_run (argv, NULL, &out, &err, &status, cancellable, error))
    return NULL;
  if (status == 0)
    root = json_from_string (out, NULL);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_autofree char *last = hv_tool_last_line (err);

      g_set_error (error, HV_SNAPSHOT_ERROR, HV_SNAPSHOT_ERROR_FAILED,
                   _("qemu-img could not read the snapshots of %s: %s"), disk->path, last);
      return NULL;
    }
  snapshots = domus_json_object_get_array (json_node_get_object (root), "snapshots");
  return snapshots_from_json (snapshots);
}

static HvSnapshotInfo *
find_snapshot (GPtrArray  *list,
               const char *name)
{
  for (guint i = 0; i < list->len; i++)
    {
      HvSnapshotInfo *info = g_ptr_array_index (list, i);

      if (g_str_equal (info->name, name))
        return info;
    }
  return NULL;
}

/* Drops from `list` what `other` lacks. */
static void
keep_common (GPtrArray *list,
             GPtrArray *other)
{
  for (guint i = list->len; i > 0; i--)
    if (find_snapshot (other, ((HvSnapshotInfo *) g_ptr_array_index (list, i - 1))->name) == NULL)
      g_ptr_array_remove_index (list, i - 1);
}

/* The first disk's snapshots that every other disk has too. */
static GPtrArray *
list_all (HvSnapshots   *self,
          GCancellable  *cancellable,
          GError       **error)
{
  g_autoptr(GPtrArray) list = NULL;

  if (self->disks->len == 0)
    return g_ptr_array_new_with_free_func ((GDestroyNotify) hv_snapshot_info_free);
  list = list_disk (g_ptr_array_index (self->disks, 0), cancellable, error);
  for (guint d = 1; list != NULL && d < self->disks->len; d++)
    {
      g_autoptr(GPtrArray) other = list_disk (g_ptr_array_index (self->disks, d), cancellable, error);

      if (other == NULL)
        return NULL;
      keep_common (list, other);
    }
  return g_steal_pointer (&list);
}

static void
list_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  GError *error = NULL;
  GPtrArray *list = list_all (source_object, cancellable, &error);

  if (list != NULL)
    g_task_return_pointer (task, list, (GDestroyNotify) g_ptr_array_unref);
  else
    g_task_return_error (task, error);
}

void
hv_snapshots_list_async (HvSnapshots         *self,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_return_if_fail (HV_IS_SNAPSHOTS (self));
  g_task_set_source_tag (task, hv_snapshots_list_async);
  g_task_run_in_thread (task, list_thread);
}

GPtrArray *
hv_snapshots_list_finish (HvSnapshots   *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Changes: first the checks against the list (in a thread), then the work */

typedef struct {
  OpKind   kind;
  char    *name;
  gboolean has_memory;    /* the snapshot to revert to holds memory */
  char    *job_id;
  GPtrArray *nodes;       /* block node names, running only */
  gulong   event_id;
  gulong   closed_id;
  gboolean finished;
  gboolean waiting_event; /* no QMP answer pending: only "closed" can end the wait */
} Op;

static void
op_free (Op *op)
{
  g_free (op->name);
  g_free (op->job_id);
  g_clear_pointer (&op->nodes, g_ptr_array_unref);
  g_free (op);
}

static gboolean
check_list (HvSnapshots  *self,
            Op           *op,
            GPtrArray    *list,
            GError      **error)
{
  HvSnapshotInfo *found;

  found = find_snapshot (list, op->name);
  if (op->kind == OP_CREATE && found != NULL)
    {
      g_set_error (error, HV_SNAPSHOT_ERROR, HV_SNAPSHOT_ERROR_EXISTS,
                   _("There is a snapshot “%s” already."), op->name);
      return FALSE;
    }
  if (op->kind != OP_CREATE && found == NULL)
    {
      g_set_error (error, HV_SNAPSHOT_ERROR, HV_SNAPSHOT_ERROR_NOT_FOUND,
                   _("There is no snapshot “%s”."), op->name);
      return FALSE;
    }
  op->has_memory = found != NULL && found->vm_state_size > 0;
  if (op->kind == OP_REVERT && self->qmp != NULL && !op->has_memory)
    {
      g_set_error (error, HV_SNAPSHOT_ERROR, HV_SNAPSHOT_ERROR_NO_MEMORY_STATE,
                   _("The snapshot “%s” was taken while the domain was shut off: it holds no memory to go back to in a running domain. Shut the domain off and revert then."),
                   op->name);
      return FALSE;
    }
  return TRUE;
}

/* Shut off: qemu-img on each disk, in a thread */

static gboolean
qemu_img_snapshot (const char    *flag,
                   const char    *name,
                   const Disk    *disk,
                   GCancellable  *cancellable,
                   GError       **error)
{
  /* qemu-img snapshot has no -f: the format goes in the image options (commas doubled). */
  g_auto(GStrv) parts = g_strsplit (disk->path, ",", -1);
  g_autofree char *escaped = g_strjoinv (",,", parts);
  g_autofree char *image = g_strdup_printf ("driver=qcow2,file.filename=%s", escaped);
  const char *argv[] = { "qemu-img", "snapshot", flag, name, "--image-opts", image, NULL };
  g_autofree char *err = NULL;
  int status = 0;

  if (!hv_tool_run (argv, NULL, NULL, &err, &status, cancellable, error))
    return FALSE;
  if (status != 0)
    {
      g_autofree char *last = hv_tool_last_line (err);

      g_set_error (error, HV_SNAPSHOT_ERROR, HV_SNAPSHOT_ERROR_FAILED,
                   _("qemu-img snapshot %s %s failed on %s: %s"), flag, name, disk->path, last);
      return FALSE;
    }
  return TRUE;
}

static gboolean
change_offline (HvSnapshots   *self,
                Op            *op,
                GCancellable  *cancellable,
                GError       **error)
{
  static const char * const flags[] = { [OP_CREATE] = "-c", [OP_REVERT] = "-a", [OP_DELETE] = "-d" };

  for (guint i = 0; i < self->disks->len; i++)
    if (!qemu_img_snapshot (flags[op->kind], op->name, g_ptr_array_index (self->disks, i), cancellable, error))
      {
        /* A snapshot on some disks only is no snapshot: take it back off those. */
        for (guint j = 0; op->kind == OP_CREATE && j < i; j++)
          qemu_img_snapshot ("-d", op->name, g_ptr_array_index (self->disks, j), NULL, NULL);
        return FALSE;
      }
  return TRUE;
}

static void
check_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  HvSnapshots *self = source_object;
  Op *op = task_data;
  GError *error = NULL;

  g_autoptr(GPtrArray) list = list_all (self, cancellable, &error);

  if (list == NULL || !check_list (self, op, list, &error) || !change_offline (self, op, cancellable, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

/* Running: one QMP job */

static void
job_finished (GTask  *task,
              GError *error)
{
  HvSnapshots *self = g_task_get_source_object (task);
  Op *op = g_task_get_task_data (task);

  if (op != NULL && op->finished)
    {
      g_clear_error (&error);
      return;
    }
  if (op != NULL)
    {
      op->finished = TRUE;
      g_clear_signal_handler (&op->event_id, self->qmp);
      g_clear_signal_handler (&op->closed_id, self->qmp);
    }
  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

static void
on_job_dismissed (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(JsonNode) reply = hv_qmp_execute_finish (HV_QMP (source), result, NULL);
  GTask *task = user_data;
  GError *error = g_object_steal_data (G_OBJECT (task), "job-error");

  job_finished (task, error);
}

static void
dismiss_job (GTask  *task,
             GError *job_error)
{
  HvSnapshots *self = g_task_get_source_object (task);
  Op *op = g_task_get_task_data (task);
  g_autoptr(JsonObject) arguments = json_object_new ();

  if (job_error != NULL)
    g_object_set_data_full (G_OBJECT (task), "job-error", job_error, (GDestroyNotify) g_error_free);
  json_object_set_string_member (arguments, "id", op->job_id);
  hv_qmp_execute_async (self->qmp, "job-dismiss", arguments, NULL, on_job_dismissed, task);
}

static void
on_jobs_queried (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  GTask *task = user_data;
  Op *op = g_task_get_task_data (task);
  g_autoptr(JsonNode) reply = NULL;
  GError *error = NULL;
  JsonArray *jobs;

  reply = hv_qmp_execute_finish (HV_QMP (source), result, &error);
  if (reply == NULL)
    {
      job_finished (task, error);
      return;
    }
  jobs = JSON_NODE_HOLDS_ARRAY (reply) ? json_node_get_array (reply) : NULL;
  for (guint i = 0; jobs != NULL && i < json_array_get_length (jobs); i++)
    {
      JsonObject *job = json_array_get_object_element (jobs, i);
      const char *message;

      if (job == NULL || g_strcmp0 (json_object_get_string_member_with_default (job, "id", NULL), op->job_id) != 0)
        continue;
      message = json_object_get_string_member_with_default (job, "error", NULL);
      if (message != NULL)
        error = g_error_new (HV_SNAPSHOT_ERROR, HV_SNAPSHOT_ERROR_FAILED,
                             _("QEMU could not finish the snapshot “%s”: %s"), op->name, message);
    }
  dismiss_job (task, error);
}

static void
on_qmp_event (HvQmp      *qmp,
              const char *name,
              JsonObject *data,
              gint64      timestamp_us,
              gpointer    user_data)
{
  GTask *task = user_data;
  Op *op = g_task_get_task_data (task);

  if (!g_str_equal (name, "JOB_STATUS_CHANGE") ||
      g_strcmp0 (json_object_get_string_member_with_default (data, "id", NULL), op->job_id) != 0 ||
      g_strcmp0 (json_object_get_string_member_with_default (data, "status", NULL), "concluded") != 0)
    return;
  g_clear_signal_handler (&op->event_id, qmp);
  op->waiting_event = FALSE;
  hv_qmp_execute_async (qmp, "query-jobs", NULL, NULL, on_jobs_queried, task);
}

static void
on_qmp_closed (HvQmp        *qmp,
               const GError *error,
               gpointer      user_data)
{
  GTask *task = user_data;
  Op *op = g_task_get_task_data (task);

  /* A pending QMP command fails by itself when QEMU ends, and finishes the task then. */
  if (!op->waiting_event)
    return;
  job_finished (task, g_error_new (HV_SNAPSHOT_ERROR, HV_SNAPSHOT_ERROR_FAILED,
                                   _("QEMU ended while the snapshot “%s” was being worked on."), op->name));
}

static void
on_job_started (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  GTask *task = user_data;
  Op *op = g_task_get_task_data (task);
  g_autoptr(JsonNode) reply = NULL;
  GError *error = NULL;

  reply = hv_qmp_execute_finish (HV_QMP (source), result, &error);
  if (reply == NULL)
    job_finished (task, error);
  /* Else JOB_STATUS_CHANGE says when it is over (unless it came already). */
  else if (op->event_id != 0)
    op->waiting_event = TRUE;
}

static void
start_job (GTask *task)
{
  static const char * const commands[] = {
    [OP_CREATE] = "snapshot-save", [OP_REVERT] = "snapshot-load", [OP_DELETE] = "snapshot-delete"
  };
  HvSnapshots *self = g_task_get_source_object (task);
  Op *op = g_task_get_task_data (task);
  g_autoptr(JsonObject) arguments = json_object_new ();
  JsonArray *devices = json_array_new ();

  op->job_id = g_strdup_printf ("domus-snapshot-%u", ++self->next_job);
  json_object_set_string_member (arguments, "job-id", op->job_id);
  json_object_set_string_member (arguments, "tag", op->name);
  if (op->kind != OP_DELETE)
    json_object_set_string_member (arguments, "vmstate", g_ptr_array_index (op->nodes, 0));
  for (guint i = 0; i < op->nodes->len; i++)
    json_array_add_string_element (devices, g_ptr_array_index (op->nodes, i));
  json_object_set_array_member (arguments, "devices", devices);
  op->event_id = g_signal_connect (self->qmp, "event", G_CALLBACK (on_qmp_event), task);
  op->closed_id = g_signal_connect (self->qmp, "closed", G_CALLBACK (on_qmp_closed), task);
  hv_qmp_execute_async (self->qmp, commands[op->kind], arguments, NULL, on_job_started, task);
}

static JsonObject *
find_inserted (JsonArray  *devices,
               const char *drive_id)
{
  for (guint i = 0; devices != NULL && i < json_array_get_length (devices); i++)
    {
      JsonObject *device = json_array_get_object_element (devices, i);

      if (device != NULL &&
          g_strcmp0 (json_object_get_string_member_with_default (device, "device", NULL), drive_id) == 0)
        return domus_json_object_get_object (device, "inserted");
    }
  return NULL;
}

/* One query-block gives what a running change needs: the snapshots each disk has (for the
 * checks) and the block node names QEMU's jobs want (the config knows drive ids). */
static void
on_block_queried (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  GTask *task = user_data;
  HvSnapshots *self = g_task_get_source_object (task);
  Op *op = g_task_get_task_data (task);
  g_autoptr(JsonNode) reply = NULL;
  g_autoptr(GPtrArray) list = NULL;
  GError *error = NULL;
  JsonArray *devices;

  reply = hv_qmp_execute_finish (HV_QMP (source), result, &error);
  if (reply == NULL)
    {
      job_finished (task, error);
      return;
    }
  devices = JSON_NODE_HOLDS_ARRAY (reply) ? json_node_get_array (reply) : NULL;
  op->nodes = g_ptr_array_new_with_free_func (g_free);
  for (guint d = 0; d < self->disks->len; d++)
    {
      const Disk *disk = g_ptr_array_index (self->disks, d);
      JsonObject *inserted = find_inserted (devices, disk->drive_id);
      JsonObject *image = inserted != NULL ? domus_json_object_get_object (inserted, "image") : NULL;
      const char *node = inserted != NULL ? json_object_get_string_member_with_default (inserted, "node-name", NULL) : NULL;
      g_autoptr(GPtrArray) snapshots = NULL;

      if (node == NULL)
        {
          job_finished (task, g_error_new (HV_SNAPSHOT_ERROR, HV_SNAPSHOT_ERROR_FAILED,
                                           _("QEMU has no drive %s (%s)."), disk->drive_id, disk->path));
          return;
        }
      g_ptr_array_add (op->nodes, g_strdup (node));
      snapshots = snapshots_from_json (image != NULL ? domus_json_object_get_array (image, "snapshots") : NULL);
      if (list == NULL)
        list = g_steal_pointer (&snapshots);
      else
        keep_common (list, snapshots);
    }
  if (!check_list (self, op, list, &error))
    {
      job_finished (task, error);
      return;
    }
  start_job (task);
}

static void
on_checked (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  GTask *task = user_data;
  GError *error = NULL;

  g_task_propagate_boolean (G_TASK (result), &error);
  job_finished (task, error);
}

static void
change_async (HvSnapshots         *self,
              OpKind               kind,
              const char          *name,
              GCancellable        *cancellable,
              GAsyncReadyCallback  callback,
              gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  g_autoptr(GTask) check = NULL;
  GError *error = NULL;
  Op *op;

  g_task_set_source_tag (task, hv_snapshots_change_finish);
  if (!hv_snapshot_name_is_valid (name))
    {
      g_task_return_new_error (task, HV_SNAPSHOT_ERROR, HV_SNAPSHOT_ERROR_INVALID_NAME,
                               _("“%s” is not a snapshot name (letters, digits, “.”, “_” and “-”, at most 64, not all digits)"),
                               name != NULL ? name : "");
      g_object_unref (task);
      return;
    }
  if (kind != OP_DELETE && !check_usable (self, &error))
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  op = g_new0 (Op, 1);
  op->kind = kind;
  op->name = g_strdup (name);
  g_task_set_task_data (task, op, (GDestroyNotify) op_free);
  /* task is released by job_finished. */
  if (self->qmp != NULL)
    {
      hv_qmp_execute_async (self->qmp, "query-block", NULL, NULL, on_block_queried, task);
      return;
    }
  check = g_task_new (self, cancellable, on_checked, task);
  g_task_set_task_data (check, op, NULL);
  g_task_run_in_thread (check, check_thread);
}

void
hv_snapshots_create_async (HvSnapshots         *self,
                           const char          *name,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_return_if_fail (HV_IS_SNAPSHOTS (self));
  change_async (self, OP_CREATE, name, cancellable, callback, user_data);
}

void
hv_snapshots_revert_async (HvSnapshots         *self,
                           const char          *name,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_return_if_fail (HV_IS_SNAPSHOTS (self));
  change_async (self, OP_REVERT, name, cancellable, callback, user_data);
}

void
hv_snapshots_delete_async (HvSnapshots         *self,
                           const char          *name,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_return_if_fail (HV_IS_SNAPSHOTS (self));
  change_async (self, OP_DELETE, name, cancellable, callback, user_data);
}

/* QEMU reports a full disk under a snapshot as an "Input/output error": when a disk's
 * file system has (almost) no room left, the message says that instead of leaving it to
 * be guessed. */
static void
name_full_disk (HvSnapshots *self,
                GError      *error)
{
  for (guint i = 0; i < self->disks->len; i++)
    {
      const Disk *disk = g_ptr_array_index (self->disks, i);
      struct statvfs st;
      guint64 available;
      char *message;

      if (statvfs (disk->path, &st) != 0)
        continue;
      available = (guint64) st.f_bavail * st.f_frsize;
      if (available >= FULL_DISK_BYTES)
        continue;
      message = g_strdup_printf (_("%s (the file system of %s is full: %llu KiB free)"), error->message,
                                 disk->path, (unsigned long long) (available / 1024));
      g_free (error->message);
      error->message = message;
      return;
    }
}

gboolean
hv_snapshots_change_finish (HvSnapshots   *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  GError *local = NULL;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  if (g_task_propagate_boolean (G_TASK (result), &local))
    return TRUE;
  if (g_error_matches (local, HV_SNAPSHOT_ERROR, HV_SNAPSHOT_ERROR_FAILED))
    name_full_disk (self, local);
  g_propagate_error (error, local);
  return FALSE;
}
