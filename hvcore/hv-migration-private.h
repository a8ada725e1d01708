/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The insides of HvMigration, shared by the files it is written in: hv-migration.c (the object,
 * its calls to QEMU and its poll loops), hv-migration-checks.c, hv-migration-incoming.c (the
 * target) and hv-migration-outgoing.c (the source).
 */

#pragma once

#include <json-glib/json-glib.h>

#include "hv-config.h"
#include "hv-domain-spec.h"
#include "hv-migration.h"
#include "hv-nbd-gate.h"

G_BEGIN_DECLS

/* Where QEMU's tls-creds-psk looks for the key, in its `dir` (the run folder). */
#define HV_MIGRATION_PSK_FILE "keys.psk"
/* The PSK identity both sides give. */
#define HV_MIGRATION_PSK_USER "domus"

typedef enum {
  STEP_NEW,
  STEP_PREPARING,    /* target: images, QEMU, listeners */
  STEP_PREPARED,     /* target: waiting for the stream */
  STEP_RECEIVING,    /* target: QEMU has the stream */
  STEP_PERFORMING,   /* source: mirror and migrate under way */
  STEP_PERFORMED,    /* source: QEMU completed; waiting for confirm */
  STEP_FINISHING,    /* either side: the last steps */
  STEP_CLEANING,     /* either side: rolling back */
  STEP_DONE,
} Step;

typedef struct {
  char    *source_path;   /* the disk's path on the source */
  char    *path;          /* the copy in this host's image store */
  char    *format;
  char    *export_name;   /* the NBD export; the drive id */
  guint64  size;
  gboolean created;
} DiskCopy;

void hv_migration_disk_copy_free (DiskCopy *copy);

/* A poll step: reads QEMU's reply; TRUE to ask again after the loop's interval. */
typedef gboolean (*PollFunc) (HvMigration  *self,
                              JsonNode     *reply,
                              const GError *error);

/* What to do with a QMP reply; error is set when the command failed or QEMU is gone. */
typedef void (*QmpStep) (HvMigration  *self,
                         JsonNode     *reply,
                         const GError *error);

struct _HvMigration
{
  GObject             parent_instance;

  HvMigrationContext  context;
  gboolean            incoming;
  Step                step;
  char               *name;
  char               *id;
  HvDomain           *domain;
  gulong              ended_id;

  /* TLS (both sides): the key, the QEMU object made from it */
  char               *tls_psk;           /* NULL: in clear */
  char               *tls_id;
  gboolean            tls_key_written;   /* keys.psk is in the run folder */

  GTask              *task;              /* the call under way (prepare, finish, perform, confirm) */
  GPtrArray          *waiters;           /* GTask of rollbacks asked for while one ran */
  GError             *failure;           /* why the target is being cleaned up */
  GCancellable       *driver_cancellable;  /* cancelled when whoever drives us goes away */
  gulong              driver_cancelled_id;
  guint               driver_gone_idle_id;

  /* the one poll loop (hv_migration_poll) */
  guint               poll_id;
  const char         *poll_command;
  guint               poll_interval_ms;
  PollFunc            poll_func;

  /* target */
  char               *request_text;
  GPtrArray          *request_disks;     /* HvMigrationDisk, strings owned */
  gboolean            copy_storage;
  gboolean            postcopy;
  char               *config_text;       /* as it will be stored: disk paths rewritten to copies */
  char               *temp_config_path;
  GPtrArray          *copies;            /* DiskCopy */
  GArray             *exports;           /* HvMigrationExport into copies, for hv_migration_get_nbd */
  guint               next_copy;
  GSocketListener    *listener;
  GCancellable       *accept_cancellable;
  GSocket            *nbd_socket;        /* the TCP side sources connect to for disk copies */
  guint               nbd_port;
  HvNbdGate          *nbd_gate;          /* admits them on nbd_socket by hosts-allow */
  char               *uri;
  guint               timeout_id;
  GSocketConnection  *connection;       /* the stream's, once a peer was let in */
  char               *peer_address;
  guint               peers_checked;     /* connections whose hosts-allow check runs */
  GError             *refusal;           /* why the last peer was turned away */
  gboolean            received;          /* QEMU reported the incoming migration completed */
  gboolean            resume;
  guint               finish_polls;

