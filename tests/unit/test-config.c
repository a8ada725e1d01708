/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Unit tests for the xm .cfg parser and its in-place writer. */

#include <string.h>
#include <glib/gstdio.h>

#include "hv-config.h"
#include "test-util.h"

static void
assert_string (HvConfig *config, const char *key, const char *expected)
{
  g_autoptr(GError) error = NULL;
  const char *value = NULL;

  g_assert_true (hv_config_get_string (config, key, NULL, &value, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (value, ==, expected);
}

static void
assert_int (HvConfig *config, const char *key, gint64 expected)
{
  g_autoptr(GError) error = NULL;
  gint64 value = -12345;

  g_assert_true (hv_config_get_int (config, key, NULL, -1, &value, &error));
  g_assert_no_error (error);
  g_assert_cmpint (value, ==, expected);
}

static void
assert_bool (HvConfig *config, const char *key, gboolean expected)
{
  g_autoptr(GError) error = NULL;
  gboolean value = !expected;

  g_assert_true (hv_config_get_bool (config, key, !expected, &value, &error));
  g_assert_no_error (error);
  g_assert_cmpint (value, ==, expected);
}

static void
assert_list (HvConfig *config, const char *key, const char * const *expected)
{
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) value = NULL;

  g_assert_true (hv_config_get_string_list (config, key, &value, &error));
  g_assert_no_error (error);
  g_assert_cmpstrv (value, expected);
}

/* ------------------------------------------------------------------------- */

static void
test_listing1 (void)
{
  g_autoptr(HvConfig) config = test_config_from_file ("listing1.cfg");
  g_auto(GStrv) keys = hv_config_dup_keys (config);
  const char * const expected_keys[] = {
    "name", "hostname", "kernel", "ramdisk", "memory", "vcpus", "vif", "disk",
    "cdrom", "root", NULL
  };
  const char * const vif[] = { "mac=aa:00:00:12:23:34, bridge=bridge0", NULL };
  const char * const disk[] = { "phy:/dev/hda3,hda1,w", "phy:/dev/hda5,hda2,w", NULL };

  g_assert_cmpstrv (keys, expected_keys);
  assert_string (config, "name", "debian1");
  assert_string (config, "kernel", "/boot/vmlinuz-2.6.18-3-xen-686");
  assert_string (config, "ramdisk", "/boot/initrd.img-2.6.18-3-xen-686");
  assert_int (config, "memory", 512);
  assert_int (config, "vcpus", 1);
  assert_list (config, "vif", vif);
  assert_list (config, "disk", disk);
  assert_string (config, "cdrom", "/dev/cdrom");
  assert_string (config, "root", "/dev/hda1");
}

static void
test_listing4 (void)
{
  g_autoptr(HvConfig) config = test_config_from_file ("listing4.cfg");
  const char * const disk[] = {
    "phy:/dev/hda3,ioemu:hda,w", "file:/root/wincd.iso,ioemu:hdc:cdrom,r", NULL
  };
  const char * const vif[] = { "type=ioemu, bridge=xenbr0", NULL };
  guint line = 0, column = 0;

  assert_string (config, "kernel", "/usr/lib/xen-3.0.3-1/boot/hvmloader");
  assert_string (config, "builder", "hvm");
  assert_string (config, "device_model", "/usr/lib/xen-3.0.3-1/bin/qemu-dm");
  assert_string (config, "name", "windows");
  assert_string (config, "boot", "d");
  assert_int (config, "memory", 512);
  assert_list (config, "disk", disk);
  assert_list (config, "vif", vif);
  assert_bool (config, "vnc", TRUE);
  assert_bool (config, "vncviewer", TRUE);
  assert_bool (config, "sdl", FALSE);

  /* The comment line counts: boot is on line 10. */
  g_assert_true (hv_config_get_location (config, "boot", &line, &column));
  g_assert_cmpuint (line, ==, 10);
  g_assert_cmpuint (column, ==, 8);
}

static void
test_admin_pv_style (void)
{
  g_autoptr(HvConfig) config = test_config_from_file ("admin-pv.cfg");
  const char * const disk[] = {
    "file:/srv/xen/domains/web01/disk.img,xvda2,w",
    "file:/srv/xen/domains/web01/swap.img,xvda1,w",
    "tap:aio:/srv/xen/domains/web01/data.img,xvdb,w!",
    NULL
  };
  const char * const vfb[] = { "type=vnc,vncunused=1,vnclisten=0.0.0.0", NULL };
  const char * const serial[] = { "pty", NULL };

  assert_int (config, "memory", 256);      /* '256', a string of digits */
  assert_int (config, "vcpus", 2);
  assert_list (config, "disk", disk);
  assert_string (config, "root", "/dev/xvda2 ro");
  /* Backslash-newline inside a triple-quoted string joins the lines. */
  assert_string (config, "extra", "console=hvc0 xencons=tty clocksource=jiffies");
  assert_string (config, "on_poweroff", "destroy");
  assert_string (config, "on_reboot", "restart");
  assert_string (config, "on_crash", "restart");
  assert_list (config, "vfb", vfb);
  assert_list (config, "serial", serial);   /* a lone string is a list of one */
  assert_bool (config, "pae", TRUE);
  assert_bool (config, "acpi", TRUE);
  assert_bool (config, "apic", TRUE);
  assert_bool (config, "localtime", FALSE);
  assert_int (config, "cpu_weight", 256);
  assert_string (config, "extra_flags", "abc");
}

static void
test_admin_hvm_style (void)
{
  g_autoptr(HvConfig) config = test_config_from_file ("admin-hvm.cfg");

  assert_string (config, "import_me_not", "unicode prefix, kept as an unknown key");
  assert_string (config, "builder", "hvm");
  assert_string (config, "boot", "dc");
  assert_string (config, "vnclisten", "127.0.0.1");
  assert_bool (config, "vncunused", TRUE);
  assert_int (config, "vncdisplay", 5);
  assert_string (config, "usbdevice", "tablet");
  assert_bool (config, "localtime", TRUE);
  assert_string (config, "on_xend_stop", "shutdown");
}

static void
test_value_forms (void)
{
  g_autoptr(HvConfig) config = test_config_from_text (
    "a = 'single'\n"
    "b = \"double\"\n"
    "c = '''triple\nsingle'''\n"
    "d = \"\"\"triple \"double\" quotes\"\"\"\n"
    "e = 'esc\\'aped\\n\\t\\x41\\\\'\n"
    "f = r'C:\\raw\\path'\n"
    "g = -42\n"
    "h = 512L\n"
    "i = 1.5\n"
    "j = [ 1, 'two', [ 3 ], True, ]\n"
    "k = []\n"
    "l = [\n"
    "  # a comment inside a list\n"
    "  'x',\n"
    "\n"
    "  'y'   # and after an item\n"
    "]\n"
    "m = 'ünïcödé'\n");
  GVariant *j = hv_config_get_value (config, "j");
  g_autofree char *j_text = NULL;
  const char * const l[] = { "x", "y", NULL };
  const char * const none[] = { NULL };

  assert_string (config, "a", "single");
  assert_string (config, "b", "double");
  assert_string (config, "c", "triple\nsingle");
  assert_string (config, "d", "triple \"double\" quotes");
  assert_string (config, "e", "esc'aped\n\tA\\");
  assert_string (config, "f", "C:\\raw\\path");
  assert_int (config, "g", -42);
  assert_int (config, "h", 512);
  g_assert_cmpfloat (g_variant_get_double (hv_config_get_value (config, "i")), ==, 1.5);
  g_assert_nonnull (j);
  j_text = hv_config_value_to_string (j);
  g_assert_cmpstr (j_text, ==, "[ 1, 'two', [ 3 ], True ]");
  assert_list (config, "k", none);
  assert_list (config, "l", l);
  assert_string (config, "m", "ünïcödé");
}

static void
test_last_assignment_wins (void)
{
  g_autoptr(HvConfig) config = test_config_from_text ("memory = 128\nname = 'a'\nmemory = 256\n");
  g_auto(GStrv) keys = hv_config_dup_keys (config);
  const char * const expected[] = { "memory", "name", NULL };

  assert_int (config, "memory", 256);
  g_assert_cmpstrv (keys, expected);
}

static void
test_typed_getters (void)
{
  g_autoptr(HvConfig) config = test_config_from_text (
    "yes_word = 'yes'\noff_word = 'Off'\none = 1\nzero = 0\n"
    "digits = ' 64 '\nlone = 'only'\n");
  const char * const lone[] = { "only", NULL };
  const char *s = NULL;
  gint64 n = 0;
  gboolean b = FALSE;
  g_auto(GStrv) list = NULL;

  assert_bool (config, "yes_word", TRUE);
  assert_bool (config, "off_word", FALSE);
  assert_bool (config, "one", TRUE);
  assert_bool (config, "zero", FALSE);
  assert_int (config, "digits", 64);
  assert_list (config, "lone", lone);

  /* Absent keys give the fallback. */
  g_assert_true (hv_config_get_string (config, "absent", "fb", &s, NULL));
  g_assert_cmpstr (s, ==, "fb");
  g_assert_true (hv_config_get_int (config, "absent", "MiB", 128, &n, NULL));
  g_assert_cmpint (n, ==, 128);
  g_assert_true (hv_config_get_bool (config, "absent", TRUE, &b, NULL));
  g_assert_true (b);
  g_assert_true (hv_config_get_string_list (config, "absent", &list, NULL));
  g_assert_cmpuint (g_strv_length (list), ==, 0);
}

/* ------------------------------------------------------------------------- */
/* Errors: every message names the file, the position and, for types, the key. */

typedef struct {
  const char *text;
  const char *message;
} SyntaxCase;

static const SyntaxCase syntax_cases[] = {
  { "name = \"a\"\nmemory = 512\nvcpus = 1\nroot = '/dev/hda1\n",
    "guest.cfg:4:8: unterminated string" },
  { "extra = \"\"\"never closed\n\n", "guest.cfg:1:9: unterminated string" },
  { "disk = [ 'a',\n  'b'\n", "guest.cfg:1:8: unterminated list: “[” has no matching “]”" },
  { "disk = [ 'a' 'b' 1 ]\n", "guest.cfg:1:18: expected “,” or “]” in the list opened at line 1" },
  { "memory 512\n", "guest.cfg:1:8: expected “=” after “memory”" },
  { "memory == 512\n", "guest.cfg:1:8: expected “=” after “memory”" },
  { "memory = 256 * 2\n", "guest.cfg:1: “memory = 256 * 2” is Python: xm ran these files as Python programs, "
    "Domus reads only their literal assignments. Write the value it had instead: memory = 512" },
  { "memory = mem\n", "guest.cfg:1: “memory = mem” is Python: xm ran these files as Python programs, Domus reads "
    "only their literal assignments. Write the value it had on your Xen host instead, as a literal: memory = 'text', "
    "a number, or a [ list ]" },
  { "bootloader = None\n", "guest.cfg:1:14: “None” is not a value: only strings, numbers, True, False and lists are supported" },
  { "name = 'a'\n  memory = 1\n", "guest.cfg:2:1: unexpected indentation" },
  { "cpus = (1, 2)\n", "guest.cfg:1:8: tuples and dictionaries are not supported: use a list “[ … ]”" },
  { "memory = 0x\n", "guest.cfg:1:10: invalid number “0x”" },
  { "memory = 12abc\n", "guest.cfg:1:10: invalid number “12abc”" },
  { "ratio = 1e999\n", "guest.cfg:1:9: number “1e999” is too large" },
  { "name = 'a' 'b' c\n", "guest.cfg:1:16: unexpected text after the value" },
  { "memory =\n", "guest.cfg:1:9: expected a value" },
  { "memory = \\x\n", "guest.cfg:1:10: unexpected character “\\”" },
  { "import os\n", "guest.cfg:1: “import os” is Python: xm ran these files as Python programs, Domus reads only "
    "their literal assignments (key = 'text', key = 512, key = [ … ]). Remove it, and write each value it was used "
    "to compute as a literal" },
  /* The whole character, not its first byte (which is not UTF-8, and broke the daemon's answer). */
  { "k = \xef\xbb\xbfs\n", "guest.cfg:1:5: unexpected character “\xef\xbb\xbf”" },
  { "k = \x01\n", "guest.cfg:1:5: unexpected character “U+0001”" },
  { "1 = 2\n", "guest.cfg:1:1: expected a setting such as “memory = 512”" },
  { "name = 'bad \\x4'\n", "guest.cfg:1:13: invalid \\x escape: two hexadecimal digits must follow" },
  { "name = 'caf\xe9'\n", "guest.cfg:1:12: the file is not valid UTF-8 text" },
};

static void
test_syntax_errors (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (syntax_cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(HvConfig) config = NULL;
      g_autofree char *shown = g_strescape (syntax_cases[i].text, NULL);

      g_test_message ("case %" G_GSIZE_FORMAT ": %s", i, shown);
      config = hv_config_new_from_data (syntax_cases[i].text, -1, "guest.cfg", &error);
      g_assert_null (config);
      g_assert_error (error, HV_CONFIG_ERROR, HV_CONFIG_ERROR_SYNTAX);
      g_assert_cmpstr (error->message, ==, syntax_cases[i].message);
    }
}

static void
test_deep_nesting_refused (void)
{
  g_autoptr(GString) text = g_string_new ("x = ");
  g_autoptr(GError) error = NULL;
  g_autoptr(HvConfig) config = NULL;

  for (int i = 0; i < 10000; i++)
    g_string_append_c (text, '[');
  config = hv_config_new_from_data (text->str, -1, "guest.cfg", &error);
  g_assert_null (config);
  g_assert_error (error, HV_CONFIG_ERROR, HV_CONFIG_ERROR_SYNTAX);
  g_assert_true (g_str_has_suffix (error->message, "lists nested too deeply"));
}

static void
test_nul_bytes_refused (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HvConfig) config = hv_config_new_from_data ("name = 'a'\0\n", 12, "guest.cfg", &error);

  g_assert_null (config);
  g_assert_error (error, HV_CONFIG_ERROR, HV_CONFIG_ERROR_SYNTAX);
  g_assert_nonnull (strstr (error->message, "guest.cfg"));
}

