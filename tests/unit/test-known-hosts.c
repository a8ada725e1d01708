/* SPDX-License-Identifier: GPL-3.0-or-later */
/* known_hosts as OpenSSH reads and writes it: names, ports, hashes, patterns, markers, appending. */

#include <string.h>
#include <sys/stat.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "domus-known-hosts.h"

/*
 * Real keys, made with `ssh-keygen -t TYPE -N '' -C '' -f k` (RSA with -b 1024 to keep it
 * short); the fingerprints are what `ssh-keygen -lf k.pub` printed for them.
 */
#define ED1 "AAAAC3NzaC1lZDI1NTE5AAAAIHV6/EoKQar0kid1DJbl9W81gubNpBUAm/Ady9MEBpAy"
#define ED1_FP "SHA256:qC0LBrebQsKCAXndH0GU6fl6a8GrHsaMhVlzpH9m7/0"
#define ED2 "AAAAC3NzaC1lZDI1NTE5AAAAILz0FAa4fLaupEb7ObolKmgXkp/Ine03/mpH4mhY5UtO"
#define ED2_FP "SHA256:Ca9aXzLt4LXI402Ape/pjT0LU5pG67hoCIL+fXSso6Y"
#define ED3 "AAAAC3NzaC1lZDI1NTE5AAAAIILwqI7fB9x/BuC2Yf70L0HvZ2DfX57JiePIg1XCNv/J"
#define EC1 "AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBCk9glcLvmjPSORghMf+fSZQPR/JBKsRCHG/ip1SUyQAQxNbfR8M0UlJb5txD2Q9V1+1M6ntHQmjrNDIkmPacOI="
#define EC1_FP "SHA256:n47Np0mV4fzcemAV2AtTfV5L1PAodgiIGS5uxs4o/p4"
#define EC2 "AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBLWi7OH6ZOzfC2ouCA8s7wYAFn1hWIM3Hp5s75tKNwmaxTgYn0VAOyf7AUwSNrnk4q3dM5sCSNmCRYpsDxsVIhk="
#define EC2_FP "SHA256:bw41NgGekdNm/lCY3TQfIQX5O74EmEk9HZPyQVzwk/I"
#define RSA1 "AAAAB3NzaC1yc2EAAAADAQABAAAAgQCXCgPyCCHzSyfvvaHKLg5itlTRrvUmEDjT+wdHQBwKhMv+EhWwapunyRsgvXGiNRJG4uy/dJSGBJ7FAt4FmkkuIF1tHvyrNCVn+bUlSgw6J4h2xBwLWH3dPKZQohREvDXj4mV4dcUAmYmIS2X+5PYfSRqmtkmW7jBTrrZ/KWffnQ=="
#define RSA1_FP "SHA256:ghDXY0qmAEze89MlZ1oBzOOmA+2leGZrWxFdyhQDFyk"

#define ED "ssh-ed25519"
#define EC "ecdsa-sha2-nistp256"

static GBytes *
blob (const char *base64)
{
  gsize len = 0;
  guchar *data = g_base64_decode (base64, &len);

  g_assert_cmpuint (len, >, 0);
  return g_bytes_new_take (data, len);
}

/* check() with the key given in base64; *where is freed and replaced. */
static DomusHostKeyStatus
check (DomusKnownHosts  *known,
       const char       *host,
       guint16           port,
       const char       *key64,
       char            **where)
{
  g_autoptr(GBytes) key = blob (key64);
  gsize len = 0;
  const guint8 *data = g_bytes_get_data (key, &len);

  if (where != NULL)
    g_clear_pointer (where, g_free);
  return domus_known_hosts_check (known, host, port, data, len, where);
}

