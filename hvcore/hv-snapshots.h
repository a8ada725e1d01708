/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A domain's snapshots: internal qcow2 snapshots of every writable disk, with the memory when running. */

#pragma once

#include <gio/gio.h>

#include "hv-domain-spec.h"
#include "hv-qmp.h"

G_BEGIN_DECLS

#define HV_SNAPSHOT_ERROR (hv_snapshot_error_quark ())

typedef enum {
  HV_SNAPSHOT_ERROR_INVALID_NAME,
  HV_SNAPSHOT_ERROR_EXISTS,
  HV_SNAPSHOT_ERROR_NOT_FOUND,
  HV_SNAPSHOT_ERROR_UNSUPPORTED,      /* a writable disk that is not qcow2, or no qcow2 disk at all */
  HV_SNAPSHOT_ERROR_NO_MEMORY_STATE,  /* reverting a running guest to a disk-only snapshot */
  HV_SNAPSHOT_ERROR_FAILED,           /* QEMU or qemu-img refused; their words are quoted */
} HvSnapshotError;

GQuark hv_snapshot_error_quark (void);

typedef struct {
  char    *name;
  gint64   date_sec;        /* when it was taken (Unix time) */
  guint64  vm_state_size;   /* bytes of memory state; 0 for a disk-only snapshot */
  guint64  vm_clock_ns;     /* the guest's own clock at the time */
} HvSnapshotInfo;

void hv_snapshot_info_free (HvSnapshotInfo *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HvSnapshotInfo, hv_snapshot_info_free)

#define HV_TYPE_SNAPSHOTS (hv_snapshots_get_type ())
G_DECLARE_FINAL_TYPE (HvSnapshots, hv_snapshots, HV, SNAPSHOTS, GObject)

/*
 * The snapshots of the domain `spec` describes. qmp: its running QEMU (memory and disks
 * are taken together, by QEMU's snapshot-save/-load jobs), or NULL for a shut-off domain
 * (disks only, by qemu-img). Read-only disks and CD-ROMs are left out: they cannot change.
 */
HvSnapshots *hv_snapshots_new            (const HvDomainSpec   *spec,
                                          HvQmp                *qmp);

/* Letters, digits, '.', '_' and '-', 1 to 64, not all digits (QEMU reads those as ids). */
gboolean     hv_snapshot_name_is_valid   (const char           *name);

/* Oldest first; each snapshot is on every snapshotted disk. */
void         hv_snapshots_list_async     (HvSnapshots          *self,
                                          GCancellable         *cancellable,
                                          GAsyncReadyCallback   callback,
                                          gpointer              user_data);
GPtrArray   *hv_snapshots_list_finish    (HvSnapshots          *self,
                                          GAsyncResult         *result,
                                          GError              **error);

void         hv_snapshots_create_async   (HvSnapshots          *self,
                                          const char           *name,
                                          GCancellable         *cancellable,
                                          GAsyncReadyCallback   callback,
                                          gpointer              user_data);
/* Running, a revert brings the memory back too: the guest goes on from that moment. */
void         hv_snapshots_revert_async   (HvSnapshots          *self,
                                          const char           *name,
                                          GCancellable         *cancellable,
                                          GAsyncReadyCallback   callback,
                                          gpointer              user_data);
void         hv_snapshots_delete_async   (HvSnapshots          *self,
                                          const char           *name,
                                          GCancellable         *cancellable,
                                          GAsyncReadyCallback   callback,
                                          gpointer              user_data);
/* The _finish of create, revert and delete. */
gboolean     hv_snapshots_change_finish  (HvSnapshots          *self,
                                          GAsyncResult         *result,
                                          GError              **error);

G_END_DECLS