static void
test_type_errors (void)
{
  g_autoptr(HvConfig) config = test_config_from_text ("name = 'x'\n\nmemory = \"lots\"\nvcpus = [ 1 ]\n"
                                      "vnc = 'maybe'\ndisk = [ 'a', 2 ]\nkernel = 7\n");
  g_autoptr(GError) error = NULL;
  const char *s;
  gint64 n;
  gboolean b;
  g_auto(GStrv) list = NULL;

  g_assert_false (hv_config_get_int (config, "memory", "MiB", 128, &n, &error));
  g_assert_error (error, HV_CONFIG_ERROR, HV_CONFIG_ERROR_TYPE);
  g_assert_cmpstr (error->message, ==,
                   "guest.cfg:3:10: memory: expected an integer (MiB), got \"lots\"");
  g_clear_error (&error);

  g_assert_false (hv_config_get_int (config, "vcpus", NULL, 1, &n, &error));
  g_assert_cmpstr (error->message, ==, "guest.cfg:4:9: vcpus: expected an integer, got [ 1 ]");
  g_clear_error (&error);

  g_assert_false (hv_config_get_bool (config, "vnc", FALSE, &b, &error));
  g_assert_cmpstr (error->message, ==,
                   "guest.cfg:5:7: vnc: expected 1 or 0 (or True or False), got \"maybe\"");
  g_clear_error (&error);

  g_assert_false (hv_config_get_string_list (config, "disk", &list, &error));
  g_assert_cmpstr (error->message, ==, "guest.cfg:6:8: disk: item 2: expected a string, got 2");
  g_clear_error (&error);

  g_assert_false (hv_config_get_string (config, "kernel", NULL, &s, &error));
  g_assert_cmpstr (error->message, ==, "guest.cfg:7:10: kernel: expected a string, got 7");
  g_clear_error (&error);

  /* A key error for an absent key still names the file and the key. */
  hv_config_set_key_error (config, &error, HV_CONFIG_ERROR_MISSING, "name2", "is required");
  g_assert_cmpstr (error->message, ==, "guest.cfg: name2: is required");
}

