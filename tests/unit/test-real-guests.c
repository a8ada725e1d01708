/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The real-guest models' rules that need no process: names, keys, a seed's user-data, base names. */

#include <string.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <gio/gio.h>

#include "hv-clone.h"
#include "hv-cloud-seed.h"
#include "hv-debian-builder.h"
#include "hv-port-forward.h"
#include "hv-snapshots.h"
#include "test-util.h"

static void
test_hostnames (void)
{
  static const struct { const char *name; gboolean valid; } cases[] = {
    { "web1", TRUE }, { "web-1.example.org", TRUE }, { "a", TRUE }, { "1host", TRUE },
    { "", FALSE }, { "-web", FALSE }, { "web-", FALSE }, { "a..b", FALSE }, { ".a", FALSE },
    { "a.", FALSE }, { "under_score", FALSE }, { "spa ce", FALSE }, { "ñandú", FALSE },
  };
  g_autofree char *long_label = g_strnfill (64, 'a');
  g_autofree char *max_label = g_strnfill (63, 'a');

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    g_assert_true (hv_cloud_seed_hostname_is_valid (cases[i].name) == cases[i].valid);
  g_assert_false (hv_cloud_seed_hostname_is_valid (long_label));
  g_assert_true (hv_cloud_seed_hostname_is_valid (max_label));
  g_assert_false (hv_cloud_seed_hostname_is_valid (NULL));
}

static void
test_ssh_keys (void)
{
  g_assert_true (hv_cloud_seed_ssh_key_is_valid ("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHj3vQ8u2bXpZ1m6kTqv9mTj1o2qYQh1kq0Sx5bGd7Qs"));
  g_assert_true (hv_cloud_seed_ssh_key_is_valid ("ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ== user@host with words"));
  g_assert_false (hv_cloud_seed_ssh_key_is_valid ("ssh-ed25519"));
  g_assert_false (hv_cloud_seed_ssh_key_is_valid ("ssh-ed25519 short"));
  g_assert_false (hv_cloud_seed_ssh_key_is_valid ("pgp-key AAAAC3NzaC1lZDI1NTE5AAAAIHj3vQ8u2bX"));
  g_assert_false (hv_cloud_seed_ssh_key_is_valid ("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5\"AAAAIHj3vQ8u2bX"));
  g_assert_false (hv_cloud_seed_ssh_key_is_valid ("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHj3vQ8u2bX\nssh-rsa AAAA"));
}

static void
test_user_data (void)
{
  g_autoptr(HvCloudSeed) seed = hv_cloud_seed_new ("domus-1", "web1");
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  g_autofree char *no_user = NULL;

  hv_cloud_seed_set_user (seed, "admin");
  hv_cloud_seed_add_ssh_key (seed, "  ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHj3vQ8u2bXpZ1m6kTqv9mTj1o2qYQh1kq0Sx5bGd7Qs me  \n");
  hv_cloud_seed_set_password_hash (seed, "$6$salt$hash");
  text = hv_cloud_seed_dup_user_data (seed, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (text, ==,
                   "#cloud-config\n"
                   "# Made by Domus for this guest.\n"
                   "users:\n"
                   "  - name: admin\n"
                   "    sudo: \"ALL=(ALL) NOPASSWD:ALL\"\n"
                   "    shell: /bin/bash\n"
                   "    lock_passwd: false\n"
                   "    hashed_passwd: \"$6$salt$hash\"\n"
                   "    ssh_authorized_keys:\n"
                   "      - \"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHj3vQ8u2bXpZ1m6kTqv9mTj1o2qYQh1kq0Sx5bGd7Qs me\"\n"
                   "ssh_pwauth: true\n");

  /* Without a user, the keys go to the image's default user. */
  hv_cloud_seed_set_user (seed, NULL);
  hv_cloud_seed_set_password_hash (seed, NULL);
  no_user = hv_cloud_seed_dup_user_data (seed, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_suffix (no_user, "ssh_authorized_keys:\n  - \"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHj3vQ8u2bXpZ1m6kTqv9mTj1o2qYQh1kq0Sx5bGd7Qs me\"\n"));

  /* A bad field is an error, not a broken file. */
  hv_cloud_seed_set_hostname (seed, "bad_name");
  g_assert_null (hv_cloud_seed_dup_user_data (seed, &error));
  g_assert_error (error, HV_CLOUD_SEED_ERROR, HV_CLOUD_SEED_ERROR_INVALID);
}

static void
test_snapshot_names (void)
{
  static const struct { const char *name; gboolean valid; } cases[] = {
    { "before-upgrade", TRUE }, { "v1.2_ok", TRUE }, { "2026-12-07", TRUE }, { "a1", TRUE },
    { "", FALSE }, { "12", FALSE }, { "-x", FALSE }, { ".x", FALSE }, { "a b", FALSE },
    { "a/b", FALSE }, { "a,b", FALSE },
  };
  g_autofree char *too_long = g_strnfill (65, 'a');

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    g_assert_true (hv_snapshot_name_is_valid (cases[i].name) == cases[i].valid);
  g_assert_false (hv_snapshot_name_is_valid (too_long));
}

static void
test_base_names (void)
{
  const char *some[] = { "vim", "htop", NULL };
  const char *same[] = { "htop", "vim", "vim", NULL };
  const char *other[] = { "vim", NULL };
  g_autofree char *plain = hv_debian_builder_base_name ("bookworm", NULL);
  g_autofree char *none = NULL;
  g_autofree char *a = hv_debian_builder_base_name ("bookworm", some);
  g_autofree char *b = hv_debian_builder_base_name ("bookworm", same);
  g_autofree char *c = hv_debian_builder_base_name ("bookworm", other);
  const char *empty[] = { NULL };

  none = hv_debian_builder_base_name ("bookworm", empty);
  /* The base's format is in its name: a new builder never reuses an older base. */
  g_assert_cmpstr (plain, ==, "debian-bookworm-v3");
  g_assert_cmpstr (none, ==, "debian-bookworm-v3");
  /* The same set in any order, repeats or not, is the same base; another set is another. */
  g_assert_cmpstr (a, ==, b);
  g_assert_cmpstr (a, !=, c);
  g_assert_true (g_str_has_prefix (a, "debian-bookworm-v3-"));
  g_assert_cmpuint (strlen (a), ==, strlen ("debian-bookworm-v3-") + 8);
}

static void
test_template_key (void)
{
  g_autoptr(HvConfig) config = test_config_from_text ("name = 'x'\n");
  g_autoptr(HvConfig) bad = test_config_from_text ("name = 'x'\ntemplate = 'perhaps'\n");
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  gboolean template = TRUE;

  g_assert_true (hv_clone_is_template (config, &template, &error));
  g_assert_false (template);
  hv_clone_set_template (config, TRUE);
  text = hv_config_to_data (config, NULL);
  g_assert_cmpstr (text, ==, "name = 'x'\ntemplate = 1\n");
  g_assert_true (hv_clone_is_template (config, &template, &error));
  g_assert_true (template);
  hv_clone_set_template (config, FALSE);
  g_assert_true (hv_clone_is_template (config, &template, &error));
  g_assert_false (template);
  /* A value that is no boolean names the file, line and key. */
  g_assert_false (hv_clone_is_template (bad, &template, &error));
  g_assert_nonnull (strstr (error->message, "guest.cfg:2"));
  g_assert_nonnull (strstr (error->message, "template"));
}

static GSocket *
listen_on_loopback (guint port)
{
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, (guint16) port);
  GSocket *socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);

  if (!g_socket_bind (socket, address, FALSE, NULL) || !g_socket_listen (socket, NULL))
    g_clear_object (&socket);
  return socket;
}