  /* source */
  HvMigrationPerform  perform;
  char               *perform_uri;
  char               *mirror_host;       /* the target's NBD gate; NULL without copy-storage */
  guint               mirror_port;
  GHashTable         *mirror_exports;    /* disk path → export name */
  GPtrArray          *jobs;              /* mirror job ids */
  gboolean            was_running;
  gboolean            stopped_by_us;
  gboolean            cancel_requested;
  gboolean            completed;         /* QEMU said completed: the target may own the guest */
  gboolean            postcopy_started;
  JsonObject         *last_info;         /* the last query-migrate */
  gint64              last_dirty_rate;
  gint64              disk_remaining;
};

/* hv-migration.c */
HvMigration *hv_migration_new_with_context (const HvMigrationContext *context);
/* Makes the call under way; the migration answers it once, through the two below. */
void         hv_migration_begin_task   (HvMigration         *self,
                                        gpointer             source_tag,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data);
void         hv_migration_return_ok    (HvMigration         *self);
/* error: transfer none. */
void         hv_migration_return_error (HvMigration         *self,
                                        const GError        *error);
/* A task for a call that is answered at once, outside the call under way. */
GTask       *hv_migration_new_side_task (HvMigration        *self,
                                         gpointer            source_tag,
                                         GCancellable       *cancellable,
                                         GAsyncReadyCallback callback,
                                         gpointer            user_data);
/* Ends this side: answers the rollbacks that waited, emits "done". */
void         hv_migration_set_done     (HvMigration         *self);
/* Why a migration failed, as this model reports it: its own errors, config and host errors as
 * they are; anything else (QEMU, files, sockets, the image store) becomes a FAILED error with
 * the same message. Takes error. */
GError      *hv_migration_failure_from (GError              *error);
/* Runs a QMP command on the domain's QEMU; `arguments` is taken (may be NULL); fd < 0: none. */
void         hv_migration_qmp          (HvMigration         *self,
                                        const char          *command,
                                        JsonObject          *arguments,
                                        int                  fd,
                                        QmpStep              step);
/* Asks QEMU `command` now and then every interval_ms, as long as func says TRUE. One loop at a
 * time; set_done and the rollbacks stop it. */
void         hv_migration_poll         (HvMigration         *self,
                                        const char          *command,
                                        guint                interval_ms,
                                        PollFunc             func);
void         hv_migration_stop_polling (HvMigration         *self);
/* {"capabilities": [...]} of migrate-set-capabilities, from (name, state) pairs ending in NULL. */
JsonObject  *hv_migration_capabilities (const char          *first_name,
                                        ...) G_GNUC_NULL_TERMINATED;
void         hv_migration_emit_progress (HvMigration        *self,
                                         const char         *phase);
/* TLS: writes the key to keys.psk in the domain's run folder (0600) and makes QEMU's
 * tls-creds-psk object from it; endpoint "server" (target) or "client" (source). */
void         hv_migration_tls_add      (HvMigration         *self,
                                        const char          *endpoint,
                                        QmpStep              step);
/* keys.psk goes (QEMU's client reads it once; the server at each handshake). */
void         hv_migration_tls_remove_key (HvMigration       *self);
/* QEMU migrates in clear again and forgets the object (both best effort). */
void         hv_migration_tls_drop     (HvMigration         *self);
/* Watches the cancellable of the driver's latest call. */
void         hv_migration_watch_driver (HvMigration         *self,
                                        GCancellable        *cancellable);

/* hv-migration-checks.c */
/* The config of a request, parsed and checked against its name. */
HvDomainSpec *hv_migration_parse_request (const HvMigrationRequest *request,
                                          HvConfig                **config_out,
                                          GError                  **error);
/* The size the source gave for `path`; -1 when not given. */
gint64        hv_migration_requested_size (const HvMigrationDisk *disks,
                                           guint                  n_disks,
                                           const char            *path);
/* Raw and qcow2 images can be copied (mirrored); devices, CD-ROMs and other formats not. */
gboolean      hv_migration_disk_is_copyable (const HvDiskSpec *disk);
/* A disk's virtual size here; *file_size the file's own; -1 (both) when it is missing. */
gint64        hv_migration_local_virtual_size (const char *path,
                                               const char *format,
                                               gint64     *file_size);

/* hv-migration-incoming.c */
void hv_migration_incoming_driver_gone (HvMigration *self);
void hv_migration_incoming_cancel      (HvMigration *self);
void hv_migration_incoming_dispose     (HvMigration *self);

/* hv-migration-outgoing.c */
void hv_migration_outgoing_driver_gone (HvMigration *self);
void hv_migration_outgoing_cancel      (HvMigration *self);

G_END_DECLS
