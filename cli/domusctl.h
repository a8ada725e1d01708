/* SPDX-License-Identifier: GPL-3.0-or-later */
/* domusctl: the verbs, each in a file of its own, and what they share. */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  const char *connect_uri;   /* --connect, or NULL for the default daemon */
} DomusctlGlobals;

/* A verb gets argv with argv[0] set to "domusctl VERB" and returns the exit status. */
typedef int (*DomusctlVerbFunc) (DomusctlGlobals *globals,
                                 int              argc,
                                 char           **argv);

/* Prints "domusctl: MESSAGE" on stderr and returns 1, for `return domusctl_fail (...)`. */
int domusctl_fail       (const char *format, ...) G_GNUC_PRINTF (1, 2);
/* The same for a mistake in the command line itself: returns 2, as usage errors do. */
int domusctl_usage_error (const char *format, ...) G_GNUC_PRINTF (1, 2);
/* The same for a GError. */
int domusctl_fail_error (const GError *error);

/* Parses a verb's options; prints the verb's usage error and returns FALSE on failure. */
gboolean domusctl_parse_options (GOptionContext *context,
                                 int            *argc,
                                 char         ***argv);

/* Verbs (one file each: domusctl-VERB.c). */
int domusctl_verb_check  (DomusctlGlobals *globals, int argc, char **argv);
int domusctl_verb_create (DomusctlGlobals *globals, int argc, char **argv);
int domusctl_verb_list   (DomusctlGlobals *globals, int argc, char **argv);

G_END_DECLS
