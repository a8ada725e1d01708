/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * domusctl monitor: follows a host as the window does (backend/domus-host.c) and
 * prints what happens, one line each: connection state with its reason, domains
 * appearing, changing state and going. Reconnects with backoff when the host drops.
 */

#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <glib/gi18n.h>
#include <glib-unix.h>

#include "domus-host.h"
#include "domusctl-prompt.h"
#include "domusctl.h"

typedef struct {
  DomusHost  *host;
  GMainLoop  *loop;
  GHashTable *watched;   /* DomusDomain* -> handler id */
  gboolean    failed;    /* the host dropped for good: exit 1 */
} Monitor;

/* Lines scripts can read: a time, a word for what happened, then details. */
static void
say (const char *event,
     const char *format,
     ...) G_GNUC_PRINTF (2, 3);

static void
say (const char *event,
     const char *format,
     ...)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *time = g_date_time_format (now, "%H:%M:%S");
  g_autofree char *details = NULL;
  va_list args;

  va_start (args, format);
  details = g_strdup_vprintf (format, args);
  va_end (args);
  g_print ("%s %s %s\n", time, event, details);
  fflush (stdout);
}

static void
say_domain_state (DomusDomain *domain)
{
  gint64 id = domus_domain_get_id (domain);

  if (id >= 0)
    say ("domain", "%s %s id=%" G_GINT64_FORMAT, domus_domain_get_name (domain),
         domus_domain_state_to_string (domus_domain_get_state (domain)), id);
  else
    say ("domain", "%s %s", domus_domain_get_name (domain),
         domus_domain_state_to_string (domus_domain_get_state (domain)));
}

static void
on_domain_state (DomusDomain *domain,
                 GParamSpec  *pspec,
                 gpointer     user_data)
{
  say_domain_state (domain);
}

static void
watch_domains (Monitor *monitor)
{
  GListModel *domains = domus_host_get_domains (monitor->host);
  g_autoptr(GHashTable) present = g_hash_table_new (NULL, NULL);
  GHashTableIter iter;
  gpointer key, value;

  for (guint i = 0; i < g_list_model_get_n_items (domains); i++)
    {
      g_autoptr(DomusDomain) domain = g_list_model_get_item (domains, i);

      g_hash_table_add (present, domain);
      if (g_hash_table_contains (monitor->watched, domain))
        continue;
      say ("added", "%s", domus_domain_get_name (domain));
      say_domain_state (domain);
      g_hash_table_insert (monitor->watched, g_object_ref (domain),
                           GUINT_TO_POINTER (g_signal_connect (domain, "notify::state",
                                                               G_CALLBACK (on_domain_state), NULL)));
    }
  g_hash_table_iter_init (&iter, monitor->watched);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (!g_hash_table_contains (present, key))
      {
        say ("removed", "%s", domus_domain_get_name (key));
        g_signal_handler_disconnect (key, GPOINTER_TO_UINT (value));
        g_object_unref (key);
        g_hash_table_iter_remove (&iter);
      }
}

static void
on_items_changed (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  gpointer    user_data)
{
  watch_domains (user_data);
}

static void
on_host_state (DomusHost  *host,
               GParamSpec *pspec,
               gpointer    user_data)
{
  const GError *error = domus_host_get_error (host);

  switch (domus_host_get_state (host))
    {
    case DOMUS_HOST_STATE_CONNECTED:
      say ("connected", "%s (%u domains)", domus_host_get_name (host),
           g_list_model_get_n_items (domus_host_get_domains (host)));
      break;
    case DOMUS_HOST_STATE_CONNECTING:
      say ("connecting", "%s", domus_host_get_uri (host));
      break;
    case DOMUS_HOST_STATE_DISCONNECTED:
    default:
      say ("disconnected", "%s", error != NULL ? error->message : _("on request"));
      if (error != NULL && domus_host_error_is_permanent (error))
        {
          Monitor *monitor = user_data;

          g_printerr ("domusctl: %s\n", error->message);
          monitor->failed = TRUE;
          g_main_loop_quit (monitor->loop);
        }
      break;
    }
}

static gboolean
on_signal (gpointer user_data)
{
  Monitor *monitor = user_data;

  g_main_loop_quit (monitor->loop);
  return G_SOURCE_CONTINUE;
}

int
domusctl_verb_monitor (DomusctlGlobals *globals,
                       int              argc,
                       char           **argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(GTlsInteraction) prompt = domusctl_prompt_new ();
  g_autoptr(DomusHost) host = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autoptr(GHashTable) watched = NULL;
  int retry_ms = DOMUS_HOST_DEFAULT_RETRY_DELAY_MS;
  Monitor monitor = { 0 };
  guint signal_ids[3];
  GOptionEntry entries[] = {
    { "retry-delay", 0, 0, G_OPTION_ARG_INT, &retry_ms,
      N_("Wait MS before the first retry after the host drops (doubling up to 30 s)"), N_("MS") },
    { NULL }
  };

  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_set_summary (context,
                                _("Follow a host and print, one line each, its connection state "
                                  "(with the reason when it drops) and every domain that appears, "
                                  "changes state or goes. Reconnects by itself; runs until interrupted."));
  if (!domusctl_parse_options (context, &argc, &argv))
    return 2;
  if (argc != 1)
    return domusctl_usage_error (_("monitor takes no arguments besides its options"));
  if (retry_ms < 10 || retry_ms > 60000)
    return domusctl_usage_error (_("--retry-delay takes 10 to 60000 milliseconds, not %d"), retry_ms);

  host = domus_host_new (globals->connect_uri != NULL ? globals->connect_uri : DOMUS_DEFAULT_URI);
  domus_host_set_interaction (host, prompt);
  domus_host_set_retry_delay_ms (host, (guint) retry_ms);
  loop = g_main_loop_new (NULL, FALSE);
  watched = g_hash_table_new (NULL, NULL);
  monitor.host = host;
  monitor.loop = loop;
  monitor.watched = watched;

  g_signal_connect (host, "notify::state", G_CALLBACK (on_host_state), &monitor);
  g_signal_connect (domus_host_get_domains (host), "items-changed", G_CALLBACK (on_items_changed), &monitor);
  signal_ids[0] = g_unix_signal_add (SIGINT, on_signal, &monitor);
  signal_ids[1] = g_unix_signal_add (SIGTERM, on_signal, &monitor);
  signal_ids[2] = g_unix_signal_add (SIGHUP, on_signal, &monitor);

  domus_host_connect (host);
  g_main_loop_run (loop);

  g_signal_handlers_disconnect_by_data (host, &monitor);
  g_signal_handlers_disconnect_by_data (domus_host_get_domains (host), &monitor);
  for (gsize i = 0; i < G_N_ELEMENTS (signal_ids); i++)
    g_source_remove (signal_ids[i]);
  {
    GHashTableIter iter;
    gpointer key, value;

    g_hash_table_iter_init (&iter, watched);
    while (g_hash_table_iter_next (&iter, &key, &value))
      {
        g_signal_handler_disconnect (key, GPOINTER_TO_UINT (value));
        g_object_unref (key);
      }
  }
  /* Read before disconnecting: a disconnect on request clears the host's error. */
  monitor.failed |= domus_host_get_error (host) != NULL
                    && domus_host_error_is_permanent (domus_host_get_error (host));
  domus_host_disconnect (host);
  return monitor.failed ? 1 : 0;
}
