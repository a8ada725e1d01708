/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A domain's page: its state, actions and facts; tabs for its graphs, configuration and console. */

#pragma once

#include <gtk/gtk.h>

#include "domus-host.h"

G_BEGIN_DECLS

#define DOMUS_TYPE_DOMAIN_PAGE (domus_domain_page_get_type ())
G_DECLARE_FINAL_TYPE (DomusDomainPage, domus_domain_page, DOMUS, DOMAIN_PAGE, GtkBox)

/*
 * Follows the domain's and its host's notify signals. The action buttons are the window's
 * (win.start, win.pause, ...). While the host is away an info bar says the page may be out
 * of date; a refusal the window reports (show_error) replaces it.
 *
 * Signals:
 *   "console-requested" (DomusDomainPage *page, DomusDomain *domain): the Console tab was
 *     chosen; the window shows the domain's console among the open consoles.
 */
GtkWidget   *domus_domain_page_new         (void);

/* Shows domain, of host (NULL, NULL: keeps showing what it showed, following nothing),
 * and brings the page up to date. A page shown for another domain forgets its message. */
void         domus_domain_page_set_domain  (DomusDomainPage *self,
                                            DomusHost       *host,
                                            DomusDomain     *domain);
DomusDomain *domus_domain_page_get_domain  (DomusDomainPage *self);

/* Says why an action failed, in the page's info bar. */
void         domus_domain_page_show_error  (DomusDomainPage *self,
                                            const char      *message);
/* Hides the last refusal (not the notice that the host is away), as a new action starts. */
void         domus_domain_page_clear_error (DomusDomainPage *self);

G_END_DECLS
