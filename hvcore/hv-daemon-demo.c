/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * demo.prepare: a first guest for a new user, in one click. The host's own kernel and a
 * busybox initramfs (the same script that builds the test guest), kept under the
 * image store, and a config the client may create as it is.
 */

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "hv-daemon-private.h"

#define DEMO_FOLDER ".demo-guest"

typedef struct {
  HvDaemon  *daemon;
  HvRpcCall *call;
  char      *dir;
} Prepare;

static void
prepare_free (Prepare *prepare)
{
  g_object_unref (prepare->daemon);
  g_free (prepare->dir);
  g_free (prepare);
}

static char *
find_script (void)
{
  const char *configured = g_getenv ("DOMUS_GUEST_SCRIPT");

  if (configured != NULL && *configured != '\0')
    return g_strdup (configured);
  return g_build_filename (DATADIR, "domus", "guest", "build-guest.sh", NULL);
}

static gboolean
is_active (GPtrArray  *active,
           const char *name)
{
  for (guint i = 0; i < active->len; i++)
    if (g_strcmp0 (hv_domain_get_name (g_ptr_array_index (active, i)), name) == 0)
      return TRUE;
  return FALSE;
}

/* The first of demo, demo-2, demo-3 … that names no running domain and no config file. */
static char *
free_demo_name (HvDaemon *self)
{
  g_autoptr(GPtrArray) active = hv_host_dup_active (self->host);

  for (guint i = 1; ; i++)
    {
      g_autofree char *name = i == 1 ? g_strdup ("demo") : g_strdup_printf ("demo-%u", i);
      g_autofree char *file = g_strconcat (name, ".cfg", NULL);
      g_autofree char *path = g_build_filename (self->paths->config_dir, file, NULL);

      if (!is_active (active, name) && !g_file_test (path, G_FILE_TEST_EXISTS))
        return g_steal_pointer (&name);
    }
}

static JsonNode *
demo_result (HvDaemon   *self,
             const char *dir)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autofree char *kernel = g_build_filename (dir, "vmlinuz", NULL);
  g_autofree char *ramdisk = g_build_filename (dir, "initrd.img", NULL);
  g_autofree char *name = free_demo_name (self);
  g_autofree char *config = NULL;

  config = g_strdup_printf ("# A small demo guest: this host's kernel and a busybox shell.\n"
                            "name = '%s'\n"
                            "kernel = '%s'\n"
                            "ramdisk = '%s'\n"
                            "extra = 'console=tty0 console=ttyS0'\n"
                            "memory = 128\n"
                            "vcpus = 1\n"
                            "vnc = 1\n"
                            "on_poweroff = 'destroy'\n"
                            "on_reboot = 'restart'\n"
                            "tags = ['demo']\n",
                            name, kernel, ramdisk);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, name);
  json_builder_set_member_name (builder, "kernel");
  json_builder_add_string_value (builder, kernel);
  json_builder_set_member_name (builder, "ramdisk");
  json_builder_add_string_value (builder, ramdisk);
  json_builder_set_member_name (builder, "config");
  json_builder_add_string_value (builder, config);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

static char *
last_line (const char *text)
{
  g_autofree char *copy = g_strstrip (g_strdup (text != NULL ? text : ""));
  const char *newline = strrchr (copy, '\n');

  return g_strdup (newline != NULL ? newline + 1 : copy);
}

static void
on_built (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  Prepare *prepare = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *output = NULL;
  g_autofree char *said = NULL;

  if (!g_subprocess_communicate_utf8_finish (G_SUBPROCESS (source), result, NULL, &output, &error))
    hv_rpc_call_return_new_error (prepare->call, HV_RPC_ERROR_FAILED,
                                  _("The demo guest could not be built: %s"), error->message);
  else if (!g_subprocess_get_successful (G_SUBPROCESS (source)))
    {
      said = last_line (output);
      /* What is missing on the host (busybox-static, a readable kernel) is not ours to fix. */
      hv_rpc_call_return_new_error (prepare->call, HV_RPC_ERROR_NOT_SUPPORTED,
                                    _("This host cannot build the demo guest: %s"), said);
    }
  else
    hv_rpc_call_return (prepare->call, demo_result (prepare->daemon, prepare->dir));
  prepare_free (prepare);
}

static void
method_demo_prepare (HvRpcCall *call,
                     JsonNode  *params,
                     gpointer   user_data)
{
  HvDaemon *self = HV_DAEMON (user_data);
  g_autofree char *script = find_script ();
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  Prepare *prepare;

  if (!g_file_test (script, G_FILE_TEST_IS_REGULAR))
    {
      hv_rpc_call_return_new_error (call, HV_RPC_ERROR_NOT_SUPPORTED,
                                    _("This host cannot build the demo guest: %s is not installed."),
                                    script);
      return;
    }
  prepare = g_new0 (Prepare, 1);
  prepare->daemon = g_object_ref (self);
  prepare->call = call;
  prepare->dir = g_build_filename (self->paths->image_dir, DEMO_FOLDER, NULL);

  /* The script writes vmlinuz and initrd.img whole or not at all, and makes the same
     bytes every time: running it again just checks. */
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE);
  process = g_subprocess_launcher_spawn (launcher, &error, "sh", script, prepare->dir, NULL);
  if (process == NULL)
    {
      hv_rpc_call_return_new_error (call, HV_RPC_ERROR_FAILED,
                                    _("The demo guest could not be built: %s"), error->message);
      prepare_free (prepare);
      return;
    }
  g_subprocess_communicate_utf8_async (process, NULL, hv_rpc_call_get_cancellable (call),
                                       on_built, prepare);
}

void
hv_daemon_add_demo_methods (HvDaemon *self)
{
  hv_rpc_server_add_method (self->server, "demo.prepare", method_demo_prepare, self, NULL);
}
