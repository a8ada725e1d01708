/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Runs a tool on a private main context in a worker thread: stdin fed, stdout kept, stderr read line by line. */

#include "config.h"

#include <grp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "hv-tool.h"

/* The uid and gid of `nobody` on Debian (and most systems). */
#define NOBODY_ID 65534

typedef struct {
  GMainContext         *context;
  GSubprocess          *process;
  const HvToolOptions  *options;
  GDataInputStream     *stderr_lines;
  GString              *stderr_text;
  GOutputStream        *stdout_buffer;
  guint                 pending;     /* reads, writes and the wait still running */
  gboolean              exited;
  GSource              *kill_source;
} Run;

/* Seconds a cancelled tool gets to clean up after SIGTERM before SIGKILL. */
#define TERM_GRACE_S 10

/* In the child, before exec. */
static void
child_setup (gpointer user_data)
{
  gboolean drop = GPOINTER_TO_INT (user_data);

  /* A group of its own: cancelling ends the tool and whatever it started (fakeroot's
   * faked, mmdebstrap's apt and dpkg), by the group's id. */
  setpgid (0, 0);
  if (!drop || geteuid () != 0)
    return;
  /* If any step fails the tool must not run as root. */
  if (setgroups (0, NULL) != 0 || setgid (NOBODY_ID) != 0 || setuid (NOBODY_ID) != 0)
    _exit (127);
}

static void read_next_line (Run *run);

static void
on_stderr_line (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  Run *run = user_data;
  g_autofree char *raw = NULL;
  g_autofree char *line = NULL;
  gsize length;

  raw = g_data_input_stream_read_line_finish (G_DATA_INPUT_STREAM (source), result, &length, NULL);
  if (raw == NULL)
    {
      run->pending--;
      return;
    }
  /* Keep reading whatever the bytes: a tool blocked on a full pipe would never end. */
  line = g_utf8_make_valid (raw, (gssize) length);
  g_string_append (run->stderr_text, line);
  g_string_append_c (run->stderr_text, '\n');
  if (run->options != NULL && run->options->on_stderr_line != NULL)
    run->options->on_stderr_line (line, run->options->user_data);
  read_next_line (run);
}

static void
read_next_line (Run *run)
{
  g_data_input_stream_read_line_async (run->stderr_lines, G_PRIORITY_DEFAULT, NULL,
                                       on_stderr_line, run);
}

static void
on_stdout_spliced (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  Run *run = user_data;

  g_output_stream_splice_finish (G_OUTPUT_STREAM (source), result, NULL);
  run->pending--;
}

static void
on_stdin_written (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  Run *run = user_data;

  /* A tool that exits without reading all of it is its own business. */
  g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, NULL);
  g_output_stream_close (G_OUTPUT_STREAM (source), NULL, NULL);
  run->pending--;
}

static void
on_waited (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Run *run = user_data;

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  run->exited = TRUE;
  run->pending--;
}

static pid_t
process_group (GSubprocess *process)
{
  const char *id = g_subprocess_get_identifier (process);

  return id != NULL ? (pid_t) atoi (id) : 0;
}

static gboolean
on_term_grace_over (gpointer user_data)
{
  Run *run = user_data;
  pid_t group = process_group (run->process);

  if (group > 0)
    kill (-group, SIGKILL);
  return G_SOURCE_REMOVE;
}

/* On the private context (see on_cancelled): SIGTERM lets mmdebstrap remove its
 * temporary folder; what still runs after the grace gets SIGKILL. */
static gboolean
terminate_group (gpointer user_data)
{
  Run *run = user_data;
  pid_t group = process_group (run->process);

  if (group > 0)
    {
      kill (-group, SIGTERM);
      run->kill_source = g_timeout_source_new_seconds (TERM_GRACE_S);
      g_source_set_callback (run->kill_source, on_term_grace_over, run, NULL);
      g_source_attach (run->kill_source, run->context);
    }
  return G_SOURCE_REMOVE;
}

static void
on_cancelled (GCancellable *cancellable,
              gpointer      user_data)
{
  Run *run = user_data;

  /* Any thread may cancel: hand the work to the thread that waits. */
  g_main_context_invoke (run->context, terminate_group, run);
}

/* argv[0] from PATH, else from the sbin folders a user's PATH lacks (mke2fs, debugfs). */
static char *
find_tool (const char *name)
{
  static const char * const sbin[] = { "/usr/sbin", "/sbin" };
  char *path = g_find_program_in_path (name);

  for (guint i = 0; path == NULL && i < G_N_ELEMENTS (sbin); i++)
    {
      g_autofree char *candidate = g_build_filename (sbin[i], name, NULL);

      if (g_file_test (candidate, G_FILE_TEST_IS_EXECUTABLE))
        path = g_steal_pointer (&candidate);
    }
  return path;
}

