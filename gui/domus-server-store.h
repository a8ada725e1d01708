/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The sidebar's rows: a GtkTreeStore kept in step with the hosts, their domains and tags. */

#pragma once

#include <gtk/gtk.h>

#include "domus-host.h"

G_BEGIN_DECLS

/* The store's columns. */
typedef enum {
  DOMUS_SERVER_STORE_COL_KIND,        /* DomusServerRowKind */
  DOMUS_SERVER_STORE_COL_OBJECT,      /* the DomusHost, the group (an item of DomusTagGroups)
                                         or the DomusDomain */
  DOMUS_SERVER_STORE_COL_NAME,        /* the host or domain name, which a screen reader reads
                                         for the row; a group's tag, or "Untagged" */
  DOMUS_SERVER_STORE_COL_STATE_TEXT,  /* the state; for a group row, how many domains it holds */
  DOMUS_SERVER_STORE_COL_STATE,       /* DomusDomainState for domain rows, DomusHostState for
                                         host rows */
  DOMUS_SERVER_STORE_COL_CURRENT,     /* FALSE for the rows under a host that is not
                                         connected: shown dimmed */
  DOMUS_SERVER_STORE_COL_A11Y_NAME,   /* what a screen reader reads when not COL_NAME: "Tag
                                         web"; else NULL */
  DOMUS_SERVER_STORE_N_COLUMNS
} DomusServerStoreColumn;

typedef enum {
  DOMUS_SERVER_ROW_HOST,
  DOMUS_SERVER_ROW_DOMAIN,
  DOMUS_SERVER_ROW_GROUP,
} DomusServerRowKind;

#define DOMUS_TYPE_SERVER_STORE (domus_server_store_get_type ())
G_DECLARE_FINAL_TYPE (DomusServerStore, domus_server_store, DOMUS, SERVER_STORE, GObject)

/*
 * A top-level row per host (in the hosts model's order) with a child row per domain (in the
 * host's order) or, grouped by tag, a row per tag group of the host's DomusTagGroups with
 * the group's domains under it; a domain with two tags has two rows. Rows change only when
 * the models or the objects say so (items-changed, notify): nothing is polled.
 *
 * Signals:
 *   "rows-changing" (DomusServerStore *store): rows are about to change (a batch; batches
 *     can nest when one model's change makes another's).
 *   "rows-changed" (DomusServerStore *store): the batch is over.
 *   "row-filled" (DomusServerStore *store, GtkTreePath *path): the row at path (of the
 *     store) got its first children, or is a new tag group: a view shows it open.
 *   "stats-updated" (DomusServerStore *store, DomusHost *host): a new sample of host's
 *     stats; the rows' text has not changed, their sparklines have.
 */
DomusServerStore *domus_server_store_new             (void);

/* The GtkTreeStore (transfer none; it lives as long as the store). */
GtkTreeModel     *domus_server_store_get_model       (DomusServerStore *self);

/* Mirrors this GListModel of DomusHost (NULL: none). */
void              domus_server_store_set_hosts       (DomusServerStore *self,
                                                      GListModel       *hosts);
/* Makes every host's rows again, grouped by tag or not. */
void              domus_server_store_set_group_by_tag (DomusServerStore *self,
                                                      gboolean          group_by_tag);
gboolean          domus_server_store_get_group_by_tag (DomusServerStore *self);

/* host's row. */
gboolean          domus_server_store_find_host       (DomusServerStore *self,
                                                      DomusHost        *host,
                                                      GtkTreeIter      *iter);
/* The row after *from, depth first (from NULL: the first row); iter may be from. */
gboolean          domus_server_store_next_row        (DomusServerStore *self,
                                                      GtkTreeIter      *from,
                                                      GtkTreeIter      *iter);
/* The next row (as next_row) whose object is object. */
gboolean          domus_server_store_next_row_of     (DomusServerStore *self,
                                                      gpointer          object,
                                                      GtkTreeIter      *from,
                                                      GtkTreeIter      *iter);

G_END_DECLS
