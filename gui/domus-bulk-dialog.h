/* SPDX-License-Identifier: GPL-3.0-or-later */
/* One action on several domains: a non-modal dialog that asks once, naming how many, takes
 * the action's options (a tag, a target server and its checks for each), then lists how it
 * went for each domain (docs/gui.md, "Many domains at once"). */

#pragma once

#include <gtk/gtk.h>

#include "domus-bulk-run.h"

G_BEGIN_DECLS

#define DOMUS_TYPE_BULK_DIALOG (domus_bulk_dialog_get_type ())
G_DECLARE_FINAL_TYPE (DomusBulkDialog, domus_bulk_dialog, DOMUS, BULK_DIALOG, GtkDialog)

/* run: not started; the dialog starts it when the user confirms. hosts: the application's
 * DomusHost list, for a migration's target chooser (nullable otherwise). */
GtkWidget *domus_bulk_dialog_new (GtkWindow    *parent,
                                  DomusBulkRun *run,
                                  GListModel   *hosts);

G_END_DECLS
