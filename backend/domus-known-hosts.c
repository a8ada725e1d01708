/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Reads known_hosts as OpenSSH does. Each line: an optional marker (@revoked,
 * @cert-authority), comma-separated host patterns, the key type, the key in base64,
 * an optional comment. Patterns are names, "[host]:port", wildcards (* and ?),
 * negations (!pattern), or hashes "|1|salt|HMAC-SHA1(salt, name)" of one name.
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <gio/gio.h>

#include "domus-known-hosts.h"

#define HASH_MAGIC "|1|"
#define SHA1_SIZE  20

typedef enum {
  MARKER_NONE,
  MARKER_REVOKED,
  MARKER_CERT_AUTHORITY,
} Marker;

typedef struct {
  Marker   marker;
  char    *patterns;     /* comma-separated */
  char    *key_type;
  GBytes  *key;
  guint    line;
} Entry;

struct _DomusKnownHosts {
  char      *origin;
  GPtrArray *entries;    /* Entry */
};

static void
entry_free (Entry *entry)
{
  g_free (entry->patterns);
  g_free (entry->key_type);
  g_bytes_unref (entry->key);
  g_free (entry);
}

/* Lines that do not read as an entry are skipped, as OpenSSH does. */
static Entry *
parse_line (const char *line,
            guint       number)
{
  g_auto(GStrv) fields = NULL;
  g_autofree guchar *key = NULL;
  gsize key_len = 0;
  Marker marker = MARKER_NONE;
  guint i = 0;
  Entry *entry;

  while (g_ascii_isspace (*line))
    line++;
  if (*line == '\0' || *line == '#')
    return NULL;
  fields = g_strsplit_set (line, " \t", -1);
  /* Collapse runs of blanks: g_strsplit_set leaves empty fields between them. */
  {
    guint out = 0;
    for (guint in = 0; fields[in] != NULL; in++)
      if (*fields[in] != '\0')
        fields[out++] = fields[in];
      else
        g_free (fields[in]);
    fields[out] = NULL;
  }

  if (fields[0] != NULL && fields[0][0] == '@')
    {
      if (strcmp (fields[0], "@revoked") == 0)
        marker = MARKER_REVOKED;
      else if (strcmp (fields[0], "@cert-authority") == 0)
        marker = MARKER_CERT_AUTHORITY;
      else
        return NULL;
      i = 1;
    }
  if (fields[i] == NULL || fields[i + 1] == NULL || fields[i + 2] == NULL)
    return NULL;

  key = g_base64_decode (fields[i + 2], &key_len);
  if (key == NULL || key_len == 0)
    return NULL;
  /* g_base64_decode() takes any text; like OpenSSH, only a key of the named type counts,
   * so junk cannot pose as a changed key. */
  {
    g_autofree char *blob_type = domus_host_key_get_type (key, key_len);

    if (g_strcmp0 (blob_type, fields[i + 1]) != 0)
      return NULL;
  }

  entry = g_new0 (Entry, 1);
  entry->marker = marker;
  entry->patterns = g_strdup (fields[i]);
  entry->key_type = g_strdup (fields[i + 1]);
  entry->key = g_bytes_new_take (g_steal_pointer (&key), key_len);
  entry->line = number;
  return entry;
}

DomusKnownHosts *
domus_known_hosts_new_from_data (const char *text,
                                 const char *origin)
{
  DomusKnownHosts *self = g_new0 (DomusKnownHosts, 1);
  g_auto(GStrv) lines = g_strsplit (text != NULL ? text : "", "\n", -1);

  self->origin = g_strdup (origin);
  self->entries = g_ptr_array_new_with_free_func ((GDestroyNotify) entry_free);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      Entry *entry;

      g_strchomp (lines[i]);
      entry = parse_line (lines[i], i + 1);
      if (entry != NULL)
        g_ptr_array_add (self->entries, entry);
    }
  return self;
}

DomusKnownHosts *
domus_known_hosts_load (const char  *path,
                        GError     **error)
{
  g_autofree char *text = NULL;
  g_autoptr(GError) local_error = NULL;

  if (!g_file_get_contents (path, &text, NULL, &local_error))
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return domus_known_hosts_new_from_data (NULL, path);
      g_propagate_prefixed_error (error, g_steal_pointer (&local_error),
                                  _("Cannot read the known hosts: "));
      return NULL;
    }
  return domus_known_hosts_new_from_data (text, path);
}

void
domus_known_hosts_free (DomusKnownHosts *self)
{
  if (self == NULL)
    return;
  g_free (self->origin);
  g_ptr_array_unref (self->entries);
  g_free (self);
}

/* Matching a name */

/* The name entries are written under. ssh lowercases the host before anything else, so
 * hashed entries it wrote are of the lowercased name; do the same in both directions. */
