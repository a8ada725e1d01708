/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The create assistant's .cfg text, read back by domusd's own parser and validator. */

#include <string.h>
#include <glib.h>

#include "hv-config.h"
#include "hv-domain-spec.h"
#include "domus-cfg-builder.h"
#include "domus-domain-name.h"

/* The built text, checked by hvcore exactly as domain.create checks it (except that the
 * files it names need not exist here). */
static HvDomainSpec *
build_and_read (const DomusCfgChoices *choices,
                char                 **text_out)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *text = domus_cfg_build (choices, &error);
  g_autoptr(HvConfig) config = NULL;
  HvDomainSpec *spec;

  g_assert_no_error (error);
  g_assert_nonnull (text);
  g_test_message ("built:\n%s", text);
  config = hv_config_new_from_data (text, -1, "new.cfg", &error);
  g_assert_no_error (error);
  spec = hv_domain_spec_new (config, HV_DOMAIN_SPEC_FLAGS_NONE, &error);
  g_assert_no_error (error);
  g_assert_nonnull (spec);
  if (text_out != NULL)
    *text_out = g_steal_pointer (&text);
  return spec;
}

static void
test_kernel_boot (void)
{
  DomusCfgChoices choices = {
    .name = "guest-1.test_a",
    .memory_mib = 128,
    .vcpus = 2,
    .kind = DOMUS_CFG_KIND_KERNEL,
    .kernel = "/srv/guest/vmlinuz",
    .ramdisk = "/srv/guest/initrd.img",
    .extra = "quiet loglevel=3",
    .network = DOMUS_CFG_NETWORK_USER,
    .vnc = TRUE,
  };
  g_autoptr(HvDomainSpec) spec = build_and_read (&choices, NULL);
  HvVifSpec *vif;

  g_assert_cmpstr (spec->name, ==, "guest-1.test_a");
  g_assert_cmpint (spec->memory_mib, ==, 128);
  g_assert_cmpint (spec->vcpus, ==, 2);
  g_assert_cmpint (spec->builder, ==, HV_DOMAIN_BUILDER_LINUX);
  g_assert_cmpint (spec->boot_method, ==, HV_DOMAIN_BOOT_KERNEL);
  g_assert_cmpstr (spec->kernel, ==, "/srv/guest/vmlinuz");
  g_assert_cmpstr (spec->ramdisk, ==, "/srv/guest/initrd.img");
  g_assert_nonnull (strstr (spec->cmdline, "quiet loglevel=3"));
  g_assert_cmpuint (spec->disks->len, ==, 0);
  g_assert_cmpuint (spec->vifs->len, ==, 1);
  vif = g_ptr_array_index (spec->vifs, 0);
  g_assert_null (vif->bridge);
  g_assert_true (spec->vnc);
}

static void
test_kernel_boot_minimal (void)
{
  /* No ramdisk, no command line, no network, no screen: each is left out, not written empty. */
  DomusCfgChoices choices = {
    .name = "k",
    .memory_mib = 64,
    .vcpus = 1,
    .kind = DOMUS_CFG_KIND_KERNEL,
    .kernel = "/boot/vmlinuz",
    .ramdisk = "",
    .network = DOMUS_CFG_NETWORK_NONE,
    .vnc = FALSE,
  };
  g_autofree char *text = NULL;
  g_autoptr(HvDomainSpec) spec = build_and_read (&choices, &text);

  g_assert_null (strstr (text, "ramdisk"));
  g_assert_null (strstr (text, "extra"));
  g_assert_null (strstr (text, "vif"));
  g_assert_null (spec->ramdisk);
  g_assert_cmpuint (spec->vifs->len, ==, 0);
  g_assert_false (spec->vnc);
}

static void
test_kernel_boot_with_disk (void)
{
  DomusCfgChoices choices = {
    .name = "kd",
    .memory_mib = 256,
    .vcpus = 1,
    .kind = DOMUS_CFG_KIND_KERNEL,
    .kernel = "/boot/vmlinuz",
    .disk_path = "/images/kd.qcow2",
    .disk_format = "qcow2",
    .network = DOMUS_CFG_NETWORK_USER,
    .vnc = TRUE,
  };
  g_autoptr(HvDomainSpec) spec = build_and_read (&choices, NULL);
  HvDiskSpec *disk;

  g_assert_cmpuint (spec->disks->len, ==, 1);
  disk = g_ptr_array_index (spec->disks, 0);
  g_assert_cmpstr (disk->path, ==, "/images/kd.qcow2");
  g_assert_cmpstr (disk->format, ==, "qcow2");
  g_assert_cmpint (disk->bus, ==, HV_DISK_BUS_VIRTIO);
  g_assert_false (disk->readonly);
  g_assert_false (disk->cdrom);
}

