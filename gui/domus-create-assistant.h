/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The "Create domain" assistant: name, install source, memory and CPUs, disk, network,
 * console, and the .cfg it will write; finishing creates (and so starts) the domain. */

#pragma once

#include <gtk/gtk.h>

#include "domus-host.h"

G_BEGIN_DECLS

/* The pages, in order (gtk_assistant_get_current_page()). */
typedef enum {
  DOMUS_CREATE_PAGE_NAME,
  DOMUS_CREATE_PAGE_SOURCE,
  DOMUS_CREATE_PAGE_RESOURCES,
  DOMUS_CREATE_PAGE_DISK,
  DOMUS_CREATE_PAGE_NETWORK,
  DOMUS_CREATE_PAGE_CONSOLE,
  DOMUS_CREATE_PAGE_SUMMARY,
  DOMUS_CREATE_PAGE_PROGRESS,
  DOMUS_CREATE_N_PAGES
} DomusCreatePage;

#define DOMUS_TYPE_CREATE_ASSISTANT (domus_create_assistant_get_type ())
G_DECLARE_FINAL_TYPE (DomusCreateAssistant, domus_create_assistant, DOMUS, CREATE_ASSISTANT, GtkAssistant)

/*
 * A new assistant for a connected host. When the daemon has created and started the
 * domain, it emits "created" (the domain's name) and destroys itself; cancelling destroys
 * it too. Errors from the daemon are shown on the page they concern.
 */
GtkWidget  *domus_create_assistant_new          (DomusHost            *host);

DomusHost  *domus_create_assistant_get_host     (DomusCreateAssistant *self);

/* The text the current choices give in the host's own form (a .cfg, or libvirt's domain XML),
 * or NULL while a choice is incomplete. */
char       *domus_create_assistant_dup_config   (DomusCreateAssistant *self);

/* The message shown on a page's info bar (a daemon's error), or NULL when it is hidden. */
const char *domus_create_assistant_get_page_error (DomusCreateAssistant *self,
                                                   DomusCreatePage       page);

G_END_DECLS
