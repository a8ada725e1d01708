/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Socket activation: a listening socket handed over by systemd (or any service manager that
 * speaks the LISTEN_PID/LISTEN_FDS protocol, see sd_listen_fds(3)), without libsystemd.
 */

#pragma once

#include <glib.h>

#include "hv-rpc-server.h"

G_BEGIN_DECLS

/* The first passed descriptor, as the protocol fixes it (SD_LISTEN_FDS_START). */
#define HV_SOCKET_ACTIVATION_FD_START 3

/*
 * How many listening sockets were passed to this process (0 when it was not socket-activated).
 * The environment is read on the first call only, and the variables are then removed so that
 * QEMU and the daemon's other children never take the sockets for theirs; the descriptors are
 * marked close-on-exec for the same reason. Call it early (domusd's main does) while the
 * process has a single thread: it changes the environment.
 */
guint    hv_socket_activation_get_n_fds (void);

/*
 * Serves `server` on the passed socket when there is one (it must be a single listening Unix
 * stream socket); else binds `path` with `mode`, as hv_rpc_server_listen_unix() does. A passed
 * socket belongs to the service manager: it is never unlinked here.
 */
gboolean hv_socket_activation_listen    (HvRpcServer  *server,
                                         const char   *path,
                                         guint         mode,
                                         GError      **error);

G_END_DECLS
