/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * libFuzzer entry point for addresses (backend/domus-ssh-options.c, domus-connection.c):
 * an ssh:// URI as a user or a saved server list gives it. What parses must give a host,
 * and a remote command line whose words the remote shell reads back exactly.
 */

#include "config.h"

#include <string.h>

#include "domus-connection.h"
#include "domus-error.h"
#include "domus-ssh-options.h"
#include "fuzz-util.h"

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  fuzz_init_logging ();
  return 0;
}

static void
check_bridge_command (const DomusSshOptions *options,
                      const char            *console_option,
                      const char            *domain)
{
  g_autofree char *command = domus_ssh_options_bridge_command (options, console_option, domain);
  g_auto(GStrv) words = NULL;
  guint n;

  g_assert (g_shell_parse_argv (command, NULL, &words, NULL));
  n = g_strv_length (words);
  g_assert (n >= 2 && g_str_equal (words[0], options->bridge) && g_str_equal (words[1], "bridge"));
  if (domain != NULL)
    g_assert (g_str_equal (words[n - 1], domain) && g_str_equal (words[n - 2], console_option));
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autofree char *text = g_strndup ((const char *) data, size);
  g_autofree char *uri = g_str_has_prefix (text, "ssh://") ? g_strdup (text) : g_strconcat ("ssh://", text, NULL);
  g_autofree char *expanded = domus_connection_expand_uri (text);
  g_autoptr(DomusSshOptions) options = NULL;
  g_autoptr(DomusSshOptions) copy = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *label = NULL;

  g_assert (expanded != NULL);
  options = domus_ssh_options_parse (uri, &error);
  if (options == NULL)
    {
      g_assert (g_error_matches (error, DOMUS_ERROR, DOMUS_ERROR_INVALID_URI));
      return 0;
    }
  g_assert (options->host != NULL && options->host[0] != '\0');
  g_assert (options->user != NULL && options->bridge != NULL && options->known_hosts != NULL);
  label = domus_ssh_options_host_label (options);
  g_assert (strstr (label, options->host) != NULL);
  copy = domus_ssh_options_copy (options);
  g_assert (g_str_equal (copy->host, options->host) && copy->port == options->port);

  check_bridge_command (options, NULL, NULL);
  check_bridge_command (options, "--console", "web-1");
  return 0;
}
