/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Moving a domain from one host to another of the same kind, driven by this client (docs/migration.md). */

#pragma once

#include <gio/gio.h>

#include "domus-error.h"
#include "domus-host.h"

G_BEGIN_DECLS

/*
 * One of the target's checks: id is "relocation", "memory", "name",
 * "disks", "cpu", "devices" or one a newer daemon adds; message says what was found and,
 * when !ok, what to change. The client adds "encryption" when the run would be
 * encrypted: whether both hosts can.
 */
typedef struct {
  char     *id;
  gboolean  ok;
  char     *message;
} DomusMigrationCheck;

void                 domus_migration_check_free (DomusMigrationCheck *check);
DomusMigrationCheck *domus_migration_check_copy (const DomusMigrationCheck *check);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DomusMigrationCheck, domus_migration_check_free)

/*
 * A snapshot of the stream, as the source host reports it (for domusd: its
 * `migration.progress` notification). Byte counts are 0 when QEMU has not said yet.
 */
typedef struct {
  /* "setup", "mirror" (disks being copied), "active", "postcopy", "completed", "failed", "cancelled" */
  const char *phase;
  guint64     transferred_bytes;       /* memory sent so far */
  guint64     remaining_bytes;         /* memory still to send */
  guint64     total_bytes;             /* the guest's RAM */
  guint64     dirty_rate_bytes_per_s;  /* how fast the guest writes to its memory */
  guint64     expected_downtime_ms;    /* QEMU's estimate for the final pause */
  double      mbps;                    /* the stream's rate, megabits per second */
  guint64     disk_remaining_bytes;    /* with copy-storage: disk data still to mirror */
} DomusMigrationProgress;

/*
 * Where a migration is (the "stage" property), for a window that shows more than the
 * memory numbers: the mirror and the two ends take time of their own.
 */
typedef enum {
  DOMUS_MIGRATION_STAGE_IDLE,        /* not started */
  DOMUS_MIGRATION_STAGE_CHECKING,    /* reading the domain, the target's checks */
  DOMUS_MIGRATION_STAGE_PREPARING,   /* the target starts QEMU waiting for the stream */
  DOMUS_MIGRATION_STAGE_MIGRATING,   /* the source sends (disks first with copy-storage) */
  DOMUS_MIGRATION_STAGE_FINISHING,   /* the target takes the domain over, the source lets go */
  DOMUS_MIGRATION_STAGE_ROLLING_BACK,/* something failed: the source resumes, the target cleans up */
  DOMUS_MIGRATION_STAGE_DONE,        /* succeeded */
  DOMUS_MIGRATION_STAGE_FAILED,      /* failed or cancelled; the domain runs on the source */
} DomusMigrationStage;

#define DOMUS_TYPE_MIGRATION_STAGE (domus_migration_stage_get_type ())
GType domus_migration_stage_get_type (void) G_GNUC_CONST;

/*
 * Whether a run between these two hosts goes over TLS (docs/migration.md, "Encryption"),
 * from what the hosts said when they connected.
 */
typedef enum {
  DOMUS_MIGRATION_ENCRYPTION_UNAVAILABLE, /* a host cannot (an older daemon): in clear, to loopback only */
  DOMUS_MIGRATION_ENCRYPTION_OPTIONAL,    /* when "encrypt" is set (a target on loopback) */
  DOMUS_MIGRATION_ENCRYPTION_REQUIRED,    /* always: the target takes encrypted migrations only */
} DomusMigrationEncryption;

#define DOMUS_TYPE_MIGRATION_ENCRYPTION (domus_migration_encryption_get_type ())
GType domus_migration_encryption_get_type (void) G_GNUC_CONST;

#define DOMUS_TYPE_MIGRATION (domus_migration_get_type ())
G_DECLARE_FINAL_TYPE (DomusMigration, domus_migration, DOMUS, MIGRATION, GObject)

