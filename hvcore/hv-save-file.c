/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Save and restore through QEMU's migration to and from a file descriptor: the guest is
 * paused first (one pass, no dirty-page rounds), the stream goes after a small header of
 * our own that keeps the domain's config, so that `restore FILE` needs nothing else.
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "domus-json-util.h"
#include "hv-save-file.h"

G_DEFINE_QUARK (hv-save-file-error-quark, hv_save_file_error)

#define MAGIC            "DOMUS-SAVE 1\n"
#define MAX_HEADER_SIZE  (1024 * 1024)
#define POLL_INTERVAL_MS 20
#define SAVE_FD_NAME     "domus-save"
#define RESTORE_FD_NAME  "domus-restore"
/* Writing to a local file: QEMU's default cap (32 MiB/s) is for networks. */
#define FILE_BANDWIDTH   (G_GINT64_CONSTANT (1) << 40)

typedef struct {
  HvQmp    *qmp;
  int       fd;
  char     *path;
  char     *temporary;
  gboolean  was_running;
  guint     poll_id;
} Transfer;

static void
transfer_free (Transfer *transfer)
{
  g_clear_handle_id (&transfer->poll_id, g_source_remove);
  g_clear_object (&transfer->qmp);
  if (transfer->fd >= 0)
    close (transfer->fd);
  if (transfer->temporary != NULL)
    g_unlink (transfer->temporary);
  g_free (transfer->temporary);
  g_free (transfer->path);
  g_free (transfer);
}

static GError *
failed (const char *what,
        GError     *cause)
{
  GError *error = g_error_new (HV_SAVE_FILE_ERROR, HV_SAVE_FILE_ERROR_FAILED, "%s: %s", what, cause->message);

  g_error_free (cause);
  return error;
}

/* One QMP step of a transfer: the task fails with the step's error, else `next` runs. */
typedef void (*StepFunc) (GTask *task, JsonNode *reply);

static void
on_step (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  GTask *task = user_data;
  StepFunc next = g_object_get_data (G_OBJECT (task), "next-step");
  g_autoptr(JsonNode) reply = NULL;
  GError *error = NULL;

  reply = hv_qmp_execute_finish (HV_QMP (source), result, &error);
  if (reply == NULL)
    {
      const char *what = g_object_get_data (G_OBJECT (task), "step-name");

      g_task_return_error (task, failed (what, error));
      g_object_unref (task);
      return;
    }
  next (task, reply);
}

static void
step (GTask       *task,
      const char  *command,
      JsonObject  *arguments,
      int          fd,
      StepFunc     next)
{
  Transfer *transfer = g_task_get_task_data (task);

  g_object_set_data (G_OBJECT (task), "next-step", next);
  g_object_set_data_full (G_OBJECT (task), "step-name", g_strdup (command), g_free);
  if (fd >= 0)
    hv_qmp_execute_with_fd_async (transfer->qmp, command, arguments, fd, NULL, on_step, task);
  else
    hv_qmp_execute_async (transfer->qmp, command, arguments, NULL, on_step, task);
}