/* The SSH forward of a new guest avoids the ports other domains forward and ports in use. */
static void
test_ssh_port_choice (void)
{
  g_autofree char *dir = g_dir_make_tmp ("domus-ports-XXXXXX", NULL);
  g_autoptr(GSocket) busy = NULL;
  g_autoptr(GHashTable) forwarded = NULL;
  const char *dirs[] = { dir, "/nonexistent-domus-folder", NULL };
  guint first = 0, a, b;

  /* A range of this machine's ports where the one after two forwarded ports can be held. */
  for (guint tries = 0; busy == NULL && tries < 50; tries++)
    {
      first = (guint) g_random_int_range (40000, 60000);
      busy = listen_on_loopback (first + 2);
    }
  g_assert_nonnull (busy);
  {
    g_autofree char *path = g_build_filename (dir, "a.cfg", NULL);
    g_autofree char *text = g_strdup_printf ("name = 'a'\nvif = [ 'mac=00:16:3e:00:00:01, forward=tcp:%u-22', "
                                             "'forward = udp:127.0.0.1:%u-:53, model=e1000' ]\n", first, first + 1);
    g_autofree char *broken = g_build_filename (dir, "b.cfg", NULL);

    g_assert_true (g_file_set_contents (path, text, -1, NULL));
    g_assert_true (g_file_set_contents (broken, "name = 'b\nvif = [ 'forward=1-1'", -1, NULL));
  }
  forwarded = hv_port_forward_ports_in_configs (dir);
  g_assert_cmpuint (g_hash_table_size (forwarded), ==, 2);
  g_assert_true (g_hash_table_contains (forwarded, GUINT_TO_POINTER (first)));
  g_assert_true (g_hash_table_contains (forwarded, GUINT_TO_POINTER (first + 1)));

  a = hv_port_forward_pick_free_port (dirs, first);
  g_assert_cmpuint (a, >, first + 2);
  /* Handed out once in this process: not again, even before a .cfg names it. */
  b = hv_port_forward_pick_free_port (dirs, first);
  g_assert_cmpuint (b, >, first + 2);
  g_assert_cmpuint (b, !=, a);

  {
    g_autofree char *a_cfg = g_build_filename (dir, "a.cfg", NULL);
    g_autofree char *b_cfg = g_build_filename (dir, "b.cfg", NULL);

    g_unlink (a_cfg);
    g_unlink (b_cfg);
    g_rmdir (dir);
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/real-guests/hostnames", test_hostnames);
  g_test_add_func ("/real-guests/ssh-keys", test_ssh_keys);
  g_test_add_func ("/real-guests/user-data", test_user_data);
  g_test_add_func ("/real-guests/snapshot-names", test_snapshot_names);
  g_test_add_func ("/real-guests/base-names", test_base_names);
  g_test_add_func ("/real-guests/template-key", test_template_key);
  g_test_add_func ("/real-guests/ssh-port-choice", test_ssh_port_choice);
  return g_test_run ();
}
