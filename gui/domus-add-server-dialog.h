/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Add Server: this computer, or another one over SSH. */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define DOMUS_TYPE_ADD_SERVER_DIALOG (domus_add_server_dialog_get_type ())
G_DECLARE_FINAL_TYPE (DomusAddServerDialog, domus_add_server_dialog, DOMUS, ADD_SERVER_DIALOG, GtkDialog)

/*
 * A non-modal dialog, transient for parent. The fields are checked as the user types (the
 * backend reads the address it would make); Add is offered only for an address that can be
 * read. The dialog closes itself on Cancel, Escape, or once it has emitted:
 *
 *   "add-server" (DomusAddServerDialog *dialog, const char *uri): Add was chosen.
 */
GtkWidget *domus_add_server_dialog_new     (GtkWindow            *parent);

/* The address the fields describe, or NULL with a reason (both transfer full). */
char      *domus_add_server_dialog_get_uri (DomusAddServerDialog *self,
                                            char                **problem);

G_END_DECLS
