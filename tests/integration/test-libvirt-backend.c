/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The libvirt pieces of the backend against real libvirt daemons with the test guest
 * under TCG, started by test-libvirt.py (lib_libvirt.py), which passes in the environment:
 *   DOMUS_LV_URI_A, DOMUS_LV_URI_B   two daemons, each with the "default" pool;
 *   DOMUS_LV_GUEST                   the test guest's name, defined shut off on A (a
 *                                    qcow2 disk in the pool, VNC, a serial pty);
 *   DOMUS_LV_KERNEL, DOMUS_LV_INITRD its kernel and initramfs, as the daemons see them;
 *   DOMUS_LV_SSH_URI                 A again, through qemu+libssh2 and a real sshd, with a
 *                                    passphrase-protected key and an empty known_hosts;
 *   DOMUS_LV_SSH_PASSPHRASE          that key's passphrase;
 *   DOMUS_LV_SSH_PROGRAM_URI         A again, through qemu+ssh (the ssh program, with the
 *                                    test's own known_hosts) and the same sshd;
 *   DOMUS_LV_SSH_NOFORWARD_URI       the same through a second sshd that refuses to forward
 *                                    (AllowTcpForwarding no);
 *   DOMUS_LV_SSH_ALIAS_URI           qemu+ssh://ALIAS/system: host, port, user, key and
 *                                    known_hosts only in the ssh program's configuration;
 *   DOMUS_LV_PID_B                   B's libvirtd, which the last case ends.
 * The cases run in order and build on each other (the guest started in one is saved and
 * restored, then migrated in later ones); an assertion that fails marks its case and the
 * next ones go on.
 */

#include <signal.h>
#include <string.h>
#include <gio/gio.h>
#include <glib/gstdio.h>

#include "domus-libvirt.h"
#include "domus-libvirt-builder.h"
#include "domus-libvirt-connection.h"
#include "domus-libvirt-console.h"
#include "domus-libvirt-domains.h"
#include "domus-libvirt-import.h"
#include "domus-libvirt-migration.h"
#include "domus-libvirt-sampler.h"
#include "domus-libvirt-storage.h"
#include "domus-libvirt-tunnel.h"
#include "hv-config.h"
#include "hv-domain-spec.h"
#include "test-libvirt-util.h"

#define BOOT_TIMEOUT_MS 150000

static DomusLibvirtConnection *a;
static DomusLibvirtConnection *b;
static LvtEvents events_a;
static const char *guest;

static const char *
env (const char *name)
{
  const char *value = g_getenv (name);

  if (value == NULL)
    g_error ("%s is not set: run this through tests/integration/test-libvirt.py", name);
  return value;
}

/* virsh against a daemon, as a person beside Domus would use it; its standard output. */
static char *
virsh (const char *uri,
       ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  char *out = NULL;
  g_autofree char *err = NULL;
  int status = 0;
  const char *arg;
  va_list args;

  g_ptr_array_add (argv, (char *) "virsh");
  g_ptr_array_add (argv, (char *) "-q");
  g_ptr_array_add (argv, (char *) "-c");
  g_ptr_array_add (argv, (char *) uri);
  va_start (args, uri);
  while ((arg = va_arg (args, const char *)) != NULL)
    g_ptr_array_add (argv, (char *) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);
  g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err, &status, &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_test_message ("virsh %s: %s", (char *) argv->pdata[4], err);
  return out;
}

/* Serial output */

typedef struct {
  GInputStream *in;
  GString      *text;
  gboolean      ended;
  char          buffer[4096];
} Reader;

static void read_more (Reader *reader);

static void
on_read (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Reader *reader = user_data;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, NULL);

  if (n <= 0)
    {
      reader->ended = TRUE;
      return;
    }
  g_string_append_len (reader->text, reader->buffer, n);
  read_more (reader);
}

static void
read_more (Reader *reader)
{
  g_input_stream_read_async (reader->in, reader->buffer, sizeof reader->buffer, G_PRIORITY_DEFAULT,
                             NULL, on_read, reader);
}

/* "tick N" lines counting up, at least `count` of them (after the ready line when the
 * console saw the boot; a console opened later, or after a migration, sees ticks only). */
static gboolean
ticks_count_up (const char *text,
                guint       count)
{
  const char *ready = strstr (text, "domus-test-guest ready");
  g_auto(GStrv) lines = g_strsplit (ready != NULL ? ready : text, "\n", -1);
  gint64 last = -1;
  guint seen = 0;

  for (gsize i = 0; lines[i] != NULL; i++)
    {
      const char *tick = strstr (lines[i], "tick ");
      gint64 n;

      if (tick == NULL || !g_ascii_string_to_signed (g_strstrip (lines[i] + (tick - lines[i]) + 5), 10, 0,
                                                     G_MAXINT64, &n, NULL))
        continue;
      if (last >= 0 && n != last + 1)
        seen = 0;
      last = n;
      seen++;
    }
  return seen >= count;
}

typedef struct {
  Reader *reader;
  guint   ticks;
} TickWait;

static gboolean
enough_ticks (gpointer data)
{
  TickWait *wait = data;

  return ticks_count_up (wait->reader->text->str, wait->ticks) || wait->reader->ended;
}

