/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Where a daemon keeps its configs, images, run folders and socket. */

#include "config.h"

#include <errno.h>
#include <grp.h>
#include <unistd.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <gio/gio.h>

#include "hv-paths.h"

G_DEFINE_BOXED_TYPE (HvPaths, hv_paths, hv_paths_copy, hv_paths_free)

#define SOCKET_NAME "domusd.sock"

static HvPaths *
paths_new (HvPathsKind  kind,
           char        *config_dir,
           char        *image_dir,
           char        *run_dir,
           char        *stats_dir,
           char        *dump_dir,
           char        *socket_path,
           guint        socket_mode)
{
  HvPaths *paths = g_new0 (HvPaths, 1);

  paths->kind = kind;
  paths->config_dir = config_dir;
  paths->image_dir = image_dir;
  paths->run_dir = run_dir;
  paths->stats_dir = stats_dir;
  paths->dump_dir = dump_dir;
  paths->socket_path = socket_path;
  paths->socket_mode = socket_mode;
  paths->socket_dir_mode = 0700;
  return paths;
}

/* The save folder came later than the others (issue 15): set beside them. */
static HvPaths *
with_save_dir (HvPaths *paths,
               char    *save_dir)
{
  paths->save_dir = save_dir;
  return paths;
}

HvPaths *
hv_paths_new_root (const char *root)
{
  g_autofree char *absolute = NULL;

  g_return_val_if_fail (root != NULL, NULL);

  /* The socket path ends up in messages and in other processes' arguments:
   * make it absolute so it means the same thing everywhere. */
  absolute = g_canonicalize_filename (root, NULL);
  return with_save_dir (paths_new (HV_PATHS_ROOT,
                    g_build_filename (absolute, "domains", NULL),
                    g_build_filename (absolute, "images", NULL),
                    g_build_filename (absolute, "run", NULL),
                    g_build_filename (absolute, "stats", NULL),
                    g_build_filename (absolute, "dumps", NULL),
                    g_build_filename (absolute, SOCKET_NAME, NULL),
                    0600),
                        g_build_filename (absolute, "saves", NULL));
}

HvPaths *
hv_paths_new_session (void)
{
  /* g_get_user_runtime_dir() is $XDG_RUNTIME_DIR, or the cache folder
   * when the session has none; backend/ computes the same default. */
  return with_save_dir (paths_new (HV_PATHS_SESSION,
                    g_build_filename (g_get_user_config_dir (), "domus", "domains", NULL),
                    g_build_filename (g_get_user_data_dir (), "domus", "images", NULL),
                    g_build_filename (g_get_user_runtime_dir (), "domus", NULL),
                    g_build_filename (g_get_user_state_dir (), "domus", "stats", NULL),
                    g_build_filename (g_get_user_state_dir (), "domus", "dumps", NULL),
                    g_build_filename (g_get_user_runtime_dir (), "domus", SOCKET_NAME, NULL),
                    0600),
                        g_build_filename (g_get_user_state_dir (), "domus", "saves", NULL));
}

HvPaths *
hv_paths_new_system (void)
{
  /* Root and the members of the group domus may connect, as libvirt's group may: the
   * socket is 0660 root:domus, and /run/domus 0711 so they can reach it without
   * listing the domains' run folders (each of those is 0700). The socket unit
   * (data/systemd/system/domusd.socket) says the same for a socket systemd makes. */
  HvPaths *paths = paths_new (HV_PATHS_SYSTEM,
                              g_strdup ("/etc/domus/domains"),
                              g_strdup ("/var/lib/domus/images"),
                              g_strdup ("/run/domus"),
                              g_strdup ("/var/lib/domus/stats"),
                              g_strdup ("/var/lib/domus/dumps"),
                              g_strdup ("/run/domus/" SOCKET_NAME),
                              0660);

  paths->socket_group = g_strdup (HV_PATHS_SYSTEM_GROUP);
  paths->socket_dir_mode = 0711;
  paths->save_dir = g_strdup ("/var/lib/domus/save");
  return paths;
}

