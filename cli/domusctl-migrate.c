/* SPDX-License-Identifier: GPL-3.0-or-later */
/* domusctl migrate, and start --on: moving a domain to another host (docs/migration.md). */

#include "config.h"

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <glib/gi18n.h>
#include <glib-unix.h>

#include "domus-connection.h"
#include "domus-migration.h"
#include "domusctl-client.h"
#include "domusctl.h"

#define MIB (1024.0 * 1024.0)

typedef struct {
  DomusMigration *migration;
  GCancellable   *cancellable;
  gboolean        done;
  gboolean        ok;
  GError         *error;
  gboolean        tty;            /* draw the progress line */
  gboolean        line_shown;     /* a progress line is on the screen */
  gboolean        cancel_told;
} Migrate;

static void
clear_line (Migrate *migrate)
{
  if (!migrate->line_shown)
    return;
  fputs ("\r\033[K", stdout);
  fflush (stdout);
  migrate->line_shown = FALSE;
}

static void
show_line (Migrate    *migrate,
           const char *text)
{
  struct winsize size = { 0 };
  g_autofree char *cut = NULL;

  if (!migrate->tty)
    return;
  /* A line longer than the terminal wraps, and \r then rewrites only its last row. */
  if (ioctl (STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 1 &&
      g_utf8_strlen (text, -1) >= size.ws_col)
    text = cut = g_utf8_substring (text, 0, size.ws_col - 1);
  fputs ("\r\033[K", stdout);
  fputs (text, stdout);
  fflush (stdout);
  migrate->line_shown = TRUE;
}

static void
on_progress (DomusMigration               *migration,
             const DomusMigrationProgress *progress,
             gpointer                      user_data)
{
  Migrate *migrate = user_data;
  g_autofree char *text = NULL;

  if (!migrate->tty || migrate->cancel_told)
    return;
  /* Short enough for 80 columns: the line is cut at the terminal's width. */
  if (g_strcmp0 (progress->phase, "mirror") == 0)
    text = g_strdup_printf (_("copying disks: %.0f MiB left"), progress->disk_remaining_bytes / MIB);
  else if (g_strcmp0 (progress->phase, "setup") == 0)
    text = g_strdup (_("setting up the stream"));
  else if (g_strcmp0 (progress->phase, "completed") == 0)
    text = g_strdup_printf (_("memory sent (%.0f MiB)"), progress->transferred_bytes / MIB);
  else
    {
      guint percent = 0;

      if (progress->total_bytes > 0 && progress->remaining_bytes <= progress->total_bytes)
        percent = (guint) (100 * (progress->total_bytes - progress->remaining_bytes) / progress->total_bytes);
      if (g_strcmp0 (progress->phase, "postcopy") == 0)
        text = g_strdup_printf (_("post-copy %u%% (%.0f MiB left), %.0f Mbit/s; the guest runs on the target"),
                                percent, progress->remaining_bytes / MIB, progress->mbps);
      else
        text = g_strdup_printf (_("%u%% sent (%.0f MiB, %.0f MiB left), %.0f Mbit/s, dirty %.1f MiB/s, "
                                  "downtime ~%" PRIu64 " ms"),
                                percent, progress->transferred_bytes / MIB, progress->remaining_bytes / MIB,
                                progress->mbps, progress->dirty_rate_bytes_per_s / MIB,
                                progress->expected_downtime_ms);
    }
  show_line (migrate, text);
}

static void
on_stage (GObject    *object,
          GParamSpec *pspec,
          gpointer    user_data)
{
  Migrate *migrate = user_data;
  DomusMigrationStage stage = domus_migration_get_stage (migrate->migration);

  if (migrate->cancel_told && stage != DOMUS_MIGRATION_STAGE_ROLLING_BACK)
    return;
  switch (stage)
    {
    case DOMUS_MIGRATION_STAGE_CHECKING:
      show_line (migrate, _("reading the domain"));
      break;
    case DOMUS_MIGRATION_STAGE_PREPARING:
      show_line (migrate, _("the target prepares"));
      break;
    case DOMUS_MIGRATION_STAGE_FINISHING:
      show_line (migrate, _("the target takes the domain over"));
      break;
    case DOMUS_MIGRATION_STAGE_ROLLING_BACK:
      show_line (migrate, _("rolling back: the domain stays on the source"));
      break;
    default:
      break;
    }
}

static gboolean
on_signal (gpointer user_data)
{
  Migrate *migrate = user_data;

  if (!migrate->cancel_told)
    {
      clear_line (migrate);
      /* On a terminal the person sees why it takes a moment; scripts get only the error. */
      if (migrate->tty)
        g_printerr (_("domusctl: cancelling; the domain stays on the source\n"));
      migrate->cancel_told = TRUE;
    }
  g_cancellable_cancel (migrate->cancellable);
  return G_SOURCE_CONTINUE;
}

static void
on_run_done (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  Migrate *migrate = user_data;

  migrate->ok = domus_migration_run_finish (DOMUS_MIGRATION (object), result, &migrate->error);
  migrate->done = TRUE;
}

static void
on_check_done (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  Migrate *migrate = user_data;
  GPtrArray **checks = g_object_get_data (object, "checks");

  *checks = domus_migration_check_finish (DOMUS_MIGRATION (object), result, &migrate->error);
  migrate->ok = *checks != NULL;
  migrate->done = TRUE;
}

static void
on_start_on_done (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  Migrate *migrate = user_data;

  migrate->ok = domus_migration_start_on_finish (DOMUS_MIGRATION (object), result, &migrate->error);
  migrate->done = TRUE;
}

/* Runs the default main context until the migration ends; SIGINT, SIGTERM and SIGHUP cancel it. */
static void
run_until_done (Migrate *migrate)
{
  guint signal_ids[3];

  signal_ids[0] = g_unix_signal_add (SIGINT, on_signal, migrate);
  signal_ids[1] = g_unix_signal_add (SIGTERM, on_signal, migrate);
  signal_ids[2] = g_unix_signal_add (SIGHUP, on_signal, migrate);
  while (!migrate->done)
    g_main_context_iteration (NULL, TRUE);
  for (gsize i = 0; i < G_N_ELEMENTS (signal_ids); i++)
    g_source_remove (signal_ids[i]);
  clear_line (migrate);
}

/* Opens both ends; the source is --connect's host. */
static gboolean
open_both (DomusctlGlobals  *globals,
           const char       *target_uri,
           DomusctlClient  **source,
           DomusctlClient  **target,
           GError          **error)
{
  g_autofree char *source_uri = domus_connection_expand_uri (globals->connect_uri);
  g_autofree char *expanded_target = domus_connection_expand_uri (target_uri);

  if (g_strcmp0 (source_uri, expanded_target) == 0)
    {
      g_set_error (error, DOMUS_ERROR, DOMUS_ERROR_INVALID_URI,
                   _("the target %s is the source itself"), expanded_target);
      return FALSE;
    }
  *source = domusctl_client_open (globals->connect_uri, error);
  if (*source == NULL)
    return FALSE;
  *target = domusctl_client_open (target_uri, error);
  if (*target == NULL)
    return FALSE;
  return TRUE;
}

static int
finish_failure (Migrate *migrate)
{
  int status = g_error_matches (migrate->error, DOMUS_ERROR, DOMUS_ERROR_MIGRATION_CANCELLED) ? 130 : 1;

  domusctl_fail_error (migrate->error);
  return status;
}

int
domusctl_verb_migrate (DomusctlGlobals *globals,
                       int              argc,
                       char           **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DomusctlClient) source = NULL;
  g_autoptr(DomusctlClient) target = NULL;
  g_autoptr(DomusMigration) migration = NULL;
  g_autoptr(GCancellable) cancellable = NULL;
  gboolean live = FALSE;
  gboolean copy_storage = FALSE;
  gboolean postcopy = FALSE;
  gboolean verbose = FALSE;
  gboolean check_only = FALSE;
  gboolean encrypt = FALSE;
  int bandwidth = 0;
  int downtime = 10;
  gint64 start_us = g_get_monotonic_time ();
  Migrate migrate = { 0 };
  int status;
  const GOptionEntry entries[] = {
    { "live", 'l', 0, G_OPTION_ARG_NONE, &live,
      N_("Keep the guest running while its memory is sent (without it, the guest is paused first)"), NULL },
    { "copy-storage", 's', 0, G_OPTION_ARG_NONE, &copy_storage,
      N_("Copy disks the target does not see at the same path into its image store"), NULL },
    { "bandwidth", 'b', 0, G_OPTION_ARG_INT, &bandwidth,
      N_("Send at most this many MiB per second (default: as fast as the link goes)"), N_("MIB_PER_S") },
    { "downtime", 0, 0, G_OPTION_ARG_INT, &downtime,
      N_("The longest final pause to plan for, in milliseconds (default: 10)"), N_("MS") },
    { "postcopy", 0, 0, G_OPTION_ARG_NONE, &postcopy,
      N_("Let a guest that writes memory faster than the link carries finish in post-copy"), NULL },
    { "encrypt", 0, 0, G_OPTION_ARG_NONE, &encrypt,
      N_("Send the memory and disk copies over TLS also to a target on loopback (always done to any other address)"), NULL },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose,
      N_("Also print QEMU's own figures for the stream on standard error"), NULL },
    { "check", 0, 0, G_OPTION_ARG_NONE, &check_only,
      N_("Only show the target's checks (memory, name, disks, CPU, devices); move nothing"), NULL },
    { NULL }
  };

  context = g_option_context_new (_("NAME TARGET_URI"));
  g_option_context_set_summary (context,
                                _("Move a running domain to another host, as xm migrate does. "
                                  "TARGET_URI is an address as for --connect (local, unix:PATH, ssh://…). "
                                  "The last line says: downtime N ms, total N ms, transferred N MiB. "
                                  "Ctrl-C cancels; the domain then stays on this host."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!domusctl_parse_options (context, &argc, &argv))
    return 2;
  if (argc != 3)
    return domusctl_usage_error (_("%s needs a domain name and a target address"), "migrate");
  if (bandwidth < 0)
    return domusctl_usage_error (_("--bandwidth must be 0 or more"));
  if (downtime < 1 || downtime > 60000)
    return domusctl_usage_error (_("--downtime must be between 1 and 60000"));

  if (!open_both (globals, argv[2], &source, &target, &error))
    return domusctl_fail_error (error);

  migration = domus_migration_new (domusctl_client_get_host (source),
                                   domusctl_client_get_host (target), argv[1]);
  domus_migration_set_live (migration, live);
  domus_migration_set_copy_storage (migration, copy_storage);
  domus_migration_set_postcopy (migration, postcopy);
  domus_migration_set_bandwidth_mib (migration, (guint) bandwidth);
  domus_migration_set_downtime_limit_ms (migration, (guint) downtime);
  domus_migration_set_encrypt (migration, encrypt);

  cancellable = g_cancellable_new ();
  migrate.migration = migration;
  migrate.cancellable = cancellable;
  migrate.tty = isatty (STDOUT_FILENO);
  g_signal_connect (migration, "progress", G_CALLBACK (on_progress), &migrate);
  g_signal_connect (migration, "notify::stage", G_CALLBACK (on_stage), &migrate);

  if (check_only)
    {
      g_autoptr(GPtrArray) checks = NULL;
      gboolean all_ok = TRUE;

      g_object_set_data (G_OBJECT (migration), "checks", &checks);
      domus_migration_check_async (migration, cancellable, on_check_done, &migrate);
      run_until_done (&migrate);
      if (!migrate.ok)
        {
          status = finish_failure (&migrate);
          g_clear_error (&migrate.error);
          return status;
        }
      /* One line per check: "ok ID: MESSAGE" or "FAILED ID: MESSAGE"; ok/FAILED stay English for scripts. */
      for (guint i = 0; i < checks->len; i++)
        {
          DomusMigrationCheck *check = g_ptr_array_index (checks, i);

          g_print ("%-6s %s: %s\n", check->ok ? "ok" : "FAILED", check->id, check->message);
          all_ok &= check->ok;
        }
      return all_ok ? 0 : 1;
    }

  domus_migration_run_async (migration, cancellable, on_run_done, &migrate);
  run_until_done (&migrate);
  g_signal_handlers_disconnect_by_data (migration, &migrate);

  if (!migrate.ok)
    status = finish_failure (&migrate);
  else
    {
      guint64 total_ms = (g_get_monotonic_time () - start_us) / 1000;
      guint64 mib = (domus_migration_get_transferred_bytes (migration) + (1 << 19)) >> 20;

      /* The cost of a guest that wrote faster than the link carried: always worth saying. */
      if (domus_migration_get_postcopy_used (migration))
        g_printerr (_("domusctl: the guest dirtied %.1f MiB/s; it finished in post-copy\n"),
                    domus_migration_get_dirty_rate (migration) / MIB);
      else if (domus_migration_get_throttle_pct (migration) > 0)
        g_printerr (_("domusctl: the guest dirtied %.1f MiB/s; auto-converge slowed its vCPUs by %u%% to finish\n"),
                    domus_migration_get_dirty_rate (migration) / MIB,
                    domus_migration_get_throttle_pct (migration));
      /* Not translated either: the benchmark reads it, and its words are QEMU's fields. */
      if (verbose)
        g_printerr ("domusctl: QEMU: total %" PRIu64 " ms, setup %" PRIu64 " ms, downtime %" PRIu64 " ms, "
                    "%" PRIu64 " bytes, dirty rate %.1f MiB/s, throttle %u%%, post-copy %s; "
                    "prepare to confirm %" PRIu64 " ms\n",
                    domus_migration_get_migration_ms (migration), domus_migration_get_setup_ms (migration),
                    domus_migration_get_downtime_ms (migration), domus_migration_get_transferred_bytes (migration),
                    domus_migration_get_dirty_rate (migration) / MIB, domus_migration_get_throttle_pct (migration),
                    domus_migration_get_postcopy_used (migration) ? "yes" : "no",
                    domus_migration_get_total_ms (migration));
      if (verbose && g_strcmp0 (domus_host_get_kind (domus_migration_get_source (migration)), "libvirt") == 0)
        g_printerr (domus_migration_get_encrypted (migration)
                    ? _("domusctl: the memory and disk copies went over QEMU’s TLS, with the hosts’ certificates\n")
                    : _("domusctl: the memory and disk copies went in clear (--encrypt encrypts, with the hosts’ TLS certificates)\n"));
      else if (verbose)
        g_printerr (domus_migration_get_encrypted (migration)
                    ? _("domusctl: the memory and disk copies went over TLS, with a key made for this migration\n")
                    : _("domusctl: the memory and disk copies went in clear (a loopback target; --encrypt encrypts)\n"));
      /* Not translated: scripts and the benchmarks read this line. */
      g_print ("downtime %" PRIu64 " ms, total %" PRIu64 " ms, transferred %" PRIu64 " MiB\n",
               domus_migration_get_downtime_ms (migration), total_ms, mib);
      status = 0;
    }
  g_clear_error (&migrate.error);
  return status;
}

int
domusctl_start_on (DomusctlGlobals *globals,
                   const char      *target_uri,
                   const char      *name)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DomusctlClient) source = NULL;
  g_autoptr(DomusctlClient) target = NULL;
  g_autoptr(DomusMigration) migration = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  Migrate migrate = { 0 };
  int status;

  if (!open_both (globals, target_uri, &source, &target, &error))
    return domusctl_fail_error (error);
  migration = domus_migration_new (domusctl_client_get_host (source),
                                   domusctl_client_get_host (target), name);
  migrate.migration = migration;
  migrate.cancellable = cancellable;
  domus_migration_start_on_async (migration, cancellable, on_start_on_done, &migrate);
  run_until_done (&migrate);

  if (!migrate.ok)
    status = finish_failure (&migrate);
  else
    {
      g_print (_("Started domain %s on %s (id=%" PRId64 ")\n"), name,
               domusctl_client_get_uri (target), domus_migration_get_target_id (migration));
      status = 0;
    }
  g_clear_error (&migrate.error);
  return status;
}
