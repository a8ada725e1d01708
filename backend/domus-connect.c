/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * How a connection reaches its daemon: a Unix socket, the session daemon (started
 * when none answers, as GNOME Boxes does with its session hypervisor), or an SSH
 * exec channel running `domusctl bridge` on the other host. Whatever the way, the
 * result is a DomusConnection over a GIOStream.
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <gio/gunixsocketaddress.h>
#include <json-glib/json-glib.h>

#include "domus-connection.h"
#include "domus-connection-private.h"
#include "domus-fd-task.h"
#include "domus-ssh-session.h"

/* The session daemon probes KVM before it listens: several seconds on some machines. */
#define DAEMON_START_TIMEOUT_SECONDS 30
#define DAEMON_POLL_MS               100

typedef struct {
  char            *uri;               /* as spelled out */
  GTlsInteraction *interaction;
  char            *accept_host_key;

  /* local */
  char            *socket_path;
  GSubprocess     *daemon;
  char            *daemon_log;
  gint64           deadline;
  gboolean         daemon_exited;

  /* ssh */
  DomusSshOptions *ssh_options;
  DomusSshSession *session;
} ConnectData;

static void
connect_data_free (ConnectData *data)
{
  g_free (data->uri);
  g_clear_object (&data->interaction);
  g_free (data->accept_host_key);
  g_free (data->socket_path);
  g_clear_object (&data->daemon);
  g_free (data->daemon_log);
  g_clear_pointer (&data->ssh_options, domus_ssh_options_free);
  if (data->session != NULL)
    domus_ssh_session_close (data->session);
  g_clear_object (&data->session);
  g_free (data);
}

/* Addresses */

char *
domus_connection_get_default_socket_path (void)
{
  /* The same place domusd's session mode uses (hvcore/hv-paths.c). */
  return g_build_filename (g_get_user_runtime_dir (), "domus", "domusd.sock", NULL);
}

char *
domus_connection_expand_uri (const char *uri)
{
  if (uri == NULL || *uri == '\0')
    return g_strdup (DOMUS_DEFAULT_URI);
  return g_strdup (uri);
}

/* "unix:PATH" and "unix:///PATH" give PATH; NULL when it names none. */
static const char *
unix_uri_path (const char *uri)
{
  const char *path = uri + strlen ("unix:");

  if (g_str_has_prefix (path, "//"))
    path += 2;
  return *path != '\0' ? path : NULL;
}

static DomusConnection *
connection_for_socket (GSocketConnection *socket_connection)
{
  return domus_connection_new (G_IO_STREAM (socket_connection));
}

/* unix: */

static void
on_unix_connected (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GError) error = NULL;

  connection = g_socket_client_connect_finish (G_SOCKET_CLIENT (source), result, &error);
  if (connection == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_task_return_error (task, g_steal_pointer (&error));
      /* A daemon answers there, but not to us: say who it does answer (docs/daemon.md). */
      else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED))
        g_task_return_new_error (task, DOMUS_ERROR, DOMUS_ERROR_PERMISSION_DENIED,
                                 _("Cannot connect to %s: permission denied. The system daemon "
                                   "lets in root and the members of the group domus (sudo "
                                   "adduser %s domus, then log in again)."),
                                 ((ConnectData *) g_task_get_task_data (task))->uri,
                                 g_get_user_name ());
      else
        g_task_return_new_error (task, DOMUS_ERROR, DOMUS_ERROR_CONNECT_FAILED,
                                 "%s", error->message);
      return;
    }
  g_task_return_pointer (task, connection_for_socket (connection), g_object_unref);
}

static void
connect_unix_socket (const char          *path,
                     GCancellable        *cancellable,
                     GAsyncReadyCallback  callback,
                     gpointer             user_data)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketAddress) address = g_unix_socket_address_new (path);

  g_socket_client_connect_async (client, G_SOCKET_CONNECTABLE (address), cancellable,
                                 callback, user_data);
}

/* local: the session daemon, started on demand */

static char *
find_domusd (void)
{
  const char *configured = g_getenv ("DOMUS_DOMUSD");
  g_autofree char *installed = g_build_filename (BINDIR, "domusd", NULL);

  if (configured != NULL && *configured != '\0')
    return g_strdup (configured);
  if (g_file_test (installed, G_FILE_TEST_IS_EXECUTABLE))
    return g_steal_pointer (&installed);
  return g_find_program_in_path ("domusd");
}

