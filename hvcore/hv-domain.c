/* SPDX-License-Identifier: GPL-3.0-or-later */
/* One domain: starting its QEMU, following it through QMP, taking it over again, ending it. */

#include "config.h"

#include <inttypes.h>

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "domus-json-util.h"
#include "hv-bridges.h"
#include "hv-domain.h"
#include "hv-image-store.h"
#include "hv-proc-stats.h"
#include "hv-reaper.h"
#include "hv-run-folder.h"

/* How long a QEMU gets to leave after `quit` or SIGTERM before the next, harder step. */
#define QUIT_GRACE_MS    3000
#define TERM_GRACE_MS    3000
/* How often an ended QEMU is checked for being really gone. */
#define GONE_POLL_MS     20
#define GONE_POLL_LIMIT  250
/* A QEMU that outlived a daemon may still be letting go of the old QMP connection. */
#define REATTACH_TRIES   20
#define REATTACH_WAIT_MS 100

#define LIVE_CONFIG_FILE "config.cfg"
/* A crashed guest's last serial lines in the log: a kernel's panic message, its trace and what led to it. */
#define CRASH_SERIAL_LINES 60

G_DEFINE_QUARK (hv-domain-error-quark, hv_domain_error)

struct _HvDomain
{
  GObject        parent_instance;

  char          *name;
  char          *config_path;
  char          *run_dir;

  gint64         id;
  HvDomainState  state;
  GPid           pid;
  guint64        pid_start_ticks;   /* tells our QEMU from a later process with the same pid */
  HvQmp         *qmp;
  HvDomainSpec  *spec;
  GStrv          tap_names;

  char          *shutdown_reason;   /* QMP SHUTDOWN's reason, until QEMU is gone */
  gboolean       destroying;
  gboolean       ending;
  guint          kill_timeout_id;
  guint          gone_poll_id;
  guint          gone_polls;
  GPtrArray     *end_waiters;       /* GTask of destroy calls */

  char          *io_error;          /* the disk error QEMU stopped the guest for, until it runs again */
  gboolean       incoming;          /* the next start (or this run) waits for a migration */
  gboolean       incoming_paused;   /* ... with -S */
  char          *end_reason;        /* set by a migration: how the end is reported */
};

G_DEFINE_FINAL_TYPE (HvDomain, hv_domain, G_TYPE_OBJECT)

enum {
  SIGNAL_STATE_CHANGED,
  SIGNAL_ENDED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void send_quit (HvDomain *self);

const char *
hv_domain_state_to_string (HvDomainState state)
{
  switch (state)
    {
    case HV_DOMAIN_STATE_SHUTOFF:  return "shutoff";
    case HV_DOMAIN_STATE_STARTING: return "starting";
    case HV_DOMAIN_STATE_RUNNING:  return "running";
    case HV_DOMAIN_STATE_PAUSED:   return "paused";
    case HV_DOMAIN_STATE_SHUTDOWN: return "shutdown";
    case HV_DOMAIN_STATE_DYING:    return "dying";
    case HV_DOMAIN_STATE_INCOMING: return "incoming";
    case HV_DOMAIN_STATE_CRASHED:  return "crashed";
    default:                       return "unknown";
    }
}

static void
set_state (HvDomain      *self,
           HvDomainState  state,
           const char    *reason)
{
  self->state = state;
  g_signal_emit (self, signals[SIGNAL_STATE_CHANGED], 0, (guint) state, reason);
}

/* The run folder */

char *
hv_domain_dup_socket_path (HvDomain   *self,
                           const char *name)
{
  g_return_val_if_fail (HV_IS_DOMAIN (self), NULL);
  return g_build_filename (self->run_dir, name, NULL);
}

static gboolean
write_record (HvDomain  *self,
              GError   **error)
{
  HvRunRecord record = {
    .name = self->name,
    .config_path = self->config_path,
    .id = self->id,
    .pid = self->pid,
    .pid_start_ticks = self->pid_start_ticks,
    .tap_names = self->tap_names,
  };

  return hv_run_folder_write_record (self->run_dir, &record, error);
}

/* Process bookkeeping */

static gboolean
pid_is_our_qemu (GPid    pid,
                 guint64 start_ticks)
{
  HvProcessStats stats;

  if (pid <= 0 || !hv_proc_stats_read_process (pid, &stats))
    return FALSE;
  /* A zombie is as good as gone: nobody may have reaped it yet. */
  if (stats.state == 'Z' || stats.state == 'X')
    return FALSE;
  return start_ticks == 0 || stats.start_ticks == start_ticks;
}

/* The end */

static HvDomainAction
action_for_reason (HvDomain   *self,
                   const char *reason)
{
  /* A domain that had not arrived, or has left, is not this host's to restart. */
  if (self->spec == NULL || self->incoming || g_str_equal (reason, "destroyed") ||
      g_str_equal (reason, "migrated") || g_str_equal (reason, "saved"))
    return HV_DOMAIN_ACTION_DESTROY;
  if (g_str_equal (reason, "shutdown"))
    return self->spec->on_poweroff;
  if (g_str_equal (reason, "rebooted"))
    return self->spec->on_reboot;
  return self->spec->on_crash;
}

/* What ended QEMU, in the protocol's words, from QMP's last SHUTDOWN event. */
static const char *
end_reason (HvDomain *self)
{
  const char *qmp_reason = self->shutdown_reason;

  if (self->end_reason != NULL)
    return self->end_reason;
  if (self->destroying)
    return "destroyed";
  if (qmp_reason == NULL)
    return "crashed";
  if (g_str_equal (qmp_reason, "guest-shutdown"))
    return "shutdown";
  /* With -no-reboot (on_reboot is not restart) a reset ends QEMU, whoever asked for it. */
  if (g_str_equal (qmp_reason, "guest-reset") || g_str_equal (qmp_reason, "host-qmp-system-reset"))
    return "rebooted";
  if (g_str_equal (qmp_reason, "guest-panic"))
    return "crashed";
  /* host-qmp-quit, host-signal, host-ui...: somebody on the host ended it. */
  return "destroyed";
}

static void
forget_process (HvDomain *self)
{
  if (self->qmp != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->qmp, self);
      hv_qmp_close (self->qmp);
      g_clear_object (&self->qmp);
    }
  g_clear_handle_id (&self->kill_timeout_id, g_source_remove);
  g_clear_handle_id (&self->gone_poll_id, g_source_remove);
  self->pid = 0;
  self->pid_start_ticks = 0;
}