static char *
lookup_name (const char *host,
             guint16     port)
{
  g_autofree char *lower = g_ascii_strdown (host, -1);

  if (port == 22)
    return g_steal_pointer (&lower);
  return g_strdup_printf ("[%s]:%u", lower, port);
}

static gboolean
hashed_pattern_matches (const char *pattern,
                        const char *name)
{
  g_autofree char *copy = g_strdup (pattern + strlen (HASH_MAGIC));
  char *bar = strchr (copy, '|');
  g_autofree guchar *salt = NULL;
  g_autofree guchar *expected = NULL;
  gsize salt_len = 0, expected_len = 0, digest_len = SHA1_SIZE;
  guint8 digest[SHA1_SIZE];
  g_autoptr(GHmac) hmac = NULL;

  if (bar == NULL)
    return FALSE;
  *bar = '\0';
  salt = g_base64_decode (copy, &salt_len);
  expected = g_base64_decode (bar + 1, &expected_len);
  if (salt_len != SHA1_SIZE || expected_len != SHA1_SIZE)
    return FALSE;
  hmac = g_hmac_new (G_CHECKSUM_SHA1, salt, salt_len);
  g_hmac_update (hmac, (const guchar *) name, -1);
  g_hmac_get_digest (hmac, digest, &digest_len);
  return memcmp (digest, expected, SHA1_SIZE) == 0;
}

static gboolean
wildcard_matches (const char *pattern,
                  const char *name)
{
  g_autofree char *lower_pattern = g_ascii_strdown (pattern, -1);
  g_autofree char *lower_name = g_ascii_strdown (name, -1);

  /* GPatternSpec aborts on what is not UTF-8, which a damaged file may hold: bytes then. */
  if (!g_utf8_validate (lower_pattern, -1, NULL) || !g_utf8_validate (lower_name, -1, NULL))
    return strcmp (lower_pattern, lower_name) == 0;
  /* GPatternSpec knows * and ?, and nothing else: exactly ssh's pattern language. */
  return g_pattern_match_simple (lower_pattern, lower_name);
}

/* TRUE when the line's patterns take this name: one positive match and no negated one. */
static gboolean
patterns_match (const char *patterns,
                const char *name)
{
  g_auto(GStrv) list = g_strsplit (patterns, ",", -1);
  gboolean matched = FALSE;

  for (guint i = 0; list[i] != NULL; i++)
    {
      const char *pattern = list[i];
      gboolean negated = pattern[0] == '!';

      if (negated)
        pattern++;
      if (*pattern == '\0')
        continue;
      if (g_str_has_prefix (pattern, HASH_MAGIC) ? hashed_pattern_matches (pattern, name)
                                                 : wildcard_matches (pattern, name))
        {
          if (negated)
            return FALSE;
          matched = TRUE;
        }
    }
  return matched;
}

static char *
entry_where (DomusKnownHosts *self,
             Entry           *entry)
{
  return g_strdup_printf ("%s:%u", self->origin != NULL ? self->origin : "known_hosts", entry->line);
}

DomusHostKeyStatus
domus_known_hosts_check (DomusKnownHosts  *self,
                         const char       *host,
                         guint16           port,
                         const guint8     *key_blob,
                         gsize             key_len,
                         char            **where)
{
  g_autofree char *name = lookup_name (host, port);
  g_autofree char *key_type = domus_host_key_get_type (key_blob, key_len);
  g_autoptr(GBytes) key = g_bytes_new (key_blob, key_len);
  Entry *conflict = NULL;

  g_return_val_if_fail (self != NULL, DOMUS_HOST_KEY_UNKNOWN);

  /* A revoked key is refused whatever else the file says, for any host. */
  for (guint i = 0; i < self->entries->len; i++)
    {
      Entry *entry = g_ptr_array_index (self->entries, i);

      if (entry->marker == MARKER_REVOKED && g_bytes_equal (entry->key, key))
        {
          if (where != NULL)
            *where = entry_where (self, entry);
          return DOMUS_HOST_KEY_REVOKED;
        }
    }

  for (guint i = 0; i < self->entries->len; i++)
    {
      Entry *entry = g_ptr_array_index (self->entries, i);

      if (entry->marker != MARKER_NONE || !patterns_match (entry->patterns, name))
        continue;
      if (g_bytes_equal (entry->key, key))
        {
          if (where != NULL)
            *where = entry_where (self, entry);
          return DOMUS_HOST_KEY_MATCH;
        }
      if (conflict == NULL && key_type != NULL && strcmp (entry->key_type, key_type) == 0)
        conflict = entry;
    }

  if (conflict != NULL)
    {
      if (where != NULL)
        *where = entry_where (self, conflict);
      return DOMUS_HOST_KEY_CHANGED;
    }
  return DOMUS_HOST_KEY_UNKNOWN;
}