static void
test_missing_file (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HvConfig) config = hv_config_new_from_file ("/nonexistent/guest.cfg", &error);

  g_assert_null (config);
  g_assert_error (error, HV_CONFIG_ERROR, HV_CONFIG_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "/nonexistent/guest.cfg"));
}

/* ------------------------------------------------------------------------- */
/* Writer */

static const char * const data_files[] = {
  "listing1.cfg", "listing4.cfg", "admin-pv.cfg", "admin-hvm.cfg", NULL
};

/* Untouched, the text comes back byte for byte. */
static void
test_untouched_text_is_kept (void)
{
  for (guint i = 0; data_files[i] != NULL; i++)
    {
      g_autofree char *path = test_data_path (data_files[i]);
      g_autofree char *original = NULL;
      g_autofree char *written = NULL;
      g_autoptr(HvConfig) config = test_config_from_file (data_files[i]);

      g_assert_true (g_file_get_contents (path, &original, NULL, NULL));
      written = hv_config_to_data (config, NULL);
      g_assert_cmpstr (written, ==, original);
    }
}

/* Parse, write every value into a fresh config, parse that: equal. */
static void
test_round_trip (void)
{
  for (guint i = 0; data_files[i] != NULL; i++)
    {
      g_autoptr(HvConfig) config = test_config_from_file (data_files[i]);
      g_autoptr(HvConfig) fresh = hv_config_new ("fresh.cfg");
      g_autoptr(HvConfig) reparsed = NULL;
      g_autoptr(GError) error = NULL;
      g_auto(GStrv) keys = hv_config_dup_keys (config);
      g_autofree char *text = NULL;

      for (guint k = 0; keys[k] != NULL; k++)
        hv_config_set_value (fresh, keys[k], hv_config_get_value (config, keys[k]));
      text = hv_config_to_data (fresh, NULL);
      reparsed = hv_config_new_from_data (text, -1, "fresh.cfg", &error);
      g_assert_no_error (error);
      g_assert_true (hv_config_equal (config, reparsed));
      g_assert_true (hv_config_equal (reparsed, config));
    }
}

