/* SPDX-License-Identifier: GPL-3.0-or-later */
/* domusctl: the verbs, each in a file of its own, and what they share. */

#pragma once

#include <glib.h>

#include "domusctl-client.h"

G_BEGIN_DECLS

typedef struct {
  const char *connect_uri;   /* --connect, or NULL for the default daemon ("local") */
} DomusctlGlobals;

/* A verb gets argv with argv[0] set to "domusctl VERB" and returns the exit status. */
typedef int (*DomusctlVerbFunc) (DomusctlGlobals *globals,
                                 int              argc,
                                 char           **argv);

/* Prints "domusctl: MESSAGE" on stderr and returns 1, for `return domusctl_fail (...)`. */
int domusctl_fail       (const char *format, ...) G_GNUC_PRINTF (1, 2);
/* The same for a mistake in the command line itself: returns 2, as usage errors do. */
int domusctl_usage_error (const char *format, ...) G_GNUC_PRINTF (1, 2);
/* The same for a GError; 130 (as for SIGINT) for an interrupted wait (G_IO_ERROR_CANCELLED). */
int domusctl_fail_error (const GError *error);

/* Opens --connect's host (domusctl_client_open()); NULL with *status set after saying why. */
DomusctlClient *domusctl_open (DomusctlGlobals *globals,
                               int             *status);

/* Parses a verb's options; prints the verb's usage error and returns FALSE on failure. */
gboolean domusctl_parse_options (GOptionContext *context,
                                 int            *argc,
                                 char         ***argv);

/* Copies the domain's serial console to and from the terminal until it ends (domusctl-console.c). */
int domusctl_attach_console (DomusctlGlobals *globals, const char *name);

/*
 * Defines (start: creates) a domain on the client's host from the file at path
 * (domusctl-lifecycle.c). Returns 0 with *info set, or the exit status after saying why.
 */
int domusctl_define_file (DomusctlClient   *client,
                          const char       *path,
                          gboolean          start,
                          DomusDomainInfo **info);

/* start --on: start a shut-off domain on another host and let go of it here (domusctl-migrate.c). */
int domusctl_start_on (DomusctlGlobals *globals, const char *target_uri, const char *name);

/*
 * "64M", "10G", "512K", "1T" (powers of 1024, as qemu-img reads them; "MiB" and
 * "MB" spellings too) or a number of bytes. FALSE for anything else or an overflow
 * (domusctl-image.c).
 */
gboolean domusctl_parse_size  (const char *text,
                               gint64     *out);
/* 10G, 512M, 1.5G: what a person reads; exact bytes are in --json. */
char    *domusctl_format_size (gint64      bytes);

/* image debian and image cloud: a ready guest in the store (domusctl-new-guest.c). */
int domusctl_image_debian (DomusctlGlobals *globals, int argc, char **argv);
int domusctl_image_cloud  (DomusctlGlobals *globals, int argc, char **argv);

/* Verbs (one file per verb or family: domusctl-VERB.c). */
int domusctl_verb_alerts    (DomusctlGlobals *globals, int argc, char **argv);
int domusctl_verb_autostart (DomusctlGlobals *globals, int argc, char **argv);
int domusctl_verb_bridge    (DomusctlGlobals *globals, int argc, char **argv);
int domusctl_verb_check     (DomusctlGlobals *globals, int argc, char **argv);
int domusctl_verb_clone     (DomusctlGlobals *globals, int argc, char **argv);
int domusctl_verb_config    (DomusctlGlobals *globals, int argc, char **argv);
int domusctl_verb_console   (DomusctlGlobals *globals, int argc, char **argv);
int domusctl_verb_create    (DomusctlGlobals *globals, int argc, char **argv);
int domusctl_verb_define    (DomusctlGlobals *globals, int argc, char **argv);
int domusctl_verb_destroy   (DomusctlGlobals *globals, int argc, char **argv);
int domusctl_verb_image     (DomusctlGlobals *globals, int argc, char **argv);
int domusctl_verb_import    (DomusctlGlobals *globals, int argc, char **argv);
int domusctl_verb_list      (DomusctlGlobals *globals, int argc, char **argv);
int domusctl_verb_migrate   (DomusctlGlobals *globals, int argc, char **argv);
int domusctl_verb_monitor   (DomusctlGlobals *globals, int argc, char **argv);
int domusctl_verb_pause     (DomusctlGlobals *globals, int argc, char **argv);
int domusctl_verb_sysrq     (DomusctlGlobals *globals, int argc, char **argv);
int domusctl_verb_dump_core (DomusctlGlobals *globals, int argc, char **argv);
int domusctl_verb_reboot    (DomusctlGlobals *globals, int argc, char **argv);
int domusctl_verb_restore   (DomusctlGlobals *globals, int argc, char **argv);
int domusctl_verb_saves     (DomusctlGlobals *globals, int argc, char **argv);
int domusctl_verb_save      (DomusctlGlobals *globals, int argc, char **argv);
int domusctl_verb_shutdown  (DomusctlGlobals *globals, int argc, char **argv);
int domusctl_verb_snapshot  (DomusctlGlobals *globals, int argc, char **argv);
int domusctl_verb_start     (DomusctlGlobals *globals, int argc, char **argv);
int domusctl_verb_template  (DomusctlGlobals *globals, int argc, char **argv);
int domusctl_verb_top       (DomusctlGlobals *globals, int argc, char **argv);
int domusctl_verb_undefine  (DomusctlGlobals *globals, int argc, char **argv);
int domusctl_verb_unpause   (DomusctlGlobals *globals, int argc, char **argv);
int domusctl_verb_vnc       (DomusctlGlobals *globals, int argc, char **argv);

G_END_DECLS
