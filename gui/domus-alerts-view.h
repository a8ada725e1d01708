/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A list of alerts, newest first: every server's (the Alerts page) or one server's (its tab). */

#pragma once

#include <gtk/gtk.h>

#include "domus-host.h"

G_BEGIN_DECLS

/* Rows shown at most; the count above the list says how many more there are. */
#define DOMUS_ALERTS_VIEW_MAX_ROWS 500

#define DOMUS_TYPE_ALERTS_VIEW (domus_alerts_view_get_type ())
G_DECLARE_FINAL_TYPE (DomusAlertsView, domus_alerts_view, DOMUS, ALERTS_VIEW, GtkBox)

/*
 * Each alert is a row: what happened, then the server, the domain, when and the kind, and an
 * Acknowledge button while it is open. Above the rows: which server (all-servers mode), Open
 * only (acknowledged ones are shown too by default), Acknowledge All (what is shown).
 * Property "n-open": the open alerts among everything followed.
 */
GtkWidget *domus_alerts_view_new        (void);
/* Every server of hosts (DomusHost; NULL: none), with a server chooser. */
void       domus_alerts_view_set_hosts  (DomusAlertsView *self,
                                         GListModel      *hosts);
/* One server (NULL: none), without the chooser. */
void       domus_alerts_view_set_host   (DomusAlertsView *self,
                                         DomusHost       *host);
guint      domus_alerts_view_get_n_open (DomusAlertsView *self);

G_END_DECLS
