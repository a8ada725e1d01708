/* SPDX-License-Identifier: GPL-3.0-or-later */
/* How full the filesystems holding some files are (for the disk-space alert rule). */

#pragma once

#include "hv-alerts.h"

G_BEGIN_DECLS

/*
 * One HvFilesystemUse per filesystem that holds one of `paths` (files or folders), in the
 * order first met; a path that does not exist is passed over. Blocking (statvfs on a network
 * filesystem can take its time): call it in a thread. Transfer full.
 */
GPtrArray *hv_disk_usage_measure (const char * const *paths);

G_END_DECLS
