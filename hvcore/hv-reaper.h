/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Reaping the processes that QEMU's -daemonize leaves to domusd, a child subreaper. */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * Reaps every zombie child of this process that is in a session other than its own.
 * -daemonize forks twice: the process the daemon starts waits until the guest is set up, a
 * middle one starts a session of its own and exits at once, the last one is the guest. Their
 * parents gone, the middle one and (once it ends) the guest land on the subreaper, in the
 * guest's session. Nothing else the daemon starts leaves its session, and nothing watches
 * those processes with g_child_watch_add() (which would complain if we took its child), so
 * they are safe to reap here. Returns how many were reaped. Cheap: a few small reads of
 * /proc/self/task/TID/children.
 */
guint hv_reaper_reap_daemonized (void);

G_END_DECLS
