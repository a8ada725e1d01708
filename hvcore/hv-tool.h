/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Running the host's tools (qemu-img, mmdebstrap, xorriso, ...) from a worker thread. */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Each line the tool writes on stderr, as it comes (called in the worker thread). */
typedef void (*HvToolLineFunc) (const char *line,
                                gpointer    user_data);

typedef struct {
  const char     *stdin_text;   /* NULL: the tool reads /dev/null */
  HvToolLineFunc  on_stderr_line;
  gpointer        user_data;
  /* When running as root, the tool runs as nobody: for parsers of untrusted data. */
  gboolean        drop_root;
  /* More environment, "NAME=VALUE" strings, NULL-terminated; may be NULL. */
  const char * const *environment;
} HvToolOptions;

/*
 * Runs argv[0] (looked up in PATH) in the calling worker thread and waits for it.
 * Returns TRUE once the tool has ended, whatever its status: *exit_status is its exit
 * code (or 128 + signal), *out and *err what it wrote (each may be NULL), so the caller
 * names the cause in its own error domain. Returns FALSE with G_SPAWN_ERROR when the tool
 * could not run, G_IO_ERROR_CANCELLED when `cancellable` fired (the tool is killed).
 * options may be NULL.
 */
gboolean hv_tool_run       (const char * const   *argv,
                            const HvToolOptions  *options,
                            char                **out,
                            char                **err,
                            int                  *exit_status,
                            GCancellable         *cancellable,
                            GError              **error);

/* The last non-empty line of `text`, stripped (for messages); "" when there is none. */
char    *hv_tool_last_line (const char *text);

/* Removes `dir` and everything in it (symbolic links, not what they point to). */
void     hv_tool_remove_tree (const char *dir);

G_END_DECLS
