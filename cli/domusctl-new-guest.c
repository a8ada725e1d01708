/* SPDX-License-Identifier: GPL-3.0-or-later */
/* domusctl image debian|cloud: a ready guest made in the host's image store and defined, as xen-create-image did. */

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "domusctl-client.h"
#include "domusctl.h"
#include "hv-cloud-seed.h"

/* Reads a small text file of the user's for an option; NULL after saying why (naming both). */
static char *
read_option_file (const char  *option,
                  const char  *path,
                  int         *status)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  gsize length = 0;

  if (!g_file_get_contents (path, &text, &length, &error))
    {
      *status = domusctl_usage_error ("%s: %s", option, error->message);
      return NULL;
    }
  /* A NUL inside would cut the text short without a word. */
  if (strlen (text) != length || !g_utf8_validate (text, -1, NULL))
    {
      *status = domusctl_usage_error (_("%s: %s is not a text file"), option, path);
      return NULL;
    }
  return g_steal_pointer (&text);
}

/*
 * Checked here, with the rule the host applies, so that a wrong file is named with its
 * line (the host only sees the text): every line that is not empty or a comment is a key.
 */
static gboolean
check_ssh_keys (const char *path,
                const char *text,
                int        *status)
{
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  guint keys = 0;

  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_strstrip (lines[i]);
      if (*lines[i] == '\0' || *lines[i] == '#')
        continue;
      if (!hv_cloud_seed_ssh_key_is_valid (lines[i]))
        {
          *status = domusctl_usage_error (_("--ssh-key: %s, line %u: not an OpenSSH public key "
                                            "(“ssh-ed25519 AAAA… comment”); give the .pub file"), path, i + 1);
          return FALSE;
        }
      keys++;
    }
  if (keys == 0)
    *status = domusctl_usage_error (_("--ssh-key: %s holds no public key"), path);
  return keys > 0;
}

/* The public key lines of every --ssh-key FILE, one after the other (NULL for none). */
static gboolean
read_ssh_keys (char  **paths,
               char  **keys,
               int    *status)
{
  g_autoptr(GString) all = NULL;

  *keys = NULL;
  if (paths == NULL)
    return TRUE;
  all = g_string_new (NULL);
  for (guint i = 0; paths[i] != NULL; i++)
    {
      g_autofree char *text = read_option_file ("--ssh-key", paths[i], status);

      if (text == NULL || !check_ssh_keys (paths[i], text, status))
        return FALSE;
      g_string_append (all, text);
      if (all->len > 0 && all->str[all->len - 1] != '\n')
        g_string_append_c (all, '\n');
    }
  *keys = g_string_free (g_steal_pointer (&all), FALSE);
  return TRUE;
}

/* The password is the file's first line: a file written by `echo` ends in a newline that is not part of it. */
static gboolean
read_password (const char  *path,
               char       **password,
               int         *status)
{
  g_autofree char *text = NULL;

  *password = NULL;
  if (path == NULL)
    return TRUE;
  if ((text = read_option_file ("--root-password-file", path, status)) == NULL)
    return FALSE;
  text[strcspn (text, "\r\n")] = '\0';
  if (text[0] == '\0')
    {
      *status = domusctl_usage_error (_("--root-password-file: the first line of %s is empty"), path);
      return FALSE;
    }
  *password = g_steal_pointer (&text);
  return TRUE;
}

/* "a,b, c" → {a, b, c}; an empty item is refused, naming the argument. */
static gboolean
split_packages (const char  *text,
                GStrv       *packages,
                int         *status)
{
  g_auto(GStrv) items = NULL;

  *packages = NULL;
  if (text == NULL)
    return TRUE;
  items = g_strsplit (text, ",", -1);
  for (guint i = 0; items[i] != NULL; i++)
    if (*g_strstrip (items[i]) == '\0')
      {
        *status = domusctl_usage_error (_("--packages: “%s” has an empty package name; write names with commas between (vim,curl)"),
                                        text);
        return FALSE;
      }
  *packages = g_steal_pointer (&items);
  return TRUE;
}

/* --size, --memory and --ssh-port: FALSE after naming the option. */
static gboolean
parse_size_option (const char *option,
                   const char *text,
                   guint64    *bytes,
                   int        *status)
{
  gint64 value;

  if (text == NULL)
    return TRUE;
  if (!domusctl_parse_size (text, &value))
    {
      *status = domusctl_usage_error (_("%s: “%s” is not a size: write bytes, or a number with K, M, G or T (4G)"),
                                      option, text);
      return FALSE;
    }
  *bytes = (guint64) value;
  return TRUE;
}

static gboolean
check_numbers (gint64  memory_mib,
               gint    ssh_port,
               int    *status)
{
  if (memory_mib < 0)
    *status = domusctl_usage_error (_("--memory: %lld is not a number of MiB"), (long long) memory_mib);
  else if (ssh_port < -1 || ssh_port > 65535)
    *status = domusctl_usage_error (_("--ssh-port: %d is not a port (1 to 65535, or 0 for none)"), ssh_port);
  else
    return TRUE;
  return FALSE;
}

