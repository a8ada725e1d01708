/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What an ssh:// address asks for: where to connect, as whom, and what to run there. */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * ssh://[user@]host[:port][?socket=PATH&keyfile=PATH&known_hosts=PATH&bridge=PATH&no_verify=1]
 * The query names are libvirt's (qemu+ssh://), so they read the same to its users.
 */
typedef struct {
  char    *host;          /* as written, without IPv6 brackets */
  guint16  port;          /* 22 when absent */
  char    *user;          /* the local user's name when absent */
  char    *keyfile;       /* NULL: the default key files */
  char    *known_hosts;   /* ~/.ssh/known_hosts when absent */
  char    *bridge;        /* the remote domusctl, "domusctl" when absent */
  char    *socket;        /* the remote daemon's socket; NULL: its session daemon */
  gboolean no_verify;     /* skip the host key check (and say so) */
} DomusSshOptions;

/* Fails with DOMUS_ERROR_INVALID_URI naming what is wrong (an unknown query name, say). */
DomusSshOptions *domus_ssh_options_parse          (const char             *uri,
                                                   GError                **error);
DomusSshOptions *domus_ssh_options_copy           (const DomusSshOptions  *options);
void             domus_ssh_options_free           (DomusSshOptions        *options);

/* "host" for port 22, "[host]:port" otherwise: known_hosts' way and our messages'. */
char            *domus_ssh_options_host_label     (const DomusSshOptions  *options);

/*
 * The command line the exec channel runs: "BRIDGE bridge [--socket PATH]", plus
 * console_option and domain ("--console NAME", "--serial NAME") when given. Every
 * word is shell-quoted: the remote login shell reads it.
 */
char            *domus_ssh_options_bridge_command (const DomusSshOptions  *options,
                                                   const char             *console_option,
                                                   const char             *domain);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DomusSshOptions, domus_ssh_options_free)

G_END_DECLS
