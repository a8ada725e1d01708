/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * What the dashboard's search box asks for: "tag:web state:running host:rack2 db". GLib only,
 * so that it is tested without a display.
 *
 * Terms are separated by spaces; a value with spaces is quoted (tag:"front end").
 *   tag:T     the domain has the tag T (case does not matter)
 *   state:S   the domain's state is S: running (blocked ones too), paused, shutoff (or "shut
 *             off"), crashed, shutdown, dying, starting, incoming, invalid, or the word the
 *             window shows in its language
 *   host:H    the domain's server's name or address contains H
 *   WORD      the domain's name contains WORD
 * Terms with the same key are alternatives (state:running state:paused: either); everything
 * else must hold together (tag:web db: tagged web and named …db…). Case never matters.
 */

#pragma once

#include "domus-host.h"

G_BEGIN_DECLS

#define DOMUS_SEARCH_QUERY_ERROR (domus_search_query_error_quark ())

typedef enum {
  DOMUS_SEARCH_QUERY_ERROR_UNKNOWN_KEY,   /* "colour:red": a key other than tag, state, host */
  DOMUS_SEARCH_QUERY_ERROR_EMPTY_VALUE,   /* "tag:" with nothing after it */
  DOMUS_SEARCH_QUERY_ERROR_UNKNOWN_STATE, /* "state:sleepy" */
  DOMUS_SEARCH_QUERY_ERROR_QUOTE,         /* a quote that is not closed */
} DomusSearchQueryError;

GQuark domus_search_query_error_quark (void);

typedef struct _DomusSearchQuery DomusSearchQuery;

/* NULL with an error naming the term that is wrong. Empty text matches everything. */
DomusSearchQuery *domus_search_query_parse   (const char        *text,
                                              GError           **error);
void              domus_search_query_free    (DomusSearchQuery  *query);
gboolean          domus_search_query_is_empty (DomusSearchQuery *query);
/* Whether the query says anything about domains (not only host:). */
gboolean          domus_search_query_has_domain_terms (DomusSearchQuery *query);

/* The host: terms alone. */
gboolean          domus_search_query_matches_host_names (DomusSearchQuery   *query,
                                                         const char         *host_name,
                                                         const char         *host_uri);
/* Every term, on plain values (tags: NULL-terminated, or NULL). */
gboolean          domus_search_query_matches_values     (DomusSearchQuery   *query,
                                                         const char         *host_name,
                                                         const char         *host_uri,
                                                         const char         *domain_name,
                                                         DomusDomainState    state,
                                                         const char * const *tags);
gboolean          domus_search_query_matches_host       (DomusSearchQuery   *query,
                                                         DomusHost          *host);
gboolean          domus_search_query_matches_domain     (DomusSearchQuery   *query,
                                                         DomusDomain        *domain);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DomusSearchQuery, domus_search_query_free)

G_END_DECLS