/* Progress */

typedef struct {
  DomusBuildStage stage;
  int             percent;
} ProgressLine;

/* One line each time the stage or the figure changes: the build's log, readable in a pipe. */
static void
print_progress (DomusBuildStage  stage,
                const char      *stage_name,
                int              percent,
                gpointer         user_data)
{
  ProgressLine *last = user_data;

  if (stage == last->stage && percent == last->percent)
    return;
  last->stage = stage;
  last->percent = percent;
  if (stage == DOMUS_BUILD_STAGE_OTHER)
    g_print ("%3d%%  %s\n", percent, stage_name);
  else
    g_print ("%3d%%  %s\n", percent, domus_build_stage_describe (stage));
}

/* What was made, and how to use it. */
static void
print_new_guest (const DomusNewGuest *guest,
                 gboolean             debian)
{
  g_print (_("Defined %s (shut off)\n"), guest->name);
  if (guest->disk != NULL)
    g_print (_("  disk: %s\n"), guest->disk);
  if (guest->base != NULL)
    {
      if (!debian)
        g_print (_("  on the cloud image %s\n"), guest->base);
      else if (guest->base_built)
        g_print (_("  on the base image %s, built now\n"), guest->base);
      else
        g_print (_("  on the base image %s\n"), guest->base);
    }
  if (guest->seed != NULL)
    g_print (_("  first-boot seed: %s\n"), guest->seed);
  if (guest->ssh_port > 0)
    g_print (_("  SSH: port %d of the host\n"), guest->ssh_port);
  if (guest->cloud_init == DOMUS_CLOUD_INIT_UNKNOWN)
    g_print (_("  whether the image reads its seed is not known: %s\n"),
             guest->cloud_init_detail != NULL ? guest->cloud_init_detail : "?");
  g_print (_("Start it with “domusctl start %s”, then “domusctl console %s”.\n"), guest->name, guest->name);
}

/* Waits for a build the client's host was given and prints its guest. */
static int
finish_build (DomusctlClient *client,
              GAsyncResult  **result,
              gboolean        debian)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DomusNewGuest) guest = NULL;

  if (!domusctl_client_wait (client, result, &error) ||
      (guest = domus_host_build_guest_finish (domusctl_client_get_host (client), *result, &error)) == NULL)
    {
      /* Unlike other commands, a build does not go on once its client is gone: say so. */
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          domusctl_fail (_("interrupted; the daemon at %s stops the build as domusctl leaves, and keeps nothing of it"),
                         domusctl_client_get_uri (client));
          return 130;
        }
      return domusctl_fail_error (error);
    }
  print_new_guest (guest, debian);
  return 0;
}

