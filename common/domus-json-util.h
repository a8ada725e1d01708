/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Type-checked member look-ups json-glib 1.6 lacks: NULL when absent or of another type. */

#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

static inline JsonObject *
domus_json_object_get_object (JsonObject *object,
                              const char *member)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, member) : NULL;

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

static inline JsonArray *
domus_json_object_get_array (JsonObject *object,
                             const char *member)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, member) : NULL;

  return node != NULL && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}

G_END_DECLS