static void
test_tricky_strings_round_trip (void)
{
  const char * const strings[] = {
    "plain", "it's", "say \"hi\"", "both ' and \"", "back\\slash", "new\nline",
    "tab\there", "\x01control", "ünïcödé", "", "#not a comment", "[not, a list]", NULL
  };

  for (guint i = 0; strings[i] != NULL; i++)
    {
      g_autoptr(HvConfig) config = hv_config_new ("t.cfg");
      g_autoptr(HvConfig) reparsed = NULL;
      g_autofree char *text = NULL;
      const char * const list[] = { strings[i], strings[i], NULL };

      hv_config_set_string (config, "value", strings[i]);
      hv_config_set_string_list (config, "list", list);
      text = hv_config_to_data (config, NULL);
      reparsed = test_config_from_text (text);
      assert_string (reparsed, "value", strings[i]);
      assert_list (reparsed, "list", list);
    }
}

static GStrv
split_lines (const char *text)
{
  return g_strsplit (text, "\n", -1);
}

/* Returns the indices of the lines that differ; both texts must have as many lines. */
static GArray *
changed_lines (const char *before,
               const char *after)
{
  g_auto(GStrv) a = split_lines (before);
  g_auto(GStrv) b = split_lines (after);
  GArray *changed = g_array_new (FALSE, FALSE, sizeof (guint));

  g_assert_cmpuint (g_strv_length (a), ==, g_strv_length (b));
  for (guint i = 0; a[i] != NULL; i++)
    if (strcmp (a[i], b[i]) != 0)
      g_array_append_val (changed, i);
  return changed;
}

