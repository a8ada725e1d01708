/* SPDX-License-Identifier: GPL-3.0-or-later */
/* domusctl config: print a domain's .cfg, or change values in it with --set key=value. */

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "hv-config.h"
#include "domusctl-client.h"
#include "domusctl.h"

static gboolean
is_key (const char *text)
{
  if (!g_ascii_isalpha (text[0]) && text[0] != '_')
    return FALSE;
  for (const char *c = text; *c != '\0'; c++)
    if (!g_ascii_isalnum (*c) && *c != '_')
      return FALSE;
  return TRUE;
}

static JsonNode *
variant_to_json (GVariant *value)
{
  JsonNode *node = json_node_alloc ();

  if (g_variant_is_of_type (value, G_VARIANT_TYPE_STRING))
    json_node_init_string (node, g_variant_get_string (value, NULL));
  else if (g_variant_is_of_type (value, G_VARIANT_TYPE_INT64))
    json_node_init_int (node, g_variant_get_int64 (value));
  else if (g_variant_is_of_type (value, G_VARIANT_TYPE_DOUBLE))
    json_node_init_double (node, g_variant_get_double (value));
  else if (g_variant_is_of_type (value, G_VARIANT_TYPE_BOOLEAN))
    json_node_init_boolean (node, g_variant_get_boolean (value));
  else if (g_variant_is_of_type (value, G_VARIANT_TYPE ("av")))
    {
      JsonArray *array = json_array_new ();
      gsize n = g_variant_n_children (value);

      for (gsize i = 0; i < n; i++)
        {
          g_autoptr(GVariant) boxed = g_variant_get_child_value (value, i);
          g_autoptr(GVariant) element = g_variant_get_variant (boxed);

          json_array_add_element (array, variant_to_json (element));
        }
      json_node_init_array (node, array);
      json_array_unref (array);
    }
  else
    json_node_init_null (node);
  return node;
}

/*
 * A value as typed after "key=": an xm cfg literal when it reads as one (512,
 * "destroy", True, [ 'a', 'b' ]), else the text itself as a string, so that
 * on_crash=destroy and extra=console=ttyS0 need no quotes. Nothing at all removes the key.
 */
static JsonNode *
parse_value (const char *text)
{
  g_autoptr(HvConfig) config = NULL;
  GVariant *value = NULL;  /* the config's own */
  g_autofree char *statement = NULL;
  g_auto(GStrv) keys = NULL;

  if (*text == '\0')
    return json_node_new (JSON_NODE_NULL);

  /* One line, one statement: anything that could smuggle in a second key is plain text. */
  if (strpbrk (text, "\n\r;") == NULL)
    {
      statement = g_strdup_printf ("value = %s\n", text);
      config = hv_config_new_from_data (statement, -1, "--set", NULL);
    }
  if (config != NULL)
    keys = hv_config_dup_keys (config);
  if (keys != NULL && g_strv_length (keys) == 1)
    value = hv_config_get_value (config, "value");
  if (value != NULL)
    return variant_to_json (value);

  return json_node_init_string (json_node_alloc (), text);
}

static int
print_config (DomusctlGlobals *globals,
              const char      *name)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) params = domusctl_name_params (name);
  g_autoptr(JsonNode) result = domusctl_call (globals->connect_uri, "domain.get_config", params, &error);
  JsonObject *object;
  const char *text;

  if (result == NULL)
    return domusctl_fail_error (error);
  object = domus_json_node_get_object (result);
  text = domus_json_object_get_string (object, "config", NULL);
  if (text == NULL)
    return domusctl_fail (_("the daemon sent an answer without the configuration"));
  /* As the file holds it, with a final newline added only when it lacks one. */
  g_print ("%s%s", text, *text != '\0' && !g_str_has_suffix (text, "\n") ? "\n" : "");
  return 0;
}

static int
set_values (DomusctlGlobals *globals,
            const char      *name,
            char           **assignments)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) params = NULL;
  g_autoptr(JsonNode) result = NULL;
  JsonObject *values = json_object_new ();
  JsonObject *object = json_object_new ();

  for (gsize i = 0; assignments[i] != NULL; i++)
    {
      const char *equals = strchr (assignments[i], '=');
      g_autofree char *key = NULL;

      if (equals == NULL)
        {
          json_object_unref (values);
          json_object_unref (object);
          return domusctl_usage_error (_("--set takes key=value, not “%s”"), assignments[i]);
        }
      key = g_strndup (assignments[i], equals - assignments[i]);
      g_strstrip (key);
      if (!is_key (key))
        {
          json_object_unref (values);
          json_object_unref (object);
          return domusctl_usage_error (_("“%s” is not a configuration key"), key);
        }
      json_object_set_member (values, key, parse_value (equals + 1));
    }

  json_object_set_string_member (object, "name", name);
  json_object_set_object_member (object, "values", values);
  params = json_node_init_object (json_node_alloc (), object);
  json_object_unref (object);

  result = domusctl_call (globals->connect_uri, "domain.set_values", params, &error);
  if (result == NULL)
    return domusctl_fail_error (error);
  return 0;
}

int
domusctl_verb_config (DomusctlGlobals *globals,
                      int              argc,
                      char           **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_auto(GStrv) assignments = NULL;
  const GOptionEntry entries[] = {
    { "set", 's', 0, G_OPTION_ARG_STRING_ARRAY, &assignments,
      N_("Set a key to a value (an xm literal such as 512, \"text\", True or [ 'a' ], "
         "else taken as text); “key=” removes the key. Repeatable"), N_("KEY=VALUE") },
    { NULL }
  };

  context = g_option_context_new (_("NAME"));
  g_option_context_set_summary (context,
                                _("Print a domain’s configuration file, or change values in it. "
                                  "Changes are checked as define checks a file; a running domain "
                                  "gets them when it next starts."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!domusctl_parse_options (context, &argc, &argv))
    return 2;
  if (argc != 2)
    return domusctl_usage_error (_("config needs exactly one domain name or id"));

  if (assignments == NULL)
    return print_config (globals, argv[1]);
  return set_values (globals, argv[1], assignments);
}
