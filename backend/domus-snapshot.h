/* SPDX-License-Identifier: GPL-3.0-or-later */
/* One snapshot of a domain, as its host listed it (domus_host_list_snapshots_async()). */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define DOMUS_TYPE_SNAPSHOT (domus_snapshot_get_type ())
G_DECLARE_FINAL_TYPE (DomusSnapshot, domus_snapshot, DOMUS, SNAPSHOT, GObject)

/*
 * A snapshot does not change; a new listing gives new objects. time is when it was
 * taken, in seconds since the epoch (0 when the host did not say); has_memory says it
 * was taken of a running domain, so that a revert brings back its memory too;
 * memory_size is the bytes of that state (0 for a snapshot of disks only);
 * guest_clock_ns how long the guest had run when it was taken (-1 when not said).
 */
const char    *domus_snapshot_get_name           (DomusSnapshot *self);
gint64         domus_snapshot_get_time           (DomusSnapshot *self);
/* The same as a local date and time (transfer full), NULL when the time is not known. */
GDateTime     *domus_snapshot_get_date_time      (DomusSnapshot *self);
gboolean       domus_snapshot_get_has_memory     (DomusSnapshot *self);
guint64        domus_snapshot_get_memory_size    (DomusSnapshot *self);
gint64         domus_snapshot_get_guest_clock_ns (DomusSnapshot *self);

/* < private > For the drivers. */
DomusSnapshot *_domus_snapshot_new               (const char    *name,
                                                  gint64         time,
                                                  gboolean       has_memory,
                                                  guint64        memory_size,
                                                  gint64         guest_clock_ns);

G_END_DECLS