/* Opens the domain's serial console on connection and waits for `ticks` counting ticks. */
static gboolean
serial_ticks (DomusLibvirtConnection *connection,
              const char             *name,
              guint                   ticks,
              guint                   timeout_ms)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GIOStream) serial = NULL;
  g_autoptr(GError) error = NULL;
  Reader reader = { NULL, g_string_new (NULL), FALSE, { 0 } };
  TickWait wait = { &reader, ticks };
  gboolean counted;

  domus_libvirt_open_serial_async (connection, name, NULL, lvt_keep_result, &result);
  serial = domus_libvirt_open_serial_finish (connection, lvt_wait (&result), &error);
  g_assert_no_error (error);
  if (serial == NULL)
    return FALSE;
  reader.in = g_io_stream_get_input_stream (serial);
  read_more (&reader);
  lvt_wait_until (enough_ticks, &wait, timeout_ms);
  counted = ticks_count_up (reader.text->str, ticks);
  if (!counted)
    g_test_message ("serial console of %s:\n%s", name, reader.text->str);
  g_io_stream_close (serial, NULL, NULL);
  /* The pending read ends with the close; let it come back before the reader goes. */
  while (!reader.ended)
    g_main_context_iteration (NULL, TRUE);
  g_string_free (reader.text, TRUE);
  return counted;
}

/* The last "tick N" the serial console shows once `ticks` have counted up; -1 if none. */
static gint64
serial_last_tick (DomusLibvirtConnection *connection,
                  const char             *name,
                  guint                   ticks)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GIOStream) serial = NULL;
  g_autoptr(GError) error = NULL;
  Reader reader = { NULL, g_string_new (NULL), FALSE, { 0 } };
  TickWait wait = { &reader, ticks };
  const char *tick;
  gint64 last = -1;

  domus_libvirt_open_serial_async (connection, name, NULL, lvt_keep_result, &result);
  serial = domus_libvirt_open_serial_finish (connection, lvt_wait (&result), &error);
  g_assert_no_error (error);
  if (serial == NULL)
    return -1;
  reader.in = g_io_stream_get_input_stream (serial);
  read_more (&reader);
  lvt_wait_until (enough_ticks, &wait, BOOT_TIMEOUT_MS);
  g_io_stream_close (serial, NULL, NULL);
  while (!reader.ended)
    g_main_context_iteration (NULL, TRUE);
  for (tick = strstr (reader.text->str, "tick "); tick != NULL; tick = strstr (tick + 5, "tick "))
    last = g_ascii_strtoll (tick + 5, NULL, 10);
  g_string_free (reader.text, TRUE);
  return last;
}

/* The cases */

static void
test_list (void)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GPtrArray) infos = NULL;
  g_autoptr(GError) error = NULL;
  DomusLibvirtDomainInfo *info = NULL;

  g_assert_cmpstr (domus_libvirt_connection_get_driver (a), ==, "QEMU");
  domus_libvirt_list_domains_async (a, NULL, lvt_keep_result, &result);
  infos = domus_libvirt_list_domains_finish (a, lvt_wait (&result), &error);
  g_assert_no_error (error);
  for (guint i = 0; infos != NULL && i < infos->len; i++)
    if (g_strcmp0 (((DomusLibvirtDomainInfo *) g_ptr_array_index (infos, i))->name, guest) == 0)
      info = g_ptr_array_index (infos, i);
  g_assert_nonnull (info);
  if (info == NULL)
    return;
  g_assert_cmpint (info->state, ==, DOMUS_DOMAIN_STATE_SHUTOFF);
  g_assert_cmpint (info->graphics, ==, DOMUS_LIBVIRT_GRAPHICS_VNC);
  g_assert_true (info->has_serial);
  g_assert_true (info->persistent);
  g_assert_cmpint (info->memory_mib, ==, 128);
}

/* Changes made with virsh reach Domus as events within a second. */
static gboolean
virsh_then_event (const char *verb,
                  int         vir_event)
{
  g_autofree char *expected = g_strdup_printf ("%s %d %d", guest, DOMUS_LIBVIRT_EVENT_LIFECYCLE, vir_event);
  g_autofree char *out = NULL;
  gint64 done;
  gboolean seen;

  lvt_events_clear (&events_a);
  out = virsh (env ("DOMUS_LV_URI_A"), verb, guest, NULL);
  done = g_get_monotonic_time ();
  seen = lvt_events_wait (&events_a, expected, 1000);
  g_test_message ("virsh %s: event after %.0f ms", verb, (g_get_monotonic_time () - done) / 1000.0);
  return seen;
}

static void
test_virsh_events (void)
{
  g_autoptr(DomusLibvirtDomainInfo) info = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (virsh_then_event ("start", VIR_DOMAIN_EVENT_STARTED));
  g_assert_true (virsh_then_event ("suspend", VIR_DOMAIN_EVENT_SUSPENDED));
  info = lvt_get_domain (a, guest, &error);
  g_assert_no_error (error);
  g_assert_cmpint (info->state, ==, DOMUS_DOMAIN_STATE_PAUSED);
  g_assert_cmpint (info->id, >, 0);
  g_assert_true (virsh_then_event ("resume", VIR_DOMAIN_EVENT_RESUMED));
}

static void
test_serial (void)
{
  g_assert_true (serial_ticks (a, guest, 3, BOOT_TIMEOUT_MS));
}

