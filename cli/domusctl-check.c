/* SPDX-License-Identifier: GPL-3.0-or-later */
/* domusctl check and create: validate a domain's .cfg file and show the QEMU command it becomes. */

#include "config.h"

#include <inttypes.h>
#include <string.h>
#include <glib/gi18n.h>

#include "hv-config.h"
#include "hv-domain-spec.h"
#include "hv-paths.h"
#include "hv-qemu-command.h"
#include "domusctl-client.h"
#include "domusctl.h"

static void
print_warnings (const char *filename,
                GPtrArray  *notices)
{
  for (guint i = 0; i < notices->len; i++)
    g_printerr (_("%s: warning: %s\n"), filename, (const char *) g_ptr_array_index (notices, i));
}

/* Where the domain's sockets would live: --run-dir, else the session daemon's folder. */
static char *
default_run_dir (const char *name)
{
  g_autoptr(HvPaths) paths = hv_paths_new_session ();

  return g_build_filename (paths->run_dir, name, NULL);
}

/* Parses and translates FILE leniently: nothing is written, nothing started. */
static HvDomainSpec *
translate (const char     *filename,
           HvQemuOptions  *options,
           const char     *run_dir,
           GStrv          *argv_out,
           GPtrArray     **notices_out,
           GError        **error)
{
  g_autoptr(HvConfig) config = NULL;
  g_autoptr(HvDomainSpec) spec = NULL;
  g_autoptr(GPtrArray) notices = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *domain_run_dir = NULL;
  g_auto(GStrv) argv = NULL;

  config = hv_config_new_from_file (filename, error);
  if (config == NULL)
    return NULL;
  spec = hv_domain_spec_new (config, options->strict ? HV_DOMAIN_SPEC_STRICT_FILES
                                                     : HV_DOMAIN_SPEC_FLAGS_NONE, error);
  if (spec == NULL)
    return NULL;
  for (guint i = 0; i < spec->notices->len; i++)
    g_ptr_array_add (notices, g_strdup (g_ptr_array_index (spec->notices, i)));

  domain_run_dir = run_dir != NULL ? g_strdup (run_dir) : default_run_dir (spec->name);
  options->run_dir = domain_run_dir;
  argv = hv_qemu_command_build (spec, options, notices, error);
  options->run_dir = NULL;
  if (argv == NULL)
    return NULL;

  if (argv_out != NULL)
    *argv_out = g_steal_pointer (&argv);
  if (notices_out != NULL)
    *notices_out = g_steal_pointer (&notices);
  return g_steal_pointer (&spec);
}

/* --explain: every assignment Domus reads, with its line, and what it passed over. */
static void
print_assignments (const char *filename)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) skipped = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(HvConfig) config = NULL;
  g_autofree char *text = NULL;
  g_auto(GStrv) keys = NULL;
  gsize length;

  if (!g_file_get_contents (filename, &text, &length, &error) ||
      (config = hv_config_new_from_data_partial (text, (gssize) length, filename, skipped, &error)) == NULL)
    {
      g_printerr ("%s\n", error->message);
      return;
    }
  keys = hv_config_dup_keys (config);
  g_print (_("%s: the assignments Domus reads:\n"), filename);
  for (guint i = 0; keys[i] != NULL; i++)
    {
      g_autofree char *value = hv_config_value_to_string (hv_config_get_value (config, keys[i]));
      guint line = 0;

      hv_config_get_location (config, keys[i], &line, NULL);
      g_print ("  %4u  %s = %s\n", line, keys[i], value);
    }
  if (skipped->len == 0)
    return;
  g_print (_("%s: what it cannot read:\n"), filename);
  for (guint i = 0; i < skipped->len; i++)
    g_print ("  %s\n", (const char *) g_ptr_array_index (skipped, i));
}

