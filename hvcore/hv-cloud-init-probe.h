/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Whether a disk image holds cloud-init, found without mounting it or trusting what it holds. */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define HV_CLOUD_INIT_PROBE_ERROR (hv_cloud_init_probe_error_quark ())

typedef enum {
  HV_CLOUD_INIT_PROBE_ERROR_INVALID_FORMAT, /* not "raw" or "qcow2" */
  HV_CLOUD_INIT_PROBE_ERROR_TOOL,           /* qemu-img could not read the image; its words */
  HV_CLOUD_INIT_PROBE_ERROR_IO,
} HvCloudInitProbeError;

GQuark hv_cloud_init_probe_error_quark (void);

typedef enum {
  HV_CLOUD_INIT_PRESENT,   /* an ext2/3/4 file system holds /usr/bin/cloud-init */
  HV_CLOUD_INIT_ABSENT,    /* a Linux root file system was found, without cloud-init */
  HV_CLOUD_INIT_UNKNOWN,   /* no file system this probe can read (XFS, Btrfs, Windows...) */
} HvCloudInitPresence;

const char *hv_cloud_init_presence_to_string (HvCloudInitPresence presence);

/*
 * Looks into `image` (opened as `format`, never probed; a qcow2 backing file is not
 * followed) through a sparse raw copy in a private folder: the partition table is parsed
 * here with bounds checks, and each ext file system is read by debugfs, as `nobody` when
 * the caller is root. `detail` (optional) says what was found, for the user.
 */
void                hv_cloud_init_probe_async  (const char           *image,
                                                const char           *format,
                                                GCancellable         *cancellable,
                                                GAsyncReadyCallback   callback,
                                                gpointer              user_data);
/* Returns HV_CLOUD_INIT_UNKNOWN with `error` set on failure. */
HvCloudInitPresence hv_cloud_init_probe_finish (GAsyncResult         *result,
                                                char                **detail,
                                                GError              **error);

/* The same, for callers already in a worker thread. */
HvCloudInitPresence hv_cloud_init_probe        (const char           *image,
                                                const char           *format,
                                                char                **detail,
                                                GCancellable         *cancellable,
                                                GError              **error);

G_END_DECLS
