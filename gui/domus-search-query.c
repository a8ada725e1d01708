/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The dashboard's search: terms read once, then matched against every host's domains. */

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "domus-search-query.h"
#include "domus-state-text.h"

G_DEFINE_QUARK (domus-search-query-error-quark, domus_search_query_error)

struct _DomusSearchQuery
{
  GPtrArray *words;    /* casefolded: each must be in the domain's name */
  GPtrArray *tags;     /* casefolded: one of them must be a tag of the domain */
  GPtrArray *hosts;    /* casefolded: one must be in the host's name or address */
  GArray    *states;   /* DomusDomainState: the domain must be in one */
};

static char *
fold (const char *text)
{
  g_autofree char *normal = g_utf8_normalize (text, -1, G_NORMALIZE_ALL);

  return g_utf8_casefold (normal != NULL ? normal : text, -1);
}

static gboolean
contains_folded (const char *haystack,
                 const char *folded_needle)
{
  g_autofree char *folded = NULL;

  if (haystack == NULL)
    return FALSE;
  folded = fold (haystack);
  return strstr (folded, folded_needle) != NULL;
}

/* "shut off", "Shut Off", "shutoff" are one word to match. */
static char *
fold_without_spaces (const char *text)
{
  g_autofree char *folded = fold (text);
  GString *out = g_string_new (NULL);

  for (const char *p = folded; *p != '\0'; p = g_utf8_next_char (p))
    if (!g_unichar_isspace (g_utf8_get_char (p)))
      g_string_append_unichar (out, g_utf8_get_char (p));
  return g_string_free (out, FALSE);
}

static gboolean
state_from_word (const char       *word,
                 DomusDomainState *out)
{
  g_autofree char *wanted = fold_without_spaces (word);

  for (int state = DOMUS_DOMAIN_STATE_RUNNING; state <= DOMUS_DOMAIN_STATE_INVALID; state++)
    {
      g_autofree char *name = fold_without_spaces (domus_domain_state_to_string (state));
      g_autofree char *label = fold_without_spaces (domus_domain_state_label (state));

      if (g_str_equal (wanted, name) || g_str_equal (wanted, label))
        {
          *out = (DomusDomainState) state;
          return TRUE;
        }
    }
  return FALSE;
}

/* The next term: spaces end it unless inside double quotes, which are taken away. */
static char *
next_term (const char **cursor,
           GError     **error)
{
  const char *p = *cursor;
  GString *term = g_string_new (NULL);
  gboolean quoted = FALSE;

  while (*p != '\0' && g_ascii_isspace (*p))
    p++;
  if (*p == '\0')
    {
      *cursor = p;
      g_string_free (term, TRUE);
      return NULL;
    }
  for (; *p != '\0' && (quoted || !g_ascii_isspace (*p)); p++)
    {
      if (*p == '"')
        quoted = !quoted;
      else
        g_string_append_c (term, *p);
    }
  *cursor = p;
  if (quoted)
    {
      g_set_error (error, DOMUS_SEARCH_QUERY_ERROR, DOMUS_SEARCH_QUERY_ERROR_QUOTE,
                   _("A quote is not closed: “%s”"), term->str);
      g_string_free (term, TRUE);
      return NULL;
    }
  return g_string_free (term, FALSE);
}

static gboolean
add_term (DomusSearchQuery  *query,
          const char        *term,
          GError           **error)
{
  const char *colon = strchr (term, ':');
  g_autofree char *key = NULL;
  const char *value;
  DomusDomainState state;

  if (colon == NULL || colon == term)
    {
      g_ptr_array_add (query->words, fold (term));
      return TRUE;
    }
  key = g_ascii_strdown (term, colon - term);
  value = colon + 1;
  if (!g_str_equal (key, "tag") && !g_str_equal (key, "state") && !g_str_equal (key, "host"))
    {
      g_set_error (error, DOMUS_SEARCH_QUERY_ERROR, DOMUS_SEARCH_QUERY_ERROR_UNKNOWN_KEY,
                   _("“%s:” is not a search term: use tag:, state:, host: or plain words"), key);
      return FALSE;
    }
  if (*value == '\0')
    {
      g_set_error (error, DOMUS_SEARCH_QUERY_ERROR, DOMUS_SEARCH_QUERY_ERROR_EMPTY_VALUE,
                   _("“%s:” needs something after the colon"), key);
      return FALSE;
    }
  if (g_str_equal (key, "tag"))
    g_ptr_array_add (query->tags, fold (value));
  else if (g_str_equal (key, "host"))
    g_ptr_array_add (query->hosts, fold (value));
  else if (state_from_word (value, &state))
    {
      g_array_append_val (query->states, state);
      /* Running, as the sidebar and xm list count it, includes blocked (waiting on I/O). */
      if (state == DOMUS_DOMAIN_STATE_RUNNING)
        {
          state = DOMUS_DOMAIN_STATE_BLOCKED;
          g_array_append_val (query->states, state);
        }
    }
  else
    {
      g_set_error (error, DOMUS_SEARCH_QUERY_ERROR, DOMUS_SEARCH_QUERY_ERROR_UNKNOWN_STATE,
                   _("“%s” is not a state: try running, paused, shutoff or crashed"), value);
      return FALSE;
    }
  return TRUE;
}

