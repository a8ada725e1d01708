/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The `domus` program: one instance per session, the hosts it shows, its window. */

#include "config.h"

#include <time.h>

#include <glib/gi18n.h>

#include "domus-application.h"
#include "domus-accessibility.h"
#include "domus-interaction.h"
#include "domus-window.h"

/* The settings key holding the servers added in the window (an "as" of URIs). */
#define SETTINGS_SERVERS "servers"

struct _DomusApplication
{
  GtkApplication    parent_instance;

  GListStore       *hosts;        /* DomusHost, in the order they were added */
  GSettings        *settings;     /* NULL when the schema is not installed */
  DomusInteraction *interaction;  /* answers every host's SSH prompts */
  /* The session bus's notification servers (their bus-name watches), and which are there. */
  guint             notifier_watch[2];
  gboolean          notifier_present[2];

  /* DOMUS_REPORT_STALLS=PATH only (bench/gui-window.py, docs/gui.md "Measuring"). */
  char             *stall_path;
  guint             stall_source;
  gint64            stall_last_us;  /* monotonic time the meter last ran */
  gint64            stall_last_cpu_us; /* the main thread's CPU time then */
  gint64            stall_worst_us;
  gint64            stall_worst_busy_us;
  guint64           stall_ticks;
  guint             stall_histogram[6];
  GString          *stall_events;   /* "MONOTONIC_US LATENESS_US CPU_US" lines, one per stall
                                       or stretch of work >= 5 ms */
};

G_DEFINE_FINAL_TYPE (DomusApplication, domus_application, GTK_TYPE_APPLICATION)

static const GOptionEntry options[] = {
  { "connect", 'c', G_OPTION_FLAG_NONE, G_OPTION_ARG_STRING_ARRAY, NULL,
    N_("Show the host at URI for this run (local, unix:PATH, ssh://[USER@]HOST[:PORT]); repeatable"),
    N_("URI") },
  { "console", 0, G_OPTION_FLAG_NONE, G_OPTION_ARG_STRING, NULL,
    N_("Open straight onto this domain"), N_("DOMAIN") },
  { NULL }
};

static GListModel *
hosts_model (DomusApplication *self)
{
  return G_LIST_MODEL (self->hosts);
}

GListModel *
domus_application_get_hosts (DomusApplication *self)
{
  g_return_val_if_fail (DOMUS_IS_APPLICATION (self), NULL);

  return hosts_model (self);
}

DomusHost *
domus_application_lookup_host (DomusApplication *self,
                               const char       *uri)
{
  guint n;

  g_return_val_if_fail (DOMUS_IS_APPLICATION (self), NULL);
  g_return_val_if_fail (uri != NULL, NULL);

  n = g_list_model_get_n_items (hosts_model (self));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(DomusHost) host = g_list_model_get_item (hosts_model (self), i);

      if (g_strcmp0 (domus_host_get_uri (host), uri) == 0)
        return host;
    }
  return NULL;
}

/* The servers kept from earlier runs; empty without a schema. */
static GStrv
remembered_servers (DomusApplication *self)
{
  if (self->settings == NULL)
    return g_new0 (char *, 1);
  return g_settings_get_strv (self->settings, SETTINGS_SERVERS);
}

static void
set_remembered (DomusApplication *self,
                const char       *uri,
                gboolean          remembered)
{
  g_auto(GStrv) servers = NULL;
  g_autoptr(GStrvBuilder) builder = NULL;
  g_auto(GStrv) updated = NULL;
  gboolean present;

  if (self->settings == NULL)
    return;
  servers = remembered_servers (self);
  present = g_strv_contains ((const char * const *) servers, uri);
  if (present == remembered)
    return;

  builder = g_strv_builder_new ();
  for (guint i = 0; servers[i] != NULL; i++)
    if (g_strcmp0 (servers[i], uri) != 0)
      g_strv_builder_add (builder, servers[i]);
  if (remembered)
    g_strv_builder_add (builder, uri);
  updated = g_strv_builder_end (builder);
  g_settings_set_strv (self->settings, SETTINGS_SERVERS, (const char * const *) updated);
}

/* Desktop notifications go out only while a notification server owns its name on the
 * session bus (freedesktop's, or GTK's in a GNOME session): without one, GIO's backend
 * warns at each, which under G_DEBUG=fatal-warnings (every test) ends the window. */
