/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Helpers the unit tests share: sample files and configs that must load. */

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