/*
 * name: the domain on source. Both hosts must be connected (followed, or opened with
 * domus_host_open_async()) and stay connected until the run finishes; the migration
 * holds a reference on each. They must be of one kind (domus_host_get_kind()): between
 * kinds every call fails at once with DOMUS_ERROR_HOST_KIND_MISMATCH, before anything
 * is asked of either. Options are GObject properties:
 *
 *   "live"          gboolean, default TRUE: the guest keeps running while its memory is
 *                   sent; FALSE pauses it first (smaller stream, longer outage)
 *   "copy-storage"  gboolean, default FALSE: mirror disks the target does not see at the
 *                   same path into the target's image store (QEMU block mirror over NBD)
 *   "postcopy"      gboolean, default FALSE: switch to post-copy if pre-copy does not converge
 *   "bandwidth-mib" guint, MiB/s, default 0 = fit the link (no cap; docs/migration.md)
 *   "downtime-ms"   guint, default 10: the longest final pause QEMU may plan for
 *   "encrypt"       gboolean, default FALSE: the stream and the disk copies go over TLS,
 *                   with a key made for this run and handed to both hosts over this
 *                   client's connections, also where the target does not require it
 *                   (loopback); where it does, they always do (see get_encryption())
 *
 * Read-only: "name", "source", "target", "stage" (DomusMigrationStage).
 */
DomusMigration *domus_migration_new (DomusHost       *source,
                                     DomusHost       *target,
                                     const char      *name);

const char          *domus_migration_get_name   (DomusMigration *self);
DomusHost           *domus_migration_get_source (DomusMigration *self);
DomusHost           *domus_migration_get_target (DomusMigration *self);
DomusMigrationStage  domus_migration_get_stage  (DomusMigration *self);

void     domus_migration_set_live          (DomusMigration *self, gboolean live);
gboolean domus_migration_get_live          (DomusMigration *self);
void     domus_migration_set_copy_storage  (DomusMigration *self, gboolean copy_storage);
gboolean domus_migration_get_copy_storage  (DomusMigration *self);
void     domus_migration_set_postcopy      (DomusMigration *self, gboolean postcopy);
gboolean domus_migration_get_postcopy      (DomusMigration *self);
void     domus_migration_set_bandwidth_mib (DomusMigration *self, guint bandwidth_mib);
guint    domus_migration_get_bandwidth_mib (DomusMigration *self);
/* The "downtime-ms" property (the limit asked for; domus_migration_get_downtime_ms() is the result). */
void     domus_migration_set_downtime_limit_ms (DomusMigration *self, guint downtime_ms);
guint    domus_migration_get_downtime_limit_ms (DomusMigration *self);
void     domus_migration_set_encrypt       (DomusMigration *self, gboolean encrypt);
gboolean domus_migration_get_encrypt       (DomusMigration *self);

/* What the hosts allow: whether "encrypt" matters (OPTIONAL), is implied (REQUIRED) or
 * cannot be had (UNAVAILABLE: a run with "encrypt" fails with DOMUS_ERROR_NOT_SUPPORTED). */
DomusMigrationEncryption domus_migration_get_encryption (DomusMigration *self);

/*
 * Asks the target whether it could take the domain, without changing anything: reads
 * the domain's config and disks from the source and has the target check them with the
 * copy-storage property. For a confirmation dialog; run does the same checks again.
 */
void       domus_migration_check_async  (DomusMigration      *self,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data);
/*
 * Every check, passed or not (element type DomusMigrationCheck, transfer full; a failed
 * check is not an error). Errors: the calls themselves failing (DOMUS_ERROR_NO_SUCH_DOMAIN,
 * DOMUS_ERROR_METHOD_NOT_FOUND from a daemon without migration, DOMUS_ERROR_CLOSED, …),
 * DOMUS_ERROR_HOST_KIND_MISMATCH.
 */
GPtrArray *domus_migration_check_finish (DomusMigration      *self,
                                         GAsyncResult        *result,
                                         GError             **error);