int
domusctl_image_debian (DomusctlGlobals *globals,
                       int              argc,
                       char           **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(DomusctlClient) client = NULL;
  g_autoptr(DomusDebianRequest) request = domus_debian_request_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autofree char *size = NULL;
  g_autofree char *password_file = NULL;
  g_autofree char *packages = NULL;
  g_auto(GStrv) key_files = NULL;
  ProgressLine last = { DOMUS_BUILD_STAGE_OTHER, -1 };
  int status = 2;
  const GOptionEntry entries[] = {
    { "suite", 0, 0, G_OPTION_ARG_STRING, &request->suite,
      N_("Debian suite (default bookworm)"), N_("SUITE") },
    { "size", 0, 0, G_OPTION_ARG_STRING, &size,
      N_("The guest’s disk: bytes, or a number with K, M, G or T (default 4G, at least 2G)"), N_("SIZE") },
    { "hostname", 0, 0, G_OPTION_ARG_STRING, &request->hostname,
      N_("The guest’s host name (default NAME)"), N_("HOST") },
    { "ssh-key", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &key_files,
      N_("A public key file (.pub) whose keys may log in as root; may be given again"), N_("FILE") },
    { "root-password-file", 0, 0, G_OPTION_ARG_FILENAME, &password_file,
      N_("A file whose first line is root’s password (hashed on the host, never stored in clear)"), N_("FILE") },
    { "packages", 0, 0, G_OPTION_ARG_STRING, &packages,
      N_("More packages to install, with commas between"), N_("A,B") },
    { "memory", 0, 0, G_OPTION_ARG_INT64, &request->memory_mib,
      N_("The guest’s memory in MiB (default 512)"), N_("MIB") },
    { "mirror", 0, 0, G_OPTION_ARG_STRING, &request->mirror,
      N_("The Debian archive to build from (http:// or https://; default Debian’s)"), N_("URL") },
    { "ssh-port", 0, 0, G_OPTION_ARG_INT, &request->ssh_port,
      N_("The host port forwarded to the guest’s SSH (0: none; default: the host chooses)"), N_("PORT") },
    { NULL }
  };

  context = g_option_context_new (_("NAME"));
  g_option_context_set_summary (context,
                                _("Build the Debian guest NAME from the archive, as xen-create-image did: "
                                  "the suite’s base image is built once in the host’s image store "
                                  "(minutes), and each guest is an overlay on it (seconds), with its host "
                                  "name, network by DHCP, a serial console and the key or password, "
                                  "defined and shut off. Give --ssh-key, --root-password-file or both."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!domusctl_parse_options (context, &argc, &argv))
    return 2;
  if (argc != 2)
    return domusctl_usage_error (_("image debian needs exactly one name for the new domain"));
  if (key_files == NULL && password_file == NULL)
    return domusctl_usage_error (_("image debian needs --ssh-key FILE or --root-password-file FILE: "
                                   "without either no one could log in"));
  if (!parse_size_option ("--size", size, &request->size_bytes, &status) ||
      !check_numbers (request->memory_mib, request->ssh_port, &status) ||
      !split_packages (packages, &request->packages, &status) ||
      !read_ssh_keys (key_files, &request->ssh_keys, &status) ||
      !read_password (password_file, &request->root_password, &status))
    return status;

  if ((client = domusctl_open (globals, &status)) == NULL)
    return status;
  /* A first build takes minutes: waited for as long as the host answers; leaving cancels it there. */
  domus_host_build_debian_guest_async (domusctl_client_get_host (client), argv[1], request, print_progress, &last,
                                       NULL, domusctl_client_get_cancellable (client), domusctl_store_result,
                                       &result);
  return finish_build (client, &result, TRUE);
}

int
domusctl_image_cloud (DomusctlGlobals *globals,
                      int              argc,
                      char           **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(DomusctlClient) client = NULL;
  g_autoptr(DomusCloudRequest) request = domus_cloud_request_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autofree char *size = NULL;
  g_autofree char *user_data_file = NULL;
  g_auto(GStrv) key_files = NULL;
  int status = 2;
  const GOptionEntry entries[] = {
    { "ssh-key", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &key_files,
      N_("A public key file (.pub) whose keys may log in as the user; may be given again"), N_("FILE") },
    { "user-data", 0, 0, G_OPTION_ARG_FILENAME, &user_data_file,
      N_("A cloud-init user-data file of your own, put in the seed as it is"), N_("FILE") },
    { "user", 0, 0, G_OPTION_ARG_STRING, &request->user,
      N_("The user cloud-init makes, with sudo and the keys (default: the image’s own)"), N_("USER") },
    { "hostname", 0, 0, G_OPTION_ARG_STRING, &request->hostname,
      N_("The guest’s host name (default NAME)"), N_("HOST") },
    { "format", 0, 0, G_OPTION_ARG_STRING, &request->format,
      N_("The image’s format, raw or qcow2 (default: the store’s record, else by its suffix)"), N_("FORMAT") },
    { "size", 0, 0, G_OPTION_ARG_STRING, &size,
      N_("The guest’s disk, never smaller than the image (default the image’s size)"), N_("SIZE") },
    { "memory", 0, 0, G_OPTION_ARG_INT64, &request->memory_mib,
      N_("The guest’s memory in MiB (default 1024)"), N_("MIB") },
    { "ssh-port", 0, 0, G_OPTION_ARG_INT, &request->ssh_port,
      N_("The host port forwarded to the guest’s SSH (0: none; default: the host chooses)"), N_("PORT") },
    { NULL }
  };

  context = g_option_context_new (_("NAME IMAGE"));
  g_option_context_set_summary (context,
                                _("Make the guest NAME of IMAGE, a cloud image that holds cloud-init in the "
                                  "host’s image store (put it there first, e.g. Debian’s "
                                  "debian-12-genericcloud-amd64.qcow2): an overlay on it and a NoCloud seed "
                                  "with the host name, the user and the keys, kept attached; defined and shut "
                                  "off. An image without cloud-init is refused. Give --ssh-key, --user-data "
                                  "or both."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!domusctl_parse_options (context, &argc, &argv))
    return 2;
  if (argc != 3)
    return domusctl_usage_error (_("image cloud needs a name for the new domain and the cloud image’s name in the store"));
  if (key_files == NULL && user_data_file == NULL)
    return domusctl_usage_error (_("image cloud needs --ssh-key FILE or --user-data FILE: "
                                   "without either no one could log in"));
  if (request->format != NULL && !g_str_equal (request->format, "raw") && !g_str_equal (request->format, "qcow2"))
    return domusctl_usage_error (_("--format must be raw or qcow2, not “%s”"), request->format);
  if (!parse_size_option ("--size", size, &request->size_bytes, &status) ||
      !check_numbers (request->memory_mib, request->ssh_port, &status) ||
      !read_ssh_keys (key_files, &request->ssh_keys, &status))
    return status;
  if (user_data_file != NULL && (request->user_data = read_option_file ("--user-data", user_data_file, &status)) == NULL)
    return status;
  request->image = g_strdup (argv[2]);

  if ((client = domusctl_open (globals, &status)) == NULL)
    return status;
  domus_host_build_cloud_guest_async (domusctl_client_get_host (client), argv[1], request,
                                      domusctl_client_get_cancellable (client), domusctl_store_result, &result);
  return finish_build (client, &result, FALSE);
}
