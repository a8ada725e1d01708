/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The create assistant's "Debian from the archive" source: suite, size, host name, key or password. */

#pragma once

#include <gtk/gtk.h>

#include "domus-host.h"

G_BEGIN_DECLS

#define DOMUS_TYPE_DEBIAN_FORM (domus_debian_form_get_type ())
G_DECLARE_FINAL_TYPE (DomusDebianForm, domus_debian_form, DOMUS, DEBIAN_FORM, GtkGrid)

/*
 * The fields of an image.debian build (docs/protocol.md). The root password stays in the
 * entry's memory and in the request made from it: nothing here writes it anywhere.
 *
 * Signal "changed": a field changed (the assistant checks its pages again).
 */
GtkWidget          *domus_debian_form_new          (void);

/* NULL when the fields are complete, else what is missing or wrong as a whole sentence
 * ("" while nothing is typed yet). */
char               *domus_debian_form_check        (DomusDebianForm *self);
/* The SSH public key file to read (on this computer, "~" expanded), or NULL for none. */
char               *domus_debian_form_dup_key_file (DomusDebianForm *self);
/* The request for the host: ssh_keys is the key file's text (or NULL), memory_mib the
 * assistant's choice. The caller frees it (domus_debian_request_free). */
DomusDebianRequest *domus_debian_form_make_request (DomusDebianForm *self,
                                                    const char      *ssh_keys,
                                                    gint64           memory_mib);
/* What will be built, for the assistant's summary (never the password). */
char               *domus_debian_form_describe     (DomusDebianForm *self,
                                                    const char      *name);
/* Empties the password fields (the assistant is done with them). */
void                domus_debian_form_forget_password (DomusDebianForm *self);

G_END_DECLS
