/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The window's open consoles: one tab per console, "NAME on HOST", each detachable. */

#pragma once

#include <gtk/gtk.h>

#include "domus-console.h"
#include "domus-host.h"

G_BEGIN_DECLS

#define DOMUS_TYPE_CONSOLE_NOTEBOOK (domus_console_notebook_get_type ())
G_DECLARE_FINAL_TYPE (DomusConsoleNotebook, domus_console_notebook, DOMUS, CONSOLE_NOTEBOOK, GtkNotebook)

/*
 * A tab per open console, labelled "NAME on HOST" with a close button; a middle click on
 * a tab closes it, Ctrl+Page Up / Ctrl+Page Down switch tabs even while the guest has the
 * keyboard. A console detached into its own window still belongs here: opening it again
 * presents that window, and closing the window puts the console back into its tab.
 * Destroying the notebook closes every console it holds, detached ones too.
 */
GtkWidget    *domus_console_notebook_new            (void);

/* The console of domain_name on host, in a tab (made now, or the one already open, shown
 * and focused; a detached one's window is presented). (transfer none) */
DomusConsole *domus_console_notebook_open           (DomusConsoleNotebook *self,
                                                     DomusHost            *host,
                                                     const char           *domain_name);
/* The same for its serial port (xm console): a tab "NAME on HOST (serial)" beside the screen's. */
DomusConsole *domus_console_notebook_open_serial    (DomusConsoleNotebook *self,
                                                     DomusHost            *host,
                                                     const char           *domain_name);
/* The console already open for that domain (its screen, or its serial port when it has no
 * screen), in a tab or detached; NULL if none. */
DomusConsole *domus_console_notebook_lookup         (DomusConsoleNotebook *self,
                                                     DomusHost            *host,
                                                     const char           *domain_name);
/* The console showing that domain's serial port, asked for or for want of a screen. */
DomusConsole *domus_console_notebook_lookup_serial  (DomusConsoleNotebook *self,
                                                     DomusHost            *host,
                                                     const char           *domain_name);
/* Closes the console (its tab, or its window when detached). */
void          domus_console_notebook_close          (DomusConsoleNotebook *self,
                                                     DomusConsole         *console);
/* How many consoles are open, detached ones included (the "n-consoles" property). */
guint         domus_console_notebook_get_n_consoles (DomusConsoleNotebook *self);
/* How many tabs show (consoles not detached): the "n-tabs" property. */
guint         domus_console_notebook_get_n_tabs     (DomusConsoleNotebook *self);
/* The console of the tab in front, or NULL. */
DomusConsole *domus_console_notebook_get_current    (DomusConsoleNotebook *self);
/* The "NAME on HOST" label widget of console's tab (for tests); NULL while detached. */
GtkWidget    *domus_console_notebook_get_tab_label  (DomusConsoleNotebook *self,
                                                     DomusConsole         *console);

G_END_DECLS
