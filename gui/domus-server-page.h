/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A server's page: its connection and facts, its domains, load and image store. */

#pragma once

#include <gtk/gtk.h>

#include "domus-host.h"

G_BEGIN_DECLS

#define DOMUS_TYPE_SERVER_PAGE (domus_server_page_get_type ())
G_DECLARE_FINAL_TYPE (DomusServerPage, domus_server_page, DOMUS, SERVER_PAGE, GtkBox)

/*
 * Follows its host's notify signals. When the host is not connected an info bar says why,
 * with Reconnect (win.reconnect), or Accept Key / Refuse for an unknown SSH host key. A
 * connected host with no domain offers the demo guest.
 *
 * Signals:
 *   "open-domain" (DomusServerPage *page, DomusDomain *domain): a row of the Domains
 *     table was activated.
 *   "domain-created" (DomusServerPage *page, DomusHost *host, const char *name): the demo
 *     guest was created on host; the window shows it and opens its console.
 */
GtkWidget *domus_server_page_new      (void);

/* Shows host (NULL: keeps showing what it showed, with no host to follow) and brings the
 * page up to date. */
void       domus_server_page_set_host (DomusServerPage *self,
                                       DomusHost       *host);
DomusHost *domus_server_page_get_host (DomusServerPage *self);

G_END_DECLS
