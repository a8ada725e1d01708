/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The domusd kind's calls on guests' lives (domus-host-guests.h): domain.save and
 * domain.restore, domain.snapshot.*, domain.clone and domain.set_template, image.debian
 * with its image.progress notifications, and image.cloud (docs/protocol.md).
 */

#include "config.h"

#include <glib/gi18n-lib.h>

#include "domus-daemon-driver.h"
#include "domus-json-util.h"

/* Answers */

static void
return_protocol_error (GTask      *task,
                       const char *message)
{
  g_task_return_new_error (task, DOMUS_ERROR, DOMUS_ERROR_PROTOCOL, "%s", message);
  g_object_unref (task);
}

static void
answer_saved (DomusDaemonDriver *self,
              GTask             *task,
              JsonObject        *answer)
{
  DomusDriverFile *file;

  if (domus_json_object_get_string (answer, "file", NULL) == NULL)
    {
      return_protocol_error (task, _("The daemon did not say where it saved the domain."));
      return;
    }
  file = g_new0 (DomusDriverFile, 1);
  file->path = g_strdup (domus_json_object_get_string (answer, "file", NULL));
  file->size = MAX (domus_json_object_get_int (answer, "size_bytes", 0), 0);
  g_task_return_pointer (task, file, (GDestroyNotify) domus_driver_file_free);
  g_object_unref (task);
}

static void
answer_restored (DomusDaemonDriver *self,
                 GTask             *task,
                 JsonObject        *answer)
{
  g_autoptr(DomusDomainInfo) info = NULL;

  if (domus_json_object_get_string (answer, "name", NULL) == NULL)
    {
      return_protocol_error (task, _("The daemon did not say which domain it restored."));
      return;
    }
  info = domus_domain_info_new ();
  info->name = g_strdup (domus_json_object_get_string (answer, "name", NULL));
  if (domus_json_object_has_number (answer, "id"))
    {
      info->fields |= DOMUS_DOMAIN_INFO_ID;
      info->id = domus_json_object_get_int (answer, "id", -1);
    }
  g_task_return_pointer (task, g_steal_pointer (&info), (GDestroyNotify) domus_domain_info_free);
  g_object_unref (task);
}

static DomusSnapshot *
snapshot_from_json (JsonObject *object)
{
  const char *name = domus_json_object_get_string (object, "name", NULL);

  if (name == NULL)
    return NULL;
  return _domus_snapshot_new (name, domus_json_object_get_int (object, "date", 0),
                              domus_json_object_get_bool (object, "memory", FALSE),
                              MAX (domus_json_object_get_int (object, "vm_state_bytes", 0), 0),
                              domus_json_object_get_int (object, "guest_clock_ns", -1));
}

static void
answer_snapshots (DomusDaemonDriver *self,
                  GTask             *task,
                  JsonObject        *answer)
{
  JsonArray *snapshots = domus_json_object_get_array (answer, "snapshots");
  g_autoptr(GPtrArray) list = NULL;

  if (snapshots == NULL)
    {
      return_protocol_error (task, _("The daemon’s list of snapshots has no “snapshots” array."));
      return;
    }
  list = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < json_array_get_length (snapshots); i++)
    {
      JsonObject *entry = domus_json_node_get_object (json_array_get_element (snapshots, i));
      DomusSnapshot *snapshot = entry != NULL ? snapshot_from_json (entry) : NULL;

      if (snapshot != NULL)
        g_ptr_array_add (list, snapshot);
    }
  g_task_return_pointer (task, g_steal_pointer (&list), (GDestroyNotify) g_ptr_array_unref);
  g_object_unref (task);
}

static void
answer_cloned (DomusDaemonDriver *self,
               GTask             *task,
               JsonObject        *answer)
{
  g_task_return_pointer (task, _domus_daemon_strings_of (json_object_get_member (answer, "images")),
                         (GDestroyNotify) g_strfreev);
  g_object_unref (task);
}

