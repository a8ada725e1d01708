/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A command line onto HvDebianBuilder for the slow test and bench/debian-guest.py (until the
 * daemon's image.debian method exists):
 *
 *   domus-debian-build --images DIR --configs DIR [--mirror URL] [--suite S] [--size BYTES]
 *                      [--hostname H] [--ssh-key FILE] [--root-password-file FILE]
 *                      [--packages a,b] [--ssh-port PORT] NAME
 *                      [--cancel-at STAGE:PERCENT]
 *   domus-debian-build --qemu-command CFG RUNDIR    the QEMU command Domus runs for CFG
 *   domus-debian-build --images DIR --configs DIR --clone CFG NEW    a full clone of CFG
 *   domus-debian-build --probe IMAGE FORMAT         does IMAGE hold cloud-init?
 *
 * Prints "progress STAGE PERCENT" lines, then
 * "built base=0|1 seconds=S config=PATH ssh_port=P base_path=PATH";
 * on failure "error CODE: MESSAGE" on stderr and exit status 1.
 */

#include <stdlib.h>
#include <glib.h>

#include "hv-clone.h"
#include "hv-cloud-init-probe.h"
#include "hv-config.h"
#include "hv-debian-builder.h"
#include "hv-domain-spec.h"
#include "hv-qemu-command.h"

/* --cancel-at STAGE:PERCENT: the build is cancelled once it reports that far. */
static char *cancel_stage;
static guint cancel_percent;

static void
on_progress (HvDebianBuilder *builder,
             const char      *name,
             const char      *stage,
             guint            percent,
             gpointer         user_data)
{
  GCancellable *cancellable = user_data;

  g_print ("progress %s %u\n", stage, percent);
  if (cancel_stage != NULL && g_str_equal (stage, cancel_stage) && percent >= cancel_percent &&
      !g_cancellable_is_cancelled (cancellable))
    {
      g_print ("cancelling\n");
      g_cancellable_cancel (cancellable);
    }
}

static void
on_built (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  GAsyncResult **slot = user_data;

  *slot = g_object_ref (result);
}

static int
print_qemu_command (const char *cfg,
                    const char *run_dir)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HvConfig) config = hv_config_new_from_file (cfg, &error);
  g_autoptr(HvDomainSpec) spec = NULL;
  g_auto(GStrv) argv = NULL;
  HvQemuOptions options;

  if (config != NULL)
    spec = hv_domain_spec_new (config, HV_DOMAIN_SPEC_STRICT_FILES, &error);
  if (spec != NULL)
    {
      hv_qemu_options_init (&options);
      options.run_dir = run_dir;
      options.strict = TRUE;
      argv = hv_qemu_command_build (spec, &options, NULL, &error);
    }
  if (argv == NULL)
    {
      g_printerr ("error: %s\n", error->message);
      return 1;
    }
  for (guint i = 0; argv[i] != NULL; i++)
    g_print ("%s\n", argv[i]);
  return 0;
}

static GAsyncResult *
wait_for (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *slot;
}

static int
clone_domain (const char *cfg,
              const char *new_name,
              const char *images,
              const char *configs)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(HvCloneResult) clone = NULL;
  g_autoptr(GError) error = NULL;

  hv_clone_async (cfg, new_name, images, configs, FALSE, NULL, on_built, &result);
  clone = hv_clone_finish (wait_for (&result), &error);
  if (clone == NULL)
    {
      g_printerr ("error %d: %s\n", error->code, error->message);
      return 1;
    }
  g_print ("cloned config=%s\n", clone->config_path);
  return 0;
}

