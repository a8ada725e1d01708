/* SPDX-License-Identifier: GPL-3.0-or-later */
/* DomusTagGroups on domains made in this process: no daemon, no display. */

#include "config.h"

#include <json-glib/json-glib.h>

#include "domus-host.h"
#include "domus-tag-groups.h"

typedef struct {
  DomusHost  *host;
  GListStore *domains;
  GString    *log;       /* the groups model's items-changed, "pos-removed+added;" */
} Fixture;

/* What a host would say: the domain's tags, written as a JSON array for short. */
static DomusDomainInfo *
info_with_tags (const char *tags_json)
{
  g_autoptr(JsonNode) node = json_from_string (tags_json, NULL);
  DomusDomainInfo *info = domus_domain_info_new ();
  JsonArray *array;

  g_assert_nonnull (node);
  array = json_node_get_array (node);
  g_strfreev (info->tags);
  info->tags = g_new0 (char *, json_array_get_length (array) + 1);
  for (guint i = 0; i < json_array_get_length (array); i++)
    info->tags[i] = g_strdup (json_array_get_string_element (array, i));
  info->fields = DOMUS_DOMAIN_INFO_TAGS;
  return info;
}

static DomusDomain *
add_domain (Fixture    *fixture,
            const char *name,
            const char *tags_json)
{
  g_autoptr(DomusDomain) domain = _domus_domain_new (fixture->host, name, 4);
  g_autoptr(DomusDomainInfo) info = info_with_tags (tags_json);

  info->fields |= DOMUS_DOMAIN_INFO_STATE;
  info->state = DOMUS_DOMAIN_STATE_SHUTOFF;
  _domus_domain_update (domain, info);
  g_list_store_append (fixture->domains, domain);
  return domain;   /* the store keeps it */
}

static void
set_tags (DomusDomain *domain,
          const char  *tags_json)
{
  g_autoptr(DomusDomainInfo) info = info_with_tags (tags_json);

  _domus_domain_update (domain, info);
}

/* "web: a b | db: c | -: d" — every group's tag and domains, in order. */
static char *
describe (DomusTagGroups *groups)
{
  GString *out = g_string_new (NULL);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (groups));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GListModel) group = g_list_model_get_item (G_LIST_MODEL (groups), i);
      const char *tag = domus_tag_groups_get_tag (group);

      g_string_append_printf (out, "%s%s:", i > 0 ? " | " : "", tag != NULL ? tag : "-");
      for (guint j = 0; j < g_list_model_get_n_items (group); j++)
        {
          g_autoptr(DomusDomain) domain = g_list_model_get_item (group, j);

          g_string_append_printf (out, " %s", domus_domain_get_name (domain));
        }
    }
  return g_string_free (out, FALSE);
}

static void
log_changes (GListModel *model,
             guint       position,
             guint       removed,
             guint       added,
             Fixture    *fixture)
{
  g_string_append_printf (fixture->log, "%u-%u+%u;", position, removed, added);
}

static void
count_change (guint *count)
{
  (*count)++;
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  fixture->host = domus_host_new ("unix:/nonexistent/domusd.sock");
  fixture->domains = g_list_store_new (DOMUS_TYPE_DOMAIN);
  fixture->log = g_string_new (NULL);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  g_clear_object (&fixture->domains);
  g_clear_object (&fixture->host);
  g_string_free (fixture->log, TRUE);
}

static void
test_initial_groups (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(DomusTagGroups) groups = NULL;
  g_autofree char *text = NULL;

  add_domain (fixture, "zeta", "[\"web\"]");
  add_domain (fixture, "alpha", "[\"web\", \"db\"]");
  add_domain (fixture, "beta", "[]");
  add_domain (fixture, "gamma", "[\"db\"]");
  groups = domus_tag_groups_new (G_LIST_MODEL (fixture->domains));

  text = describe (groups);
  /* Groups by name, untagged last; domains by name; alpha in both of its groups. */
  g_assert_cmpstr (text, ==, "db: alpha gamma | web: alpha zeta | -: beta");
  g_assert_cmpint (domus_tag_groups_find (groups, "web"), ==, 1);
  g_assert_cmpint (domus_tag_groups_find (groups, NULL), ==, 2);
  g_assert_cmpint (domus_tag_groups_find (groups, "prod"), ==, -1);
}

