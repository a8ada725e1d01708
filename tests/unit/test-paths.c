/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Where domusd keeps its files in each mode, and the folders it creates. */

#include "config.h"

#include <grp.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <glib/gstdio.h>

#include "hv-paths.h"

/* Set before GLib first reads (and caches) them: see main(). */
#define FAKE_CONFIG  "/fake/config"
#define FAKE_DATA    "/fake/data"
#define FAKE_RUNTIME "/fake/runtime"
#define FAKE_STATE   "/fake/state"

static void
test_root (void)
{
  g_autoptr(HvPaths) paths = hv_paths_new_root ("/srv/hosts/./a/");

  g_assert_cmpint (paths->kind, ==, HV_PATHS_ROOT);
  g_assert_cmpstr (paths->config_dir, ==, "/srv/hosts/a/domains");
  g_assert_cmpstr (paths->image_dir, ==, "/srv/hosts/a/images");
  g_assert_cmpstr (paths->run_dir, ==, "/srv/hosts/a/run");
  g_assert_cmpstr (paths->socket_path, ==, "/srv/hosts/a/domusd.sock");
  g_assert_cmpuint (paths->socket_mode, ==, 0600);
  g_assert_null (paths->socket_group);
  g_assert_cmpuint (paths->socket_dir_mode, ==, 0700);
}

static void
test_root_relative (void)
{
  g_autoptr(HvPaths) paths = hv_paths_new_root ("host-a");
  g_autofree char *cwd = g_get_current_dir ();
  g_autofree char *expected = g_build_filename (cwd, "host-a", "domusd.sock", NULL);

  /* Clients get the socket path from messages and logs: it must not depend on our cwd. */
  g_assert_true (g_path_is_absolute (paths->socket_path));
  g_assert_cmpstr (paths->socket_path, ==, expected);
}

static void
test_session (void)
{
  g_autoptr(HvPaths) paths = hv_paths_new_session ();

  g_assert_cmpint (paths->kind, ==, HV_PATHS_SESSION);
  g_assert_cmpstr (paths->config_dir, ==, FAKE_CONFIG "/domus/domains");
  g_assert_cmpstr (paths->image_dir, ==, FAKE_DATA "/domus/images");
  g_assert_cmpstr (paths->run_dir, ==, FAKE_RUNTIME "/domus");
  g_assert_cmpstr (paths->stats_dir, ==, FAKE_STATE "/domus/stats");
  g_assert_cmpstr (paths->dump_dir, ==, FAKE_STATE "/domus/dumps");
  g_assert_cmpstr (paths->socket_path, ==, FAKE_RUNTIME "/domus/domusd.sock");
  g_assert_cmpuint (paths->socket_mode, ==, 0600);
}

static void
test_system (void)
{
  g_autoptr(HvPaths) paths = hv_paths_new_system ();
  g_autoptr(HvPaths) copy = hv_paths_copy (paths);

  g_assert_cmpint (paths->kind, ==, HV_PATHS_SYSTEM);
  g_assert_cmpstr (paths->config_dir, ==, "/etc/domus/domains");
  g_assert_cmpstr (paths->image_dir, ==, "/var/lib/domus/images");
  g_assert_cmpstr (paths->run_dir, ==, "/run/domus");
  g_assert_cmpstr (paths->dump_dir, ==, "/var/lib/domus/dumps");
  g_assert_cmpstr (copy->dump_dir, ==, paths->dump_dir);
  g_assert_cmpstr (paths->socket_path, ==, "/run/domus/domusd.sock");
  g_assert_cmpuint (paths->socket_mode, ==, 0660);
  g_assert_cmpstr (copy->socket_path, ==, paths->socket_path);
  g_assert_true (copy->socket_path != paths->socket_path);
  /* The group's members reach the socket through a folder they cannot list. */
  g_assert_cmpstr (paths->socket_group, ==, "domus");
  g_assert_cmpstr (copy->socket_group, ==, "domus");
  g_assert_cmpuint (paths->socket_dir_mode, ==, 0711);
  g_assert_cmpuint (copy->socket_dir_mode, ==, 0711);

  /* A socket elsewhere (--socket): its folder is not opened up; the group stays. */
  hv_paths_set_socket (paths, "/srv/domus/domusd.sock");
  g_assert_cmpuint (paths->socket_dir_mode, ==, 0700);
  g_assert_cmpstr (paths->socket_group, ==, "domus");
}

