/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A running domain's run folder: made at its start, the record a later daemon takes its QEMU
 * over by, removed at its end. */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* What domain.json records. */
typedef struct {
  char    *name;
  char    *config_path;
  gint64   id;
  GPid     pid;
  guint64  pid_start_ticks;   /* tells our QEMU from a later process with the same pid */
  GStrv    tap_names;         /* NULL: none */
} HvRunRecord;

void     hv_run_record_clear         (HvRunRecord  *record);

/* Removes a folder a QEMU that is gone left, then makes it afresh. */
gboolean hv_run_folder_make          (const char   *run_dir,
                                      GError      **error);
/* The files in it and the folder; it holds only files QEMU and we put there. */
void     hv_run_folder_remove        (const char   *run_dir);

gboolean hv_run_folder_write_record  (const char          *run_dir,
                                      const HvRunRecord   *record,
                                      GError             **error);
/* Fails when the record is missing or records no id or process. A record written before QEMU
 * had a pid takes it from QEMU's own pid file. */
gboolean hv_run_folder_read_record   (const char   *run_dir,
                                      HvRunRecord  *record,
                                      GError      **error);
/* The id the record holds, without touching anything; 0 when it holds none. */
gint64   hv_run_folder_read_id       (const char   *run_dir);
/* The last lines (at most max_lines, from the last few KiB) the guest wrote on its serial
 * port (serial.log), each only of printable ASCII; NULL when there is none. */
GStrv    hv_run_folder_read_serial_tail (const char *run_dir,
                                         guint       max_lines);
/* qemu.pid, which QEMU writes itself. */
gboolean hv_run_folder_read_pid_file (const char   *run_dir,
                                      GPid         *out,
                                      GError      **error);

G_END_DECLS
