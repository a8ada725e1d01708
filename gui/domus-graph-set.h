/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The graphs of a host or a domain, with a choice of range: live 10 minutes, or the daemon's archive. */

#pragma once

#include <gtk/gtk.h>

#include "domus-domain.h"
#include "domus-host.h"

G_BEGIN_DECLS

#define DOMUS_TYPE_GRAPH_SET (domus_graph_set_get_type ())
G_DECLARE_FINAL_TYPE (DomusGraphSet, domus_graph_set, DOMUS, GRAPH_SET, GtkBox)

/* The host's CPU and memory. */
GtkWidget *domus_graph_set_new_for_host   (DomusHost     *host);
/* The domain's CPU, memory, disk and network. */
GtkWidget *domus_graph_set_new_for_domain (DomusDomain   *domain);

/* "10m" (the live samples), "1h", "24h", "30d" (the daemon's archive). */
void       domus_graph_set_set_range      (DomusGraphSet *self,
                                           const char    *range);
const char *domus_graph_set_get_range     (DomusGraphSet *self);
guint      domus_graph_set_get_n_graphs   (DomusGraphSet *self);
GtkWidget *domus_graph_set_get_graph      (DomusGraphSet *self,
                                           guint          n);

G_END_DECLS