static void
assert_private_dir (const char *path)
{
  struct stat info;

  g_assert_no_errno (g_stat (path, &info));
  g_assert_true (S_ISDIR (info.st_mode));
  g_assert_cmpint (info.st_mode & 0777, ==, 0700);
}

static void
test_ensure (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *base = g_dir_make_tmp ("test-paths-XXXXXX", &error);
  g_autofree char *root = NULL;
  g_autofree char *socket_dir = NULL;
  g_autofree char *socket_path = NULL;
  g_autofree char *deep = NULL;
  g_autoptr(HvPaths) paths = NULL;

  g_assert_no_error (error);
  deep = g_build_filename (base, "deep", NULL);
  root = g_build_filename (deep, "root", NULL);
  socket_dir = g_build_filename (base, "sockets", NULL);
  socket_path = g_build_filename (socket_dir, "other.sock", NULL);
  paths = hv_paths_new_root (root);
  hv_paths_set_socket (paths, socket_path);

  g_assert_true (hv_paths_ensure (paths, &error));
  g_assert_no_error (error);
  assert_private_dir (paths->config_dir);
  assert_private_dir (paths->image_dir);
  assert_private_dir (paths->run_dir);
  assert_private_dir (paths->stats_dir);
  assert_private_dir (paths->dump_dir);
  assert_private_dir (socket_dir);
  g_assert_cmpstr (paths->socket_path, ==, socket_path);
  /* A second time is fine: the folders are there. */
  g_assert_true (hv_paths_ensure (paths, &error));
  g_assert_no_error (error);

  /* A file where a folder should be is an error with the path in it. */
  g_assert_no_errno (g_rmdir (paths->image_dir));
  g_assert_true (g_file_set_contents (paths->image_dir, "", 0, NULL));
  g_assert_false (hv_paths_ensure (paths, &error));
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, paths->image_dir));

  g_assert_no_errno (g_unlink (paths->image_dir));
  g_assert_no_errno (g_rmdir (paths->run_dir));
  g_assert_no_errno (g_rmdir (paths->stats_dir));
  g_assert_no_errno (g_rmdir (paths->dump_dir));
  g_assert_no_errno (g_rmdir (paths->config_dir));
  g_assert_no_errno (g_rmdir (root));
  g_assert_no_errno (g_rmdir (socket_dir));
  g_assert_no_errno (g_rmdir (deep));
  g_assert_no_errno (g_rmdir (base));
}

/* The system daemon's folder is set to its mode even when something else made it. */
static void
test_ensure_socket_dir_mode (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *base = g_dir_make_tmp ("test-paths-XXXXXX", &error);
  g_autoptr(HvPaths) paths = NULL;
  struct stat info;

  g_assert_no_error (error);
  paths = hv_paths_new_root (base);
  paths->socket_dir_mode = 0711;
  g_assert_no_errno (g_chmod (base, 0700));

  g_assert_true (hv_paths_ensure (paths, &error));
  g_assert_no_error (error);
  g_assert_no_errno (g_stat (base, &info));
  g_assert_cmpint (info.st_mode & 0777, ==, 0711);
  /* The folders under it stay private. */
  assert_private_dir (paths->run_dir);
  assert_private_dir (paths->config_dir);

  g_assert_no_errno (g_rmdir (paths->config_dir));
  g_assert_no_errno (g_rmdir (paths->image_dir));
  g_assert_no_errno (g_rmdir (paths->run_dir));
  g_assert_no_errno (g_rmdir (paths->stats_dir));
  g_assert_no_errno (g_rmdir (paths->dump_dir));
  g_assert_no_errno (g_rmdir (base));
}

