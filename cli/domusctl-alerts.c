/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * domusctl alerts: the alerts a host's daemon keeps (and, while following, a lost
 * connection), acknowledging them, and the rules that raise them. Through DomusHost, as the
 * window sees them.
 */

#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <glib/gi18n.h>
#include <glib-unix.h>
#include <json-glib/json-glib.h>

#include "domus-host.h"
#include "domusctl-prompt.h"
#include "domusctl.h"

typedef struct {
  DomusHost  *host;
  GMainLoop  *loop;
  int         status;
  gboolean    open_only;
  gboolean    json;
  gboolean    follow;
  char      **acknowledge;   /* ids as text */
  gboolean    acknowledge_all;
  gboolean    rules;
  char      **set;           /* KEY=VALUE */
  gboolean    listed;        /* the kept alerts were printed (following: once) */
} Alerts;

/* Lines */

static char *
format_time (gint64 time_us)
{
  g_autoptr(GDateTime) time = g_date_time_new_from_unix_local (time_us / G_USEC_PER_SEC);

  return time != NULL ? g_date_time_format (time, "%Y-%m-%d %H:%M:%S") : g_strdup ("-");
}

/* ID TIME STATE KIND DOMAIN MESSAGE, tab-separated fields would be lost in a terminal:
 * columns, with "-" for what is not there. */
static void
print_alert (DomusAlert *alert)
{
  g_autofree char *time = format_time (domus_alert_get_time_us (alert));
  g_autofree char *id = domus_alert_get_local (alert)
                        ? g_strdup ("-")
                        : g_strdup_printf ("%" G_GUINT64_FORMAT, domus_alert_get_id (alert));
  const char *domain = domus_alert_get_domain_name (alert);

  g_print ("%-5s %s  %-4s %-14s %-12s %s\n", id, time,
           /* Words for scripts, as xm list's flags: not translated. */
           domus_alert_get_acknowledged (alert) ? "ack" : "open",
           domus_alert_kind_to_string (domus_alert_get_kind (alert)),
           domain != NULL ? domain : "-", domus_alert_get_message (alert));
  fflush (stdout);
}

static JsonNode *
alert_to_json (DomusAlert *alert)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "id");
  if (domus_alert_get_local (alert))
    json_builder_add_null_value (builder);
  else
    json_builder_add_int_value (builder, (gint64) domus_alert_get_id (alert));
  json_builder_set_member_name (builder, "time_us");
  json_builder_add_int_value (builder, domus_alert_get_time_us (alert));
  json_builder_set_member_name (builder, "kind");
  json_builder_add_string_value (builder, domus_alert_kind_to_string (domus_alert_get_kind (alert)));
  json_builder_set_member_name (builder, "domain");
  json_builder_add_string_value (builder, domus_alert_get_domain_name (alert));
  json_builder_set_member_name (builder, "message");
  json_builder_add_string_value (builder, domus_alert_get_message (alert));
  json_builder_set_member_name (builder, "acknowledged");
  json_builder_add_boolean_value (builder, domus_alert_get_acknowledged (alert));
  json_builder_set_member_name (builder, "host");
  json_builder_add_string_value (builder, domus_alert_get_host_name (alert));
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

static void
print_json_line (JsonNode *node)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autofree char *text = NULL;

  json_generator_set_root (generator, node);
  text = json_generator_to_data (generator, NULL);
  g_print ("%s\n", text);
  fflush (stdout);
}

/* The kept alerts: a table, a JSON array, or (following) JSON lines as new ones will be. */
static void
print_kept (Alerts *alerts)
{
  GListModel *model = domus_host_get_alerts (alerts->host);
  gboolean array = alerts->json && !alerts->follow;
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_array (builder);
  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(DomusAlert) alert = g_list_model_get_item (model, i);

      if (alerts->open_only && domus_alert_get_acknowledged (alert))
        continue;
      if (array)
        json_builder_add_value (builder, alert_to_json (alert));
      else if (alerts->json)
        {
          g_autoptr(JsonNode) node = alert_to_json (alert);

          print_json_line (node);
        }
      else
        print_alert (alert);
    }
  json_builder_end_array (builder);
  if (array)
    {
      g_autoptr(JsonNode) root = json_builder_get_root (builder);

      print_json_line (root);
    }
}

/* Actions once connected */

static void
done (Alerts *alerts,
      int     status)
{
  alerts->status = status;
  g_main_loop_quit (alerts->loop);
}

static void
on_acknowledged (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Alerts *alerts = user_data;
  g_autoptr(GError) error = NULL;

  if (!domus_host_acknowledge_alerts_finish (DOMUS_HOST (source), result, &error))
    {
      done (alerts, domusctl_fail_error (error));
      return;
    }
  done (alerts, 0);
}