/* The screen: the descriptor Domus gets, relayed to a loopback port for gvnccapture. */

typedef struct {
  GSocketConnection *vnc;
  GSocketConnection *client;
  gboolean           spliced;
  gboolean           captured;
  int                status;
} Relay;

static void
on_spliced (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  ((Relay *) user_data)->spliced = TRUE;
  g_io_stream_splice_finish (result, NULL);
}

static void
on_accepted (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  Relay *relay = user_data;

  relay->client = g_socket_listener_accept_finish (G_SOCKET_LISTENER (source), result, NULL, NULL);
  if (relay->client == NULL)
    return;
  g_io_stream_splice_async (G_IO_STREAM (relay->client), G_IO_STREAM (relay->vnc),
                            G_IO_STREAM_SPLICE_CLOSE_STREAM1 | G_IO_STREAM_SPLICE_CLOSE_STREAM2,
                            G_PRIORITY_DEFAULT, NULL, on_spliced, relay);
}

static void
on_captured (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  Relay *relay = user_data;

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  relay->status = g_subprocess_get_exit_status (G_SUBPROCESS (source));
  relay->captured = TRUE;
}

static gboolean
captured (gpointer data)
{
  return ((Relay *) data)->captured;
}

/* A loopback port 5900 + display that was free just now. */
static guint
listen_on_free_display (GSocketListener *listener)
{
  for (guint display = 200; display < 400; display++)
    {
      g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
      g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 5900 + display);

      if (g_socket_listener_add_address (listener, address, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                                         NULL, NULL, NULL))
        return display;
    }
  g_error ("no free VNC port on loopback");
}

/* The domain's screen as Domus opens it on connection, captured by gvnccapture: a PNG of
 * VGA text mode's size at least. */
static void
assert_screen_captured (DomusLibvirtConnection *connection,
                        const char             *name)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketListener) listener = g_socket_listener_new ();
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GSubprocess) capture = NULL;
  g_autofree char *dir = g_dir_make_tmp ("domus-lv-screen-XXXXXX", NULL);
  g_autofree char *png = g_build_filename (dir, "screen.png", NULL);
  g_autofree char *target = NULL;
  g_autofree char *data = NULL;
  Relay relay = { NULL };
  gsize length = 0;
  guint display;
  int fd;

  domus_libvirt_open_graphics_async (connection, name, NULL, lvt_keep_result, &result);
  fd = domus_libvirt_open_graphics_finish (connection, lvt_wait (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpint (fd, >=, 0);
  if (fd < 0)
    return;
  socket = g_socket_new_from_fd (fd, &error);
  g_assert_no_error (error);
  relay.vnc = g_socket_connection_factory_create_connection (socket);
  display = listen_on_free_display (listener);
  g_socket_listener_accept_async (listener, NULL, on_accepted, &relay);
  target = g_strdup_printf ("127.0.0.1:%u", display);
  capture = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE, &error, "gvnccapture", "-q", target, png, NULL);
  g_assert_no_error (error);
  g_subprocess_wait_async (capture, NULL, on_captured, &relay);
  g_assert_true (lvt_wait_until (captured, &relay, 60000));
  g_assert_cmpint (relay.status, ==, 0);
  g_assert_true (g_file_get_contents (png, &data, &length, NULL));
  g_assert_cmpuint (length, >, 24);
  g_assert_true (memcmp (data, "\x89PNG\r\n\x1a\n", 8) == 0);
  /* VGA text mode: 720x400. */
  g_assert_cmpuint (GUINT32_FROM_BE (*(guint32 *) (data + 16)), >=, 640);
  g_assert_cmpuint (GUINT32_FROM_BE (*(guint32 *) (data + 20)), >=, 400);
  g_clear_object (&relay.client);
  g_clear_object (&relay.vnc);
  g_test_message ("screen of %s: %ux%u", name, GUINT32_FROM_BE (*(guint32 *) (data + 16)),
                  GUINT32_FROM_BE (*(guint32 *) (data + 20)));
  g_unlink (png);
  g_rmdir (dir);
}

static void
test_graphics (void)
{
  assert_screen_captured (a, guest);
}

/* 1 Hz samples */

