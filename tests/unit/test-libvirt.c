/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The libvirt pieces of the backend against libvirt's own test driver (test:///PATH.xml,
 * in this process): URIs, opening and logging in, the domain list, lifecycle calls and
 * their events, definitions, tags in <metadata>, the configuration form, closing.
 */

#include <string.h>

#include "domus-libvirt.h"
#include "domus-libvirt-connection.h"
#include "domus-libvirt-builder.h"
#include "domus-libvirt-console.h"
#include "domus-libvirt-domains.h"
#include "domus-libvirt-import.h"
#include "domus-libvirt-migration.h"
#include "hv-config.h"
#include "hv-domain-spec.h"
#include "domus-libvirt-sampler.h"
#include "domus-libvirt-storage.h"
#include "domus-libvirt-tunnel.h"
#include "test-libvirt-util.h"

#define ALPHA_UUID "8f0c5c3e-4a0a-4a55-9d3e-2a1f7e6b0a01"

static const char node_xml[] =
  "<node>"
  "  <domain type='test'>"
  "    <name>alpha</name><uuid>" ALPHA_UUID "</uuid>"
  "    <memory unit='MiB'>256</memory><vcpu>1</vcpu>"
  "    <os><type>hvm</type></os>"
  "    <devices>"
  "      <serial type='pty'><target port='0'/></serial>"
  "      <graphics type='vnc' port='-1'/>"
  "    </devices>"
  "  </domain>"
  "  <domain type='test'>"
  "    <name>spicy</name>"
  "    <memory unit='MiB'>128</memory><vcpu>2</vcpu>"
  "    <os><type>hvm</type></os>"
  "    <devices><graphics type='spice' port='-1'/></devices>"
  "  </domain>"
  "  <pool type='dir'>"
  "    <name>images</name><target><path>/images</path></target>"
  "    <volume type='file'><name>disk.qcow2</name><capacity unit='MiB'>64</capacity>"
  "      <target><format type='qcow2'/></target></volume>"
  "  </pool>"
  "</node>";

static DomusLibvirtConnection *
open_node (void)
{
  g_autofree char *uri = lvt_test_uri (node_xml);

  return lvt_open (uri);
}

static gboolean
act (DomusLibvirtConnection *connection,
     const char             *name,
     DomusLibvirtAction      action,
     GError                **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  domus_libvirt_domain_action_async (connection, name, action, NULL, lvt_keep_result, &result);
  return domus_libvirt_domain_action_finish (connection, lvt_wait (&result), error);
}

static DomusLibvirtDomainInfo *
find_info (GPtrArray  *infos,
           const char *name)
{
  for (guint i = 0; i < infos->len; i++)
    {
      DomusLibvirtDomainInfo *info = g_ptr_array_index (infos, i);

      if (g_strcmp0 (info->name, name) == 0)
        return info;
    }
  return NULL;
}

/* URIs */

static void
test_uris (void)
{
  static const struct {
    const char *uri;
    gboolean    libvirt;
  } cases[] = {
    { "qemu:///system", TRUE },
    { "qemu:///session", TRUE },
    { "qemu+ssh://root@host/system", TRUE },
    { "qemu+libssh2://root@host/system?known_hosts=/tmp/kh", TRUE },
    { "xen:///system", TRUE },
    { "test:///default", TRUE },
    { "test:///tmp/node.xml", TRUE },
    { "lxc:///", TRUE },
    /* Domus's own addresses stay domusd hosts. */
    { "ssh://root@host", FALSE },
    { "unix:/run/domus/domusd.sock", FALSE },
    { "local", FALSE },
    { "", FALSE },
    { "qemu+pigeon://host/system", FALSE },
    { "qemu:/system", FALSE },
    { "http://example.org/", FALSE },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_test_message ("%s", cases[i].uri);
      g_assert_cmpint (domus_libvirt_uri_is_libvirt (cases[i].uri), ==, cases[i].libvirt);
    }
  g_assert_false (domus_libvirt_uri_is_libvirt (NULL));
}

/* Opening */

static void
test_open (void)
{
  g_autoptr(DomusLibvirtConnection) connection = open_node ();

  g_assert_true (domus_libvirt_connection_is_open (connection));
  g_assert_cmpstr (domus_libvirt_connection_get_driver (connection), ==, "TEST");
  g_assert_true (g_str_has_prefix (domus_libvirt_connection_get_canonical_uri (connection), "test://"));
  g_assert_cmpstr (domus_libvirt_connection_get_hostname (connection), !=, "");
}

static void
test_open_failure (void)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DomusLibvirtConnection) connection = NULL;

  domus_libvirt_connection_open_async ("test:///nonexistent/domus-node.xml", NULL, NULL, NULL,
                                       lvt_keep_result, &result);
  connection = domus_libvirt_connection_open_finish (lvt_wait (&result), &error);
  g_assert_null (connection);
  g_assert_error (error, DOMUS_ERROR, DOMUS_ERROR_CONNECT_FAILED);
  g_assert_nonnull (strstr (error->message, "/nonexistent/domus-node.xml"));
}

/* A test driver <node> with <auth> asks for a user name and a password. */
static const char auth_node_xml[] =
  "<node>"
  "  <auth><user password='s3cret'>admin</user></auth>"
  "  <domain type='test'><name>one</name><memory>131072</memory><os><type>hvm</type></os></domain>"
  "</node>";

#define TEST_TYPE_ANSWERS (test_answers_get_type ())
G_DECLARE_FINAL_TYPE (TestAnswers, test_answers, TEST, ANSWERS, GTlsInteraction)

struct _TestAnswers
{
  GTlsInteraction  parent_instance;
  char            *user;
  char            *password;
  GPtrArray       *asked;
  GThread         *asked_on;
};

G_DEFINE_FINAL_TYPE (TestAnswers, test_answers, G_TYPE_TLS_INTERACTION)

static GTlsInteractionResult
test_answers_ask_password (GTlsInteraction  *interaction,
                           GTlsPassword     *password,
                           GCancellable     *cancellable,
                           GError          **error)
{
  TestAnswers *self = TEST_ANSWERS (interaction);
  const char *description = g_tls_password_get_description (password);
  const char *answer = strstr (description, "username") != NULL ? self->user : self->password;

  g_ptr_array_add (self->asked, g_strdup (description));
  self->asked_on = g_thread_self ();
  if (answer == NULL)
    return G_TLS_INTERACTION_UNHANDLED;
  g_tls_password_set_value (password, (const guchar *) answer, -1);
  return G_TLS_INTERACTION_HANDLED;
}

static void
test_answers_finalize (GObject *object)
{
  TestAnswers *self = TEST_ANSWERS (object);

  g_free (self->user);
  g_free (self->password);
  g_ptr_array_unref (self->asked);
  G_OBJECT_CLASS (test_answers_parent_class)->finalize (object);
}

static void
test_answers_class_init (TestAnswersClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = test_answers_finalize;
  G_TLS_INTERACTION_CLASS (klass)->ask_password = test_answers_ask_password;
}

static void
test_answers_init (TestAnswers *self)
{
  self->asked = g_ptr_array_new_with_free_func (g_free);
}

static TestAnswers *
test_answers_new (const char *user,
                  const char *password)
{
  TestAnswers *self = g_object_new (TEST_TYPE_ANSWERS, NULL);

  self->user = g_strdup (user);
  self->password = g_strdup (password);
  return self;
}

