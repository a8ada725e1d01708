/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The libvirt pieces at scale, for bench/libvirt-scale.py: opens every test:/// URI given
 * at once, lists each host's domains, then makes every domain of every host pause and
 * resume (two lifecycle events each), refreshing the domain on each event as a host's
 * model would. A 5 ms timer on the main loop measures how late the loop ever runs.
 * Prints one line of key=value figures.
 */

#include <stdio.h>
#include <string.h>

#include "domus-libvirt.h"
#include "domus-libvirt-connection.h"
#include "domus-libvirt-domains.h"

#define TICK_US 5000

typedef struct {
  gint64 last_us;
  gint64 worst_us;
} Stall;

static gboolean
on_tick (gpointer user_data)
{
  Stall *stall = user_data;
  gint64 now = g_get_monotonic_time ();

  if (stall->last_us > 0)
    stall->worst_us = MAX (stall->worst_us, now - stall->last_us - TICK_US);
  stall->last_us = now;
  return G_SOURCE_CONTINUE;
}

typedef struct {
  guint      hosts_listed;
  guint      domains_listed;
  guint      events;
  guint      refreshed;
  guint      actions_done;
  GPtrArray *connections;
  GPtrArray *names;         /* per connection: GPtrArray of names */
} Bench;

static Bench bench;

static void
on_refreshed (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(DomusLibvirtDomainInfo) info =
    domus_libvirt_get_domain_finish (DOMUS_LIBVIRT_CONNECTION (source), result, NULL);

  if (info != NULL)
    bench.refreshed++;
}

static void
on_domain_event (DomusLibvirtConnection *connection,
                 const char             *uuid,
                 const char             *name,
                 int                     kind,
                 int                     event,
                 int                     detail,
                 gpointer                user_data)
{
  bench.events++;
  domus_libvirt_get_domain_async (connection, name, NULL, on_refreshed, NULL);
}

static void
on_listed (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *names = user_data;
  g_autoptr(GPtrArray) infos =
    domus_libvirt_list_domains_finish (DOMUS_LIBVIRT_CONNECTION (source), result, &error);

  if (infos == NULL)
    g_error ("list: %s", error->message);
  for (guint i = 0; i < infos->len; i++)
    g_ptr_array_add (names, g_strdup (((DomusLibvirtDomainInfo *) g_ptr_array_index (infos, i))->name));
  bench.domains_listed += infos->len;
  bench.hosts_listed++;
}

static void
on_opened (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  DomusLibvirtConnection *connection = domus_libvirt_connection_open_finish (result, &error);
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);

  if (connection == NULL)
    g_error ("open: %s", error->message);
  g_ptr_array_add (bench.connections, connection);
  g_ptr_array_add (bench.names, names);
  g_signal_connect (connection, "domain-event", G_CALLBACK (on_domain_event), NULL);
  domus_libvirt_list_domains_async (connection, NULL, on_listed, names);
}

static void
on_action (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!domus_libvirt_domain_action_finish (DOMUS_LIBVIRT_CONNECTION (source), result, &error))
    g_error ("action: %s", error->message);
  bench.actions_done++;
}

static gboolean idle_over;

static gboolean
on_idle_over (gpointer data)
{
  idle_over = TRUE;
  return G_SOURCE_REMOVE;
}

static gboolean done_idling (void) { return idle_over; }

static void
run_until (gboolean (*done) (void))
{
  while (!done ())
    g_main_context_iteration (NULL, TRUE);
}

static guint wanted_hosts;
static guint wanted_events;

static gboolean all_listed (void) { return bench.hosts_listed == wanted_hosts; }
static gboolean all_events (void) { return bench.events >= wanted_events && bench.refreshed >= wanted_events; }

static long
rss_kib (void)
{
  g_autofree char *status = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return -1;
  line = strstr (status, "VmRSS:");
  return line != NULL ? strtol (line + 6, NULL, 10) : -1;
}

int
main (int   argc,
      char *argv[])
{
  Stall stall = { 0 };
  gint64 start, listed, flowed;
  long rss_before;
  guint listing_stall_ms;
  guint actions = 0;
  double idle_stall_ms;

  if (argc < 2)
    {
      fprintf (stderr, "usage: bench-libvirt test:///NODE.xml…\n");
      return 2;
    }
  domus_libvirt_init ();
  g_main_context_acquire (NULL);
  rss_before = rss_kib ();
  bench.connections = g_ptr_array_new_with_free_func (g_object_unref);
  bench.names = g_ptr_array_new_with_free_func ((GDestroyNotify) g_ptr_array_unref);
  wanted_hosts = (guint) argc - 1;
  g_timeout_add (TICK_US / 1000, on_tick, &stall);

  /* The baseline: the same loop with nothing to do, for as long as the listing takes
   * at most, shows what the machine itself (other processes) costs in stalls. */
  g_timeout_add (2000, on_idle_over, NULL);
  run_until (done_idling);
  idle_stall_ms = stall.worst_us / 1000.0;
  stall.worst_us = 0;

  start = g_get_monotonic_time ();
  for (int i = 1; i < argc; i++)
    domus_libvirt_connection_open_async (argv[i], NULL, NULL, NULL, on_opened, NULL);
  run_until (all_listed);
  listed = g_get_monotonic_time ();
  listing_stall_ms = (guint) (stall.worst_us / 1000);

  stall.worst_us = 0;
  for (guint c = 0; c < bench.connections->len; c++)
    {
      GPtrArray *names = g_ptr_array_index (bench.names, c);

      for (guint d = 0; d < names->len; d++)
        {
          domus_libvirt_domain_action_async (g_ptr_array_index (bench.connections, c), g_ptr_array_index (names, d),
                                             DOMUS_LIBVIRT_ACTION_PAUSE, NULL, on_action, NULL);
          domus_libvirt_domain_action_async (g_ptr_array_index (bench.connections, c), g_ptr_array_index (names, d),
                                             DOMUS_LIBVIRT_ACTION_RESUME, NULL, on_action, NULL);
          actions += 2;
        }
    }
  wanted_events = actions;
  run_until (all_events);
  flowed = g_get_monotonic_time ();

  printf ("idle_worst_stall_ms=%.1f hosts=%u domains=%u list_ms=%.1f list_worst_stall_ms=%u events=%u events_ms=%.1f "
          "events_worst_stall_ms=%.1f rss_mib=%.1f rss_growth_mib=%.1f\n",
          idle_stall_ms, wanted_hosts, bench.domains_listed, (listed - start) / 1000.0, listing_stall_ms, bench.events,
          (flowed - listed) / 1000.0, stall.worst_us / 1000.0, rss_kib () / 1024.0,
          (rss_kib () - rss_before) / 1024.0);
  g_ptr_array_unref (bench.names);
  g_ptr_array_unref (bench.connections);
  return 0;
}