/* A guest that crashed: what it printed last (a kernel's panic message) reaches the log
 * before its run folder goes. */
static void
log_serial_tail (HvDomain *self)
{
  g_auto(GStrv) lines = hv_run_folder_read_serial_tail (self->run_dir, CRASH_SERIAL_LINES);

  if (lines == NULL)
    return;
  g_message ("domain %s: crashed; the last lines on its serial port:", self->name);
  for (guint i = 0; lines[i] != NULL; i++)
    g_message ("domain %s: serial: %s", self->name, lines[i]);
}

static void
finish_end (HvDomain *self)
{
  g_autoptr(GPtrArray) waiters = g_steal_pointer (&self->end_waiters);
  g_autofree char *reason = g_strdup (end_reason (self));
  HvDomainAction action = action_for_reason (self, reason);

  self->end_waiters = g_ptr_array_new_with_free_func (g_object_unref);
  forget_process (self);
  /* A guest this daemon started is its child (a subreaper's) and a zombie by now. */
  hv_reaper_reap_daemonized ();
  if (g_str_equal (reason, "crashed"))
    log_serial_tail (self);
  hv_run_folder_remove (self->run_dir);
  self->id = 0;
  self->destroying = FALSE;
  self->ending = FALSE;
  self->incoming = FALSE;
  self->incoming_paused = FALSE;
  g_clear_pointer (&self->end_reason, g_free);
  g_clear_pointer (&self->shutdown_reason, g_free);
  g_clear_pointer (&self->io_error, g_free);
  g_clear_pointer (&self->tap_names, g_strfreev);
  g_debug ("domain %s: ended (%s)", self->name, reason);

  /* Before the signals: an "ended" handler may start the domain again at once. */
  g_clear_pointer (&self->spec, hv_domain_spec_free);
  set_state (self, HV_DOMAIN_STATE_SHUTOFF, reason);
  g_signal_emit (self, signals[SIGNAL_ENDED], 0, reason, (guint) action);

  for (guint i = 0; i < waiters->len; i++)
    g_task_return_boolean (g_ptr_array_index (waiters, i), TRUE);
}

static gboolean
poll_gone (gpointer user_data)
{
  HvDomain *self = user_data;

  if (pid_is_our_qemu (self->pid, self->pid_start_ticks))
    {
      if (++self->gone_polls < GONE_POLL_LIMIT)
        return G_SOURCE_CONTINUE;
      /* Its QMP socket closed but it lingers: it must not outlive the domain. */
      g_warning ("domain %s: QEMU %d still runs after its QMP connection closed; killing it",
                 self->name, self->pid);
      kill (self->pid, SIGKILL);
      self->gone_polls = 0;
      return G_SOURCE_CONTINUE;
    }
  self->gone_poll_id = 0;
  finish_end (self);
  return G_SOURCE_REMOVE;
}

/* QMP closing is how we learn QEMU ended; the process may take a moment more to go. */
static void
begin_end (HvDomain *self)
{
  if (self->ending)
    return;
  self->ending = TRUE;
  if (self->state != HV_DOMAIN_STATE_DYING)
    self->state = HV_DOMAIN_STATE_DYING;
  self->gone_polls = 0;
  if (!pid_is_our_qemu (self->pid, self->pid_start_ticks))
    {
      finish_end (self);
      return;
    }
  self->gone_poll_id = g_timeout_add (GONE_POLL_MS, poll_gone, self);
}

static void
on_qmp_closed (HvQmp        *qmp,
               const GError *error,
               gpointer      user_data)
{
  HvDomain *self = user_data;

  g_debug ("domain %s: QMP closed%s%s", self->name,
           error != NULL ? ": " : "", error != NULL ? error->message : "");
  begin_end (self);
}

/*
 * QEMU never ends by itself when the guest powers off, resets against -no-reboot or panics
 * (-no-shutdown and -action panic=pause, always): it stops and waits, and the daemon ends it
 * here, reported as `reason` so that on_poweroff, on_reboot or on_crash applies. A QEMU whose
 * guest did so while no daemon watched is still there, stopped, when the next daemon
 * reattaches: that one applies the setting then (hv_domain_reattach_async).
 */
static void
end_kept_qemu (HvDomain   *self,
               const char *reason)
{
  if (self->destroying || self->ending)
    return;
  g_debug ("domain %s: ending its stopped QEMU (%s)", self->name, reason);
  if (self->end_reason == NULL)
    self->end_reason = g_strdup (reason);
  self->destroying = TRUE;
  self->state = HV_DOMAIN_STATE_DYING;
  send_quit (self);
}

/* What the guest asked for, not someone on the host (quit, a signal): QEMU is kept for us. */
static gboolean
shutdown_is_the_guests (const char *qmp_reason)
{
  return g_str_equal (qmp_reason, "guest-shutdown") || g_str_equal (qmp_reason, "guest-reset") ||
         g_str_equal (qmp_reason, "host-qmp-system-reset") || g_str_equal (qmp_reason, "guest-panic");
}

static void
on_shutdown_event (HvDomain   *self,
                   JsonObject *data)
{
  const char *reason = domus_json_object_get_string (data, "reason", "guest-shutdown");

  g_free (self->shutdown_reason);
  self->shutdown_reason = g_strdup (reason);
  if (self->destroying || self->ending || !shutdown_is_the_guests (reason) ||
      self->state == HV_DOMAIN_STATE_INCOMING)
    return;
  /* on_poweroff = "preserve": QEMU stays, stopped, and the domain is kept in the shutdown state. */
  if (self->spec != NULL && self->spec->on_poweroff == HV_DOMAIN_ACTION_PRESERVE &&
      g_str_equal (reason, "guest-shutdown"))
    set_state (self, HV_DOMAIN_STATE_SHUTDOWN, "shutdown");
  else
    end_kept_qemu (self, end_reason (self));
}

