/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The backend's error domain: the daemon's error kinds and what goes wrong on this side. */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define DOMUS_ERROR (domus_error_quark ())

/*
 * Every failure the backend reports. The first group mirrors the daemon's error
 * kinds (error.data.kind, see docs/protocol.md); the rest happen on this side.
 */
typedef enum {
  DOMUS_ERROR_FAILED,             /* "failed", or a kind this client does not know */
  DOMUS_ERROR_PARSE_ERROR,        /* "parse-error": the daemon could not parse what we sent */
  DOMUS_ERROR_INVALID_REQUEST,    /* "invalid-request" */
  DOMUS_ERROR_METHOD_NOT_FOUND,   /* "method-not-found": an older daemon */
  DOMUS_ERROR_INVALID_PARAMS,     /* "invalid-params" */
  DOMUS_ERROR_MESSAGE_TOO_LARGE,  /* "message-too-large" */
  DOMUS_ERROR_INTERNAL,           /* "internal": a bug in the daemon */
  DOMUS_ERROR_NO_SUCH_DOMAIN,     /* "no-such-domain" */
  DOMUS_ERROR_INVALID_CONFIG,     /* "invalid-config" */
  DOMUS_ERROR_ALREADY_RUNNING,    /* "already-running" */
  DOMUS_ERROR_NOT_RUNNING,        /* "not-running" */
  DOMUS_ERROR_PERMISSION_DENIED,  /* "permission-denied" */
  DOMUS_ERROR_NOT_SUPPORTED,      /* "not-supported", or a transport not written yet */

  DOMUS_ERROR_CLOSED,             /* the connection closed before the answer came */
  DOMUS_ERROR_PROTOCOL,           /* the other side does not speak our protocol */
  DOMUS_ERROR_INVALID_URI,        /* --connect got something we cannot read */
  DOMUS_ERROR_CONNECT_FAILED,     /* nobody answered at that address */

  DOMUS_ERROR_ALREADY_EXISTS,     /* "already-exists": a domain or image of that name */
  DOMUS_ERROR_IN_USE,             /* "in-use": an image a domain uses */
  DOMUS_ERROR_NO_SUCH_IMAGE,      /* "no-such-image" */

  DOMUS_ERROR_HOST_KEY_UNKNOWN,   /* SSH: known_hosts has no key of this type for the host */
  DOMUS_ERROR_HOST_KEY_CHANGED,   /* SSH: known_hosts has another key for the host, or revoked it */
  DOMUS_ERROR_AUTH_FAILED,        /* SSH: no method the server offered let us in */
  DOMUS_ERROR_DISCONNECTED,       /* the transport under the connection went away */

  DOMUS_ERROR_MIGRATION_REFUSED,  /* "migration-refused": a target's check failed (the message says which) */
  DOMUS_ERROR_MIGRATION_FAILED,   /* "migration-failed": QEMU's stream or mirror failed */
  DOMUS_ERROR_MIGRATION_CANCELLED,/* "cancelled": migration.cancel, or the client cancelled */
  DOMUS_ERROR_MIGRATION_INCOMPLETE, /* the stream completed but the two ends could not be settled */
  DOMUS_ERROR_NOT_INSTALLED,      /* SSH: the host has no domusctl (the bridge command was not found) */
  DOMUS_ERROR_HOST_KIND_MISMATCH, /* a migration between hosts of two kinds (a domusd and a libvirt host) */
  DOMUS_ERROR_IO,                 /* "io-error": the host could not read or write a file of its own (a full disk) */
} DomusError;

GQuark      domus_error_quark     (void);
/* The code for a daemon's kind string; DOMUS_ERROR_FAILED for unknown kinds. */
DomusError  domus_error_from_kind (const char *kind);
/* The daemon's kind string for a code, or NULL for errors that only happen here. */
const char *domus_error_to_kind   (DomusError  code);

/*
 * For DOMUS_ERROR_HOST_KEY_UNKNOWN and _CHANGED: the key the server showed, as its
 * type ("ssh-ed25519") and "SHA256:…" fingerprint, so a caller can ask whether to
 * accept it. FALSE for any other error.
 */
gboolean    domus_error_get_host_key (const GError  *error,
                                      const char   **key_type,
                                      const char   **fingerprint);
/* Makes an error carrying a host key (the SSH transport's). */
GError     *domus_error_new_host_key (DomusError     code,
                                      const char    *key_type,
                                      const char    *fingerprint,
                                      const char    *format,
                                      ...) G_GNUC_PRINTF (4, 5);

G_END_DECLS
