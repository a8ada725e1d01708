/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * One live migration of one domain, on one side: incoming (the target: prepare, the relocation
 * listener, finish) or outgoing (the source: perform, confirm, cancel). Whoever drives both
 * sides (the daemon, for a client) calls them in that order; the stream goes from QEMU to QEMU.
 * hv-migration.c is the object, hv-migration-checks.c the target's checks,
 * hv-migration-incoming.c the target and hv-migration-outgoing.c the source.
 */

#pragma once

#include <gio/gio.h>

#include "hv-daemon-config.h"
#include "hv-host.h"
#include "hv-image-store.h"

G_BEGIN_DECLS

/* A prepared target that no stream reached within this long cleans itself up. */
#define HV_MIGRATION_PREPARED_TIMEOUT_S 60
/* How often "progress" is emitted while QEMU migrates. */
#define HV_MIGRATION_PROGRESS_MS        100
/* downtime-limit when the caller gives none. */
#define HV_MIGRATION_DEFAULT_DOWNTIME_MS 10

#define HV_MIGRATION_ERROR (hv_migration_error_quark ())

typedef enum {
  HV_MIGRATION_ERROR_INVALID,      /* the request itself is wrong: no config, a name not the config's */
  HV_MIGRATION_ERROR_REFUSED,      /* the target will not take it: hosts-allow, post-copy, a disk */
  HV_MIGRATION_ERROR_FAILED,       /* QEMU's migration, a disk copy, a listener or a file failed */
  HV_MIGRATION_ERROR_CANCELLED,    /* cancelled, or whoever drove it went away */
  HV_MIGRATION_ERROR_NOT_RUNNING,  /* the domain is neither running nor paused */
  HV_MIGRATION_ERROR_WRONG_STEP,   /* not now: still being prepared, already ending, not completed */
} HvMigrationError;

GQuark hv_migration_error_quark (void);

/*
 * The stream and the disk copies go over TLS with a pre-shared key that whoever drives the
 * migration makes for it and hands to both sides: hex digits, HV_MIGRATION_PSK_MIN_BYTES to
 * HV_MIGRATION_PSK_MAX_BYTES bytes. QEMU reads it from keys.psk in the domain's private run folder.
 */
#define HV_MIGRATION_PSK_MIN_BYTES 16
#define HV_MIGRATION_PSK_MAX_BYTES 64

gboolean hv_migration_psk_is_valid (const char *psk);

typedef struct {
  char     *id;       /* "relocation", "memory", "name", "disks", "cpu", "devices" */
  gboolean  ok;
  char     *message;
} HvMigrationCheck;

void hv_migration_check_free (HvMigrationCheck *check);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HvMigrationCheck, hv_migration_check_free)

/* A disk as the source sees it. */
typedef struct {
  const char *path;
  gint64      size_bytes;    /* -1: not given */
} HvMigrationDisk;

/* What the checks and the target's prepare are given. Transfer none. */
typedef struct {
  const char            *config_text;
  const char            *name;          /* NULL: the config's */
  gboolean               copy_storage;
  gboolean               live;
  gboolean               postcopy;      /* prepare: the target enables postcopy-ram too */
  const char            *accelerator;   /* the source's; NULL: not compared */
  const HvMigrationDisk *disks;
  guint                  n_disks;
  const char            *tls_psk;       /* prepare: the migration's key (hv_migration_psk_is_valid);
                                           NULL: in clear, which a loopback relocation address only takes */
} HvMigrationRequest;

typedef struct {
  HvHost         *host;
  HvImageStore   *images;
  HvDaemonConfig *config;
  HvQemuAccel     accel;
  HvQemuNetMode   net_mode;
  const char     *incoming_dir;  /* where an incoming domain's config waits for finish */
} HvMigrationContext;

/*
 * The target's checks (HvMigrationCheck, in the protocol's order). Fails only when the request
 * itself is wrong: a config that does not parse (HV_CONFIG_ERROR), no config or a name that is
 * not the config's (HV_MIGRATION_ERROR_INVALID).
 */
GPtrArray *hv_migration_run_checks (const HvMigrationContext *context,
                                    const HvMigrationRequest *request,
                                    GError                  **error);

/* A disk's virtual size here (a qcow2 image's header, else the file's size); -1 when it is missing. */
gint64     hv_migration_disk_size  (const char *path,
                                    const char *format);

/*
 * After a daemon restart: an incoming migration that was under way when the daemon died is
 * abandoned (whoever drove it and the stream are gone with it). Its QEMU, if it still runs, is
 * destroyed; its temporary config and disk copies in `incoming_dir` are removed. Migration keys
 * left in the run folders of the domains that run on (either side's) are removed.
 */
void       hv_migration_clean_abandoned (HvHost     *host,
                                         const char *incoming_dir);

/* One disk copy's way in on the target. */
typedef struct {
  const char *disk_path;    /* the disk's path on the source */
  const char *export_name;  /* the NBD export its copy is written through */
} HvMigrationExport;

/* Where the source's mirrors write the disk copies. Transfer none. */
typedef struct {
  const char              *host;
  guint                    port;
  const HvMigrationExport *exports;
  guint                    n_exports;
} HvMigrationNbd;

