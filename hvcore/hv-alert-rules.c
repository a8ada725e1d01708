/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The alert rules, one table of keys for both ways they are set: the config file's [alerts]
 * group (text) and alerts.set_rules (JSON). Each key says its type and range once.
 */

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "hv-alert-rules.h"

G_DEFINE_QUARK (hv-alert-rules-error-quark, hv_alert_rules_error)

typedef enum {
  RULE_BOOLEAN,
  RULE_UINT,
  RULE_COMMAND,
} RuleType;

static const struct {
  const char *key;
  RuleType    type;
  guint       min;
  guint       max;
  gsize       offset;
} rule_table[] = {
  { "domain-crashed", RULE_BOOLEAN, 0, 1, G_STRUCT_OFFSET (HvAlertRules, domain_crashed) },
  { "cpu-percent", RULE_UINT, 0, 100, G_STRUCT_OFFSET (HvAlertRules, cpu_percent) },
  { "cpu-minutes", RULE_UINT, 0, 1440, G_STRUCT_OFFSET (HvAlertRules, cpu_minutes) },
  { "memory-percent", RULE_UINT, 0, 100, G_STRUCT_OFFSET (HvAlertRules, memory_percent) },
  { "disk-percent", RULE_UINT, 0, 100, G_STRUCT_OFFSET (HvAlertRules, disk_percent) },
  { "keep", RULE_UINT, 1, 10000, G_STRUCT_OFFSET (HvAlertRules, keep) },
  { "command", RULE_COMMAND, 0, 0, G_STRUCT_OFFSET (HvAlertRules, command) },
};

static const char * const rule_keys[] = {
  "domain-crashed", "cpu-percent", "cpu-minutes", "memory-percent", "disk-percent", "keep",
  "command", NULL,
};

G_STATIC_ASSERT (G_N_ELEMENTS (rule_keys) == G_N_ELEMENTS (rule_table) + 1);

void
hv_alert_rules_init (HvAlertRules *rules)
{
  memset (rules, 0, sizeof *rules);
  rules->domain_crashed = TRUE;
  rules->cpu_percent = 0;
  rules->cpu_minutes = 5;
  rules->memory_percent = 95;
  rules->disk_percent = 95;
  rules->keep = 100;
}

void
hv_alert_rules_clear (HvAlertRules *rules)
{
  g_clear_pointer (&rules->command, g_free);
}

void
hv_alert_rules_copy (HvAlertRules       *dest,
                     const HvAlertRules *src)
{
  *dest = *src;
  dest->command = g_strdup (src->command);
}

const char * const *
hv_alert_rules_get_keys (void)
{
  return rule_keys;
}

static int
find_rule (const char  *key,
           GError     **error)
{
  for (guint i = 0; i < G_N_ELEMENTS (rule_table); i++)
    if (strcmp (rule_table[i].key, key) == 0)
      return (int) i;
  {
    g_autofree char *list = g_strjoinv (", ", (char **) rule_keys);

    g_set_error (error, HV_ALERT_RULES_ERROR, HV_ALERT_RULES_ERROR_UNKNOWN_KEY,
                 _("“%s” is not an alert rule (the rules are %s)"), key, list);
  }
  return -1;
}

static void
store_uint (HvAlertRules *rules,
            int           index,
            guint         value)
{
  guint8 *base = (guint8 *) rules;

  if (rule_table[index].type == RULE_BOOLEAN)
    *(gboolean *) (base + rule_table[index].offset) = value != 0;
  else
    *(guint *) (base + rule_table[index].offset) = value;
}

static guint
load_uint (const HvAlertRules *rules,
           int                 index)
{
  const guint8 *base = (const guint8 *) rules;

  if (rule_table[index].type == RULE_BOOLEAN)
    return *(const gboolean *) (base + rule_table[index].offset) ? 1 : 0;
  return *(const guint *) (base + rule_table[index].offset);
}

static gboolean
parse_boolean_text (const char *text,
                    guint      *out)
{
  if (g_ascii_strcasecmp (text, "true") == 0 || g_ascii_strcasecmp (text, "yes") == 0 ||
      strcmp (text, "1") == 0)
    *out = 1;
  else if (g_ascii_strcasecmp (text, "false") == 0 || g_ascii_strcasecmp (text, "no") == 0 ||
           strcmp (text, "0") == 0)
    *out = 0;
  else
    return FALSE;
  return TRUE;
}

static void
set_range_error (int          index,
                 const char  *value,
                 GError     **error)
{
  g_set_error (error, HV_ALERT_RULES_ERROR, HV_ALERT_RULES_ERROR_VALUE,
               _("“%s” is not a whole number from %u to %u"), value,
               rule_table[index].min, rule_table[index].max);
}

