/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The page the window shows while several domains are selected: which, and buttons for the
 * window's actions, which then act on them all. */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define DOMUS_TYPE_SELECTION_PAGE (domus_selection_page_get_type ())
G_DECLARE_FINAL_TYPE (DomusSelectionPage, domus_selection_page, DOMUS, SELECTION_PAGE, GtkBox)

/* domains: the selected DomusDomains (not consumed). */
void domus_selection_page_set_domains (DomusSelectionPage *self,
                                       GPtrArray          *domains);

G_END_DECLS
