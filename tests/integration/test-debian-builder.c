/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * HvDebianBuilder's refusals that need no archive: bad request fields, key files, names
 * taken, and (as root, in a mount namespace of its own) a store without the space for a
 * base. Each must name its cause and leave the store and the config folder as they were.
 * The builds themselves are in the slow suite (tests/slow/test-debian.py).
 *
 * Usage: test-debian-builder HELPER   (build/tests/slow/domus-debian-build)
 */

#include <string.h>
#include <unistd.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "hv-debian-builder.h"
#include "hv-tool.h"
#include "real-guest-util.h"

#define KEY "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHj3vQ8u2bXpZ1m6kTqv9mTj1o2qYQh1kq0Sx5bGd7Qs test\n"

static const char *helper;

typedef struct {
  const char *what;
  const char *name;
  const char *suite;
  guint64     size;
  const char *hostname;
  const char *key;        /* the key file's contents, or NULL for none */
  const char *password;   /* the password file's contents, or NULL */
  const char *packages;
  int         code;
  const char *words;      /* in the message */
} Case;

static const Case cases[] = {
  { "bad name", "a/b", NULL, 0, NULL, KEY, NULL, NULL, HV_DEBIAN_BUILDER_ERROR_INVALID, "name:" },
  { "bad suite", "ok", "Bookworm!", 0, NULL, KEY, NULL, NULL, HV_DEBIAN_BUILDER_ERROR_INVALID, "suite:" },
  { "too small", "ok", NULL, 1024 * 1024 * 1024, NULL, KEY, NULL, NULL, HV_DEBIAN_BUILDER_ERROR_INVALID, "size:" },
  { "bad host name", "ok", NULL, 0, "under_score", KEY, NULL, NULL, HV_DEBIAN_BUILDER_ERROR_INVALID, "hostname:" },
  { "name no host name", "a_b", NULL, 0, NULL, KEY, NULL, NULL, HV_DEBIAN_BUILDER_ERROR_INVALID, "hostname:" },
  { "bad package", "ok", NULL, 0, NULL, KEY, NULL, "vim,Bad_Pkg", HV_DEBIAN_BUILDER_ERROR_INVALID, "Bad_Pkg" },
  { "no way in", "ok", NULL, 0, NULL, NULL, NULL, NULL, HV_DEBIAN_BUILDER_ERROR_INVALID, "log in" },
  { "private key", "ok", NULL, 0, NULL, "-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn\n", NULL, NULL,
    HV_DEBIAN_BUILDER_ERROR_INVALID, "line 1" },
  { "second line bad", "ok", NULL, 0, NULL, KEY "# a comment\nnonsense\n", NULL, NULL,
    HV_DEBIAN_BUILDER_ERROR_INVALID, "line 3" },
  { "empty key file", "ok", NULL, 0, NULL, "# nothing\n", NULL, NULL, HV_DEBIAN_BUILDER_ERROR_INVALID, "no public key" },
  { "empty password", "ok", NULL, 0, NULL, NULL, "\n", NULL, HV_DEBIAN_BUILDER_ERROR_INVALID, "first line is empty" },
};

static char *
listing (const char *dir)
{
  g_autoptr(GDir) handle = g_dir_open (dir, 0, NULL);
  g_autoptr(GString) names = g_string_new (NULL);
  const char *name;

  while (handle != NULL && (name = g_dir_read_name (handle)) != NULL)
    g_string_append_printf (names, "%s ", name);
  return g_string_free (g_steal_pointer (&names), FALSE);
}

static HvDebianResult *
build (HvDebianBuilder        *builder,
       const HvDebianRequest  *request,
       GError                **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  hv_debian_builder_build_async (builder, request, NULL, on_result_ready, &result);
  return hv_debian_builder_build_finish (builder, wait_result (&result), error);
}

