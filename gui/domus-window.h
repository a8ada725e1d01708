/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The main window: the sidebar of servers and domains, and the page of what is selected. */

#pragma once

#include <gtk/gtk.h>

#include "domus-application.h"
#include "domus-host.h"

G_BEGIN_DECLS

#define DOMUS_TYPE_WINDOW (domus_window_get_type ())
G_DECLARE_FINAL_TYPE (DomusWindow, domus_window, DOMUS, WINDOW, GtkApplicationWindow)

DomusWindow *domus_window_new         (DomusApplication *application);

/* Shows the domain's page as soon as the host lists a domain of that name (now, or when
 * it connects); console: open its console there too (--console). */
void         domus_window_open_domain (DomusWindow      *self,
                                       DomusHost        *host,
                                       const char       *name,
                                       gboolean          console);

G_END_DECLS
