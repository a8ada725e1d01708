/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What the C gui tests share: an X server of their own, and children that die with them. */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* For g_subprocess_launcher_set_child_setup(): the child gets SIGTERM when the test dies. */
void         gui_test_die_with_parent (gpointer user_data);

/*
 * Starts Xvfb on a display it picks itself (-displayfd, so parallel tests never
 * collide), waits until it is ready and points DISPLAY at it. Aborts the test when
 * Xvfb cannot start. End it with gui_test_end_process().
 */
GSubprocess *gui_test_start_xvfb      (void);

/* SIGTERM, wait, forget; nothing for NULL. */
void         gui_test_end_process     (GSubprocess **process);

/* Removes a folder and everything in it (not following symbolic links). */
void         gui_test_remove_tree     (const char   *path);

/*
 * Prints "ok - DESCRIPTION" or "not ok - DESCRIPTION" for a driver script to number,
 * counts the failures (gui_test_failures()), and returns passed.
 */
gboolean     gui_test_check           (gboolean      passed,
                                       const char   *format,
                                       ...) G_GNUC_PRINTF (2, 3);
int          gui_test_failures        (void);

/* Aborts the test with what was awaited: a GSourceFunc for GUI_TEST_WAIT_FOR. */
gboolean     gui_test_timed_out       (gpointer      what);

/* Runs the main loop until condition holds; fails the test after 15 s. */
#define GUI_TEST_WAIT_FOR(condition)                                                      \
  G_STMT_START {                                                                          \
    guint timeout_id_ = g_timeout_add_seconds (15, gui_test_timed_out, (gpointer) #condition); \
    while (!(condition))                                                                  \
      g_main_context_iteration (NULL, TRUE);                                              \
    g_source_remove (timeout_id_);                                                        \
  } G_STMT_END

G_END_DECLS
