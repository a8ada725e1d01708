/* SPDX-License-Identifier: GPL-3.0-or-later */
/* One domain of a host, as the daemon last described it, with its stats histories. */

#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "domus-stats-history.h"

G_BEGIN_DECLS

/* The protocol's state strings ("running", …); a string this client does not know is INVALID. */
typedef enum {
  DOMUS_DOMAIN_STATE_RUNNING,
  DOMUS_DOMAIN_STATE_BLOCKED,
  DOMUS_DOMAIN_STATE_PAUSED,
  DOMUS_DOMAIN_STATE_SHUTDOWN,
  DOMUS_DOMAIN_STATE_CRASHED,
  DOMUS_DOMAIN_STATE_DYING,
  DOMUS_DOMAIN_STATE_STARTING,
  DOMUS_DOMAIN_STATE_SHUTOFF,
  /* A migration's target: QEMU waits for the stream (reason "incoming"); the event with
   * reason "migrated" makes it running or paused. */
  DOMUS_DOMAIN_STATE_INCOMING,
  DOMUS_DOMAIN_STATE_INVALID,
} DomusDomainState;

#define DOMUS_TYPE_DOMAIN_STATE (domus_domain_state_get_type ())
GType             domus_domain_state_get_type    (void) G_GNUC_CONST;
DomusDomainState  domus_domain_state_from_string (const char       *state);
/* The protocol's string: "running", … */
const char       *domus_domain_state_to_string   (DomusDomainState  state);

/* The series each domain keeps (domus_domain_get_history()). */
typedef enum {
  DOMUS_METRIC_CPU_PERCENT,       /* of one core */
  DOMUS_METRIC_MEMORY,            /* the QEMU process's RSS, MiB */
  DOMUS_METRIC_DISK_READ_RATE,    /* bytes/s */
  DOMUS_METRIC_DISK_WRITE_RATE,
  DOMUS_METRIC_NET_RX_RATE,       /* bytes/s; no points while the host cannot count (user networking) */
  DOMUS_METRIC_NET_TX_RATE,
  DOMUS_N_METRICS
} DomusMetric;

#define DOMUS_TYPE_DOMAIN (domus_domain_get_type ())
G_DECLARE_FINAL_TYPE (DomusDomain, domus_domain, DOMUS, DOMAIN, GObject)

/* Forward: domus-host.h includes this header. */
typedef struct _DomusHost DomusHost;

const char        *domus_domain_get_name            (DomusDomain *self);
/* The domain id while active, else -1. */
gint64             domus_domain_get_id              (DomusDomain *self);
DomusDomainState   domus_domain_get_state           (DomusDomain *self);
/* xm list's six columns, "r-----". */
const char        *domus_domain_get_flags           (DomusDomain *self);
/* Configured memory and vcpus; -1 when unknown (an invalid config). */
gint64             domus_domain_get_memory_mib      (DomusDomain *self);
gint64             domus_domain_get_vcpus           (DomusDomain *self);
/* Seconds of CPU its QEMU process used. */
double             domus_domain_get_cpu_time        (DomusDomain *self);
double             domus_domain_get_cpu_percent     (DomusDomain *self);
gint64             domus_domain_get_rss_mib         (DomusDomain *self);
/* Bytes per second between the last two stats samples. */
double             domus_domain_get_disk_read_rate  (DomusDomain *self);
double             domus_domain_get_disk_write_rate (DomusDomain *self);
/* -1 when the host cannot count the domain's traffic (user-mode networking). */
double             domus_domain_get_net_rx_rate     (DomusDomain *self);
double             domus_domain_get_net_tx_rate     (DomusDomain *self);
gboolean           domus_domain_get_autostart       (DomusDomain *self);
/* The config's `tags` (labels the window groups and filters by); never NULL. */
const char * const *domus_domain_get_tags           (DomusDomain *self);
gboolean           domus_domain_has_tag             (DomusDomain *self,
                                                     const char  *tag);
/* The path of the domain's .cfg file on the host, as the daemon reports it; NULL when none. */
const char        *domus_domain_get_config          (DomusDomain *self);
/* Why the config is invalid (state INVALID), else NULL. */
const char        *domus_domain_get_error           (DomusDomain *self);
/* The host the domain belongs to (not a reference); NULL once the host is gone. */
DomusHost         *domus_domain_get_host            (DomusDomain *self);
/* (transfer none) never NULL for a metric below DOMUS_N_METRICS. */
DomusStatsHistory *domus_domain_get_history         (DomusDomain *self,
                                                     DomusMetric  metric);

/*
 * Calls a domain method, e.g. "domain.pause", with {"name": NAME} plus the members of
 * extra_params (nullable, not consumed). Fails with DOMUS_ERROR_CLOSED when the host is
 * not connected; otherwise with the daemon's error.
 */
void               domus_domain_call_async          (DomusDomain         *self,
                                                     const char          *method,
                                                     JsonObject          *extra_params,
                                                     GCancellable        *cancellable,
                                                     GAsyncReadyCallback  callback,
                                                     gpointer             user_data);
/* The result (transfer full). */
JsonNode          *domus_domain_call_finish         (DomusDomain         *self,
                                                     GAsyncResult        *result,
                                                     GError             **error);

/* < private > For DomusHost only: the daemon's news reaches a domain through these. */
DomusDomain       *_domus_domain_new                (DomusHost   *host,
                                                     const char  *name,
                                                     guint        history_capacity);
/* A domain.list entry or a domain.get answer. */
void               _domus_domain_update             (DomusDomain *self,
                                                     JsonObject  *object);
/* The params of a domain.event. */
void               _domus_domain_apply_event        (DomusDomain *self,
                                                     JsonObject  *params);
/* The domain's entry in a stats sample; histories only get points newer than their latest. */
void               _domus_domain_apply_sample       (DomusDomain *self,
                                                     gint64       time_us,
                                                     JsonObject  *sample);
void               _domus_domain_set_history_capacity (DomusDomain *self,
                                                       guint        capacity);
void               _domus_domain_forget_host        (DomusDomain *self);

G_END_DECLS
