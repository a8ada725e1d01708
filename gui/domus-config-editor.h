/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A domain's configuration, as its .cfg text and as a small form; the daemon checks every change. */

#pragma once

#include <gtk/gtk.h>

#include "domus-domain.h"

G_BEGIN_DECLS

#define DOMUS_TYPE_CONFIG_EDITOR (domus_config_editor_get_type ())
G_DECLARE_FINAL_TYPE (DomusConfigEditor, domus_config_editor, DOMUS, CONFIG_EDITOR, GtkBox)

GtkWidget  *domus_config_editor_new         (DomusDomain       *domain);
/* Reads the file again (domain.get_config), dropping unsaved edits. */
void        domus_config_editor_reload      (DomusConfigEditor *self);
/* The text as shown, edits included (transfer full). */
char       *domus_config_editor_dup_text    (DomusConfigEditor *self);
void        domus_config_editor_set_text    (DomusConfigEditor *self,
                                             const char        *text);
/* Sends the text (domain.set_config); the answer shows in the editor's info bar. */
void        domus_config_editor_save        (DomusConfigEditor *self);
/* The message the info bar shows, or NULL when it is hidden. */
const char *domus_config_editor_get_message (DomusConfigEditor *self);
/* TRUE between a reload or save and its answer. */
gboolean    domus_config_editor_is_busy     (DomusConfigEditor *self);

G_END_DECLS
