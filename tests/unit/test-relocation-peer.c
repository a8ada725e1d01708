/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The relocation peer check (hv-relocation-peer.c) against a resolver whose answers the test
 * writes: a reverse name is trusted only when its forward lookup gives the peer's address back.
 * The real resolver on a real DNS server is in tests/integration/test-relocation-dns.py.
 */

#include "config.h"

#include <string.h>
#include <glib/gstdio.h>

#include "hv-relocation-peer.h"

/* A resolver with a table: PTR records (address → name) and A records (name → addresses). */
#define TEST_TYPE_RESOLVER (test_resolver_get_type ())
G_DECLARE_FINAL_TYPE (TestResolver, test_resolver, TEST, RESOLVER, GResolver)

struct _TestResolver
{
  GResolver   parent_instance;
  GHashTable *reverse;   /* address text → name */
  GHashTable *forward;   /* name → "a,b,…" */
  guint       lookups;
};

G_DEFINE_FINAL_TYPE (TestResolver, test_resolver, G_TYPE_RESOLVER)

static void
test_resolver_lookup_by_address_async (GResolver           *resolver,
                                       GInetAddress        *address,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  TestResolver *self = TEST_RESOLVER (resolver);
  g_autoptr(GTask) task = g_task_new (resolver, cancellable, callback, user_data);
  g_autofree char *text = g_inet_address_to_string (address);
  const char *name = g_hash_table_lookup (self->reverse, text);

  self->lookups++;
  if (name != NULL)
    g_task_return_pointer (task, g_strdup (name), g_free);
  else
    g_task_return_new_error (task, G_RESOLVER_ERROR, G_RESOLVER_ERROR_NOT_FOUND, "no PTR record for %s", text);
}

