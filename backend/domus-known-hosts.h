/* SPDX-License-Identifier: GPL-3.0-or-later */
/* OpenSSH's known_hosts: is this the key we saw before? (sshd(8), SSH_KNOWN_HOSTS FILE FORMAT) */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  DOMUS_HOST_KEY_MATCH,     /* an entry for this host has exactly this key */
  DOMUS_HOST_KEY_UNKNOWN,   /* no entry for this host with a key of this type */
  DOMUS_HOST_KEY_CHANGED,   /* an entry for this host has a different key of the same type */
  DOMUS_HOST_KEY_REVOKED,   /* the key is listed under @revoked */
} DomusHostKeyStatus;

typedef struct _DomusKnownHosts DomusKnownHosts;

/* A missing file is an empty list; lines that cannot be read are skipped, as OpenSSH does. */
DomusKnownHosts   *domus_known_hosts_load            (const char       *path,
                                                      GError          **error);
/* origin names the text in "where" answers (a path, say). */
DomusKnownHosts   *domus_known_hosts_new_from_data   (const char       *text,
                                                      const char       *origin);
void               domus_known_hosts_free            (DomusKnownHosts  *self);

/*
 * host as the user wrote it; port 22 is looked up bare, any other as "[host]:port"
 * (OpenSSH's rule). where (nullable, out): "ORIGIN:LINE" of the entry that matched,
 * conflicts or revokes, for messages.
 */
DomusHostKeyStatus domus_known_hosts_check           (DomusKnownHosts  *self,
                                                      const char       *host,
                                                      guint16           port,
                                                      const guint8     *key_blob,
                                                      gsize             key_len,
                                                      char            **where);
/* The key types recorded for the host, in file order, each once (NULL-terminated, maybe empty). */
GStrv              domus_known_hosts_get_key_types   (DomusKnownHosts  *self,
                                                      const char       *host,
                                                      guint16           port);

/*
 * Appends one hashed entry (|1|salt|HMAC-SHA1, as `HashKnownHosts yes` writes: Debian's
 * default) for host[:port] and this key. Creates the file (0600) and its folder (0700)
 * when missing; never rewrites other lines.
 */
gboolean           domus_known_hosts_append          (const char       *path,
                                                      const char       *host,
                                                      guint16           port,
                                                      const guint8     *key_blob,
                                                      gsize             key_len,
                                                      GError          **error);

/* "SHA256:" and the unpadded base64 of the key's SHA-256, as `ssh-keygen -lf` prints it. */
char              *domus_host_key_fingerprint        (const guint8     *key_blob,
                                                      gsize             key_len);
/* The type name at the start of the key ("ssh-ed25519"), or NULL when malformed. */
char              *domus_host_key_get_type           (const guint8     *key_blob,
                                                      gsize             key_len);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DomusKnownHosts, domus_known_hosts_free)

G_END_DECLS