HvPaths *
hv_paths_copy (const HvPaths *paths)
{
  HvPaths *copy;

  g_return_val_if_fail (paths != NULL, NULL);

  copy = paths_new (paths->kind,
                    g_strdup (paths->config_dir),
                    g_strdup (paths->image_dir),
                    g_strdup (paths->run_dir),
                    g_strdup (paths->stats_dir),
                    g_strdup (paths->dump_dir),
                    g_strdup (paths->socket_path),
                    paths->socket_mode);
  copy->socket_group = g_strdup (paths->socket_group);
  copy->socket_dir_mode = paths->socket_dir_mode;
  copy->save_dir = g_strdup (paths->save_dir);
  return copy;
}

void
hv_paths_free (HvPaths *paths)
{
  if (paths == NULL)
    return;
  g_free (paths->config_dir);
  g_free (paths->image_dir);
  g_free (paths->run_dir);
  g_free (paths->stats_dir);
  g_free (paths->dump_dir);
  g_free (paths->save_dir);
  g_free (paths->socket_path);
  g_free (paths->socket_group);
  g_free (paths);
}

void
hv_paths_set_socket (HvPaths    *paths,
                     const char *socket_path)
{
  g_return_if_fail (paths != NULL);
  g_return_if_fail (socket_path != NULL);

  g_free (paths->socket_path);
  paths->socket_path = g_canonicalize_filename (socket_path, NULL);
  /* The folder is the caller's choice: the daemon does not open it up. */
  paths->socket_dir_mode = 0700;
}

static gboolean
ensure_dir (const char  *path,
            GError     **error)
{
  int saved_errno;

  if (g_mkdir_with_parents (path, 0700) == 0)
    return TRUE;

  saved_errno = errno;
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
               _("Cannot create the folder “%s”: %s"),
               path, g_strerror (saved_errno));
  return FALSE;
}

gboolean
hv_paths_ensure (const HvPaths  *paths,
                 GError        **error)
{
  g_autofree char *socket_dir = NULL;

  g_return_val_if_fail (paths != NULL, FALSE);

  socket_dir = g_path_get_dirname (paths->socket_path);
  if (!ensure_dir (paths->config_dir, error) ||
      !ensure_dir (paths->image_dir, error) ||
      !ensure_dir (paths->run_dir, error) ||
      !ensure_dir (paths->stats_dir, error) ||
      !ensure_dir (paths->dump_dir, error) ||
      !ensure_dir (socket_dir, error))
    return FALSE;

  /* Set whatever made the folder (an older daemon, root's umask 077, systemd): the
   * group's members cannot reach the socket through a folder that does not let them. */
  if (paths->socket_dir_mode != 0700 && g_chmod (socket_dir, paths->socket_dir_mode) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   _("Cannot set the permissions of the folder “%s”: %s"),
                   socket_dir, g_strerror (saved_errno));
      return FALSE;
    }
  return TRUE;
}

/* getgrnam() may share its buffer with other threads' calls: the daemon has several. */
static gboolean
lookup_group (const char *name,
              gid_t      *gid)
{
  struct group entry, *found = NULL;
  long size = sysconf (_SC_GETGR_R_SIZE_MAX);
  g_autofree char *buffer = NULL;
  int status;

  if (size <= 0)
    size = 16384;
  for (;;)
    {
      buffer = g_realloc (buffer, (gsize) size);
      status = getgrnam_r (name, &entry, buffer, (size_t) size, &found);
      if (status != ERANGE || size > 1024 * 1024)
        break;
      size *= 2;
    }
  if (status != 0 || found == NULL)
    return FALSE;
  *gid = found->gr_gid;
  return TRUE;
}

gboolean
hv_paths_set_socket_group (const HvPaths  *paths,
                           GError        **error)
{
  gid_t gid;

  g_return_val_if_fail (paths != NULL, FALSE);

  if (paths->socket_group == NULL)
    return TRUE;
  if (!lookup_group (paths->socket_group, &gid))
    {
      g_message (_("There is no group “%s”: only root may use %s "
                   "(systemd-sysusers or addgroup --system %s makes it)."),
                 paths->socket_group, paths->socket_path, paths->socket_group);
      return TRUE;
    }
  if (chown (paths->socket_path, (uid_t) -1, gid) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   _("Cannot give the socket “%s” to the group “%s”: %s"),
                   paths->socket_path, paths->socket_group, g_strerror (saved_errno));
      return FALSE;
    }
  return TRUE;
}
