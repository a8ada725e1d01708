/* SPDX-License-Identifier: GPL-3.0-or-later */
/* One domain of a host, as the daemon last described it, with its stats histories. */

#pragma once

#include <gio/gio.h>

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
/* Marked as a template on its host: never started, cloned instead (domus_host_clone_domain_async()). */
gboolean           domus_domain_get_template        (DomusDomain *self);
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
 * What a host said about a domain: a list entry, a lookup's answer or an event. `fields`
 * says which members it said; the others are left at their defaults (-1, NULL, FALSE)
 * and, applied to a DomusDomain, leave its properties alone.
 */
typedef enum {
  DOMUS_DOMAIN_INFO_ID        = 1 << 0,
  DOMUS_DOMAIN_INFO_STATE     = 1 << 1,
  DOMUS_DOMAIN_INFO_FLAGS     = 1 << 2,
  DOMUS_DOMAIN_INFO_MEMORY    = 1 << 3,
  DOMUS_DOMAIN_INFO_VCPUS     = 1 << 4,
  DOMUS_DOMAIN_INFO_CPU_TIME  = 1 << 5,
  DOMUS_DOMAIN_INFO_AUTOSTART = 1 << 6,
  DOMUS_DOMAIN_INFO_TAGS      = 1 << 7,
  DOMUS_DOMAIN_INFO_CONFIG    = 1 << 8,   /* config, even when NULL (Domain-0 has none) */
  DOMUS_DOMAIN_INFO_ERROR     = 1 << 9,   /* error, even when NULL (the config is valid) */
  DOMUS_DOMAIN_INFO_CONSOLES  = 1 << 10,  /* has_graphics and has_serial (a lookup only) */
  DOMUS_DOMAIN_INFO_TEMPLATE  = 1 << 11,
} DomusDomainInfoFields;

typedef struct {
  DomusDomainInfoFields fields;
  char             *name;         /* NULL when the host sent none */
  gint64            id;           /* -1 when not active */
  DomusDomainState  state;
  char             *flags;        /* xm list's six columns */
  gint64            memory_mib;   /* -1 when unknown (an invalid config) */
  gint64            vcpus;
  gint64            cpu_time_ns;  /* -1 when the host gave seconds only */
  double            cpu_time;     /* seconds, as the host rounded them */
  gboolean          autostart;
  gboolean          template;     /* marked as a template (cloned, never started) */
  GStrv             tags;         /* never NULL */
  char             *config;       /* where the domain's configuration lives on the host */
  char             *error;        /* state INVALID: why */
  gboolean          has_graphics; /* running with a screen to open */
  gboolean          has_serial;   /* running with a serial console to open */
  GStrv             notices;      /* what the host took without honouring it (create, a lookup); never NULL */
} DomusDomainInfo;

/* An info that says nothing yet (fields 0, numbers -1). */
DomusDomainInfo *domus_domain_info_new      (void);
void             domus_domain_info_free     (DomusDomainInfo       *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DomusDomainInfo, domus_domain_info_free)

/* The consoles a domain may have (domus_host_open_console_async()). */
typedef enum {
  DOMUS_CONSOLE_GRAPHICS,   /* the screen, as an RFB (VNC) stream */
  DOMUS_CONSOLE_SERIAL,     /* the first serial port, as `xm console` */
} DomusConsoleKind;

/* The lifecycle actions (domus_host_domain_action_async()). */
typedef enum {
  DOMUS_DOMAIN_ACTION_START,
  DOMUS_DOMAIN_ACTION_SHUTDOWN,   /* the ACPI power button: the guest decides */
  DOMUS_DOMAIN_ACTION_REBOOT,
  DOMUS_DOMAIN_ACTION_PAUSE,
  DOMUS_DOMAIN_ACTION_RESUME,
  DOMUS_DOMAIN_ACTION_DESTROY,    /* ended at once, as pulling the plug */
} DomusDomainAction;

typedef enum {
  DOMUS_DOMAIN_ACTION_FLAGS_NONE = 0,
  DOMUS_DOMAIN_ACTION_FLAGS_WAIT = 1 << 0,   /* SHUTDOWN: answer once the domain is off */
} DomusDomainActionFlags;

/* One domain's figures in a stats sample (totals since its QEMU started). */
typedef struct {
  const char *name;
  gint64      id;
  double      cpu_percent;     /* of one core */
  gint64      cpu_time_ns;     /* -1 when not said */
  gint64      rss_mib;
  gint64      disk_rd_bytes;
  gint64      disk_wr_bytes;
  gint64      net_rx_bytes;    /* -1: the host cannot count this domain's traffic */
  gint64      net_tx_bytes;
} DomusDomainSample;

/* < private > For DomusHost only: the host's news reaches a domain through these. */
DomusDomain       *_domus_domain_new                (DomusHost   *host,
                                                     const char  *name,
                                                     guint        history_capacity);
/* The members info says it has (a list entry, a lookup or an event). */
void               _domus_domain_update             (DomusDomain           *self,
                                                     const DomusDomainInfo *info);
/* Histories only get points newer than their latest. */
void               _domus_domain_apply_sample       (DomusDomain             *self,
                                                     gint64                   time_us,
                                                     const DomusDomainSample *sample);
void               _domus_domain_set_history_capacity (DomusDomain *self,
                                                       guint        capacity);
void               _domus_domain_forget_host        (DomusDomain *self);

G_END_DECLS