static void
detach_from_terminal (gpointer data)
{
  /* The daemon outlives us: a Ctrl-C in the caller's terminal is not for it. */
  setsid ();
}

static void
on_daemon_exited (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ConnectData *data = g_task_get_task_data (task);

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  data->daemon_exited = TRUE;
}

static char *
last_log_line (const char *path)
{
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  guint n;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return NULL;
  g_strstrip (text);
  lines = g_strsplit (text, "\n", -1);
  n = g_strv_length (lines);
  return n > 0 && *lines[n - 1] != '\0' ? g_strdup (lines[n - 1]) : NULL;
}

static gboolean
start_session_daemon (ConnectData  *data,
                      GError      **error)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autofree char *domusd = find_domusd ();
  g_autofree char *dir = g_path_get_dirname (data->socket_path);
  g_autoptr(GError) spawn_error = NULL;

  if (domusd == NULL)
    {
      g_set_error (error, DOMUS_ERROR, DOMUS_ERROR_CONNECT_FAILED,
                   _("No session daemon answers on %s, and domusd was not found to start one."),
                   data->socket_path);
      return FALSE;
    }
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved = errno;

      g_set_error (error, DOMUS_ERROR, DOMUS_ERROR_CONNECT_FAILED,
                   _("Cannot make %s for the session daemon: %s"), dir, g_strerror (saved));
      return FALSE;
    }
  data->daemon_log = g_build_filename (dir, "domusd.log", NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE);
  g_subprocess_launcher_set_stdout_file_path (launcher, data->daemon_log);
  g_subprocess_launcher_set_stderr_file_path (launcher, data->daemon_log);
  g_subprocess_launcher_set_child_setup (launcher, detach_from_terminal, NULL, NULL);
  data->daemon = g_subprocess_launcher_spawn (launcher, &spawn_error, domusd, NULL);
  if (data->daemon == NULL)
    {
      g_set_error (error, DOMUS_ERROR, DOMUS_ERROR_CONNECT_FAILED,
                   _("No session daemon answers on %s, and starting %s failed: %s"),
                   data->socket_path, domusd, spawn_error->message);
      return FALSE;
    }
  g_debug ("started the session daemon %s (pid %s), log %s", domusd,
           g_subprocess_get_identifier (data->daemon), data->daemon_log);
  return TRUE;
}

static void try_session_daemon (GTask *task);

static gboolean
retry_session_daemon (gpointer user_data)
{
  try_session_daemon (user_data);
  return G_SOURCE_REMOVE;
}

static void
on_session_daemon_connected (GObject      *source,
                             GAsyncResult *result,
                             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ConnectData *data = g_task_get_task_data (task);
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *said = NULL;

  connection = g_socket_client_connect_finish (G_SOCKET_CLIENT (source), result, &error);
  if (connection != NULL)
    {
      g_task_return_pointer (task, connection_for_socket (connection), g_object_unref);
      return;
    }
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (data->daemon == NULL)
    {
      g_autoptr(GError) start_error = NULL;

      if (!start_session_daemon (data, &start_error))
        {
          g_task_return_error (task, g_steal_pointer (&start_error));
          return;
        }
      data->deadline = g_get_monotonic_time () + DAEMON_START_TIMEOUT_SECONDS * G_USEC_PER_SEC;
      g_subprocess_wait_async (data->daemon, NULL, on_daemon_exited, g_object_ref (task));
    }
  else if (data->daemon_exited)
    {
      said = last_log_line (data->daemon_log);
      g_task_return_new_error (task, DOMUS_ERROR, DOMUS_ERROR_CONNECT_FAILED,
                               _("The session daemon did not start: %s (log: %s)"),
                               said != NULL ? said : _("it ended without a word"), data->daemon_log);
      return;
    }
  else if (g_get_monotonic_time () > data->deadline)
    {
      g_task_return_new_error (task, DOMUS_ERROR, DOMUS_ERROR_CONNECT_FAILED,
                               _("The session daemon did not answer on %s within %d s (log: %s)."),
                               data->socket_path, DAEMON_START_TIMEOUT_SECONDS, data->daemon_log);
      return;
    }
  g_timeout_add (DAEMON_POLL_MS, retry_session_daemon, g_steal_pointer (&task));
}

