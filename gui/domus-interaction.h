/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Asks SSH passwords and key passphrases in a dialog that does not block the window. */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define DOMUS_TYPE_INTERACTION (domus_interaction_get_type ())
G_DECLARE_FINAL_TYPE (DomusInteraction, domus_interaction, DOMUS, INTERACTION, GTlsInteraction)

/* Create it on the main thread: the backend's SSH threads ask through its main context. */
DomusInteraction *domus_interaction_new        (void);
/* The window the dialogs belong to (nullable; not a reference). */
void              domus_interaction_set_parent (DomusInteraction *self,
                                                GtkWindow        *parent);

G_END_DECLS