gboolean
hv_alert_rules_set_from_text (HvAlertRules  *rules,
                              const char    *key,
                              const char    *value,
                              GError       **error)
{
  g_autofree char *text = g_strstrip (g_strdup (value));
  int index = find_rule (key, error);
  guint64 number;
  guint flag;

  if (index < 0)
    return FALSE;
  switch (rule_table[index].type)
    {
    case RULE_BOOLEAN:
      if (!parse_boolean_text (text, &flag))
        {
          g_set_error (error, HV_ALERT_RULES_ERROR, HV_ALERT_RULES_ERROR_VALUE,
                       _("“%s” is not true or false"), text);
          return FALSE;
        }
      store_uint (rules, index, flag);
      return TRUE;
    case RULE_UINT:
      if (!g_ascii_string_to_unsigned (text, 10, rule_table[index].min, rule_table[index].max,
                                       &number, NULL))
        {
          set_range_error (index, text, error);
          return FALSE;
        }
      store_uint (rules, index, (guint) number);
      return TRUE;
    case RULE_COMMAND:
    default:
      {
        g_auto(GStrv) argv = NULL;
        g_autoptr(GError) shell_error = NULL;

        if (*text == '\0')
          {
            g_clear_pointer (&rules->command, g_free);
            return TRUE;
          }
        /* Checked now, so a quoting mistake stops the daemon at start, not at the first alert. */
        if (!g_shell_parse_argv (text, NULL, &argv, &shell_error))
          {
            g_set_error (error, HV_ALERT_RULES_ERROR, HV_ALERT_RULES_ERROR_VALUE,
                         _("“%s” cannot be split into a program and its arguments: %s"),
                         text, shell_error->message);
            return FALSE;
          }
        g_free (rules->command);
        rules->command = g_steal_pointer (&text);
        return TRUE;
      }
    }
}

static gboolean
set_one_from_json (HvAlertRules  *rules,
                   const char    *key,
                   JsonNode      *node,
                   GError       **error)
{
  int index = find_rule (key, error);

  if (index < 0)
    return FALSE;
  if (rule_table[index].type == RULE_COMMAND)
    {
      g_set_error (error, HV_ALERT_RULES_ERROR, HV_ALERT_RULES_ERROR_READ_ONLY,
                   _("The alert command is set in the daemon’s config file only."));
      return FALSE;
    }
  if (rule_table[index].type == RULE_BOOLEAN)
    {
      if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
        {
          g_set_error (error, HV_ALERT_RULES_ERROR, HV_ALERT_RULES_ERROR_VALUE,
                       _("The rule “%s” takes true or false."), key);
          return FALSE;
        }
      store_uint (rules, index, json_node_get_boolean (node) ? 1 : 0);
      return TRUE;
    }
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64 ||
      json_node_get_int (node) < rule_table[index].min ||
      json_node_get_int (node) > rule_table[index].max)
    {
      g_set_error (error, HV_ALERT_RULES_ERROR, HV_ALERT_RULES_ERROR_VALUE,
                   _("The rule “%s” takes a whole number from %u to %u."), key,
                   rule_table[index].min, rule_table[index].max);
      return FALSE;
    }
  store_uint (rules, index, (guint) json_node_get_int (node));
  return TRUE;
}

gboolean
hv_alert_rules_set_from_json (HvAlertRules  *rules,
                              JsonObject    *object,
                              GError       **error)
{
  HvAlertRules changed;
  JsonObjectIter iter;
  const char *key;
  JsonNode *node;

  hv_alert_rules_copy (&changed, rules);
  json_object_iter_init (&iter, object);
  while (json_object_iter_next (&iter, &key, &node))
    if (!set_one_from_json (&changed, key, node, error))
      {
        hv_alert_rules_clear (&changed);
        return FALSE;
      }
  hv_alert_rules_clear (rules);
  *rules = changed;
  return TRUE;
}

JsonNode *
hv_alert_rules_to_json (const HvAlertRules *rules)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  for (guint i = 0; i < G_N_ELEMENTS (rule_table); i++)
    {
      json_builder_set_member_name (builder, rule_table[i].key);
      switch (rule_table[i].type)
        {
        case RULE_BOOLEAN:
          json_builder_add_boolean_value (builder, load_uint (rules, (int) i) != 0);
          break;
        case RULE_UINT:
          json_builder_add_int_value (builder, load_uint (rules, (int) i));
          break;
        case RULE_COMMAND:
        default:
          if (rules->command != NULL)
            json_builder_add_string_value (builder, rules->command);
          else
            json_builder_add_null_value (builder);
          break;
        }
    }
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

char *
hv_alert_rules_dup_text (const HvAlertRules *rules,
                         const char         *key)
{
  int index = find_rule (key, NULL);

  g_return_val_if_fail (index >= 0, NULL);
  switch (rule_table[index].type)
    {
    case RULE_BOOLEAN:
      return g_strdup (load_uint (rules, index) ? "true" : "false");
    case RULE_UINT:
      return g_strdup_printf ("%u", load_uint (rules, index));
    case RULE_COMMAND:
    default:
      return g_strdup (rules->command != NULL ? rules->command : "");
    }
}
