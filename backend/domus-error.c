/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The backend's error domain. Host-key errors carry the key, so the caller can offer to accept it. */

#include "config.h"

#include <string.h>

#include "domus-error.h"

typedef struct {
  char *key_type;
  char *fingerprint;
} DomusErrorPrivate;

static void
domus_error_private_init (DomusErrorPrivate *priv)
{
}

static void
domus_error_private_copy (const DomusErrorPrivate *src,
                          DomusErrorPrivate       *dest)
{
  dest->key_type = g_strdup (src->key_type);
  dest->fingerprint = g_strdup (src->fingerprint);
}

static void
domus_error_private_clear (DomusErrorPrivate *priv)
{
  g_clear_pointer (&priv->key_type, g_free);
  g_clear_pointer (&priv->fingerprint, g_free);
}

G_DEFINE_EXTENDED_ERROR (DomusError, domus_error)


/* Indexed by DomusError; NULL for the codes that only happen on this side. */
static const char * const error_kinds[] = {
  [DOMUS_ERROR_FAILED]            = "failed",
  [DOMUS_ERROR_PARSE_ERROR]       = "parse-error",
  [DOMUS_ERROR_INVALID_REQUEST]   = "invalid-request",
  [DOMUS_ERROR_METHOD_NOT_FOUND]  = "method-not-found",
  [DOMUS_ERROR_INVALID_PARAMS]    = "invalid-params",
  [DOMUS_ERROR_MESSAGE_TOO_LARGE] = "message-too-large",
  [DOMUS_ERROR_INTERNAL]          = "internal",
  [DOMUS_ERROR_NO_SUCH_DOMAIN]    = "no-such-domain",
  [DOMUS_ERROR_INVALID_CONFIG]    = "invalid-config",
  [DOMUS_ERROR_ALREADY_RUNNING]   = "already-running",
  [DOMUS_ERROR_NOT_RUNNING]       = "not-running",
  [DOMUS_ERROR_PERMISSION_DENIED] = "permission-denied",
  [DOMUS_ERROR_NOT_SUPPORTED]     = "not-supported",
  [DOMUS_ERROR_ALREADY_EXISTS]    = "already-exists",
  [DOMUS_ERROR_IN_USE]            = "in-use",
  [DOMUS_ERROR_NO_SUCH_IMAGE]     = "no-such-image",
  [DOMUS_ERROR_MIGRATION_REFUSED] = "migration-refused",
  [DOMUS_ERROR_MIGRATION_FAILED]  = "migration-failed",
  [DOMUS_ERROR_MIGRATION_CANCELLED] = "cancelled",
  [DOMUS_ERROR_IO]                = "io-error",
};

DomusError
domus_error_from_kind (const char *kind)
{
  if (kind == NULL)
    return DOMUS_ERROR_FAILED;
  for (gsize i = 0; i < G_N_ELEMENTS (error_kinds); i++)
    if (error_kinds[i] != NULL && strcmp (error_kinds[i], kind) == 0)
      return (DomusError) i;
  return DOMUS_ERROR_FAILED;
}

const char *
domus_error_to_kind (DomusError code)
{
  if ((gsize) code < G_N_ELEMENTS (error_kinds))
    return error_kinds[code];
  return NULL;
}

gboolean
domus_error_get_host_key (const GError  *error,
                          const char   **key_type,
                          const char   **fingerprint)
{
  DomusErrorPrivate *priv;

  if (error == NULL || error->domain != DOMUS_ERROR)
    return FALSE;
  priv = domus_error_get_private (error);
  if (priv == NULL || priv->fingerprint == NULL)
    return FALSE;
  if (key_type != NULL)
    *key_type = priv->key_type;
  if (fingerprint != NULL)
    *fingerprint = priv->fingerprint;
  return TRUE;
}

GError *
domus_error_new_host_key (DomusError  code,
                          const char *key_type,
                          const char *fingerprint,
                          const char *format,
                          ...)
{
  GError *error;
  DomusErrorPrivate *priv;
  va_list args;

  va_start (args, format);
  error = g_error_new_valist (DOMUS_ERROR, code, format, args);
  va_end (args);
  priv = domus_error_get_private (error);
  priv->key_type = g_strdup (key_type);
  priv->fingerprint = g_strdup (fingerprint);
  return error;
}
