/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Saving a running domain's whole state to a file on its host, as `xm save` (docs/gui.md). */

#pragma once

#include <gtk/gtk.h>

#include "domus-host.h"

G_BEGIN_DECLS

#define DOMUS_TYPE_SAVE_DIALOG (domus_save_dialog_get_type ())
G_DECLARE_FINAL_TYPE (DomusSaveDialog, domus_save_dialog, DOMUS, SAVE_DIALOG, GtkDialog)

/*
 * A non-modal dialog for saving a running or paused domain: the file's name in the host's
 * save folder (offered as NAME-YYYYMMDD-HHMMSS.save; the folder is the host's, on the
 * host, listed from domus_host_list_saves_async()). "Save" (the default, so Return
 * confirms) calls the host's typed save and shows that it runs; a refusal is shown in the
 * dialog, which stays open.
 *
 * Signal "saved" (DomusHost *host, const char *path): the host wrote path (on the host)
 * and stopped the domain; the dialog destroys itself right after. Closing it while the
 * save runs stops waiting only: the host finishes the save.
 */
GtkWidget *domus_save_dialog_new (GtkWindow   *parent,
                                  DomusDomain *domain);

G_END_DECLS