/* A disk error QEMU stops the guest for (werror=enospc, its default: a full disk). The STOP
 * that follows is this, not a pause anyone asked for; `cont` retries once there is room. */
static void
on_block_io_error (HvDomain   *self,
                   JsonObject *data)
{
  const char *device = domus_json_object_get_string (data, "device", "");
  const char *node = domus_json_object_get_string (data, "node-name", "");
  const char *operation = domus_json_object_get_string (data, "operation", "write");
  const char *why = domus_json_object_get_string (data, "reason", _("an I/O error"));
  const HvDiskSpec *disk = NULL;

  if (!g_str_equal (domus_json_object_get_string (data, "action", ""), "stop") || self->io_error != NULL)
    return;
  /* QEMU's drive ids are disk0, disk1, ... for the config's disks 1, 2, ... */
  for (guint i = 0; self->spec != NULL && i < self->spec->disks->len; i++)
    {
      const HvDiskSpec *candidate = g_ptr_array_index (self->spec->disks, i);
      g_autofree char *id = g_strdup_printf ("disk%u", candidate->number - 1);

      if (candidate->number > 0 && (g_str_equal (id, device) || g_str_equal (id, node)))
        disk = candidate;
    }
  self->io_error = disk != NULL ? g_strdup_printf ("%s (%s): %s %s", disk->device, disk->path, operation, why)
                                : g_strdup_printf ("%s: %s %s", *device != '\0' ? device : node, operation, why);
  g_message ("domain %s: QEMU paused the guest: disk %s", self->name, self->io_error);
}

static void
on_qmp_event (HvQmp      *qmp,
              const char *name,
              JsonObject *data,
              gint64      timestamp_us,
              gpointer    user_data)
{
  HvDomain *self = user_data;

  g_debug ("domain %s: QMP event %s", self->name, name);
  if (g_str_equal (name, "SHUTDOWN"))
    on_shutdown_event (self, data);
  else if (self->state == HV_DOMAIN_STATE_INCOMING)
    ;  /* the migration decides what the domain becomes */
  else if (g_str_equal (name, "BLOCK_IO_ERROR"))
    on_block_io_error (self, data);
  else if (g_str_equal (name, "STOP"))
    {
      if (self->state == HV_DOMAIN_STATE_RUNNING)
        set_state (self, HV_DOMAIN_STATE_PAUSED, self->io_error != NULL ? "io-error" : "paused");
    }
  else if (g_str_equal (name, "RESUME"))
    {
      if (self->io_error != NULL)
        g_message ("domain %s: runs again after its disk error", self->name);
      g_clear_pointer (&self->io_error, g_free);
      if (self->state == HV_DOMAIN_STATE_PAUSED || self->state == HV_DOMAIN_STATE_SHUTDOWN)
        set_state (self, HV_DOMAIN_STATE_RUNNING, "unpaused");
    }
  else if (g_str_equal (name, "GUEST_PANICKED"))
    {
      /* on_crash = "preserve" keeps the guest as it died, for a look at its memory. */
      if (self->spec != NULL && self->spec->on_crash == HV_DOMAIN_ACTION_PRESERVE)
        set_state (self, HV_DOMAIN_STATE_CRASHED, "crashed");
      else
        end_kept_qemu (self, "crashed");
    }
  else if (g_str_equal (name, "RESET"))
    {
      if (self->state == HV_DOMAIN_STATE_RUNNING || self->state == HV_DOMAIN_STATE_PAUSED)
        set_state (self, self->state, "rebooted");
    }
}

static void
adopt_qmp (HvDomain *self,
           HvQmp    *qmp)
{
  self->qmp = g_object_ref (qmp);
  g_signal_connect (qmp, "event", G_CALLBACK (on_qmp_event), self);
  g_signal_connect (qmp, "closed", G_CALLBACK (on_qmp_closed), self);
}

static HvDomainState
state_from_qmp_status (JsonNode *status)
{
  JsonObject *object = domus_json_node_get_object (status);
  const char *text = object != NULL ? json_object_get_string_member_with_default (object, "status", "") : "";

  if (g_str_equal (text, "running"))
    return HV_DOMAIN_STATE_RUNNING;
  if (g_str_equal (text, "shutdown"))
    return HV_DOMAIN_STATE_SHUTDOWN;
  if (g_str_equal (text, "guest-panicked"))
    return HV_DOMAIN_STATE_CRASHED;
  return HV_DOMAIN_STATE_PAUSED;
}

/* Starting */

typedef struct {
  HvDomainRuntime runtime;
  char           *qemu_binary;
  GPtrArray      *notices;
  GSubprocess    *qemu;
  gboolean        qemu_started;  /* a QEMU may run: kill it if we fail from here on */
} StartData;

static void
start_data_free (StartData *data)
{
  g_free (data->qemu_binary);
  g_clear_pointer (&data->notices, g_ptr_array_unref);
  g_clear_object (&data->qemu);
  g_free (data);
}

static void
reset_to_shutoff (HvDomain *self)
{
  forget_process (self);
  g_clear_pointer (&self->spec, hv_domain_spec_free);
  g_clear_pointer (&self->tap_names, g_strfreev);
  self->id = 0;
  self->incoming = FALSE;
  self->incoming_paused = FALSE;
  self->state = HV_DOMAIN_STATE_SHUTOFF;
}

/*
 * Nothing may stay behind a start that failed: no QEMU, no run folder, no half a domain.
 * A reattach that failed leaves the QEMU alone: it is not ours to end.
 */
static void
give_up (GTask  *task,
         GError *error)
{
  HvDomain *self = g_task_get_source_object (task);

  if (g_task_get_source_tag (task) == hv_domain_start_async)
    {
      StartData *data = g_task_get_task_data (task);

      if (data->qemu_started && self->pid > 0 && pid_is_our_qemu (self->pid, self->pid_start_ticks))
        kill (self->pid, SIGKILL);
      hv_run_folder_remove (self->run_dir);
    }
  reset_to_shutoff (self);
  g_task_return_error (task, error);
}

