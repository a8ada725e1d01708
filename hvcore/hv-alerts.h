/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A host's alerts: what its rules found wrong (a crash, CPU, memory or a disk's filesystem
 * over its threshold), the last ones kept in order with whether someone acknowledged them.
 * A model only: the daemon feeds it domain events, samples and filesystem figures, and turns
 * its signals into protocol events (hv-daemon-alerts.c).
 */

#pragma once

#include <json-glib/json-glib.h>

#include "hv-alert-rules.h"
#include "hv-stats-ring.h"

G_BEGIN_DECLS

typedef enum {
  HV_ALERT_DOMAIN_CRASHED,  /* the guest panicked, or QEMU ended without saying why */
  HV_ALERT_DOMAIN_STOPPED,  /* QEMU stopped the guest on an error (a disk's I/O error) */
  HV_ALERT_CPU,             /* CPU over the rule's percentage for its minutes */
  HV_ALERT_MEMORY,          /* the host's memory in use over the rule's percentage */
  HV_ALERT_DISK_SPACE,      /* a filesystem holding disk images fuller than the rule's percentage */
} HvAlertKind;

/* "domain-crashed", "domain-stopped", "cpu", "memory", "disk-space" as the protocol spells them. */
const char *hv_alert_kind_to_string   (HvAlertKind  kind);
gboolean    hv_alert_kind_from_string (const char  *text,
                                       HvAlertKind *kind);

/* One alert. Reference counted; never changed once raised but for `acknowledged`. */
typedef struct {
  guint64      id;            /* counts up from 1 over the daemon's life, across restarts */
  gint64       time_us;       /* wall clock */
  HvAlertKind  kind;
  char        *domain;        /* NULL: about the host */
  char        *path;          /* DISK_SPACE: a folder on the filesystem; else NULL */
  char        *message;       /* a whole sentence, in the daemon's language */
  double       value;         /* the percentage measured; -1 for crashes */
  guint        threshold;     /* the rule's percentage; 0 for crashes */
  gboolean     acknowledged;
} HvAlert;

#define HV_TYPE_ALERT (hv_alert_get_type ())
GType     hv_alert_get_type (void) G_GNUC_CONST;
HvAlert  *hv_alert_ref      (HvAlert *alert);
void      hv_alert_unref    (HvAlert *alert);
/* {"id", "time_us", "kind", "domain", "path", "message", "value", "threshold", "acknowledged"} */
JsonNode *hv_alert_to_json  (const HvAlert *alert);
/* The inverse (the state file); NULL for anything else. */
HvAlert  *hv_alert_new_from_json (JsonNode *node);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HvAlert, hv_alert_unref)

/* How full one filesystem is, as hv-disk-usage.c measures it. */
typedef struct {
  char    *path;          /* the first folder or image found on it, for the message */
  double   percent_used;  /* as df counts it: of what ordinary users may fill */
  guint64  free_bytes;    /* what ordinary users may still write */
} HvFilesystemUse;

void hv_filesystem_use_free (HvFilesystemUse *use);

#define HV_TYPE_ALERTS (hv_alerts_get_type ())
G_DECLARE_FINAL_TYPE (HvAlerts, hv_alerts, HV, ALERTS, GObject)

/*
 * Signals:
 *   "raised" (HvAlert *alert)         a new alert, kept
 *   "acknowledged" (GArray *ids)      guint64 ids that became acknowledged
 *   "changed"                         the kept list changed (raised, acknowledged, dropped):
 *                                     time to save it
 */

HvAlerts           *hv_alerts_new            (const HvAlertRules *rules);
const HvAlertRules *hv_alerts_get_rules      (HvAlerts           *self);
/* Rules changed (alerts.set_rules): thresholds apply from the next sample; a CPU rule starts
 * counting its minutes again; fewer to keep drops the oldest. */
void                hv_alerts_set_rules      (HvAlerts           *self,
                                              const HvAlertRules *rules);

/* The alerts kept, oldest first (transfer container). unacknowledged_only: the open ones. */
GPtrArray          *hv_alerts_dup_list       (HvAlerts           *self,
                                              gboolean            unacknowledged_only);
guint               hv_alerts_count_unacknowledged (HvAlerts     *self);
/* Marks those of `ids` that are open as acknowledged (all open ones when ids is NULL);
 * returns the ids it changed (transfer full, maybe empty). Unknown ids are ignored. */
GArray             *hv_alerts_acknowledge    (HvAlerts           *self,
                                              const guint64      *ids,
                                              guint               n_ids);

/* A domain's state changed (the host's domain-event reasons): "crashed" and "io-error" raise
 * an alert when the rule is on; a domain that stopped starts its CPU minutes again. */
void                hv_alerts_domain_event   (HvAlerts           *self,
                                              const char         *domain,
                                              const char         *reason,
                                              gint64              time_us);
/* A stats sample: the host's CPU and memory, each domain's CPU against its vCPUs. */
void                hv_alerts_observe_sample (HvAlerts              *self,
                                              const HvStatsSample   *sample);
/* Every filesystem that holds images now (HvFilesystemUse); those missing are forgotten. */
void                hv_alerts_observe_filesystems (HvAlerts      *self,
                                                   GPtrArray     *uses,
                                                   gint64         time_us);

/* The kept alerts and the next id, as the state file holds them: {"next_id", "alerts": […]}. */
JsonNode           *hv_alerts_to_json        (HvAlerts           *self);
/* Reads what hv_alerts_to_json() wrote; keeps at most the rule's number. */
gboolean            hv_alerts_load_json      (HvAlerts           *self,
                                              JsonNode           *node,
                                              GError            **error);

G_END_DECLS
