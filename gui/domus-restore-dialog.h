/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Bringing a saved domain back on a host, as `xm restore` (docs/gui.md). */

#pragma once

#include <gtk/gtk.h>

#include "domus-host.h"

G_BEGIN_DECLS

#define DOMUS_TYPE_RESTORE_DIALOG (domus_restore_dialog_get_type ())
G_DECLARE_FINAL_TYPE (DomusRestoreDialog, domus_restore_dialog, DOMUS, RESTORE_DIALOG, GtkDialog)

/*
 * A non-modal dialog listing the saves in host's save folder (newest first: file, domain,
 * when, size) with the chosen file's name in an entry (typed, for a host that cannot
 * list them). "Restore" (the default) calls the host's typed restore and shows that it
 * runs; a refusal is shown in the dialog, which stays open.
 *
 * Signal "restored" (DomusHost *host, const char *name): the domain runs again; the
 * dialog destroys itself right after.
 */
GtkWidget *domus_restore_dialog_new (GtkWindow *parent,
                                     DomusHost *host);

G_END_DECLS