static void
test_sampler (void)
{
  g_autoptr(DomusLibvirtSampler) sampler = domus_libvirt_sampler_new (a, DOMUS_LIBVIRT_SAMPLER_DEFAULT_INTERVAL_MS);
  LvtSamples samples;
  const DomusLibvirtSample *first, *last;
  const DomusLibvirtDomainSample *then, *now;
  double seconds;

  lvt_samples_watch (&samples, G_OBJECT (sampler));
  domus_libvirt_sampler_start (sampler);
  g_assert_true (lvt_samples_wait (&samples, 4, 15000));
  domus_libvirt_sampler_stop (sampler);
  if (samples.samples->len < 4)
    return;
  first = g_ptr_array_index (samples.samples, 0);
  last = g_ptr_array_index (samples.samples, samples.samples->len - 1);
  seconds = (last->time_us - first->time_us) / 1e6;
  g_test_message ("%u samples in %.2f s", samples.samples->len, seconds);
  g_assert_cmpfloat (seconds, >, 2.5);
  g_assert_cmpfloat (seconds, <, 6.0);
  g_assert_cmpint (last->host_cpus, >, 0);
  g_assert_cmpfloat (last->host_cpu_percent, >=, 0);
  g_assert_cmpfloat (last->host_cpu_percent, <=, 100);
  g_assert_cmpint (last->host_memory_used_mib, >, 0);
  g_assert_cmpint (last->host_memory_used_mib, <, last->host_memory_mib);
  then = domus_libvirt_sample_lookup (first, guest);
  now = domus_libvirt_sample_lookup (last, guest);
  g_assert_nonnull (then);
  g_assert_nonnull (now);
  if (then == NULL || now == NULL)
    return;
  g_assert_cmpint (now->state, ==, DOMUS_DOMAIN_STATE_RUNNING);
  g_assert_cmpint (now->cpu_time_ns, >, then->cpu_time_ns);
  /* A TCG guest ticking once a second uses some CPU; the first sample has no rate yet. */
  g_assert_cmpfloat (then->cpu_percent, ==, -1);
  g_assert_cmpfloat (now->cpu_percent, >, 0);
  g_assert_cmpint (now->rss_mib, >, 10);
  g_assert_cmpint (now->balloon_mib, ==, 128);
  /* The guest read its disk at boot (the marker) and wrote it. */
  g_assert_cmpint (now->disk_rd_bytes, >, 0);
  g_assert_cmpint (now->disk_wr_bytes, >, 0);
  g_ptr_array_unref (samples.samples);
}

/* Tags in <metadata> of the running guest, as virsh sees them. */
static void
test_tags (void)
{
  const char *tags[] = { "web", "prod & test", NULL };
  g_autofree char *changed = g_strdup_printf ("%s %d", guest, DOMUS_LIBVIRT_EVENT_METADATA);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(DomusLibvirtDomainInfo) info = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *live = NULL;
  g_autofree char *config = NULL;

  lvt_events_clear (&events_a);
  domus_libvirt_set_tags_async (a, guest, tags, NULL, lvt_keep_result, &result);
  g_assert_true (domus_libvirt_set_tags_finish (a, lvt_wait (&result), &error));
  g_assert_no_error (error);
  g_assert_true (lvt_events_wait (&events_a, changed, 2000));
  info = lvt_get_domain (a, guest, &error);
  g_assert_true (g_strv_equal ((const char * const *) info->tags, tags));
  live = virsh (env ("DOMUS_LV_URI_A"), "metadata", guest, "--uri", DOMUS_LIBVIRT_METADATA_URI, NULL);
  config = virsh (env ("DOMUS_LV_URI_A"), "metadata", guest, "--uri", DOMUS_LIBVIRT_METADATA_URI, "--config", NULL);
  g_assert_nonnull (strstr (live, "prod &amp; test"));
  g_assert_nonnull (strstr (config, "prod &amp; test"));
}

/* The configuration form on a running guest: for its next boot. */
static void
test_configuration_form (void)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *inactive = NULL;
  g_autoptr(DomusLibvirtDomainInfo) info = NULL;

  domus_libvirt_set_resources_async (a, guest, 192, 2, NULL, lvt_keep_result, &result);
  g_assert_true (domus_libvirt_set_resources_finish (a, lvt_wait (&result), &error));
  g_assert_no_error (error);
  domus_libvirt_get_xml_async (a, guest, TRUE, NULL, lvt_keep_result, &result);
  inactive = domus_libvirt_get_xml_finish (a, lvt_wait (&result), &error);
  g_assert_nonnull (strstr (inactive, "<memory unit='KiB'>196608</memory>"));
  g_assert_nonnull (strstr (inactive, ">2</vcpu>"));
  /* The running guest keeps what it has. */
  info = lvt_get_domain (a, guest, &error);
  g_assert_cmpint (info->memory_mib, ==, 128);
  g_assert_cmpint (info->vcpus, ==, 1);
  /* Back, so that the migration below moves the guest as it runs. */
  domus_libvirt_set_resources_async (a, guest, 128, 1, NULL, lvt_keep_result, &result);
  g_assert_true (domus_libvirt_set_resources_finish (a, lvt_wait (&result), &error));
}

/* Save and restore as libvirt's managed save (what the window's Save… and Restore… do on a
 * libvirt host): listed while saved, and the guest's counter goes on from where it was. */
