/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ssh:// addresses: what they ask for, what they refuse, and the remote command they make. */

#include <string.h>
#include <glib.h>

#include "domus-error.h"
#include "domus-ssh-options.h"

static void
test_full (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DomusSshOptions) options =
    domus_ssh_options_parse ("ssh://admin@host.example:2222?socket=/run/domus/domusd.sock"
                             "&keyfile=/k/id&known_hosts=/k/kh&bridge=/opt/domus/bin/domusctl&no_verify=1",
                             &error);
  g_autofree char *label = NULL;
  g_autofree char *command = NULL;
  g_autofree char *console = NULL;

  g_assert_no_error (error);
  g_assert_cmpstr (options->host, ==, "host.example");
  g_assert_cmpuint (options->port, ==, 2222);
  g_assert_cmpstr (options->user, ==, "admin");
  g_assert_cmpstr (options->socket, ==, "/run/domus/domusd.sock");
  g_assert_cmpstr (options->keyfile, ==, "/k/id");
  g_assert_cmpstr (options->known_hosts, ==, "/k/kh");
  g_assert_cmpstr (options->bridge, ==, "/opt/domus/bin/domusctl");
  g_assert_true (options->no_verify);

  label = domus_ssh_options_host_label (options);
  g_assert_cmpstr (label, ==, "[host.example]:2222");
  command = domus_ssh_options_bridge_command (options, NULL, NULL);
  g_assert_cmpstr (command, ==, "'/opt/domus/bin/domusctl' bridge --socket '/run/domus/domusd.sock'");
  console = domus_ssh_options_bridge_command (options, "--console", "it's mine");
  g_assert_cmpstr (console, ==,
                   "'/opt/domus/bin/domusctl' bridge --socket '/run/domus/domusd.sock' --console 'it'\\''s mine'");
}

static void
test_defaults (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DomusSshOptions) options = domus_ssh_options_parse ("ssh://[::1]", &error);
  g_autofree char *known = g_build_filename (g_get_home_dir (), ".ssh", "known_hosts", NULL);
  g_autofree char *label = NULL;
  g_autofree char *command = NULL;

  g_assert_no_error (error);
  g_assert_cmpstr (options->host, ==, "::1");
  g_assert_cmpuint (options->port, ==, 22);
  g_assert_cmpstr (options->user, ==, g_get_user_name ());
  g_assert_null (options->socket);
  g_assert_null (options->keyfile);
  g_assert_cmpstr (options->known_hosts, ==, known);
  g_assert_cmpstr (options->bridge, ==, "domusctl");
  g_assert_false (options->no_verify);
  label = domus_ssh_options_host_label (options);
  g_assert_cmpstr (label, ==, "::1");
  command = domus_ssh_options_bridge_command (options, NULL, NULL);
  g_assert_cmpstr (command, ==, "'domusctl' bridge");
}

static void
test_refused (void)
{
  static const char * const bad[] = {
    "ssh://",
    "ssh://host?port=22",             /* not a query name of ours */
    "ssh://host?socket=",             /* no value */
    "ssh://host?no_verify=yes",
    "ssh://host/run/domusd.sock",     /* libvirt puts the mode here; we use ?socket= */
    "unix:/run/x",
    "ssh://host:99999",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(DomusSshOptions) options = domus_ssh_options_parse (bad[i], &error);

      g_test_message ("%s", bad[i]);
      g_assert_null (options);
      g_assert_error (error, DOMUS_ERROR, DOMUS_ERROR_INVALID_URI);
      /* The message names the address, so a user sees which one. */
      g_assert_nonnull (strstr (error->message, bad[i]) != NULL ? error->message : NULL);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ssh-options/full", test_full);
  g_test_add_func ("/ssh-options/defaults", test_defaults);
  g_test_add_func ("/ssh-options/refused", test_refused);
  return g_test_run ();
}