static void
test_plain (void)
{
  g_autoptr(DomusKnownHosts) known =
    domus_known_hosts_new_from_data ("other.example " ED " " ED2 "\n"
                                     "alpha.example,10.0.0.7 " ED " " ED1 " root@alpha\n",
                                     "/k/known_hosts");
  g_autofree char *where = NULL;

  g_assert_cmpint (check (known, "alpha.example", 22, ED1, &where), ==, DOMUS_HOST_KEY_MATCH);
  g_assert_cmpstr (where, ==, "/k/known_hosts:2");
  /* ssh compares names without case. */
  g_assert_cmpint (check (known, "ALPHA.Example", 22, ED1, &where), ==, DOMUS_HOST_KEY_MATCH);
  g_assert_cmpint (check (known, "10.0.0.7", 22, ED1, &where), ==, DOMUS_HOST_KEY_MATCH);
  g_assert_cmpint (check (known, "other.example", 22, ED2, NULL), ==, DOMUS_HOST_KEY_MATCH);
  /* A name is not a prefix match. */
  g_assert_cmpint (check (known, "alpha.example.org", 22, ED1, &where), ==, DOMUS_HOST_KEY_UNKNOWN);
  g_assert_null (where);
  g_assert_cmpint (check (known, "alpha", 22, ED1, NULL), ==, DOMUS_HOST_KEY_UNKNOWN);
}

static void
test_changed (void)
{
  g_autoptr(DomusKnownHosts) known =
    domus_known_hosts_new_from_data ("# keys\n"
                                     "beta.example " EC " " EC1 "\n"
                                     "beta.example " ED " " ED1 "\n",
                                     "kh");
  g_autoptr(DomusKnownHosts) both = NULL;
  g_autofree char *where = NULL;

  g_assert_cmpint (check (known, "beta.example", 22, ED2, &where), ==, DOMUS_HOST_KEY_CHANGED);
  g_assert_cmpstr (where, ==, "kh:3");
  g_assert_cmpint (check (known, "beta.example", 22, EC2, &where), ==, DOMUS_HOST_KEY_CHANGED);
  g_assert_cmpstr (where, ==, "kh:2");

  /* Any exact match wins over a conflicting line, before or after it (as in OpenSSH). */
  both = domus_known_hosts_new_from_data ("beta.example " ED " " ED1 "\n"
                                          "beta.example " ED " " ED2 "\n",
                                          "kh");
  g_assert_cmpint (check (both, "beta.example", 22, ED2, &where), ==, DOMUS_HOST_KEY_MATCH);
  g_assert_cmpstr (where, ==, "kh:2");
  g_assert_cmpint (check (both, "beta.example", 22, ED1, &where), ==, DOMUS_HOST_KEY_MATCH);
  g_assert_cmpstr (where, ==, "kh:1");
  /* With neither key, the first line that conflicts is the one to show. */
  g_assert_cmpint (check (both, "beta.example", 22, ED3, &where), ==,
                   DOMUS_HOST_KEY_CHANGED);
  g_assert_cmpstr (where, ==, "kh:1");
}

static void
test_other_type (void)
{
  g_autoptr(DomusKnownHosts) known =
    domus_known_hosts_new_from_data ("gamma.example " EC " " EC1 "\n"
                                     "gamma.example ssh-rsa " RSA1 "\n",
                                     "kh");
  g_autofree char *where = NULL;

  /* Keys of another type say nothing about this one: a new key, not a changed one. */
  g_assert_cmpint (check (known, "gamma.example", 22, ED1, &where), ==, DOMUS_HOST_KEY_UNKNOWN);
  g_assert_null (where);
  g_assert_cmpint (check (known, "gamma.example", 22, RSA1, &where), ==, DOMUS_HOST_KEY_MATCH);
  g_assert_cmpstr (where, ==, "kh:2");
}