static void
test_managed_save (void)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DomusLibvirtDomainInfo) saved = NULL;
  g_autoptr(DomusLibvirtDomainInfo) back = NULL;
  g_auto(GStrv) listed = NULL;
  g_auto(GStrv) after = NULL;
  gint64 before_save, after_restore;

  before_save = serial_last_tick (a, guest, 2);
  g_assert_cmpint (before_save, >, 0);
  domus_libvirt_domain_action_async (a, guest, DOMUS_LIBVIRT_ACTION_MANAGED_SAVE, NULL, lvt_keep_result, &result);
  g_assert_true (domus_libvirt_domain_action_finish (a, lvt_wait (&result), &error));
  g_assert_no_error (error);
  saved = lvt_get_domain (a, guest, &error);
  g_assert_cmpint (saved->state, ==, DOMUS_DOMAIN_STATE_SHUTOFF);
  domus_libvirt_list_managed_saves_async (a, NULL, lvt_keep_result, &result);
  listed = domus_libvirt_list_managed_saves_finish (a, lvt_wait (&result), &error);
  g_assert_no_error (error);
  g_assert_true (listed != NULL && g_strv_contains ((const char * const *) listed, guest));
  domus_libvirt_domain_action_async (a, guest, DOMUS_LIBVIRT_ACTION_RESTORE_MANAGED, NULL, lvt_keep_result, &result);
  g_assert_true (domus_libvirt_domain_action_finish (a, lvt_wait (&result), &error));
  g_assert_no_error (error);
  back = lvt_get_domain (a, guest, &error);
  g_assert_cmpint (back->state, ==, DOMUS_DOMAIN_STATE_RUNNING);
  after_restore = serial_last_tick (a, guest, 2);
  g_test_message ("tick %" G_GINT64_FORMAT " before the managed save, %" G_GINT64_FORMAT " after the restore",
                  before_save, after_restore);
  /* The counter goes on (a fresh boot would count from 1 again). */
  g_assert_cmpint (after_restore, >, before_save);
  domus_libvirt_list_managed_saves_async (a, NULL, lvt_keep_result, &result);
  after = domus_libvirt_list_managed_saves_finish (a, lvt_wait (&result), &error);
  g_assert_true (after != NULL && !g_strv_contains ((const char * const *) after, guest));
  /* Nothing to restore now: refused rather than booted afresh. */
  domus_libvirt_domain_action_async (a, guest, DOMUS_LIBVIRT_ACTION_RESTORE_MANAGED, NULL, lvt_keep_result, &result);
  g_assert_false (domus_libvirt_domain_action_finish (a, lvt_wait (&result), &error));
  g_assert_error (error, DOMUS_ERROR, DOMUS_ERROR_INVALID_PARAMS);
}

/* The create assistant's choices, booted. */
static void
test_create (void)
{
  DomusCfgChoices choices = {
    .name = "made", .memory_mib = 128, .vcpus = 1, .kind = DOMUS_CFG_KIND_KERNEL,
    .kernel = env ("DOMUS_LV_KERNEL"), .ramdisk = env ("DOMUS_LV_INITRD"),
    .extra = "console=tty0 console=ttyS0 no_timer_check", .network = DOMUS_CFG_NETWORK_USER, .vnc = TRUE,
  };
  /* TCG: /dev/kvm exists on the build machines but nested KVM hangs; no_timer_check above as
   * lib_libvirt.py's guest has it (a loaded machine's TCG guest may fail the timer check). */
  DomusLibvirtCreateOptions options = {
    .virt_type = "qemu", .new_disk_pool = "default", .new_disk_mib = 16, .start = TRUE,
  };
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(DomusLibvirtDomainInfo) info = NULL;
  g_autoptr(GError) error = NULL;

  domus_libvirt_create_domain_async (a, &choices, &options, NULL, lvt_keep_result, &result);
  info = domus_libvirt_create_domain_finish (a, lvt_wait (&result), &error);
  g_assert_no_error (error);
  if (info == NULL)
    return;
  g_assert_cmpint (info->state, ==, DOMUS_DOMAIN_STATE_RUNNING);
  g_assert_true (serial_ticks (a, "made", 2, BOOT_TIMEOUT_MS));
  domus_libvirt_domain_action_async (a, "made", DOMUS_LIBVIRT_ACTION_DESTROY, NULL, lvt_keep_result, &result);
  g_assert_true (domus_libvirt_domain_action_finish (a, lvt_wait (&result), &error));
}

