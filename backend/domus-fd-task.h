/* SPDX-License-Identifier: GPL-3.0-or-later */
/* GTasks whose result is a file descriptor: closed if nobody takes it (a cancelled caller, say). */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

void domus_task_return_fd    (GTask   *task,
                              int      fd);
/* The descriptor (transfer full), or -1 with error set. */
int  domus_task_propagate_fd (GTask   *task,
                              GError **error);

G_END_DECLS