static void
test_iso_install (void)
{
  DomusCfgChoices choices = {
    .name = "installer",
    .memory_mib = 2048,
    .vcpus = 4,
    .kind = DOMUS_CFG_KIND_ISO,
    .iso_path = "/var/lib/domus/images/debian-12.iso",
    .disk_path = "/var/lib/domus/images/installer.qcow2",
    .disk_format = "qcow2",
    .network = DOMUS_CFG_NETWORK_BRIDGE,
    .bridge = "br0",
    .vnc = TRUE,
  };
  g_autoptr(HvDomainSpec) spec = build_and_read (&choices, NULL);
  HvDiskSpec *disk, *cdrom;
  HvVifSpec *vif;

  g_assert_cmpint (spec->builder, ==, HV_DOMAIN_BUILDER_HVM);
  g_assert_cmpint (spec->boot_method, ==, HV_DOMAIN_BOOT_FIRMWARE);
  g_assert_cmpstr (spec->boot_order, ==, "dc");
  g_assert_null (spec->kernel);
  g_assert_cmpuint (spec->disks->len, ==, 2);
  disk = g_ptr_array_index (spec->disks, 0);
  cdrom = g_ptr_array_index (spec->disks, 1);
  g_assert_cmpstr (disk->path, ==, "/var/lib/domus/images/installer.qcow2");
  g_assert_cmpstr (disk->format, ==, "qcow2");
  g_assert_cmpint (disk->bus, ==, HV_DISK_BUS_IDE);
  g_assert_cmpint (disk->ide_index, ==, 0);
  g_assert_false (disk->readonly);
  g_assert_true (cdrom->cdrom);
  g_assert_true (cdrom->readonly);
  g_assert_cmpstr (cdrom->path, ==, "/var/lib/domus/images/debian-12.iso");
  g_assert_cmpint (cdrom->ide_index, ==, 2);
  g_assert_cmpuint (spec->vifs->len, ==, 1);
  vif = g_ptr_array_index (spec->vifs, 0);
  g_assert_cmpstr (vif->bridge, ==, "br0");
  g_assert_true (spec->vnc);
}

static void
test_iso_without_disk (void)
{
  /* A live CD: nothing to boot but the CD. */
  DomusCfgChoices choices = {
    .name = "live",
    .memory_mib = 512,
    .vcpus = 1,
    .kind = DOMUS_CFG_KIND_ISO,
    .iso_path = "/isos/live.iso",
    .network = DOMUS_CFG_NETWORK_USER,
    .vnc = TRUE,
  };
  g_autoptr(HvDomainSpec) spec = build_and_read (&choices, NULL);

  g_assert_cmpstr (spec->boot_order, ==, "d");
  g_assert_cmpuint (spec->disks->len, ==, 1);
  g_assert_true (((HvDiskSpec *) g_ptr_array_index (spec->disks, 0))->cdrom);
}

static void
test_existing_disk (void)
{
  DomusCfgChoices choices = {
    .name = "old",
    .memory_mib = 512,
    .vcpus = 1,
    .kind = DOMUS_CFG_KIND_DISK,
    .disk_path = "/images/old.img",
    .disk_format = "raw",
    .network = DOMUS_CFG_NETWORK_NONE,
    .vnc = FALSE,
  };
  g_autoptr(HvDomainSpec) spec = build_and_read (&choices, NULL);
  HvDiskSpec *disk;

  g_assert_cmpint (spec->boot_method, ==, HV_DOMAIN_BOOT_FIRMWARE);
  g_assert_cmpstr (spec->boot_order, ==, "c");
  g_assert_cmpuint (spec->disks->len, ==, 1);
  disk = g_ptr_array_index (spec->disks, 0);
  /* Named raw explicitly: the daemon must not guess from the guest-writable first sector. */
  g_assert_cmpstr (disk->format, ==, "raw");
  g_assert_cmpuint (spec->vifs->len, ==, 0);
  g_assert_false (spec->vnc);
}

