/* SPDX-License-Identifier: GPL-3.0-or-later */
/* DomusServerStore (the sidebar's rows) fed by host models made in this process: how many
 * batches and rows a listing, a flood of events and a removal make. No daemon, no display. */

#include "config.h"

#include "domus-host-private.h"
#include "domus-server-store.h"

typedef struct {
  DomusHost        *host;
  GListStore       *hosts;
  DomusServerStore *store;
  GtkTreeModel     *model;
  guint             batches;       /* "rows-changing" */
  guint             open;          /* "rows-changing" less "rows-changed" */
  guint             inserted;      /* the tree store's "row-inserted" */
  guint             changed;       /* ... "row-changed" */
} Fixture;

static void
on_rows_changing (DomusServerStore *store,
                  Fixture          *fixture)
{
  g_assert_cmpuint (fixture->open, ==, 0);
  fixture->batches++;
  fixture->open++;
}

static void
on_rows_changed (DomusServerStore *store,
                 Fixture          *fixture)
{
  g_assert_cmpuint (fixture->open, ==, 1);
  fixture->open--;
}

static void
count (guint *counter)
{
  (*counter)++;
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  fixture->host = domus_host_new ("unix:/nonexistent/domusd.sock");
  fixture->hosts = g_list_store_new (DOMUS_TYPE_HOST);
  g_list_store_append (fixture->hosts, fixture->host);
  fixture->store = domus_server_store_new ();
  fixture->model = domus_server_store_get_model (fixture->store);
  g_signal_connect (fixture->store, "rows-changing", G_CALLBACK (on_rows_changing), fixture);
  g_signal_connect (fixture->store, "rows-changed", G_CALLBACK (on_rows_changed), fixture);
  g_signal_connect_swapped (fixture->model, "row-inserted", G_CALLBACK (count), &fixture->inserted);
  g_signal_connect_swapped (fixture->model, "row-changed", G_CALLBACK (count), &fixture->changed);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  g_assert_cmpuint (fixture->open, ==, 0);
  g_clear_object (&fixture->store);
  g_clear_object (&fixture->hosts);
  g_clear_object (&fixture->host);
}

static void
reset_counts (Fixture *fixture)
{
  fixture->batches = fixture->inserted = fixture->changed = 0;
}

/* "name" or "name:tag,tag" for each domain, as a host's list would say. */
static void
sync_domains (DomusHost          *host,
              const char * const *specs)
{
  g_autoptr(GPtrArray) infos = g_ptr_array_new_with_free_func ((GDestroyNotify) domus_domain_info_free);

  for (guint i = 0; specs[i] != NULL; i++)
    {
      g_auto(GStrv) parts = g_strsplit (specs[i], ":", 2);
      DomusDomainInfo *info = domus_domain_info_new ();

      info->name = g_strdup (parts[0]);
      info->fields = DOMUS_DOMAIN_INFO_STATE | DOMUS_DOMAIN_INFO_TAGS;
      info->state = DOMUS_DOMAIN_STATE_SHUTOFF;
      g_strfreev (info->tags);
      info->tags = parts[1] != NULL ? g_strsplit (parts[1], ",", -1) : g_new0 (char *, 1);
      g_ptr_array_add (infos, info);
    }
  _domus_host_sync_domains (host, infos);
}

static GStrv
numbered_specs (const char *prefix,
                guint       n,
                const char *tags)
{
  GStrv specs = g_new0 (char *, n + 1);

  for (guint i = 0; i < n; i++)
    specs[i] = g_strdup_printf ("%s%03u%s%s", prefix, i, tags != NULL ? ":" : "", tags != NULL ? tags : "");
  return specs;
}

static void
set_state (DomusHost        *host,
           const char       *name,
           DomusDomainState  state)
{
  g_autoptr(DomusDomainInfo) info = domus_domain_info_new ();

  info->name = g_strdup (name);
  info->fields = DOMUS_DOMAIN_INFO_STATE;
  info->state = state;
  _domus_host_update_domain (host, info, FALSE);
}

/* The names under a row with the state a domain row says unless shut off, "a b(running) c";
 * groups as "[tag: …]". */
static char *
describe_children (GtkTreeModel *model,
                   GtkTreeIter  *parent)
{
  GString *out = g_string_new (NULL);
  GtkTreeIter child;

  if (gtk_tree_model_iter_children (model, &child, parent))
    do
      {
        g_autofree char *name = NULL;
        g_autofree char *state_text = NULL;
        int kind, state;

        gtk_tree_model_get (model, &child, DOMUS_SERVER_STORE_COL_KIND, &kind,
                            DOMUS_SERVER_STORE_COL_NAME, &name, DOMUS_SERVER_STORE_COL_STATE, &state,
                            DOMUS_SERVER_STORE_COL_STATE_TEXT, &state_text, -1);
        if (out->len > 0)
          g_string_append_c (out, ' ');
        if (kind == DOMUS_SERVER_ROW_GROUP)
          {
            g_autofree char *inner = describe_children (model, &child);

            g_string_append_printf (out, "[%s: %s]", name, inner);
          }
        else if (state == DOMUS_DOMAIN_STATE_SHUTOFF)
          g_string_append (out, name);
        else
          g_string_append_printf (out, "%s(%s)", name, state_text);
      }
    while (gtk_tree_model_iter_next (model, &child));
  return g_string_free (out, FALSE);
}

