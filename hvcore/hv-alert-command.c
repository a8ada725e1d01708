/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The alert command. Runs are queued and made one at a time: a burst of alerts (a host whose
 * guests all crash) must not start a hundred mailers at once.
 */

#include "config.h"

#include <glib/gi18n-lib.h>

#include "hv-alert-command.h"

typedef struct {
  char    *command_line;
  HvAlert *alert;
} Run;

struct _HvAlertCommand
{
  GObject       parent_instance;

  char         *host_name;
  GQueue        queue;          /* Run */
  Run          *current;
  GSubprocess  *process;
  GCancellable *cancellable;
  guint         timeout_id;
};

enum {
  SIGNAL_FINISHED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (HvAlertCommand, hv_alert_command, G_TYPE_OBJECT)

static void
run_free (Run *run)
{
  g_free (run->command_line);
  hv_alert_unref (run->alert);
  g_free (run);
}

static void start_next (HvAlertCommand *self);

static void
finish_current (HvAlertCommand *self,
                gboolean        success)
{
  Run *run = g_steal_pointer (&self->current);

  g_clear_handle_id (&self->timeout_id, g_source_remove);
  g_clear_object (&self->process);
  g_clear_object (&self->cancellable);
  g_signal_emit (self, signals[SIGNAL_FINISHED], 0, run->alert, success);
  run_free (run);
  start_next (self);
}

static void
log_output (const char *command_line,
            const char *output)
{
  g_auto(GStrv) lines = NULL;

  if (output == NULL || *output == '\0')
    return;
  lines = g_strsplit (output, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (*lines[i] != '\0')
      g_message ("alert command %s: %s", command_line, lines[i]);
}

static void
on_communicated (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(HvAlertCommand) self = user_data;
  GSubprocess *process = G_SUBPROCESS (source);
  g_autoptr(GError) error = NULL;
  g_autofree char *output = NULL;
  gboolean success;

  if (!g_subprocess_communicate_utf8_finish (process, result, &output, NULL, &error))
    {
      /* Cancelled: the daemon is going away. */
      if (self->process != process)
        return;
      g_message ("alert command %s for alert %" G_GUINT64_FORMAT ": %s",
                 self->current->command_line, self->current->alert->id, error->message);
      finish_current (self, FALSE);
      return;
    }
  if (self->process != process)
    return;
  log_output (self->current->command_line, output);
  success = g_subprocess_get_if_exited (process) && g_subprocess_get_exit_status (process) == 0;
  if (!success)
    g_message ("alert command %s for alert %" G_GUINT64_FORMAT " failed (%s %d)",
               self->current->command_line, self->current->alert->id,
               g_subprocess_get_if_exited (process) ? "exit status" : "signal",
               g_subprocess_get_if_exited (process) ? g_subprocess_get_exit_status (process)
                                                    : g_subprocess_get_term_sig (process));
  finish_current (self, success);
}

static gboolean
on_timeout (gpointer user_data)
{
  HvAlertCommand *self = user_data;

  self->timeout_id = 0;
  g_message ("alert command %s for alert %" G_GUINT64_FORMAT " still ran after %d seconds: killed",
             self->current->command_line, self->current->alert->id,
             HV_ALERT_COMMAND_TIMEOUT_SECONDS);
  g_subprocess_force_exit (self->process);
  return G_SOURCE_REMOVE;
}

static GSubprocessLauncher *
new_launcher (HvAlertCommand *self,
              const HvAlert  *alert)
{
  GSubprocessLauncher *launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                                             G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                             G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_autoptr(GDateTime) time = g_date_time_new_from_unix_utc (alert->time_us / G_USEC_PER_SEC);
  g_autofree char *id = g_strdup_printf ("%" G_GUINT64_FORMAT, alert->id);
  g_autofree char *iso = time != NULL ? g_date_time_format_iso8601 (time) : g_strdup ("");

  g_subprocess_launcher_setenv (launcher, "DOMUS_ALERT_ID", id, TRUE);
  g_subprocess_launcher_setenv (launcher, "DOMUS_ALERT_KIND", hv_alert_kind_to_string (alert->kind), TRUE);
  g_subprocess_launcher_setenv (launcher, "DOMUS_ALERT_DOMAIN", alert->domain != NULL ? alert->domain : "", TRUE);
  g_subprocess_launcher_setenv (launcher, "DOMUS_ALERT_PATH", alert->path != NULL ? alert->path : "", TRUE);
  g_subprocess_launcher_setenv (launcher, "DOMUS_ALERT_MESSAGE", alert->message, TRUE);
  g_subprocess_launcher_setenv (launcher, "DOMUS_ALERT_TIME", iso, TRUE);
  g_subprocess_launcher_setenv (launcher, "DOMUS_HOST", self->host_name, TRUE);
  return launcher;
}

static void
start_next (HvAlertCommand *self)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(JsonGenerator) generator = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) argv = NULL;
  g_autofree char *json = NULL;
  g_autofree char *input = NULL;