static int
probe (const char *image,
       const char *format)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *detail = NULL;
  HvCloudInitPresence presence;

  hv_cloud_init_probe_async (image, format, NULL, on_built, &result);
  presence = hv_cloud_init_probe_finish (wait_for (&result), &detail, &error);
  if (error != NULL)
    {
      g_printerr ("error %d: %s\n", error->code, error->message);
      return 1;
    }
  g_print ("cloud-init %s: %s\n", hv_cloud_init_presence_to_string (presence), detail);
  return 0;
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *images = NULL, *configs = NULL, *mirror = NULL, *suite = NULL;
  g_autofree char *hostname = NULL, *ssh_key = NULL, *password = NULL, *packages = NULL;
  g_autofree char *qemu_command = NULL;
  g_autofree char *cancel_at = NULL;
  g_autofree char *clone_source = NULL;
  g_autofree char *probe_image = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  gint64 size = 0;
  int ssh_port = 0;
  GOptionEntry entries[] = {
    { "images", 0, 0, G_OPTION_ARG_FILENAME, &images, "The image store", "DIR" },
    { "configs", 0, 0, G_OPTION_ARG_FILENAME, &configs, "The config folder", "DIR" },
    { "mirror", 0, 0, G_OPTION_ARG_STRING, &mirror, "The archive", "URL" },
    { "suite", 0, 0, G_OPTION_ARG_STRING, &suite, "The suite", "SUITE" },
    { "size", 0, 0, G_OPTION_ARG_INT64, &size, "The disk's size", "BYTES" },
    { "hostname", 0, 0, G_OPTION_ARG_STRING, &hostname, "The host name", "NAME" },
    { "ssh-key", 0, 0, G_OPTION_ARG_FILENAME, &ssh_key, "Public keys for root", "FILE" },
    { "root-password-file", 0, 0, G_OPTION_ARG_FILENAME, &password, "Root's password", "FILE" },
    { "packages", 0, 0, G_OPTION_ARG_STRING, &packages, "More packages", "A,B" },
    { "ssh-port", 0, 0, G_OPTION_ARG_INT, &ssh_port, "SSH's host port (0: the first free from 2222; -1: none)", "PORT" },
    { "cancel-at", 0, 0, G_OPTION_ARG_STRING, &cancel_at, "Cancel once progress reaches it", "STAGE:PERCENT" },
    { "clone", 0, 0, G_OPTION_ARG_FILENAME, &clone_source, "Clone CFG as NAME", "CFG" },
    { "probe", 0, 0, G_OPTION_ARG_FILENAME, &probe_image, "Look for cloud-init in IMAGE (FORMAT given)", "IMAGE" },
    { "qemu-command", 0, 0, G_OPTION_ARG_FILENAME, &qemu_command, "Print the QEMU command of CFG", "CFG" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("NAME | --qemu-command CFG RUNDIR");
  g_autoptr(GError) error = NULL;
  g_autoptr(HvDebianBuilder) builder = NULL;
  g_autoptr(HvDebianRequest) request = NULL;
  g_autoptr(HvDebianResult) result = NULL;
  g_autoptr(GAsyncResult) async_result = NULL;
  gint64 start;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("error: %s\n", error->message);
      return 2;
    }
  if (qemu_command != NULL)
    return argc == 2 ? print_qemu_command (qemu_command, argv[1]) : 2;
  if (probe_image != NULL)
    return argc == 2 ? probe (probe_image, argv[1]) : 2;
  if (clone_source != NULL)
    return argc == 2 && images != NULL && configs != NULL ? clone_domain (clone_source, argv[1], images, configs) : 2;
  if (argc != 2 || images == NULL || configs == NULL)
    {
      g_printerr ("usage: domus-debian-build --images DIR --configs DIR [options] NAME\n");
      return 2;
    }

  builder = hv_debian_builder_new (images, configs);
  hv_debian_builder_set_mirror (builder, mirror);
  if (cancel_at != NULL)
    {
      g_auto(GStrv) parts = g_strsplit (cancel_at, ":", 2);

      cancel_stage = g_strdup (parts[0]);
      cancel_percent = parts[1] != NULL ? (guint) g_ascii_strtoull (parts[1], NULL, 10) : 0;
    }
  g_signal_connect (builder, "progress", G_CALLBACK (on_progress), cancellable);
  request = hv_debian_request_new (argv[1]);
  request->suite = g_steal_pointer (&suite);
  request->size_bytes = (guint64) size;
  request->hostname = g_steal_pointer (&hostname);
  request->ssh_key_file = g_steal_pointer (&ssh_key);
  request->root_password_file = g_steal_pointer (&password);
  request->ssh_port = ssh_port;
  if (packages != NULL)
    request->packages = g_strsplit (packages, ",", -1);

  start = g_get_monotonic_time ();
  hv_debian_builder_build_async (builder, request, cancellable, on_built, &async_result);
  while (async_result == NULL)
    g_main_context_iteration (NULL, TRUE);
  result = hv_debian_builder_build_finish (builder, async_result, &error);
  /* The last progress signals are queued behind the result. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  if (result == NULL)
    {
      g_printerr ("error %d: %s\n", error->code, error->message);
      return 1;
    }
  g_print ("built base=%d seconds=%.2f config=%s ssh_port=%u base_path=%s\n", result->base_built,
           (g_get_monotonic_time () - start) / 1e6, result->config_path, result->ssh_port, result->base_path);
  return 0;
}
