/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The confirmation and progress of moving a domain to another server (docs/gui.md, "Migration"). */

#pragma once

#include <gtk/gtk.h>

#include "domus-domain.h"
#include "domus-host.h"

G_BEGIN_DECLS

#define DOMUS_TYPE_MIGRATE_DIALOG (domus_migrate_dialog_get_type ())
G_DECLARE_FINAL_TYPE (DomusMigrateDialog, domus_migrate_dialog, DOMUS, MIGRATE_DIALOG, GtkDialog)

/*
 * A non-modal dialog for moving domain to one of hosts' connected servers (other than its
 * own). target, nullable, is preselected (a drop on its row); hosts is the GListModel of
 * DomusHost the target chooser offers. The target's checks run at once and again when the
 * target or "Copy storage" changes; "Migrate" (the default, so Return confirms) runs the
 * migration in the dialog, whose Cancel button then cancels it. A shut-off domain is
 * started on the target instead ("Start There", domus_migration_start_on_async).
 *
 * Signal "migrated" (DomusHost *target, const char *name): the domain now runs on target.
 * The dialog destroys itself when closed.
 */
GtkWidget *domus_migrate_dialog_new (GtkWindow   *parent,
                                     DomusDomain *domain,
                                     DomusHost   *target,
                                     GListModel  *hosts);

G_END_DECLS