/* image.debian's and image.cloud's answers: the cloud image stands where Debian's base does. */
static void
answer_new_guest (DomusDaemonDriver *self,
                  GTask             *task,
                  JsonObject        *answer)
{
  g_autoptr(DomusNewGuest) guest = NULL;
  const char *cloud_init = domus_json_object_get_string (answer, "cloud_init", NULL);

  if (domus_json_object_get_string (answer, "name", NULL) == NULL)
    {
      return_protocol_error (task, _("The daemon did not say which guest it made."));
      return;
    }
  guest = domus_new_guest_new ();
  guest->name = g_strdup (domus_json_object_get_string (answer, "name", NULL));
  guest->disk = g_strdup (domus_json_object_get_string (answer, "disk", NULL));
  guest->seed = g_strdup (domus_json_object_get_string (answer, "seed", NULL));
  guest->base = g_strdup (domus_json_object_get_string (answer, "base",
                                                        domus_json_object_get_string (answer, "image", NULL)));
  guest->base_built = domus_json_object_get_bool (answer, "base_built", FALSE);
  guest->ssh_port = (gint) CLAMP (domus_json_object_get_int (answer, "ssh_port", -1), -1, 65535);
  if (g_strcmp0 (cloud_init, "present") == 0)
    guest->cloud_init = DOMUS_CLOUD_INIT_PRESENT;
  else if (cloud_init != NULL)
    guest->cloud_init = DOMUS_CLOUD_INIT_UNKNOWN;
  guest->cloud_init_detail = g_strdup (domus_json_object_get_string (answer, "cloud_init_detail", NULL));
  g_task_return_pointer (task, g_steal_pointer (&guest), (GDestroyNotify) domus_new_guest_free);
  g_object_unref (task);
}

/* Save and restore */

static void
daemon_save_domain (DomusHostDriver *driver,
                    const char      *name,
                    const char      *file,
                    GTask           *task)
{
  JsonObject *params = _domus_daemon_name_params (name);

  if (file != NULL)
    json_object_set_string_member (params, "file", file);
  _domus_daemon_call (DOMUS_DAEMON_DRIVER (driver), "domain.save", params, task, answer_saved);
}

static void
daemon_restore_domain (DomusHostDriver *driver,
                       const char      *file,
                       GTask           *task)
{
  JsonObject *params = json_object_new ();

  json_object_set_string_member (params, "file", file);
  _domus_daemon_call (DOMUS_DAEMON_DRIVER (driver), "domain.restore", params, task, answer_restored);
}

static void
answer_saves (DomusDaemonDriver *self,
              GTask             *task,
              JsonObject        *answer)
{
  JsonArray *saves = domus_json_object_get_array (answer, "saves");
  DomusImageListing *listing;

  if (saves == NULL)
    {
      return_protocol_error (task, _("The daemon’s list of saves has no “saves” array."));
      return;
    }
  listing = g_new0 (DomusImageListing, 1);
  listing->dir = g_strdup (domus_json_object_get_string (answer, "folder", NULL));
  listing->images = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < json_array_get_length (saves); i++)
    {
      JsonObject *entry = domus_json_node_get_object (json_array_get_element (saves, i));
      const char *file = entry != NULL ? domus_json_object_get_string (entry, "file", NULL) : NULL;
      const char *domain = entry != NULL ? domus_json_object_get_string (entry, "domain", NULL) : NULL;

      if (file != NULL && domain != NULL)
        g_ptr_array_add (listing->images,
                         _domus_save_file_new (file, domain, domus_json_object_get_int (entry, "saved", 0),
                                               MAX (domus_json_object_get_int (entry, "size_bytes", 0), 0)));
    }
  g_task_return_pointer (task, listing, (GDestroyNotify) domus_image_listing_free);
  g_object_unref (task);
}

static void
daemon_list_saves (DomusHostDriver *driver,
                   GTask           *task)
{
  _domus_daemon_call (DOMUS_DAEMON_DRIVER (driver), "save.list", json_object_new (), task, answer_saves);
}

/* Snapshots */