static DomusLibvirtConnection *
open_with (const char       *uri,
           GTlsInteraction  *interaction,
           GError          **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  domus_libvirt_connection_open_async (uri, interaction, NULL, NULL, lvt_keep_result, &result);
  return domus_libvirt_connection_open_finish (lvt_wait (&result), error);
}

static void
test_login (void)
{
  g_autofree char *uri = lvt_test_uri (auth_node_xml);
  g_autoptr(TestAnswers) right = test_answers_new ("admin", "s3cret");
  g_autoptr(TestAnswers) wrong = test_answers_new ("admin", "guess");
  g_autoptr(TestAnswers) silent = test_answers_new ("admin", NULL);
  g_autoptr(DomusLibvirtConnection) connection = NULL;
  g_autoptr(GError) error = NULL;

  /* Both questions reach the interaction, asked on the main thread (the GUI's dialogs live there). */
  connection = open_with (uri, G_TLS_INTERACTION (right), &error);
  g_assert_no_error (error);
  g_assert_nonnull (connection);
  g_assert_cmpuint (right->asked->len, ==, 2);
  g_assert_true (right->asked_on == g_thread_self ());

  g_clear_object (&connection);
  connection = open_with (uri, G_TLS_INTERACTION (wrong), &error);
  g_assert_null (connection);
  g_assert_error (error, DOMUS_ERROR, DOMUS_ERROR_AUTH_FAILED);
  g_clear_error (&error);

  /* The user closed the dialog: nothing is tried with an empty password. */
  connection = open_with (uri, G_TLS_INTERACTION (silent), &error);
  g_assert_null (connection);
  g_assert_error (error, DOMUS_ERROR, DOMUS_ERROR_AUTH_FAILED);
  g_clear_error (&error);

  connection = open_with (uri, NULL, &error);
  g_assert_null (connection);
  g_assert_error (error, DOMUS_ERROR, DOMUS_ERROR_AUTH_FAILED);
}

/* The work runs on the connection's own thread, never on the caller's. */
static void
record_thread (DomusLibvirtReply *reply,
               virConnectPtr      conn,
               gpointer           task_data,
               GCancellable      *cancellable)
{
  domus_libvirt_reply_pointer (reply, g_thread_self (), NULL);
}

static void
test_worker_thread (void)
{
  g_autoptr(DomusLibvirtConnection) connection = open_node ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GTask) task = g_task_new (connection, NULL, lvt_keep_result, &result);
  GThread *thread;

  domus_libvirt_connection_run (connection, task, record_thread);
  thread = g_task_propagate_pointer (G_TASK (lvt_wait (&result)), NULL);
  g_assert_nonnull (thread);
  g_assert_true (thread != g_thread_self ());
}

/* The list */