DomusSearchQuery *
domus_search_query_parse (const char  *text,
                          GError     **error)
{
  g_autoptr(DomusSearchQuery) query = g_new0 (DomusSearchQuery, 1);
  const char *cursor = text != NULL ? text : "";
  GError *local_error = NULL;
  char *term;

  query->words = g_ptr_array_new_with_free_func (g_free);
  query->tags = g_ptr_array_new_with_free_func (g_free);
  query->hosts = g_ptr_array_new_with_free_func (g_free);
  query->states = g_array_new (FALSE, FALSE, sizeof (DomusDomainState));
  while ((term = next_term (&cursor, &local_error)) != NULL)
    {
      gboolean added = add_term (query, term, error);

      g_free (term);
      if (!added)
        return NULL;
    }
  if (local_error != NULL)
    {
      g_propagate_error (error, local_error);
      return NULL;
    }
  return g_steal_pointer (&query);
}

void
domus_search_query_free (DomusSearchQuery *query)
{
  if (query == NULL)
    return;
  g_clear_pointer (&query->words, g_ptr_array_unref);
  g_clear_pointer (&query->tags, g_ptr_array_unref);
  g_clear_pointer (&query->hosts, g_ptr_array_unref);
  g_clear_pointer (&query->states, g_array_unref);
  g_free (query);
}

gboolean
domus_search_query_is_empty (DomusSearchQuery *query)
{
  return query->hosts->len == 0 && !domus_search_query_has_domain_terms (query);
}

gboolean
domus_search_query_has_domain_terms (DomusSearchQuery *query)
{
  return query->words->len > 0 || query->tags->len > 0 || query->states->len > 0;
}

gboolean
domus_search_query_matches_host_names (DomusSearchQuery *query,
                                       const char       *host_name,
                                       const char       *host_uri)
{
  if (query->hosts->len == 0)
    return TRUE;
  for (guint i = 0; i < query->hosts->len; i++)
    {
      const char *wanted = g_ptr_array_index (query->hosts, i);

      if (contains_folded (host_name, wanted) || contains_folded (host_uri, wanted))
        return TRUE;
    }
  return FALSE;
}

static gboolean
has_tag (const char * const *tags,
         const char         *folded_tag)
{
  for (guint i = 0; tags != NULL && tags[i] != NULL; i++)
    {
      g_autofree char *folded = fold (tags[i]);

      if (g_str_equal (folded, folded_tag))
        return TRUE;
    }
  return FALSE;
}

gboolean
domus_search_query_matches_values (DomusSearchQuery   *query,
                                   const char         *host_name,
                                   const char         *host_uri,
                                   const char         *domain_name,
                                   DomusDomainState    state,
                                   const char * const *tags)
{
  gboolean found;

  if (!domus_search_query_matches_host_names (query, host_name, host_uri))
    return FALSE;
  for (guint i = 0; i < query->words->len; i++)
    if (!contains_folded (domain_name, g_ptr_array_index (query->words, i)))
      return FALSE;
  found = query->tags->len == 0;
  for (guint i = 0; !found && i < query->tags->len; i++)
    found = has_tag (tags, g_ptr_array_index (query->tags, i));
  if (!found)
    return FALSE;
  found = query->states->len == 0;
  for (guint i = 0; !found && i < query->states->len; i++)
    found = g_array_index (query->states, DomusDomainState, i) == state;
  return found;
}

gboolean
domus_search_query_matches_host (DomusSearchQuery *query,
                                 DomusHost        *host)
{
  return domus_search_query_matches_host_names (query, domus_host_get_name (host),
                                                domus_host_get_uri (host));
}

gboolean
domus_search_query_matches_domain (DomusSearchQuery *query,
                                   DomusDomain      *domain)
{
  DomusHost *host = domus_domain_get_host (domain);

  return domus_search_query_matches_values (query,
                                            host != NULL ? domus_host_get_name (host) : NULL,
                                            host != NULL ? domus_host_get_uri (host) : NULL,
                                            domus_domain_get_name (domain),
                                            domus_domain_get_state (domain),
                                            domus_domain_get_tags (domain));
}
