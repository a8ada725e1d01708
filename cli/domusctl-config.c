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

/*
 * A value as typed after "key=": an xm cfg literal when it reads as one (512,
 * "destroy", True, [ 'a', 'b' ]), else the text itself as a string, so that
 * on_crash=destroy and extra=console=ttyS0 need no quotes. Nothing at all removes the key
 * (an empty maybe). Returns a full reference.
 */
static GVariant *
parse_value (const char *text)
{
  g_autoptr(HvConfig) config = NULL;
  GVariant *value = NULL;  /* the config's own */
  g_autofree char *statement = NULL;
  g_auto(GStrv) keys = NULL;

  if (*text == '\0')
    return g_variant_ref_sink (g_variant_new_maybe (G_VARIANT_TYPE_VARIANT, NULL));

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
    return g_variant_ref (value);

  return g_variant_ref_sink (g_variant_new_string (text));
}

static int
print_config (DomusctlClient *client,
              const char     *name)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  domus_host_get_domain_config_async (domusctl_client_get_host (client), name,
                                      domusctl_client_get_cancellable (client), domusctl_store_result, &result);
  if (!domusctl_client_wait (client, &result, &error) ||
      (text = domus_host_get_domain_config_finish (domusctl_client_get_host (client), result, NULL, &error)) == NULL)
    return domusctl_fail_error (error);
  /* As the file holds it, with a final newline added only when it lacks one. */
  g_print ("%s%s", text, *text != '\0' && !g_str_has_suffix (text, "\n") ? "\n" : "");
  return 0;
}

/* Checks the assignments before anything is sent; values: an a{sv} (floating). */
static int
parse_assignments (char      **assignments,
                   GVariant  **values)
{
  g_auto(GVariantDict) dict = G_VARIANT_DICT_INIT (NULL);

  for (gsize i = 0; assignments[i] != NULL; i++)
    {
      const char *equals = strchr (assignments[i], '=');
      g_autofree char *key = NULL;
      g_autoptr(GVariant) value = NULL;

      if (equals == NULL)
        return domusctl_usage_error (_("--set takes key=value, not “%s”"), assignments[i]);
      key = g_strndup (assignments[i], equals - assignments[i]);
      g_strstrip (key);
      if (!is_key (key))
        return domusctl_usage_error (_("“%s” is not a configuration key"), key);
      value = parse_value (equals + 1);
      g_variant_dict_insert_value (&dict, key, value);
    }
  *values = g_variant_dict_end (&dict);
  return 0;
}

static int
set_values (DomusctlClient *client,
            const char     *name,
            GVariant       *values)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  domus_host_set_domain_values_async (domusctl_client_get_host (client), name, values,
                                      domusctl_client_get_cancellable (client), domusctl_store_result, &result);
  if (!domusctl_client_wait (client, &result, &error) ||
      (text = domus_host_set_domain_values_finish (domusctl_client_get_host (client), result, &error)) == NULL)
    return domusctl_fail_error (error);
  return 0;
}

int
domusctl_verb_config (DomusctlGlobals *globals,
                      int              argc,
                      char           **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DomusctlClient) client = NULL;
  g_auto(GStrv) assignments = NULL;
  GVariant *values = NULL;
  int status;
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

  /* A mistake in the command line is said before any connection is made. */
  if (assignments != NULL && (status = parse_assignments (assignments, &values)) != 0)
    return status;
  client = domusctl_client_open (globals->connect_uri, &error);
  if (client == NULL)
    {
      if (values != NULL)
        g_variant_unref (g_variant_ref_sink (values));
      return domusctl_fail_error (error);
    }
  if (values == NULL)
    return print_config (client, argv[1]);
  return set_values (client, argv[1], values);
}