static void
finish (GTask  *task,
        GError *error)
{
  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

/* Saving */

static void after_save_failed (GTask *task, JsonNode *reply);

static void
save_failed (GTask  *task,
             GError *error)
{
  Transfer *transfer = g_task_get_task_data (task);

  g_object_set_data_full (G_OBJECT (task), "save-error", error, (GDestroyNotify) g_error_free);
  /* The guest goes on as it was. */
  if (transfer->was_running && !hv_qmp_is_closed (transfer->qmp))
    step (task, "cont", NULL, -1, after_save_failed);
  else
    after_save_failed (task, NULL);
}

static void
after_save_failed (GTask    *task,
                   JsonNode *reply)
{
  finish (task, g_object_steal_data (G_OBJECT (task), "save-error"));
}

static void poll_save (GTask *task, JsonNode *reply);

static gboolean
on_save_poll (gpointer user_data)
{
  GTask *task = user_data;
  Transfer *transfer = g_task_get_task_data (task);

  transfer->poll_id = 0;
  step (task, "query-migrate", NULL, -1, poll_save);
  return G_SOURCE_REMOVE;
}

static void
poll_save (GTask    *task,
           JsonNode *reply)
{
  Transfer *transfer = g_task_get_task_data (task);
  JsonObject *object = JSON_NODE_HOLDS_OBJECT (reply) ? json_node_get_object (reply) : NULL;
  const char *status = object != NULL ? json_object_get_string_member_with_default (object, "status", "") : "";

  if (g_str_equal (status, "completed"))
    {
      int fd = transfer->fd;

      transfer->fd = -1;
      if (fsync (fd) != 0 || close (fd) != 0 || g_rename (transfer->temporary, transfer->path) != 0)
        {
          save_failed (task, g_error_new (HV_SAVE_FILE_ERROR, HV_SAVE_FILE_ERROR_IO,
                                          _("Cannot write %s: %s"), transfer->path, g_strerror (errno)));
          return;
        }
      g_clear_pointer (&transfer->temporary, g_free);
      finish (task, NULL);
      return;
    }
  if (g_str_equal (status, "failed") || g_str_equal (status, "cancelled"))
    {
      const char *desc = json_object_get_string_member_with_default (object, "error-desc", status);

      save_failed (task, g_error_new (HV_SAVE_FILE_ERROR, HV_SAVE_FILE_ERROR_FAILED,
                                      _("QEMU could not save the guest to %s: %s"), transfer->path, desc));
      return;
    }
  if (g_task_return_error_if_cancelled (task))
    {
      /* migrate_cancel is fire-and-forget; the guest is resumed below by nobody: do it. */
      hv_qmp_execute_async (transfer->qmp, "migrate_cancel", NULL, NULL, NULL, NULL);
      if (transfer->was_running)
        hv_qmp_execute_async (transfer->qmp, "cont", NULL, NULL, NULL, NULL);
      g_object_unref (task);
      return;
    }
  transfer->poll_id = g_timeout_add (POLL_INTERVAL_MS, on_save_poll, task);
}

static void
after_migrate (GTask    *task,
               JsonNode *reply)
{
  poll_save (task, reply);
}

static void
after_getfd (GTask    *task,
             JsonNode *reply)
{
  g_autoptr(JsonObject) arguments = json_object_new ();

  json_object_set_string_member (arguments, "uri", "fd:" SAVE_FD_NAME);
  step (task, "migrate", arguments, -1, after_migrate);
}

static void
after_bandwidth (GTask    *task,
                 JsonNode *reply)
{
  Transfer *transfer = g_task_get_task_data (task);
  g_autoptr(JsonObject) arguments = json_object_new ();

  json_object_set_string_member (arguments, "fdname", SAVE_FD_NAME);
  step (task, "getfd", arguments, transfer->fd, after_getfd);
}

static void
after_stop (GTask    *task,
            JsonNode *reply)
{
  g_autoptr(JsonObject) arguments = json_object_new ();

  json_object_set_int_member (arguments, "max-bandwidth", FILE_BANDWIDTH);
  step (task, "migrate-set-parameters", arguments, -1, after_bandwidth);
}

static void
after_status (GTask    *task,
              JsonNode *reply)
{
  Transfer *transfer = g_task_get_task_data (task);
  JsonObject *object = JSON_NODE_HOLDS_OBJECT (reply) ? json_node_get_object (reply) : NULL;

  transfer->was_running = object != NULL && json_object_get_boolean_member_with_default (object, "running", FALSE);
  step (task, "stop", NULL, -1, after_stop);
}

static char *
make_header (const char *config_text)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autofree char *json = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "config");
  json_builder_add_string_value (builder, config_text);
  json_builder_set_member_name (builder, "saved");
  json_builder_add_int_value (builder, g_get_real_time () / G_USEC_PER_SEC);
  json_builder_end_object (builder);
  json_generator_set_root (generator, json_builder_get_root (builder));
  json = json_generator_to_data (generator, NULL);
  return g_strdup_printf ("%s%s\n", MAGIC, json);
}

static gboolean
write_all (int          fd,
           const char  *data,
           gsize        size)
{
  while (size > 0)
    {
      gssize written = write (fd, data, size);

      if (written < 0 && errno == EINTR)
        continue;
      if (written <= 0)
        return FALSE;
      data += written;
      size -= (gsize) written;
    }
  return TRUE;
}