static void
try_session_daemon (GTask *task)
{
  ConnectData *data = g_task_get_task_data (task);

  connect_unix_socket (data->socket_path, g_task_get_cancellable (task),
                       on_session_daemon_connected, task);
}

/* ssh:// */

static void
on_bridge_channel (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ConnectData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GSocketConnection) stream = NULL;
  DomusConnection *connection;
  int fd;

  fd = domus_ssh_session_open_channel_finish (DOMUS_SSH_SESSION (source), result, &error);
  if (fd < 0)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  socket = g_socket_new_from_fd (fd, &error);
  if (socket == NULL)
    {
      close (fd);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  stream = g_socket_connection_factory_create_connection (socket);
  connection = domus_connection_new (G_IO_STREAM (stream));
  domus_connection_set_ssh_session (connection, data->session);
  /* The connection owns the session now. */
  g_clear_object (&data->session);
  g_task_return_pointer (task, connection, g_object_unref);
}

static void
on_ssh_session (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ConnectData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autofree char *command = NULL;
  GCancellable *cancellable;

  data->session = domus_ssh_session_connect_finish (result, &error);
  if (data->session == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  /* With the daemon's socket named, sshd connects to it itself (no remote shell, no
     bridge process); the bridge is the fallback, and the only way to start a session
     daemon. */
  command = domus_ssh_options_bridge_command (data->ssh_options, NULL, NULL);
  cancellable = g_task_get_cancellable (task);
  domus_ssh_session_open_channel_async (data->session, command, data->ssh_options->socket, cancellable,
                                        on_bridge_channel, g_steal_pointer (&task));
}

void
domus_connection_connect_full_async (const char          *uri,
                                     GTlsInteraction     *interaction,
                                     const char          *accept_host_key,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  ConnectData *data = g_new0 (ConnectData, 1);

  data->uri = domus_connection_expand_uri (uri);
  data->interaction = interaction != NULL ? g_object_ref (interaction) : NULL;
  data->accept_host_key = g_strdup (accept_host_key);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, domus_connection_connect_full_async);
  g_task_set_task_data (task, data, (GDestroyNotify) connect_data_free);

  if (strcmp (data->uri, "local") == 0)
    {
      data->socket_path = domus_connection_get_default_socket_path ();
      try_session_daemon (g_steal_pointer (&task));
    }
  else if (g_str_has_prefix (data->uri, "unix:"))
    {
      const char *path = unix_uri_path (data->uri);

      if (path == NULL)
        g_task_return_new_error (task, DOMUS_ERROR, DOMUS_ERROR_INVALID_URI,
                                 _("“%s” names no socket; use unix:PATH."), data->uri);
      else
        connect_unix_socket (path, cancellable, on_unix_connected, g_steal_pointer (&task));
    }
  else if (g_str_has_prefix (data->uri, "ssh:"))
    {
      data->ssh_options = domus_ssh_options_parse (data->uri, &error);
      if (data->ssh_options == NULL)
        g_task_return_error (task, g_steal_pointer (&error));
      else
        domus_ssh_session_connect_async (data->ssh_options, interaction, accept_host_key,
                                         cancellable, on_ssh_session, g_steal_pointer (&task));
    }
  else
    g_task_return_new_error (task, DOMUS_ERROR, DOMUS_ERROR_INVALID_URI,
                             _("“%s” is not an address Domus understands; use local, unix:PATH or ssh://[user@]host[:port]."),
                             data->uri);
}

void
domus_connection_connect_async (const char          *uri,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  domus_connection_connect_full_async (uri, NULL, NULL, cancellable, callback, user_data);
}