/* The last step of a start or a reattach: what QEMU is doing now. */
static void
on_first_status (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  HvDomain *self = g_task_get_source_object (task);
  g_autoptr(JsonNode) status = NULL;
  GError *error = NULL;

  status = hv_qmp_execute_finish (HV_QMP (source), result, &error);
  if (status == NULL)
    {
      give_up (task, error);
      return;
    }
  if (self->incoming && g_task_get_source_tag (task) == hv_domain_start_async)
    set_state (self, HV_DOMAIN_STATE_INCOMING, "incoming");
  else
    set_state (self, state_from_qmp_status (status),
               g_task_get_source_tag (task) == hv_domain_start_async ? "started" : "reattached");
  g_task_return_boolean (task, TRUE);
  /* Its guest powered off or panicked while no daemon watched: what the config says now. */
  if (self->state == HV_DOMAIN_STATE_SHUTDOWN && self->spec != NULL &&
      self->spec->on_poweroff != HV_DOMAIN_ACTION_PRESERVE)
    end_kept_qemu (self, "shutdown");
  else if (self->state == HV_DOMAIN_STATE_CRASHED && self->spec != NULL &&
           self->spec->on_crash != HV_DOMAIN_ACTION_PRESERVE)
    end_kept_qemu (self, "crashed");
}

static void
on_start_qmp_connected (GObject      *source,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  HvDomain *self = g_task_get_source_object (task);
  g_autoptr(HvQmp) qmp = NULL;
  GError *error = NULL;

  qmp = hv_qmp_connect_finish (result, &error);
  if (qmp == NULL)
    {
      give_up (task, error);
      return;
    }
  adopt_qmp (self, qmp);
  hv_qmp_execute_async (qmp, "query-status", NULL, NULL, on_first_status, g_steal_pointer (&task));
}

/* The system daemon's taps: QEMU made them; they join their bridges and come up. */
static gboolean
attach_taps (HvDomain  *self,
             GError   **error)
{
  for (guint i = 0; self->tap_names != NULL && self->tap_names[i] != NULL; i++)
    {
      const HvVifSpec *vif = g_ptr_array_index (self->spec->vifs, i);
      const char *argv[] = { "ip", "link", "set", "dev", self->tap_names[i],
                             "master", vif->bridge, "up", NULL };
      g_autofree char *err = NULL;
      int status = 0;

      if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL,
                         NULL, NULL, NULL, &err, &status, error) ||
          !g_spawn_check_wait_status (status, NULL))
        {
          g_clear_error (error);
          g_set_error (error, HV_DOMAIN_ERROR, HV_DOMAIN_ERROR_NETWORK,
                       _("vif %u: the tap %s cannot join the bridge %s: %s"),
                       vif->number, self->tap_names[i], vif->bridge,
                       err != NULL ? g_strstrip (err) : "");
          return FALSE;
        }
    }
  return TRUE;
}

/* QEMU's own words, without its program-name prefix on every line. */
static char *
qemu_message (const char *stderr_text,
              const char *binary)
{
  g_autofree char *program = g_path_get_basename (binary);
  g_autofree char *prefix = g_strconcat (program, ": ", NULL);
  g_auto(GStrv) lines = g_strsplit (stderr_text != NULL ? stderr_text : "", "\n", -1);
  g_autoptr(GString) message = g_string_new (NULL);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *line = lines[i];

      if (g_str_has_prefix (line, prefix))
        line += strlen (prefix);
      if (*g_strstrip ((char *) line) == '\0')
        continue;
      if (message->len > 0)
        g_string_append (message, "; ");
      g_string_append (message, line);
    }
  if (message->len == 0)
    g_string_append (message, _("it exited without a message"));
  return g_string_free (g_steal_pointer (&message), FALSE);
}

static void
on_qemu_daemonized (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  HvDomain *self = g_task_get_source_object (task);
  StartData *data = g_task_get_task_data (task);
  g_autofree char *stderr_text = NULL;
  g_autofree char *qmp_path = NULL;
  HvProcessStats stats;
  GError *error = NULL;

  if (!g_subprocess_communicate_utf8_finish (G_SUBPROCESS (source), result, NULL, &stderr_text, &error))
    {
      give_up (task, error);
      return;
    }
  /* The foreground QEMU exits once the guest is set up, non-zero when it could not be. */
  if (!g_subprocess_get_if_exited (data->qemu) || g_subprocess_get_exit_status (data->qemu) != 0)
    {
      g_autofree char *message = qemu_message (stderr_text, data->qemu_binary);

      data->qemu_started = hv_run_folder_read_pid_file (self->run_dir, &self->pid, NULL);
      /* What a failed -daemonize leaves: its middle process, and the guest's if it got that far. */
      hv_reaper_reap_daemonized ();
      give_up (task, g_error_new (HV_DOMAIN_ERROR, HV_DOMAIN_ERROR_QEMU,
                                       _("QEMU could not start %s: %s"), self->name, message));
      return;
    }
  data->qemu_started = TRUE;
  if (!hv_run_folder_read_pid_file (self->run_dir, &self->pid, &error))
    {
      give_up (task, error);
      return;
    }
  if (hv_proc_stats_read_process (self->pid, &stats))
    self->pid_start_ticks = stats.start_ticks;
  /* -daemonize's middle process; the guest itself once it ends (see finish_end). */
  hv_reaper_reap_daemonized ();

  if (!write_record (self, &error) || !attach_taps (self, &error))
    {
      give_up (task, error);
      return;
    }

  qmp_path = hv_domain_dup_socket_path (self, "qmp.sock");
  hv_qmp_connect_async (qmp_path, NULL, on_start_qmp_connected, g_steal_pointer (&task));
}

