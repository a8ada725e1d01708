/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Logging in on a new libssh2 session, for domus-ssh-transport.c (in its worker thread):
 * the host key checked against known_hosts, then ssh-agent, the key files, and
 * keyboard-interactive or password through a GTlsInteraction.
 */

#pragma once

#include <gio/gio.h>
#include <libssh2.h>

#include "domus-known-hosts.h"
#include "domus-ssh-options.h"

G_BEGIN_DECLS

/* What logging in needs; the caller owns every field. Pass it as the session's abstract
   (libssh2_session_init_ex()): the keyboard-interactive answers find it there. */
typedef struct {
  LIBSSH2_SESSION       *ssh;
  const DomusSshOptions *options;
  const char            *host_label;
  GTlsInteraction       *interaction;          /* nullable: no prompts */
  GCancellable          *cancellable;          /* stops prompts */
  const char            *accept_fingerprint;   /* nullable */
  char                  *security_notice;      /* set when the key was not checked; the caller frees it */
} DomusSshLogin;

/* Before the handshake: the host key types known_hosts has for this host come first. */
void     domus_ssh_login_prefer_known_key_types (DomusSshLogin    *self,
                                                 DomusKnownHosts  *known);
/*
 * After it: an unknown key fails with DOMUS_ERROR_HOST_KEY_UNKNOWN unless its fingerprint
 * is accept_fingerprint (then it is appended to known_hosts), a changed or revoked one with
 * DOMUS_ERROR_HOST_KEY_CHANGED.
 */
gboolean domus_ssh_login_check_host_key         (DomusSshLogin    *self,
                                                 DomusKnownHosts  *known,
                                                 GError          **error);
gboolean domus_ssh_login_authenticate           (DomusSshLogin    *self,
                                                 GError          **error);

G_END_DECLS