DomusConnection *
domus_connection_connect_finish (GAsyncResult  *result,
                                 GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == domus_connection_connect_full_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Consoles */

typedef struct {
  char             *name;
  DomusConsoleKind  kind;
} ConsoleData;

static void
console_data_free (ConsoleData *data)
{
  g_free (data->name);
  g_free (data);
}

static void
on_console_channel (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  int fd = domus_ssh_session_open_channel_finish (DOMUS_SSH_SESSION (source), result, &error);

  if (fd < 0)
    g_task_return_error (task, error);
  else
    domus_task_return_fd (task, fd);
}

static void
on_console_socket (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GSocketConnection) connection = NULL;
  GError *error = NULL;
  int fd;

  connection = g_socket_client_connect_finish (G_SOCKET_CLIENT (source), result, &error);
  if (connection == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  /* The caller gets a descriptor of its own; the GSocket closes its copy with it. */
  fd = fcntl (g_socket_get_fd (g_socket_connection_get_socket (connection)), F_DUPFD_CLOEXEC, 3);
  if (fd < 0)
    {
      int saved = errno;

      g_task_return_new_error (task, G_IO_ERROR, g_io_error_from_errno (saved), "dup: %s",
                               g_strerror (saved));
      return;
    }
  domus_task_return_fd (task, fd);
}

/* The daemon says whether the domain runs and has that console, and where it is. */
static void
on_console_domain (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  DomusConnection *self = DOMUS_CONNECTION (source);
  ConsoleData *data = g_task_get_task_data (task);
  g_autoptr(JsonNode) domain = NULL;
  GError *error = NULL;
  JsonObject *object;
  const char *member = data->kind == DOMUS_CONSOLE_GRAPHICS ? "vnc_socket" : "serial_socket";
  const char *path;
  DomusSshSession *session;
  /* Read before the task is handed on: argument order is unspecified in C. */
  GCancellable *cancellable = g_task_get_cancellable (task);

  domain = domus_connection_call_finish (self, result, &error);
  if (domain == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  if (!JSON_NODE_HOLDS_OBJECT (domain))
    {
      g_task_return_new_error (task, DOMUS_ERROR, DOMUS_ERROR_PROTOCOL,
                               _("The daemon answered domain.get with something that is not a domain."));
      return;
    }
  object = json_node_get_object (domain);
  if (json_object_get_null_member (object, "id") || !json_object_has_member (object, "id"))
    {
      g_task_return_new_error (task, DOMUS_ERROR, DOMUS_ERROR_NOT_RUNNING,
                               _("%s is not running."), data->name);
      return;
    }
  path = json_object_has_member (object, member) && !json_object_get_null_member (object, member)
         ? json_object_get_string_member (object, member) : NULL;
  if (path == NULL)
    {
      if (data->kind == DOMUS_CONSOLE_GRAPHICS)
        g_task_return_new_error (task, DOMUS_ERROR, DOMUS_ERROR_NOT_SUPPORTED,
                                 _("%s has no screen: its config does not say vnc = 1."), data->name);
      else
        g_task_return_new_error (task, DOMUS_ERROR, DOMUS_ERROR_NOT_SUPPORTED,
                                 _("%s has no serial console."), data->name);
      return;
    }

  session = domus_connection_get_ssh_session (self);
  if (session != NULL)
    {
      const DomusSshOptions *options = domus_ssh_session_get_options (session);
      g_autofree char *command =
        domus_ssh_options_bridge_command (options,
                                          data->kind == DOMUS_CONSOLE_GRAPHICS ? "--console" : "--serial",
                                          data->name);

      /* The bridge asks the daemon first: a clear error for a domain without that console. */
      domus_ssh_session_open_channel_async (session, command, NULL, cancellable,
                                            on_console_channel, g_steal_pointer (&task));
      return;
    }
  connect_unix_socket (path, cancellable, on_console_socket, g_steal_pointer (&task));
}

void
domus_connection_open_console_async (DomusConnection     *self,
                                     const char          *name,
                                     DomusConsoleKind     kind,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(JsonNode) params = json_node_new (JSON_NODE_OBJECT);
  g_autoptr(JsonObject) object = json_object_new ();
  ConsoleData *data;

  g_return_if_fail (DOMUS_IS_CONNECTION (self));
  g_return_if_fail (name != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, domus_connection_open_console_async);
  data = g_new0 (ConsoleData, 1);
  data->name = g_strdup (name);
  data->kind = kind;
  g_task_set_task_data (task, data, (GDestroyNotify) console_data_free);

  json_object_set_string_member (object, "name", name);
  json_node_set_object (params, object);
  domus_connection_call_async (self, "domain.get", params, cancellable, on_console_domain,
                               g_steal_pointer (&task));
}

int
domus_connection_open_console_finish (DomusConnection  *self,
                                      GAsyncResult     *result,
                                      GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), -1);

  return domus_task_propagate_fd (G_TASK (result), error);
}
