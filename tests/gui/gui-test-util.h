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

G_END_DECLS
