/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A guest the host builds, from the create assistant's Debian, Cloud image or template source.
 *
 * The steps run one after the other on the host's typed calls: the SSH key file read here
 * (it is the user's, on this computer, whichever host builds), the build (Debian reports
 * its stages as it goes), the vCPUs written into the new configuration (a built guest has
 * one), and the start. The object remembers what is done, so that a run after a failed
 * start does not build again. */

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "domus-guest-build.h"
#include "domus-key-file.h"

struct _DomusGuestBuild
{
  GObject             parent_instance;

  DomusHost          *host;
  char               *name;
  DomusDebianRequest *debian;      /* one of the two, until sent */
  DomusCloudRequest  *cloud;
  char               *template;    /* or a clone of this domain */
  gboolean            linked;
  char               *key_file;
  gint64              vcpus;
  gboolean            built;       /* defined on the host: only the start is left */
};

G_DEFINE_FINAL_TYPE (DomusGuestBuild, domus_guest_build, G_TYPE_OBJECT)

enum {
  SIGNAL_PROGRESS,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* The task's data: the step a failure belongs to. */
typedef struct {
  DomusGuestBuildStep step;
} Run;

static void
progress (DomusGuestBuild *self,
          const char      *text,
          double           fraction)
{
  g_signal_emit (self, signals[SIGNAL_PROGRESS], 0, text, fraction);
}

/* Every step passes the task on to the next; its end (this, or the last step) drops it. */
static void
fail (GTask               *task,
      DomusGuestBuildStep  step,
      GError              *error)
{
  Run *run = g_task_get_task_data (task);

  run->step = step;
  g_task_return_error (task, error);
  g_object_unref (task);
}

/* The request holds the password: overwritten before it is freed. */
static void
wipe_debian_request (DomusDebianRequest *request)
{
  if (request->root_password != NULL)
    memset (request->root_password, 0, strlen (request->root_password));
  domus_debian_request_free (request);
}

/* Step 4: the start */

static void
started (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  GTask *task = user_data;
  DomusGuestBuild *self = g_task_get_source_object (task);
  GError *error = NULL;

  if (!domus_host_domain_action_finish (DOMUS_HOST (source), result, NULL, &error))
    {
      fail (task, DOMUS_GUEST_BUILD_STEP_START, error);
      return;
    }
  g_task_return_pointer (task, g_strdup (self->name), g_free);
  g_object_unref (task);
}

static void
start (GTask *task)
{
  DomusGuestBuild *self = g_task_get_source_object (task);

  progress (self, _("Starting the domain…"), -1);
  domus_host_domain_action_async (self->host, self->name, DOMUS_DOMAIN_ACTION_START,
                                  DOMUS_DOMAIN_ACTION_FLAGS_NONE, g_task_get_cancellable (task),
                                  started, task);
}

/* Step 3: the vCPUs */

static void
vcpus_set (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  GTask *task = user_data;
  DomusGuestBuild *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  g_autofree char *config = domus_host_set_domain_values_finish (DOMUS_HOST (source), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      fail (task, DOMUS_GUEST_BUILD_STEP_START, g_steal_pointer (&error));
      return;
    }
  /* Not worth failing for: the guest runs with the one vCPU it was built with. */
  if (config == NULL)
    g_message ("%s: vcpus: %s", self->name, error->message);
  start (task);
}

static void
set_vcpus_then_start (GTask *task)
{
  DomusGuestBuild *self = g_task_get_source_object (task);
  g_autoptr(GVariantDict) values = NULL;

  if (self->vcpus <= 1)
    {
      start (task);
      return;
    }
  progress (self, _("Setting the virtual CPUs…"), -1);
  values = g_variant_dict_new (NULL);
  g_variant_dict_insert (values, "vcpus", "x", self->vcpus);
  domus_host_set_domain_values_async (self->host, self->name, g_variant_dict_end (values),
                                      g_task_get_cancellable (task), vcpus_set, task);
}

/* Step 2: the build */

static void
built (GObject      *source,
       GAsyncResult *result,
       gpointer      user_data)
{
  GTask *task = user_data;
  DomusGuestBuild *self = g_task_get_source_object (task);
  GError *error = NULL;
  g_autoptr(DomusNewGuest) guest = domus_host_build_guest_finish (DOMUS_HOST (source), result, &error);

  if (guest == NULL)
    {
      fail (task, DOMUS_GUEST_BUILD_STEP_BUILD, error);
      return;
    }
  self->built = TRUE;
  g_free (self->name);
  self->name = g_strdup (guest->name);
  set_vcpus_then_start (task);
}

static void
debian_progress (DomusBuildStage  stage,
                 const char      *stage_name,
                 int              percent,
                 gpointer         user_data)
{
  DomusGuestBuild *self = user_data;

  progress (self, stage == DOMUS_BUILD_STAGE_OTHER ? stage_name : domus_build_stage_describe (stage),
            CLAMP (percent, 0, 100) / 100.0);
}

static void
cloned (GObject      *source,
        GAsyncResult *result,
        gpointer      user_data)
{
  GTask *task = user_data;
  DomusGuestBuild *self = g_task_get_source_object (task);
  GError *error = NULL;
  g_auto(GStrv) images = domus_host_clone_domain_finish (DOMUS_HOST (source), result, &error);

  if (images == NULL)
    {
      fail (task, DOMUS_GUEST_BUILD_STEP_BUILD, error);
      return;
    }
  self->built = TRUE;
  start (task);
}

static void
send_clone (GTask *task)
{
  DomusGuestBuild *self = g_task_get_source_object (task);

  progress (self, self->linked ? _("Making a linked clone of the template…")
                               : _("Copying the template’s disks…"), -1);
  domus_host_clone_domain_async (self->host, self->template, self->name, self->linked,
                                 g_task_get_cancellable (task), cloned, task);
}

static void
send_build (GTask      *task,
            const char *ssh_keys)
{
  DomusGuestBuild *self = g_task_get_source_object (task);
  GCancellable *cancellable = g_task_get_cancellable (task);

  if (self->debian != NULL)
    {
      g_free (self->debian->ssh_keys);
      self->debian->ssh_keys = g_strdup (ssh_keys);
      progress (self, _("Asking the server to build the Debian guest…"), 0.0);
      domus_host_build_debian_guest_async (self->host, self->name, self->debian, debian_progress,
                                           g_object_ref (self), g_object_unref, cancellable, built, task);
      /* The call has made its message: nothing here needs the password any more. */
      g_clear_pointer (&self->debian, wipe_debian_request);
      return;
    }
  g_free (self->cloud->ssh_keys);
  self->cloud->ssh_keys = g_strdup (ssh_keys);
  progress (self, _("Making the guest of the cloud image…"), -1);
  domus_host_build_cloud_guest_async (self->host, self->name, self->cloud, cancellable, built, task);
}

/* Step 1: the key file */

static void
key_file_read (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  GTask *task = user_data;
  GError *error = NULL;
  g_autofree char *keys = domus_key_file_read_finish (result, &error);

  if (keys == NULL)
    {
      fail (task, DOMUS_GUEST_BUILD_STEP_KEY, error);
      return;
    }
  send_build (task, keys);
}

void
domus_guest_build_run_async (DomusGuestBuild     *self,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (DOMUS_IS_GUEST_BUILD (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, domus_guest_build_run_async);
  g_task_set_task_data (task, g_new0 (Run, 1), g_free);
  if (self->built)
    start (task);
  else if (self->template != NULL)
    send_clone (task);
  else if (self->debian == NULL && self->cloud == NULL)
    fail (task, DOMUS_GUEST_BUILD_STEP_BUILD,
          g_error_new (DOMUS_ERROR, DOMUS_ERROR_FAILED, _("The build was sent already.")));
  else if (self->key_file == NULL)
    send_build (task, NULL);
  else
    {
      progress (self, _("Reading the SSH key…"), -1);
      domus_key_file_read_async (self->key_file, cancellable, key_file_read, task);
    }
}

char *
domus_guest_build_run_finish (DomusGuestBuild      *self,
                              GAsyncResult         *result,
                              DomusGuestBuildStep  *failed_step,
                              GError              **error)
{
  char *name;

  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == domus_guest_build_run_async, NULL);

  name = g_task_propagate_pointer (G_TASK (result), error);
  if (name == NULL && failed_step != NULL)
    *failed_step = ((Run *) g_task_get_task_data (G_TASK (result)))->step;
  return name;
}

/* GObject */

static void
domus_guest_build_finalize (GObject *object)
{
  DomusGuestBuild *self = DOMUS_GUEST_BUILD (object);

  g_clear_object (&self->host);
  g_free (self->name);
  g_clear_pointer (&self->debian, wipe_debian_request);
  g_clear_pointer (&self->cloud, domus_cloud_request_free);
  g_free (self->key_file);
  g_free (self->template);
  G_OBJECT_CLASS (domus_guest_build_parent_class)->finalize (object);
}

static void
domus_guest_build_class_init (DomusGuestBuildClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = domus_guest_build_finalize;

  signals[SIGNAL_PROGRESS] =
    g_signal_new ("progress", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_DOUBLE);
}

static void
domus_guest_build_init (DomusGuestBuild *self)
{
}

static DomusGuestBuild *
guest_build_new (DomusHost  *host,
                 const char *name,
                 const char *key_file,
                 gint64      vcpus)
{
  DomusGuestBuild *self = g_object_new (DOMUS_TYPE_GUEST_BUILD, NULL);

  self->host = g_object_ref (host);
  self->name = g_strdup (name);
  self->key_file = g_strdup (key_file);
  self->vcpus = vcpus;
  return self;
}

DomusGuestBuild *
domus_guest_build_new_debian (DomusHost          *host,
                              const char         *name,
                              DomusDebianRequest *request,
                              const char         *key_file,
                              gint64              vcpus)
{
  DomusGuestBuild *self;

  g_return_val_if_fail (DOMUS_IS_HOST (host), NULL);
  g_return_val_if_fail (request != NULL, NULL);

  self = guest_build_new (host, name, key_file, vcpus);
  self->debian = request;
  return self;
}

DomusGuestBuild *
domus_guest_build_new_cloud (DomusHost         *host,
                             const char        *name,
                             DomusCloudRequest *request,
                             const char        *key_file,
                             gint64             vcpus)
{
  DomusGuestBuild *self;

  g_return_val_if_fail (DOMUS_IS_HOST (host), NULL);
  g_return_val_if_fail (request != NULL, NULL);

  self = guest_build_new (host, name, key_file, vcpus);
  self->cloud = request;
  return self;
}

DomusGuestBuild *
domus_guest_build_new_clone (DomusHost  *host,
                             const char *name,
                             const char *template,
                             gboolean    linked)
{
  DomusGuestBuild *self;

  g_return_val_if_fail (DOMUS_IS_HOST (host), NULL);
  g_return_val_if_fail (template != NULL, NULL);

  self = guest_build_new (host, name, NULL, 1);
  self->template = g_strdup (template);
  self->linked = linked;
  return self;
}