static void
test_ports (void)
{
  g_autoptr(DomusKnownHosts) known =
    domus_known_hosts_new_from_data ("[delta.example]:2222 " ED " " ED1 "\n"
                                     "plain.example " ED " " ED2 "\n",
                                     "kh");
  g_autofree char *where = NULL;

  g_assert_cmpint (check (known, "delta.example", 2222, ED1, &where), ==, DOMUS_HOST_KEY_MATCH);
  g_assert_cmpstr (where, ==, "kh:1");
  g_assert_cmpint (check (known, "Delta.Example", 2222, ED1, NULL), ==, DOMUS_HOST_KEY_MATCH);
  g_assert_cmpint (check (known, "delta.example", 22, ED1, NULL), ==, DOMUS_HOST_KEY_UNKNOWN);
  g_assert_cmpint (check (known, "delta.example", 2223, ED1, NULL), ==, DOMUS_HOST_KEY_UNKNOWN);
  /* A different key on the port the entry names is a change. */
  g_assert_cmpint (check (known, "delta.example", 2222, ED2, &where), ==, DOMUS_HOST_KEY_CHANGED);
  g_assert_cmpstr (where, ==, "kh:1");

  g_assert_cmpint (check (known, "plain.example", 22, ED2, NULL), ==, DOMUS_HOST_KEY_MATCH);
  g_assert_cmpint (check (known, "plain.example", 2222, ED2, NULL), ==, DOMUS_HOST_KEY_UNKNOWN);
  /* ...and a bare entry does not stand for other ports even with another key. */
  g_assert_cmpint (check (known, "plain.example", 2222, ED1, NULL), ==, DOMUS_HOST_KEY_UNKNOWN);
}

/*
 * Hashed by OpenSSH itself: a scratch file holding
 *   hashed.example ssh-ed25519 ED1
 *   [hashed.example]:2222 ecdsa-sha2-nistp256 EC1
 * went through `ssh-keygen -H -f copy`, and `ssh-keygen -F hashed.example -f copy` and
 * `ssh-keygen -F '[hashed.example]:2222' -f copy` found lines 1 and 2.
 */
#define HASHED_22   "|1|Lep+cdar6e3I3FpG6w2fFCFnh1c=|FqAZq1kngZNVTcHmNwK2YHfJCbM="
#define HASHED_2222 "|1|Qnwo+1ldcjPHHjMLdrfdIXckBX0=|94hrHQPx9wDDkcSLALOdDMgBCPA="

static void
test_hashed (void)
{
  g_autoptr(DomusKnownHosts) known =
    domus_known_hosts_new_from_data (HASHED_22 " " ED " " ED1 "\n"
                                     HASHED_2222 " " EC " " EC1 "\n",
                                     "kh");
  g_autofree char *where = NULL;

  g_assert_cmpint (check (known, "hashed.example", 22, ED1, &where), ==, DOMUS_HOST_KEY_MATCH);
  g_assert_cmpstr (where, ==, "kh:1");
  g_assert_cmpint (check (known, "HASHED.example", 22, ED1, NULL), ==, DOMUS_HOST_KEY_MATCH);
  g_assert_cmpint (check (known, "hashed.example", 2222, EC1, &where), ==, DOMUS_HOST_KEY_MATCH);
  g_assert_cmpstr (where, ==, "kh:2");
  /* ssh lowercases the name before hashing it, the port form too. */
  g_assert_cmpint (check (known, "Hashed.EXAMPLE", 2222, EC1, NULL), ==, DOMUS_HOST_KEY_MATCH);
  g_assert_cmpint (check (known, "hashed.example", 22, ED2, &where), ==, DOMUS_HOST_KEY_CHANGED);
  g_assert_cmpstr (where, ==, "kh:1");
  g_assert_cmpint (check (known, "hashed.example", 2222, EC2, &where), ==, DOMUS_HOST_KEY_CHANGED);
  g_assert_cmpstr (where, ==, "kh:2");
  /* Each hash is of one name with its port. */
  g_assert_cmpint (check (known, "hashed.example", 22, EC1, NULL), ==, DOMUS_HOST_KEY_UNKNOWN);
  g_assert_cmpint (check (known, "hashed.example", 2222, ED1, NULL), ==, DOMUS_HOST_KEY_UNKNOWN);
  g_assert_cmpint (check (known, "hashed.exampl", 22, ED1, NULL), ==, DOMUS_HOST_KEY_UNKNOWN);
  g_assert_cmpint (check (known, "other.example", 22, ED2, NULL), ==, DOMUS_HOST_KEY_UNKNOWN);
}

