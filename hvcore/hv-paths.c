/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Where a daemon keeps its configs, images, run folders and socket. */

#include "config.h"

#include <errno.h>
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
  return paths_new (HV_PATHS_ROOT,
                    g_build_filename (absolute, "domains", NULL),
                    g_build_filename (absolute, "images", NULL),
                    g_build_filename (absolute, "run", NULL),
                    g_build_filename (absolute, "stats", NULL),
                    g_build_filename (absolute, "dumps", NULL),
                    g_build_filename (absolute, SOCKET_NAME, NULL),
                    0600);
}

HvPaths *
hv_paths_new_session (void)
{
  /* g_get_user_runtime_dir() is $XDG_RUNTIME_DIR, or the cache folder
   * when the session has none; backend/ computes the same default. */
  return paths_new (HV_PATHS_SESSION,
                    g_build_filename (g_get_user_config_dir (), "domus", "domains", NULL),
                    g_build_filename (g_get_user_data_dir (), "domus", "images", NULL),
                    g_build_filename (g_get_user_runtime_dir (), "domus", NULL),
                    g_build_filename (g_get_user_state_dir (), "domus", "stats", NULL),
                    g_build_filename (g_get_user_state_dir (), "domus", "dumps", NULL),
                    g_build_filename (g_get_user_runtime_dir (), "domus", SOCKET_NAME, NULL),
                    0600);
}

HvPaths *
hv_paths_new_system (void)
{
  /* 0660: the group that may manage the host is for a later issue; until
   * then the socket's group is root's, so only root gets in. */
  return paths_new (HV_PATHS_SYSTEM,
                    g_strdup ("/etc/domus/domains"),
                    g_strdup ("/var/lib/domus/images"),
                    g_strdup ("/run/domus"),
                    g_strdup ("/var/lib/domus/stats"),
                    g_strdup ("/var/lib/domus/dumps"),
                    g_strdup ("/run/domus/" SOCKET_NAME),
                    0660);
}

HvPaths *
hv_paths_copy (const HvPaths *paths)
{
  g_return_val_if_fail (paths != NULL, NULL);

  return paths_new (paths->kind,
                    g_strdup (paths->config_dir),
                    g_strdup (paths->image_dir),
                    g_strdup (paths->run_dir),
                    g_strdup (paths->stats_dir),
                    g_strdup (paths->dump_dir),
                    g_strdup (paths->socket_path),
                    paths->socket_mode);
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
  g_free (paths->socket_path);
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
  return ensure_dir (paths->config_dir, error) &&
         ensure_dir (paths->image_dir, error) &&
         ensure_dir (paths->run_dir, error) &&
         ensure_dir (paths->stats_dir, error) &&
         ensure_dir (paths->dump_dir, error) &&
         ensure_dir (socket_dir, error);
}