static void
acknowledge (Alerts *alerts)
{
  g_autoptr(GPtrArray) chosen = NULL;

  if (!alerts->acknowledge_all)
    {
      chosen = g_ptr_array_new_with_free_func (g_object_unref);
      for (guint i = 0; alerts->acknowledge[i] != NULL; i++)
        {
          guint64 id = 0;
          DomusAlert *alert = NULL;
          GListModel *model = domus_host_get_alerts (alerts->host);

          g_ascii_string_to_unsigned (alerts->acknowledge[i], 10, 1, G_MAXUINT64, &id, NULL);
          for (guint j = 0; id != 0 && j < g_list_model_get_n_items (model) && alert == NULL; j++)
            {
              g_autoptr(DomusAlert) item = g_list_model_get_item (model, j);

              if (!domus_alert_get_local (item) && domus_alert_get_id (item) == id)
                alert = g_steal_pointer (&item);
            }
          if (alert == NULL)
            {
              done (alerts, domusctl_fail (_("%s keeps no alert %s"), domus_host_get_name (alerts->host),
                                           alerts->acknowledge[i]));
              return;
            }
          g_ptr_array_add (chosen, alert);
        }
    }
  domus_host_acknowledge_alerts_async (alerts->host, chosen, NULL, on_acknowledged, alerts);
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

/* KEY=VALUE lines, by key, so that a script can read them. */
static void
print_rules (GVariant   *rules,
             const char *config_path)
{
  g_autoptr(GVariantDict) dict = g_variant_dict_new (rules);
  g_autoptr(GPtrArray) keys = g_ptr_array_new_with_free_func (g_free);
  GVariantIter iter;
  char *key;

  g_variant_iter_init (&iter, rules);
  while (g_variant_iter_next (&iter, "{sv}", &key, NULL))
    g_ptr_array_add (keys, key);
  g_ptr_array_sort (keys, compare_strings);
  for (guint i = 0; i < keys->len; i++)
    {
      g_autoptr(GVariant) value = NULL;

      key = g_ptr_array_index (keys, i);
      value = g_variant_dict_lookup_value (dict, key, NULL);
      if (g_variant_is_of_type (value, G_VARIANT_TYPE_BOOLEAN))
        g_print ("%s=%s\n", key, g_variant_get_boolean (value) ? "true" : "false");
      else if (g_variant_is_of_type (value, G_VARIANT_TYPE_INT64))
        g_print ("%s=%" G_GINT64_FORMAT "\n", key, g_variant_get_int64 (value));
      else if (g_variant_is_of_type (value, G_VARIANT_TYPE_STRING))
        g_print ("%s=%s\n", key, g_variant_get_string (value, NULL));
    }
  if (config_path != NULL)
    /* Translators: %s is the daemon's config file. */
    g_print (_("# kept in %s\n"), config_path);
}

static void
on_rules (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  Alerts *alerts = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *config_path = NULL;
  g_autoptr(GVariant) rules = NULL;

  if (alerts->set != NULL)
    rules = domus_host_set_alert_rules_finish (DOMUS_HOST (source), result, &error);
  else
    rules = domus_host_get_alert_rules_finish (DOMUS_HOST (source), result, &config_path, &error);
  if (rules == NULL)
    {
      done (alerts, domusctl_fail_error (error));
      return;
    }
  print_rules (rules, config_path);
  done (alerts, 0);
}

/* KEY=VALUE: true/false, a whole number, or anything else as a string (the daemon says
 * what each rule takes). */
static GVariant *
parse_settings (char **settings,
                int   *status)
{
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE_VARDICT);
  for (guint i = 0; settings[i] != NULL; i++)
    {
      const char *equals = strchr (settings[i], '=');
      g_autofree char *key = NULL;
      const char *value;
      gint64 number;

      if (equals == NULL || equals == settings[i])
        {
          g_variant_builder_clear (&builder);
          *status = domusctl_usage_error (_("--set takes KEY=VALUE, not “%s”"), settings[i]);
          return NULL;
        }
      key = g_strndup (settings[i], equals - settings[i]);
      value = equals + 1;
      if (g_str_equal (value, "true") || g_str_equal (value, "false"))
        g_variant_builder_add (&builder, "{sv}", key, g_variant_new_boolean (g_str_equal (value, "true")));
      else if (g_ascii_string_to_signed (value, 10, G_MININT64, G_MAXINT64, &number, NULL))
        g_variant_builder_add (&builder, "{sv}", key, g_variant_new_int64 (number));
      else
        g_variant_builder_add (&builder, "{sv}", key, g_variant_new_string (value));
    }
  return g_variant_builder_end (&builder);
}

static void
act (Alerts *alerts)
{
  if (alerts->acknowledge != NULL || alerts->acknowledge_all)
    {
      acknowledge (alerts);
      return;
    }
  if (alerts->rules || alerts->set != NULL)
    {
      int status = 0;

      if (alerts->set == NULL)
        domus_host_get_alert_rules_async (alerts->host, NULL, on_rules, alerts);
      else
        {
          GVariant *rules = parse_settings (alerts->set, &status);

          if (rules == NULL)
            {
              done (alerts, status);
              return;
            }
          domus_host_set_alert_rules_async (alerts->host, rules, NULL, on_rules, alerts);
        }
      return;
    }
  if (!alerts->listed)
    {
      alerts->listed = TRUE;
      print_kept (alerts);
    }
  if (!alerts->follow)
    done (alerts, 0);
}

