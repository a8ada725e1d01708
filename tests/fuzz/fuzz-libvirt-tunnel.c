/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * libFuzzer entry point for what the screen of a remote libvirt domain reads
 * (backend/domus-libvirt-tunnel.c): the running domain's XML as a remote daemon sends it,
 * the settings `ssh -G` prints, and the libvirt URI itself. The first byte picks which;
 * the rest is the text. An endpoint is a port and an address, or a socket; options always
 * name a host, a user and a known_hosts file; every refusal is DOMUS_ERROR_NOT_SUPPORTED.
 */

#include "config.h"

#include <string.h>

#include "domus-error.h"
#include "domus-libvirt-tunnel.h"
#include "fuzz-util.h"

#define SSH_URI "qemu+ssh://admin@host1:2222/system?keyfile=/k&no_verify=0"

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  fuzz_init_logging ();
  return 0;
}

static void
check_options (const DomusSshOptions *options)
{
  g_assert (options->host != NULL && options->host[0] != '\0');
  g_assert (options->user != NULL && options->known_hosts != NULL);
}

static void
fuzz_endpoint (const char *xml)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DomusLibvirtVncEndpoint) endpoint = domus_libvirt_vnc_endpoint_from_xml (xml, "fuzz", &error);

  if (endpoint == NULL)
    {
      g_assert (g_error_matches (error, DOMUS_ERROR, DOMUS_ERROR_NOT_SUPPORTED));
      return;
    }
  g_assert ((endpoint->socket != NULL) != (endpoint->host != NULL));
  if (endpoint->host != NULL)
    g_assert (endpoint->host[0] != '\0' && endpoint->port > 0);
}

static void
fuzz_ssh_config (const char *config)
{
  g_autoptr(DomusSshOptions) options = domus_libvirt_tunnel_options (SSH_URI, NULL);
  g_autoptr(GError) error = NULL;

  g_assert (options != NULL);
  if (!domus_libvirt_apply_ssh_config (options, SSH_URI, config, &error))
    {
      g_assert (g_error_matches (error, DOMUS_ERROR, DOMUS_ERROR_NOT_SUPPORTED));
      return;
    }
  check_options (options);
  g_assert (options->port > 0);
  g_assert (g_str_equal (options->keyfile, "/k"));   /* the URI's stands */
}

static void
fuzz_uri (const char *uri)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DomusSshOptions) options = domus_libvirt_tunnel_options (uri, &error);

  if (options == NULL)
    {
      g_assert (g_error_matches (error, DOMUS_ERROR, DOMUS_ERROR_NOT_SUPPORTED));
      return;
    }
  check_options (options);
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autofree char *text = NULL;

  if (size == 0)
    return 0;
  text = g_strndup ((const char *) data + 1, size - 1);
  switch (data[0] % 3)
    {
    case 0:
      fuzz_endpoint (text);
      break;
    case 1:
      fuzz_ssh_config (text);
      break;
    default:
      fuzz_uri (text);
      break;
    }
  return 0;
}
