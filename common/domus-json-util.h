/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Typed JSON member look-ups (and a builder helper), the one copy daemon, library, window
 * and domusctl share. */

#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* The object a node holds, or NULL for a NULL node or one of another type. */
JsonObject *domus_json_node_get_object   (JsonNode   *node);

/* Each returns the member's value, or fallback (NULL) when object is NULL, the member is
 * absent or null, or it holds another type. Numbers are taken whether the JSON wrote them
 * as integers or with a fraction. */
gboolean    domus_json_object_has_number (JsonObject *object,
                                          const char *member);
gint64      domus_json_object_get_int    (JsonObject *object,
                                          const char *member,
                                          gint64      fallback);
double      domus_json_object_get_double (JsonObject *object,
                                          const char *member,
                                          double      fallback);
gboolean    domus_json_object_get_bool   (JsonObject *object,
                                          const char *member,
                                          gboolean    fallback);
const char *domus_json_object_get_string (JsonObject *object,
                                          const char *member,
                                          const char *fallback);
JsonObject *domus_json_object_get_object (JsonObject *object,
                                          const char *member);
JsonArray  *domus_json_object_get_array  (JsonObject *object,
                                          const char *member);

/* Adds member to the object being built: value as a string, or null when value is NULL. */
void        domus_json_builder_add_string_or_null (JsonBuilder *builder,
                                                   const char  *member,
                                                   const char  *value);

G_END_DECLS
