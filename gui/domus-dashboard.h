/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The home page: a card per server (DomusHostCard) in a flow box, or a word on adding one. */

#pragma once

#include <gtk/gtk.h>

#include "domus-host.h"

G_BEGIN_DECLS

#define DOMUS_TYPE_DASHBOARD (domus_dashboard_get_type ())
G_DECLARE_FINAL_TYPE (DomusDashboard, domus_dashboard, DOMUS, DASHBOARD, GtkScrolledWindow)

/*
 * Signals:
 *   "open-host" (DomusDashboard *dashboard, DomusHost *host): a card was clicked.
 *   "open-domain" (DomusDashboard *dashboard, DomusDomain *domain): a busy domain was clicked.
 */
GtkWidget *domus_dashboard_new         (void);
/* Keeps a card for each DomusHost of hosts (NULL: none), following its items-changed: four
 * cards at once, any others a few a main-loop turn after. */
void       domus_dashboard_set_hosts   (DomusDashboard *self,
                                        GListModel     *hosts);
/* Adds a card for host (once: adding it again does nothing). */
void       domus_dashboard_add_host    (DomusDashboard *self,
                                        DomusHost      *host);
void       domus_dashboard_remove_host (DomusDashboard *self,
                                        DomusHost      *host);
guint      domus_dashboard_get_n_hosts (DomusDashboard *self);
/* (transfer none) host's card, or NULL. */
GtkWidget *domus_dashboard_get_card    (DomusDashboard *self,
                                        DomusHost      *host);

G_END_DECLS
