/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The daemon's insides, shared by the files that answer its method families:
 * hv-daemon.c (hello, starting), hv-daemon-domains.c (domain.*), hv-daemon-stats.c (stats.*),
 * hv-daemon-images.c (image.*), hv-daemon-migration.c (migration.*).
 */

#pragma once

#include "hv-alert-command.h"
#include "hv-alerts.h"
#include "hv-daemon.h"
#include "hv-host.h"
#include "hv-image-store.h"
#include "hv-stats-archive.h"
#include "hv-stats-sampler.h"

G_BEGIN_DECLS

struct _HvDaemon
{
  GObject         parent_instance;

  HvPaths        *paths;
  char           *name;
  HvRpcServer    *server;
  HvDaemonOptions options;
  char           *qemu_binary;

  /* `qemu-system-x86_64 --version`, asked once at start. */
  GSubprocess    *qemu_probe;
  GCancellable   *qemu_probe_cancellable;
  guint           qemu_probe_timeout_id;
  char           *qemu_version;     /* NULL until the probe ended */
  GPtrArray      *hello_waiting;    /* HvRpcCall, answered when the probe ends */

  HvQemuAccel     accel;
  char           *accel_detail;     /* why this accelerator, from the KVM probe */
  gboolean        accel_probed;

  HvHost         *host;
  HvImageStore   *images;
  HvStatsSampler *sampler;
  HvStatsArchive *archive;           /* minutes and hours, on disk */
  GPtrArray      *stats_subscribers; /* HvRpcPeer */

  HvDaemonConfig *config;            /* domusd.conf */
  GHashTable     *migrations;        /* domain name → HvMigration under way, either side */
  GHashTable     *migration_failures; /* prepare's id → GError: why a target side failed, kept
                                        for the client's finish{false}, the last few only */

  HvAlerts       *alerts;            /* hv-daemon-alerts.c */
  HvAlertCommand *alert_command;
  char           *alerts_path;       /* the state file: the kept alerts */
  guint           alerts_save_id;
  guint           disk_check_id;
  GCancellable   *disk_check_cancellable;
};

/* `error` as the protocol reports it: HV_RPC_ERROR as it is, the models' errors mapped onto its
 * kinds (config errors are invalid-config, ...). The one place that mapping lives. */
GError *hv_daemon_error_to_rpc     (const GError *error);
/* Answers with `error` mapped as hv_daemon_error_to_rpc() does. */
void hv_daemon_return_error        (HvRpcCall    *call,
                                    const GError *error);

/* A member the method cannot do without: absent or null is invalid-params naming it, as a
 * member of the wrong type is. *out lives as long as params. */
gboolean hv_daemon_params_require_string (JsonNode     *params,
                                          const char   *member,
                                          const char  **out,
                                          GError      **error);
gboolean hv_daemon_params_require_object (JsonNode     *params,
                                          const char   *member,
                                          JsonObject  **out,
                                          GError      **error);

/* {}: what methods without a result of their own answer. */
JsonNode *hv_daemon_new_empty_result (void);

void hv_daemon_add_domain_methods  (HvDaemon     *self);
void hv_daemon_add_stats_methods   (HvDaemon     *self);
void hv_daemon_add_image_methods   (HvDaemon     *self);
void hv_daemon_add_demo_methods    (HvDaemon     *self);
void hv_daemon_add_migration_methods (HvDaemon   *self);
/* domain.snapshot.*, domain.clone, domain.set_template, domain.save, domain.restore, image.debian,
 * image.cloud (hv-daemon-guests.c). */
void hv_daemon_add_guest_methods   (HvDaemon     *self);
/* TRUE (and `call` answered not-supported) when NAME is defined as a template: its disks stand
 * under linked clones, so it is never started. */
gboolean hv_daemon_refuse_template (HvDaemon     *self,
                                    HvRpcCall    *call,
                                    const char   *name);
void hv_daemon_add_alert_methods   (HvDaemon     *self);
/* The same for a config text that domain.create would start. */
gboolean hv_daemon_refuse_template_text (HvRpcCall  *call,
                                         const char *text,
                                         const char *filename);
/* At start, after reattaching: ends incoming migrations a previous daemon left half done. */
void hv_daemon_clean_migrations    (HvDaemon     *self);

/* Broadcasts domain.event for what the host reports. */
void hv_daemon_connect_domain_events (HvDaemon   *self);
/* Starts sampling; stats.sample goes to subscribers. */
void hv_daemon_start_stats         (HvDaemon     *self);
/* After the stats: reads the kept alerts and evaluates the rules from then on. */
void hv_daemon_start_alerts        (HvDaemon     *self);
/* Saves the kept alerts now if a save is due (the daemon is stopping). */
void hv_daemon_stop_alerts         (HvDaemon     *self);

/* The CPU share (100 = one core) the domain had in the latest sample; -1 when unknown. */
double hv_daemon_get_domain_cpu_percent (HvDaemon *self,
                                         HvDomain *domain);

G_END_DECLS
