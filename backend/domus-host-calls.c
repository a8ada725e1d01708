/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * DomusHost's typed calls: each checks that the host can take it and hands its task to
 * the host's driver, which answers through it. The image calls also keep the host's
 * image store current.
 */

#include "config.h"

#include <glib/gi18n-lib.h>

#include "domus-fd-task.h"
#include "domus-host-private.h"

#define KLASS(self) DOMUS_HOST_DRIVER_GET_CLASS (_domus_host_get_driver (self))
#define DRIVER(self) _domus_host_get_driver (self)

/*
 * The task of a call, or NULL when it was answered already: the host is not connected,
 * or its kind cannot do that (the driver has no such vfunc).
 */
static GTask *
call_task (DomusHost           *self,
           gboolean             supported,
           GCancellable        *cancellable,
           GAsyncReadyCallback  callback,
           gpointer             user_data,
           gpointer             source_tag)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  if (domus_host_get_state (self) != DOMUS_HOST_STATE_CONNECTED)
    g_task_return_new_error (task, DOMUS_ERROR, DOMUS_ERROR_CLOSED,
                             _("%s is not connected."), domus_host_get_name (self));
  else if (!supported)
    g_task_return_new_error (task, DOMUS_ERROR, DOMUS_ERROR_NOT_SUPPORTED,
                             _("%s (a %s host) cannot do that."), domus_host_get_name (self),
                             domus_host_get_kind (self));
  else
    return g_steal_pointer (&task);
  return NULL;
}