static void
test_storage (void)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GPtrArray) pools = NULL;
  g_autoptr(GError) error = NULL;
  DomusLibvirtPool *pool;
  g_autoptr(GString) names = g_string_new (NULL);

  domus_libvirt_list_pools_async (a, NULL, lvt_keep_result, &result);
  pools = domus_libvirt_list_pools_finish (a, lvt_wait (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (pools->len, ==, 1);
  pool = g_ptr_array_index (pools, 0);
  g_assert_cmpstr (pool->name, ==, "default");
  g_assert_cmpstr (pool->target, ==, "/var/lib/libvirt/images");
  g_assert_cmpint (pool->capacity, >, 0);
  for (guint i = 0; i < pool->volumes->len; i++)
    g_string_append_printf (names, "%s ", ((DomusLibvirtVolume *) g_ptr_array_index (pool->volumes, i))->name);
  /* The guest's disk, the one the assistant made, the kernel and initramfs. */
  g_assert_cmpstr (names->str, ==, "initrd.img made.qcow2 tguest.qcow2 vmlinuz ");
}

/* Migration between the two daemons */

static void
on_progress (DomusLibvirtMigration *migration,
             gpointer               user_data)
{
  const DomusLibvirtJobInfo *info = domus_libvirt_migration_get_progress (migration);

  if (info->data_total > 0)
    (*(guint *) user_data)++;
}

static void
test_migrate (void)
{
  DomusLibvirtMigrateOptions options = {
    .live = TRUE, .copy_storage = TRUE, .migrate_uri = "tcp://127.0.0.1",
  };
  g_autoptr(DomusLibvirtMigration) migration = domus_libvirt_migration_new (a, b, guest, &options);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(DomusLibvirtDomainInfo) there = NULL;
  g_autoptr(DomusLibvirtDomainInfo) here = NULL;
  g_autoptr(GError) error = NULL;
  const DomusLibvirtJobInfo *last;
  guint progress = 0;

  g_signal_connect (migration, "progress", G_CALLBACK (on_progress), &progress);
  domus_libvirt_migration_run_async (migration, NULL, lvt_keep_result, &result);
  g_assert_true (domus_libvirt_migration_run_finish (migration, lvt_wait (&result), &error));
  g_assert_no_error (error);
  last = domus_libvirt_migration_get_progress (migration);
  g_test_message ("%u progress reports, %" G_GINT64_FORMAT " ms downtime, last %" G_GINT64_FORMAT
                  " of %" G_GINT64_FORMAT " bytes, %" G_GINT64_FORMAT " left", progress,
                  domus_libvirt_migration_get_downtime_ms (migration), last->data_processed,
                  last->data_total, last->data_remaining);
  /* A migration faster than the first poll (~120 ms seen) still ends on one report: the
   * completed job's, with nothing left. Reports during a slow one, and its storage copy:
   * test_migrate_cancel. */
  g_assert_cmpuint (progress, >, 0);
  g_assert_cmpint (last->data_remaining, ==, 0);
  g_assert_cmpint (last->data_processed, >, 0);
  g_assert_cmpint (domus_libvirt_migration_get_downtime_ms (migration), >=, 0);
  /* The polls saw the storage copy (the completed job's figures do not say it). */
  if (progress > 1)
    g_assert_cmpint (last->disk_total, >, 0);

  there = lvt_get_domain (b, guest, &error);
  g_assert_no_error (error);
  g_assert_cmpint (there->state, ==, DOMUS_DOMAIN_STATE_RUNNING);
  g_assert_true (there->persistent);
  /* The tags travelled with it. */
  g_assert_cmpuint (g_strv_length (there->tags), ==, 2);
  here = lvt_get_domain (a, guest, &error);
  g_assert_null (here);
  g_assert_error (error, DOMUS_ERROR, DOMUS_ERROR_NO_SUCH_DOMAIN);
  g_assert_true (serial_ticks (b, guest, 2, 30000));
}

static gboolean
seen_progress (gpointer data)
{
  return *(guint *) data > 0;
}

static void
test_migrate_cancel (void)
{
  /* 1 MiB/s: long enough to cancel in the middle. */
  DomusLibvirtMigrateOptions options = {
    .live = TRUE, .copy_storage = TRUE, .bandwidth_mib = 1, .migrate_uri = "tcp://127.0.0.1",
  };
  g_autoptr(DomusLibvirtMigration) migration = domus_libvirt_migration_new (b, a, guest, &options);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(DomusLibvirtDomainInfo) still = NULL;
  g_autoptr(GError) error = NULL;
  guint progress = 0;

  g_signal_connect (migration, "progress", G_CALLBACK (on_progress), &progress);
  domus_libvirt_migration_run_async (migration, cancellable, lvt_keep_result, &result);
  g_assert_true (lvt_wait_until (seen_progress, &progress, 60000));
  /* copy_storage: the job's reports count the disks. */
  g_assert_cmpint (domus_libvirt_migration_get_progress (migration)->disk_total, >, 0);
  g_cancellable_cancel (cancellable);
  g_assert_false (domus_libvirt_migration_run_finish (migration, lvt_wait (&result), &error));
  g_assert_error (error, DOMUS_ERROR, DOMUS_ERROR_MIGRATION_CANCELLED);
  still = lvt_get_domain (b, guest, &error);
  g_assert_nonnull (still);
  if (still != NULL)
    g_assert_cmpint (still->state, ==, DOMUS_DOMAIN_STATE_RUNNING);
}

/* The migrated definition as a .cfg a domusd host reads. */
static void
test_import (void)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) lost = NULL;
  g_autoptr(HvConfig) config = NULL;
  g_autofree char *xml = NULL;
  g_autofree char *cfg = NULL;
  g_autofree char *kernel = g_strdup_printf ("kernel = '%s'\n", env ("DOMUS_LV_KERNEL"));
  HvDomainSpec *spec;

  domus_libvirt_get_xml_async (b, guest, TRUE, NULL, lvt_keep_result, &result);
  xml = domus_libvirt_get_xml_finish (b, lvt_wait (&result), &error);
  g_assert_no_error (error);
  cfg = domus_libvirt_import_xml (xml, &lost, &error);
  g_assert_no_error (error);
  g_test_message ("%s", cfg);
  g_assert_nonnull (strstr (cfg, kernel));
  g_assert_nonnull (strstr (cfg, "'tap:qcow2:/var/lib/libvirt/images/tguest.qcow2,vda,w',"));
  g_assert_nonnull (strstr (cfg, "vnc = 1\n"));
  g_assert_nonnull (strstr (cfg, "'prod & test',"));
  config = hv_config_new_from_data (cfg, -1, "tguest.cfg", &error);
  g_assert_no_error (error);
  spec = hv_domain_spec_new (config, HV_DOMAIN_SPEC_FLAGS_NONE, &error);
  g_assert_no_error (error);
  g_clear_pointer (&spec, hv_domain_spec_free);
}

/* qemu+libssh2 through a real sshd: the host key question and the key's passphrase. */