static void
test_one_key_changed_one_line_changed (void)
{
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autoptr(HvConfig) config = test_config_from_file ("admin-hvm.cfg");
  g_autoptr(HvConfig) reparsed = NULL;
  g_autoptr(GArray) changed = NULL;
  g_auto(GStrv) lines = NULL;

  before = hv_config_to_data (config, NULL);
  hv_config_set_int (config, "memory", 2048);
  after = hv_config_to_data (config, NULL);

  changed = changed_lines (before, after);
  g_assert_cmpuint (changed->len, ==, 1);
  lines = split_lines (after);
  g_assert_cmpstr (lines[g_array_index (changed, guint, 0)], ==, "memory = 2048");

  /* Keys without '=' spacing keep their spelling: only the value changes. */
  g_clear_pointer (&before, g_free);
  before = g_steal_pointer (&after);
  hv_config_set_string (config, "boot", "c");
  after = hv_config_to_data (config, NULL);
  g_clear_pointer (&changed, g_array_unref);
  changed = changed_lines (before, after);
  g_assert_cmpuint (changed->len, ==, 1);
  g_clear_pointer (&lines, g_strfreev);
  lines = split_lines (after);
  g_assert_cmpstr (lines[g_array_index (changed, guint, 0)], ==, "boot=\"c\"");

  /* Unknown keys and comments are still there, and the result parses to the same. */
  g_assert_nonnull (strstr (after, "# HVM guest in the style of Xen 3.x's xmexample.hvm\n"));
  g_assert_nonnull (strstr (after, "on_xend_stop = 'shutdown'\n"));
  g_assert_nonnull (strstr (after, "shadow_memory = 8\n"));
  reparsed = test_config_from_text (after);
  g_assert_true (hv_config_equal (config, reparsed));
  assert_int (reparsed, "memory", 2048);
}

static void
test_changed_key_keeps_trailing_comment (void)
{
  g_autoptr(HvConfig) config = test_config_from_file ("admin-pv.cfg");
  g_autofree char *after = NULL;

  hv_config_set_int (config, "memory", 512);
  after = hv_config_to_data (config, NULL);
  g_assert_nonnull (strstr (after, "\nmemory  = 512          # a string: xm ran it through int()\n"));
}

static void
test_multiline_list_stays_multiline (void)
{
  g_autoptr(HvConfig) config = test_config_from_file ("admin-pv.cfg");
  g_autoptr(HvConfig) reparsed = NULL;
  g_autofree char *after = NULL;
  const char * const disk[] = { "file:/a.img,xvda,w", "file:/b.img,xvdb,w", NULL };

  hv_config_set_string_list (config, "disk", disk);
  after = hv_config_to_data (config, NULL);
  g_assert_nonnull (strstr (after,
                            "# Disks, one per line, with a trailing comma.\n"
                            "disk = [\n"
                            "    'file:/a.img,xvda,w',\n"
                            "    'file:/b.img,xvdb,w',\n"
                            "]\n"
                            "\n"
                            "vif  = "));
  reparsed = test_config_from_text (after);
  assert_list (reparsed, "disk", disk);
  g_assert_true (hv_config_equal (config, reparsed));
}

static void
test_new_key_appended (void)
{
  g_autoptr(HvConfig) config = test_config_from_text ("name = 'a'\n# last line, no newline");
  g_autofree char *after = NULL;
  const char * const vif[] = { "mac=00:16:3e:00:00:01", NULL };

  hv_config_set_string_list (config, "vif", vif);
  after = hv_config_to_data (config, NULL);
  g_assert_cmpstr (after, ==,
                   "name = 'a'\n# last line, no newline\nvif = [ 'mac=00:16:3e:00:00:01' ]\n");
}

static void
test_remove_key (void)
{
  g_autoptr(HvConfig) config = test_config_from_text ("# head\nname = 'a'\nmemory = 1  # gone too\n"
                                      "pae = 1; acpi = 1\nvcpus = [\n 1,\n]\n# tail\n");
  g_autofree char *after = NULL;

  g_assert_true (hv_config_remove (config, "memory"));
  g_assert_true (hv_config_remove (config, "pae"));
  g_assert_true (hv_config_remove (config, "vcpus"));
  g_assert_false (hv_config_remove (config, "absent"));
  after = hv_config_to_data (config, NULL);
  g_assert_cmpstr (after, ==, "# head\nname = 'a'\nacpi = 1\n# tail\n");
  g_assert_false (hv_config_has_key (config, "memory"));

  /* Later edits still land in the right place after the text moved. */
  hv_config_set_int (config, "acpi", 0);
  g_clear_pointer (&after, g_free);
  after = hv_config_to_data (config, NULL);
  g_assert_cmpstr (after, ==, "# head\nname = 'a'\nacpi = 0\n# tail\n");
}

