/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * One live migration of one domain, on one side: incoming (the target: prepare, the relocation
 * listener, finish) or outgoing (the source: perform, confirm, cancel). The client drives both
 * sides over its own connections; the stream goes from QEMU to QEMU.
 */

#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "hv-daemon-config.h"
#include "hv-host.h"
#include "hv-image-store.h"
#include "hv-rpc-server.h"

G_BEGIN_DECLS

/* A prepared target that no stream reached within this long cleans itself up. */
#define HV_MIGRATION_PREPARED_TIMEOUT_S 60
/* migration.progress while QEMU migrates. */
#define HV_MIGRATION_PROGRESS_MS        100
/* downtime-limit when the client gives none. */
#define HV_MIGRATION_DEFAULT_DOWNTIME_MS 10

typedef struct {
  char     *id;       /* "relocation", "memory", "name", "disks", "cpu", "devices" */
  gboolean  ok;
  char     *message;
} HvMigrationCheck;

void hv_migration_check_free (HvMigrationCheck *check);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HvMigrationCheck, hv_migration_check_free)

/* What migration.check and migration.prepare are given. Transfer none. */
typedef struct {
  const char *config_text;
  const char *name;
  gboolean    copy_storage;
  gboolean    live;
  gboolean    postcopy;      /* prepare: the target enables postcopy-ram too */
  const char *accelerator;   /* the source's, from its hello; NULL: not compared */
  JsonArray  *disks;         /* [{path, size_bytes}], NULL for none */
} HvMigrationRequest;

typedef struct {
  HvHost         *host;
  HvImageStore   *images;
  HvDaemonConfig *config;
  HvRpcServer    *server;   /* migration.progress goes to every client */
  HvQemuAccel     accel;
  HvQemuNetMode   net_mode;
  const char     *incoming_dir;  /* where an incoming domain's config waits for finish */
} HvMigrationContext;

/*
 * The target's checks (HvMigrationCheck, in the protocol's order). Fails only when the request
 * itself is wrong: a config that does not parse (HV_CONFIG_ERROR), a name that is not the config's.
 */
GPtrArray *hv_migration_run_checks (const HvMigrationContext *context,
                                    const HvMigrationRequest *request,
                                    GError                  **error);

/* A disk's virtual size here (qcow2's header, else the file's size); -1 when it is missing. */
gint64     hv_migration_disk_size  (const char *path);

/*
 * After a daemon restart: an incoming migration that was under way when the daemon died is
 * abandoned (its client and stream are gone with it). Its QEMU, if it still runs, is destroyed;
 * its temporary config and disk copies in `incoming_dir` are removed.
 */
void       hv_migration_clean_abandoned (HvHost     *host,
                                         const char *incoming_dir);

#define HV_TYPE_MIGRATION (hv_migration_get_type ())
G_DECLARE_FINAL_TYPE (HvMigration, hv_migration, HV, MIGRATION, GObject)

/*
 * Signals:
 *   "done" ()   the migration is over on this side (finished, confirmed, failed and cleaned up):
 *               the daemon forgets it.
 */

const char  *hv_migration_get_name       (HvMigration *self);
/* The token prepare answered (incoming only; NULL for outgoing). */
const char  *hv_migration_get_id         (HvMigration *self);
gboolean     hv_migration_is_incoming    (HvMigration *self);
/* Why it failed on this side; NULL while it runs, after success, or after a rollback asked for. */
const GError *hv_migration_get_failure   (HvMigration *self);
/* {} or {"reason": MESSAGE, "kind": KIND}: what finish/confirm {success: false} answer. */
JsonNode    *hv_migration_new_rollback_result (const GError *failure);

/* Target side. Each answers `call` itself, now or later. */
HvMigration *hv_migration_new_incoming   (const HvMigrationContext *context,
                                          const HvMigrationRequest *request);
void         hv_migration_prepare        (HvMigration *self,
                                          HvRpcCall   *call);
void         hv_migration_finish         (HvMigration *self,
                                          gboolean     success,
                                          gboolean     resume,
                                          HvRpcCall   *call);

/* Source side. */
typedef struct {
  const char *uri;
  gboolean    live;
  gint64      bandwidth_mib;   /* 0: fit the link */
  gint64      downtime_ms;
  JsonObject *nbd;             /* {host, port, exports}; NULL without copy-storage */
  gboolean    postcopy;
} HvMigrationPerform;

HvMigration *hv_migration_new_outgoing   (const HvMigrationContext *context,
                                          HvDomain                 *domain);
void         hv_migration_perform        (HvMigration              *self,
                                          const HvMigrationPerform *perform,
                                          HvRpcCall                *call);
void         hv_migration_confirm        (HvMigration *self,
                                          gboolean     success,
                                          HvRpcCall   *call);
void         hv_migration_cancel         (HvMigration *self,
                                          HvRpcCall   *call);

G_END_DECLS