static const char * const notifier_names[] = { "org.freedesktop.Notifications", "org.gtk.Notifications" };

static void
notifier_appeared (GDBusConnection *connection,
                   const char      *name,
                   const char      *owner,
                   gpointer         user_data)
{
  DomusApplication *self = user_data;

  for (guint i = 0; i < G_N_ELEMENTS (notifier_names); i++)
    if (g_str_equal (name, notifier_names[i]))
      self->notifier_present[i] = TRUE;
}

static void
notifier_vanished (GDBusConnection *connection,
                   const char      *name,
                   gpointer         user_data)
{
  DomusApplication *self = user_data;

  for (guint i = 0; i < G_N_ELEMENTS (notifier_names); i++)
    if (g_str_equal (name, notifier_names[i]))
      self->notifier_present[i] = FALSE;
}

static void
watch_notifiers (DomusApplication *self)
{
  /* AUTO_START: a notification server the bus starts on demand (a .service file) counts. */
  for (guint i = 0; i < G_N_ELEMENTS (notifier_names); i++)
    self->notifier_watch[i] = g_bus_watch_name (G_BUS_TYPE_SESSION, notifier_names[i],
                                                i == 0 ? G_BUS_NAME_WATCHER_FLAGS_AUTO_START
                                                       : G_BUS_NAME_WATCHER_FLAGS_NONE,
                                                notifier_appeared, notifier_vanished, self, NULL);
}

static void
unwatch_notifiers (DomusApplication *self)
{
  for (guint i = 0; i < G_N_ELEMENTS (notifier_names); i++)
    g_clear_handle_id (&self->notifier_watch[i], g_bus_unwatch_name);
}

/* A new alert of any server: a desktop notification, whether or not the window is in front
 * (urgent for a crash or a lost server: notification servers keep those until seen). Its id
 * is the alert's, so a notification server shows one per alert. */
static void
on_alert_raised (DomusHost        *host,
                 DomusAlert       *alert,
                 DomusApplication *self)
{
  g_autoptr(GNotification) notification = NULL;
  g_autofree char *title = NULL;
  g_autofree char *id = NULL;
  DomusAlertKind kind = domus_alert_get_kind (alert);

  if (!self->notifier_present[0] && !self->notifier_present[1])
    {
      g_debug ("no notification server on the session bus: alert %s shown in the window only",
               domus_alert_get_message (alert));
      return;
    }
  /* Translators: a desktop notification's title; %s is the server. */
  title = g_strdup_printf (_("Alert on %s"), domus_host_get_name (host));
  notification = g_notification_new (title);
  g_notification_set_body (notification, domus_alert_get_message (alert));
  g_notification_set_priority (notification,
                               kind == DOMUS_ALERT_KIND_DOMAIN_CRASHED || kind == DOMUS_ALERT_KIND_HOST_LOST
                               ? G_NOTIFICATION_PRIORITY_URGENT : G_NOTIFICATION_PRIORITY_NORMAL);
  g_notification_set_default_action (notification, "app.show-alerts");
  if (domus_alert_get_local (alert))
    id = g_strdup_printf ("alert-%s-lost-%" G_GINT64_FORMAT, domus_host_get_uri (host),
                          domus_alert_get_time_us (alert));
  else
    id = g_strdup_printf ("alert-%s-%" G_GUINT64_FORMAT, domus_host_get_uri (host),
                          domus_alert_get_id (alert));
  g_application_send_notification (G_APPLICATION (self), id, notification);
}

DomusHost *
domus_application_add_host (DomusApplication *self,
                            const char       *uri,
                            gboolean          remember)
{
  DomusHost *existing;
  g_autoptr(DomusHost) host = NULL;

  g_return_val_if_fail (DOMUS_IS_APPLICATION (self), NULL);
  g_return_val_if_fail (uri != NULL, NULL);

  if (remember)
    set_remembered (self, uri, TRUE);

  existing = domus_application_lookup_host (self, uri);
  if (existing != NULL)
    {
      /* A second --connect of a host that gave up (a refused key, a bad login) tries again. */
      domus_host_connect (existing);
      return existing;
    }

  host = domus_host_new (uri);
  domus_host_set_interaction (host, G_TLS_INTERACTION (self->interaction));
  g_signal_connect_object (host, "alert-raised", G_CALLBACK (on_alert_raised), self, 0);
  g_list_store_append (self->hosts, host);
  domus_host_connect (host);
  return host;
}