/* A missing bridge is the user's to fix: say which before QEMU makes taps for nothing. */
static gboolean
check_bridges (const HvDomainSpec  *spec,
               GError             **error)
{
  for (guint i = 0; i < spec->vifs->len; i++)
    {
      const HvVifSpec *vif = g_ptr_array_index (spec->vifs, i);

      if (vif->bridge == NULL)
        {
          g_set_error (error, HV_DOMAIN_ERROR, HV_DOMAIN_ERROR_NETWORK,
                       _("%s: vif %u: no bridge= given; this host puts every vif on a bridge"),
                       spec->filename, vif->number);
          return FALSE;
        }
      if (!hv_bridge_exists (HV_SYS_CLASS_NET, vif->bridge))
        {
          g_set_error (error, HV_DOMAIN_ERROR, HV_DOMAIN_ERROR_NETWORK,
                       _("%s: vif %u: the bridge %s does not exist on this host"),
                       spec->filename, vif->number, vif->bridge);
          return FALSE;
        }
    }
  return TRUE;
}

/* A vif without mac= gets one at its first start, kept in the file from then on. */
static gboolean
write_generated_macs (HvConfig            *config,
                      const HvDomainSpec  *spec,
                      const char          *path,
                      GError             **error)
{
  g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func (g_free);
  gboolean changed = FALSE;

  for (guint i = 0; i < spec->vifs->len; i++)
    {
      const HvVifSpec *vif = g_ptr_array_index (spec->vifs, i);

      if (vif->mac_generated)
        {
          g_ptr_array_add (entries, hv_domain_spec_vif_entry_with_mac (vif->entry, vif->mac));
          changed = TRUE;
        }
      else
        g_ptr_array_add (entries, g_strdup (vif->entry));
    }
  if (!changed)
    return TRUE;
  g_ptr_array_add (entries, NULL);
  hv_config_set_string_list (config, "vif", (const char * const *) entries->pdata);
  return hv_config_save (config, path, error);
}

static GStrv
tap_names_for (const HvDomainSpec *spec)
{
  GStrv names = g_new0 (char *, spec->vifs->len + 1);

  for (guint i = 0; i < spec->vifs->len; i++)
    names[i] = hv_qemu_default_tap_name (spec, i);
  return names;
}

static GStrv
build_command (HvDomain               *self,
               const HvDomainRuntime  *runtime,
               GPtrArray              *notices,
               GError                **error)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_auto(GStrv) command = NULL;
  HvQemuOptions options;

  hv_qemu_options_init (&options);
  options.binary = runtime->qemu_binary;
  options.run_dir = self->run_dir;
  options.accel = runtime->accel;
  options.tb_size_mib = runtime->tb_size_mib;
  options.net_mode = runtime->net_mode;
  options.forward_addresses = runtime->forward_addresses;
  options.tap_names = (const char * const *) self->tap_names;
  options.strict = TRUE;
  options.incoming = self->incoming;
  options.paused = self->incoming && self->incoming_paused;

  command = hv_qemu_command_build (self->spec, &options, notices, error);
  if (command == NULL)
    return NULL;
  for (guint i = 0; command[i] != NULL; i++)
    g_ptr_array_add (argv, g_strdup (command[i]));
  /* A guest that powers off or panics leaves QEMU stopped, not gone: the daemon ends it and
   * applies on_poweroff or on_crash, also when it happened while no daemon watched
   * (end_kept_qemu). Given again after the spec's own, which may say the same. */
  g_ptr_array_add (argv, g_strdup ("-no-shutdown"));
  g_ptr_array_add (argv, g_strdup ("-action"));
  g_ptr_array_add (argv, g_strdup ("panic=pause"));
  /* QEMU answers only once the guest is set up, and then lives on without us. */
  g_ptr_array_add (argv, g_strdup ("-daemonize"));
  g_ptr_array_add (argv, NULL);
  return (GStrv) g_ptr_array_free (g_steal_pointer (&argv), FALSE);
}

static gboolean
prepare_start (HvDomain               *self,
               const HvDomainRuntime  *runtime,
               GPtrArray              *notices,
               GError                **error)
{
  g_autoptr(HvConfig) config = NULL;
  g_autofree char *live_path = NULL;
  g_autofree char *live_text = NULL;
  gsize live_length;

  config = hv_config_new_from_file (self->config_path, error);
  if (config == NULL)
    return FALSE;
  self->spec = hv_domain_spec_new (config, HV_DOMAIN_SPEC_STRICT_FILES, error);
  if (self->spec == NULL)
    return FALSE;
  if (notices != NULL)
    for (guint i = 0; i < self->spec->notices->len; i++)
      g_ptr_array_add (notices, g_strdup (g_ptr_array_index (self->spec->notices, i)));
  if (runtime->net_mode == HV_QEMU_NET_TAP)
    {
      if (!check_bridges (self->spec, error))
        return FALSE;
      self->tap_names = tap_names_for (self->spec);
    }
  if (!write_generated_macs (config, self->spec, self->config_path, error))
    return FALSE;
  if (!hv_run_folder_make (self->run_dir, error))
    return FALSE;
  live_path = g_build_filename (self->run_dir, LIVE_CONFIG_FILE, NULL);
  live_text = hv_config_to_data (config, &live_length);
  return g_file_set_contents_full (live_path, live_text, (gssize) live_length,
                                   G_FILE_SET_CONTENTS_NONE, 0600, error);
}

static void spawn_qemu (GTask *owned_task);

static void
on_backing_chains_checked (GObject      *source,
                           GAsyncResult *result,
                           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!hv_image_check_backing_chains_finish (result, &error))
    give_up (task, error);
  else
    spawn_qemu (g_steal_pointer (&task));
}

void
hv_domain_start_async (HvDomain              *self,
                       gint64                 id,
                       const HvDomainRuntime *runtime,
                       GPtrArray             *notices,
                       GCancellable          *cancellable,
                       GAsyncReadyCallback    callback,
                       gpointer               user_data)
{
  g_autoptr(GTask) task = NULL;
  StartData *data;
  GError *error = NULL;

  g_return_if_fail (HV_IS_DOMAIN (self));
  g_return_if_fail (id > 0 && runtime != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, hv_domain_start_async);
  data = g_new0 (StartData, 1);
  data->runtime = *runtime;
  g_task_set_task_data (task, data, (GDestroyNotify) start_data_free);

  if (self->state != HV_DOMAIN_STATE_SHUTOFF)
    {
      g_task_return_new_error (task, HV_DOMAIN_ERROR,
                               self->state == HV_DOMAIN_STATE_STARTING || self->state == HV_DOMAIN_STATE_DYING
                                 ? HV_DOMAIN_ERROR_BUSY : HV_DOMAIN_ERROR_ALREADY_RUNNING,
                               _("Domain %s is %s already."), self->name,
                               hv_domain_state_to_string (self->state));
      return;
    }
  self->state = HV_DOMAIN_STATE_STARTING;
  self->id = id;

  if (!prepare_start (self, runtime, notices, &error))
    {
      give_up (task, error);
      return;
    }
  data->notices = notices != NULL ? g_ptr_array_ref (notices) : NULL;
  /* qemu-img reads each image's backing chain (issue 13): in a thread, off the main loop. */
  hv_image_check_backing_chains_async (self->spec, cancellable, on_backing_chains_checked,
                                       g_steal_pointer (&task));
}