void
hv_save_file_save_async (HvQmp               *qmp,
                         const char          *path,
                         const char          *config_text,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *base = g_path_get_basename (path);
  g_autofree char *header = make_header (config_text);
  Transfer *transfer;

  g_return_if_fail (HV_IS_QMP (qmp));
  g_task_set_source_tag (task, hv_save_file_save_async);
  transfer = g_new0 (Transfer, 1);
  transfer->qmp = g_object_ref (qmp);
  transfer->path = g_strdup (path);
  transfer->fd = -1;
  g_task_set_task_data (task, transfer, (GDestroyNotify) transfer_free);

  if (g_file_test (path, G_FILE_TEST_EXISTS))
    {
      finish (task, g_error_new (HV_SAVE_FILE_ERROR, HV_SAVE_FILE_ERROR_EXISTS,
                                 _("%s exists already; a save never writes over a file."), path));
      return;
    }
  transfer->temporary = g_strdup_printf ("%s/.%s.XXXXXX", dir, base);
  transfer->fd = g_mkstemp_full (transfer->temporary, O_RDWR | O_CLOEXEC, 0600);
  if (transfer->fd < 0 || !write_all (transfer->fd, header, strlen (header)))
    {
      GError *error = g_error_new (HV_SAVE_FILE_ERROR, HV_SAVE_FILE_ERROR_IO,
                                   _("Cannot write in %s: %s"), dir, g_strerror (errno));

      if (transfer->fd < 0)
        g_clear_pointer (&transfer->temporary, g_free);
      finish (task, error);
      return;
    }
  step (task, "query-status", NULL, -1, after_status);
}