void
domus_application_remove_host (DomusApplication *self,
                               DomusHost        *host)
{
  guint position;

  g_return_if_fail (DOMUS_IS_APPLICATION (self));
  g_return_if_fail (DOMUS_IS_HOST (host));

  set_remembered (self, domus_host_get_uri (host), FALSE);
  g_signal_handlers_disconnect_by_func (host, on_alert_raised, self);
  /* An attempt under way holds a reference until it ends: stop it first (domus-host.h). */
  domus_host_disconnect (host);
  if (g_list_store_find (self->hosts, host, &position))
    g_list_store_remove (self->hosts, position);
}

static DomusWindow *
ensure_window (DomusApplication *self)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

  if (window == NULL)
    window = GTK_WINDOW (domus_window_new (self));
  domus_interaction_set_parent (self->interaction, window);
  return DOMUS_WINDOW (window);
}

static int
domus_application_command_line (GApplication            *application,
                                GApplicationCommandLine *command_line)
{
  DomusApplication *self = DOMUS_APPLICATION (application);
  GVariantDict *dict = g_application_command_line_get_options_dict (command_line);
  g_autofree const char **uris = NULL;
  g_autofree char *console = NULL;
  DomusHost *console_host = NULL;
  DomusWindow *window;

  g_variant_dict_lookup (dict, "connect", "^a&s", &uris);
  g_variant_dict_lookup (dict, "console", "s", &console);

  if (uris != NULL)
    for (guint i = 0; uris[i] != NULL; i++)
      {
        DomusHost *host = domus_application_add_host (self, uris[i], FALSE);

        if (console_host == NULL)
          console_host = host;
      }

  /* A first start with nothing configured shows the local session daemon (started by
   * the backend when none answers), so there is something real to look at. */
  if (g_list_model_get_n_items (hosts_model (self)) == 0)
    {
      g_auto(GStrv) servers = remembered_servers (self);

      for (guint i = 0; servers[i] != NULL; i++)
        domus_application_add_host (self, servers[i], FALSE);
      if (servers[0] == NULL)
        domus_application_add_host (self, DOMUS_DEFAULT_URI, FALSE);
    }

  window = ensure_window (self);
  if (console != NULL)
    {
      if (console_host == NULL)
        console_host = g_list_model_get_item (hosts_model (self), 0);
      else
        g_object_ref (console_host);
      domus_window_open_domain (window, console_host, console, TRUE);
      g_object_unref (console_host);
    }
  gtk_window_present (GTK_WINDOW (window));
  return 0;
}

static void
quit_activated (GSimpleAction *action,
                GVariant      *parameter,
                gpointer       user_data)
{
  g_application_quit (G_APPLICATION (user_data));
}

/* A notification's click: the window, on its Alerts page. */
static void
show_alerts_activated (GSimpleAction *action,
                       GVariant      *parameter,
                       gpointer       user_data)
{
  DomusApplication *self = user_data;
  DomusWindow *window = ensure_window (self);

  g_action_group_change_action_state (G_ACTION_GROUP (window), "show-alerts", g_variant_new_boolean (TRUE));
  gtk_window_present (GTK_WINDOW (window));
}

static const GActionEntry app_actions[] = {
  { "quit", quit_activated, NULL, NULL, NULL },
  { "show-alerts", show_alerts_activated, NULL, NULL, NULL },
};

/* Shortcuts for every action that has one; the window's actions act on the selection. */
static const struct {
  const char *action;
  const char *accels[3];
} accels[] = {
  { "app.quit",       { "<Primary>q", NULL } },
  { "win.find",       { "<Primary>f", NULL } },
  { "win.start",      { "<Primary>s", NULL } },
  { "win.shutdown",   { "<Primary>h", NULL } },
  { "win.reboot",     { "<Primary>r", NULL } },
  { "win.pause",      { "<Primary>p", NULL } },
  { "win.resume",     { "<Primary><Shift>p", NULL } },
  { "win.destroy",    { "<Primary>Delete", NULL } },
  { "win.reconnect",  { "F5", NULL } },
  { "win.add-server", { "<Primary>n", NULL } },
  { "win.create-domain", { "<Primary><Shift>n", NULL } },
  { "win.open-console",  { "<Primary>o", NULL } },
  { "win.open-serial",   { "<Primary><Shift>o", NULL } },
  { "win.show-alerts",   { "<Primary><Shift>a", NULL } },
  { "win.close-console", { "<Primary>w", NULL } },
  { "win.group-by-tag",  { "<Primary>g", NULL } },
};