/*
 * Moves the domain: the target prepares, the source sends, the target takes over, the
 * source lets go (for domusd: migration.prepare, perform, finish, confirm, as
 * docs/protocol.md says). "progress" is emitted while it runs.
 *
 * When anything fails — the target refuses, either connection drops, the stream breaks,
 * or the cancellable is cancelled (which tells the source to stop) — the target drops
 * what it has and the source resumes: the domain keeps running on the source and the
 * target keeps nothing. The error is the first cause, not what the rollback met. One
 * run per object.
 */
void     domus_migration_run_async  (DomusMigration      *self,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data);
/*
 * Errors: DOMUS_ERROR_MIGRATION_REFUSED (a target check failed; the message is the
 * check's), DOMUS_ERROR_MIGRATION_FAILED (QEMU's error, or a daemon that went away
 * mid-way), DOMUS_ERROR_MIGRATION_CANCELLED (the cancellable, or migration.cancel from
 * another client), DOMUS_ERROR_MIGRATION_INCOMPLETE (the stream completed but the end
 * could not be settled: see the message, the guest may be paused on the source),
 * DOMUS_ERROR_HOST_KIND_MISMATCH, DOMUS_ERROR_NOT_SUPPORTED (encryption asked for or
 * required, and a host cannot: before anything is asked of the target), and the hosts'
 * own errors (DOMUS_ERROR_NO_SUCH_DOMAIN, _NOT_RUNNING, …).
 */
gboolean domus_migration_run_finish (DomusMigration      *self,
                                     GAsyncResult        *result,
                                     GError             **error);

/*
 * "Start on another server": a defined, shut-off domain whose disks the target sees at
 * the same paths is defined and started on the target, and its config leaves the source
 * (moved aside, never deleted). The target checks first (as check does, with
 * copy-storage off); if defining or starting there fails, the target's copy is undefined
 * again and the source keeps its config.
 */
void     domus_migration_start_on_async  (DomusMigration      *self,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);
gboolean domus_migration_start_on_finish (DomusMigration      *self,
                                          GAsyncResult        *result,
                                          GError             **error);

/*
 * Results, valid once run succeeded (0 / FALSE before):
 *   downtime_ms         how long the guest was paused (QEMU's measure on the source)
 *   total_ms            the whole run as the client saw it, from prepare to confirm
 *   migration_ms        QEMU's own total-time for the stream
 *   setup_ms            QEMU's setup time
 *   transferred_bytes   memory sent (disk mirror data not included)
 *   dirty_rate          bytes/s the guest dirtied, the last QEMU measured
 *   throttle_pct        how far auto-converge slowed the guest's vCPUs to finish (0 = not at all)
 *   postcopy_used       TRUE when the guest finished in post-copy
 *   encrypted           TRUE when the stream and disk copies went over TLS (the target said so)
 *   target_id           the domain's id on the target
 */
guint64  domus_migration_get_downtime_ms       (DomusMigration *self);
guint64  domus_migration_get_total_ms          (DomusMigration *self);
guint64  domus_migration_get_migration_ms      (DomusMigration *self);
guint64  domus_migration_get_setup_ms          (DomusMigration *self);
guint64  domus_migration_get_transferred_bytes (DomusMigration *self);
guint64  domus_migration_get_dirty_rate        (DomusMigration *self);
guint    domus_migration_get_throttle_pct      (DomusMigration *self);
gboolean domus_migration_get_postcopy_used     (DomusMigration *self);
gboolean domus_migration_get_encrypted         (DomusMigration *self);
gint64   domus_migration_get_target_id         (DomusMigration *self);

/*
 * Signals:
 *   "progress" (const DomusMigrationProgress *progress): the source reported how the
 *              stream of this domain goes. The pointer is valid during the emission only.
 *   notify::stage: the run moved on (see DomusMigrationStage).
 */

G_END_DECLS
