/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What the real-guest integration tests share: waiting on async calls, running tools, a bare QEMU test guest. */

#pragma once

#include <gio/gio.h>

#include "hv-qmp.h"

/* Keeps the result of an async call; wait_result() iterates the main context until it came. */
void           on_result_ready    (GObject       *source,
                                   GAsyncResult  *result,
                                   gpointer       user_data);
GAsyncResult  *wait_result        (GAsyncResult **slot);

/* Runs a command (argv[0] from PATH), fails the test when it does not exit 0; returns stdout. */
char          *run_ok             (const char * const *argv);

/* A test folder of its own under the build's temporary dir; removed by remove_test_dir. */
char          *make_test_dir      (const char *name);
void           remove_test_dir    (const char *dir);

/* The SHA-256 of a file's bytes. */
char          *file_checksum      (const char *path);

typedef struct {
  char      *dir;          /* where the QMP socket and serial log live */
  char      *serial_path;
  char      *qmp_path;
  GSubprocess *process;
  HvQmp     *qmp;
} TestGuest;

/*
 * Boots the test guest (guest_dir/vmlinuz, initrd.img) under TCG with `disks`
 * (NULL-terminated "-drive" values, may be NULL) and `extra_args` (more QEMU arguments,
 * may be NULL); the serial console goes to a file; QMP is connected when this returns.
 */
TestGuest     *test_guest_start   (const char          *guest_dir,
                                   const char          *dir,
                                   const char          *name,
                                   const char * const  *disks,
                                   const char * const  *extra_args);
/* Waits (at most timeout_s) for a serial line starting with `prefix` after `after_line` lines. */
char          *test_guest_wait_line (TestGuest  *guest,
                                     const char *prefix,
                                     guint       after_line,
                                     guint       timeout_s);
/* The number of serial lines so far. */
guint          test_guest_count_lines (TestGuest *guest);
/* The last "tick N" seen so far (0 when none). */
guint          test_guest_last_tick (TestGuest *guest);
/* The first tick at or after line `after_line` (waits up to timeout_s). */
guint          test_guest_next_tick (TestGuest *guest,
                                     guint      after_line,
                                     guint      timeout_s);
/* QMP command with arguments as JSON text (or NULL); fails the test on an error. */
JsonNode      *test_guest_qmp     (TestGuest   *guest,
                                   const char  *command,
                                   const char  *arguments_json);
/* Ends QEMU (by its PID), waits for it, frees. */
void           test_guest_stop    (TestGuest   *guest);
/* Waits for QEMU to exit by itself (at most timeout_s); TRUE when it did. */
gboolean       test_guest_wait_exit (TestGuest *guest,
                                     guint      timeout_s);