static char *
describe_host (Fixture *fixture)
{
  GtkTreeIter host_iter;

  g_assert_true (domus_server_store_find_host (fixture->store, fixture->host, &host_iter));
  return describe_children (fixture->model, &host_iter);
}

static guint
rows_of (Fixture    *fixture,
         const char *name)
{
  DomusDomain *domain = domus_host_lookup_domain (fixture->host, name);
  GtkTreeIter iter;
  guint n = 0;
  gboolean more;

  if (domain == NULL)
    return 0;
  more = domus_server_store_next_row_of (fixture->store, domain, NULL, &iter);
  while (more)
    {
      g_autoptr(GObject) object = NULL;

      gtk_tree_model_get (fixture->model, &iter, DOMUS_SERVER_STORE_COL_OBJECT, &object, -1);
      g_assert_true (object == G_OBJECT (domain));
      n++;
      more = domus_server_store_next_row_of (fixture->store, domain, &iter, &iter);
    }
  return n;
}

/* Runs what the main loop has pending (the store's coalesced writes among it). */
static void
drain (void)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

/* A host's first listing of 200 domains is one batch: a row each, inserted filled in. */
static void
test_listing_one_batch (Fixture       *fixture,
                        gconstpointer  data)
{
  g_auto(GStrv) specs = numbered_specs ("vm", 200, NULL);
  g_autofree char *text = NULL;
  GtkTreeIter host_iter;

  domus_server_store_set_hosts (fixture->store, G_LIST_MODEL (fixture->hosts));
  reset_counts (fixture);
  sync_domains (fixture->host, (const char * const *) specs);

  g_assert_cmpuint (fixture->batches, ==, 1);
  g_assert_cmpuint (fixture->inserted, ==, 200);
  g_assert_cmpuint (fixture->changed, ==, 0);
  g_assert_true (domus_server_store_find_host (fixture->store, fixture->host, &host_iter));
  g_assert_cmpint (gtk_tree_model_iter_n_children (fixture->model, &host_iter), ==, 200);
  text = describe_host (fixture);
  g_assert_true (g_str_has_prefix (text, "vm000 vm001 vm002 "));
  g_assert_true (g_str_has_suffix (text, " vm198 vm199"));
  g_assert_cmpuint (rows_of (fixture, "vm123"), ==, 1);
  drain ();
  g_assert_cmpuint (fixture->batches, ==, 1);
}

/* A flood of state changes reaches the rows once the main loop is free: one batch, each
 * row written once however often its domain changed. */
static void
test_events_coalesced (Fixture       *fixture,
                       gconstpointer  data)
{
  g_auto(GStrv) specs = numbered_specs ("vm", 100, NULL);
  g_autofree char *text = NULL;

  domus_server_store_set_hosts (fixture->store, G_LIST_MODEL (fixture->hosts));
  sync_domains (fixture->host, (const char * const *) specs);
  reset_counts (fixture);
  for (guint i = 0; i < 100; i += 2)
    {
      set_state (fixture->host, specs[i], DOMUS_DOMAIN_STATE_PAUSED);
      set_state (fixture->host, specs[i], DOMUS_DOMAIN_STATE_RUNNING);
    }
  g_assert_cmpuint (fixture->batches, ==, 0);
  g_assert_cmpuint (fixture->changed, ==, 0);

  drain ();
  g_assert_cmpuint (fixture->batches, ==, 1);
  g_assert_cmpuint (fixture->changed, ==, 50);
  text = describe_host (fixture);
  g_assert_true (g_str_has_prefix (text, "vm000(running) vm001 vm002(running) vm003 "));
  g_assert_true (g_str_has_suffix (text, " vm098(running) vm099"));
}

/* A domain that changed and then went before the rows were written: its row goes at once,
 * the others are written, each once. */
