/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A host's alerts as a GListModel of DomusAlert, oldest first: its daemon's and this client's. */

#pragma once

#include "domus-alert.h"

G_BEGIN_DECLS

/* How many of its own (host lost) alerts a list keeps; the daemon keeps its own count. */
#define DOMUS_ALERT_LIST_MAX_LOCAL 50

#define DOMUS_TYPE_ALERT_LIST (domus_alert_list_get_type ())
G_DECLARE_FINAL_TYPE (DomusAlertList, domus_alert_list, DOMUS, ALERT_LIST, GObject)

/* Property "n-open": how many are not acknowledged. */
DomusAlertList *domus_alert_list_new          (void);
guint           domus_alert_list_get_n_open   (DomusAlertList *self);
/* (transfer none) The daemon's alert of that id, or NULL. */
DomusAlert     *domus_alert_list_lookup       (DomusAlertList *self,
                                               guint64         id);

/* For the backend. The daemon's whole list (DomusAlert, oldest first): the daemon's alerts not
 * in it go, those already here keep their objects (their acknowledged state follows), new
 * ones come; this client's own stay, in time order. */
void            _domus_alert_list_sync        (DomusAlertList *self,
                                               GPtrArray      *alerts);
/* A new alert, at the end (one of the daemon's already here: nothing). */
void            _domus_alert_list_add         (DomusAlertList *self,
                                               DomusAlert     *alert);
/* Marks the daemon's alerts of these ids acknowledged. */
void            _domus_alert_list_acknowledge (DomusAlertList *self,
                                               const guint64  *ids,
                                               guint           n_ids);

G_END_DECLS