/* Following */

static void
on_alert_raised (DomusHost  *host,
                 DomusAlert *alert,
                 gpointer    user_data)
{
  Alerts *alerts = user_data;

  if (!alerts->listed)
    return;
  if (alerts->json)
    {
      g_autoptr(JsonNode) node = alert_to_json (alert);

      print_json_line (node);
    }
  else
    print_alert (alert);
}

static void
on_host_state (DomusHost  *host,
               GParamSpec *pspec,
               gpointer    user_data)
{
  Alerts *alerts = user_data;
  const GError *error = domus_host_get_error (host);

  switch (domus_host_get_state (host))
    {
    case DOMUS_HOST_STATE_CONNECTED:
      act (alerts);
      break;
    case DOMUS_HOST_STATE_DISCONNECTED:
      /* Following, a lost host is an alert of its own (on_alert_raised) and it comes back. */
      if (error != NULL && (!alerts->follow || domus_host_error_is_permanent (error)))
        done (alerts, domusctl_fail_error (error));
      break;
    case DOMUS_HOST_STATE_CONNECTING:
    default:
      break;
    }
}

static gboolean
on_signal (gpointer user_data)
{
  done (user_data, 0);
  return G_SOURCE_CONTINUE;
}

int
domusctl_verb_alerts (DomusctlGlobals *globals,
                      int              argc,
                      char           **argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(GTlsInteraction) prompt = domusctl_prompt_new ();
  g_autoptr(DomusHost) host = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_auto(GStrv) acknowledge = NULL;
  g_auto(GStrv) set = NULL;
  Alerts alerts = { 0 };
  guint signal_ids[3];
  GOptionEntry entries[] = {
    { "open", 0, 0, G_OPTION_ARG_NONE, &alerts.open_only,
      N_("Only the alerts nobody acknowledged"), NULL },
    { "follow", 'f', 0, G_OPTION_ARG_NONE, &alerts.follow,
      N_("Then print each new alert as it comes (and a lost connection), until interrupted"), NULL },
    { "json", 0, 0, G_OPTION_ARG_NONE, &alerts.json,
      N_("JSON: an array, or with --follow one object a line"), NULL },
    { "acknowledge", 'a', 0, G_OPTION_ARG_STRING_ARRAY, &acknowledge,
      N_("Acknowledge the alert of this id (repeat for more)"), N_("ID") },
    { "acknowledge-all", 0, 0, G_OPTION_ARG_NONE, &alerts.acknowledge_all,
      N_("Acknowledge every open alert"), NULL },
    { "rules", 0, 0, G_OPTION_ARG_NONE, &alerts.rules,
      N_("Print the rules that raise alerts, as KEY=VALUE lines"), NULL },
    { "set", 0, 0, G_OPTION_ARG_STRING_ARRAY, &set,
      N_("Change a rule and keep it in the daemon’s config file (repeat for more)"), N_("KEY=VALUE") },
    { NULL }
  };

  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_set_summary (context,
                                _("List the alerts a host keeps: ID, time, open or acknowledged, kind, "
                                  "domain and what happened. --follow then prints each new one, and a "
                                  "lost connection, reconnecting by itself."));
  if (!domusctl_parse_options (context, &argc, &argv))
    return 2;
  if (argc != 1)
    return domusctl_usage_error (_("alerts takes no arguments besides its options"));
  alerts.acknowledge = acknowledge;
  alerts.set = set;
  if ((acknowledge != NULL || alerts.acknowledge_all || alerts.rules || set != NULL) &&
      (alerts.follow || alerts.open_only || alerts.json))
    return domusctl_usage_error (_("--acknowledge, --acknowledge-all, --rules and --set go without "
                                   "--follow, --open and --json"));
  if ((acknowledge != NULL) + alerts.acknowledge_all + (alerts.rules || set != NULL) > 1)
    return domusctl_usage_error (_("choose one of --acknowledge, --acknowledge-all and --rules/--set"));

  host = domus_host_new (globals->connect_uri != NULL ? globals->connect_uri : DOMUS_DEFAULT_URI);
  domus_host_set_interaction (host, prompt);
  loop = g_main_loop_new (NULL, FALSE);
  alerts.host = host;
  alerts.loop = loop;

  g_signal_connect (host, "notify::state", G_CALLBACK (on_host_state), &alerts);
  g_signal_connect (host, "alert-raised", G_CALLBACK (on_alert_raised), &alerts);
  signal_ids[0] = g_unix_signal_add (SIGINT, on_signal, &alerts);
  signal_ids[1] = g_unix_signal_add (SIGTERM, on_signal, &alerts);
  signal_ids[2] = g_unix_signal_add (SIGHUP, on_signal, &alerts);

  domus_host_connect (host);
  g_main_loop_run (loop);

  g_signal_handlers_disconnect_by_data (host, &alerts);
  for (gsize i = 0; i < G_N_ELEMENTS (signal_ids); i++)
    g_source_remove (signal_ids[i]);
  domus_host_disconnect (host);
  return alerts.status;
}
