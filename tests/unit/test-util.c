/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Helpers the unit tests share: sample files and configs that must load, waits on the main
 * context with a limit, and a connected pair of streams. */

#include <sys/socket.h>
#include <gio/gunixconnection.h>
#include <gio/gunixsocketaddress.h>

#include "test-util.h"

char *
test_data_path (const char *name)
{
  return g_build_filename (TEST_DATA_DIR, name, NULL);
}

HvConfig *
test_config_from_text (const char *text)
{
  g_autoptr(GError) error = NULL;
  HvConfig *config = hv_config_new_from_data (text, -1, "guest.cfg", &error);

  g_assert_no_error (error);
  g_assert_nonnull (config);
  return config;
}

HvConfig *
test_config_from_file (const char *name)
{
  g_autofree char *path = test_data_path (name);
  g_autoptr(GError) error = NULL;
  HvConfig *config = hv_config_new_from_file (path, &error);

  g_assert_no_error (error);
  g_assert_nonnull (config);
  return config;
}

static HvDomainSpec *
spec_from_config (HvConfig *config)
{
  g_autoptr(GError) error = NULL;
  HvDomainSpec *spec = hv_domain_spec_new (config, HV_DOMAIN_SPEC_FLAGS_NONE, &error);

  g_assert_no_error (error);
  g_assert_nonnull (spec);
  return spec;
}

HvDomainSpec *
test_spec_from_text (const char *text)
{
  g_autoptr(HvConfig) config = test_config_from_text (text);

  return spec_from_config (config);
}

HvDomainSpec *
test_spec_from_file (const char *name)
{
  g_autoptr(HvConfig) config = test_config_from_file (name);

  return spec_from_config (config);
}

GSocketService *
test_listen_unix (const char *path,
                  GCallback   incoming,
                  gpointer    data)
{
  g_autoptr(GSocketAddress) address = g_unix_socket_address_new (path);
  g_autoptr(GError) error = NULL;
  GSocketService *service = g_socket_service_new ();

  g_signal_connect (service, "incoming", incoming, data);
  g_socket_listener_add_address (G_SOCKET_LISTENER (service), address, G_SOCKET_TYPE_STREAM,
                                 G_SOCKET_PROTOCOL_DEFAULT, NULL, NULL, &error);
  g_assert_no_error (error);
  g_socket_service_start (service);
  return service;
}

static gboolean
on_wait_limit (gpointer user_data)
{
  g_error ("a test waited more than %d seconds for %s", TEST_WAIT_LIMIT_SECONDS,
           (const char *) user_data);
  return G_SOURCE_REMOVE;
}

guint
test_wait_limit (const char *what)
{
  return g_timeout_add_seconds (TEST_WAIT_LIMIT_SECONDS, on_wait_limit, (gpointer) what);
}

void
test_wait_for (TestCondition  condition,
               gpointer       data,
               const char    *what)
{
  guint limit_id = test_wait_limit (what);

  while (!condition (data))
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (limit_id);
}

static gboolean
flag_is_set (gpointer data)
{
  return *(const gboolean *) data;
}

void
test_wait_until (const gboolean *flag)
{
  test_wait_for (flag_is_set, (gpointer) flag, "a flag to be set");
}

void
test_stream_pair (GIOStream **a,
                  GIOStream **b)
{
  g_autoptr(GSocket) socket_a = NULL;
  g_autoptr(GSocket) socket_b = NULL;
  g_autoptr(GError) error = NULL;
  int fds[2];

  g_assert_no_errno (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds));
  socket_a = g_socket_new_from_fd (fds[0], &error);
  g_assert_no_error (error);
  socket_b = g_socket_new_from_fd (fds[1], &error);
  g_assert_no_error (error);
  *a = G_IO_STREAM (g_socket_connection_factory_create_connection (socket_a));
  *b = G_IO_STREAM (g_socket_connection_factory_create_connection (socket_b));
  g_assert_true (G_IS_UNIX_CONNECTION (*a));
}

JsonNode *
test_parse_json (const char *text)
{
  g_autoptr(GError) error = NULL;
  JsonNode *node = json_from_string (text, &error);

  g_assert_no_error (error);
  g_assert_nonnull (node);
  return node;
}