static char *
test_resolver_lookup_by_address_finish (GResolver     *resolver,
                                        GAsyncResult  *result,
                                        GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
test_resolver_lookup_by_name_async (GResolver           *resolver,
                                    const char          *hostname,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  TestResolver *self = TEST_RESOLVER (resolver);
  g_autoptr(GTask) task = g_task_new (resolver, cancellable, callback, user_data);
  const char *list = g_hash_table_lookup (self->forward, hostname);
  g_auto(GStrv) texts = NULL;
  GList *addresses = NULL;

  self->lookups++;
  if (list == NULL)
    {
      g_task_return_new_error (task, G_RESOLVER_ERROR, G_RESOLVER_ERROR_NOT_FOUND, "no A record for %s", hostname);
      return;
    }
  texts = g_strsplit (list, ",", -1);
  for (guint i = 0; texts[i] != NULL; i++)
    addresses = g_list_append (addresses, g_inet_address_new_from_string (texts[i]));
  g_task_return_pointer (task, addresses, (GDestroyNotify) g_resolver_free_addresses);
}

static GList *
test_resolver_lookup_by_name_finish (GResolver     *resolver,
                                     GAsyncResult  *result,
                                     GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
test_resolver_finalize (GObject *object)
{
  TestResolver *self = TEST_RESOLVER (object);

  g_hash_table_unref (self->reverse);
  g_hash_table_unref (self->forward);
  G_OBJECT_CLASS (test_resolver_parent_class)->finalize (object);
}

static void
test_resolver_class_init (TestResolverClass *klass)
{
  GResolverClass *resolver_class = G_RESOLVER_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = test_resolver_finalize;
  resolver_class->lookup_by_address_async = test_resolver_lookup_by_address_async;
  resolver_class->lookup_by_address_finish = test_resolver_lookup_by_address_finish;
  resolver_class->lookup_by_name_async = test_resolver_lookup_by_name_async;
  resolver_class->lookup_by_name_finish = test_resolver_lookup_by_name_finish;
}

static void
test_resolver_init (TestResolver *self)
{
  self->reverse = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->forward = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

/* ------------------------------------------------------------------------- */

static HvDaemonConfig *
config_allowing (const char *hosts_allow)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("domus-peer-XXXXXX", &error);
  g_autofree char *path = NULL;
  g_autofree char *text = NULL;
  HvDaemonConfig *config;

  g_assert_no_error (error);
  path = g_build_filename (dir, "domusd.conf", NULL);
  text = g_strdup_printf ("[relocation]\nenabled=true\nhosts-allow=%s\n", hosts_allow);
  g_assert_true (g_file_set_contents (path, text, -1, &error));
  config = hv_daemon_config_load (path, TRUE, &error);
  g_assert_no_error (error);
  g_unlink (path);
  g_rmdir (dir);
  return config;
}

typedef struct {
  GMainLoop *loop;
  gboolean   allowed;
  GError    *error;
} Verdict;

static void
on_checked (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  Verdict *verdict = user_data;

  verdict->allowed = hv_relocation_peer_check_finish (result, &verdict->error);
  g_main_loop_quit (verdict->loop);
}

static gboolean
check_peer (HvDaemonConfig *config,
            TestResolver   *resolver,
            const char     *address_text,
            GCancellable   *cancellable,
            GError        **error)
{
  g_autoptr(GInetAddress) address = g_inet_address_new_from_string (address_text);
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  Verdict verdict = { loop, FALSE, NULL };

  g_assert_nonnull (address);
  hv_relocation_peer_check_async (config, address, G_RESOLVER (resolver), cancellable, on_checked, &verdict);
  g_main_loop_run (loop);
  g_assert_true (verdict.allowed == (verdict.error == NULL));
  if (verdict.error != NULL)
    g_propagate_error (error, verdict.error);
  return verdict.allowed;
}

static TestResolver *
new_resolver (void)
{
  TestResolver *resolver = g_object_new (TEST_TYPE_RESOLVER, NULL);

  /* honest: its name's A record gives its address back. */
  g_hash_table_insert (resolver->reverse, g_strdup ("192.0.2.10"), g_strdup ("honest.example"));
  g_hash_table_insert (resolver->forward, g_strdup ("honest.example"), g_strdup ("198.51.100.1,192.0.2.10"));
  /* a liar: its reverse zone says it is honest.example, whose A records do not include it. */
  g_hash_table_insert (resolver->reverse, g_strdup ("203.0.113.66"), g_strdup ("honest.example"));
  /* a name that does not resolve at all. */
  g_hash_table_insert (resolver->reverse, g_strdup ("203.0.113.67"), g_strdup ("gone.example"));
  /* a name hosts-allow does not list. */
  g_hash_table_insert (resolver->reverse, g_strdup ("203.0.113.68"), g_strdup ("stranger.example"));
  g_hash_table_insert (resolver->forward, g_strdup ("stranger.example"), g_strdup ("203.0.113.68"));
  return resolver;
}

typedef struct {
  const char *address;
  gboolean    allowed;
  guint       lookups;
  const char *said;     /* in the refusal's message */
} Case;

static void
test_cases (void)
{
  static const Case cases[] = {
    /* The address itself is named: no DNS at all. */
    { "127.0.0.1", TRUE, 0, NULL },
    /* An IPv4 peer on an IPv6 socket is read as its IPv4 address. */
    { "::ffff:127.0.0.1", TRUE, 0, NULL },
    /* The name, confirmed by its forward lookup. */
    { "192.0.2.10", TRUE, 2, NULL },
    { "::ffff:192.0.2.10", TRUE, 2, NULL },
    /* The name its reverse zone claims, that its forward lookup does not confirm. */
    { "203.0.113.66", FALSE, 2, "names 203.0.113.66 only by its reverse name honest.example, which does not "
                                "resolve back to it" },
    { "203.0.113.67", FALSE, 2, "reverse name gone.example, whose lookup failed" },
    /* A name hosts-allow does not list is refused without a forward lookup. */
    { "203.0.113.68", FALSE, 1, "names neither 203.0.113.68 nor its name stranger.example" },
    /* No name at all. */
    { "203.0.113.99", FALSE, 1, "has no name" },
  };
  g_autoptr(HvDaemonConfig) config = config_allowing ("^127\\.0\\.0\\.1$;^honest\\.example$;^gone\\.example$");

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(TestResolver) resolver = new_resolver ();
      g_autoptr(GError) error = NULL;
      gboolean allowed;

      g_test_message ("peer %s", cases[i].address);
      allowed = check_peer (config, resolver, cases[i].address, NULL, &error);
      g_assert_cmpint (allowed, ==, cases[i].allowed);
      g_assert_cmpuint (resolver->lookups, ==, cases[i].lookups);
      if (cases[i].allowed)
        continue;
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
      g_assert_nonnull (strstr (error->message, "hosts-allow"));
      g_assert_nonnull (strstr (error->message, cases[i].said));
    }
}

static void
test_empty_allows_anyone (void)
{
  g_autoptr(HvDaemonConfig) config = config_allowing ("");
  g_autoptr(TestResolver) resolver = new_resolver ();

  g_assert_true (check_peer (config, resolver, "203.0.113.66", NULL, NULL));
  g_assert_cmpuint (resolver->lookups, ==, 0);
}

static void
test_cancelled (void)
{
  g_autoptr(HvDaemonConfig) config = config_allowing ("^honest\\.example$");
  g_autoptr(TestResolver) resolver = new_resolver ();
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;

  g_cancellable_cancel (cancellable);
  g_assert_false (check_peer (config, resolver, "192.0.2.10", cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/relocation-peer/cases", test_cases);
  g_test_add_func ("/relocation-peer/empty-allows-anyone", test_empty_allows_anyone);
  g_test_add_func ("/relocation-peer/cancelled", test_cancelled);
  return g_test_run ();
}
