/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What every libvirt piece of the backend shares: the library's setup, URIs, errors. */

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>
#include <libvirt-glib/libvirt-glib.h>

#include "domus-libvirt.h"

/* libvirt prints every error on stderr unless told otherwise; the calls report them. */
static void
ignore_error (void        *user_data,
              virErrorPtr  error)
{
}

static gpointer
init_once (gpointer data)
{
  if (virInitialize () < 0)
    g_error ("libvirt could not be initialised");
  virSetErrorFunc (NULL, ignore_error);
  /* Handles and timeouts become GSources of the default main context: libvirt's events
   * and its remote connections' keepalives are dispatched where the model lives. */
  gvir_event_register ();
  return NULL;
}

void
domus_libvirt_init (void)
{
  static GOnce once = G_ONCE_INIT;

  g_once (&once, init_once, NULL);
}

/* The drivers of libvirt's URI schemes (the part before any "+transport"). */
static const char * const libvirt_drivers[] = {
  "qemu", "xen", "test", "lxc", "ch", "bhyve", "vbox", "vz", "openvz", "esx", "gsx",
  "vpx", "hyperv", "vmwareplayer", "vmwarews", "vmwarefusion", "parallels",
};
static const char * const libvirt_transports[] = {
  "unix", "ssh", "libssh2", "libssh", "tcp", "tls", "ext",
};

static gboolean
in_table (const char         *word,
          gsize               len,
          const char * const *table,
          gsize               n)
{
  for (gsize i = 0; i < n; i++)
    if (strlen (table[i]) == len && strncmp (table[i], word, len) == 0)
      return TRUE;
  return FALSE;
}

gboolean
domus_libvirt_uri_is_libvirt (const char *uri)
{
  const char *colon, *plus;

  if (uri == NULL)
    return FALSE;
  colon = strchr (uri, ':');
  if (colon == NULL || !g_str_has_prefix (colon, "://"))
    return FALSE;
  plus = memchr (uri, '+', colon - uri);
  if (plus == NULL)
    return in_table (uri, colon - uri, libvirt_drivers, G_N_ELEMENTS (libvirt_drivers));
  return in_table (uri, plus - uri, libvirt_drivers, G_N_ELEMENTS (libvirt_drivers)) &&
         in_table (plus + 1, colon - plus - 1, libvirt_transports, G_N_ELEMENTS (libvirt_transports));
}

DomusError
domus_libvirt_error_code (int        vir_error,
                          DomusError fallback)
{
  switch (vir_error)
    {
    case VIR_ERR_NO_DOMAIN:
      return DOMUS_ERROR_NO_SUCH_DOMAIN;
    case VIR_ERR_NO_STORAGE_VOL:
      return DOMUS_ERROR_NO_SUCH_IMAGE;
    case VIR_ERR_DOM_EXIST:
    case VIR_ERR_STORAGE_VOL_EXIST:
      return DOMUS_ERROR_ALREADY_EXISTS;
    case VIR_ERR_AUTH_FAILED:
    case VIR_ERR_AUTH_CANCELLED:
    case VIR_ERR_AUTH_UNAVAILABLE:
      return DOMUS_ERROR_AUTH_FAILED;
    case VIR_ERR_NO_CONNECT:
      return DOMUS_ERROR_CONNECT_FAILED;
    case VIR_ERR_INVALID_CONN:
      return DOMUS_ERROR_CLOSED;
    case VIR_ERR_INVALID_ARG:
      return DOMUS_ERROR_INVALID_PARAMS;
    case VIR_ERR_NO_SUPPORT:
    case VIR_ERR_OPERATION_UNSUPPORTED:
    case VIR_ERR_ARGUMENT_UNSUPPORTED:
      return DOMUS_ERROR_NOT_SUPPORTED;
    case VIR_ERR_XML_ERROR:
    case VIR_ERR_XML_DETAIL:
    case VIR_ERR_XML_INVALID_SCHEMA:
    case VIR_ERR_CONFIG_UNSUPPORTED:
      return DOMUS_ERROR_INVALID_CONFIG;
    case VIR_ERR_OPERATION_DENIED:
    case VIR_ERR_ACCESS_DENIED:
      return DOMUS_ERROR_PERMISSION_DENIED;
    case VIR_ERR_OPERATION_ABORTED:
      return DOMUS_ERROR_MIGRATION_CANCELLED;
    case VIR_ERR_MIGRATE_UNSAFE:
      return DOMUS_ERROR_MIGRATION_REFUSED;
    default:
      /* VIR_ERR_OPERATION_INVALID says "not in a state for that": the caller knows which. */
      return fallback;
    }
}

void
domus_libvirt_set_error (GError    **error,
                         DomusError  fallback)
{
  virErrorPtr last = virGetLastError ();

  if (last == NULL || last->message == NULL)
    {
      g_set_error_literal (error, DOMUS_ERROR, fallback,
                           _("libvirt reported a failure without saying what it was."));
      return;
    }
  g_set_error_literal (error, DOMUS_ERROR, domus_libvirt_error_code (last->code, fallback),
                       last->message);
  virResetLastError ();
}

virDomainPtr
domus_libvirt_lookup_domain (virConnectPtr  conn,
                             const char    *name)
{
  guint64 id;

  if (g_ascii_string_to_unsigned (name, 10, 0, G_MAXINT, &id, NULL))
    return virDomainLookupByID (conn, (int) id);
  return virDomainLookupByName (conn, name);
}
