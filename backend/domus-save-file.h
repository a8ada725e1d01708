/* SPDX-License-Identifier: GPL-3.0-or-later */
/* One saved domain in a host's save folder (domus_host_list_saves_async()). */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define DOMUS_TYPE_SAVE_FILE (domus_save_file_get_type ())
G_DECLARE_FINAL_TYPE (DomusSaveFile, domus_save_file, DOMUS, SAVE_FILE, GObject)

/*
 * A listing's entry; a new listing gives new objects. name is the file's name in the save
 * folder (what domus_host_restore_domain_async() takes), domain the domain whose state it
 * holds, time when it was saved in seconds since the epoch (0 when the host did not say),
 * size its bytes on the host.
 */
const char    *domus_save_file_get_name      (DomusSaveFile *self);
const char    *domus_save_file_get_domain    (DomusSaveFile *self);
gint64         domus_save_file_get_time      (DomusSaveFile *self);
/* The same as a local date and time (transfer full), NULL when the time is not known. */
GDateTime     *domus_save_file_get_date_time (DomusSaveFile *self);
guint64        domus_save_file_get_size      (DomusSaveFile *self);

/* < private > For the drivers. */
DomusSaveFile *_domus_save_file_new          (const char    *name,
                                              const char    *domain,
                                              gint64         time,
                                              guint64        size);

G_END_DECLS