static void
test_patterns (void)
{
  g_autoptr(DomusKnownHosts) known =
    domus_known_hosts_new_from_data ("*.lan,!secret.lan " ED " " ED1 "\n"
                                     "node?.farm " ED " " ED2 "\n"
                                     "[*.farm]:2222 " EC " " EC1 "\n",
                                     "kh");
  g_autofree char *where = NULL;

  g_assert_cmpint (check (known, "a.lan", 22, ED1, &where), ==, DOMUS_HOST_KEY_MATCH);
  g_assert_cmpstr (where, ==, "kh:1");
  g_assert_cmpint (check (known, "printer.LAN", 22, ED1, NULL), ==, DOMUS_HOST_KEY_MATCH);
  g_assert_cmpint (check (known, "b.lan", 22, ED2, &where), ==, DOMUS_HOST_KEY_CHANGED);
  g_assert_cmpstr (where, ==, "kh:1");
  /* The negation takes the whole line away from this host. */
  g_assert_cmpint (check (known, "secret.lan", 22, ED1, NULL), ==, DOMUS_HOST_KEY_UNKNOWN);
  g_assert_cmpint (check (known, "secret.lan", 22, ED2, NULL), ==, DOMUS_HOST_KEY_UNKNOWN);
  /* "*.lan" does not stand for "[a.lan]:2222". */
  g_assert_cmpint (check (known, "a.lan", 2222, ED1, NULL), ==, DOMUS_HOST_KEY_UNKNOWN);
  g_assert_cmpint (check (known, "lan", 22, ED1, NULL), ==, DOMUS_HOST_KEY_UNKNOWN);

  g_assert_cmpint (check (known, "node1.farm", 22, ED2, &where), ==, DOMUS_HOST_KEY_MATCH);
  g_assert_cmpstr (where, ==, "kh:2");
  g_assert_cmpint (check (known, "node12.farm", 22, ED2, NULL), ==, DOMUS_HOST_KEY_UNKNOWN);
  g_assert_cmpint (check (known, "node.farm", 22, ED2, NULL), ==, DOMUS_HOST_KEY_UNKNOWN);
  g_assert_cmpint (check (known, "node7.farm", 2222, EC1, &where), ==, DOMUS_HOST_KEY_MATCH);
  g_assert_cmpstr (where, ==, "kh:3");
  g_assert_cmpint (check (known, "node7.farm", 22, EC1, NULL), ==, DOMUS_HOST_KEY_UNKNOWN);
}

static void
test_markers (void)
{
  g_autoptr(DomusKnownHosts) known =
    domus_known_hosts_new_from_data ("eps.example " ED " " ED2 "\n"
                                     "@revoked * " ED " " ED2 "\n"
                                     "@cert-authority *.example " ED " " ED1 "\n"
                                     "eps.example " EC " " EC1 "\n",
                                     "kh");
  g_autofree char *where = NULL;
  g_auto(GStrv) types = NULL;

  /* Revoked wins over the line that lists the same key for the host. */
  g_assert_cmpint (check (known, "eps.example", 22, ED2, &where), ==, DOMUS_HOST_KEY_REVOKED);
  g_assert_cmpstr (where, ==, "kh:2");
  /* A certificate authority's key is not a host key. */
  g_assert_cmpint (check (known, "eps.example", 22, ED1, &where), ==, DOMUS_HOST_KEY_CHANGED);
  g_assert_cmpstr (where, ==, "kh:1");
  g_assert_cmpint (check (known, "zeta.example", 22, ED1, &where), ==, DOMUS_HOST_KEY_UNKNOWN);
  g_assert_null (where);
  g_assert_cmpint (check (known, "eps.example", 22, EC1, &where), ==, DOMUS_HOST_KEY_MATCH);
  g_assert_cmpstr (where, ==, "kh:4");

  types = domus_known_hosts_get_key_types (known, "zeta.example", 22);
  g_assert_cmpuint (g_strv_length (types), ==, 0);
}

