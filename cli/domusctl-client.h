/* SPDX-License-Identifier: GPL-3.0-or-later */
/* domusctl's side of the daemon protocol: blocking calls for one-shot verbs, a kept connection for the rest. */

#pragma once

#include <json-glib/json-glib.h>

#include "domus-connection.h"
#include "domus-json-util.h"

G_BEGIN_DECLS

/* Long enough for a loaded host; short enough that a wedged daemon does not hang scripts. */
#define DOMUSCTL_ANSWER_TIMEOUT_SECONDS 30

typedef struct _DomusctlClient DomusctlClient;

/*
 * Connects to the daemon at uri (NULL: the session daemon, started if need be),
 * running the default main context until it answers. Over SSH, passwords and
 * passphrases are asked on the terminal, and an unknown host key is shown there to
 * accept or refuse; with no terminal it is refused. Fails with one sentence naming
 * the address.
 */
DomusctlClient  *domusctl_client_open           (const char     *uri,
                                                 GError        **error);
void             domusctl_client_free           (DomusctlClient *client);
DomusConnection *domusctl_client_get_connection (DomusctlClient *client);
/*
 * Opens a stream to a domain's screen or serial port (see
 * domus_connection_open_console_async()), running the default main context until it
 * is there. The client must stay open while the stream is used: over SSH both ride
 * on the same session.
 */
int              domusctl_client_open_console   (DomusctlClient    *client,
                                                 const char        *name,
                                                 DomusConsoleKind   kind,
                                                 GError           **error);
/* The address spelled out, for messages. */
const char      *domusctl_client_get_uri        (DomusctlClient *client);

/*
 * Calls method and runs the default main context until the answer comes (so
 * notifications are delivered meanwhile). timeout_seconds 0 waits as long as it
 * takes. params: an object or NULL (not consumed). Returns the result.
 */
JsonNode        *domusctl_client_call           (DomusctlClient *client,
                                                 const char     *method,
                                                 JsonNode       *params,
                                                 guint           timeout_seconds,
                                                 GError        **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DomusctlClient, domusctl_client_free)

/* Connect, call, close: the whole life of most verbs. Waits DOMUSCTL_ANSWER_TIMEOUT_SECONDS. */
JsonNode        *domusctl_call                  (const char     *uri,
                                                 const char     *method,
                                                 JsonNode       *params,
                                                 GError        **error);

/* {"name": name}, the params of most domain.* methods. */
JsonNode        *domusctl_name_params           (const char     *name);

/* A result's member, or NULL when the result is no object or lacks it. */
JsonNode        *domusctl_result_member         (JsonNode       *result,
                                                 const char     *member);

G_END_DECLS
