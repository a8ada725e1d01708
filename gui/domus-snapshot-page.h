/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A domain's Snapshots tab: the list with times, Take, Revert (asks first) and Delete. */

#pragma once

#include <gtk/gtk.h>

#include "domus-host.h"

G_BEGIN_DECLS

#define DOMUS_TYPE_SNAPSHOT_PAGE (domus_snapshot_page_get_type ())
G_DECLARE_FINAL_TYPE (DomusSnapshotPage, domus_snapshot_page, DOMUS, SNAPSHOT_PAGE, GtkBox)

/*
 * Lists domain's snapshots through its host's typed calls when made, after each of its own
 * calls, on Refresh, and when the domain's state changes (a snapshot of a running domain
 * holds its memory). Refusals show in the tab's info bar with the host's reason.
 */
GtkWidget *domus_snapshot_page_new     (DomusDomain       *domain);
/* Lists the snapshots again (a listing in flight is cancelled). */
void       domus_snapshot_page_refresh (DomusSnapshotPage *self);

G_END_DECLS