static void
test_junk (void)
{
  g_autoptr(DomusKnownHosts) known =
    domus_known_hosts_new_from_data ("# a comment\n"
                                     "\n"
                                     "   # an indented one\n"
                                     "garbage\n"
                                     "eta.example " ED "\n"
                                     "eta.example " ED " !!!not-base64!!!\n"
                                     "eta.example " ED " " EC1 "\n"        /* key of another type */
                                     "@bogus eta.example " ED " " ED2 "\n"
                                     "@revoked\n"
                                     "\t \n"
                                     "eta.example\t" ED "  " ED1 "  the comment has  spaces\r\n"
                                     "#eta.example " ED " " ED2 "\n",
                                     "kh");
  g_autofree char *where = NULL;
  g_auto(GStrv) types = NULL;

  g_assert_cmpint (check (known, "eta.example", 22, ED1, &where), ==, DOMUS_HOST_KEY_MATCH);
  g_assert_cmpstr (where, ==, "kh:11");
  /* Only line 11 speaks for the host: none of the junk shows as a different key. */
  g_assert_cmpint (check (known, "eta.example", 22, ED2, &where), ==, DOMUS_HOST_KEY_CHANGED);
  g_assert_cmpstr (where, ==, "kh:11");
  g_assert_cmpint (check (known, "eta.example", 22, EC1, NULL), ==, DOMUS_HOST_KEY_UNKNOWN);
  types = domus_known_hosts_get_key_types (known, "eta.example", 22);
  g_assert_cmpstrv (types, ((const char *[]) { ED, NULL }));

  g_clear_pointer (&known, domus_known_hosts_free);
  known = domus_known_hosts_new_from_data ("", "kh");
  g_assert_cmpint (check (known, "eta.example", 22, ED1, NULL), ==, DOMUS_HOST_KEY_UNKNOWN);
  g_clear_pointer (&known, domus_known_hosts_free);

  /* Patterns that are not UTF-8 (a damaged file; fuzz-known-hosts found GLib aborting on them). */
  known = domus_known_hosts_new_from_data ("\xff?|\xf3\xf3,,\xf3* " ED " " ED2 "\n"
                                           "eta.example " ED " " ED1 "\n", "kh");
  g_assert_cmpint (check (known, "eta.example", 22, ED1, &where), ==, DOMUS_HOST_KEY_MATCH);
  g_assert_cmpstr (where, ==, "kh:2");
  g_clear_pointer (&types, g_strfreev);
  types = domus_known_hosts_get_key_types (known, "eta.example", 22);
  g_assert_cmpstrv (types, ((const char *[]) { ED, NULL }));
  g_clear_pointer (&known, domus_known_hosts_free);
  known = domus_known_hosts_new_from_data (NULL, "kh");
  g_assert_cmpint (check (known, "eta.example", 22, ED1, NULL), ==, DOMUS_HOST_KEY_UNKNOWN);
}

static void
assert_key (const char *key64,
            const char *type,
            const char *fingerprint)
{
  g_autoptr(GBytes) key = blob (key64);
  gsize len = 0;
  const guint8 *data = g_bytes_get_data (key, &len);
  g_autofree char *got_type = domus_host_key_get_type (data, len);
  g_autofree char *got_fingerprint = domus_host_key_fingerprint (data, len);

  g_assert_cmpstr (got_type, ==, type);
  g_assert_cmpstr (got_fingerprint, ==, fingerprint);
}

static void
test_keys (void)
{
  static const guint8 too_long[] = { 0, 0, 0, 20, 's', 's', 'h' };
  static const guint8 empty[] = { 0, 0, 0, 0 };
  static const guint8 binary[] = { 0, 0, 0, 3, 's', '\n', 'h' };
  static const guint8 short_type[] = { 0, 0, 0, 3, 's', 's', 'h' };
  g_autofree char *type = NULL;

  assert_key (ED1, ED, ED1_FP);
  assert_key (ED2, ED, ED2_FP);
  assert_key (EC1, EC, EC1_FP);
  assert_key (EC2, EC, EC2_FP);
  assert_key (RSA1, "ssh-rsa", RSA1_FP);

  g_assert_null (domus_host_key_get_type (too_long, sizeof too_long));
  g_assert_null (domus_host_key_get_type (empty, sizeof empty));
  g_assert_null (domus_host_key_get_type (binary, sizeof binary));
  g_assert_null (domus_host_key_get_type (short_type, 3));
  g_assert_null (domus_host_key_get_type (NULL, 0));
  type = domus_host_key_get_type (short_type, sizeof short_type);
  g_assert_cmpstr (type, ==, "ssh");
}

