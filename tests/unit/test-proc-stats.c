/* SPDX-License-Identifier: GPL-3.0-or-later */
/* /proc and /sys readers: fixed texts for the parsers, and this process for the readers. */

#include <unistd.h>
#include <glib.h>

#include "hv-proc-stats.h"

static void
test_stat_line (void)
{
  /* A name with spaces and parentheses, negative priority and nice, as QEMU's -name can make. */
  const char *text =
    "4242 (qemu (x) y) S 1 4242 4242 0 -1 4194624 5000 0 0 0 300 200 0 0 -20 -5 3 0 "
    "987654 1234567890 2560 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 1 0 0 0 0 0\n";
  HvProcessStats stats;
  long ticks = sysconf (_SC_CLK_TCK);

  g_assert_true (hv_proc_stats_parse_stat (text, &stats));
  g_assert_cmpint (stats.state, ==, 'S');
  g_assert_cmpint (stats.ppid, ==, 1);
  g_assert_cmpuint (stats.cpu_time_ns, ==, (guint64) 500 * (1000000000 / ticks));
  g_assert_cmpuint (stats.start_ticks, ==, 987654);
  g_assert_cmpuint (stats.rss_bytes, ==, (guint64) 2560 * (guint64) sysconf (_SC_PAGESIZE));
}

static void
test_stat_malformed (void)
{
  HvProcessStats stats;

  g_assert_false (hv_proc_stats_parse_stat ("", &stats));
  g_assert_false (hv_proc_stats_parse_stat ("4242 (no closing S 1 2", &stats));
  g_assert_false (hv_proc_stats_parse_stat ("4242 (short) S 1 2 3", &stats));
  g_assert_false (hv_proc_stats_parse_stat ("4242 (no state)", &stats));
  g_assert_false (hv_proc_stats_parse_stat ("4242 (no space)S 1 2", &stats));
  /* Enough fields, but words where numbers belong: not a stat line. */
  g_assert_false (hv_proc_stats_parse_stat ("4242 (x) S 1 4242 4242 0 -1 4194624 5000 0 0 0 three hundred "
                                            "0 0 20 0 3 0 987654 1234567890 2560 18446744073709551615\n",
                                            &stats));
  g_assert_false (hv_proc_stats_parse_stat ("4242 (x) S 1 4242 4242 0 -1 4194624 5000 0 0 0 300 200 "
                                            "0 0 20 0 3 0 987654 1234567890 25x0 18446744073709551615\n",
                                            &stats));
}

/* A name that looks like the fields after it: only the last ')' ends it. */
static void
test_stat_tricky_name (void)
{
  const char *text =
    "77 (a) R 99 ) S 5 77 77 0 -1 0 0 0 0 0 7 3 0 0 -2 0 1 0 4321 0 11 0\n";
  HvProcessStats stats;

  g_assert_true (hv_proc_stats_parse_stat (text, &stats));
  g_assert_cmpint (stats.state, ==, 'S');
  g_assert_cmpint (stats.ppid, ==, 5);
  g_assert_cmpuint (stats.cpu_time_ns, ==, (guint64) 10 * (1000000000 / sysconf (_SC_CLK_TCK)));
  g_assert_cmpuint (stats.start_ticks, ==, 4321);
  g_assert_cmpuint (stats.rss_bytes, ==, (guint64) 11 * (guint64) sysconf (_SC_PAGESIZE));
}

static void
test_host_texts (void)
{
  HvHostStats host = { 0 };

  g_assert_true (hv_proc_stats_parse_host_cpu ("cpu  100 10 50 1000 40 5 5 2 0 0\ncpu0 1 2 3\n", &host));
  /* Busy: user nice system irq softirq steal; idle and iowait on top for the total. */
  g_assert_cmpuint (host.busy_ticks, ==, 100 + 10 + 50 + 5 + 5 + 2);
  g_assert_cmpuint (host.total_ticks, ==, host.busy_ticks + 1000 + 40);
  g_assert_false (hv_proc_stats_parse_host_cpu ("intr 1 2 3\n", &host));
  g_assert_false (hv_proc_stats_parse_host_cpu ("cpu0 1 2 3 4 5 6 7 8\n", &host));
  g_assert_false (hv_proc_stats_parse_host_cpu ("cpu  \ncpu0 1 2 3 4\n", &host));
  g_assert_false (hv_proc_stats_parse_host_cpu ("cpu  1 2 x\n", &host));
  /* An old kernel's four fields: no iowait, irq, softirq or steal. */
  g_assert_true (hv_proc_stats_parse_host_cpu ("cpu 10 20 30 40\n", &host));
  g_assert_cmpuint (host.busy_ticks, ==, 60);
  g_assert_cmpuint (host.total_ticks, ==, 100);

  g_assert_true (hv_proc_stats_parse_meminfo ("MemTotal:       24683540 kB\nMemFree:  100 kB\n"
                                              "MemAvailable:   23000000 kB\n", &host));
  g_assert_cmpuint (host.mem_total_kib, ==, 24683540);
  g_assert_cmpuint (host.mem_available_kib, ==, 23000000);
  g_assert_false (hv_proc_stats_parse_meminfo ("nothing here\n", &host));

  g_assert_true (hv_proc_stats_parse_loadavg ("0.50 0.25 1.75 2/345 6789\n", &host));
  g_assert_cmpfloat_with_epsilon (host.load[0], 0.50, 1e-9);
  g_assert_cmpfloat_with_epsilon (host.load[1], 0.25, 1e-9);
  g_assert_cmpfloat_with_epsilon (host.load[2], 1.75, 1e-9);
  g_assert_false (hv_proc_stats_parse_loadavg ("x", &host));
}

static void
test_real_reads (void)
{
  HvProcessStats stats;
  HvHostStats host;
  guint64 rx, tx;

  g_assert_true (hv_proc_stats_read_process (getpid (), &stats));
  g_assert_cmpint (stats.state, ==, 'R');
  g_assert_cmpint (stats.ppid, ==, getppid ());
  g_assert_cmpuint (stats.rss_bytes, >, 0);
  g_assert_cmpuint (stats.start_ticks, >, 0);
  /* A pid beyond the kernel's limit never exists. */
  g_assert_false (hv_proc_stats_read_process (G_MAXINT, &stats));

  g_assert_true (hv_proc_stats_read_host (&host));
  g_assert_cmpuint (host.mem_total_kib, >, 0);
  g_assert_cmpuint (host.total_ticks, >=, host.busy_ticks);
  g_assert_cmpuint (hv_host_stats_busy_ns (&host), >, 0);

  g_assert_true (hv_proc_stats_read_net_device ("lo", &rx, &tx));
  g_assert_false (hv_proc_stats_read_net_device ("no-such-device", &rx, &tx));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/proc-stats/stat-line", test_stat_line);
  g_test_add_func ("/proc-stats/stat-malformed", test_stat_malformed);
  g_test_add_func ("/proc-stats/stat-tricky-name", test_stat_tricky_name);
  g_test_add_func ("/proc-stats/host-texts", test_host_texts);
  g_test_add_func ("/proc-stats/real-reads", test_real_reads);
  return g_test_run ();
}