/* A group this process may give its files to, other than the one they get anyway. */
static char *
other_group (void)
{
  gid_t groups[256];
  int n = getgroups (G_N_ELEMENTS (groups), groups);
  struct group *entry;

  for (int i = 0; i < n; i++)
    if (groups[i] != getegid () && (entry = getgrgid (groups[i])) != NULL)
      return g_strdup (entry->gr_name);
  /* Root may choose any: Debian always has "daemon" (gid 1). */
  if (geteuid () == 0 && (entry = getgrnam ("daemon")) != NULL && entry->gr_gid != getegid ())
    return g_strdup (entry->gr_name);
  return NULL;
}

static void
test_socket_group (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *base = g_dir_make_tmp ("test-paths-XXXXXX", &error);
  g_autofree char *group = other_group ();
  g_autoptr(HvPaths) paths = NULL;
  struct stat info;
  struct group *entry;

  g_assert_no_error (error);
  paths = hv_paths_new_root (base);
  /* What the daemon bound; a plain file serves as well for its owner and group. */
  g_assert_true (g_file_set_contents (paths->socket_path, "", 0, NULL));

  /* No group asked for (root and session daemons): nothing changes. */
  g_assert_true (hv_paths_set_socket_group (paths, &error));
  g_assert_no_error (error);
  g_assert_no_errno (g_stat (paths->socket_path, &info));
  g_assert_cmpuint (info.st_gid, ==, getegid ());

  /* A group the system does not have: the socket stays as it is, and the daemon runs. */
  paths->socket_group = g_strdup ("domus-test-no-such-group");
  g_assert_true (hv_paths_set_socket_group (paths, &error));
  g_assert_no_error (error);
  g_assert_no_errno (g_stat (paths->socket_path, &info));
  g_assert_cmpuint (info.st_gid, ==, getegid ());

  if (group == NULL)
    g_test_skip ("this process may give its files to no other group");
  else
    {
      g_free (paths->socket_group);
      paths->socket_group = g_strdup (group);
      g_assert_true (hv_paths_set_socket_group (paths, &error));
      g_assert_no_error (error);
      g_assert_no_errno (g_stat (paths->socket_path, &info));
      entry = getgrnam (group);
      g_assert_nonnull (entry);
      g_assert_cmpuint (info.st_gid, ==, entry->gr_gid);
    }

  /* A socket that is not there is an error naming it. */
  g_assert_no_errno (g_unlink (paths->socket_path));
  if (group != NULL)
    {
      g_assert_false (hv_paths_set_socket_group (paths, &error));
      g_assert_nonnull (error);
      g_assert_nonnull (strstr (error->message, paths->socket_path));
    }
  g_assert_no_errno (g_rmdir (base));
}

int
main (int argc, char **argv)
{
  g_setenv ("XDG_CONFIG_HOME", FAKE_CONFIG, TRUE);
  g_setenv ("XDG_DATA_HOME", FAKE_DATA, TRUE);
  g_setenv ("XDG_RUNTIME_DIR", FAKE_RUNTIME, TRUE);
  g_setenv ("XDG_STATE_HOME", FAKE_STATE, TRUE);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/paths/root", test_root);
  g_test_add_func ("/paths/root-relative", test_root_relative);
  g_test_add_func ("/paths/session", test_session);
  g_test_add_func ("/paths/system", test_system);
  g_test_add_func ("/paths/ensure", test_ensure);
  g_test_add_func ("/paths/ensure-socket-dir-mode", test_ensure_socket_dir_mode);
  g_test_add_func ("/paths/socket-group", test_socket_group);

  return g_test_run ();
}