#define TEST_TYPE_PASSPHRASE (test_passphrase_get_type ())
G_DECLARE_FINAL_TYPE (TestPassphrase, test_passphrase, TEST, PASSPHRASE, GTlsInteraction)

struct _TestPassphrase
{
  GTlsInteraction parent_instance;
  guint           asked;
};

G_DEFINE_FINAL_TYPE (TestPassphrase, test_passphrase, G_TYPE_TLS_INTERACTION)

static GTlsInteractionResult
test_passphrase_ask_password (GTlsInteraction  *interaction,
                              GTlsPassword     *password,
                              GCancellable     *cancellable,
                              GError          **error)
{
  TEST_PASSPHRASE (interaction)->asked++;
  g_test_message ("asked: %s", g_tls_password_get_description (password));
  g_tls_password_set_value (password, (const guchar *) env ("DOMUS_LV_SSH_PASSPHRASE"), -1);
  return G_TLS_INTERACTION_HANDLED;
}

static void
test_passphrase_class_init (TestPassphraseClass *klass)
{
  G_TLS_INTERACTION_CLASS (klass)->ask_password = test_passphrase_ask_password;
}

static void
test_passphrase_init (TestPassphrase *self)
{
}

/* A remote connection is still open and lists domains. */
static void
assert_still_answers (DomusLibvirtConnection *connection)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GPtrArray) infos = NULL;
  g_autoptr(GError) error = NULL;

  domus_libvirt_list_domains_async (connection, NULL, lvt_keep_result, &result);
  infos = domus_libvirt_list_domains_finish (connection, lvt_wait (&result), &error);
  g_assert_no_error (error);
  g_assert_true (domus_libvirt_connection_is_open (connection));
}

static void
test_libssh2 (void)
{
  g_autoptr(TestPassphrase) interaction = g_object_new (TEST_TYPE_PASSPHRASE, NULL);
  g_autoptr(DomusLibvirtConnection) remote = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GPtrArray) infos = NULL;
  g_autoptr(GError) error = NULL;
  const char *uri = env ("DOMUS_LV_SSH_URI");
  const char *key_type = NULL, *fingerprint = NULL;
  g_autofree char *accepted = NULL;
  guint asked;

  /* An unknown host key: refused, with its fingerprint to show. */
  domus_libvirt_connection_open_async (uri, G_TLS_INTERACTION (interaction), NULL, NULL, lvt_keep_result, &result);
  remote = domus_libvirt_connection_open_finish (lvt_wait (&result), &error);
  g_assert_null (remote);
  g_assert_error (error, DOMUS_ERROR, DOMUS_ERROR_HOST_KEY_UNKNOWN);
  g_assert_true (domus_error_get_host_key (error, &key_type, &fingerprint));
  g_test_message ("host key %s %s", key_type, fingerprint);
  accepted = g_strdup (fingerprint);
  g_clear_error (&error);

  /* Accepted: the passphrase is asked through the interaction, and libvirt lists A's domains. */
  domus_libvirt_connection_open_async (uri, G_TLS_INTERACTION (interaction), accepted, NULL, lvt_keep_result, &result);
  remote = domus_libvirt_connection_open_finish (lvt_wait (&result), &error);
  g_assert_no_error (error);
  g_assert_nonnull (remote);
  if (remote == NULL)
    return;
  g_assert_cmpuint (interaction->asked, >=, 1);
  domus_libvirt_list_domains_async (remote, NULL, lvt_keep_result, &result);
  infos = domus_libvirt_list_domains_finish (remote, lvt_wait (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (infos->len, >=, 1);

  /* libvirt passes descriptors over local sockets only: the screen comes through Domus's
   * own SSH tunnel, logged in with the same key (its passphrase asked again), the host
   * key checked in the known_hosts libvirt wrote it to. */
  asked = interaction->asked;
  assert_screen_captured (remote, guest);
  g_assert_cmpuint (interaction->asked, >, asked);
  assert_still_answers (remote);
}

/* The VNC server's first words through a tunnel: "RFB 003.008\n". */
static void
assert_rfb_greeting (int fd)
{
  g_autoptr(GSocket) socket = g_socket_new_from_fd (fd, NULL);
  char banner[12] = { 0 };
  gsize got = 0;

  g_assert_nonnull (socket);
  if (socket == NULL)
    return;
  g_socket_set_timeout (socket, 30);
  while (got < sizeof banner)
    {
      gssize n = g_socket_receive (socket, banner + got, sizeof banner - got, NULL, NULL);

      if (n <= 0)
        break;
      got += (gsize) n;
    }
  g_assert_cmpuint (got, ==, sizeof banner);
  g_assert_true (memcmp (banner, "RFB 00", 6) == 0);
}

/* qemu+ssh (the ssh program) to an sshd that forwards, to one that does not, and to an
 * alias of the ssh program's configuration: the serial console through libvirt's stream,
 * the screen through Domus's tunnel (a direct-tcpip channel, or nc in an exec channel
 * where forwarding is refused; for the alias, where `ssh -G` says it goes). */
static void
assert_tunnel_way (DomusLibvirtConnection *connection,
                   DomusSshTunnelWay       expected)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *xml = virsh (env ("DOMUS_LV_URI_A"), "dumpxml", guest, NULL);
  g_autoptr(DomusLibvirtVncEndpoint) endpoint = domus_libvirt_vnc_endpoint_from_xml (xml, guest, &error);
  DomusSshTunnelWay way = expected == DOMUS_SSH_TUNNEL_EXEC ? DOMUS_SSH_TUNNEL_DIRECT_TCPIP : DOMUS_SSH_TUNNEL_EXEC;
  int fd;

  g_assert_no_error (error);
  if (endpoint == NULL)
    return;
  g_assert_cmpstr (endpoint->host, ==, "127.0.0.1");
  g_assert_cmpuint (endpoint->port, >=, 5900);
  domus_libvirt_open_tunnel_async (connection, endpoint, NULL, lvt_keep_result, &result);
  fd = domus_libvirt_open_tunnel_finish (connection, lvt_wait (&result), &way, &error);
  g_assert_no_error (error);
  g_assert_cmpint (way, ==, expected);
  if (fd >= 0)
    assert_rfb_greeting (fd);
}

