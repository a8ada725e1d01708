/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A host's domains as `xm top` shows them: a live table, sortable by any column. */

#pragma once

#include <gtk/gtk.h>

#include "domus-host.h"

G_BEGIN_DECLS

/* The table's columns, also its sort column ids (gtk_tree_sortable_set_sort_column_id()
 * on the view's model). */
typedef enum {
  DOMUS_TOP_TABLE_COLUMN_DOMAIN,       /* the DomusDomain (not shown, not sortable) */
  DOMUS_TOP_TABLE_COLUMN_NAME,
  DOMUS_TOP_TABLE_COLUMN_STATE,        /* sorts by state, not by its translated name */
  DOMUS_TOP_TABLE_COLUMN_CPU_PERCENT,  /* of one core */
  DOMUS_TOP_TABLE_COLUMN_CPU_TIME,     /* seconds */
  DOMUS_TOP_TABLE_COLUMN_MEMORY,       /* the QEMU process's RSS, MiB */
  DOMUS_TOP_TABLE_COLUMN_VCPUS,
  DOMUS_TOP_TABLE_COLUMN_DISK_READ,    /* KiB/s */
  DOMUS_TOP_TABLE_COLUMN_DISK_WRITE,
  DOMUS_TOP_TABLE_COLUMN_NET_RX,       /* KiB/s; "—" when the host cannot count them */
  DOMUS_TOP_TABLE_COLUMN_NET_TX,
  DOMUS_TOP_TABLE_N_COLUMNS
} DomusTopTableColumn;

#define DOMUS_TYPE_TOP_TABLE (domus_top_table_get_type ())
G_DECLARE_FINAL_TYPE (DomusTopTable, domus_top_table, DOMUS, TOP_TABLE, GtkScrolledWindow)

/*
 * Rows follow domus_host_get_domains(); figures change with the host's "stats-updated"
 * and the domains' notify, never on a timer. Sorted by CPU %, busiest first, until the
 * user clicks a header.
 *
 * Signals:
 *   "open-domain" (DomusTopTable *table, DomusDomain *domain): a row was activated
 *     (double click, Enter).
 */
GtkWidget   *domus_top_table_new            (DomusHost           *host);
/* (transfer none) */
DomusHost   *domus_top_table_get_host       (DomusTopTable       *self);
/* (transfer none) The view; its model is a GtkTreeSortable with the columns above. */
GtkTreeView *domus_top_table_get_tree_view  (DomusTopTable       *self);

/* How many rows, and the domain in the n-th row as sorted now (transfer none; NULL past the end). */
guint        domus_top_table_get_n_rows     (DomusTopTable       *self);
DomusDomain *domus_top_table_get_row_domain (DomusTopTable       *self,
                                             guint                n);
/* The text the table shows for domain in column (transfer full), NULL when it has no row. */
char        *domus_top_table_get_cell_text  (DomusTopTable       *self,
                                             DomusDomain         *domain,
                                             DomusTopTableColumn  column);

G_END_DECLS