static void
test_bad_requests (void)
{
  g_autofree char *dir = make_test_dir ("debian-builder");
  g_autofree char *images = g_build_filename (dir, "images", NULL);
  g_autofree char *configs = g_build_filename (dir, "configs", NULL);
  g_autoptr(HvDebianBuilder) builder = hv_debian_builder_new (images, configs);

  g_assert_cmpint (g_mkdir (images, 0700), ==, 0);
  g_assert_cmpint (g_mkdir (configs, 0700), ==, 0);
  /* The taken names: each is refused before anything is made. */
  {
    g_autofree char *cfg = g_build_filename (configs, "taken.cfg", NULL);
    g_autofree char *disk = g_build_filename (images, "used.qcow2", NULL);

    g_assert_true (g_file_set_contents (cfg, "name = 'taken'\n", -1, NULL));
    g_assert_true (g_file_set_contents (disk, "", 0, NULL));
  }
  for (guint i = 0; i < G_N_ELEMENTS (cases) + 2; i++)
    {
      const Case taken[] = {
        { "config taken", "taken", NULL, 0, NULL, KEY, NULL, NULL, HV_DEBIAN_BUILDER_ERROR_EXISTS, "taken.cfg" },
        { "image taken", "used", NULL, 0, NULL, KEY, NULL, NULL, HV_DEBIAN_BUILDER_ERROR_EXISTS, "used.qcow2" },
      };
      const Case *c = i < G_N_ELEMENTS (cases) ? &cases[i] : &taken[i - G_N_ELEMENTS (cases)];
      g_autoptr(HvDebianRequest) request = hv_debian_request_new (c->name);
      g_autoptr(HvDebianResult) result = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *before_images = listing (images);
      g_autofree char *before_configs = listing (configs);
      g_autofree char *key = g_build_filename (dir, "key.pub", NULL);
      g_autofree char *password = g_build_filename (dir, "password", NULL);

      g_test_message ("%s", c->what);
      request->suite = g_strdup (c->suite);
      request->size_bytes = c->size;
      request->hostname = g_strdup (c->hostname);
      if (c->key != NULL)
        {
          g_assert_true (g_file_set_contents (key, c->key, -1, NULL));
          request->ssh_key_file = g_strdup (key);
        }
      if (c->password != NULL)
        {
          g_assert_true (g_file_set_contents (password, c->password, -1, NULL));
          request->root_password_file = g_strdup (password);
        }
      if (c->packages != NULL)
        request->packages = g_strsplit (c->packages, ",", -1);
      result = build (builder, request, &error);
      g_assert_null (result);
      g_assert_error (error, HV_DEBIAN_BUILDER_ERROR, c->code);
      g_assert_nonnull (strstr (error->message, c->words));
      {
        g_autofree char *after_images = listing (images);
        g_autofree char *after_configs = listing (configs);

        g_assert_cmpstr (after_images, ==, before_images);
        g_assert_cmpstr (after_configs, ==, before_configs);
      }
    }
  remove_test_dir (dir);
}

/* A store on a 64 MiB tmpfs, in a mount namespace of the helper's own. */
static void
test_no_space (void)
{
  g_autofree char *dir = NULL;
  g_autofree char *images = NULL;
  g_autofree char *script = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *unshare = g_find_program_in_path ("unshare");
  int status = 0;

  if (geteuid () != 0 || unshare == NULL)
    {
      g_test_skip ("needs root and unshare for a small file system of its own");
      return;
    }
  dir = make_test_dir ("debian-space");
  images = g_build_filename (dir, "images", NULL);
  g_assert_cmpint (g_mkdir (images, 0700), ==, 0);
  {
    g_autofree char *key = g_build_filename (dir, "key.pub", NULL);

    g_assert_true (g_file_set_contents (key, KEY, -1, NULL));
  }
  script = g_strdup_printf ("mount -t tmpfs -o size=64m domus-test %s && "
                            "%s --images %s --configs %s/configs --ssh-key %s/key.pub guest; "
                            "status=$?; ls -A %s | sed 's/^/left /'; exit $status",
                            images, helper, images, dir, dir, images);
  {
    const char *argv[] = { "unshare", "--mount", "--propagation", "private", "sh", "-c", script, NULL };

    g_assert_true (hv_tool_run (argv, NULL, &out, &err, &status, NULL, &error));
  }
  g_assert_no_error (error);
  g_test_message ("%s%s", out, err);
  g_assert_cmpint (status, ==, 1);
  {
    g_autofree char *expected = g_strdup_printf ("error %d:", HV_DEBIAN_BUILDER_ERROR_NO_SPACE);

    g_assert_true (g_str_has_prefix (err, expected));
  }
  g_assert_nonnull (strstr (err, "MiB free"));
  /* ls -A of the full store printed nothing: nothing half-made. */
  g_assert_null (strstr (out, "left "));
  remove_test_dir (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (argc, ==, 2);
  helper = argv[1];
  g_test_add_func ("/debian-builder/bad-requests", test_bad_requests);
  g_test_add_func ("/debian-builder/no-space", test_no_space);
  return g_test_run ();
}