static void
test_ssh_program (void)
{
  static const char * const uris[] = { "DOMUS_LV_SSH_PROGRAM_URI", "DOMUS_LV_SSH_NOFORWARD_URI",
                                       "DOMUS_LV_SSH_ALIAS_URI" };

  for (gsize i = 0; i < G_N_ELEMENTS (uris); i++)
    {
      g_autoptr(DomusLibvirtConnection) remote = NULL;
      g_autoptr(GAsyncResult) result = NULL;
      g_autoptr(GError) error = NULL;

      g_test_message ("%s", env (uris[i]));
      domus_libvirt_connection_open_async (env (uris[i]), NULL, NULL, NULL, lvt_keep_result, &result);
      remote = domus_libvirt_connection_open_finish (lvt_wait (&result), &error);
      g_assert_no_error (error);
      if (remote == NULL)
        continue;
      g_assert_true (serial_ticks (remote, guest, 3, 60000));
      assert_screen_captured (remote, guest);
      /* The screen left libvirt's own connection alone: it still answers. */
      assert_still_answers (remote);
      assert_tunnel_way (remote, i == 1 ? DOMUS_SSH_TUNNEL_EXEC : DOMUS_SSH_TUNNEL_DIRECT_TCPIP);
      domus_libvirt_connection_close (remote);
    }
}

/* B's daemon goes away: the connection says so, and its calls answer "closed". */

static void
on_closed (DomusLibvirtConnection *connection,
           const GError           *error,
           gpointer                user_data)
{
  *(GError **) user_data = g_error_copy (error);
}

static gboolean
seen_error (gpointer data)
{
  return *(GError **) data != NULL;
}

static void
test_closed (void)
{
  g_autoptr(GError) closed = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GPtrArray) infos = NULL;
  gint64 pid = g_ascii_strtoll (env ("DOMUS_LV_PID_B"), NULL, 10);

  g_signal_connect (b, "closed", G_CALLBACK (on_closed), &closed);
  g_assert_cmpint (kill ((pid_t) pid, SIGTERM), ==, 0);
  g_assert_true (lvt_wait_until (seen_error, &closed, 20000));
  g_assert_error (closed, DOMUS_ERROR, DOMUS_ERROR_DISCONNECTED);
  g_assert_false (domus_libvirt_connection_is_open (b));
  domus_libvirt_list_domains_async (b, NULL, lvt_keep_result, &result);
  infos = domus_libvirt_list_domains_finish (b, lvt_wait (&result), &error);
  g_assert_null (infos);
  g_assert_error (error, DOMUS_ERROR, DOMUS_ERROR_CLOSED);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_set_nonfatal_assertions ();
  domus_libvirt_init ();
  g_main_context_acquire (NULL);

  guest = env ("DOMUS_LV_GUEST");
  a = lvt_open (env ("DOMUS_LV_URI_A"));
  b = lvt_open (env ("DOMUS_LV_URI_B"));
  lvt_events_watch (&events_a, a);

  g_test_add_func ("/libvirt-daemon/list", test_list);
  g_test_add_func ("/libvirt-daemon/virsh-events", test_virsh_events);
  g_test_add_func ("/libvirt-daemon/serial", test_serial);
  g_test_add_func ("/libvirt-daemon/graphics", test_graphics);
  g_test_add_func ("/libvirt-daemon/sampler", test_sampler);
  g_test_add_func ("/libvirt-daemon/tags", test_tags);
  g_test_add_func ("/libvirt-daemon/configuration-form", test_configuration_form);
  g_test_add_func ("/libvirt-daemon/managed-save", test_managed_save);
  g_test_add_func ("/libvirt-daemon/create", test_create);
  g_test_add_func ("/libvirt-daemon/storage", test_storage);
  g_test_add_func ("/libvirt-daemon/libssh2", test_libssh2);
  g_test_add_func ("/libvirt-daemon/ssh-program", test_ssh_program);
  g_test_add_func ("/libvirt-daemon/migrate", test_migrate);
  g_test_add_func ("/libvirt-daemon/migrate-cancel", test_migrate_cancel);
  g_test_add_func ("/libvirt-daemon/import", test_import);
  g_test_add_func ("/libvirt-daemon/closed", test_closed);
  return g_test_run ();
}
