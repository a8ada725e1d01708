/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What Linux tells about a process, the host and a network device: /proc and /sys, read cheaply. */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  char    state;          /* R, S, D, Z, ... */
  GPid    ppid;
  GPid    session;        /* the session id: a daemonized process has one of its own */
  guint64 cpu_time_ns;    /* user + system */
  guint64 start_ticks;    /* since boot, in clock ticks: tells a process from a later one with its pid */
  guint64 rss_bytes;
} HvProcessStats;

typedef struct {
  guint64 busy_ticks;     /* all CPUs: user nice system irq softirq steal */
  guint64 total_ticks;    /* the same plus idle and iowait */
  guint64 mem_total_kib;
  guint64 mem_available_kib;
  double  load[3];
} HvHostStats;

/* Parse the text of /proc/PID/stat (the command name may hold spaces and parentheses). */
gboolean hv_proc_stats_parse_stat      (const char     *text,
                                        HvProcessStats *out);
gboolean hv_proc_stats_parse_host_cpu  (const char     *proc_stat_text,
                                        HvHostStats    *out);
gboolean hv_proc_stats_parse_meminfo   (const char     *text,
                                        HvHostStats    *out);
gboolean hv_proc_stats_parse_loadavg   (const char     *text,
                                        HvHostStats    *out);

/* FALSE when the process does not exist (any more). */
gboolean hv_proc_stats_read_process    (GPid            pid,
                                        HvProcessStats *out);
gboolean hv_proc_stats_read_host       (HvHostStats    *out);
/* The host's busy time since boot, in nanoseconds. */
guint64  hv_host_stats_busy_ns         (const HvHostStats *stats);

/* A network device's byte counters, as the host counts them; FALSE when it does not exist. */
gboolean hv_proc_stats_read_net_device (const char     *device,
                                        guint64        *rx_bytes,
                                        guint64        *tx_bytes);

G_END_DECLS
