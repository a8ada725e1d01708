/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Where a daemon keeps its configs, images, run folders and socket. */

#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

typedef enum {
  HV_PATHS_ROOT,     /* --root DIR: everything under one folder (tests, benchmarks) */
  HV_PATHS_SESSION,  /* the per-user daemon under the XDG folders */
  HV_PATHS_SYSTEM,   /* --system: /etc/domus, /var/lib/domus, /run/domus */
} HvPathsKind;

typedef struct {
  HvPathsKind kind;
  char       *config_dir;   /* domain .cfg files */
  char       *image_dir;    /* the image store */
  char       *run_dir;      /* one folder per running domain */
  char       *stats_dir;    /* stats archives that outlive the daemon (minutes, hours) */
  char       *dump_dir;     /* guests' memory dumps (domain.dump), as Xen's /var/xen/dump */
  char       *save_dir;     /* saved guests (domain.save), as Xen's /var/lib/xen/save */
  char       *socket_path;  /* the JSON-RPC socket */
  guint       socket_mode;  /* permissions the socket file gets */
  char       *socket_group; /* the group the socket file gets when it exists (system: "domus"), or NULL */
  guint       socket_dir_mode; /* the socket's folder: 0700, or 0711 for the system daemon's /run/domus */
} HvPaths;

/* The group whose members may use the system daemon's socket (as libvirt's `libvirt`). */
#define HV_PATHS_SYSTEM_GROUP "domus"

#define HV_TYPE_PATHS (hv_paths_get_type ())
GType    hv_paths_get_type     (void) G_GNUC_CONST;

HvPaths *hv_paths_new_root     (const char *root);
HvPaths *hv_paths_new_session  (void);
HvPaths *hv_paths_new_system   (void);
HvPaths *hv_paths_copy         (const HvPaths *paths);
void     hv_paths_free         (HvPaths    *paths);

/* Replaces the socket path (domusd --socket); the folders stay, and a folder of the
 * caller's choosing is private (0700) like any other the daemon creates. */
void     hv_paths_set_socket   (HvPaths    *paths,
                                const char *socket_path);

/* Creates the folders that are missing, mode 0700; the socket's folder then gets
 * socket_dir_mode when that is not 0700 (the system daemon's, even when it existed). */
gboolean hv_paths_ensure       (const HvPaths *paths,
                                GError       **error);

/* Gives the socket file socket_group, when paths has one and the system has that group;
 * a missing group leaves the socket root's alone and says so in the log. */
gboolean hv_paths_set_socket_group (const HvPaths *paths,
                                    GError       **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HvPaths, hv_paths_free)

G_END_DECLS
