/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Typed JSON member look-ups: json-glib 1.6's own getters warn or abort on a wrong type,
 * and every answer here comes from another process. */

#include "config.h"

#include "domus-json-util.h"

static JsonNode *
value_member (JsonObject *object,
              const char *member)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, member) : NULL;

  return node != NULL && JSON_NODE_HOLDS_VALUE (node) ? node : NULL;
}

JsonObject *
domus_json_node_get_object (JsonNode *node)
{
  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

gboolean
domus_json_object_has_number (JsonObject *object,
                              const char *member)
{
  JsonNode *node = value_member (object, member);
  GType type = node != NULL ? json_node_get_value_type (node) : G_TYPE_INVALID;

  return type == G_TYPE_INT64 || type == G_TYPE_DOUBLE;
}

gint64
domus_json_object_get_int (JsonObject *object,
                           const char *member,
                           gint64      fallback)
{
  JsonNode *node = value_member (object, member);

  if (node == NULL)
    return fallback;
  if (json_node_get_value_type (node) == G_TYPE_INT64)
    return json_node_get_int (node);
  if (json_node_get_value_type (node) == G_TYPE_DOUBLE)
    {
      double value = json_node_get_double (node);

      /* A double out of gint64's range (or NaN) has no integer: don't let C make one up. */
      if (!(value >= (double) G_MININT64 && value < (double) G_MAXINT64))
        return fallback;
      return (gint64) value;
    }
  return fallback;
}

double
domus_json_object_get_double (JsonObject *object,
                              const char *member,
                              double      fallback)
{
  JsonNode *node = value_member (object, member);

  if (node == NULL)
    return fallback;
  if (json_node_get_value_type (node) == G_TYPE_DOUBLE)
    return json_node_get_double (node);
  if (json_node_get_value_type (node) == G_TYPE_INT64)
    return (double) json_node_get_int (node);
  return fallback;
}

gboolean
domus_json_object_get_bool (JsonObject *object,
                            const char *member,
                            gboolean    fallback)
{
  JsonNode *node = value_member (object, member);

  if (node == NULL || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    return fallback;
  return json_node_get_boolean (node);
}

const char *
domus_json_object_get_string (JsonObject *object,
                              const char *member,
                              const char *fallback)
{
  JsonNode *node = value_member (object, member);

  if (node == NULL || json_node_get_value_type (node) != G_TYPE_STRING)
    return fallback;
  return json_node_get_string (node);
}

JsonObject *
domus_json_object_get_object (JsonObject *object,
                              const char *member)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, member) : NULL;

  return domus_json_node_get_object (node);
}

JsonArray *
domus_json_object_get_array (JsonObject *object,
                             const char *member)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, member) : NULL;

  return node != NULL && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}

void
domus_json_builder_add_string_or_null (JsonBuilder *builder,
                                       const char  *member,
                                       const char  *value)
{
  json_builder_set_member_name (builder, member);
  if (value != NULL)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}