static void
test_escaping (void)
{
  /* Quotes, backslashes, spaces, tabs, newlines and UTF-8 come back from the parser as given. */
  const char *kernel = "/srv/it's a \\dir\\/vmlin\"uz";
  const char *ramdisk = "/srv/ñandú/initrd #1.img";
  const char *extra = "init=/bin/sh\tfoo='bar baz' \"q\" x\\y\nz\x01";
  DomusCfgChoices choices = {
    .name = "esc",
    .memory_mib = 128,
    .vcpus = 1,
    .kind = DOMUS_CFG_KIND_KERNEL,
    .kernel = kernel,
    .ramdisk = ramdisk,
    .extra = extra,
    .network = DOMUS_CFG_NETWORK_USER,
    .vnc = TRUE,
  };
  g_autoptr(GError) error = NULL;
  g_autofree char *text = domus_cfg_build (&choices, &error);
  g_autoptr(HvConfig) config = NULL;
  const char *value = NULL;
  g_auto(GStrv) lines = NULL;

  g_assert_no_error (error);
  /* Every value stays on its own line: a newline in a value cannot start a new key. */
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    g_assert_true (lines[i][0] == '\0' || lines[i][0] == '#' ||
                   g_regex_match_simple ("^[a-z_]+ = ", lines[i], 0, 0));

  config = hv_config_new_from_data (text, -1, "esc.cfg", &error);
  g_assert_no_error (error);
  g_assert_true (hv_config_get_string (config, "kernel", NULL, &value, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (value, ==, kernel);
  g_assert_true (hv_config_get_string (config, "ramdisk", NULL, &value, &error));
  g_assert_cmpstr (value, ==, ramdisk);
  g_assert_true (hv_config_get_string (config, "extra", NULL, &value, &error));
  g_assert_cmpstr (value, ==, extra);
}

static void
test_quote (void)
{
  struct { const char *in, *out; } cases[] = {
    { "", "''" },
    { "plain", "'plain'" },
    { "it's", "'it\\'s'" },
    { "a\\b", "'a\\\\b'" },
    { "\"", "'\"'" },
    { "l1\nl2", "'l1\\nl2'" },
    { "\x1b[0m", "'\\x1b[0m'" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *quoted = domus_cfg_quote (cases[i].in);

      g_assert_cmpstr (quoted, ==, cases[i].out);
    }
}

static void
test_names (void)
{
  const char *names[] = {
    "a", "A9", "web-01", "db_2.example", "9lives", "-x", ".hidden", "", "a b", "a/b",
    "caf\xc3\xa9", "x\n", "semi;colon",
    "a123456789012345678901234567890123456789012345678901234567890123",
    "a1234567890123456789012345678901234567890123456789012345678901234",
    "2", "007", "Domain-0", "2a",
  };
  const gboolean valid[] = {
    TRUE, TRUE, TRUE, TRUE, TRUE, FALSE, FALSE, FALSE, FALSE, FALSE,
    FALSE, FALSE, FALSE,
    TRUE,   /* 64 bytes */
    FALSE,  /* 65 bytes */
    FALSE, FALSE, FALSE, TRUE,
  };

  G_STATIC_ASSERT (G_N_ELEMENTS (names) == G_N_ELEMENTS (valid));
  g_assert_false (domus_domain_name_is_valid (NULL));
  /* The builder and the daemon's config reader both use common/'s rule: both agree with the table. */
  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    {
      DomusCfgChoices choices = { .name = names[i], .memory_mib = 64, .vcpus = 1,
                                  .kind = DOMUS_CFG_KIND_KERNEL, .kernel = "/k" };
      g_autoptr(GError) error = NULL;
      g_autofree char *text = NULL;
      gboolean expected = valid[i];

      g_test_message ("name %s", names[i]);
      g_assert_cmpint (domus_domain_name_is_valid (names[i]), ==, expected);
      g_assert_cmpint (hv_domain_name_is_valid (names[i]), ==, expected);
      text = domus_cfg_build (&choices, &error);
      g_assert_cmpint (text != NULL, ==, expected);
      if (!expected)
        g_assert_error (error, DOMUS_CFG_ERROR, DOMUS_CFG_ERROR_NAME);
    }
}

/* Issue 13: a domain named 2 was destroyed by `domusctl destroy 2` meant for id 2. */
static void
test_all_digit_name (void)
{
  DomusCfgChoices choices = { .name = "2", .memory_mib = 64, .vcpus = 1,
                              .kind = DOMUS_CFG_KIND_KERNEL, .kernel = "/k" };
  g_autoptr(GError) error = NULL;
  g_autofree char *text = domus_cfg_build (&choices, &error);

  g_assert_null (text);
  g_assert_error (error, DOMUS_CFG_ERROR, DOMUS_CFG_ERROR_NAME);
  g_assert_nonnull (strstr (error->message, "digits only"));
  g_assert_nonnull (strstr (error->message, "vm2"));
}

static void
expect_error (const DomusCfgChoices *choices,
              DomusCfgError          code)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *text = domus_cfg_build (choices, &error);

  g_assert_null (text);
  g_assert_error (error, DOMUS_CFG_ERROR, (int) code);
  g_assert_cmpstr (error->message, !=, "");
}

static void
test_errors (void)
{
  const DomusCfgChoices good = {
    .name = "ok",
    .memory_mib = 128,
    .vcpus = 1,
    .kind = DOMUS_CFG_KIND_KERNEL,
    .kernel = "/boot/vmlinuz",
    .network = DOMUS_CFG_NETWORK_USER,
    .vnc = TRUE,
  };
  DomusCfgChoices c;
  g_autofree char *text = NULL;

  text = domus_cfg_build (&good, NULL);
  g_assert_nonnull (text);

  c = good; c.name = "bad name";
  expect_error (&c, DOMUS_CFG_ERROR_NAME);
  c = good; c.name = NULL;
  expect_error (&c, DOMUS_CFG_ERROR_NAME);
  c = good; c.memory_mib = 0;
  expect_error (&c, DOMUS_CFG_ERROR_MEMORY);
  c = good; c.vcpus = 0;
  expect_error (&c, DOMUS_CFG_ERROR_VCPUS);
  c = good; c.vcpus = 256;
  expect_error (&c, DOMUS_CFG_ERROR_VCPUS);
  c = good; c.kernel = "";
  expect_error (&c, DOMUS_CFG_ERROR_SOURCE);
  c = good; c.kernel = "vmlinuz";
  expect_error (&c, DOMUS_CFG_ERROR_SOURCE);
  c = good; c.ramdisk = "relative/initrd";
  expect_error (&c, DOMUS_CFG_ERROR_SOURCE);
  c = good; c.extra = "bad \xff utf-8";
  expect_error (&c, DOMUS_CFG_ERROR_SOURCE);
  c = good; c.kind = DOMUS_CFG_KIND_ISO; c.iso_path = NULL;
  expect_error (&c, DOMUS_CFG_ERROR_SOURCE);
  /* A comma would split the disk entry into fields the daemon reads differently. */
  c = good; c.kind = DOMUS_CFG_KIND_ISO; c.iso_path = "/isos/a,b.iso";
  expect_error (&c, DOMUS_CFG_ERROR_SOURCE);
  c = good; c.kind = DOMUS_CFG_KIND_DISK;
  expect_error (&c, DOMUS_CFG_ERROR_DISK);
  c = good; c.disk_path = "/images/x,hdb,w.img";
  expect_error (&c, DOMUS_CFG_ERROR_DISK);
  c = good; c.network = DOMUS_CFG_NETWORK_BRIDGE; c.bridge = "";
  expect_error (&c, DOMUS_CFG_ERROR_NETWORK);
  c = good; c.network = DOMUS_CFG_NETWORK_BRIDGE; c.bridge = "br0,mac=00:00:00:00:00:01";
  expect_error (&c, DOMUS_CFG_ERROR_NETWORK);
  c = good; c.network = DOMUS_CFG_NETWORK_BRIDGE; c.bridge = "a-very-long-bridge-name";
  expect_error (&c, DOMUS_CFG_ERROR_NETWORK);
  /* A named (libvirt) network: no .cfg can say it, with or without its name. */
  c = good; c.network = DOMUS_CFG_NETWORK_NAMED; c.network_name = "default";
  expect_error (&c, DOMUS_CFG_ERROR_NETWORK);
  c = good; c.network = DOMUS_CFG_NETWORK_NAMED;
  expect_error (&c, DOMUS_CFG_ERROR_NETWORK);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/cfg-builder/kernel-boot", test_kernel_boot);
  g_test_add_func ("/cfg-builder/kernel-boot-minimal", test_kernel_boot_minimal);
  g_test_add_func ("/cfg-builder/kernel-boot-with-disk", test_kernel_boot_with_disk);
  g_test_add_func ("/cfg-builder/iso-install", test_iso_install);
  g_test_add_func ("/cfg-builder/iso-without-disk", test_iso_without_disk);
  g_test_add_func ("/cfg-builder/existing-disk", test_existing_disk);
  g_test_add_func ("/cfg-builder/escaping", test_escaping);
  g_test_add_func ("/cfg-builder/quote", test_quote);
  g_test_add_func ("/cfg-builder/names", test_names);
  g_test_add_func ("/cfg-builder/all-digit-name", test_all_digit_name);
  g_test_add_func ("/cfg-builder/errors", test_errors);
  return g_test_run ();
}
