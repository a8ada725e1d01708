/* SPDX-License-Identifier: GPL-3.0-or-later */
/* GTasks whose result is a file descriptor. */

#include "config.h"

#include <unistd.h>

#include "domus-fd-task.h"

static void
close_fd_and_free (gpointer data)
{
  int *fd = data;

  if (*fd >= 0)
    close (*fd);
  g_free (fd);
}

void
domus_task_return_fd (GTask *task,
                      int    fd)
{
  int *boxed = g_new (int, 1);

  *boxed = fd;
  g_task_return_pointer (task, boxed, close_fd_and_free);
}

int
domus_task_propagate_fd (GTask   *task,
                         GError **error)
{
  int *boxed = g_task_propagate_pointer (task, error);
  int fd;

  if (boxed == NULL)
    return -1;
  fd = *boxed;
  g_free (boxed);
  return fd;
}