static void
spawn_qemu (GTask *owned_task)
{
  g_autoptr(GTask) task = owned_task;
  HvDomain *self = g_task_get_source_object (task);
  StartData *data = g_task_get_task_data (task);
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_auto(GStrv) argv = NULL;
  GError *error = NULL;

  /* Recorded before QEMU runs, so that a daemon dying meanwhile still leaves a way back. */
  if ((argv = build_command (self, &data->runtime, data->notices, &error)) == NULL ||
      !write_record (self, &error))
    {
      give_up (task, error);
      return;
    }
  data->qemu_binary = g_strdup (argv[0]);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                                        G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_set_stdin_file_path (launcher, "/dev/null");
  data->qemu = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv, &error);
  if (data->qemu == NULL)
    {
      g_prefix_error (&error, _("QEMU could not start %s: "), self->name);
      give_up (task, error);
      return;
    }
  g_debug ("domain %s: starting %s", self->name, argv[0]);
  g_subprocess_communicate_utf8_async (data->qemu, NULL, NULL, on_qemu_daemonized, g_steal_pointer (&task));
}

gboolean
hv_domain_start_finish (HvDomain      *self,
                        GAsyncResult  *result,
                        GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Migration */

void
hv_domain_set_incoming (HvDomain *self,
                        gboolean  incoming,
                        gboolean  paused)
{
  g_return_if_fail (HV_IS_DOMAIN (self));
  g_return_if_fail (self->state == HV_DOMAIN_STATE_SHUTOFF);
  self->incoming = incoming;
  self->incoming_paused = incoming && paused;
}

void
hv_domain_complete_incoming (HvDomain      *self,
                             HvDomainState  state)
{
  hv_domain_complete_incoming_as (self, state, "migrated");
}

void
hv_domain_complete_incoming_as (HvDomain      *self,
                                HvDomainState  state,
                                const char    *reason)
{
  g_return_if_fail (HV_IS_DOMAIN (self));
  g_return_if_fail (self->state == HV_DOMAIN_STATE_INCOMING);
  self->incoming = FALSE;
  self->incoming_paused = FALSE;
  set_state (self, state, reason);
}

void
hv_domain_set_end_reason (HvDomain   *self,
                          const char *reason)
{
  g_return_if_fail (HV_IS_DOMAIN (self));
  g_free (self->end_reason);
  self->end_reason = g_strdup (reason);
}

/* Reattaching */

typedef struct {
  guint          tries;
  HvDomainAction gone_action;   /* on_crash of a QEMU found gone */
} ReattachData;

static void reattach_connect (GTask *task);

static gboolean
retry_reattach (gpointer user_data)
{
  reattach_connect (user_data);
  return G_SOURCE_REMOVE;
}

static void
on_reattach_connected (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  HvDomain *self = g_task_get_source_object (task);
  ReattachData *data = g_task_get_task_data (task);
  g_autoptr(HvQmp) qmp = NULL;
  GError *error = NULL;

  qmp = hv_qmp_connect_finish (result, &error);
  if (qmp == NULL)
    {
      if (++data->tries < REATTACH_TRIES && pid_is_our_qemu (self->pid, self->pid_start_ticks))
        {
          g_clear_error (&error);
          g_timeout_add (REATTACH_WAIT_MS, retry_reattach, g_steal_pointer (&task));
          return;
        }
      give_up (task, error);
      return;
    }
  adopt_qmp (self, qmp);
  hv_qmp_execute_async (qmp, "query-status", NULL, NULL, on_first_status, g_steal_pointer (&task));
}

static void
reattach_connect (GTask *task)
{
  HvDomain *self = g_task_get_source_object (task);
  g_autofree char *qmp_path = hv_domain_dup_socket_path (self, "qmp.sock");

  hv_qmp_connect_async (qmp_path, g_task_get_cancellable (task), on_reattach_connected, task);
}

static gboolean
read_record (HvDomain  *self,
             GError   **error)
{
  HvRunRecord record;

  if (!hv_run_folder_read_record (self->run_dir, &record, error))
    return FALSE;
  self->id = record.id;
  self->pid = record.pid;
  self->pid_start_ticks = record.pid_start_ticks;
  self->tap_names = g_steal_pointer (&record.tap_names);
  hv_run_record_clear (&record);
  return TRUE;
}

void
hv_domain_reattach_async (HvDomain            *self,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(HvConfig) config = NULL;
  g_autofree char *live_path = NULL;
  GError *error = NULL;

  g_return_if_fail (HV_IS_DOMAIN (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, hv_domain_reattach_async);
  g_task_set_task_data (task, g_new0 (ReattachData, 1), g_free);
  ((ReattachData *) g_task_get_task_data (task))->gone_action = HV_DOMAIN_ACTION_DESTROY;

  if (self->state != HV_DOMAIN_STATE_SHUTOFF)
    {
      g_task_return_new_error (task, HV_DOMAIN_ERROR, HV_DOMAIN_ERROR_BUSY,
                               _("Domain %s is %s already."), self->name,
                               hv_domain_state_to_string (self->state));
      return;
    }
  self->state = HV_DOMAIN_STATE_STARTING;
  if (!read_record (self, &error))
    {
      give_up (task, error);
      return;
    }
  /* The spec it runs with is the live copy: the file may have been edited since. */
  live_path = g_build_filename (self->run_dir, LIVE_CONFIG_FILE, NULL);
  config = hv_config_new_from_file (live_path, NULL);
  if (config != NULL)
    self->spec = hv_domain_spec_new (config, HV_DOMAIN_SPEC_FLAGS_NONE, NULL);
  if (!pid_is_our_qemu (self->pid, self->pid_start_ticks))
    {
      ReattachData *data = g_task_get_task_data (task);

      /* Nothing says why it ended: as for a QEMU that dies under a daemon's eyes, a crash. */
      data->gone_action = self->spec != NULL ? self->spec->on_crash : HV_DOMAIN_ACTION_DESTROY;
      hv_run_folder_remove (self->run_dir);
      give_up (task, g_error_new (HV_DOMAIN_ERROR, HV_DOMAIN_ERROR_GONE,
                                  _("Domain %s (id %" PRId64 ") ended while no daemon watched it."),
                                  self->name, self->id));
      return;
    }
  reattach_connect (g_steal_pointer (&task));
}

gboolean
hv_domain_reattach_finish (HvDomain        *self,
                           GAsyncResult    *result,
                           HvDomainAction  *gone_action,
                           GError         **error)
{
  ReattachData *data;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  data = g_task_get_task_data (G_TASK (result));
  if (gone_action != NULL)
    *gone_action = data->gone_action;
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Destroying */

static gboolean
on_kill_timeout (gpointer user_data)
{
  HvDomain *self = user_data;

  if (!pid_is_our_qemu (self->pid, self->pid_start_ticks))
    {
      self->kill_timeout_id = 0;
      begin_end (self);
      return G_SOURCE_REMOVE;
    }
  /* quit was not enough (a wedged QEMU): SIGTERM, then SIGKILL. */
  if (self->destroying)
    {
      g_debug ("domain %s: QEMU %d did not quit; sending SIGTERM then SIGKILL", self->name, self->pid);
      kill (self->pid, self->gone_polls++ == 0 ? SIGTERM : SIGKILL);
    }
  return G_SOURCE_CONTINUE;
}

static void
on_quit_sent (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(JsonNode) reply = hv_qmp_execute_finish (HV_QMP (source), result, NULL);

  /* Whether QEMU answered or just went away, the end arrives through "closed". */
}

/* QMP quit, then SIGTERM and SIGKILL if QEMU stays; the end arrives through "closed". */
static void
send_quit (HvDomain *self)
{
  if (self->qmp != NULL && !hv_qmp_is_closed (self->qmp))
    hv_qmp_execute_async (self->qmp, "quit", NULL, NULL, on_quit_sent, NULL);
  else
    kill (self->pid, SIGTERM);
  self->gone_polls = 0;
  self->kill_timeout_id = g_timeout_add (QUIT_GRACE_MS, on_kill_timeout, self);
}

void
hv_domain_destroy_async (HvDomain            *self,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (HV_IS_DOMAIN (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, hv_domain_destroy_async);

  if (self->state == HV_DOMAIN_STATE_SHUTOFF || self->state == HV_DOMAIN_STATE_STARTING)
    {
      g_task_return_new_error (task, HV_DOMAIN_ERROR,
                               self->state == HV_DOMAIN_STATE_SHUTOFF
                                 ? HV_DOMAIN_ERROR_NOT_RUNNING : HV_DOMAIN_ERROR_BUSY,
                               _("Domain %s is not running."), self->name);
      return;
    }
  g_ptr_array_add (self->end_waiters, g_steal_pointer (&task));
  if (self->destroying || self->ending)
    return;

  self->destroying = TRUE;
  set_state (self, HV_DOMAIN_STATE_DYING, "destroying");
  send_quit (self);
}

gboolean
hv_domain_destroy_finish (HvDomain      *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Commands */

static void
on_command_done (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(JsonNode) reply = NULL;
  GError *error = NULL;

  reply = hv_qmp_execute_finish (HV_QMP (source), result, &error);
  if (reply == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

/* QMP commands need a QEMU that is up and this domain's: not starting, dying or arriving.
 * FALSE (and the task answered "not running") otherwise. */
static gboolean
refuse_unless_commandable (HvDomain *self,
                           GTask    *task)
{
  if (self->qmp != NULL && self->state != HV_DOMAIN_STATE_STARTING &&
      self->state != HV_DOMAIN_STATE_DYING && self->state != HV_DOMAIN_STATE_INCOMING)
    return TRUE;
  g_task_return_new_error (task, HV_DOMAIN_ERROR, HV_DOMAIN_ERROR_NOT_RUNNING,
                           _("Domain %s is not running."), self->name);
  return FALSE;
}

void
hv_domain_command_async (HvDomain            *self,
                         HvDomainCommand      command,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  static const char * const qmp_commands[] = {
    [HV_DOMAIN_COMMAND_SHUTDOWN] = "system_powerdown",
    [HV_DOMAIN_COMMAND_PAUSE] = "stop",
    [HV_DOMAIN_COMMAND_UNPAUSE] = "cont",
    [HV_DOMAIN_COMMAND_REBOOT] = "system_reset",
  };

  g_return_if_fail (HV_IS_DOMAIN (self));
  g_return_if_fail (command < G_N_ELEMENTS (qmp_commands));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, hv_domain_command_async);

  if (!refuse_unless_commandable (self, task))
    return;
  hv_qmp_execute_async (self->qmp, qmp_commands[command], NULL, cancellable,
                        on_command_done, g_steal_pointer (&task));
}

gboolean
hv_domain_command_finish (HvDomain      *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

#define DUMP_FD_NAME "domus-dump"

static void
on_dump_fd_passed (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(JsonNode) reply = NULL;
  g_autoptr(JsonObject) arguments = NULL;
  GCancellable *cancellable;
  GError *error = NULL;

  reply = hv_qmp_execute_finish (HV_QMP (source), result, &error);
  if (reply == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  /* Without paging: the guest's physical memory as it is, which crash(8) and gdb read. */
  arguments = json_object_new ();
  json_object_set_boolean_member (arguments, "paging", FALSE);
  json_object_set_string_member (arguments, "protocol", "fd:" DUMP_FD_NAME);
  cancellable = g_task_get_cancellable (task);   /* before the task moves into the call */
  hv_qmp_execute_async (HV_QMP (source), "dump-guest-memory", arguments, cancellable,
                        on_command_done, g_steal_pointer (&task));
}

void
hv_domain_dump_async (HvDomain            *self,
                      int                  fd,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(JsonObject) arguments = NULL;

  g_return_if_fail (HV_IS_DOMAIN (self));
  g_return_if_fail (fd >= 0);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, hv_domain_dump_async);
  if (!refuse_unless_commandable (self, task))
    return;
  arguments = json_object_new ();
  json_object_set_string_member (arguments, "fdname", DUMP_FD_NAME);
  hv_qmp_execute_with_fd_async (self->qmp, "getfd", arguments, fd, cancellable,
                                on_dump_fd_passed, g_steal_pointer (&task));
}

gboolean
hv_domain_dump_finish (HvDomain      *self,
                       GAsyncResult  *result,
                       GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static JsonNode *
qcode (const char *name)
{
  JsonObject *key = json_object_new ();
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  json_object_set_string_member (key, "type", "qcode");
  json_object_set_string_member (key, "data", name);
  json_node_take_object (node, key);
  return node;
}

void
hv_domain_sysrq_async (HvDomain            *self,
                       char                 key,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(JsonObject) arguments = NULL;
  JsonArray *keys;
  char letter[2] = { key, '\0' };

  g_return_if_fail (HV_IS_DOMAIN (self));
  g_return_if_fail (g_ascii_islower (key) || g_ascii_isdigit (key));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, hv_domain_sysrq_async);
  if (!refuse_unless_commandable (self, task))
    return;
  keys = json_array_new ();
  json_array_add_element (keys, qcode ("alt"));
  json_array_add_element (keys, qcode ("sysrq"));
  json_array_add_element (keys, qcode (letter));
  arguments = json_object_new ();
  json_object_set_array_member (arguments, "keys", keys);
  hv_qmp_execute_async (self->qmp, "send-key", arguments, cancellable, on_command_done, g_steal_pointer (&task));
}

gboolean
hv_domain_sysrq_finish (HvDomain      *self,
                        GAsyncResult  *result,
                        GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* The object */

static void
hv_domain_dispose (GObject *object)
{
  HvDomain *self = HV_DOMAIN (object);

  /* The daemon going away leaves QEMU running: the next one reattaches. */
  forget_process (self);
  G_OBJECT_CLASS (hv_domain_parent_class)->dispose (object);
}

static void
hv_domain_finalize (GObject *object)
{
  HvDomain *self = HV_DOMAIN (object);

  g_free (self->name);
  g_free (self->config_path);
  g_free (self->run_dir);
  g_free (self->shutdown_reason);
  g_free (self->io_error);
  g_free (self->end_reason);
  g_clear_pointer (&self->spec, hv_domain_spec_free);
  g_strfreev (self->tap_names);
  g_ptr_array_unref (self->end_waiters);
  G_OBJECT_CLASS (hv_domain_parent_class)->finalize (object);
}

static void
hv_domain_class_init (HvDomainClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = hv_domain_dispose;
  object_class->finalize = hv_domain_finalize;

  signals[SIGNAL_STATE_CHANGED] =
    g_signal_new ("state-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_UINT, G_TYPE_STRING);
  signals[SIGNAL_ENDED] =
    g_signal_new ("ended", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_UINT);
}

static void
hv_domain_init (HvDomain *self)
{
  self->end_waiters = g_ptr_array_new_with_free_func (g_object_unref);
}

HvDomain *
hv_domain_new (const char *name,
               const char *config_path,
               const char *run_dir)
{
  HvDomain *self;

  g_return_val_if_fail (name != NULL && run_dir != NULL, NULL);

  self = g_object_new (HV_TYPE_DOMAIN, NULL);
  self->name = g_strdup (name);
  self->config_path = g_strdup (config_path);
  self->run_dir = g_strdup (run_dir);
  return self;
}

const char *
hv_domain_get_name (HvDomain *self)
{
  g_return_val_if_fail (HV_IS_DOMAIN (self), NULL);
  return self->name;
}

const char *
hv_domain_get_config_path (HvDomain *self)
{
  g_return_val_if_fail (HV_IS_DOMAIN (self), NULL);
  return self->config_path;
}

void
hv_domain_set_config_path (HvDomain   *self,
                           const char *config_path)
{
  g_return_if_fail (HV_IS_DOMAIN (self));
  g_free (self->config_path);
  self->config_path = g_strdup (config_path);
}

const char *
hv_domain_get_run_dir (HvDomain *self)
{
  g_return_val_if_fail (HV_IS_DOMAIN (self), NULL);
  return self->run_dir;
}

gint64
hv_domain_get_id (HvDomain *self)
{
  g_return_val_if_fail (HV_IS_DOMAIN (self), 0);
  return self->id;
}

HvDomainState
hv_domain_get_state (HvDomain *self)
{
  g_return_val_if_fail (HV_IS_DOMAIN (self), HV_DOMAIN_STATE_SHUTOFF);
  return self->state;
}

gboolean
hv_domain_is_active (HvDomain *self)
{
  g_return_val_if_fail (HV_IS_DOMAIN (self), FALSE);
  return self->state != HV_DOMAIN_STATE_SHUTOFF;
}

GPid
hv_domain_get_pid (HvDomain *self)
{
  g_return_val_if_fail (HV_IS_DOMAIN (self), 0);
  return self->pid;
}

HvQmp *
hv_domain_get_qmp (HvDomain *self)
{
  g_return_val_if_fail (HV_IS_DOMAIN (self), NULL);
  return self->qmp;
}

const HvDomainSpec *
hv_domain_get_spec (HvDomain *self)
{
  g_return_val_if_fail (HV_IS_DOMAIN (self), NULL);
  return self->spec;
}

const char * const *
hv_domain_get_tap_names (HvDomain *self)
{
  g_return_val_if_fail (HV_IS_DOMAIN (self), NULL);
  return (const char * const *) self->tap_names;
}
