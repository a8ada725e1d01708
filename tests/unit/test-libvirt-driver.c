/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The libvirt kind of host behind DomusHost, against libvirt's test driver in this
 * process (test:///PATH.xml): the choice of kind by URI, the followed model (list,
 * states from events, samples), the typed calls, the tags in <metadata>, images from
 * the storage pools, and the calls a libvirt host refuses with its kind named.
 */

#include <string.h>

#include "domus-host.h"
#include "domus-libvirt-driver.h"
#include "test-libvirt-util.h"

static const char node_xml[] =
  "<node>"
  "  <domain type='test'>"
  "    <name>alpha</name>"
  "    <memory unit='MiB'>256</memory><vcpu>1</vcpu>"
  "    <os><type>hvm</type></os>"
  "    <devices>"
  "      <serial type='pty'><target port='0'/></serial>"
  "      <graphics type='vnc' port='-1'/>"
  "    </devices>"
  "  </domain>"
  "  <domain type='test'>"
  "    <name>beta</name>"
  "    <memory unit='MiB'>128</memory><vcpu>2</vcpu>"
  "    <os><type>hvm</type></os>"
  "  </domain>"
  "  <pool type='dir'>"
  "    <name>default</name><target><path>/images</path></target>"
  "    <volume type='file'><name>disk.qcow2</name><capacity unit='MiB'>64</capacity>"
  "      <target><format type='qcow2'/></target></volume>"
  "  </pool>"
  "  <pool type='dir'>"
  "    <name>second</name><target><path>/second</path></target>"
  "  </pool>"
  "  <network><name>domusnet</name><bridge name='domusbr0'/></network>"
  "</node>";

static gboolean
host_is_settled (gpointer data)
{
  return domus_host_get_state (data) != DOMUS_HOST_STATE_CONNECTING;
}

/* A followed host on a fresh test node, connected. */
static DomusHost *
followed_host (void)
{
  g_autofree char *uri = lvt_test_uri (node_xml);
  DomusHost *host = domus_host_new (uri);

  g_assert_cmpstr (domus_host_get_kind (host), ==, "libvirt");
  domus_host_connect (host);
  g_assert_true (lvt_wait_until (host_is_settled, host, 10000));
  g_assert_no_error (domus_host_get_error (host));
  g_assert_cmpint (domus_host_get_state (host), ==, DOMUS_HOST_STATE_CONNECTED);
  return host;
}

typedef struct {
  DomusHost        *host;
  const char       *name;
  DomusDomainState  state;
} StateWait;

static gboolean
domain_has_state (gpointer data)
{
  StateWait *wait = data;
  DomusDomain *domain = domus_host_lookup_domain (wait->host, wait->name);

  return domain != NULL && domus_domain_get_state (domain) == wait->state;
}

static gboolean
act (DomusHost          *host,
     const char         *name,
     DomusDomainAction   action,
     gint64             *id,
     GError            **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  domus_host_domain_action_async (host, name, action, DOMUS_DOMAIN_ACTION_FLAGS_NONE, NULL, lvt_keep_result, &result);
  return domus_host_domain_action_finish (host, lvt_wait (&result), id, error);
}

