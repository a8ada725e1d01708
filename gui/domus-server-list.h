/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The sidebar: a tree of servers and their domains, with a filter box and context menus;
 * several domains can be selected at once (Ctrl/Shift+click, Shift+arrows, Ctrl+A within a
 * server or a tag group). */

#pragma once

#include <gtk/gtk.h>

#include "domus-host.h"
/* The state labels, for the widgets that show states beside the sidebar. */
#include "domus-state-text.h"

G_BEGIN_DECLS

#define DOMUS_TYPE_SERVER_LIST (domus_server_list_get_type ())
G_DECLARE_FINAL_TYPE (DomusServerList, domus_server_list, DOMUS, SERVER_LIST, GtkBox)

GtkWidget   *domus_server_list_new                 (void);

/* Mirrors this GListModel of DomusHost, and each host's domains, from their signals. */
void         domus_server_list_set_hosts           (DomusServerList *self,
                                                    GListModel      *hosts);
/* The context menus of server rows and domain rows; their actions resolve from the tree
 * view up (win.*, app.*). Either may be NULL. */
void         domus_server_list_set_menus           (DomusServerList *self,
                                                    GMenuModel      *host_menu,
                                                    GMenuModel      *domain_menu);

/* How many rows are selected. With more than one, the getters below answer NULL and the
 * window acts on domus_server_list_get_selected_domains(). */
guint        domus_server_list_get_n_selected      (DomusServerList *self);
/* Every selected domain, once each (a domain under two tags has two rows), in the tree's
 * order; server and group rows add none. (transfer full) */
GPtrArray   *domus_server_list_get_selected_domains (DomusServerList *self);
/* The selected row's host (also when a domain row is selected), or NULL. (transfer none) */
DomusHost   *domus_server_list_get_selected_host   (DomusServerList *self);
/* The selected domain, NULL when none or a server row is selected. (transfer none) */
DomusDomain *domus_server_list_get_selected_domain (DomusServerList *self);
/* FALSE when the row is not in the tree (or hidden by the filter). */
gboolean     domus_server_list_select_host         (DomusServerList *self,
                                                    DomusHost       *host);
gboolean     domus_server_list_select_domain       (DomusServerList *self,
                                                    DomusDomain     *domain);
void         domus_server_list_focus_filter        (DomusServerList *self);
void         domus_server_list_focus_tree          (DomusServerList *self);

/* Whether each server's domains show under their tags, a domain under each of its tags
 * (property "group-by-tag", kept in GSettings; the window's action win.group-by-tag). */
void         domus_server_list_set_group_by_tag    (DomusServerList *self,
                                                    gboolean         group_by_tag);
gboolean     domus_server_list_get_group_by_tag    (DomusServerList *self);
/* The selected tag group's tag (NULL for the untagged domains' group, or when no group row
 * is selected; *is_group, nullable, says which). (transfer none) */
const char  *domus_server_list_get_selected_tag    (DomusServerList *self,
                                                    gboolean        *is_group);

/*
 * Signals:
 *   "selection-changed" (DomusServerList *list): another row is selected; read it with the
 *     getters.
 *   "domain-activated" (DomusServerList *list, DomusDomain *domain, DomusHost *host): a
 *     domain's row was double-clicked or Enter pressed on it (it is selected by then).
 *   "migrate-requested" (DomusServerList *list, DomusDomain *domain, DomusHost *target): a
 *     domain's row was dragged onto the row of another connected server.
 */

G_END_DECLS
