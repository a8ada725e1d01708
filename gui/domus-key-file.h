/* SPDX-License-Identifier: GPL-3.0-or-later */
/* SSH public key files on this computer, for the assistant's Debian and cloud sources. */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* The path typed in entry, trimmed and with a leading "~/" made the home folder; NULL when
 * the entry is empty. */
char    *domus_key_file_path          (GtkEntry            *entry);
/* NULL when path names a regular file, else a sentence naming it. */
char    *domus_key_file_problem       (const char          *path);
/* A file chooser (non-modal, *.pub first) that puts the chosen path into entry. */
void     domus_key_file_choose        (GtkEntry            *entry);
/* Reads path (at most 64 KiB): the key lines, checked to be OpenSSH public keys (a
 * private key is refused by name, so that it is never sent). */
void     domus_key_file_read_async    (const char          *path,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data);
char    *domus_key_file_read_finish   (GAsyncResult        *result,
                                       GError             **error);

G_END_DECLS
