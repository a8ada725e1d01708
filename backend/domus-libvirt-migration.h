/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A domain moving between two libvirt hosts: libvirt's migration, its job info as progress, cancel. */

#pragma once

#include <gio/gio.h>

#include "domus-libvirt-connection.h"

G_BEGIN_DECLS

typedef struct {
  gboolean    live;             /* FALSE: the guest is paused while it moves */
  gboolean    copy_storage;     /* disks that are not shared are copied along (NBD) */
  guint64     bandwidth_mib;    /* MiB/s; 0: no limit */
  guint64     max_downtime_ms;  /* 0: libvirt's default (300 ms) */
  gboolean    postcopy;         /* after the first pass the guest runs on the target and pulls the rest */
  /* Where the target's QEMU listens, e.g. "tcp://192.0.2.7"; NULL: libvirt's choice
   * (the target's host name, which must resolve on the source). */
  const char *migrate_uri;
  /* The stream and the disk copies over QEMU's TLS (VIR_MIGRATE_TLS), with the x509
   * certificates both hosts' qemu.conf names (migrate_tls_x509_cert_dir). */
  gboolean    tls;
} DomusLibvirtMigrateOptions;

/* libvirt's job info for the migration, as the last poll saw it, then as the completed job
 * ended (its last "progress" signal); -1 where not said. */
typedef struct {
  gint64   elapsed_ms;
  gint64   data_total;        /* bytes: memory and (with copy_storage) disks */
  gint64   data_processed;
  gint64   data_remaining;
  gint64   disk_total;
  gint64   disk_processed;
  gint64   memory_iteration;  /* passes over the guest's memory so far */
  gboolean postcopy;          /* it switched: the guest runs on the target already */
} DomusLibvirtJobInfo;

#define DOMUS_TYPE_LIBVIRT_MIGRATION (domus_libvirt_migration_get_type ())
G_DECLARE_FINAL_TYPE (DomusLibvirtMigration, domus_libvirt_migration, DOMUS, LIBVIRT_MIGRATION, GObject)

/* Moves the domain name from source to target (two hosts; libvirt refuses one host twice). */
DomusLibvirtMigration     *domus_libvirt_migration_new      (DomusLibvirtConnection           *source,
                                                             DomusLibvirtConnection           *target,
                                                             const char                       *name,
                                                             const DomusLibvirtMigrateOptions *options);

/*
 * Runs it: libvirt's migration (client-driven, this process speaking to both hosts, the
 * guest's memory and disks going straight from host to host) on a thread of its own, so
 * both connections' threads stay free for the job info ("progress", twice a second) and
 * for cancelling. The domain is persistent on the target and undefined on the source
 * when it is done. Any failure leaves it running on the source. Errors:
 * DOMUS_ERROR_MIGRATION_CANCELLED, _MIGRATION_REFUSED, _MIGRATION_FAILED,
 * _NOT_SUPPORTED (a driver without migration), _NO_SUCH_DOMAIN, _NOT_RUNNING.
 */
void                       domus_libvirt_migration_run_async  (DomusLibvirtMigration  *self,
                                                               GCancellable           *cancellable,
                                                               GAsyncReadyCallback     callback,
                                                               gpointer                user_data);
gboolean                   domus_libvirt_migration_run_finish (DomusLibvirtMigration  *self,
                                                               GAsyncResult           *result,
                                                               GError                **error);

/* Asks libvirt to abort the job; the run then fails with DOMUS_ERROR_MIGRATION_CANCELLED
 * unless it was past the point of no return (post-copy, or already done). */
void                       domus_libvirt_migration_cancel       (DomusLibvirtMigration *self);

const DomusLibvirtJobInfo *domus_libvirt_migration_get_progress (DomusLibvirtMigration *self);
/* The guest's pause at the switch-over, as the target measured it; -1 until done or when not said. */
gint64                     domus_libvirt_migration_get_downtime_ms (DomusLibvirtMigration *self);

G_END_DECLS