static void
test_list (void)
{
  g_autoptr(DomusLibvirtConnection) connection = open_node ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GPtrArray) infos = NULL;
  g_autoptr(GError) error = NULL;
  DomusLibvirtDomainInfo *alpha, *spicy;

  domus_libvirt_list_domains_async (connection, NULL, lvt_keep_result, &result);
  infos = domus_libvirt_list_domains_finish (connection, lvt_wait (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (infos->len, ==, 2);

  alpha = find_info (infos, "alpha");
  g_assert_nonnull (alpha);
  g_assert_cmpstr (alpha->uuid, ==, ALPHA_UUID);
  g_assert_cmpint (alpha->state, ==, DOMUS_DOMAIN_STATE_RUNNING);
  g_assert_cmpint (alpha->id, >, 0);
  g_assert_cmpint (alpha->memory_mib, ==, 256);
  g_assert_cmpint (alpha->vcpus, ==, 1);
  g_assert_true (alpha->persistent);
  g_assert_cmpint (alpha->graphics, ==, DOMUS_LIBVIRT_GRAPHICS_VNC);
  g_assert_true (alpha->has_serial);
  g_assert_cmpuint (g_strv_length (alpha->tags), ==, 0);
  g_assert_null (alpha->error);

  spicy = find_info (infos, "spicy");
  g_assert_nonnull (spicy);
  g_assert_cmpint (spicy->graphics, ==, DOMUS_LIBVIRT_GRAPHICS_SPICE);
  g_assert_false (spicy->has_serial);
  g_assert_cmpint (spicy->vcpus, ==, 2);
}

/* Lifecycle, and the events that say so */

static void
test_lifecycle (void)
{
  g_autoptr(DomusLibvirtConnection) connection = open_node ();
  g_autoptr(DomusLibvirtDomainInfo) info = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *suspended = g_strdup_printf ("alpha %d %d", DOMUS_LIBVIRT_EVENT_LIFECYCLE, VIR_DOMAIN_EVENT_SUSPENDED);
  g_autofree char *resumed = g_strdup_printf ("alpha %d %d", DOMUS_LIBVIRT_EVENT_LIFECYCLE, VIR_DOMAIN_EVENT_RESUMED);
  g_autofree char *stopped = g_strdup_printf ("alpha %d %d", DOMUS_LIBVIRT_EVENT_LIFECYCLE, VIR_DOMAIN_EVENT_STOPPED);
  g_autofree char *started = g_strdup_printf ("alpha %d %d", DOMUS_LIBVIRT_EVENT_LIFECYCLE, VIR_DOMAIN_EVENT_STARTED);
  LvtEvents events;

  lvt_events_watch (&events, connection);

  g_assert_true (act (connection, "alpha", DOMUS_LIBVIRT_ACTION_PAUSE, &error));
  g_assert_no_error (error);
  g_assert_true (lvt_events_wait (&events, suspended, 5000));
  info = lvt_get_domain (connection, "alpha", &error);
  g_assert_no_error (error);
  g_assert_cmpint (info->state, ==, DOMUS_DOMAIN_STATE_PAUSED);
  g_clear_pointer (&info, domus_libvirt_domain_info_free);

  g_assert_true (act (connection, "alpha", DOMUS_LIBVIRT_ACTION_RESUME, &error));
  g_assert_true (lvt_events_wait (&events, resumed, 5000));

  g_assert_true (act (connection, "alpha", DOMUS_LIBVIRT_ACTION_DESTROY, &error));
  g_assert_true (lvt_events_wait (&events, stopped, 5000));
  info = lvt_get_domain (connection, "alpha", &error);
  g_assert_cmpint (info->state, ==, DOMUS_DOMAIN_STATE_SHUTOFF);
  g_assert_cmpint (info->id, ==, -1);
  g_clear_pointer (&info, domus_libvirt_domain_info_free);

  /* Not in a state for it: the caller learns which way. */
  g_assert_false (act (connection, "alpha", DOMUS_LIBVIRT_ACTION_PAUSE, &error));
  g_assert_error (error, DOMUS_ERROR, DOMUS_ERROR_NOT_RUNNING);
  g_clear_error (&error);

  g_assert_true (act (connection, "alpha", DOMUS_LIBVIRT_ACTION_START, &error));
  g_assert_no_error (error);
  g_assert_true (lvt_events_wait (&events, started, 5000));
  g_assert_false (act (connection, "alpha", DOMUS_LIBVIRT_ACTION_START, &error));
  g_assert_error (error, DOMUS_ERROR, DOMUS_ERROR_ALREADY_RUNNING);
  g_clear_error (&error);

  g_assert_false (act (connection, "nobody", DOMUS_LIBVIRT_ACTION_START, &error));
  g_assert_error (error, DOMUS_ERROR, DOMUS_ERROR_NO_SUCH_DOMAIN);
  g_clear_error (&error);
  info = lvt_get_domain (connection, "nobody", &error);
  g_assert_null (info);
  g_assert_error (error, DOMUS_ERROR, DOMUS_ERROR_NO_SUCH_DOMAIN);
  g_ptr_array_unref (events.seen);
}

/* Definitions */

static DomusLibvirtDomainInfo *
define (DomusLibvirtConnection *connection,
        const char             *xml,
        GError                **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  domus_libvirt_define_xml_async (connection, xml, NULL, lvt_keep_result, &result);
  return domus_libvirt_define_xml_finish (connection, lvt_wait (&result), error);
}

static void
test_define_undefine (void)
{
  g_autoptr(DomusLibvirtConnection) connection = open_node ();
  g_autoptr(DomusLibvirtDomainInfo) info = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *xml = NULL;
  g_autofree char *defined = g_strdup_printf ("gamma %d %d", DOMUS_LIBVIRT_EVENT_LIFECYCLE, VIR_DOMAIN_EVENT_DEFINED);
  g_autofree char *undefined = g_strdup_printf ("gamma %d %d", DOMUS_LIBVIRT_EVENT_LIFECYCLE, VIR_DOMAIN_EVENT_UNDEFINED);
  LvtEvents events;

  lvt_events_watch (&events, connection);
  info = define (connection,
                 "<domain type='test'><name>gamma</name><memory unit='MiB'>64</memory>"
                 "<vcpu>1</vcpu><os><type>hvm</type></os></domain>", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (info->name, ==, "gamma");
  g_assert_cmpint (info->state, ==, DOMUS_DOMAIN_STATE_SHUTOFF);
  g_assert_true (info->persistent);
  g_assert_cmpint (info->graphics, ==, DOMUS_LIBVIRT_GRAPHICS_NONE);
  g_assert_true (lvt_events_wait (&events, defined, 5000));

  domus_libvirt_get_xml_async (connection, "gamma", TRUE, NULL, lvt_keep_result, &result);
  xml = domus_libvirt_get_xml_finish (connection, lvt_wait (&result), &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (xml, "<name>gamma</name>"));

  g_assert_true (act (connection, "gamma", DOMUS_LIBVIRT_ACTION_UNDEFINE, &error));
  g_assert_no_error (error);
  g_assert_true (lvt_events_wait (&events, undefined, 5000));
  g_clear_pointer (&info, domus_libvirt_domain_info_free);
  info = lvt_get_domain (connection, "gamma", &error);
  g_assert_error (error, DOMUS_ERROR, DOMUS_ERROR_NO_SUCH_DOMAIN);
  g_clear_error (&error);

  /* Nonsense is refused with libvirt's reason, and nothing is defined. */
  info = define (connection, "<domain type='test'><memory>64</memory></domain>", &error);
  g_assert_null (info);
  g_assert_error (error, DOMUS_ERROR, DOMUS_ERROR_INVALID_CONFIG);
  g_ptr_array_unref (events.seen);
}

/* Tags in <metadata> */

static void
test_tags_metadata_text (void)
{
  const char *tags[] = { "web", "a & b", "<x>", NULL };
  const char *none[] = { NULL };
  g_autofree char *element = domus_libvirt_tags_to_metadata (tags);
  g_autofree char *empty = domus_libvirt_tags_to_metadata (none);
  /* What libvirt gives back: the element with its namespace on every node. */
  const char *stored =
    "<domus:tags xmlns:domus='" DOMUS_LIBVIRT_METADATA_URI "'>\n"
    "  <domus:tag>web</domus:tag>\n  <domus:tag>a &amp; b</domus:tag>\n  <domus:tag>&lt;x&gt;</domus:tag>\n"
    "</domus:tags>";
  g_auto(GStrv) read = domus_libvirt_tags_from_metadata (stored);
  g_auto(GStrv) nothing = domus_libvirt_tags_from_metadata (NULL);
  g_auto(GStrv) broken = domus_libvirt_tags_from_metadata ("<tags><tag>web</tag><tag>unfinished");

  g_assert_cmpstr (element, ==, "<tags><tag>web</tag><tag>a &amp; b</tag><tag>&lt;x&gt;</tag></tags>");
  g_assert_cmpstr (empty, ==, "<tags></tags>");
  g_assert_true (g_strv_equal ((const char * const *) read, tags));
  g_assert_cmpuint (g_strv_length (nothing), ==, 0);
  g_assert_cmpuint (g_strv_length (broken), ==, 1);
}

static gboolean
set_tags (DomusLibvirtConnection *connection,
          const char             *name,
          const char * const     *tags,
          GError                **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  domus_libvirt_set_tags_async (connection, name, tags, NULL, lvt_keep_result, &result);
  return domus_libvirt_set_tags_finish (connection, lvt_wait (&result), error);
}

static void
test_tags (void)
{
  g_autoptr(DomusLibvirtConnection) connection = open_node ();
  g_autoptr(DomusLibvirtDomainInfo) info = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *xml = NULL;
  g_autofree char *changed = g_strdup_printf ("alpha %d", DOMUS_LIBVIRT_EVENT_METADATA);
  const char *tags[] = { "web", "a & b", NULL };
  const char *none[] = { NULL };
  LvtEvents events;

  lvt_events_watch (&events, connection);
  g_assert_true (set_tags (connection, "alpha", tags, &error));
  g_assert_no_error (error);
  g_assert_true (lvt_events_wait (&events, changed, 5000));
  info = lvt_get_domain (connection, "alpha", &error);
  g_assert_true (g_strv_equal ((const char * const *) info->tags, tags));
  g_clear_pointer (&info, domus_libvirt_domain_info_free);

  /* In the persistent definition too: they travel with the domain. */
  domus_libvirt_get_xml_async (connection, "alpha", TRUE, NULL, lvt_keep_result, &result);
  xml = domus_libvirt_get_xml_finish (connection, lvt_wait (&result), &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (xml, DOMUS_LIBVIRT_METADATA_URI));
  g_assert_nonnull (strstr (xml, "<domus:tag>a &amp; b</domus:tag>"));

  g_assert_true (set_tags (connection, "alpha", none, &error));
  info = lvt_get_domain (connection, "alpha", &error);
  g_assert_cmpuint (g_strv_length (info->tags), ==, 0);

  g_assert_false (set_tags (connection, "nobody", tags, &error));
  g_assert_error (error, DOMUS_ERROR, DOMUS_ERROR_NO_SUCH_DOMAIN);
  g_ptr_array_unref (events.seen);
}

/* The configuration form */

static void
test_configuration_form (void)
{
  g_autoptr(DomusLibvirtConnection) connection = open_node ();
  g_autoptr(DomusLibvirtDomainInfo) info = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (act (connection, "alpha", DOMUS_LIBVIRT_ACTION_DESTROY, &error));

  domus_libvirt_set_resources_async (connection, "alpha", 512, 2, NULL, lvt_keep_result, &result);
  g_assert_true (domus_libvirt_set_resources_finish (connection, lvt_wait (&result), &error));
  g_assert_no_error (error);
  info = lvt_get_domain (connection, "alpha", &error);
  g_assert_cmpint (info->memory_mib, ==, 512);
  g_assert_cmpint (info->vcpus, ==, 2);
  g_clear_pointer (&info, domus_libvirt_domain_info_free);

  /* Down again: the current value first, then the maximum. */
  domus_libvirt_set_resources_async (connection, "alpha", 128, 1, NULL, lvt_keep_result, &result);
  g_assert_true (domus_libvirt_set_resources_finish (connection, lvt_wait (&result), &error));
  g_assert_no_error (error);
  info = lvt_get_domain (connection, "alpha", &error);
  g_assert_cmpint (info->memory_mib, ==, 128);
  g_assert_cmpint (info->vcpus, ==, 1);
  g_assert_false (info->autostart);
  g_clear_pointer (&info, domus_libvirt_domain_info_free);

  domus_libvirt_set_autostart_async (connection, "alpha", TRUE, NULL, lvt_keep_result, &result);
  g_assert_true (domus_libvirt_set_autostart_finish (connection, lvt_wait (&result), &error));
  info = lvt_get_domain (connection, "alpha", &error);
  g_assert_true (info->autostart);
}

static void
test_read_xml (void)
{
  g_autoptr(DomusLibvirtDomainInfo) info = domus_libvirt_domain_info_new ();
  g_autoptr(GError) error = NULL;

  g_assert_false (domus_libvirt_domain_info_read_xml (info, "<domain><memory>1</memory></domain>", &error));
  g_assert_error (error, DOMUS_ERROR, DOMUS_ERROR_INVALID_CONFIG);
  g_clear_error (&error);
  g_assert_false (domus_libvirt_domain_info_read_xml (info, "not xml", &error));
  g_assert_error (error, DOMUS_ERROR, DOMUS_ERROR_INVALID_CONFIG);
  g_clear_error (&error);

  g_assert_true (domus_libvirt_domain_info_read_xml (info,
    "<domain type='kvm'><name>web</name><memory unit='GiB'>2</memory><vcpu>4</vcpu>"
    "<devices><console type='pty'/><graphics type='spice'/><graphics type='vnc'/></devices></domain>",
    &error));
  g_assert_no_error (error);
  g_assert_cmpstr (info->name, ==, "web");
  g_assert_cmpint (info->memory_mib, ==, 2048);
  g_assert_cmpint (info->vcpus, ==, 4);
  /* VNC wins over SPICE when a domain has both. */
  g_assert_cmpint (info->graphics, ==, DOMUS_LIBVIRT_GRAPHICS_VNC);
  g_assert_true (info->has_serial);
}

static void
test_close (void)
{
  g_autoptr(DomusLibvirtConnection) connection = open_node ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GPtrArray) infos = NULL;
  g_autoptr(GError) error = NULL;

  domus_libvirt_connection_close (connection);
  g_assert_false (domus_libvirt_connection_is_open (connection));
  domus_libvirt_list_domains_async (connection, NULL, lvt_keep_result, &result);
  infos = domus_libvirt_list_domains_finish (connection, lvt_wait (&result), &error);
  g_assert_null (infos);
  g_assert_error (error, DOMUS_ERROR, DOMUS_ERROR_CLOSED);
}

/* Samples */

static void
test_sampler (void)
{
  g_autoptr(DomusLibvirtConnection) connection = open_node ();
  g_autoptr(DomusLibvirtSampler) sampler = domus_libvirt_sampler_new (connection, 100);
  LvtSamples samples;
  const DomusLibvirtSample *first, *last;
  const DomusLibvirtDomainSample *alpha;
  g_autoptr(GError) error = NULL;

  g_assert_true (act (connection, "spicy", DOMUS_LIBVIRT_ACTION_DESTROY, &error));
  lvt_samples_watch (&samples, G_OBJECT (sampler));
  domus_libvirt_sampler_start (sampler);
  g_assert_true (lvt_samples_wait (&samples, 3, 10000));
  domus_libvirt_sampler_stop (sampler);

  first = g_ptr_array_index (samples.samples, 0);
  last = g_ptr_array_index (samples.samples, samples.samples->len - 1);
  g_assert_cmpint (last->time_us, >, first->time_us);
  /* Running domains only: spicy was destroyed. */
  g_assert_cmpuint (last->domains->len, ==, 1);
  alpha = domus_libvirt_sample_lookup (last, "alpha");
  g_assert_nonnull (alpha);
  g_assert_cmpstr (alpha->uuid, ==, ALPHA_UUID);
  g_assert_cmpint (alpha->state, ==, DOMUS_DOMAIN_STATE_RUNNING);
  g_assert_cmpint (alpha->id, >, 0);
  g_assert_null (domus_libvirt_sample_lookup (last, "spicy"));
  g_assert_cmpint (last->host_cpus, >, 0);
  g_ptr_array_unref (samples.samples);
}

/* Storage */

static void
test_storage (void)
{
  g_autoptr(DomusLibvirtConnection) connection = open_node ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GPtrArray) pools = NULL;
  g_autoptr(DomusLibvirtVolume) created = NULL;
  g_autoptr(GError) error = NULL;
  DomusLibvirtPool *pool;
  DomusLibvirtVolume *volume;

  domus_libvirt_list_pools_async (connection, NULL, lvt_keep_result, &result);
  pools = domus_libvirt_list_pools_finish (connection, lvt_wait (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (pools->len, ==, 1);
  pool = g_ptr_array_index (pools, 0);
  g_assert_cmpstr (pool->name, ==, "images");
  g_assert_cmpstr (pool->type, ==, "dir");
  g_assert_cmpstr (pool->target, ==, "/images");
  g_assert_true (pool->active);
  g_assert_cmpuint (pool->volumes->len, ==, 1);
  volume = g_ptr_array_index (pool->volumes, 0);
  g_assert_cmpstr (volume->name, ==, "disk.qcow2");
  g_assert_cmpstr (volume->pool, ==, "images");
  g_assert_cmpstr (volume->path, ==, "/images/disk.qcow2");
  g_assert_cmpstr (volume->format, ==, "qcow2");
  g_assert_cmpint (volume->capacity, ==, 64 * 1024 * 1024);

  domus_libvirt_create_volume_async (connection, "images", "new.qcow2", 32 * 1024 * 1024, "qcow2",
                                     NULL, lvt_keep_result, &result);
  created = domus_libvirt_create_volume_finish (connection, lvt_wait (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (created->path, ==, "/images/new.qcow2");
  g_assert_cmpint (created->capacity, ==, 32 * 1024 * 1024);

  domus_libvirt_create_volume_async (connection, "images", "new.qcow2", 1024, "qcow2",
                                     NULL, lvt_keep_result, &result);
  g_assert_null (domus_libvirt_create_volume_finish (connection, lvt_wait (&result), &error));
  g_assert_error (error, DOMUS_ERROR, DOMUS_ERROR_ALREADY_EXISTS);
  g_clear_error (&error);
  domus_libvirt_create_volume_async (connection, "nowhere", "x.qcow2", 1024, "qcow2",
                                     NULL, lvt_keep_result, &result);
  g_assert_null (domus_libvirt_create_volume_finish (connection, lvt_wait (&result), &error));
  g_assert_error (error, DOMUS_ERROR, DOMUS_ERROR_NO_SUCH_IMAGE);
  g_clear_error (&error);

  domus_libvirt_delete_volume_async (connection, "images", "new.qcow2", NULL, lvt_keep_result, &result);
  g_assert_true (domus_libvirt_delete_volume_finish (connection, lvt_wait (&result), &error));
  g_assert_no_error (error);
  domus_libvirt_delete_volume_async (connection, "images", "new.qcow2", NULL, lvt_keep_result, &result);
  g_assert_false (domus_libvirt_delete_volume_finish (connection, lvt_wait (&result), &error));
  g_assert_error (error, DOMUS_ERROR, DOMUS_ERROR_NO_SUCH_IMAGE);
}

/* Consoles: the test driver has neither, so what is checked here is what Domus says
 * before it asks libvirt (the real ones are in the integration test libvirt). */

static void
test_console_refusals (void)
{
  g_autoptr(DomusLibvirtConnection) connection = open_node ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GIOStream) serial = NULL;
  g_autoptr(GError) error = NULL;

  domus_libvirt_open_graphics_async (connection, "spicy", NULL, lvt_keep_result, &result);
  g_assert_cmpint (domus_libvirt_open_graphics_finish (connection, lvt_wait (&result), &error), ==, -1);
  g_assert_error (error, DOMUS_ERROR, DOMUS_ERROR_NOT_SUPPORTED);
  g_assert_nonnull (strstr (error->message, "SPICE"));
  g_clear_error (&error);

  g_assert_true (act (connection, "alpha", DOMUS_LIBVIRT_ACTION_DESTROY, &error));
  domus_libvirt_open_graphics_async (connection, "alpha", NULL, lvt_keep_result, &result);
  g_assert_cmpint (domus_libvirt_open_graphics_finish (connection, lvt_wait (&result), &error), ==, -1);
  g_assert_error (error, DOMUS_ERROR, DOMUS_ERROR_NOT_RUNNING);
  g_clear_error (&error);
  domus_libvirt_open_serial_async (connection, "alpha", NULL, lvt_keep_result, &result);
  serial = domus_libvirt_open_serial_finish (connection, lvt_wait (&result), &error);
  g_assert_null (serial);
  g_assert_error (error, DOMUS_ERROR, DOMUS_ERROR_NOT_RUNNING);
}

/* Where a remote domain's VNC server listens, as its running XML says (what the SSH
 * tunnel connects to); the real tunnels are in the integration test libvirt-hosts. */

static DomusLibvirtVncEndpoint *
endpoint_of (const char  *devices,
             GError     **error)
{
  g_autofree char *xml = g_strdup_printf ("<domain type='qemu'><name>web</name><devices>%s</devices></domain>",
                                          devices);

  return domus_libvirt_vnc_endpoint_from_xml (xml, "web", error);
}

static void
test_vnc_endpoint (void)
{
  g_autoptr(DomusLibvirtVncEndpoint) loopback = NULL, wildcard = NULL, v6 = NULL, address = NULL, unix_socket = NULL;
  g_autoptr(DomusLibvirtVncEndpoint) none = NULL, unassigned = NULL, spice = NULL, password = NULL;
  g_autoptr(GError) error = NULL;

  /* The first VNC display, after a SPICE one; its <listen> child says the address. */
  loopback = endpoint_of ("<graphics type='spice' port='5901'/>"
                          "<graphics type='vnc' port='5903' autoport='yes' listen='127.0.0.1'>"
                          "<listen type='address' address='127.0.0.1'/></graphics>"
                          "<graphics type='vnc' port='5904'/>", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (loopback->host, ==, "127.0.0.1");
  g_assert_cmpuint (loopback->port, ==, 5903);
  g_assert_null (loopback->socket);
  /* A wildcard is reached on the host's loopback; a network's address as given. */
  wildcard = endpoint_of ("<graphics type='vnc' port='5900' listen='0.0.0.0'/>", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (wildcard->host, ==, "127.0.0.1");
  v6 = endpoint_of ("<graphics type='vnc' port='5900'><listen type='address' address='::'/></graphics>", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (v6->host, ==, "::1");
  address = endpoint_of ("<graphics type='vnc' port='5902'>"
                         "<listen type='network' network='lan' address='192.0.2.7'/></graphics>", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (address->host, ==, "192.0.2.7");
  g_assert_cmpuint (address->port, ==, 5902);
  /* A Unix socket on the host. */
  unix_socket = endpoint_of ("<graphics type='vnc'>"
                             "<listen type='socket' socket='/var/lib/libvirt/qemu/domain-1-web/vnc.sock'/>"
                             "</graphics>", &error);
  g_assert_no_error (error);
  g_assert_null (unix_socket->host);
  g_assert_cmpstr (unix_socket->socket, ==, "/var/lib/libvirt/qemu/domain-1-web/vnc.sock");

  /* Refused, naming the domain: a VNC password (in the secure XML), listens nowhere, no
   * port yet, no VNC at all. */
  password = endpoint_of ("<graphics type='vnc' port='5900' listen='127.0.0.1' passwd='s3cret'/>", &error);
  g_assert_null (password);
  g_assert_error (error, DOMUS_ERROR, DOMUS_ERROR_NOT_SUPPORTED);
  g_assert_nonnull (strstr (error->message, "password"));
  g_clear_error (&error);
  none = endpoint_of ("<graphics type='vnc'><listen type='none'/></graphics>", &error);
  g_assert_null (none);
  g_assert_error (error, DOMUS_ERROR, DOMUS_ERROR_NOT_SUPPORTED);
  g_assert_nonnull (strstr (error->message, "“web”"));
  g_clear_error (&error);
  unassigned = endpoint_of ("<graphics type='vnc' port='-1' autoport='yes'/>", &error);
  g_assert_null (unassigned);
  g_assert_error (error, DOMUS_ERROR, DOMUS_ERROR_NOT_SUPPORTED);
  g_clear_error (&error);
  spice = endpoint_of ("<graphics type='spice' port='5901'/>", &error);
  g_assert_null (spice);
  g_assert_error (error, DOMUS_ERROR, DOMUS_ERROR_NOT_SUPPORTED);
}

/* How Domus logs in to the host of a libvirt SSH URI for the tunnel. */
static void
test_tunnel_options (void)
{
  g_autoptr(DomusSshOptions) ssh = NULL, libssh2 = NULL, plain = NULL, tcp = NULL, local = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *ssh_default = g_build_filename (g_get_home_dir (), ".ssh", "known_hosts", NULL);
  g_autofree char *libvirt_default = g_build_filename (g_get_user_config_dir (), "libvirt", "known_hosts", NULL);

  ssh = domus_libvirt_tunnel_options ("qemu+ssh://admin@host1:2222/system?keyfile=/k/id&no_verify=1&socket=/s", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (ssh->host, ==, "host1");
  g_assert_cmpuint (ssh->port, ==, 2222);
  g_assert_cmpstr (ssh->user, ==, "admin");
  g_assert_cmpstr (ssh->keyfile, ==, "/k/id");
  g_assert_cmpstr (ssh->known_hosts, ==, ssh_default);
  g_assert_true (ssh->no_verify);

  libssh2 = domus_libvirt_tunnel_options ("qemu+libssh2://host2/system?known_hosts=/kh&no_verify=0", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (libssh2->port, ==, 22);
  g_assert_cmpstr (libssh2->user, ==, g_get_user_name ());
  g_assert_cmpstr (libssh2->known_hosts, ==, "/kh");
  g_assert_false (libssh2->no_verify);
  plain = domus_libvirt_tunnel_options ("qemu+libssh://host3/session", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (plain->known_hosts, ==, libvirt_default);

  /* No SSH to tunnel through: said, naming the URI. */
  tcp = domus_libvirt_tunnel_options ("qemu+tcp://host4/system", &error);
  g_assert_null (tcp);
  g_assert_error (error, DOMUS_ERROR, DOMUS_ERROR_NOT_SUPPORTED);
  g_assert_nonnull (strstr (error->message, "qemu+tcp://host4/system"));
  g_clear_error (&error);
  local = domus_libvirt_tunnel_options ("qemu:///system", &error);
  g_assert_null (local);
  g_assert_error (error, DOMUS_ERROR, DOMUS_ERROR_NOT_SUPPORTED);
}

/* What `ssh -G` says (the ssh program's configuration) fills in what the URI leaves out. */
static void
test_ssh_config (void)
{
  const char *alias_uri = "qemu+ssh://web/system";
  const char *given_uri = "qemu+ssh://admin@web:2200/system?keyfile=/k/mine&known_hosts=/kh/mine";
  g_autoptr(DomusSshOptions) alias = domus_libvirt_tunnel_options (alias_uri, NULL);
  g_autoptr(DomusSshOptions) given = domus_libvirt_tunnel_options (given_uri, NULL);
  g_autoptr(DomusSshOptions) jump = domus_libvirt_tunnel_options (alias_uri, NULL);
  g_autoptr(DomusSshOptions) defaults = domus_libvirt_tunnel_options (alias_uri, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *home_key = g_build_filename (g_get_home_dir (), ".ssh", "web_ed25519", NULL);
  const char *config = "User deploy\nhostname web.example.org\nport 2222\n"
                       "identityfile ~/.ssh/web_ed25519\nidentityfile ~/.ssh/id_rsa\n"
                       "userknownhostsfile /etc/domus-test/known_hosts /etc/domus-test/known_hosts2\n"
                       "proxyjump none\n";

  g_assert_true (domus_libvirt_apply_ssh_config (alias, alias_uri, config, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (alias->host, ==, "web.example.org");
  g_assert_cmpuint (alias->port, ==, 2222);
  g_assert_cmpstr (alias->user, ==, "deploy");
  g_assert_cmpstr (alias->keyfile, ==, home_key);
  g_assert_cmpstr (alias->known_hosts, ==, "/etc/domus-test/known_hosts");

  /* The URI's keyfile and known_hosts stand; ssh's own default keys are not named. */
  g_assert_true (domus_libvirt_apply_ssh_config (given, given_uri, config, &error));
  g_assert_cmpstr (given->keyfile, ==, "/k/mine");
  g_assert_cmpstr (given->known_hosts, ==, "/kh/mine");
  g_assert_true (domus_libvirt_apply_ssh_config (defaults, alias_uri,
                                                 "hostname web\nidentityfile ~/.ssh/id_rsa\n", &error));
  g_assert_null (defaults->keyfile);

  /* A jump host: said, not followed. */
  g_assert_false (domus_libvirt_apply_ssh_config (jump, alias_uri, "hostname web\nproxyjump bastion\n", &error));
  g_assert_error (error, DOMUS_ERROR, DOMUS_ERROR_NOT_SUPPORTED);
  g_assert_nonnull (strstr (error->message, "proxyjump"));
}

/* Creating from the assistant's choices */

static DomusCfgChoices
kernel_choices (const char *name)
{
  DomusCfgChoices choices = {
    .name = name, .memory_mib = 96, .vcpus = 2, .kind = DOMUS_CFG_KIND_KERNEL,
    .kernel = "/boot/vmlinuz", .ramdisk = "/boot/initrd.img", .extra = "console=ttyS0",
    .network = DOMUS_CFG_NETWORK_USER, .vnc = TRUE,
  };

  return choices;
}

static void
test_domain_xml (void)
{
  DomusCfgChoices choices = kernel_choices ("web1");
  DomusLibvirtCreateOptions options = { .virt_type = "qemu", .arch = "x86_64" };
  g_autoptr(DomusLibvirtDomainInfo) info = domus_libvirt_domain_info_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *xml = domus_libvirt_domain_xml_new (&choices, &options, &error);
  g_autofree char *iso_xml = NULL;
  g_autofree char *bad = NULL;

  g_assert_no_error (error);
  g_assert_true (domus_libvirt_domain_info_read_xml (info, xml, &error));
  g_assert_cmpstr (info->name, ==, "web1");
  g_assert_cmpint (info->memory_mib, ==, 96);
  g_assert_cmpint (info->vcpus, ==, 2);
  g_assert_cmpint (info->graphics, ==, DOMUS_LIBVIRT_GRAPHICS_VNC);
  g_assert_true (info->has_serial);
  g_assert_nonnull (strstr (xml, "<domain type=\"qemu\">"));
  g_assert_nonnull (strstr (xml, "<kernel>/boot/vmlinuz</kernel>"));
  g_assert_nonnull (strstr (xml, "<initrd>/boot/initrd.img</initrd>"));
  g_assert_nonnull (strstr (xml, "<cmdline>console=ttyS0</cmdline>"));
  g_assert_nonnull (strstr (xml, "<interface type=\"user\"/>"));
  g_assert_nonnull (strstr (xml, "<acpi/>"));

  /* An ISO: firmware boots the CD, then the disk; the CD is read-only. A named libvirt network. */
  choices.kind = DOMUS_CFG_KIND_ISO;
  choices.iso_path = "/srv/iso/debian.iso";
  choices.disk_path = "/var/lib/libvirt/images/web1.qcow2";
  choices.disk_format = "qcow2";
  options.network = "default";
  iso_xml = domus_libvirt_domain_xml_new (&choices, &options, &error);
  g_assert_no_error (error);
  g_assert_null (strstr (iso_xml, "<kernel>"));
  g_assert_nonnull (strstr (iso_xml, "<boot dev=\"cdrom\"/>"));
  g_assert_true (strstr (iso_xml, "<boot dev=\"cdrom\"/>") < strstr (iso_xml, "<boot dev=\"hd\"/>"));
  g_assert_nonnull (strstr (iso_xml, "<readonly/>"));
  g_assert_nonnull (strstr (iso_xml, "<source network=\"default\"/>"));
  g_assert_nonnull (strstr (iso_xml, "<source file=\"/var/lib/libvirt/images/web1.qcow2\"/>"));

  /* A network the host defines, named in the choices (the assistant's "A network of the
   * host"); without its name it is the network page's error. */
  choices.network = DOMUS_CFG_NETWORK_NAMED;
  choices.network_name = "domusnet";
  options.network = NULL;
  g_free (iso_xml);
  iso_xml = domus_libvirt_domain_xml_new (&choices, &options, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (iso_xml, "<source network=\"domusnet\"/>"));
  choices.network_name = NULL;
  bad = domus_libvirt_domain_xml_new (&choices, &options, &error);
  g_assert_null (bad);
  g_assert_error (error, DOMUS_CFG_ERROR, DOMUS_CFG_ERROR_NETWORK);
  g_clear_error (&error);
  choices.network = DOMUS_CFG_NETWORK_USER;

  /* The assistant's rules, naming the wrong choice. */
  choices.name = "1234";
  bad = domus_libvirt_domain_xml_new (&choices, &options, &error);
  g_assert_null (bad);
  g_assert_error (error, DOMUS_CFG_ERROR, DOMUS_CFG_ERROR_NAME);
  g_clear_error (&error);
  choices.name = "web1";
  options.virt_type = "pigeon";
  bad = domus_libvirt_domain_xml_new (&choices, &options, &error);
  g_assert_null (bad);
  g_assert_error (error, DOMUS_ERROR, DOMUS_ERROR_NOT_SUPPORTED);
}

static DomusLibvirtDomainInfo *
create (DomusLibvirtConnection          *connection,
        const DomusCfgChoices           *choices,
        const DomusLibvirtCreateOptions *options,
        GError                         **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  domus_libvirt_create_domain_async (connection, choices, options, NULL, lvt_keep_result, &result);
  return domus_libvirt_create_domain_finish (connection, lvt_wait (&result), error);
}

static guint
volumes_in_images (DomusLibvirtConnection *connection)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GPtrArray) pools = NULL;

  domus_libvirt_list_pools_async (connection, NULL, lvt_keep_result, &result);
  pools = domus_libvirt_list_pools_finish (connection, lvt_wait (&result), NULL);
  return ((DomusLibvirtPool *) g_ptr_array_index (pools, 0))->volumes->len;
}

static void
test_create (void)
{
  g_autoptr(DomusLibvirtConnection) connection = open_node ();
  DomusCfgChoices choices = kernel_choices ("gamma");
  DomusLibvirtCreateOptions options = {
    .new_disk_pool = "images", .new_disk_mib = 16, .start = TRUE,
  };
  g_autoptr(DomusLibvirtDomainInfo) info = NULL;
  g_autoptr(GError) error = NULL;

  /* The host's own architecture and virtualisation type (the test driver's "test"), a
   * new volume named after the domain, started. */
  info = create (connection, &choices, &options, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (info->name, ==, "gamma");
  g_assert_cmpint (info->state, ==, DOMUS_DOMAIN_STATE_RUNNING);
  g_assert_cmpint (info->memory_mib, ==, 96);
  g_assert_cmpuint (volumes_in_images (connection), ==, 2);
  g_clear_pointer (&info, domus_libvirt_domain_info_free);

  /* The name is taken: refused before any volume is made. */
  options.new_disk_pool = "images";
  info = create (connection, &choices, &options, &error);
  g_assert_null (info);
  g_assert_error (error, DOMUS_ERROR, DOMUS_ERROR_ALREADY_EXISTS);
  g_clear_error (&error);
  g_assert_cmpuint (volumes_in_images (connection), ==, 2);

  /* A wrong choice: nothing made either. */
  choices.name = "delta";
  choices.memory_mib = 0;
  info = create (connection, &choices, &options, &error);
  g_assert_null (info);
  g_assert_error (error, DOMUS_CFG_ERROR, DOMUS_CFG_ERROR_MEMORY);
  g_assert_cmpuint (volumes_in_images (connection), ==, 2);
}

/* Migration: the test driver has none, and says so; two real daemons are in the
 * integration test libvirt. */
static void
test_migration_unsupported (void)
{
  g_autoptr(DomusLibvirtConnection) source = open_node ();
  g_autoptr(DomusLibvirtConnection) target = open_node ();
  DomusLibvirtMigrateOptions options = { .live = TRUE };
  g_autoptr(DomusLibvirtMigration) migration = domus_libvirt_migration_new (source, target, "alpha", &options);
  g_autoptr(DomusLibvirtMigration) nobody = domus_libvirt_migration_new (source, target, "nobody", &options);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  domus_libvirt_migration_run_async (migration, NULL, lvt_keep_result, &result);
  g_assert_false (domus_libvirt_migration_run_finish (migration, lvt_wait (&result), &error));
  g_assert_error (error, DOMUS_ERROR, DOMUS_ERROR_NOT_SUPPORTED);
  g_assert_cmpint (domus_libvirt_migration_get_downtime_ms (migration), ==, -1);
  g_clear_error (&error);

  domus_libvirt_migration_run_async (nobody, NULL, lvt_keep_result, &result);
  g_assert_false (domus_libvirt_migration_run_finish (nobody, lvt_wait (&result), &error));
  g_assert_error (error, DOMUS_ERROR, DOMUS_ERROR_NO_SUCH_DOMAIN);
}

/* Import: a libvirt definition as an xm .cfg that domusd's own reader takes. */

/* What virt-manager writes for an installed guest, plus Domus tags. */
static const char virt_manager_xml[] =
  "<domain type='kvm'>"
  "  <name>web-1</name><uuid>0b4c2d6e-5f7a-4b8c-9d0e-1f2a3b4c5d6e</uuid>"
  "  <title>The web server</title>"
  "  <metadata>"
  "    <libosinfo:libosinfo xmlns:libosinfo='http://libosinfo.org/xmlns/libvirt/domain/1.0'>"
  "      <libosinfo:os id='http://debian.org/debian/12'/></libosinfo:libosinfo>"
  "    <domus:tags xmlns:domus='" DOMUS_LIBVIRT_METADATA_URI "'>"
  "      <domus:tag>web</domus:tag><domus:tag>prod</domus:tag></domus:tags>"
  "  </metadata>"
  "  <memory unit='KiB'>2097152</memory><currentMemory unit='KiB'>1048576</currentMemory>"
  "  <vcpu placement='static'>2</vcpu>"
  "  <os><type arch='x86_64' machine='pc-q35-7.2'>hvm</type><boot dev='hd'/><boot dev='cdrom'/></os>"
  "  <features><acpi/><apic/><vmport state='off'/></features>"
  "  <cpu mode='host-passthrough' check='none' migratable='on'/>"
  "  <clock offset='localtime'><timer name='rtc' tickpolicy='catchup'/></clock>"
  "  <on_poweroff>destroy</on_poweroff><on_reboot>restart</on_reboot><on_crash>coredump-destroy</on_crash>"
  "  <pm><suspend-to-mem enabled='no'/></pm>"
  "  <devices>"
  "    <emulator>/usr/bin/qemu-system-x86_64</emulator>"
  "    <disk type='file' device='disk'><driver name='qemu' type='qcow2' discard='unmap'/>"
  "      <source file='/var/lib/libvirt/images/web-1.qcow2'/><target dev='vda' bus='virtio'/></disk>"
  "    <disk type='block' device='disk'><driver name='qemu' type='raw'/>"
  "      <source dev='/dev/vg0/web-data'/><target dev='vdb' bus='virtio'/><shareable/></disk>"
  "    <disk type='file' device='cdrom'><driver name='qemu' type='raw'/>"
  "      <target dev='sda' bus='sata'/><readonly/></disk>"
  "    <disk type='network' device='disk'><source protocol='rbd' name='pool/img'/>"
  "      <target dev='vdc' bus='virtio'/></disk>"
  "    <controller type='usb' model='qemu-xhci'/>"
  "    <interface type='network'><mac address='52:54:00:12:34:56'/><source network='default'/>"
  "      <model type='virtio'/></interface>"
  "    <interface type='bridge'><mac address='52:54:00:ab:cd:ef'/><source bridge='br0'/>"
  "      <model type='e1000e'/></interface>"
  "    <serial type='pty'><target type='isa-serial' port='0'/></serial>"
  "    <console type='pty'><target type='serial' port='0'/></console>"
  "    <channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/></channel>"
  "    <input type='tablet' bus='usb'/><input type='mouse' bus='ps2'/>"
  "    <graphics type='spice' autoport='yes'/>"
  "    <video><model type='qxl' ram='65536'/></video>"
  "    <memballoon model='virtio'/>"
  "    <rng model='virtio'><backend model='random'>/dev/urandom</backend></rng>"
  "  </devices>"
  "</domain>";

static gboolean
lost_mentions (GPtrArray  *lost,
               const char *words)
{
  for (guint i = 0; i < lost->len; i++)
    if (strstr (g_ptr_array_index (lost, i), words) != NULL)
      return TRUE;
  return FALSE;
}

static void
test_import (void)
{
  g_autoptr(GPtrArray) lost = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *cfg = domus_libvirt_import_xml (virt_manager_xml, &lost, &error);
  g_autoptr(HvConfig) config = NULL;
  HvDomainSpec *spec;

  g_assert_no_error (error);
  g_test_message ("%s", cfg);
  g_assert_nonnull (strstr (cfg, "name = 'web-1'\n"));
  g_assert_nonnull (strstr (cfg, "uuid = '0b4c2d6e-5f7a-4b8c-9d0e-1f2a3b4c5d6e'\n"));
  g_assert_nonnull (strstr (cfg, "memory = 2048\n"));
  g_assert_nonnull (strstr (cfg, "vcpus = 2\n"));
  g_assert_nonnull (strstr (cfg, "    'web',\n    'prod',\n"));
  g_assert_nonnull (strstr (cfg, "builder = 'hvm'\nboot = 'cd'\n"));
  g_assert_nonnull (strstr (cfg, "'tap:qcow2:/var/lib/libvirt/images/web-1.qcow2,vda,w',"));
  g_assert_nonnull (strstr (cfg, "'phy:/dev/vg0/web-data,vdb,w!',"));
  g_assert_nonnull (strstr (cfg, "',sda:cdrom,r',"));
  g_assert_nonnull (strstr (cfg, "'mac=52:54:00:12:34:56, model=virtio',"));
  g_assert_nonnull (strstr (cfg, "'mac=52:54:00:ab:cd:ef, bridge=br0, model=e1000e',"));
  g_assert_nonnull (strstr (cfg, "vnc = 1\n"));
  g_assert_nonnull (strstr (cfg, "usbdevice = 'tablet'\n"));
  g_assert_nonnull (strstr (cfg, "localtime = 1\n"));
  g_assert_nonnull (strstr (cfg, "on_crash = 'coredump-destroy'\n"));
  g_assert_null (strstr (cfg, "acpi = 0"));

  /* Everything else is said, one sentence each, and at the end of the file. */
  g_assert_true (lost_mentions (lost, "balloon"));
  g_assert_true (lost_mentions (lost, "vdc"));              /* the rbd disk */
  g_assert_true (lost_mentions (lost, "“default”"));        /* the libvirt network */
  g_assert_true (lost_mentions (lost, "SPICE"));
  g_assert_true (lost_mentions (lost, "qxl"));
  g_assert_true (lost_mentions (lost, "<channel>"));
  g_assert_true (lost_mentions (lost, "<rng>"));
  g_assert_true (lost_mentions (lost, "host-passthrough"));
  g_assert_true (lost_mentions (lost, "pc-q35-7.2"));
  g_assert_true (lost_mentions (lost, "vmport"));
  g_assert_true (lost_mentions (lost, "<pm>"));
  g_assert_false (lost_mentions (lost, "controller"));     /* plumbing */
  g_assert_false (lost_mentions (lost, "memballoon"));
  g_assert_cmpuint (lost->len, ==, 11);
  g_assert_nonnull (strstr (cfg, "#   - "));

  /* domusd's reader takes it (paths need not exist for that). */
  config = hv_config_new_from_data (cfg, -1, "web-1.cfg", &error);
  g_assert_no_error (error);
  spec = hv_domain_spec_new (config, HV_DOMAIN_SPEC_FLAGS_NONE, &error);
  g_assert_no_error (error);
  g_assert_nonnull (spec);
  hv_domain_spec_free (spec);
}

static void
test_import_refusals (void)
{
  g_autoptr(GPtrArray) lost = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *cfg = NULL;

  cfg = domus_libvirt_import_xml ("this is not xml", &lost, &error);
  g_assert_null (cfg);
  g_assert_error (error, DOMUS_ERROR, DOMUS_ERROR_INVALID_CONFIG);
  g_clear_error (&error);
  cfg = domus_libvirt_import_xml ("<network><name>default</name></network>", &lost, &error);
  g_assert_null (cfg);
  g_assert_error (error, DOMUS_ERROR, DOMUS_ERROR_INVALID_CONFIG);
  g_clear_error (&error);
  /* A name domusd would refuse: said now, not when the file is used. */
  cfg = domus_libvirt_import_xml ("<domain type='kvm'><name>my vm</name></domain>", &lost, &error);
  g_assert_null (cfg);
  g_assert_error (error, DOMUS_ERROR, DOMUS_ERROR_INVALID_CONFIG);
  g_assert_nonnull (strstr (error->message, "my vm"));
  g_clear_error (&error);

  /* A kernel-boot guest without ACPI: kernel, ramdisk, extra and acpi = 0; nothing lost. */
  cfg = domus_libvirt_import_xml ("<domain type='qemu'><name>pv1</name><memory unit='MiB'>128</memory>"
                                  "<vcpu>1</vcpu><os><type>hvm</type><kernel>/boot/vmlinuz</kernel>"
                                  "<initrd>/boot/initrd.img</initrd><cmdline>root=/dev/vda1 ro</cmdline></os>"
                                  "<features><apic/></features></domain>", &lost, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (cfg, "memory = 128\nvcpus = 1\nkernel = '/boot/vmlinuz'\n"
                                 "ramdisk = '/boot/initrd.img'\nextra = 'root=/dev/vda1 ro'\n"));
  g_assert_nonnull (strstr (cfg, "acpi = 0\n"));
  g_assert_cmpuint (lost->len, ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  domus_libvirt_init ();
  /* As g_main_loop_run() does in the programs: held for good, so that what another thread
   * invokes on the main context (the interaction's questions) runs on this thread. */
  g_main_context_acquire (NULL);

  g_test_add_func ("/libvirt/uris", test_uris);
  g_test_add_func ("/libvirt/open", test_open);
  g_test_add_func ("/libvirt/open-failure", test_open_failure);
  g_test_add_func ("/libvirt/login", test_login);
  g_test_add_func ("/libvirt/worker-thread", test_worker_thread);
  g_test_add_func ("/libvirt/list", test_list);
  g_test_add_func ("/libvirt/lifecycle", test_lifecycle);
  g_test_add_func ("/libvirt/define-undefine", test_define_undefine);
  g_test_add_func ("/libvirt/tags-metadata-text", test_tags_metadata_text);
  g_test_add_func ("/libvirt/tags", test_tags);
  g_test_add_func ("/libvirt/configuration-form", test_configuration_form);
  g_test_add_func ("/libvirt/read-xml", test_read_xml);
  g_test_add_func ("/libvirt/sampler", test_sampler);
  g_test_add_func ("/libvirt/storage", test_storage);
  g_test_add_func ("/libvirt/console-refusals", test_console_refusals);
  g_test_add_func ("/libvirt/vnc-endpoint", test_vnc_endpoint);
  g_test_add_func ("/libvirt/tunnel-options", test_tunnel_options);
  g_test_add_func ("/libvirt/ssh-config", test_ssh_config);
  g_test_add_func ("/libvirt/domain-xml", test_domain_xml);
  g_test_add_func ("/libvirt/create", test_create);
  g_test_add_func ("/libvirt/migration-unsupported", test_migration_unsupported);
  g_test_add_func ("/libvirt/import", test_import);
  g_test_add_func ("/libvirt/import-refusals", test_import_refusals);
  g_test_add_func ("/libvirt/close", test_close);
  return g_test_run ();
}
