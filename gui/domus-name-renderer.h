/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A text cell renderer whose cells a screen reader names apart from the text shown: the
 * sidebar's tag group rows show "web" beside a tag icon and are read as "Tag web". */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define DOMUS_TYPE_NAME_RENDERER (domus_name_renderer_get_type ())
G_DECLARE_FINAL_TYPE (DomusNameRenderer, domus_name_renderer, DOMUS, NAME_RENDERER, GtkCellRendererText)

/* Property "accessible-text": the cell's accessible name; NULL (the default) reads "text". */
GtkCellRenderer *domus_name_renderer_new (void);

G_END_DECLS