/* What the source is asked. Transfer none. */
typedef struct {
  const char           *uri;             /* tcp:HOST:PORT, as the target's prepare said */
  gboolean              live;
  gint64                bandwidth_mib;   /* 0: fit the link */
  gint64                downtime_ms;     /* 0: HV_MIGRATION_DEFAULT_DOWNTIME_MS */
  const HvMigrationNbd *nbd;             /* NULL without copy-storage */
  gboolean              postcopy;
  const char           *tls_psk;         /* the key the target's prepare was given; NULL: in clear */
} HvMigrationPerform;

/* What "progress" reports. */
typedef struct {
  const char *phase;                  /* setup, mirror, active, postcopy, completed, failed, cancelled */
  gint64      transferred_bytes;      /* RAM */
  gint64      remaining_bytes;
  gint64      total_bytes;
  gint64      dirty_rate_bytes_per_s;
  gint64      expected_downtime_ms;
  double      mbps;
  gint64      disk_remaining_bytes;   /* the mirrors' */
} HvMigrationProgress;

/* What a completed perform measured. */
typedef struct {
  gint64   downtime_ms;
  gint64   total_ms;
  gint64   setup_ms;
  gint64   transferred_bytes;         /* RAM and disk */
  gint64   dirty_rate_bytes_per_s;
  gint64   auto_converge_throttle_pct;
  gboolean postcopy;                  /* post-copy was started */
} HvMigrationOutcome;

#define HV_TYPE_MIGRATION (hv_migration_get_type ())
G_DECLARE_FINAL_TYPE (HvMigration, hv_migration, HV, MIGRATION, GObject)

/*
 * Signals:
 *   "progress" (const HvMigrationProgress *progress)
 *               the source's migration moved on (every HV_MIGRATION_PROGRESS_MS while it runs)
 *   "done" ()   the migration is over on this side (finished, confirmed, failed and cleaned up):
 *               whoever tracks it may forget it.
 *
 * The cancellable of prepare and perform stands for whoever drives the migration: when it is
 * cancelled, even after that call finished, the driver is gone and the migration ends as if a
 * rollback had been asked for; except once the guest may run on the target only (then the
 * target keeps it, and the source keeps it paused). finish and confirm always run to their end
 * (a rollback stopped half way would leave the host in between): their cancellable is not used.
 */

const char  *hv_migration_get_name       (HvMigration *self);
/* The token the target's prepare made (incoming only; NULL for outgoing). */
const char  *hv_migration_get_id         (HvMigration *self);
gboolean     hv_migration_is_incoming    (HvMigration *self);
/* Why it failed on this side; NULL while it runs, after success, or after a rollback asked for. */
const GError *hv_migration_get_failure   (HvMigration *self);
/* Incoming: why the last peer that connected to the relocation address was turned away (the
 * migration waited on for the right one); NULL when none was. The likely reason a source failed. */
const GError *hv_migration_get_refusal   (HvMigration *self);

/* Target side. */
HvMigration *hv_migration_new_incoming   (const HvMigrationContext *context,
                                          const HvMigrationRequest *request);
/* Copies, QEMU waiting with -incoming defer, the listeners: then the getters below answer. */
void         hv_migration_prepare_async  (HvMigration         *self,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);
gboolean     hv_migration_prepare_finish (HvMigration         *self,
                                          GAsyncResult        *result,
                                          GError             **error);
/* Prepared: where the source sends the stream (tcp:HOST:PORT). */
const char  *hv_migration_get_uri        (HvMigration         *self);
/* Whether the stream and the disk copies go over TLS (a key was given). */
gboolean     hv_migration_get_tls        (HvMigration         *self);
/* Prepared with copy-storage: fills nbd (valid as long as self) and gives TRUE; else FALSE. */
gboolean     hv_migration_get_nbd        (HvMigration         *self,
                                          HvMigrationNbd      *nbd);
/*
 * success: the stream arrived; the domain is adopted (resumed when `resume`). !success: a
 * rollback; it finishes once the target is as it was, TRUE, with hv_migration_get_failure()
 * saying why the target had failed by itself, if it had.
 */
void         hv_migration_finish_async   (HvMigration         *self,
                                          gboolean             success,
                                          gboolean             resume,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);
gboolean     hv_migration_finish_finish  (HvMigration         *self,
                                          GAsyncResult        *result,
                                          GError             **error);
/* The domain that arrived (after a successful finish); NULL before. */
HvDomain    *hv_migration_get_domain     (HvMigration         *self);

/* Source side. */
HvMigration *hv_migration_new_outgoing   (const HvMigrationContext *context,
                                          HvDomain                 *domain);
/* Mirrors, migrates; finishes when QEMU completed (the guest is paused here). */
void         hv_migration_perform_async  (HvMigration              *self,
                                          const HvMigrationPerform *perform,
                                          GCancellable             *cancellable,
                                          GAsyncReadyCallback       callback,
                                          gpointer                  user_data);
gboolean     hv_migration_perform_finish (HvMigration              *self,
                                          GAsyncResult             *result,
                                          HvMigrationOutcome       *outcome,
                                          GError                  **error);
/*
 * success: the target has it; the domain ends here and its config is kept aside. !success: the
 * domain goes on here as it was (during perform: as hv_migration_cancel(), at once).
 */
void         hv_migration_confirm_async  (HvMigration         *self,
                                          gboolean             success,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);
gboolean     hv_migration_confirm_finish (HvMigration         *self,
                                          GAsyncResult        *result,
                                          GError             **error);

/* Either side: stops it; the pending call ends in HV_MIGRATION_ERROR_CANCELLED or a rollback. */
void         hv_migration_cancel         (HvMigration         *self);

G_END_DECLS