static void
test_kind_by_uri (void)
{
  static const struct {
    const char *uri;
    const char *kind;
  } cases[] = {
    { "qemu:///system", "libvirt" },
    { "qemu:///session", "libvirt" },
    { "qemu+ssh://root@host/system", "libvirt" },
    { "qemu+libssh2://root@host/system?known_hosts=/tmp/kh", "libvirt" },
    { "xen:///system", "libvirt" },
    { "test:///tmp/node.xml", "libvirt" },
    { "ssh://user@host", "domusd" },
    { "unix:/run/domus/domusd.sock", "domusd" },
    { "local", "domusd" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(DomusHost) host = domus_host_new (cases[i].uri);

      g_assert_cmpstr (domus_host_get_kind (host), ==, cases[i].kind);
    }
}

static void
test_follow (void)
{
  g_autoptr(DomusHost) host = followed_host ();
  GListModel *domains = domus_host_get_domains (host);
  DomusDomain *alpha, *beta;

  g_assert_cmpuint (g_list_model_get_n_items (domains), ==, 2);
  alpha = domus_host_lookup_domain (host, "alpha");
  beta = domus_host_lookup_domain (host, "beta");
  g_assert_nonnull (alpha);
  g_assert_nonnull (beta);
  g_assert_cmpint (domus_domain_get_state (alpha), ==, DOMUS_DOMAIN_STATE_RUNNING);
  g_assert_cmpstr (domus_domain_get_flags (alpha), ==, "r-----");
  g_assert_cmpint (domus_domain_get_memory_mib (alpha), ==, 256);
  g_assert_cmpint (domus_domain_get_vcpus (beta), ==, 2);
  g_assert_cmpstr (domus_host_get_hypervisor (host), ==, "TEST");
  g_assert_cmpint (domus_host_get_cpus (host), >, 0);
  g_assert_true (domus_host_is_local (host));
  domus_host_disconnect (host);
}

static void
test_lifecycle_events (void)
{
  g_autoptr(DomusHost) host = followed_host ();
  g_autoptr(GError) error = NULL;
  StateWait wait = { host, "alpha", DOMUS_DOMAIN_STATE_PAUSED };
  gint64 id = 0;

  g_assert_true (act (host, "alpha", DOMUS_DOMAIN_ACTION_PAUSE, NULL, &error));
  g_assert_no_error (error);
  /* The model learns it from libvirt's event, not from the call's answer. */
  g_assert_true (lvt_wait_until (domain_has_state, &wait, 1000));
  g_assert_cmpstr (domus_domain_get_flags (domus_host_lookup_domain (host, "alpha")), ==, "--p---");

  g_assert_true (act (host, "alpha", DOMUS_DOMAIN_ACTION_DESTROY, NULL, &error));
  wait.state = DOMUS_DOMAIN_STATE_SHUTOFF;
  g_assert_true (lvt_wait_until (domain_has_state, &wait, 1000));
  g_assert_cmpint (domus_domain_get_id (domus_host_lookup_domain (host, "alpha")), ==, -1);

  g_assert_true (act (host, "alpha", DOMUS_DOMAIN_ACTION_START, &id, &error));
  g_assert_no_error (error);
  g_assert_cmpint (id, >, 0);
  wait.state = DOMUS_DOMAIN_STATE_RUNNING;
  g_assert_true (lvt_wait_until (domain_has_state, &wait, 1000));

  /* Digits alone are a running domain's id, as xm took them. */
  {
    g_autofree char *id_text = g_strdup_printf ("%" G_GINT64_FORMAT, id);

    g_assert_true (act (host, id_text, DOMUS_DOMAIN_ACTION_PAUSE, NULL, &error));
    g_assert_no_error (error);
    wait.state = DOMUS_DOMAIN_STATE_PAUSED;
    g_assert_true (lvt_wait_until (domain_has_state, &wait, 1000));
    g_assert_true (act (host, "alpha", DOMUS_DOMAIN_ACTION_RESUME, NULL, &error));
    g_assert_false (act (host, "999", DOMUS_DOMAIN_ACTION_PAUSE, NULL, &error));
    g_assert_error (error, DOMUS_ERROR, DOMUS_ERROR_NO_SUCH_DOMAIN);
    g_clear_error (&error);
  }

  /* Starting a running domain: the host's refusal, mapped. */
  g_assert_false (act (host, "alpha", DOMUS_DOMAIN_ACTION_START, NULL, &error));
  g_assert_error (error, DOMUS_ERROR, DOMUS_ERROR_ALREADY_RUNNING);
  g_clear_error (&error);
  g_assert_false (act (host, "nobody", DOMUS_DOMAIN_ACTION_PAUSE, NULL, &error));
  g_assert_error (error, DOMUS_ERROR, DOMUS_ERROR_NO_SUCH_DOMAIN);
  domus_host_disconnect (host);
}

static gboolean
domain_has_tag (gpointer data)
{
  DomusDomain *domain = data;

  return domus_domain_has_tag (domain, "web") && domus_domain_has_tag (domain, "prod");
}

static gboolean
domain_has_no_tags (gpointer data)
{
  return domus_domain_get_tags (data)[0] == NULL;
}

static void
test_values_and_tags (void)
{
  g_autoptr(DomusHost) host = followed_host ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *xml = NULL;
  g_autofree char *path = NULL;
  GVariantBuilder tags;
  GVariantDict values;

  g_variant_builder_init (&tags, G_VARIANT_TYPE ("av"));
  g_variant_builder_add (&tags, "v", g_variant_new_string ("web"));
  g_variant_builder_add (&tags, "v", g_variant_new_string ("prod"));
  g_variant_dict_init (&values, NULL);
  g_variant_dict_insert_value (&values, "tags", g_variant_builder_end (&tags));
  g_variant_dict_insert_value (&values, "memory", g_variant_new_int64 (192));
  domus_host_set_domain_values_async (host, "beta", g_variant_dict_end (&values), NULL, lvt_keep_result, &result);
  xml = domus_host_set_domain_values_finish (host, lvt_wait (&result), &error);
  g_assert_no_error (error);
  /* The tags live in the domain's <metadata>, under Domus's namespace. */
  g_assert_nonnull (strstr (xml, "https://domus.example.org/xmlns/libvirt/1.0"));
  g_assert_nonnull (strstr (xml, ">web<"));
  g_assert_true (lvt_wait_until (domain_has_tag, domus_host_lookup_domain (host, "beta"), 1000));
  g_clear_pointer (&xml, g_free);

  domus_host_get_domain_config_async (host, "beta", NULL, lvt_keep_result, &result);
  xml = domus_host_get_domain_config_finish (host, lvt_wait (&result), &path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (xml, "<name>beta</name>"));
  g_assert_nonnull (strstr (xml, "196608"));   /* 192 MiB in KiB */
  g_assert_null (path);

  /* A key a libvirt host cannot take is named, and nothing changes. */
  g_variant_dict_init (&values, NULL);
  g_variant_dict_insert_value (&values, "kernel", g_variant_new_string ("/boot/vmlinuz"));
  domus_host_set_domain_values_async (host, "beta", g_variant_dict_end (&values), NULL, lvt_keep_result, &result);
  g_assert_null (domus_host_set_domain_values_finish (host, lvt_wait (&result), &error));
  g_assert_error (error, DOMUS_ERROR, DOMUS_ERROR_INVALID_PARAMS);
  g_assert_nonnull (strstr (error->message, "kernel"));
  g_clear_error (&error);

  /* The form's empty tags field: an empty maybe takes every tag away. */
  g_variant_dict_init (&values, NULL);
  g_variant_dict_insert_value (&values, "tags", g_variant_new_maybe (G_VARIANT_TYPE_VARIANT, NULL));
  domus_host_set_domain_values_async (host, "beta", g_variant_dict_end (&values), NULL, lvt_keep_result, &result);
  g_free (domus_host_set_domain_values_finish (host, lvt_wait (&result), &error));
  g_assert_no_error (error);
  g_assert_true (lvt_wait_until (domain_has_no_tags, domus_host_lookup_domain (host, "beta"), 1000));

  /* The XML back with another name: refused. */
  g_assert_nonnull (strstr (xml, "<name>beta</name>"));
  memcpy (strstr (xml, "<name>beta</name>") + strlen ("<name>"), "gamm", 4);
  domus_host_set_domain_config_async (host, "beta", xml, NULL, lvt_keep_result, &result);
  g_assert_false (domus_host_set_domain_config_finish (host, lvt_wait (&result), &error));
  g_assert_error (error, DOMUS_ERROR, DOMUS_ERROR_INVALID_CONFIG);
  domus_host_disconnect (host);
}

static void
test_define_xml_only (void)
{
  g_autoptr(DomusHost) host = followed_host ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DomusDomainInfo) info = NULL;
  static const char xml[] =
    "<domain type='test'><name>gamma</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>"
    "<os><type>hvm</type></os></domain>";

  domus_host_define_domain_async (host, "name = 'gamma'\nmemory = 64\n", "gamma.cfg", NULL, lvt_keep_result, &result);
  g_assert_null (domus_host_define_domain_finish (host, lvt_wait (&result), &error));
  g_assert_error (error, DOMUS_ERROR, DOMUS_ERROR_INVALID_CONFIG);
  g_assert_nonnull (strstr (error->message, "gamma.cfg"));
  g_clear_error (&error);

  domus_host_create_domain_async (host, xml, "gamma.xml", NULL, lvt_keep_result, &result);
  info = domus_host_define_domain_finish (host, lvt_wait (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (info->name, ==, "gamma");
  {
    StateWait wait = { host, "gamma", DOMUS_DOMAIN_STATE_RUNNING };

    g_assert_true (lvt_wait_until (domain_has_state, &wait, 1000));
  }
  domus_host_disconnect (host);
}

/* The create assistant's choices become libvirt XML on a libvirt host. */
static void
test_create_from_choices (void)
{
  g_autoptr(DomusHost) host = followed_host ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DomusDomainInfo) info = NULL;
  g_autofree char *xml = NULL;
  DomusCfgChoices choices = {
    .name = "delta", .memory_mib = 96, .vcpus = 1, .kind = DOMUS_CFG_KIND_KERNEL,
    .kernel = "/boot/vmlinuz", .ramdisk = "/boot/initrd.img", .extra = "console=ttyS0",
    .disk_path = "/images/disk.qcow2", .disk_format = "qcow2", .network = DOMUS_CFG_NETWORK_USER,
    .vnc = TRUE,
  };
  StateWait wait = { host, "delta", DOMUS_DOMAIN_STATE_RUNNING };

  domus_host_create_domain_from_choices_async (host, &choices, TRUE, NULL, lvt_keep_result, &result);
  info = domus_host_define_domain_finish (host, lvt_wait (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (info->name, ==, "delta");
  g_assert_true (lvt_wait_until (domain_has_state, &wait, 1000));
  g_assert_cmpint (domus_domain_get_memory_mib (domus_host_lookup_domain (host, "delta")), ==, 96);

  domus_host_get_domain_config_async (host, "delta", NULL, lvt_keep_result, &result);
  xml = domus_host_get_domain_config_finish (host, lvt_wait (&result), NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (xml, "<kernel>/boot/vmlinuz</kernel>"));
  g_assert_nonnull (strstr (xml, "/images/disk.qcow2"));

  /* A wrong choice names itself, and nothing is made. */
  choices.name = "epsilon";
  choices.memory_mib = 0;
  domus_host_create_domain_from_choices_async (host, &choices, TRUE, NULL, lvt_keep_result, &result);
  g_assert_null (domus_host_define_domain_finish (host, lvt_wait (&result), &error));
  g_assert_error (error, DOMUS_CFG_ERROR, DOMUS_CFG_ERROR_MEMORY);
  g_assert_null (domus_host_lookup_domain (host, "epsilon"));
  domus_host_disconnect (host);
}

/* What the assistant offers on a libvirt host: its pools, its networks, and a preview of
 * the domain XML (the host's own type of guest) with no .cfg file name. */
static void
test_assistant_offers (void)
{
  g_autoptr(DomusHost) host = followed_host ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) pools = NULL;
  g_auto(GStrv) networks = NULL;
  g_autofree char *xml = NULL;
  g_autofree char *filename = NULL;
  const char *want_pools[] = { "default", "second", NULL };
  const char *want_networks[] = { "domusnet", NULL };
  DomusCfgChoices choices = {
    .name = "zeta", .memory_mib = 64, .vcpus = 1, .kind = DOMUS_CFG_KIND_KERNEL,
    .kernel = "/boot/vmlinuz", .network = DOMUS_CFG_NETWORK_NAMED, .network_name = "domusnet",
  };

  g_assert_true (domus_host_get_capabilities (host) & DOMUS_HOST_CAN_POOLS);
  g_assert_true (domus_host_get_capabilities (host) & DOMUS_HOST_CAN_NETWORKS);
  domus_host_list_pools_async (host, NULL, lvt_keep_result, &result);
  pools = domus_host_list_pools_finish (host, lvt_wait (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpstrv (pools, want_pools);
  domus_host_list_networks_async (host, NULL, lvt_keep_result, &result);
  networks = domus_host_list_networks_finish (host, lvt_wait (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpstrv (networks, want_networks);

  xml = domus_host_write_choices (host, &choices, &filename, &error);
  g_assert_no_error (error);
  g_assert_null (filename);
  g_assert_nonnull (strstr (xml, "<domain type=\"test\">"));
  g_assert_nonnull (strstr (xml, "<source network=\"domusnet\"/>"));
  choices.memory_mib = 0;
  g_assert_null (domus_host_write_choices (host, &choices, &filename, &error));
  g_assert_error (error, DOMUS_CFG_ERROR, DOMUS_CFG_ERROR_MEMORY);
  domus_host_disconnect (host);
}

static void
test_refusals_name_the_kind (void)
{
  g_autoptr(DomusHost) host = followed_host ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  domus_host_dump_domain_async (host, "alpha", NULL, lvt_keep_result, &result);
  g_assert_null (domus_host_dump_domain_finish (host, lvt_wait (&result), NULL, &error));
  g_assert_error (error, DOMUS_ERROR, DOMUS_ERROR_NOT_SUPPORTED);
  g_assert_nonnull (strstr (error->message, "libvirt"));
  g_clear_error (&error);

  domus_host_get_archive_async (host, NULL, "24h", "cpu_percent", NULL, lvt_keep_result, &result);
  g_assert_null (domus_host_get_archive_finish (host, lvt_wait (&result), &error));
  g_assert_error (error, DOMUS_ERROR, DOMUS_ERROR_NOT_SUPPORTED);
  g_assert_nonnull (strstr (error->message, "libvirt"));
  domus_host_disconnect (host);
}

static void
test_images (void)
{
  g_autoptr(DomusHost) host = followed_host ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DomusImage) created = NULL;
  DomusImage *image;

  domus_host_refresh_images_async (host, NULL, lvt_keep_result, &result);
  g_assert_true (domus_host_refresh_images_finish (host, lvt_wait (&result), &error));
  g_assert_no_error (error);
  image = domus_host_lookup_image (host, "default/disk.qcow2");
  g_assert_nonnull (image);
  g_assert_cmpstr (domus_image_get_format (image), ==, "qcow2");
  g_assert_cmpuint (domus_image_get_size (image), ==, 64 * 1024 * 1024);
  g_assert_cmpstr (domus_host_get_image_dir (host), ==, "/images");

  domus_host_create_image_async (host, "new.img", "raw", 8 * 1024 * 1024, NULL, lvt_keep_result, &result);
  created = domus_host_create_image_finish (host, lvt_wait (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (domus_image_get_name (created), ==, "default/new.img");
  g_assert_nonnull (domus_host_lookup_image (host, "default/new.img"));

  domus_host_delete_image_async (host, "default/new.img", NULL, lvt_keep_result, &result);
  g_assert_true (domus_host_delete_image_finish (host, lvt_wait (&result), &error));
  g_assert_null (domus_host_lookup_image (host, "default/new.img"));

  domus_host_delete_image_async (host, "a/b/c", NULL, lvt_keep_result, &result);
  g_assert_false (domus_host_delete_image_finish (host, lvt_wait (&result), &error));
  g_assert_error (error, DOMUS_ERROR, DOMUS_ERROR_INVALID_PARAMS);
  domus_host_disconnect (host);
}

static void
on_stats (DomusHost *host,
          gpointer   user_data)
{
  (*(guint *) user_data)++;
}

static gboolean
two_samples (gpointer data)
{
  return *(guint *) data >= 2;
}

static void
test_samples (void)
{
  g_autoptr(DomusHost) host = followed_host ();
  guint samples = 0;
  gulong handler = g_signal_connect (host, "stats-updated", G_CALLBACK (on_stats), &samples);

  g_assert_true (lvt_wait_until (two_samples, &samples, 5000));
  g_assert_cmpuint (domus_host_get_stats_interval_ms (host), ==, 1000);
  g_signal_handler_disconnect (host, handler);
  domus_host_disconnect (host);
}

static void
test_open_and_list (void)
{
  g_autofree char *uri = lvt_test_uri (node_xml);
  g_autoptr(DomusHost) host = domus_host_new (uri);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) infos = NULL;

  domus_host_open_async (host, NULL, lvt_keep_result, &result);
  g_assert_true (domus_host_open_finish (host, lvt_wait (&result), &error));
  g_assert_no_error (error);
  domus_host_list_domains_async (host, TRUE, NULL, lvt_keep_result, &result);
  infos = domus_host_list_domains_finish (host, lvt_wait (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (infos->len, ==, 2);
  /* An opened host follows nothing: its model stays empty. */
  g_assert_cmpuint (g_list_model_get_n_items (domus_host_get_domains (host)), ==, 0);
  domus_host_disconnect (host);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/libvirt-driver/kind-by-uri", test_kind_by_uri);
  g_test_add_func ("/libvirt-driver/follow", test_follow);
  g_test_add_func ("/libvirt-driver/open-and-list", test_open_and_list);
  g_test_add_func ("/libvirt-driver/lifecycle-events", test_lifecycle_events);
  g_test_add_func ("/libvirt-driver/values-and-tags", test_values_and_tags);
  g_test_add_func ("/libvirt-driver/define-xml-only", test_define_xml_only);
  g_test_add_func ("/libvirt-driver/create-from-choices", test_create_from_choices);
  g_test_add_func ("/libvirt-driver/assistant-offers", test_assistant_offers);
  g_test_add_func ("/libvirt-driver/refusals-name-the-kind", test_refusals_name_the_kind);
  g_test_add_func ("/libvirt-driver/images", test_images);
  g_test_add_func ("/libvirt-driver/samples", test_samples);
  return g_test_run ();
}