static void
test_crlf_line_endings_kept (void)
{
  g_autoptr(HvConfig) config = test_config_from_text ("name = 'a'\r\nmemory = 128\r\nvcpus = 1 # one\r\n");
  g_autofree char *after = NULL;

  assert_string (config, "name", "a");
  hv_config_set_string (config, "name", "b");
  hv_config_set_int (config, "memory", 256);
  after = hv_config_to_data (config, NULL);
  g_assert_cmpstr (after, ==, "name = \"b\"\r\nmemory = 256\r\nvcpus = 1 # one\r\n");

  g_assert_true (hv_config_remove (config, "vcpus"));
  g_clear_pointer (&after, g_free);
  after = hv_config_to_data (config, NULL);
  g_assert_cmpstr (after, ==, "name = \"b\"\r\nmemory = 256\r\n");
}

static void
test_save_is_atomic_and_private (void)
{
  g_autofree char *dir = g_dir_make_tmp ("domus-config-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "guest.cfg", NULL);
  g_autofree char *missing = g_build_filename (dir, "no", "such", "guest.cfg", NULL);
  g_autoptr(HvConfig) config = test_config_from_file ("listing1.cfg");
  g_autoptr(HvConfig) loaded = NULL;
  g_autoptr(GError) error = NULL;
  GStatBuf st;

  hv_config_set_int (config, "memory", 768);
  g_assert_true (hv_config_save (config, path, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  loaded = hv_config_new_from_file (path, &error);
  g_assert_no_error (error);
  g_assert_true (hv_config_equal (config, loaded));

  g_assert_false (hv_config_save (config, missing, &error));
  g_assert_error (error, HV_CONFIG_ERROR, HV_CONFIG_ERROR_IO);
  g_assert_false (g_file_test (missing, G_FILE_TEST_EXISTS));

  g_assert_cmpint (g_unlink (path), ==, 0);
  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

/* ------------------------------------------------------------------------- */
/* Robustness: mangled files are refused with a located error, or parsed and kept whole. */

/* Every value written back and one key dropped: the text still parses to the same. */
static void
assert_rewrite_reparses (HvConfig *config)
{
  g_auto(GStrv) keys = hv_config_dup_keys (config);
  g_autoptr(HvConfig) reparsed = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *rewritten = NULL;

  for (guint i = 0; keys[i] != NULL; i++)
    hv_config_set_value (config, keys[i], hv_config_get_value (config, keys[i]));
  if (keys[0] != NULL)
    hv_config_remove (config, keys[0]);
  rewritten = hv_config_to_data (config, NULL);
  reparsed = hv_config_new_from_data (rewritten, -1, "guest.cfg", &error);
  g_assert_no_error (error);
  g_assert_true (hv_config_equal (config, reparsed));
}

static void
check_mangled_text (const char *text,
                    gsize       length)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HvConfig) config = hv_config_new_from_data (text, length, "guest.cfg", &error);
  g_autofree char *written = NULL;
  gsize written_length;

  if (config == NULL)
    {
      g_assert_true (error->domain == HV_CONFIG_ERROR);
      g_assert_true (g_str_has_prefix (error->message, "guest.cfg"));
      return;
    }
  written = hv_config_to_data (config, &written_length);
  g_assert_cmpmem (written, written_length, text, length);
  assert_rewrite_reparses (config);
}

/* Inputs the fuzzer found once; kept so they stay fixed. */
static void
test_fuzzer_findings (void)
{
  static const char * const findings[] = {
    "s=\"\"\r\r\r\r       \t;            \r\r    e=\"\"\r\r \t #\"\n\r\n",
    "loqcl=1;\f\f\f\f\f\f\f\fn=1",
    "ae= 1L;\f a =1L; a = 0",
    "pae = 1;\r acpi = 1; apic = True\n",
    "s=''\\\n\\\n;\\\n a=1; a=0\n",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (findings); i++)
    check_mangled_text (findings[i], strlen (findings[i]));
}

static void
test_mangled_files (void)
{
  static const char specials[] = "'\"\\[],#=\n\r\t ;()0xLru\xc3\xa9";
  g_autoptr(GRand) rand = g_rand_new_with_seed (20261128);

  for (guint i = 0; data_files[i] != NULL; i++)
    {
      g_autofree char *path = test_data_path (data_files[i]);
      g_autofree char *original = NULL;
      gsize length;

      g_assert_true (g_file_get_contents (path, &original, &length, NULL));
      for (guint round = 0; round < 2000; round++)
        {
          g_autoptr(GString) text = g_string_new_len (original, length);
          guint edits = g_rand_int_range (rand, 1, 4);

          for (guint e = 0; e < edits; e++)
            {
              gsize at;

              if (text->len == 0)
                break;
              at = g_rand_int_range (rand, 0, text->len);

              switch (g_rand_int_range (rand, 0, 3))
                {
                case 0:
                  {
                    gsize span = g_rand_int_range (rand, 1, 8);

                    g_string_erase (text, at, MIN (span, text->len - at));
                    break;
                  }
                case 1:
                  g_string_insert_c (text, at, specials[g_rand_int_range (rand, 0, sizeof specials - 1)]);
                  break;
                default:
                  g_string_truncate (text, at);
                  break;
                }
            }
          check_mangled_text (text->str, text->len);
        }
    }
}

/* ------------------------------------------------------------------------- */
/* Python beyond literal assignments (issue 19)                               */

static void
assert_python_refused (const char *text,
                       const char *expected_start,
                       const char *expected_part)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HvConfig) config = hv_config_new_from_data (text, -1, "guest.cfg", &error);

  g_assert_null (config);
  g_assert_error (error, HV_CONFIG_ERROR, HV_CONFIG_ERROR_SYNTAX);
  g_test_message ("%s", error->message);
  g_assert_true (g_str_has_prefix (error->message, expected_start));
  g_assert_nonnull (strstr (error->message, "xm ran these files as Python programs, Domus reads only their literal assignments"));
  if (expected_part != NULL)
    g_assert_nonnull (strstr (error->message, expected_part));
}

