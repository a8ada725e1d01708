/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The dashboard's search terms (gui/domus-search-query.c): no daemon, no display. */

#include "config.h"

#include <string.h>

#include "domus-search-query.h"

static const char * const web_tags[] = { "web", "Prod", NULL };
static const char * const db_tags[] = { "front end", NULL };

/* Whether text matches a domain "web-01" (running, tags web and Prod) on "rack2" (ssh://…). */
static gboolean
matches_web (const char *text)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DomusSearchQuery) query = domus_search_query_parse (text, &error);

  g_assert_no_error (error);
  return domus_search_query_matches_values (query, "rack2", "ssh://admin@rack2.example.org",
                                            "web-01", DOMUS_DOMAIN_STATE_RUNNING, web_tags);
}

static void
test_terms (void)
{
  g_assert_true (matches_web (""));
  g_assert_true (matches_web ("   "));
  g_assert_true (matches_web ("web"));
  g_assert_true (matches_web ("WEB-0"));
  g_assert_false (matches_web ("db"));
  g_assert_true (matches_web ("tag:web"));
  g_assert_true (matches_web ("tag:prod"));
  g_assert_false (matches_web ("tag:we"));
  g_assert_true (matches_web ("state:running"));
  g_assert_true (matches_web ("State:Running"));
  g_assert_false (matches_web ("state:paused"));
  g_assert_true (matches_web ("state:paused state:running"));
  g_assert_true (matches_web ("host:rack2"));
  g_assert_true (matches_web ("host:example.org"));
  g_assert_false (matches_web ("host:rack3"));
  g_assert_true (matches_web ("host:rack3 host:rack2"));
  g_assert_true (matches_web ("tag:web state:running host:rack2 01"));
  g_assert_false (matches_web ("tag:web state:running host:rack2 db"));
  /* Every plain word must be in the name. */
  g_assert_true (matches_web ("web 01"));
  g_assert_false (matches_web ("web 02"));
}

static void
test_states (void)
{
  g_autoptr(DomusSearchQuery) running = domus_search_query_parse ("state:running", NULL);
  g_autoptr(DomusSearchQuery) off = domus_search_query_parse ("state:\"shut off\"", NULL);
  g_autoptr(DomusSearchQuery) shutoff = domus_search_query_parse ("state:shutoff", NULL);

  /* Running includes blocked, as xm list and the sidebar count it. */
  g_assert_true (domus_search_query_matches_values (running, "h", NULL, "a", DOMUS_DOMAIN_STATE_BLOCKED, NULL));
  g_assert_false (domus_search_query_matches_values (running, "h", NULL, "a", DOMUS_DOMAIN_STATE_SHUTOFF, NULL));
  g_assert_true (domus_search_query_matches_values (off, "h", NULL, "a", DOMUS_DOMAIN_STATE_SHUTOFF, NULL));
  g_assert_true (domus_search_query_matches_values (shutoff, "h", NULL, "a", DOMUS_DOMAIN_STATE_SHUTOFF, NULL));
}

static void
test_quotes (void)
{
  g_autoptr(DomusSearchQuery) query = domus_search_query_parse ("tag:\"Front End\"", NULL);

  g_assert_nonnull (query);
  g_assert_true (domus_search_query_matches_values (query, "h", NULL, "db", DOMUS_DOMAIN_STATE_PAUSED, db_tags));
  g_assert_false (domus_search_query_matches_values (query, "h", NULL, "db", DOMUS_DOMAIN_STATE_PAUSED, web_tags));
  g_assert_false (domus_search_query_matches_values (query, "h", NULL, "db", DOMUS_DOMAIN_STATE_PAUSED, NULL));
}

static void
test_host_terms_alone (void)
{
  g_autoptr(DomusSearchQuery) query = domus_search_query_parse ("host:rack", NULL);

  g_assert_false (domus_search_query_is_empty (query));
  g_assert_false (domus_search_query_has_domain_terms (query));
  g_assert_true (domus_search_query_matches_host_names (query, "rack7", NULL));
  g_assert_false (domus_search_query_matches_host_names (query, "desk", "unix:/run/domus.sock"));
}

static void
test_errors (void)
{
  static const struct {
    const char *text;
    int         code;
    const char *named;
  } cases[] = {
    { "colour:red", DOMUS_SEARCH_QUERY_ERROR_UNKNOWN_KEY, "colour:" },
    { "web tag:", DOMUS_SEARCH_QUERY_ERROR_EMPTY_VALUE, "tag:" },
    { "state:sleepy", DOMUS_SEARCH_QUERY_ERROR_UNKNOWN_STATE, "sleepy" },
    { "tag:\"open", DOMUS_SEARCH_QUERY_ERROR_QUOTE, "open" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(DomusSearchQuery) query = domus_search_query_parse (cases[i].text, &error);

      g_assert_null (query);
      g_assert_error (error, DOMUS_SEARCH_QUERY_ERROR, cases[i].code);
      g_assert_nonnull (strstr (error->message, cases[i].named));
    }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/search-query/terms", test_terms);
  g_test_add_func ("/search-query/states", test_states);
  g_test_add_func ("/search-query/quotes", test_quotes);
  g_test_add_func ("/search-query/host-terms-alone", test_host_terms_alone);
  g_test_add_func ("/search-query/errors", test_errors);
  return g_test_run ();
}
