/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Cloning a shut-off domain under a new name, as a full copy or a linked clone (docs/gui.md). */

#pragma once

#include <gtk/gtk.h>

#include "domus-host.h"

G_BEGIN_DECLS

#define DOMUS_TYPE_CLONE_DIALOG (domus_clone_dialog_get_type ())
G_DECLARE_FINAL_TYPE (DomusCloneDialog, domus_clone_dialog, DOMUS, CLONE_DIALOG, GtkDialog)

/*
 * A non-modal dialog for cloning domain on its own host: the new name (checked as it is
 * typed, offered as NAME-clone), full copy or linked clone. "Clone" (the default, so
 * Return confirms) calls the host's typed clone; a refusal is shown in the dialog, which
 * stays open to try again.
 *
 * Signal "cloned" (DomusHost *host, const char *new_name): the host defined the copy; the
 * dialog destroys itself right after. Closing it while the clone runs stops waiting (the
 * host finishes or undoes the copy on its own).
 */
GtkWidget *domus_clone_dialog_new (GtkWindow   *parent,
                                   DomusDomain *domain);

G_END_DECLS