gboolean
hv_save_file_save_finish (GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Restoring */

/* The config, and where the stream starts. */
static char *
read_header (int      fd,
             const char *path,
             gint64  *saved,
             off_t   *stream_offset,
             GError **error)
{
  g_autofree char *buffer = g_malloc (MAX_HEADER_SIZE + 1);
  g_autoptr(JsonNode) root = NULL;
  gssize size = pread (fd, buffer, MAX_HEADER_SIZE, 0);
  char *end;
  JsonObject *object;
  const char *config;

  if (size < 0)
    {
      g_set_error (error, HV_SAVE_FILE_ERROR, HV_SAVE_FILE_ERROR_IO, _("Cannot read %s: %s"), path, g_strerror (errno));
      return NULL;
    }
  buffer[size] = '\0';
  end = size > (gssize) strlen (MAGIC) ? memchr (buffer + strlen (MAGIC), '\n', (gsize) size - strlen (MAGIC)) : NULL;
  if (!g_str_has_prefix (buffer, MAGIC) || end == NULL)
    {
      g_set_error (error, HV_SAVE_FILE_ERROR, HV_SAVE_FILE_ERROR_NOT_SAVE,
                   _("%s is not a file domusctl save wrote (no “DOMUS-SAVE 1” header)."), path);
      return NULL;
    }
  *end = '\0';
  root = json_from_string (buffer + strlen (MAGIC), NULL);
  object = root != NULL && JSON_NODE_HOLDS_OBJECT (root) ? json_node_get_object (root) : NULL;
  config = object != NULL ? json_object_get_string_member_with_default (object, "config", NULL) : NULL;
  if (config == NULL)
    {
      g_set_error (error, HV_SAVE_FILE_ERROR, HV_SAVE_FILE_ERROR_NOT_SAVE,
                   _("%s: the header holds no domain configuration."), path);
      return NULL;
    }
  if (saved != NULL)
    *saved = json_object_get_int_member_with_default (object, "saved", 0);
  if (stream_offset != NULL)
    *stream_offset = (off_t) (end + 1 - buffer);
  return g_strdup (config);
}

char *
hv_save_file_read_config (const char  *path,
                          gint64      *saved,
                          GError     **error)
{
  int fd = g_open (path, O_RDONLY | O_CLOEXEC, 0);
  char *config;

  if (fd < 0)
    {
      g_set_error (error, HV_SAVE_FILE_ERROR, HV_SAVE_FILE_ERROR_IO, _("Cannot read %s: %s"), path, g_strerror (errno));
      return NULL;
    }
  config = read_header (fd, path, saved, NULL, error);
  close (fd);
  return config;
}

static void poll_restore (GTask *task, JsonNode *reply);

static gboolean
on_restore_poll (gpointer user_data)
{
  GTask *task = user_data;
  Transfer *transfer = g_task_get_task_data (task);

  transfer->poll_id = 0;
  step (task, "query-status", NULL, -1, poll_restore);
  return G_SOURCE_REMOVE;
}

static void
after_cont (GTask    *task,
            JsonNode *reply)
{
  finish (task, NULL);
}

static void
after_restore_migrate_query (GTask    *task,
                             JsonNode *reply)
{
  Transfer *transfer = g_task_get_task_data (task);
  JsonObject *object = JSON_NODE_HOLDS_OBJECT (reply) ? json_node_get_object (reply) : NULL;
  const char *status = object != NULL ? json_object_get_string_member_with_default (object, "status", "") : "";

  if (g_str_equal (status, "failed"))
    {
      finish (task, g_error_new (HV_SAVE_FILE_ERROR, HV_SAVE_FILE_ERROR_FAILED,
                                 _("QEMU could not restore the guest from %s: %s"), transfer->path,
                                 json_object_get_string_member_with_default (object, "error-desc", status)));
      return;
    }
  transfer->poll_id = g_timeout_add (POLL_INTERVAL_MS, on_restore_poll, task);
}

static void
poll_restore (GTask    *task,
              JsonNode *reply)
{
  JsonObject *object = JSON_NODE_HOLDS_OBJECT (reply) ? json_node_get_object (reply) : NULL;
  const char *status = object != NULL ? json_object_get_string_member_with_default (object, "status", "") : "";

  /* The saved guest was paused, so QEMU stays paused once the state is in. */
  if (g_str_equal (status, "paused") || g_str_equal (status, "running"))
    {
      step (task, "cont", NULL, -1, after_cont);
      return;
    }
  if (g_task_return_error_if_cancelled (task))
    {
      g_object_unref (task);
      return;
    }
  step (task, "query-migrate", NULL, -1, after_restore_migrate_query);
}

static void
after_incoming (GTask    *task,
                JsonNode *reply)
{
  Transfer *transfer = g_task_get_task_data (task);

  transfer->poll_id = g_timeout_add (POLL_INTERVAL_MS, on_restore_poll, task);
}

static void
after_restore_getfd (GTask    *task,
                     JsonNode *reply)
{
  g_autoptr(JsonObject) arguments = json_object_new ();

  json_object_set_string_member (arguments, "uri", "fd:" RESTORE_FD_NAME);
  step (task, "migrate-incoming", arguments, -1, after_incoming);
}

void
hv_save_file_restore_async (HvQmp               *qmp,
                            const char          *path,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  g_autofree char *config = NULL;
  g_autoptr(JsonObject) arguments = json_object_new ();
  Transfer *transfer;
  GError *error = NULL;
  off_t offset = 0;

  g_return_if_fail (HV_IS_QMP (qmp));
  g_task_set_source_tag (task, hv_save_file_restore_async);
  transfer = g_new0 (Transfer, 1);
  transfer->qmp = g_object_ref (qmp);
  transfer->path = g_strdup (path);
  transfer->fd = g_open (path, O_RDONLY | O_CLOEXEC, 0);
  g_task_set_task_data (task, transfer, (GDestroyNotify) transfer_free);
  if (transfer->fd < 0)
    {
      finish (task, g_error_new (HV_SAVE_FILE_ERROR, HV_SAVE_FILE_ERROR_IO,
                                 _("Cannot read %s: %s"), path, g_strerror (errno)));
      return;
    }
  config = read_header (transfer->fd, path, NULL, &offset, &error);
  if (config == NULL)
    {
      finish (task, error);
      return;
    }
  /* QEMU's copy of the descriptor shares this offset: it reads the stream after the header. */
  if (lseek (transfer->fd, offset, SEEK_SET) != offset)
    {
      finish (task, g_error_new (HV_SAVE_FILE_ERROR, HV_SAVE_FILE_ERROR_IO,
                                 _("Cannot read %s: %s"), path, g_strerror (errno)));
      return;
    }
  json_object_set_string_member (arguments, "fdname", RESTORE_FD_NAME);
  step (task, "getfd", arguments, transfer->fd, after_restore_getfd);
}

gboolean
hv_save_file_restore_finish (GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