static void
daemon_list_snapshots (DomusHostDriver *driver,
                       const char      *name,
                       GTask           *task)
{
  _domus_daemon_call (DOMUS_DAEMON_DRIVER (driver), "domain.snapshot.list", _domus_daemon_name_params (name),
                      task, answer_snapshots);
}

static const char * const snapshot_methods[] = {
  [DOMUS_SNAPSHOT_CREATE] = "domain.snapshot.create",
  [DOMUS_SNAPSHOT_REVERT] = "domain.snapshot.revert",
  [DOMUS_SNAPSHOT_DELETE] = "domain.snapshot.delete",
};

static void
daemon_snapshot_action (DomusHostDriver     *driver,
                        const char          *name,
                        const char          *snapshot,
                        DomusSnapshotAction  action,
                        GTask               *task)
{
  JsonObject *params = _domus_daemon_name_params (name);

  json_object_set_string_member (params, "snapshot", snapshot);
  _domus_daemon_call (DOMUS_DAEMON_DRIVER (driver), snapshot_methods[action], params, task,
                      _domus_daemon_answer_true);
}

/* Clones and templates */

static void
daemon_clone_domain (DomusHostDriver *driver,
                     const char      *name,
                     const char      *new_name,
                     gboolean         linked,
                     GTask           *task)
{
  JsonObject *params = _domus_daemon_name_params (name);

  json_object_set_string_member (params, "new_name", new_name);
  json_object_set_boolean_member (params, "linked", linked);
  _domus_daemon_call (DOMUS_DAEMON_DRIVER (driver), "domain.clone", params, task, answer_cloned);
}

static void
daemon_set_template (DomusHostDriver *driver,
                     const char      *name,
                     gboolean         template,
                     GTask           *task)
{
  JsonObject *params = _domus_daemon_name_params (name);

  json_object_set_boolean_member (params, "template", template);
  _domus_daemon_call (DOMUS_DAEMON_DRIVER (driver), "domain.set_template", params, task,
                      _domus_daemon_answer_true);
}

/* New guests */

/* The members both builds share; NULL and 0 are left out, so that the host's defaults hold. */
static void
set_optional_members (JsonObject *params,
                      const char *hostname,
                      const char *ssh_keys,
                      guint64     size_bytes,
                      gint64      memory_mib,
                      gint        ssh_port)
{
  if (hostname != NULL)
    json_object_set_string_member (params, "hostname", hostname);
  if (ssh_keys != NULL)
    json_object_set_string_member (params, "ssh_keys", ssh_keys);
  if (size_bytes > 0)
    json_object_set_int_member (params, "size_bytes", (gint64) MIN (size_bytes, G_MAXINT64));
  if (memory_mib > 0)
    json_object_set_int_member (params, "memory_mib", memory_mib);
  /* An older daemon knows no ssh_port: only sent when the caller chose. */
  if (ssh_port >= 0)
    json_object_set_int_member (params, "ssh_port", ssh_port);
}

static JsonObject *
debian_params (const char               *name,
               const DomusDebianRequest *request)
{
  JsonObject *params = _domus_daemon_name_params (name);

  set_optional_members (params, request->hostname, request->ssh_keys, request->size_bytes,
                        request->memory_mib, request->ssh_port);
  if (request->suite != NULL)
    json_object_set_string_member (params, "suite", request->suite);
  if (request->root_password != NULL)
    json_object_set_string_member (params, "root_password", request->root_password);
  if (request->mirror != NULL)
    json_object_set_string_member (params, "mirror", request->mirror);
  if (request->packages != NULL)
    {
      JsonArray *packages = json_array_new ();

      for (guint i = 0; request->packages[i] != NULL; i++)
        json_array_add_string_element (packages, request->packages[i]);
      json_object_set_array_member (params, "packages", packages);
    }
  return params;
}

/* A Debian build under way: its image.progress notifications go to the caller's function. */
typedef struct {
  DomusConnection        *connection;
  gulong                  handler;
  char                   *name;
  DomusBuildProgressFunc  progress;
  gpointer                progress_data;
  int                     percent;        /* the highest said so far */
  GTask                  *task;           /* the host's */
} DebianBuild;

