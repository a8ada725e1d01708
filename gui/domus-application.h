/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The `domus` program: one instance per session, the hosts it shows, its window. */

#pragma once

#include <gtk/gtk.h>

#include "domus-host.h"

G_BEGIN_DECLS

#define DOMUS_APPLICATION_ID "org.domus.Domus"

#define DOMUS_TYPE_APPLICATION (domus_application_get_type ())
G_DECLARE_FINAL_TYPE (DomusApplication, domus_application, DOMUS, APPLICATION, GtkApplication)

DomusApplication *domus_application_new           (void);

/* A GListModel of DomusHost, in the order they were added. (transfer none) */
GListModel       *domus_application_get_hosts     (DomusApplication *self);
/* The host with this URI (as given), NULL when there is none. (transfer none) */
DomusHost        *domus_application_lookup_host   (DomusApplication *self,
                                                   const char       *uri);
/* Adds a host and starts connecting it; an existing host with the same URI is returned
 * instead. remember: keep it in the settings for the next runs (when the GSettings
 * schema is installed; otherwise for this run only). (transfer none) */
DomusHost        *domus_application_add_host      (DomusApplication *self,
                                                   const char       *uri,
                                                   gboolean          remember);
/* Disconnects the host, drops it and forgets it in the settings. */
void              domus_application_remove_host   (DomusApplication *self,
                                                   DomusHost        *host);

G_END_DECLS
