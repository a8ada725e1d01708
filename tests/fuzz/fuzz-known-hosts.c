/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * libFuzzer entry point for known_hosts (backend/domus-known-hosts.c): the input is the
 * file; hosts are looked up in it with keys of two types, and the input itself is read
 * as a key blob, as the SSH transport does with what a server shows.
 */

#include "config.h"

#include <string.h>

#include "domus-known-hosts.h"
#include "fuzz-util.h"

/* Two throwaway public keys (ssh-ed25519, ecdsa-sha2-nistp256), base64 as in the file. */
#define ED25519 "AAAAC3NzaC1lZDI1NTE5AAAAIHV6/EoKQar0kid1DJbl9W81gubNpBUAm/Ady9MEBpAy"
#define ECDSA   "AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBCk9glcLvmjPSORghMf+fSZQPR/JBKsRCHG/ip1SUyQAQxNbfR8M0UlJb5txD2Q9V1+1M6ntHQmjrNDIkmPacOI="

static GBytes *keys[2];

static const struct {
  const char *host;
  guint16     port;
} hosts[] = {
  { "example.org", 22 },
  { "example.org", 2222 },
  { "192.0.2.1", 22 },
  { "::1", 22 },
  { "[::1]", 2222 },
  { "host.example", 65535 },
};

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  const char *base64[] = { ED25519, ECDSA };

  fuzz_init_logging ();
  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      gsize length;
      guchar *blob = g_base64_decode (base64[i], &length);

      keys[i] = g_bytes_new_take (blob, length);
    }
  return 0;
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autofree char *text = g_strndup ((const char *) data, size);
  g_autoptr(DomusKnownHosts) known = domus_known_hosts_new_from_data (text, "fuzz");
  g_autofree char *type = domus_host_key_get_type (data, size);
  g_autofree char *fingerprint = domus_host_key_fingerprint (data, size);

  g_assert (known != NULL);
  g_assert (type == NULL || type[0] != '\0');
  g_assert (g_str_has_prefix (fingerprint, "SHA256:"));
  for (guint i = 0; i < G_N_ELEMENTS (hosts); i++)
    {
      g_auto(GStrv) types = domus_known_hosts_get_key_types (known, hosts[i].host, hosts[i].port);

      g_assert (types != NULL);
      for (guint k = 0; k < G_N_ELEMENTS (keys); k++)
        {
          g_autofree char *where = NULL;
          gsize length;
          const guint8 *blob = g_bytes_get_data (keys[k], &length);
          DomusHostKeyStatus status = domus_known_hosts_check (known, hosts[i].host, hosts[i].port,
                                                               blob, length, &where);

          /* An answer other than "unknown" says which line gave it. */
          g_assert (status == DOMUS_HOST_KEY_UNKNOWN || (where != NULL && g_str_has_prefix (where, "fuzz:")));
        }
    }
  return 0;
}