static void
debian_build_free (DebianBuild *build)
{
  g_clear_signal_handler (&build->handler, build->connection);
  g_clear_object (&build->connection);
  g_free (build->name);
  g_free (build);
}

static void
on_image_progress (DomusConnection *connection,
                   const char      *method,
                   JsonNode        *params,
                   gpointer         user_data)
{
  DebianBuild *build = user_data;
  JsonObject *object = domus_json_node_get_object (params);
  const char *stage;

  /* Notifications go to the caller's connection only, but it may run two builds. */
  if (object == NULL || g_strcmp0 (domus_json_object_get_string (object, "name", NULL), build->name) != 0)
    return;
  stage = domus_json_object_get_string (object, "stage", "");
  build->percent = MAX (build->percent, (int) CLAMP (domus_json_object_get_int (object, "percent", 0), 0, 100));
  build->progress (domus_build_stage_from_string (stage), stage, build->percent, build->progress_data);
}

static void
on_debian_built (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  DebianBuild *build = user_data;
  GTask *task = g_steal_pointer (&build->task);
  GError *error = NULL;
  DomusNewGuest *guest = g_task_propagate_pointer (G_TASK (result), &error);

  /* No progress after the answer: the handler goes before the caller hears. */
  debian_build_free (build);
  if (guest == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, guest, (GDestroyNotify) domus_new_guest_free);
  g_object_unref (task);
}

static void
daemon_build_debian (DomusHostDriver          *driver,
                     const char               *name,
                     const DomusDebianRequest *request,
                     DomusBuildProgressFunc    progress,
                     gpointer                  progress_data,
                     GTask                    *task)
{
  DomusDaemonDriver *self = DOMUS_DAEMON_DRIVER (driver);
  DomusConnection *connection = domus_daemon_driver_get_connection (self);
  DebianBuild *build = g_new0 (DebianBuild, 1);
  GTask *call_task;

  build->name = g_strdup (name);
  build->progress = progress;
  build->progress_data = progress_data;
  build->task = task;
  if (connection != NULL && progress != NULL)
    {
      build->connection = g_object_ref (connection);
      build->handler = g_signal_connect (connection, "notification::image.progress",
                                         G_CALLBACK (on_image_progress), build);
    }
  call_task = g_task_new (self, g_task_get_cancellable (task), on_debian_built, build);
  _domus_daemon_call (self, "image.debian", debian_params (name, request), call_task, answer_new_guest);
}

static void
daemon_build_cloud (DomusHostDriver         *driver,
                    const char              *name,
                    const DomusCloudRequest *request,
                    GTask                   *task)
{
  JsonObject *params = _domus_daemon_name_params (name);

  json_object_set_string_member (params, "image", request->image);
  set_optional_members (params, request->hostname, request->ssh_keys, request->size_bytes,
                        request->memory_mib, request->ssh_port);
  if (request->user_data != NULL)
    json_object_set_string_member (params, "user_data", request->user_data);
  if (request->user != NULL)
    json_object_set_string_member (params, "user", request->user);
  if (request->format != NULL)
    json_object_set_string_member (params, "format", request->format);
  _domus_daemon_call (DOMUS_DAEMON_DRIVER (driver), "image.cloud", params, task, answer_new_guest);
}

void
_domus_daemon_guests_class_init (DomusHostDriverClass *driver_class)
{
  driver_class->save_domain = daemon_save_domain;
  driver_class->restore_domain = daemon_restore_domain;
  driver_class->list_saves = daemon_list_saves;
  driver_class->list_snapshots = daemon_list_snapshots;
  driver_class->snapshot_action = daemon_snapshot_action;
  driver_class->clone_domain = daemon_clone_domain;
  driver_class->set_template = daemon_set_template;
  driver_class->build_debian = daemon_build_debian;
  driver_class->build_cloud = daemon_build_cloud;
}