static void
append (const char *path,
        const char *host,
        guint16     port,
        const char *key64)
{
  g_autoptr(GBytes) key = blob (key64);
  g_autoptr(GError) error = NULL;
  gsize len = 0;
  const guint8 *data = g_bytes_get_data (key, &len);

  g_assert_true (domus_known_hosts_append (path, host, port, data, len, &error));
  g_assert_no_error (error);
}

static void
test_append (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *tmp = g_dir_make_tmp ("domus-known-hosts-XXXXXX", &error);
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  g_autofree char *text = NULL;
  g_autofree char *where = NULL;
  g_autofree char *expected_where = NULL;
  g_autoptr(DomusKnownHosts) known = NULL;
  g_auto(GStrv) lines = NULL;
  GStatBuf st;

  g_assert_no_error (error);
  dir = g_build_filename (tmp, "ssh", NULL);
  path = g_build_filename (dir, "known_hosts", NULL);

  /* No file yet: nothing is known, and that is no error. */
  known = domus_known_hosts_load (path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (known);
  g_assert_cmpint (check (known, "theta.example", 22, ED1, NULL), ==, DOMUS_HOST_KEY_UNKNOWN);
  g_clear_pointer (&known, domus_known_hosts_free);

  append (path, "Theta.Example", 22, ED1);
  append (path, "theta.example", 2222, EC1);

  g_assert_cmpint (g_stat (dir, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0700);
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);

  g_assert_true (g_file_get_contents (path, &text, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_str_has_suffix (text, "\n"));
  lines = g_strsplit (text, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 3);
  g_assert_cmpstr (lines[2], ==, "");
  /* Hashed, as HashKnownHosts writes: the name itself is nowhere in the file. */
  g_assert_true (g_str_has_prefix (lines[0], "|1|"));
  g_assert_true (g_str_has_suffix (lines[0], " " ED " " ED1));
  g_assert_true (g_str_has_prefix (lines[1], "|1|"));
  g_assert_true (g_str_has_suffix (lines[1], " " EC " " EC1));
  g_assert_null (strstr (text, "theta"));
  g_assert_null (strstr (text, "Theta"));

  known = domus_known_hosts_load (path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (check (known, "theta.example", 22, ED1, &where), ==, DOMUS_HOST_KEY_MATCH);
  expected_where = g_strdup_printf ("%s:1", path);
  g_assert_cmpstr (where, ==, expected_where);
  g_assert_cmpint (check (known, "THETA.example", 22, ED2, NULL), ==, DOMUS_HOST_KEY_CHANGED);
  g_assert_cmpint (check (known, "theta.example", 2222, EC1, &where), ==, DOMUS_HOST_KEY_MATCH);
  g_clear_pointer (&expected_where, g_free);
  expected_where = g_strdup_printf ("%s:2", path);
  g_assert_cmpstr (where, ==, expected_where);
  g_assert_cmpint (check (known, "theta.example", 22, EC1, NULL), ==, DOMUS_HOST_KEY_UNKNOWN);
  g_assert_cmpint (check (known, "theta.example", 2222, ED1, NULL), ==, DOMUS_HOST_KEY_UNKNOWN);
  g_clear_pointer (&known, domus_known_hosts_free);

  g_assert_cmpint (g_unlink (path), ==, 0);
  g_assert_cmpint (g_rmdir (dir), ==, 0);
  g_assert_cmpint (g_rmdir (tmp), ==, 0);
}

static void
test_append_no_newline (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *tmp = g_dir_make_tmp ("domus-known-hosts-XXXXXX", &error);
  g_autofree char *path = NULL;
  g_autofree char *text = NULL;
  g_autoptr(DomusKnownHosts) known = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(GBytes) bad = NULL;
  static const guint8 malformed[] = { 0, 0, 0, 9, 'x' };
  const char *old = "# mine\niota.example " ED " " ED2;   /* no newline at the end */

  g_assert_no_error (error);
  path = g_build_filename (tmp, "known_hosts", NULL);
  g_assert_true (g_file_set_contents (path, old, -1, &error));
  g_assert_no_error (error);

  append (path, "kappa.example", 22, ED1);

  g_assert_true (g_file_get_contents (path, &text, NULL, &error));
  g_assert_no_error (error);
  /* The old lines are untouched, byte for byte, and ours starts on a line of its own. */
  g_assert_true (g_str_has_prefix (text, old));
  g_assert_cmpint (text[strlen (old)], ==, '\n');
  lines = g_strsplit (text, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 4);
  g_assert_true (g_str_has_prefix (lines[2], "|1|"));

  known = domus_known_hosts_load (path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (check (known, "iota.example", 22, ED2, NULL), ==, DOMUS_HOST_KEY_MATCH);
  g_assert_cmpint (check (known, "kappa.example", 22, ED1, NULL), ==, DOMUS_HOST_KEY_MATCH);
  g_assert_cmpint (check (known, "kappa.example", 22, ED2, NULL), ==, DOMUS_HOST_KEY_CHANGED);

  /* A key that is not one is refused and nothing is written. */
  g_assert_false (domus_known_hosts_append (path, "lambda.example", 22,
                                            malformed, sizeof malformed, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  {
    g_autofree char *after = NULL;

    g_assert_true (g_file_get_contents (path, &after, NULL, &error));
    g_assert_cmpstr (after, ==, text);
  }

  g_assert_cmpint (g_unlink (path), ==, 0);
  g_assert_cmpint (g_rmdir (tmp), ==, 0);
}

static void
test_key_types (void)
{
  g_autoptr(DomusKnownHosts) known =
    domus_known_hosts_new_from_data ("mu.example " EC " " EC1 "\n"
                                     "nu.example ssh-rsa " RSA1 "\n"
                                     "*.example " ED " " ED1 "\n"
                                     "mu.example " EC " " EC2 "\n"
                                     "@revoked mu.example ssh-rsa " RSA1 "\n"
                                     "mu.example,!nu.example ssh-rsa " RSA1 "\n"
                                     "[mu.example]:2222 " ED " " ED2 "\n",
                                     "kh");
  g_auto(GStrv) mu = domus_known_hosts_get_key_types (known, "mu.example", 22);
  g_auto(GStrv) nu = domus_known_hosts_get_key_types (known, "nu.example", 22);
  g_auto(GStrv) mu_2222 = domus_known_hosts_get_key_types (known, "MU.example", 2222);
  g_auto(GStrv) xi = domus_known_hosts_get_key_types (known, "xi.example", 2222);

  g_assert_cmpstrv (mu, ((const char *[]) { EC, ED, "ssh-rsa", NULL }));
  g_assert_cmpstrv (nu, ((const char *[]) { "ssh-rsa", ED, NULL }));
  g_assert_cmpstrv (mu_2222, ((const char *[]) { ED, NULL }));
  g_assert_nonnull (xi);
  g_assert_cmpuint (g_strv_length (xi), ==, 0);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/known-hosts/plain", test_plain);
  g_test_add_func ("/known-hosts/changed", test_changed);
  g_test_add_func ("/known-hosts/other-type", test_other_type);
  g_test_add_func ("/known-hosts/ports", test_ports);
  g_test_add_func ("/known-hosts/hashed", test_hashed);
  g_test_add_func ("/known-hosts/patterns", test_patterns);
  g_test_add_func ("/known-hosts/markers", test_markers);
  g_test_add_func ("/known-hosts/junk", test_junk);
  g_test_add_func ("/known-hosts/keys", test_keys);
  g_test_add_func ("/known-hosts/append", test_append);
  g_test_add_func ("/known-hosts/append-no-newline", test_append_no_newline);
  g_test_add_func ("/known-hosts/key-types", test_key_types);

  return g_test_run ();
}