  if (self->current != NULL)
    return;
  while (self->current == NULL && !g_queue_is_empty (&self->queue))
    {
      Run *run = g_queue_pop_head (&self->queue);

      if (!g_shell_parse_argv (run->command_line, NULL, &argv, &error))
        {
          g_message ("alert command %s: %s", run->command_line, error->message);
          g_clear_error (&error);
          run_free (run);
          continue;
        }
      launcher = new_launcher (self, run->alert);
      self->process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv, &error);
      if (self->process == NULL)
        {
          g_message ("alert command %s: %s", run->command_line, error->message);
          g_clear_error (&error);
          g_clear_object (&launcher);
          g_clear_pointer (&argv, g_strfreev);
          run_free (run);
          continue;
        }
      self->current = run;
    }
  if (self->current == NULL)
    return;

  node = hv_alert_to_json (self->current->alert);
  generator = json_generator_new ();
  json_generator_set_root (generator, node);
  json = json_generator_to_data (generator, NULL);
  input = g_strconcat (json, "\n", NULL);
  self->cancellable = g_cancellable_new ();
  self->timeout_id = g_timeout_add_seconds (HV_ALERT_COMMAND_TIMEOUT_SECONDS, on_timeout, self);
  g_subprocess_communicate_utf8_async (self->process, input, self->cancellable,
                                       on_communicated, g_object_ref (self));
}

void
hv_alert_command_run (HvAlertCommand *self,
                      const char     *command_line,
                      HvAlert        *alert)
{
  Run *run;

  g_return_if_fail (HV_IS_ALERT_COMMAND (self));
  g_return_if_fail (command_line != NULL && alert != NULL);

  if (self->queue.length >= HV_ALERT_COMMAND_MAX_QUEUED)
    {
      g_message ("alert command %s: %u alerts wait already; not run for alert %" G_GUINT64_FORMAT,
                 command_line, self->queue.length, alert->id);
      return;
    }
  run = g_new0 (Run, 1);
  run->command_line = g_strdup (command_line);
  run->alert = hv_alert_ref (alert);
  g_queue_push_tail (&self->queue, run);
  start_next (self);
}

static void
hv_alert_command_dispose (GObject *object)
{
  HvAlertCommand *self = HV_ALERT_COMMAND (object);

  g_clear_handle_id (&self->timeout_id, g_source_remove);
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->process);
  g_clear_pointer (&self->current, run_free);
  g_queue_clear_full (&self->queue, (GDestroyNotify) run_free);
  G_OBJECT_CLASS (hv_alert_command_parent_class)->dispose (object);
}

static void
hv_alert_command_finalize (GObject *object)
{
  HvAlertCommand *self = HV_ALERT_COMMAND (object);

  g_free (self->host_name);
  G_OBJECT_CLASS (hv_alert_command_parent_class)->finalize (object);
}

static void
hv_alert_command_class_init (HvAlertCommandClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = hv_alert_command_dispose;
  object_class->finalize = hv_alert_command_finalize;

  signals[SIGNAL_FINISHED] =
    g_signal_new ("finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, HV_TYPE_ALERT | G_SIGNAL_TYPE_STATIC_SCOPE, G_TYPE_BOOLEAN);
}

static void
hv_alert_command_init (HvAlertCommand *self)
{
  g_queue_init (&self->queue);
}

HvAlertCommand *
hv_alert_command_new (const char *host_name)
{
  HvAlertCommand *self = g_object_new (HV_TYPE_ALERT_COMMAND, NULL);

  self->host_name = g_strdup (host_name != NULL ? host_name : "");
  return self;
}