int
domusctl_verb_check (DomusctlGlobals *globals,
                     int              argc,
                     char           **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  gboolean explain = FALSE;
  int status = 0;
  const GOptionEntry entries[] = {
    { "explain", 'e', 0, G_OPTION_ARG_NONE, &explain,
      N_("Also print every assignment read (line, key, value) and every statement passed over"), NULL },
    { NULL }
  };

  context = g_option_context_new (_("FILE…"));
  g_option_context_set_summary (context,
                                _("Check domain configuration files: parse them and translate them "
                                  "to a QEMU command line, without starting anything."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!domusctl_parse_options (context, &argc, &argv))
    return 2;
  if (argc < 2)
    return domusctl_usage_error (_("check needs at least one configuration file"));

  for (int i = 1; i < argc; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(HvDomainSpec) spec = NULL;
      HvQemuOptions options;

      if (explain)
        print_assignments (argv[i]);
      hv_qemu_options_init (&options);
      /* Any absolute folder will do: only the spec's own notices are shown, not the network's. */
      spec = translate (argv[i], &options, "/run/domus/check", NULL, NULL, &error);
      if (spec == NULL)
        {
          g_printerr ("%s\n", error->message);
          status = 1;
          continue;
        }
      print_warnings (argv[i], spec->notices);
      g_print (_("%s: ok\n"), argv[i]);
    }
  return status;
}

static gboolean
parse_network (const char    *text,
               HvQemuNetMode *out)
{
  if (g_strcmp0 (text, "user") == 0)
    *out = HV_QEMU_NET_USER;
  else if (g_strcmp0 (text, "tap") == 0)
    *out = HV_QEMU_NET_TAP;
  else
    return FALSE;
  return TRUE;
}

/* Sends the file to the daemon, which defines the domain and starts it. */
static int
create_on_daemon (DomusctlGlobals *globals,
                  const char      *filename,
                  gboolean         console)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DomusctlClient) client = NULL;
  g_autoptr(DomusDomainInfo) created = NULL;
  int status;

  client = domusctl_client_open (globals->connect_uri, &error);
  if (client == NULL && g_error_matches (error, DOMUS_ERROR, DOMUS_ERROR_CONNECT_FAILED))
    return domusctl_fail (_("%s; “domusctl create --dry-run %s” shows the QEMU command line without it"),
                          error->message, filename);
  if (client == NULL)
    return domusctl_fail_error (error);
  /* Starting takes as long as it takes; the wait is as long as the daemon answers. */
  if ((status = domusctl_define_file (client, filename, TRUE, &created)) != 0)
    return status;
  if (created->name == NULL)
    return domusctl_fail (_("the daemon sent an answer without the domain’s name"));
  /* What the daemon accepted without honouring, as check shows it. */
  for (guint i = 0; created->notices[i] != NULL; i++)
    g_printerr (_("%s: warning: %s\n"), filename, created->notices[i]);
  g_print (_("Started domain %s (id=%" PRId64 ")\n"), created->name, created->id);
  if (console)
    {
      g_clear_pointer (&client, domusctl_client_free);
      return domusctl_attach_console (globals, created->name);
    }
  return 0;
}

int
domusctl_verb_create (DomusctlGlobals *globals,
                      int              argc,
                      char           **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(HvDomainSpec) spec = NULL;
  g_autoptr(GPtrArray) notices = NULL;
  g_auto(GStrv) command = NULL;
  g_autofree char *run_dir = NULL;
  g_autofree char *binary = NULL;
  g_autofree char *network = NULL;
  g_autofree char *accel = NULL;
  g_autofree char *shell = NULL;
  int tb_size = -1;
  gboolean dry_run = FALSE;
  gboolean console = FALSE;
  HvQemuOptions options;
  const GOptionEntry entries[] = {
    { "dry-run", 'n', 0, G_OPTION_ARG_NONE, &dry_run,
      N_("Print the QEMU command line instead of starting the domain"), NULL },
    { "console", 'c', 0, G_OPTION_ARG_NONE, &console,
      N_("Attach to the domain's serial console once it runs"), NULL },
    { "run-dir", 0, 0, G_OPTION_ARG_FILENAME, &run_dir,
      N_("The domain's run folder (default: the session daemon's)"), N_("DIR") },
    { "qemu", 0, 0, G_OPTION_ARG_FILENAME, &binary,
      N_("The QEMU binary (default: qemu-system-x86_64 from PATH)"), N_("PROGRAM") },
    { "network", 0, 0, G_OPTION_ARG_STRING, &network,
      N_("Networking to show: user (session daemon, the default) or tap (system daemon)"), N_("MODE") },
    { "accel", 0, 0, G_OPTION_ARG_STRING, &accel,
      N_("Accelerator to show: tcg (the default) or kvm"), N_("ACCEL") },
    { "tb-size", 0, 0, G_OPTION_ARG_INT, &tb_size,
      N_("TCG translation cache size in MiB (default: the daemon's, by the guest's memory)"), N_("MIB") },
    { NULL }
  };

  context = g_option_context_new (_("FILE"));
  g_option_context_set_summary (context, _("Create a domain from a configuration file, as xm create does."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!domusctl_parse_options (context, &argc, &argv))
    return 2;
  if (argc != 2)
    return domusctl_usage_error (_("create needs exactly one configuration file"));

  hv_qemu_options_init (&options);
  options.binary = binary;
  if (network != NULL && !parse_network (network, &options.net_mode))
    return domusctl_usage_error (_("--network must be user or tap, not “%s”"), network);
  if (accel != NULL && strcmp (accel, "kvm") == 0)
    options.accel = HV_QEMU_ACCEL_KVM;
  else if (accel != NULL && strcmp (accel, "tcg") != 0)
    return domusctl_usage_error (_("--accel must be tcg or kvm, not “%s”"), accel);
  if (tb_size < -1)
    return domusctl_usage_error (_("--tb-size must be a size in MiB, not %d"), tb_size);
  if (tb_size >= 0)
    options.tb_size_mib = (guint) tb_size;

  if (!dry_run)
    return create_on_daemon (globals, argv[1], console);

  spec = translate (argv[1], &options, run_dir, &command, &notices, &error);
  if (spec == NULL)
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  print_warnings (argv[1], notices);
  shell = hv_qemu_command_to_shell ((const char * const *) command, TRUE);
  g_print ("%s\n", shell);
  return 0;
}