GStrv
domus_known_hosts_get_key_types (DomusKnownHosts *self,
                                 const char      *host,
                                 guint16          port)
{
  g_autofree char *name = lookup_name (host, port);
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_autoptr(GPtrArray) seen = g_ptr_array_new ();

  for (guint i = 0; i < self->entries->len; i++)
    {
      Entry *entry = g_ptr_array_index (self->entries, i);

      if (entry->marker != MARKER_NONE || !patterns_match (entry->patterns, name))
        continue;
      if (g_ptr_array_find_with_equal_func (seen, entry->key_type, g_str_equal, NULL))
        continue;
      g_ptr_array_add (seen, entry->key_type);
      g_strv_builder_add (builder, entry->key_type);
    }
  return g_strv_builder_end (builder);
}

/* Keys */

char *
domus_host_key_fingerprint (const guint8 *key_blob,
                            gsize         key_len)
{
  guint8 digest[32];
  gsize digest_len = sizeof digest;
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autofree char *encoded = NULL;
  gsize len;

  g_checksum_update (checksum, key_blob, key_len);
  g_checksum_get_digest (checksum, digest, &digest_len);
  encoded = g_base64_encode (digest, digest_len);
  len = strlen (encoded);
  while (len > 0 && encoded[len - 1] == '=')
    encoded[--len] = '\0';
  return g_strconcat ("SHA256:", encoded, NULL);
}

char *
domus_host_key_get_type (const guint8 *key_blob,
                         gsize         key_len)
{
  guint32 len;

  if (key_blob == NULL || key_len < 4)
    return NULL;
  len = (guint32) key_blob[0] << 24 | (guint32) key_blob[1] << 16 |
        (guint32) key_blob[2] << 8 | (guint32) key_blob[3];
  if (len == 0 || len > key_len - 4 || len > 64)
    return NULL;
  for (guint32 i = 0; i < len; i++)
    if (!g_ascii_isgraph (key_blob[4 + i]))
      return NULL;
  return g_strndup ((const char *) key_blob + 4, len);
}

/* Writing */

static char *
hashed_name (const char *name)
{
  guint8 salt[SHA1_SIZE];
  guint8 digest[SHA1_SIZE];
  gsize digest_len = sizeof digest;
  g_autoptr(GHmac) hmac = NULL;
  g_autofree char *salt64 = NULL;
  g_autofree char *digest64 = NULL;

  for (gsize i = 0; i < sizeof salt; i++)
    salt[i] = (guint8) g_random_int_range (0, 256);
  hmac = g_hmac_new (G_CHECKSUM_SHA1, salt, sizeof salt);
  g_hmac_update (hmac, (const guchar *) name, -1);
  g_hmac_get_digest (hmac, digest, &digest_len);
  salt64 = g_base64_encode (salt, sizeof salt);
  digest64 = g_base64_encode (digest, digest_len);
  return g_strdup_printf (HASH_MAGIC "%s|%s", salt64, digest64);
}

static gboolean
ends_without_newline (int fd)
{
  char last;
  off_t size = lseek (fd, 0, SEEK_END);

  return size > 0 && pread (fd, &last, 1, size - 1) == 1 && last != '\n';
}

gboolean
domus_known_hosts_append (const char    *path,
                          const char    *host,
                          guint16        port,
                          const guint8  *key_blob,
                          gsize          key_len,
                          GError       **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *name = lookup_name (host, port);
  g_autofree char *hashed = hashed_name (name);
  g_autofree char *key_type = domus_host_key_get_type (key_blob, key_len);
  g_autofree char *key64 = g_base64_encode (key_blob, key_len);
  g_autoptr(GString) line = g_string_new (NULL);
  gssize written;
  int fd;

  if (key_type == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, _("The host key is malformed."));
      return FALSE;
    }
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   _("Cannot make %s: %s"), dir, g_strerror (saved));
      return FALSE;
    }
  /* Read as well as write: ends_without_newline() looks at the last byte. */
  fd = g_open (path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      int saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   _("Cannot open %s: %s"), path, g_strerror (saved));
      return FALSE;
    }
  if (ends_without_newline (fd))
    g_string_append_c (line, '\n');
  g_string_append_printf (line, "%s %s %s\n", hashed, key_type, key64);
  /* One write with O_APPEND: another ssh client appending meanwhile cannot interleave. */
  written = write (fd, line->str, line->len);
  if (written != (gssize) line->len)
    {
      int saved = written < 0 ? errno : ENOSPC;
      close (fd);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   _("Cannot write %s: %s"), path, g_strerror (saved));
      return FALSE;
    }
  if (close (fd) != 0)
    {
      int saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   _("Cannot write %s: %s"), path, g_strerror (saved));
      return FALSE;
    }
  return TRUE;
}
