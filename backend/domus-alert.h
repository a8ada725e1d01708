/* SPDX-License-Identifier: GPL-3.0-or-later */
/* One alert of a host: what its daemon's rules found wrong, or this client losing the host. */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef enum {
  DOMUS_ALERT_KIND_OTHER,            /* a kind this client does not know: read its message */
  DOMUS_ALERT_KIND_DOMAIN_CRASHED,   /* the guest panicked, or its QEMU ended without a word */
  DOMUS_ALERT_KIND_DOMAIN_STOPPED,   /* QEMU stopped the guest on a disk error */
  DOMUS_ALERT_KIND_CPU,              /* CPU over the rule's percentage for its minutes */
  DOMUS_ALERT_KIND_MEMORY,           /* the host's memory over the rule's percentage */
  DOMUS_ALERT_KIND_DISK_SPACE,       /* a filesystem with disk images nearly full */
  DOMUS_ALERT_KIND_HOST_LOST,        /* this client lost its connection to the host */
} DomusAlertKind;

#define DOMUS_TYPE_ALERT_KIND (domus_alert_kind_get_type ())
GType          domus_alert_kind_get_type    (void) G_GNUC_CONST;
/* "domain-crashed", … as the protocol spells them; "host-lost"; "other". */
const char    *domus_alert_kind_to_string   (DomusAlertKind kind);

#define DOMUS_TYPE_ALERT (domus_alert_get_type ())
G_DECLARE_FINAL_TYPE (DomusAlert, domus_alert, DOMUS, ALERT, GObject)

/*
 * Properties (read-only but "acknowledged"'s notify): "id" (guint64: the daemon's, counting
 * up; 0 for a local alert), "time-us" (wall clock), "kind", "domain-name" (nullable),
 * "path" (nullable), "message", "value" (-1: none), "threshold" (0: none), "acknowledged",
 * "host-name" (the host it is about), "local" (raised by this client, not the daemon).
 */
guint64         domus_alert_get_id           (DomusAlert *self);
gint64          domus_alert_get_time_us      (DomusAlert *self);
DomusAlertKind  domus_alert_get_kind         (DomusAlert *self);
const char     *domus_alert_get_domain_name  (DomusAlert *self);
const char     *domus_alert_get_path         (DomusAlert *self);
const char     *domus_alert_get_message      (DomusAlert *self);
double          domus_alert_get_value        (DomusAlert *self);
guint           domus_alert_get_threshold    (DomusAlert *self);
gboolean        domus_alert_get_acknowledged (DomusAlert *self);
const char     *domus_alert_get_host_name    (DomusAlert *self);
gboolean        domus_alert_get_local        (DomusAlert *self);

/* For the backend: an alert as a host's daemon reported it. kind: the protocol's word (an
 * unknown one is DOMUS_ALERT_KIND_OTHER). */
DomusAlert     *_domus_alert_new             (guint64      id,
                                              gint64       time_us,
                                              const char  *kind,
                                              const char  *domain_name,
                                              const char  *path,
                                              const char  *message,
                                              double       value,
                                              guint        threshold,
                                              gboolean     acknowledged,
                                              const char  *host_name);
/* This client's own: the host was lost (message: a whole sentence). */
DomusAlert     *_domus_alert_new_host_lost   (const char  *host_name,
                                              const char  *message);
void            _domus_alert_set_acknowledged (DomusAlert *self,
                                               gboolean    acknowledged);

G_END_DECLS