static gpointer
finish_pointer (DomusHost     *self,
                GAsyncResult  *result,
                gpointer       source_tag,
                GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == source_tag, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static gboolean
finish_boolean (DomusHost     *self,
                GAsyncResult  *result,
                gpointer       source_tag,
                GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == source_tag, FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* The _finish of the calls whose task returns a boolean or a pointer. */
#define DEFINE_BOOLEAN_FINISH(call)                                                       \
  gboolean                                                                                \
  domus_host_##call##_finish (DomusHost *self, GAsyncResult *result, GError **error)      \
  {                                                                                       \
    return finish_boolean (self, result, domus_host_##call##_async, error);               \
  }
#define DEFINE_POINTER_FINISH(type, call)                                                 \
  type                                                                                    \
  domus_host_##call##_finish (DomusHost *self, GAsyncResult *result, GError **error)      \
  {                                                                                       \
    return finish_pointer (self, result, domus_host_##call##_async, error);               \
  }

/*
 * The body of most calls: the task (or an answer at once, see call_task()), handed to the
 * driver's vfunc with the arguments given here and the task last.
 */
#define DRIVER_CALL(vfunc, source_tag, ...)                                               \
  G_STMT_START {                                                                          \
    GTask *task_ = call_task (self, KLASS (self)->vfunc != NULL, cancellable, callback,   \
                              user_data, source_tag);                                     \
    if (task_ != NULL)                                                                    \
      KLASS (self)->vfunc (DRIVER (self), ##__VA_ARGS__, task_);                          \
  } G_STMT_END

/* Domains */

void
domus_host_list_domains_async (DomusHost           *self,
                               gboolean             all,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_return_if_fail (DOMUS_IS_HOST (self));
  DRIVER_CALL (list_domains, domus_host_list_domains_async, all);
}

DEFINE_POINTER_FINISH (GPtrArray *, list_domains)

void
domus_host_get_domain_async (DomusHost           *self,
                             const char          *name,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_return_if_fail (DOMUS_IS_HOST (self));
  g_return_if_fail (name != NULL);
  DRIVER_CALL (get_domain, domus_host_get_domain_async, name);
}

DEFINE_POINTER_FINISH (DomusDomainInfo *, get_domain)

void
domus_host_domain_action_async (DomusHost              *self,
                                const char             *name,
                                DomusDomainAction       action,
                                DomusDomainActionFlags  flags,
                                GCancellable           *cancellable,
                                GAsyncReadyCallback     callback,
                                gpointer                user_data)
{
  g_return_if_fail (DOMUS_IS_HOST (self));
  g_return_if_fail (name != NULL);
  g_return_if_fail (action <= DOMUS_DOMAIN_ACTION_DESTROY);
  DRIVER_CALL (domain_action, domus_host_domain_action_async, name, action, flags);
}

gboolean
domus_host_domain_action_finish (DomusHost     *self,
                                 GAsyncResult  *result,
                                 gint64        *id,
                                 GError       **error)
{
  GError *local_error = NULL;
  gssize value;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == domus_host_domain_action_async, FALSE);

  value = g_task_propagate_int (G_TASK (result), &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, local_error);
      return FALSE;
    }
  if (id != NULL)
    *id = value;
  return TRUE;
}

void
domus_host_get_domain_config_async (DomusHost           *self,
                                    const char          *name,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_return_if_fail (DOMUS_IS_HOST (self));
  g_return_if_fail (name != NULL);
  DRIVER_CALL (get_config, domus_host_get_domain_config_async, name);
}

/* Splits a DomusDriverFile between the return value (its text or path) and the out members. */
static char *
take_file (DomusDriverFile  *file,
           gboolean          want_text,
           char            **path,
           guint64          *size)
{
  char *value;

  if (file == NULL)
    return NULL;
  value = want_text ? g_steal_pointer (&file->text) : g_steal_pointer (&file->path);
  if (path != NULL)
    *path = g_steal_pointer (&file->path);
  if (size != NULL)
    *size = file->size;
  domus_driver_file_free (file);
  return value;
}

char *
domus_host_get_domain_config_finish (DomusHost     *self,
                                     GAsyncResult  *result,
                                     char         **path,
                                     GError       **error)
{
  return take_file (finish_pointer (self, result, domus_host_get_domain_config_async, error), TRUE, path, NULL);
}

void
domus_host_set_domain_config_async (DomusHost           *self,
                                    const char          *name,
                                    const char          *config,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_return_if_fail (DOMUS_IS_HOST (self));
  g_return_if_fail (name != NULL && config != NULL);
  DRIVER_CALL (set_config, domus_host_set_domain_config_async, name, config);
}

DEFINE_BOOLEAN_FINISH (set_domain_config)

void
domus_host_set_domain_values_async (DomusHost           *self,
                                    const char          *name,
                                    GVariant            *values,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_autoptr(GVariant) owned = NULL;
  GTask *task;

  g_return_if_fail (DOMUS_IS_HOST (self));
  g_return_if_fail (name != NULL);
  g_return_if_fail (values != NULL && g_variant_is_of_type (values, G_VARIANT_TYPE_VARDICT));
  owned = g_variant_ref_sink (values);
  task = call_task (self, KLASS (self)->set_values != NULL, cancellable, callback, user_data,
                    domus_host_set_domain_values_async);
  if (task != NULL)
    KLASS (self)->set_values (DRIVER (self), name, owned, task);
}

DEFINE_POINTER_FINISH (char *, set_domain_values)

void
domus_host_set_domain_autostart_async (DomusHost           *self,
                                       const char          *name,
                                       gboolean             autostart,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  g_return_if_fail (DOMUS_IS_HOST (self));
  g_return_if_fail (name != NULL);
  DRIVER_CALL (set_autostart, domus_host_set_domain_autostart_async, name, autostart);
}

DEFINE_BOOLEAN_FINISH (set_domain_autostart)

/* Define and create */

static void
define (DomusHost           *self,
        const char          *config,
        const char          *filename,
        gboolean             start,
        GCancellable        *cancellable,
        GAsyncReadyCallback  callback,
        gpointer             user_data,
        gpointer             source_tag)
{
  g_return_if_fail (DOMUS_IS_HOST (self));
  g_return_if_fail (config != NULL);
  DRIVER_CALL (define, source_tag, config, filename, start);
}

void
domus_host_define_domain_async (DomusHost           *self,
                                const char          *config,
                                const char          *filename,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  define (self, config, filename, FALSE, cancellable, callback, user_data, domus_host_define_domain_async);
}

void
domus_host_create_domain_async (DomusHost           *self,
                                const char          *config,
                                const char          *filename,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  define (self, config, filename, TRUE, cancellable, callback, user_data, domus_host_create_domain_async);
}

typedef struct {
  char     *path;
  gboolean  start;
} FileRead;

static void
file_read_free (FileRead *read)
{
  g_free (read->path);
  g_free (read);
}

/* In a worker: a file may be on a slow disk. */
static void
read_config_file (GTask        *task,
                  gpointer      source,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  FileRead *read = task_data;
  g_autofree char *text = NULL;
  GError *error = NULL;

  if (!g_file_get_contents (read->path, &text, NULL, &error))
    g_task_return_error (task, error);
  else if (!g_utf8_validate (text, -1, NULL))
    g_task_return_new_error (task, DOMUS_ERROR, DOMUS_ERROR_INVALID_CONFIG,
                             _("%s is not UTF-8 text"), read->path);
  else
    g_task_return_pointer (task, g_steal_pointer (&text), g_free);
}

static void
on_config_file_read (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  DomusHost *self = DOMUS_HOST (source);
  GTask *task = user_data;
  FileRead *read = g_task_get_task_data (G_TASK (result));
  g_autofree char *text = NULL;
  GError *error = NULL;

  text = g_task_propagate_pointer (G_TASK (result), &error);
  if (text == NULL)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  KLASS (self)->define (DRIVER (self), text, read->path, read->start, task);
}

void
domus_host_define_domain_from_file_async (DomusHost           *self,
                                          const char          *path,
                                          gboolean             start,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data)
{
  g_autoptr(GTask) reading = NULL;
  GTask *task;
  FileRead *read;

  g_return_if_fail (DOMUS_IS_HOST (self));
  g_return_if_fail (path != NULL);
  task = call_task (self, KLASS (self)->define != NULL, cancellable, callback, user_data,
                    domus_host_define_domain_from_file_async);
  if (task == NULL)
    return;
  read = g_new0 (FileRead, 1);
  read->path = g_strdup (path);
  read->start = start;
  reading = g_task_new (self, cancellable, on_config_file_read, task);
  g_task_set_task_data (reading, read, (GDestroyNotify) file_read_free);
  g_task_run_in_thread (reading, read_config_file);
}

void
domus_host_create_domain_from_choices_async (DomusHost             *self,
                                             const DomusCfgChoices *choices,
                                             gboolean               start,
                                             GCancellable          *cancellable,
                                             GAsyncReadyCallback    callback,
                                             gpointer               user_data)
{
  g_autofree char *text = NULL;
  g_autofree char *filename = NULL;
  GError *error = NULL;
  GTask *task;

  g_return_if_fail (DOMUS_IS_HOST (self));
  g_return_if_fail (choices != NULL && choices->name != NULL);
  task = call_task (self, KLASS (self)->create_from_choices != NULL || KLASS (self)->define != NULL,
                    cancellable, callback, user_data, domus_host_create_domain_from_choices_async);
  if (task == NULL)
    return;
  if (KLASS (self)->create_from_choices != NULL)
    {
      KLASS (self)->create_from_choices (DRIVER (self), choices, start, task);
      return;
    }
  if ((text = domus_cfg_build (choices, &error)) == NULL)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  filename = g_strdup_printf ("%s.cfg", choices->name);
  KLASS (self)->define (DRIVER (self), text, filename, start, task);
}

char *
domus_host_write_choices (DomusHost              *self,
                          const DomusCfgChoices  *choices,
                          char                  **filename,
                          GError                **error)
{
  char *text;

  g_return_val_if_fail (DOMUS_IS_HOST (self), NULL);
  g_return_val_if_fail (choices != NULL && choices->name != NULL, NULL);
  g_return_val_if_fail (filename != NULL && *filename == NULL, NULL);

  if (KLASS (self)->write_choices != NULL)
    return KLASS (self)->write_choices (DRIVER (self), choices, filename, error);
  text = domus_cfg_build (choices, error);
  if (text != NULL)
    *filename = g_strdup_printf ("%s.cfg", choices->name);
  return text;
}

DomusDomainInfo *
domus_host_define_domain_finish (DomusHost     *self,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  gpointer tag;

  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  tag = g_task_get_source_tag (G_TASK (result));
  g_return_val_if_fail (tag == domus_host_define_domain_async || tag == domus_host_create_domain_async ||
                        tag == domus_host_define_domain_from_file_async ||
                        tag == domus_host_create_domain_from_choices_async, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
domus_host_undefine_domain_async (DomusHost           *self,
                                  const char          *name,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_return_if_fail (DOMUS_IS_HOST (self));
  g_return_if_fail (name != NULL);
  DRIVER_CALL (undefine, domus_host_undefine_domain_async, name);
}

DEFINE_BOOLEAN_FINISH (undefine_domain)

/* Dump, SysRq, consoles */

void
domus_host_dump_domain_async (DomusHost           *self,
                              const char          *name,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_return_if_fail (DOMUS_IS_HOST (self));
  g_return_if_fail (name != NULL);
  DRIVER_CALL (dump, domus_host_dump_domain_async, name);
}

char *
domus_host_dump_domain_finish (DomusHost     *self,
                               GAsyncResult  *result,
                               guint64       *size_bytes,
                               GError       **error)
{
  return take_file (finish_pointer (self, result, domus_host_dump_domain_async, error), FALSE, NULL, size_bytes);
}

void
domus_host_send_sysrq_async (DomusHost           *self,
                             const char          *name,
                             const char          *key,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_return_if_fail (DOMUS_IS_HOST (self));
  g_return_if_fail (name != NULL && key != NULL);
  DRIVER_CALL (sysrq, domus_host_send_sysrq_async, name, key);
}

DEFINE_BOOLEAN_FINISH (send_sysrq)

void
domus_host_open_console_async (DomusHost           *self,
                               const char          *name,
                               DomusConsoleKind     kind,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_return_if_fail (DOMUS_IS_HOST (self));
  g_return_if_fail (name != NULL);
  DRIVER_CALL (open_console, domus_host_open_console_async, name, kind);
}

int
domus_host_open_console_finish (DomusHost     *self,
                                GAsyncResult  *result,
                                GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), -1);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == domus_host_open_console_async, -1);
  return domus_task_propagate_fd (G_TASK (result), error);
}

/* The host */

void
domus_host_create_demo_async (DomusHost           *self,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_return_if_fail (DOMUS_IS_HOST (self));
  DRIVER_CALL (create_demo, domus_host_create_demo_async);
}

DEFINE_POINTER_FINISH (char *, create_demo)

void
domus_host_list_bridges_async (DomusHost           *self,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (DOMUS_IS_HOST (self));
  task = call_task (self, KLASS (self)->list_bridges != NULL &&
                          (domus_host_get_capabilities (self) & DOMUS_HOST_CAN_LIST_BRIDGES),
                    cancellable, callback, user_data, domus_host_list_bridges_async);
  if (task != NULL)
    KLASS (self)->list_bridges (DRIVER (self), task);
}

DEFINE_POINTER_FINISH (GStrv, list_bridges)

void
domus_host_list_networks_async (DomusHost           *self,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (DOMUS_IS_HOST (self));
  task = call_task (self, KLASS (self)->list_networks != NULL &&
                          (domus_host_get_capabilities (self) & DOMUS_HOST_CAN_NETWORKS),
                    cancellable, callback, user_data, domus_host_list_networks_async);
  if (task != NULL)
    KLASS (self)->list_networks (DRIVER (self), task);
}

DEFINE_POINTER_FINISH (GStrv, list_networks)

void
domus_host_list_pools_async (DomusHost           *self,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (DOMUS_IS_HOST (self));
  task = call_task (self, KLASS (self)->list_pools != NULL &&
                          (domus_host_get_capabilities (self) & DOMUS_HOST_CAN_POOLS),
                    cancellable, callback, user_data, domus_host_list_pools_async);
  if (task != NULL)
    KLASS (self)->list_pools (DRIVER (self), task);
}

DEFINE_POINTER_FINISH (GStrv, list_pools)

void
domus_host_ping_async (DomusHost           *self,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  g_return_if_fail (DOMUS_IS_HOST (self));
  DRIVER_CALL (ping, domus_host_ping_async);
}

DEFINE_BOOLEAN_FINISH (ping)

void
domus_host_get_archive_async (DomusHost           *self,
                              const char          *domain_name,
                              const char          *range,
                              const char          *metric,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_return_if_fail (DOMUS_IS_HOST (self));
  g_return_if_fail (range != NULL && metric != NULL);
  DRIVER_CALL (get_archive, domus_host_get_archive_async, domain_name, range, metric);
}

DEFINE_POINTER_FINISH (DomusStatsHistory *, get_archive)

/* Images: the driver's answers go through the model, so every view sees the change */

static void
on_images_listed (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  DomusHost *self = DOMUS_HOST (source);
  g_autoptr(GTask) task = user_data;
  g_autoptr(DomusImageListing) listing = NULL;
  GError *error = NULL;

  listing = g_task_propagate_pointer (G_TASK (result), &error);
  if (listing == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  _domus_host_apply_image_listing (self, GPOINTER_TO_SIZE (g_task_get_task_data (G_TASK (result))), listing);
  g_task_return_boolean (task, TRUE);
}

void
domus_host_refresh_images_async (DomusHost           *self,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  GTask *task, *listing;

  g_return_if_fail (DOMUS_IS_HOST (self));
  task = call_task (self, KLASS (self)->list_images != NULL, cancellable, callback, user_data,
                    domus_host_refresh_images_async);
  if (task == NULL)
    return;
  listing = g_task_new (self, cancellable, on_images_listed, task);
  g_task_set_task_data (listing, GSIZE_TO_POINTER (_domus_host_next_image_listing (self)), NULL);
  KLASS (self)->list_images (DRIVER (self), listing);
}

DEFINE_BOOLEAN_FINISH (refresh_images)

static void
on_image_made (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  DomusHost *self = DOMUS_HOST (source);
  g_autoptr(GTask) task = user_data;
  g_autoptr(DomusImage) made = NULL;
  GError *error = NULL;

  made = g_task_propagate_pointer (G_TASK (result), &error);
  if (made == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, g_object_ref (_domus_host_put_image (self, made)), g_object_unref);
}

/* The driver's task for an image call; its answer reaches task through done. */
static GTask *
image_task (DomusHost           *self,
            GTask               *task,
            GAsyncReadyCallback  done)
{
  return g_task_new (self, g_task_get_cancellable (task), done, task);
}

void
domus_host_create_image_async (DomusHost           *self,
                               const char          *name,
                               const char          *format,
                               guint64              size_bytes,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (DOMUS_IS_HOST (self));
  g_return_if_fail (name != NULL && format != NULL);
  task = call_task (self, KLASS (self)->create_image != NULL, cancellable, callback, user_data,
                    domus_host_create_image_async);
  if (task != NULL)
    KLASS (self)->create_image (DRIVER (self), name, format, size_bytes, image_task (self, task, on_image_made));
}

void
domus_host_clone_image_async (DomusHost           *self,
                              const char          *source,
                              const char          *name,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (DOMUS_IS_HOST (self));
  g_return_if_fail (source != NULL && name != NULL);
  task = call_task (self, KLASS (self)->clone_image != NULL, cancellable, callback, user_data,
                    domus_host_clone_image_async);
  if (task != NULL)
    KLASS (self)->clone_image (DRIVER (self), source, name, image_task (self, task, on_image_made));
}

DomusImage *
domus_host_create_image_finish (DomusHost     *self,
                                GAsyncResult  *result,
                                GError       **error)
{
  gpointer tag;

  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  tag = g_task_get_source_tag (G_TASK (result));
  g_return_val_if_fail (tag == domus_host_create_image_async || tag == domus_host_clone_image_async, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
on_image_deleted (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_task_return_error (task, error);
      return;
    }
  _domus_host_forget_image (DOMUS_HOST (source), g_object_get_data (G_OBJECT (task), "name"));
  g_task_return_boolean (task, TRUE);
}

void
domus_host_delete_image_async (DomusHost           *self,
                               const char          *name,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (DOMUS_IS_HOST (self));
  g_return_if_fail (name != NULL);
  task = call_task (self, KLASS (self)->delete_image != NULL, cancellable, callback, user_data,
                    domus_host_delete_image_async);
  if (task == NULL)
    return;
  g_object_set_data_full (G_OBJECT (task), "name", g_strdup (name), g_free);
  KLASS (self)->delete_image (DRIVER (self), name, image_task (self, task, on_image_deleted));
}

DEFINE_BOOLEAN_FINISH (delete_image)

/* Save and restore */

void
domus_host_save_domain_async (DomusHost           *self,
                              const char          *name,
                              const char          *file,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_return_if_fail (DOMUS_IS_HOST (self));
  g_return_if_fail (name != NULL);
  DRIVER_CALL (save_domain, domus_host_save_domain_async, name, file);
}

char *
domus_host_save_domain_finish (DomusHost     *self,
                               GAsyncResult  *result,
                               guint64       *size_bytes,
                               GError       **error)
{
  return take_file (finish_pointer (self, result, domus_host_save_domain_async, error), FALSE, NULL, size_bytes);
}

void
domus_host_restore_domain_async (DomusHost           *self,
                                 const char          *file,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_return_if_fail (DOMUS_IS_HOST (self));
  g_return_if_fail (file != NULL);
  DRIVER_CALL (restore_domain, domus_host_restore_domain_async, file);
}

DEFINE_POINTER_FINISH (DomusDomainInfo *, restore_domain)

void
domus_host_list_saves_async (DomusHost           *self,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_return_if_fail (DOMUS_IS_HOST (self));
  DRIVER_CALL (list_saves, domus_host_list_saves_async);
}

GPtrArray *
domus_host_list_saves_finish (DomusHost     *self,
                              GAsyncResult  *result,
                              char         **folder,
                              GError       **error)
{
  g_autoptr(DomusImageListing) listing = finish_pointer (self, result, domus_host_list_saves_async, error);

  if (listing == NULL)
    return NULL;
  if (folder != NULL)
    *folder = g_steal_pointer (&listing->dir);
  return g_steal_pointer (&listing->images);
}

/* Snapshots */

void
domus_host_list_snapshots_async (DomusHost           *self,
                                 const char          *name,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_return_if_fail (DOMUS_IS_HOST (self));
  g_return_if_fail (name != NULL);
  DRIVER_CALL (list_snapshots, domus_host_list_snapshots_async, name);
}

DEFINE_POINTER_FINISH (GPtrArray *, list_snapshots)

void
domus_host_snapshot_action_async (DomusHost           *self,
                                  const char          *name,
                                  const char          *snapshot,
                                  DomusSnapshotAction  action,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_return_if_fail (DOMUS_IS_HOST (self));
  g_return_if_fail (name != NULL && snapshot != NULL);
  g_return_if_fail (action <= DOMUS_SNAPSHOT_DELETE);
  DRIVER_CALL (snapshot_action, domus_host_snapshot_action_async, name, snapshot, action);
}

DEFINE_BOOLEAN_FINISH (snapshot_action)

/* Clones and templates */

void
domus_host_clone_domain_async (DomusHost           *self,
                               const char          *name,
                               const char          *new_name,
                               gboolean             linked,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_return_if_fail (DOMUS_IS_HOST (self));
  g_return_if_fail (name != NULL && new_name != NULL);
  DRIVER_CALL (clone_domain, domus_host_clone_domain_async, name, new_name, linked);
}

DEFINE_POINTER_FINISH (GStrv, clone_domain)

void
domus_host_set_domain_template_async (DomusHost           *self,
                                      const char          *name,
                                      gboolean             template,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  g_return_if_fail (DOMUS_IS_HOST (self));
  g_return_if_fail (name != NULL);
  DRIVER_CALL (set_template, domus_host_set_domain_template_async, name, template);
}

DEFINE_BOOLEAN_FINISH (set_domain_template)

/* New guests */

typedef struct {
  gpointer       data;
  GDestroyNotify notify;
} ProgressData;

static void
progress_data_free (ProgressData *progress)
{
  if (progress->notify != NULL)
    progress->notify (progress->data);
  g_free (progress);
}

void
domus_host_build_debian_guest_async (DomusHost                *self,
                                     const char               *name,
                                     const DomusDebianRequest *request,
                                     DomusBuildProgressFunc    progress,
                                     gpointer                  progress_data,
                                     GDestroyNotify            progress_notify,
                                     GCancellable             *cancellable,
                                     GAsyncReadyCallback       callback,
                                     gpointer                  user_data)
{
  ProgressData *held;
  GTask *task;

  g_return_if_fail (DOMUS_IS_HOST (self));
  g_return_if_fail (name != NULL && request != NULL);

  /* The caller's data lives as long as the task, which outlives its last progress call. */
  held = g_new0 (ProgressData, 1);
  held->data = progress_data;
  held->notify = progress_notify;
  task = call_task (self, KLASS (self)->build_debian != NULL, cancellable, callback, user_data,
                    domus_host_build_debian_guest_async);
  if (task == NULL)
    {
      progress_data_free (held);
      return;
    }
  g_object_set_data_full (G_OBJECT (task), "domus-progress", held, (GDestroyNotify) progress_data_free);
  KLASS (self)->build_debian (DRIVER (self), name, request, progress, progress_data, task);
}

void
domus_host_build_cloud_guest_async (DomusHost               *self,
                                    const char              *name,
                                    const DomusCloudRequest *request,
                                    GCancellable            *cancellable,
                                    GAsyncReadyCallback      callback,
                                    gpointer                 user_data)
{
  g_return_if_fail (DOMUS_IS_HOST (self));
  g_return_if_fail (name != NULL && request != NULL && request->image != NULL);
  DRIVER_CALL (build_cloud, domus_host_build_cloud_guest_async, name, request);
}

DomusNewGuest *
domus_host_build_guest_finish (DomusHost     *self,
                               GAsyncResult  *result,
                               GError       **error)
{
  gpointer tag;

  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  tag = g_task_get_source_tag (G_TASK (result));
  g_return_val_if_fail (tag == domus_host_build_debian_guest_async || tag == domus_host_build_cloud_guest_async, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Alerts */

void
domus_host_acknowledge_alerts_async (DomusHost           *self,
                                     GPtrArray           *alerts,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (guint64));
  GListModel *model;
  guint n;

  g_return_if_fail (DOMUS_IS_HOST (self));

  /* This client's own are acknowledged here at once; the host's through it, so that every
   * client sees it. */
  model = domus_host_get_alerts (self);
  n = alerts != NULL ? alerts->len : g_list_model_get_n_items (model);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(DomusAlert) alert = alerts != NULL ? g_object_ref (g_ptr_array_index (alerts, i))
                                                   : g_list_model_get_item (model, i);
      guint64 id = domus_alert_get_id (alert);

      if (domus_alert_get_acknowledged (alert))
        continue;
      if (domus_alert_get_local (alert))
        _domus_alert_set_acknowledged (alert, TRUE);
      else
        g_array_append_val (ids, id);
    }
  if (ids->len == 0)
    {
      g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

      g_task_set_source_tag (task, domus_host_acknowledge_alerts_async);
      g_task_return_boolean (task, TRUE);
      return;
    }
  DRIVER_CALL (acknowledge_alerts, domus_host_acknowledge_alerts_async,
               (const guint64 *) ids->data, ids->len, alerts == NULL);
}

DEFINE_BOOLEAN_FINISH (acknowledge_alerts)

void
domus_host_get_alert_rules_async (DomusHost           *self,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_return_if_fail (DOMUS_IS_HOST (self));
  DRIVER_CALL (get_alert_rules, domus_host_get_alert_rules_async);
}

static GVariant *
alert_rules_finish (DomusHost     *self,
                    GAsyncResult  *result,
                    gpointer       source_tag,
                    char         **config_path,
                    GError       **error)
{
  g_autoptr(DomusAlertRules) rules = finish_pointer (self, result, source_tag, error);

  if (rules == NULL)
    return NULL;
  if (config_path != NULL)
    *config_path = g_steal_pointer (&rules->config_path);
  return g_steal_pointer (&rules->rules);
}

GVariant *
domus_host_get_alert_rules_finish (DomusHost     *self,
                                   GAsyncResult  *result,
                                   char         **config_path,
                                   GError       **error)
{
  return alert_rules_finish (self, result, domus_host_get_alert_rules_async, config_path, error);
}

void
domus_host_set_alert_rules_async (DomusHost           *self,
                                  GVariant            *rules,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GVariant) sunk = NULL;

  g_return_if_fail (DOMUS_IS_HOST (self));
  g_return_if_fail (rules != NULL && g_variant_is_of_type (rules, G_VARIANT_TYPE_VARDICT));

  sunk = g_variant_ref_sink (rules);
  DRIVER_CALL (set_alert_rules, domus_host_set_alert_rules_async, sunk);
}

GVariant *
domus_host_set_alert_rules_finish (DomusHost     *self,
                                   GAsyncResult  *result,
                                   GError       **error)
{
  return alert_rules_finish (self, result, domus_host_set_alert_rules_async, NULL, error);
}