static void
test_python_refused (void)
{
  g_autofree char *example = NULL;
  g_autofree char *path = g_build_filename (TEST_DATA_DIR, "xm-python.cfg", NULL);

  assert_python_refused ("import os\nname = 'a'\n", "guest.cfg:1: “import os” is Python", "Remove it");
  assert_python_refused ("name = 'a'\ndef f():\n    return 1\n", "guest.cfg:2: “def f():” is Python", NULL);
  assert_python_refused ("mem = 256\nmemory = mem * 2\n", "guest.cfg:2: “memory = mem * 2”",
                         "Write the value it had instead: memory = 512");
  assert_python_refused ("n = 3\nname = 'vm%d' % n\n", "guest.cfg:2:", "instead: name = \"vm3\"");
  assert_python_refused ("name = 'web' + '-' + '01'\n", "guest.cfg:1:", "instead: name = \"web-01\"");
  assert_python_refused ("dev = '/dev/sda'\ndisk = [ 'phy:%s,xvda,w' % dev, 'phy:/dev/sdb,xvdb,w' ]\n",
                         "guest.cfg:2:", "instead: disk = [ 'phy:/dev/sda,xvda,w', 'phy:/dev/sdb,xvdb,w' ]");
  assert_python_refused ("vif = [ 'bridge=%s' % ('br0',) ]\n", "guest.cfg:1:", "instead: vif = [ 'bridge=br0' ]");
  /* What only Python knew stays unknown: no value is made up. */
  assert_python_refused ("import os\narch = os.uname()[4]\n", "guest.cfg:1:", NULL);
  assert_python_refused ("memory = int(open('/proc/meminfo').read().split()[1]) / 4\n", "guest.cfg:1:",
                         "on your Xen host instead, as a literal: memory = ");
  assert_python_refused ("if True:\n    memory = 512\n", "guest.cfg:1: “if True:”", NULL);
  /* A variable reassigned in a block is not known after it (read past the block as --explain does). */
  {
    g_autoptr(GPtrArray) skipped = g_ptr_array_new_with_free_func (g_free);
    g_autoptr(HvConfig) config = hv_config_new_from_data_partial ("m = 1\nif x:\n    m = 2\nmemory = m\n", -1,
                                                                  "guest.cfg", skipped, NULL);

    g_assert_nonnull (config);
    g_assert_cmpuint (skipped->len, ==, 2);
    g_assert_true (g_str_has_prefix (g_ptr_array_index (skipped, 1), "guest.cfg:4: “memory = m”"));
    g_assert_nonnull (strstr (g_ptr_array_index (skipped, 1), "on your Xen host"));
  }
  /* Xen 3's own example config: refused at its first line. */
  g_assert_true (g_file_get_contents (path, &example, NULL, NULL));
  assert_python_refused (example, "guest.cfg:2: “import os, re” is Python", NULL);

  /* Typos are still plain syntax errors, not Python advice. */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(HvConfig) config = hv_config_new_from_data ("name = 'a\n", -1, "guest.cfg", &error);

    g_assert_null (config);
    g_assert_cmpstr (error->message, ==, "guest.cfg:1:8: unterminated string");
  }
}