static void
test_tags_change (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(DomusTagGroups) groups = NULL;
  g_autoptr(GListModel) web = NULL;
  g_autofree char *text = NULL;
  DomusDomain *alpha, *beta;
  guint web_changes = 0;

  alpha = add_domain (fixture, "alpha", "[\"web\"]");
  beta = add_domain (fixture, "beta", "[]");
  add_domain (fixture, "gamma", "[\"web\"]");
  groups = domus_tag_groups_new (G_LIST_MODEL (fixture->domains));
  g_signal_connect (groups, "items-changed", G_CALLBACK (log_changes), fixture);
  web = g_list_model_get_item (G_LIST_MODEL (groups), 0);
  g_signal_connect_swapped (web, "items-changed", G_CALLBACK (count_change), &web_changes);

  /* beta gets a tag: a new group before "web", and the untagged group goes. */
  set_tags (beta, "[\"db\"]");
  text = describe (groups);
  g_assert_cmpstr (text, ==, "db: beta | web: alpha gamma");
  g_assert_cmpstr (fixture->log->str, ==, "0-0+1;2-1+0;");
  g_clear_pointer (&text, g_free);

  /* alpha adds "db" and keeps "web": the web group is the same object, one domain fewer
   * only when it really leaves. */
  g_string_truncate (fixture->log, 0);
  set_tags (alpha, "[\"web\", \"db\"]");
  text = describe (groups);
  g_assert_cmpstr (text, ==, "db: alpha beta | web: alpha gamma");
  g_assert_cmpstr (fixture->log->str, ==, "");
  g_assert_cmpuint (web_changes, ==, 0);
  g_clear_pointer (&text, g_free);

  /* alpha drops both: it is untagged, and groups stay while others carry their tag. */
  set_tags (alpha, "[]");
  text = describe (groups);
  g_assert_cmpstr (text, ==, "db: beta | web: gamma | -: alpha");
  g_assert_cmpstr (fixture->log->str, ==, "2-0+1;");
  g_assert_cmpuint (web_changes, ==, 1);
  g_assert_cmpint (domus_tag_groups_find (groups, "web"), ==, 1);
  {
    g_autoptr(GListModel) still_web = g_list_model_get_item (G_LIST_MODEL (groups), 1);

    g_assert_true (still_web == web);
  }
}

static void
test_domains_come_and_go (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autoptr(DomusTagGroups) groups = NULL;
  g_autofree char *text = NULL;
  DomusDomain *beta;

  add_domain (fixture, "alpha", "[\"web\"]");
  groups = domus_tag_groups_new (G_LIST_MODEL (fixture->domains));
  g_signal_connect (groups, "items-changed", G_CALLBACK (log_changes), fixture);

  beta = add_domain (fixture, "beta", "[\"db\", \"web\"]");
  text = describe (groups);
  g_assert_cmpstr (text, ==, "db: beta | web: alpha beta");
  g_assert_cmpstr (fixture->log->str, ==, "0-0+1;");
  g_clear_pointer (&text, g_free);

  /* Removed from the source: it leaves every group, and its tags no longer move it. */
  g_object_ref (beta);
  g_list_store_remove (fixture->domains, 1);
  text = describe (groups);
  g_assert_cmpstr (text, ==, "web: alpha");
  g_assert_cmpstr (fixture->log->str, ==, "0-0+1;0-1+0;");
  g_clear_pointer (&text, g_free);
  set_tags (beta, "[]");
  text = describe (groups);
  g_assert_cmpstr (text, ==, "web: alpha");
  g_object_unref (beta);

  g_list_store_remove_all (fixture->domains);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (groups)), ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/tag-groups/initial", Fixture, NULL, fixture_set_up, test_initial_groups, fixture_tear_down);
  g_test_add ("/tag-groups/tags-change", Fixture, NULL, fixture_set_up, test_tags_change, fixture_tear_down);
  g_test_add ("/tag-groups/domains-come-and-go", Fixture, NULL, fixture_set_up, test_domains_come_and_go,
              fixture_tear_down);
  return g_test_run ();
}
