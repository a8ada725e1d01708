/* SPDX-License-Identifier: GPL-3.0-or-later */
/* domusctl's side of a host: one opened DomusHost per command, and waiting for its answers. */

#pragma once

#include <json-glib/json-glib.h>

#include "domus-host.h"
#include "domus-json-util.h"

G_BEGIN_DECLS

/* How long a connect may take, and how long the host may leave a ping unanswered. */
#define DOMUSCTL_ANSWER_TIMEOUT_SECONDS 30
/* How often a host working on a long command is asked whether it still answers. */
#define DOMUSCTL_PING_SECONDS           5

typedef struct _DomusctlClient DomusctlClient;

/*
 * Opens the host at uri (NULL: the session daemon, started if need be), running the
 * default main context until it answers: connected, its facts read, nothing followed.
 * Over SSH, passwords and passphrases are asked on the terminal, and an unknown host
 * key is shown there to accept or refuse; with no terminal it is refused. Fails with one
 * sentence naming the address.
 */
DomusctlClient  *domusctl_client_open           (const char     *uri,
                                                 GError        **error);
void             domusctl_client_free           (DomusctlClient *client);
DomusHost       *domusctl_client_get_host       (DomusctlClient *client);
/* The address spelled out, for messages. */
const char      *domusctl_client_get_uri        (DomusctlClient *client);
/* For every call a verb makes: domusctl_client_wait() cancels it when it stops waiting. */
GCancellable    *domusctl_client_get_cancellable (DomusctlClient *client);

/* The GAsyncReadyCallback to give a call: user_data is a GAsyncResult ** it fills in. */
void             domusctl_store_result          (GObject        *source,
                                                 GAsyncResult   *result,
                                                 gpointer        user_data);
/*
 * Runs the default main context until *result is set by domusctl_store_result. There is
 * no fixed time limit: a host that works on a long command (start, create, shutdown
 * --wait, dump, image clone) is waited for as long as it answers the ping sent every
 * DOMUSCTL_PING_SECONDS. FALSE, with *result set all the same (the call cancelled), when
 * the waiting stopped: SIGINT, SIGTERM or SIGHUP (G_IO_ERROR_CANCELLED), or a host that
 * left a ping unanswered for DOMUSCTL_ANSWER_TIMEOUT_SECONDS (G_IO_ERROR_TIMED_OUT); the
 * message then says that the host may still complete the command.
 */
gboolean         domusctl_client_wait           (DomusctlClient *client,
                                                 GAsyncResult  **result,
                                                 GError        **error);

/*
 * Opens a stream to a domain's screen or serial port (domus_host_open_console_async()),
 * waiting as domusctl_client_wait() does. The client must stay open while the stream is
 * used: over SSH both ride on the same session. -1 with error set on failure.
 */
int              domusctl_client_open_console   (DomusctlClient    *client,
                                                 const char        *name,
                                                 DomusConsoleKind   kind,
                                                 GError           **error);

/*
 * The domusd connection under the host, for what only domusd has: the raw --json dumps,
 * top's stats samples. Calls method (params an object or NULL, not consumed) and waits
 * as domusctl_client_wait() does. Fails with DOMUS_ERROR_NOT_SUPPORTED on another kind.
 */
JsonNode        *domusctl_client_call           (DomusctlClient *client,
                                                 const char     *method,
                                                 JsonNode       *params,
                                                 GError        **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DomusctlClient, domusctl_client_free)

/* A JSON value printed as the daemon sent it, indented: what --json prints. */
void             domusctl_print_json            (JsonNode       *node);

G_END_DECLS
