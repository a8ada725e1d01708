/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The host side of domusd: its folders, its socket and the methods it answers. */

#pragma once

#include <gio/gio.h>

#include "hv-daemon-config.h"
#include "hv-paths.h"
#include "hv-qemu-command.h"
#include "hv-rpc-server.h"

G_BEGIN_DECLS

#define HV_DAEMON_ERROR (hv_daemon_error_quark ())

typedef enum {
  HV_DAEMON_ERROR_ALREADY_RUNNING,  /* another daemon answers on the socket */
  HV_DAEMON_ERROR_SOCKET,           /* the socket path is taken by something else */
} HvDaemonError;

GQuark hv_daemon_error_quark (void);

/* The protocol version `hello` reports; bumped only for incompatible changes. */
#define HV_PROTOCOL_VERSION 1
/* hello's features: migration.prepare and migration.perform take tls_psk (encrypted migration). */
#define HV_FEATURE_MIGRATION_TLS "migration-tls"

/* Nested KVM hangs rather than failing: the probe gets this long. */
#define HV_DAEMON_KVM_PROBE_TIMEOUT_MS 2000

typedef enum {
  HV_DAEMON_ACCEL_AUTO,  /* probe KVM, else TCG */
  HV_DAEMON_ACCEL_KVM,
  HV_DAEMON_ACCEL_TCG,
} HvDaemonAccel;

typedef struct {
  HvDaemonAccel  accel;
  guint          tb_size_mib;        /* --tb-size; 0: QEMU's default; HV_QEMU_TB_SIZE_AUTO (the
                                        default): by each guest's memory */
  HvQemuNetMode  net_mode;           /* user for session and --root daemons, tap for --system */
  const char    *qemu_binary;        /* NULL: qemu-system-x86_64 from PATH */
  guint          stats_interval_ms;
} HvDaemonOptions;

void            hv_daemon_options_init (HvDaemonOptions    *options);

#define HV_TYPE_DAEMON (hv_daemon_get_type ())
G_DECLARE_FINAL_TYPE (HvDaemon, hv_daemon, HV, DAEMON, GObject)

/* name: the host name to report; NULL for the machine's. */
HvDaemon       *hv_daemon_new          (const HvPaths         *paths,
                                        const char            *name,
                                        const HvDaemonOptions *options);
const HvPaths  *hv_daemon_get_paths    (HvDaemon            *self);
/* The settings of domusd.conf; call before starting (the defaults until then). */
void            hv_daemon_set_config   (HvDaemon            *self,
                                        HvDaemonConfig      *config);
HvDaemonConfig *hv_daemon_get_config   (HvDaemon            *self);
const char     *hv_daemon_get_name     (HvDaemon            *self);
HvRpcServer    *hv_daemon_get_server   (HvDaemon            *self);

/*
 * Creates the folders, takes the socket over if it is stale (and refuses when
 * another daemon still answers on it), listens, and starts the host probes.
 */
void            hv_daemon_start_async  (HvDaemon            *self,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data);
gboolean        hv_daemon_start_finish (HvDaemon            *self,
                                        GAsyncResult        *result,
                                        GError             **error);

/* Stops listening and removes the socket; clients are dropped. */
void            hv_daemon_stop         (HvDaemon            *self);

G_END_DECLS