/* domusctl check --explain: what can be read is, the rest is listed. */
static void
test_python_partial (void)
{
  g_autofree char *example = NULL;
  g_autofree char *path = g_build_filename (TEST_DATA_DIR, "xm-python.cfg", NULL);
  g_autoptr(GPtrArray) skipped = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(HvConfig) config = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) keys = NULL;
  const char * const expected_keys[] = { "kernel", "builder", "memory", "name", "vif", "disk", NULL };

  g_assert_true (g_file_get_contents (path, &example, NULL, NULL));
  config = hv_config_new_from_data_partial (example, -1, "xm-python.cfg", skipped, &error);
  g_assert_no_error (error);
  keys = hv_config_dup_keys (config);
  g_assert_cmpstrv (keys, expected_keys);
  assert_int (config, "memory", 128);
  /* import, arch =, if (with its block), else (with its block), device_model = */
  g_assert_cmpuint (skipped->len, ==, 5);
  g_assert_true (g_str_has_prefix (g_ptr_array_index (skipped, 0), "xm-python.cfg:2: “import os, re”"));
  g_assert_true (g_str_has_prefix (g_ptr_array_index (skipped, 2), "xm-python.cfg:4: “if re.search"));
  g_assert_true (g_str_has_prefix (g_ptr_array_index (skipped, 3), "xm-python.cfg:6: “else:”"));
  g_assert_true (g_str_has_prefix (g_ptr_array_index (skipped, 4), "xm-python.cfg:13: “device_model"));
}

/* xl files read and written back byte for byte; an edit changes its own value only. */
static void
test_xl_round_trip (void)
{
  const char *files[] = { "xl-hvm.cfg", "xl-pv.cfg" };

  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *path = g_build_filename (TEST_DATA_DIR, files[i], NULL);
      g_autofree char *text = NULL;
      g_autofree char *written = NULL;
      g_autofree char *edited = NULL;
      g_autofree char *expected = NULL;
      g_autoptr(HvConfig) config = NULL;
      g_autoptr(GError) error = NULL;
      g_autoptr(GString) want = NULL;
      g_autoptr(GRegex) memory_comment = g_regex_new ("\n#[0-9]+\n", 0, 0, NULL);
      gsize length, written_length;

      g_assert_true (g_file_get_contents (path, &text, &length, NULL));
      config = hv_config_new_from_data (text, (gssize) length, files[i], &error);
      g_assert_no_error (error);
      written = hv_config_to_data (config, &written_length);
      g_assert_cmpmem (written, written_length, text, length);

      hv_config_set_int (config, "memory", 1024);
      edited = hv_config_to_data (config, NULL);
      want = g_string_new (text);
      g_assert_cmpuint (g_string_replace (want, "\nmemory = ", "\nmemory = 1024\n#", 1), ==, 1);
      expected = g_regex_replace (memory_comment, want->str, -1, 0, "\n", 0, NULL);
      g_assert_cmpstr (edited, ==, expected);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/config/listing1", test_listing1);
  g_test_add_func ("/config/listing4", test_listing4);
  g_test_add_func ("/config/admin-pv-style", test_admin_pv_style);
  g_test_add_func ("/config/admin-hvm-style", test_admin_hvm_style);
  g_test_add_func ("/config/value-forms", test_value_forms);
  g_test_add_func ("/config/last-assignment-wins", test_last_assignment_wins);
  g_test_add_func ("/config/typed-getters", test_typed_getters);
  g_test_add_func ("/config/errors/syntax", test_syntax_errors);
  g_test_add_func ("/config/errors/deep-nesting", test_deep_nesting_refused);
  g_test_add_func ("/config/errors/nul-bytes", test_nul_bytes_refused);
  g_test_add_func ("/config/errors/types", test_type_errors);
  g_test_add_func ("/config/errors/missing-file", test_missing_file);
  g_test_add_func ("/config/writer/untouched", test_untouched_text_is_kept);
  g_test_add_func ("/config/writer/round-trip", test_round_trip);
  g_test_add_func ("/config/writer/tricky-strings", test_tricky_strings_round_trip);
  g_test_add_func ("/config/writer/one-key-one-line", test_one_key_changed_one_line_changed);
  g_test_add_func ("/config/writer/trailing-comment", test_changed_key_keeps_trailing_comment);
  g_test_add_func ("/config/writer/multiline-list", test_multiline_list_stays_multiline);
  g_test_add_func ("/config/writer/append", test_new_key_appended);
  g_test_add_func ("/config/writer/remove", test_remove_key);
  g_test_add_func ("/config/writer/crlf", test_crlf_line_endings_kept);
  g_test_add_func ("/config/writer/save", test_save_is_atomic_and_private);
  g_test_add_func ("/config/robustness/mangled-files", test_mangled_files);
  g_test_add_func ("/config/robustness/fuzzer-findings", test_fuzzer_findings);
  g_test_add_func ("/config/python/refused", test_python_refused);
  g_test_add_func ("/config/python/partial", test_python_partial);
  g_test_add_func ("/config/xl/round-trip", test_xl_round_trip);

  return g_test_run ();
}