static void
test_removal_in_a_batch (Fixture       *fixture,
                         gconstpointer  data)
{
  const char *first[] = { "a", "b", "c", "d", "e", NULL };
  g_autofree char *text = NULL;
  g_autoptr(DomusDomain) c = NULL;

  domus_server_store_set_hosts (fixture->store, G_LIST_MODEL (fixture->hosts));
  sync_domains (fixture->host, first);
  c = g_object_ref (domus_host_lookup_domain (fixture->host, "c"));
  reset_counts (fixture);
  set_state (fixture->host, "b", DOMUS_DOMAIN_STATE_RUNNING);
  set_state (fixture->host, "c", DOMUS_DOMAIN_STATE_RUNNING);
  set_state (fixture->host, "d", DOMUS_DOMAIN_STATE_PAUSED);
  _domus_host_remove_domain (fixture->host, "c");
  g_assert_cmpuint (fixture->batches, ==, 1);
  g_assert_false (domus_server_store_next_row_of (fixture->store, c, NULL, &(GtkTreeIter) { 0 }));

  drain ();
  g_assert_cmpuint (fixture->batches, ==, 2);
  g_assert_cmpuint (fixture->changed, ==, 2);
  text = describe_host (fixture);
  g_assert_cmpstr (text, ==, "a b(running) d(paused) e");
  g_assert_cmpuint (rows_of (fixture, "d"), ==, 1);
}

/* Grouped by tag, a listing moves domains through many groups: still one batch, and a
 * domain with two tags has two rows, found in the tree's order. */
static void
test_grouped_listing (Fixture       *fixture,
                      gconstpointer  data)
{
  const char *specs[] = { "zeta:web", "alpha:web,db", "beta", "gamma:db", NULL };
  g_autofree char *text = NULL;
  DomusDomain *alpha;
  GtkTreeIter first, second;
  g_autoptr(GtkTreePath) first_path = NULL;
  g_autoptr(GtkTreePath) second_path = NULL;

  domus_server_store_set_group_by_tag (fixture->store, TRUE);
  domus_server_store_set_hosts (fixture->store, G_LIST_MODEL (fixture->hosts));
  reset_counts (fixture);
  sync_domains (fixture->host, specs);
  g_assert_cmpuint (fixture->batches, ==, 1);
  text = describe_host (fixture);
  g_assert_cmpstr (text, ==, "[db: alpha gamma] [web: alpha zeta] [Untagged: beta]");
  g_assert_cmpuint (rows_of (fixture, "alpha"), ==, 2);

  alpha = domus_host_lookup_domain (fixture->host, "alpha");
  g_assert_true (domus_server_store_next_row_of (fixture->store, alpha, NULL, &first));
  g_assert_true (domus_server_store_next_row_of (fixture->store, alpha, &first, &second));
  first_path = gtk_tree_model_get_path (fixture->model, &first);
  second_path = gtk_tree_model_get_path (fixture->model, &second);
  g_assert_cmpint (gtk_tree_path_compare (first_path, second_path), <, 0);

  /* Both rows follow the domain's state; back to one batch per burst. */
  reset_counts (fixture);
  set_state (fixture->host, "alpha", DOMUS_DOMAIN_STATE_RUNNING);
  drain ();
  g_assert_cmpuint (fixture->batches, ==, 1);
  g_assert_cmpuint (fixture->changed, ==, 2);
  g_clear_pointer (&text, g_free);
  text = describe_host (fixture);
  g_assert_cmpstr (text, ==, "[db: alpha(running) gamma] [web: alpha(running) zeta] [Untagged: beta]");

  /* Ungrouped again: one row each, the index follows. */
  domus_server_store_set_group_by_tag (fixture->store, FALSE);
  g_assert_cmpuint (rows_of (fixture, "alpha"), ==, 1);
  g_clear_pointer (&text, g_free);
  text = describe_host (fixture);
  g_assert_cmpstr (text, ==, "alpha(running) beta gamma zeta");
}

/* A store dropped with writes pending writes nothing later. */
static void
test_dispose_pending (Fixture       *fixture,
                      gconstpointer  data)
{
  const char *specs[] = { "a", "b", NULL };

  domus_server_store_set_hosts (fixture->store, G_LIST_MODEL (fixture->hosts));
  sync_domains (fixture->host, specs);
  set_state (fixture->host, "a", DOMUS_DOMAIN_STATE_RUNNING);
  g_clear_object (&fixture->store);
  drain ();
  set_state (fixture->host, "b", DOMUS_DOMAIN_STATE_RUNNING);
  drain ();
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/server-store/listing-one-batch", Fixture, NULL, fixture_set_up, test_listing_one_batch,
              fixture_tear_down);
  g_test_add ("/server-store/events-coalesced", Fixture, NULL, fixture_set_up, test_events_coalesced,
              fixture_tear_down);
  g_test_add ("/server-store/removal-in-a-batch", Fixture, NULL, fixture_set_up, test_removal_in_a_batch,
              fixture_tear_down);
  g_test_add ("/server-store/grouped-listing", Fixture, NULL, fixture_set_up, test_grouped_listing,
              fixture_tear_down);
  g_test_add ("/server-store/dispose-pending", Fixture, NULL, fixture_set_up, test_dispose_pending,
              fixture_tear_down);
  return g_test_run ();
}
