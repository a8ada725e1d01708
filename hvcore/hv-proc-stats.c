/* SPDX-License-Identifier: GPL-3.0-or-later */
/* /proc and /sys readers for the stats sampler and the domain list: small files, read without allocating. */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hv-proc-stats.h"

/* We read only the first part of /proc/stat (the summed "cpu" line) and /proc/meminfo
   (the totals come first), so a page is enough however many CPUs the host has. */
#define SMALL_FILE_SIZE 4096

static long
clock_ticks (void)
{
  static long ticks;

  if (ticks == 0)
    {
      ticks = sysconf (_SC_CLK_TCK);
      if (ticks <= 0)
        ticks = 100;
    }
  return ticks;
}

static long
page_size (void)
{
  static long size;

  if (size == 0)
    {
      size = sysconf (_SC_PAGESIZE);
      if (size <= 0)
        size = 4096;
    }
  return size;
}

/* Reads the start of a file into buffer, NUL-terminated. These files are made up on read: no stat. */
static gboolean
read_small_file (const char *path,
                 char       *buffer,
                 gsize       size)
{
  gssize n;
  int fd = open (path, O_RDONLY | O_CLOEXEC);

  if (fd < 0)
    return FALSE;
  do
    n = read (fd, buffer, size - 1);
  while (n < 0 && errno == EINTR);
  close (fd);
  if (n < 0)
    return FALSE;
  buffer[n] = '\0';
  return TRUE;
}

static guint64
ticks_to_ns (guint64 ticks)
{
  return ticks * (G_GUINT64_CONSTANT (1000000000) / (guint64) clock_ticks ());
}

gboolean
hv_proc_stats_parse_stat (const char     *text,
                          HvProcessStats *out)
{
  /* The name ends at the last ')': it may itself hold spaces and parentheses. */
  const char *rest = strrchr (text, ')');
  guint64 fields[22] = { 0 };
  char *end;

  if (rest == NULL || rest[1] != ' ' || rest[2] == '\0')
    return FALSE;
  memset (out, 0, sizeof *out);
  out->state = rest[2];
  rest += 3;
  /* fields[0] is field 4 (ppid), [2] field 6 (session); utime 14, stime 15, starttime 22, rss 24. */
  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    {
      while (*rest == ' ')
        rest++;
      if (*rest == '\0')
        return FALSE;
      /* Negative fields (priority, nice) wrap around: harmless, we read none of them. */
      fields[i] = g_ascii_strtoull (rest, &end, 10);
      if (end == rest || (*end != ' ' && *end != '\n' && *end != '\0'))
        return FALSE;
      rest = end;
    }
  out->ppid = (GPid) fields[0];
  out->session = (GPid) fields[2];
  out->cpu_time_ns = ticks_to_ns (fields[10] + fields[11]);
  out->start_ticks = fields[18];
  out->rss_bytes = fields[20] * (guint64) page_size ();
  return TRUE;
}

gboolean
hv_proc_stats_read_process (GPid            pid,
                            HvProcessStats *out)
{
  char path[64];
  char text[1024];

  g_snprintf (path, sizeof path, "/proc/%d/stat", (int) pid);
  return read_small_file (path, text, sizeof text) && hv_proc_stats_parse_stat (text, out);
}

gboolean
hv_proc_stats_parse_host_cpu (const char  *text,
                              HvHostStats *out)
{
  guint64 value[8] = { 0 };
  guint n_values = 0;
  const char *p;
  char *end;

  if (!g_str_has_prefix (text, "cpu "))
    return FALSE;
  p = text + strlen ("cpu ");
  /* user nice system idle iowait irq softirq steal (guest time is inside user already). */
  for (guint i = 0; i < G_N_ELEMENTS (value); i++)
    {
      value[i] = g_ascii_strtoull (p, &end, 10);
      if (end == p)
        break;
      p = end;
      n_values++;
    }
  /* Every kernel since 2.6 gives at least eight; fewer than four says nothing. */
  if (n_values < 4)
    return FALSE;
  out->busy_ticks = value[0] + value[1] + value[2] + value[5] + value[6] + value[7];
  out->total_ticks = out->busy_ticks + value[3] + value[4];
  return TRUE;
}

static guint64
meminfo_value (const char *text,
               const char *key)
{
  const char *line = strstr (text, key);

  return line != NULL ? g_ascii_strtoull (line + strlen (key), NULL, 10) : 0;
}

gboolean
hv_proc_stats_parse_meminfo (const char  *text,
                             HvHostStats *out)
{
  out->mem_total_kib = meminfo_value (text, "MemTotal:");
  out->mem_available_kib = meminfo_value (text, "MemAvailable:");
  return out->mem_total_kib > 0;
}

gboolean
hv_proc_stats_parse_loadavg (const char  *text,
                             HvHostStats *out)
{
  const char *p = text;
  char *end;

  for (guint i = 0; i < 3; i++)
    {
      out->load[i] = g_ascii_strtod (p, &end);
      if (end == p)
        return FALSE;
      p = end;
    }
  return TRUE;
}

gboolean
hv_proc_stats_read_host (HvHostStats *out)
{
  char text[SMALL_FILE_SIZE];

  memset (out, 0, sizeof *out);
  return read_small_file ("/proc/stat", text, sizeof text) &&
         hv_proc_stats_parse_host_cpu (text, out) &&
         read_small_file ("/proc/meminfo", text, sizeof text) &&
         hv_proc_stats_parse_meminfo (text, out) &&
         read_small_file ("/proc/loadavg", text, sizeof text) &&
         hv_proc_stats_parse_loadavg (text, out);
}

guint64
hv_host_stats_busy_ns (const HvHostStats *stats)
{
  return ticks_to_ns (stats->busy_ticks);
}

static gboolean
read_counter (const char *device,
              const char *name,
              guint64    *out)
{
  char path[128];
  char text[32];

  g_snprintf (path, sizeof path, "/sys/class/net/%s/statistics/%s", device, name);
  if (!read_small_file (path, text, sizeof text))
    return FALSE;
  *out = g_ascii_strtoull (text, NULL, 10);
  return TRUE;
}

gboolean
hv_proc_stats_read_net_device (const char *device,
                               guint64    *rx_bytes,
                               guint64    *tx_bytes)
{
  return read_counter (device, "rx_bytes", rx_bytes) && read_counter (device, "tx_bytes", tx_bytes);
}