/* The main-loop stall meter. A 10 ms timeout measures how late the main loop runs it:
 * anything that keeps the loop busy (a slow handler, a blocking call, a long redraw)
 * delays the next tick by as much. GLib schedules the next tick 10 ms after this one
 * ran, so the lateness is the time between two ticks less 10 ms. On a loaded machine a
 * tick is late also when the scheduler runs other programs, so each tick also notes the
 * CPU time the main thread used since the previous one: what the window itself did in
 * that stretch, however long others kept it waiting. Off unless the environment asks for
 * it: 100 wake-ups a second cost CPU a user should not pay. */
#define STALL_TICK_MS 10
#define STALL_EVENT_MS 5

/* Upper bounds (ms) of the histogram's buckets; the last bucket takes the rest. */
static const guint stall_bounds_ms[] = { 5, 10, 20, 50, 100 };

static gint64
thread_cpu_us (void)
{
  struct timespec ts;

  if (clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
    return 0;
  return (gint64) ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
}

static gboolean
stall_tick (gpointer user_data)
{
  DomusApplication *self = user_data;
  gint64 now = g_get_monotonic_time ();
  gint64 cpu = thread_cpu_us ();
  gint64 late = MAX (0, now - self->stall_last_us - STALL_TICK_MS * 1000);
  gint64 busy = MAX (0, cpu - self->stall_last_cpu_us);
  guint bucket = 0;

  while (bucket < G_N_ELEMENTS (stall_bounds_ms) && late >= stall_bounds_ms[bucket] * 1000)
    bucket++;
  self->stall_histogram[bucket]++;
  self->stall_ticks++;
  self->stall_worst_us = MAX (self->stall_worst_us, late);
  self->stall_worst_busy_us = MAX (self->stall_worst_busy_us, busy);
  /* With its time, so a reader can leave out start-up or pick a window of the run.
   * Kept in memory until exit: a run of minutes on a loaded machine is a few KiB. */
  if (late >= STALL_EVENT_MS * 1000 || busy >= STALL_EVENT_MS * 1000)
    g_string_append_printf (self->stall_events, "%" G_GINT64_FORMAT " %" G_GINT64_FORMAT " %" G_GINT64_FORMAT "\n",
                            now, late, busy);
  self->stall_last_us = now;
  self->stall_last_cpu_us = cpu;
  return G_SOURCE_CONTINUE;
}

static void
stall_meter_start (DomusApplication *self)
{
  const char *path = g_getenv ("DOMUS_REPORT_STALLS");

  if (path == NULL || *path == '\0')
    return;
  self->stall_path = g_strdup (path);
  self->stall_events = g_string_new (NULL);
  self->stall_last_us = g_get_monotonic_time ();
  self->stall_last_cpu_us = thread_cpu_us ();
  self->stall_source = g_timeout_add (STALL_TICK_MS, stall_tick, self);
}

/* Written once, at exit: the worst lateness and work, the histogram of lateness, then
 * every stall's time (CLOCK_MONOTONIC µs, as Python's time.monotonic()), lateness (µs)
 * and the main thread's CPU time since the tick before (µs). */
static void
stall_meter_write (DomusApplication *self)
{
  g_autoptr(GString) report = NULL;
  g_autoptr(GError) error = NULL;
  guint lower = 0;

  if (self->stall_path == NULL)
    return;
  g_clear_handle_id (&self->stall_source, g_source_remove);

  report = g_string_new (NULL);
  g_string_append_printf (report, "max_stall_ms %.1f\nmax_busy_ms %.1f\nticks %" G_GUINT64_FORMAT "\n",
                          self->stall_worst_us / 1000.0, self->stall_worst_busy_us / 1000.0,
                          self->stall_ticks);
  for (guint i = 0; i < G_N_ELEMENTS (self->stall_histogram); i++)
    {
      if (i < G_N_ELEMENTS (stall_bounds_ms))
        g_string_append_printf (report, "late_ms %u-%u %u\n", lower, stall_bounds_ms[i],
                                self->stall_histogram[i]);
      else
        g_string_append_printf (report, "late_ms %u- %u\n", lower, self->stall_histogram[i]);
      if (i < G_N_ELEMENTS (stall_bounds_ms))
        lower = stall_bounds_ms[i];
    }
  g_string_append_printf (report, "stalls_over_ms %u\n%s", STALL_EVENT_MS, self->stall_events->str);

  if (!g_file_set_contents (self->stall_path, report->str, report->len, &error))
    g_warning (_("Could not write the stall report: %s"), error->message);
  g_clear_pointer (&self->stall_path, g_free);
  g_string_free (g_steal_pointer (&self->stall_events), TRUE);
}

static void
domus_application_startup (GApplication *application)
{
  DomusApplication *self = DOMUS_APPLICATION (application);
  g_autoptr(GtkCssProvider) css = gtk_css_provider_new ();
  GSettingsSchemaSource *source;
  g_autoptr(GSettingsSchema) schema = NULL;

  G_APPLICATION_CLASS (domus_application_parent_class)->startup (application);
  domus_accessibility_init ();

  g_set_application_name (_("Domus"));
  gtk_window_set_default_icon_name (DOMUS_APPLICATION_ID);

  gtk_css_provider_load_from_resource (css, "/org/domus/Domus/ui/style.css");
  gtk_style_context_add_provider_for_screen (gdk_screen_get_default (), GTK_STYLE_PROVIDER (css),
                                             GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);

  g_action_map_add_action_entries (G_ACTION_MAP (self), app_actions, G_N_ELEMENTS (app_actions), self);
  for (guint i = 0; i < G_N_ELEMENTS (accels); i++)
    gtk_application_set_accels_for_action (GTK_APPLICATION (self), accels[i].action, accels[i].accels);

  /* g_settings_new() aborts on a schema that is not installed: without one (a build that
   * was not installed), servers added in the window are kept for this run only. */
  source = g_settings_schema_source_get_default ();
  if (source != NULL)
    schema = g_settings_schema_source_lookup (source, DOMUS_APPLICATION_ID, TRUE);
  if (schema != NULL && g_settings_schema_has_key (schema, SETTINGS_SERVERS))
    self->settings = g_settings_new_full (schema, NULL, NULL);
  else
    g_debug ("no GSettings schema %s: servers are kept for this run only", DOMUS_APPLICATION_ID);

  self->interaction = domus_interaction_new ();
  watch_notifiers (self);
  stall_meter_start (self);
}

static void
domus_application_shutdown (GApplication *application)
{
  DomusApplication *self = DOMUS_APPLICATION (application);
  guint n = g_list_model_get_n_items (hosts_model (self));

  stall_meter_write (self);
  unwatch_notifiers (self);
  /* SSH workers still busy at exit are stopped and awaited by the backend itself
     (domus-ssh-session.c), all at once rather than one host after another here. */
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(DomusHost) host = g_list_model_get_item (hosts_model (self), i);

      domus_host_disconnect (host);
    }
  g_list_store_remove_all (self->hosts);

  G_APPLICATION_CLASS (domus_application_parent_class)->shutdown (application);
}

static void
domus_application_finalize (GObject *object)
{
  DomusApplication *self = DOMUS_APPLICATION (object);

  g_clear_object (&self->hosts);
  g_clear_object (&self->settings);
  g_clear_object (&self->interaction);

  G_OBJECT_CLASS (domus_application_parent_class)->finalize (object);
}

static void
domus_application_class_init (DomusApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->finalize = domus_application_finalize;
  app_class->startup = domus_application_startup;
  app_class->shutdown = domus_application_shutdown;
  app_class->command_line = domus_application_command_line;
}

static void
domus_application_init (DomusApplication *self)
{
  self->hosts = g_list_store_new (DOMUS_TYPE_HOST);
  g_application_add_main_option_entries (G_APPLICATION (self), options);
  g_application_set_option_context_summary (G_APPLICATION (self),
                                            _("Manage QEMU hosts and their domains."));
}

DomusApplication *
domus_application_new (void)
{
  return g_object_new (DOMUS_TYPE_APPLICATION,
                       "application-id", DOMUS_APPLICATION_ID,
                       "flags", G_APPLICATION_HANDLES_COMMAND_LINE,
                       NULL);
}