static GSubprocess *
spawn (const char * const   *argv,
       const HvToolOptions  *options,
       GError              **error)
{
  g_autofree char *path = find_tool (argv[0]);
  g_autoptr(GPtrArray) resolved = g_ptr_array_new ();
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  GSubprocessFlags flags = G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE;

  flags |= options != NULL && options->stdin_text != NULL ? G_SUBPROCESS_FLAGS_STDIN_PIPE
                                                          : G_SUBPROCESS_FLAGS_NONE;
  launcher = g_subprocess_launcher_new (flags);
  /* Messages the callers parse are English whatever the daemon's locale. */
  g_subprocess_launcher_setenv (launcher, "LC_ALL", "C.UTF-8", TRUE);
  for (guint i = 0; options != NULL && options->environment != NULL && options->environment[i] != NULL; i++)
    {
      g_auto(GStrv) pair = g_strsplit (options->environment[i], "=", 2);

      if (pair[0] != NULL && pair[1] != NULL)
        g_subprocess_launcher_setenv (launcher, pair[0], pair[1], TRUE);
    }
  g_subprocess_launcher_set_child_setup (launcher, child_setup,
                                         GINT_TO_POINTER (options != NULL && options->drop_root), NULL);
  if (path == NULL)
    {
      g_set_error (error, G_SPAWN_ERROR, G_SPAWN_ERROR_NOENT,
                   _("%s is not installed (not found in PATH, /usr/sbin or /sbin)"), argv[0]);
      return NULL;
    }
  g_ptr_array_add (resolved, path);
  for (guint i = 1; argv[i] != NULL; i++)
    g_ptr_array_add (resolved, (gpointer) argv[i]);
  g_ptr_array_add (resolved, NULL);
  return g_subprocess_launcher_spawnv (launcher, (const char * const *) resolved->pdata, error);
}

gboolean
hv_tool_run (const char * const   *argv,
             const HvToolOptions  *options,
             char                **out,
             char                **err,
             int                  *exit_status,
             GCancellable         *cancellable,
             GError              **error)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GString) stderr_text = g_string_new (NULL);
  g_autoptr(GOutputStream) stdout_buffer = g_memory_output_stream_new_resizable ();
  g_autoptr(GDataInputStream) stderr_lines = NULL;
  Run run = { 0 };
  gulong cancelled_id = 0;
  int status;

  g_return_val_if_fail (argv != NULL && argv[0] != NULL, FALSE);

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  process = spawn (argv, options, error);
  if (process == NULL)
    return FALSE;

  g_main_context_push_thread_default (context);
  run.context = context;
  run.process = process;
  run.options = options;
  run.stderr_text = stderr_text;
  run.stdout_buffer = stdout_buffer;
  stderr_lines = g_data_input_stream_new (g_subprocess_get_stderr_pipe (process));
  g_data_input_stream_set_newline_type (stderr_lines, G_DATA_STREAM_NEWLINE_TYPE_ANY);
  run.stderr_lines = stderr_lines;

  run.pending = 3;
  read_next_line (&run);
  g_output_stream_splice_async (stdout_buffer, g_subprocess_get_stdout_pipe (process),
                                G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET, G_PRIORITY_DEFAULT,
                                NULL, on_stdout_spliced, &run);
  if (options != NULL && options->stdin_text != NULL)
    {
      run.pending++;
      g_output_stream_write_all_async (g_subprocess_get_stdin_pipe (process),
                                       options->stdin_text, strlen (options->stdin_text),
                                       G_PRIORITY_DEFAULT, NULL, on_stdin_written, &run);
    }
  g_subprocess_wait_async (process, NULL, on_waited, &run);
  if (cancellable != NULL)
    cancelled_id = g_cancellable_connect (cancellable, G_CALLBACK (on_cancelled), &run, NULL);

  while (run.pending > 0)
    g_main_context_iteration (context, TRUE);

  g_cancellable_disconnect (cancellable, cancelled_id);
  /* A cancel that came late may still have its callback queued here. */
  while (g_main_context_iteration (context, FALSE))
    ;
  if (run.kill_source != NULL)
    {
      /* The tool is gone; anything of its group left goes now. */
      pid_t group = process_group (process);

      g_source_destroy (run.kill_source);
      g_source_unref (run.kill_source);
      if (group > 0)
        kill (-group, SIGKILL);
    }
  g_main_context_pop_thread_default (context);

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;

  status = g_subprocess_get_if_exited (process) ? g_subprocess_get_exit_status (process)
                                                : 128 + g_subprocess_get_term_sig (process);
  if (exit_status != NULL)
    *exit_status = status;
  if (out != NULL)
    {
      g_autoptr(GBytes) bytes = g_memory_output_stream_steal_as_bytes (G_MEMORY_OUTPUT_STREAM (stdout_buffer));
      gsize size;
      const char *data = g_bytes_get_data (bytes, &size);

      *out = g_strndup (data != NULL ? data : "", size);
    }
  if (err != NULL)
    *err = g_string_free (g_steal_pointer (&stderr_text), FALSE);
  return TRUE;
}

char *
hv_tool_last_line (const char *text)
{
  g_auto(GStrv) lines = NULL;

  if (text == NULL)
    return g_strdup ("");
  lines = g_strsplit (text, "\n", -1);
  for (guint i = g_strv_length (lines); i > 0; i--)
    {
      g_strstrip (lines[i - 1]);
      if (*lines[i - 1] != '\0')
        return g_strdup (lines[i - 1]);
    }
  return g_strdup ("");
}

void
hv_tool_remove_tree (const char *dir)
{
  g_autoptr(GDir) handle = g_dir_open (dir, 0, NULL);
  const char *name;

  while (handle != NULL && (name = g_dir_read_name (handle)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      if (g_file_test (path, G_FILE_TEST_IS_DIR) && !g_file_test (path, G_FILE_TEST_IS_SYMLINK))
        hv_tool_remove_tree (path);
      else
        g_unlink (path);
    }
  g_rmdir (dir);
}
