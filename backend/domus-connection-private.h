/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What the transports (domus-connect.c) tell a connection about what lies under its stream. */

#pragma once

#include "domus-connection.h"
#include "domus-ssh-session.h"

G_BEGIN_DECLS

/* The connection closes the session when it closes, and asks it why the stream ended. */
void             domus_connection_set_ssh_session (DomusConnection *self,
                                                   DomusSshSession *session);
DomusSshSession *domus_connection_get_ssh_session (DomusConnection *self);

G_END_DECLS
