/* SPDX-License-Identifier: GPL-3.0-or-later */
/* One host's daemon: its connection, its domains kept current from its events, its stats. */

#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "domus-connection.h"
#include "domus-domain.h"
#include "domus-stats-history.h"

G_BEGIN_DECLS

typedef enum {
  DOMUS_HOST_STATE_DISCONNECTED,
  DOMUS_HOST_STATE_CONNECTING,   /* connecting, or connected and reading the host's state */
  DOMUS_HOST_STATE_CONNECTED,
} DomusHostState;

#define DOMUS_TYPE_HOST_STATE (domus_host_state_get_type ())
GType domus_host_state_get_type (void) G_GNUC_CONST;

/* The series a host keeps (domus_host_get_history()). */
typedef enum {
  DOMUS_HOST_METRIC_CPU_PERCENT,   /* of all cores together */
  DOMUS_HOST_METRIC_MEMORY_USED,   /* MiB */
  DOMUS_HOST_N_METRICS
} DomusHostMetric;

#define DOMUS_HOST_DEFAULT_HISTORY_SECONDS 600
#define DOMUS_HOST_DEFAULT_RETRY_DELAY_MS  1000
#define DOMUS_HOST_MAX_RETRY_DELAY_MS      30000

#define DOMUS_TYPE_HOST (domus_host_get_type ())
G_DECLARE_FINAL_TYPE (DomusHost, domus_host, DOMUS, HOST, GObject)

DomusHost         *domus_host_new                  (const char      *uri);

/* Connects (state CONNECTING, then CONNECTED once the domains and stats are read) and keeps
 * reconnecting after a failure or a lost connection, until domus_host_disconnect(). Does
 * nothing while connecting or connected; while waiting to retry, retries now. */
void               domus_host_connect              (DomusHost       *self);
/* Who answers SSH password and passphrase prompts for this host's connections (nullable). */
void               domus_host_set_interaction      (DomusHost       *self,
                                                    GTlsInteraction *interaction);
/* After DOMUS_ERROR_HOST_KEY_UNKNOWN: the user accepted the key with this fingerprint
 * (domus_error_get_host_key()); it is saved to known_hosts as the host connects again. */
void               domus_host_accept_host_key      (DomusHost       *self,
                                                    const char      *fingerprint);
/* Closes the connection and stops retrying: state DISCONNECTED with no error. Call it before
 * dropping the last reference: an attempt under way holds one until it ends. */
void               domus_host_disconnect           (DomusHost       *self);

/* TRUE for errors retrying cannot fix (a bad address, an SSH host key or login refused):
 * after those the host stays DISCONNECTED until domus_host_connect() is called again. */
gboolean           domus_host_error_is_permanent   (const GError    *error);

const char        *domus_host_get_uri              (DomusHost       *self);
/* hello's name once connected, the URI before. */
const char        *domus_host_get_name             (DomusHost       *self);
DomusHostState     domus_host_get_state            (DomusHost       *self);
/* Why the host is disconnected: the last failure, kept while a retry connects; NULL once
 * connected and after domus_host_disconnect(). */
const GError      *domus_host_get_error            (DomusHost       *self);
/* (transfer none) NULL when not connected. */
DomusConnection   *domus_host_get_connection       (DomusHost       *self);

/* The last hello's answer (transfer none), NULL before the first connection; and parts of it. */
JsonObject        *domus_host_get_hello            (DomusHost       *self);
const char        *domus_host_get_accelerator      (DomusHost       *self);
const char        *domus_host_get_qemu_version     (DomusHost       *self);
const char        *domus_host_get_version          (DomusHost       *self);
gint64             domus_host_get_cpus             (DomusHost       *self);
gint64             domus_host_get_memory_mib       (DomusHost       *self);

/* From the latest stats sample. */
double             domus_host_get_cpu_percent      (DomusHost       *self);
gint64             domus_host_get_memory_used_mib  (DomusHost       *self);
double             domus_host_get_load_1           (DomusHost       *self);
/* The daemon's stats interval (1000 until it says). */
guint              domus_host_get_stats_interval_ms (DomusHost      *self);

/* How far back histories go: history_seconds * 1000 / interval_ms samples. Default 600. */
guint              domus_host_get_history_seconds  (DomusHost       *self);
void               domus_host_set_history_seconds  (DomusHost       *self,
                                                    guint            seconds);
/* The first retry's delay; each next one doubles, up to DOMUS_HOST_MAX_RETRY_DELAY_MS. */
guint              domus_host_get_retry_delay_ms   (DomusHost       *self);
void               domus_host_set_retry_delay_ms   (DomusHost       *self,
                                                    guint            delay_ms);

/* A GListModel of DomusDomain sorted by name, without Domain-0 (its figures are the host's).
 * A domain keeps its object for as long as it exists, across reconnections. (transfer none) */
GListModel        *domus_host_get_domains          (DomusHost       *self);
/* (transfer none) NULL when there is no such domain. */
DomusDomain       *domus_host_lookup_domain        (DomusHost       *self,
                                                    const char      *name);
/* (transfer none) */
DomusStatsHistory *domus_host_get_history          (DomusHost       *self,
                                                    DomusHostMetric  metric);

/*
 * The daemon's long-range archive (stats.archive) for the host (domain_name NULL) or a
 * domain: range "1h", "24h" or "30d"; metric a figure's name in the protocol
 * ("cpu_percent", "memory_mib", "disk_rd_bps", …). The history holds the averages, a
 * point a minute (an hour for "30d"), the one in progress last. Errors: the
 * connection's, and DOMUS_ERROR_CLOSED when the host is not connected.
 */
void               domus_host_get_archive_async    (DomusHost           *self,
                                                    const char          *domain_name,
                                                    const char          *range,
                                                    const char          *metric,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
DomusStatsHistory *domus_host_get_archive_finish   (DomusHost           *self,
                                                    GAsyncResult        *result,
                                                    GError             **error);

G_END_DECLS
