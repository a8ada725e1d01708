/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Unit tests for HvDomainSpec: every xm key it reads, every error it reports. */

#include <string.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "hv-defined.h"
#include "hv-domain-spec.h"
#include "test-util.h"

static HvDomainSpec *
spec_from_text (const char         *text,
                HvDomainSpecFlags   flags,
                GError            **error)
{
  g_autoptr(HvConfig) config = NULL;
  g_autoptr(GError) parse_error = NULL;

  config = hv_config_new_from_data (text, -1, "guest.cfg", &parse_error);
  g_assert_no_error (parse_error);
  return hv_domain_spec_new (config, flags, error);
}

/* A config that must translate; fails the test otherwise. */
static HvDomainSpec *
spec_ok (const char *text)
{
  return test_spec_from_text (text);
}

/* A config that must fail with `code` and a message starting with `prefix`. */
static void
assert_error (const char   *text,
              HvConfigError code,
              const char   *expected)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HvDomainSpec) spec = spec_from_text (text, HV_DOMAIN_SPEC_FLAGS_NONE, &error);

  g_assert_null (spec);
  g_assert_error (error, HV_CONFIG_ERROR, (int) code);
  if (!g_str_has_prefix (error->message, expected))
    g_error ("message \"%s\" does not start with \"%s\"", error->message, expected);
}

static gboolean
has_notice (const HvDomainSpec *spec,
            const char         *prefix,
            const char         *part)
{
  for (guint i = 0; i < spec->notices->len; i++)
    {
      const char *text = g_ptr_array_index (spec->notices, i);

      if (g_str_has_prefix (text, prefix) && (part == NULL || strstr (text, part) != NULL))
        return TRUE;
    }
  return FALSE;
}

static HvDiskSpec *
disk_at (const HvDomainSpec *spec,
         guint               i)
{
  g_assert_cmpuint (i, <, spec->disks->len);
  return g_ptr_array_index (spec->disks, i);
}

static HvVifSpec *
vif_at (const HvDomainSpec *spec,
        guint               i)
{
  g_assert_cmpuint (i, <, spec->vifs->len);
  return g_ptr_array_index (spec->vifs, i);
}

#define PV "name = 'g'\nkernel = '/boot/k'\n"
#define HVM "name = 'g'\nbuilder = 'hvm'\n"

/* ------------------------------------------------------------------------- */

static void
test_listing1 (void)
{
  g_autoptr(HvDomainSpec) spec = test_spec_from_file ("listing1.cfg");
  HvDiskSpec *disk;
  HvVifSpec *vif;

  g_assert_cmpstr (spec->name, ==, "debian1");
  g_assert_cmpint (spec->memory_mib, ==, 512);
  g_assert_cmpint (spec->vcpus, ==, 1);
  g_assert_cmpint (spec->builder, ==, HV_DOMAIN_BUILDER_LINUX);
  g_assert_cmpint (spec->boot_method, ==, HV_DOMAIN_BOOT_KERNEL);
  g_assert_cmpstr (spec->kernel, ==, "/boot/vmlinuz-2.6.18-3-xen-686");
  g_assert_cmpstr (spec->ramdisk, ==, "/boot/initrd.img-2.6.18-3-xen-686");
  g_assert_cmpstr (spec->cmdline, ==, "root=/dev/hda1 console=tty0 console=ttyS0");

  g_assert_cmpuint (spec->disks->len, ==, 3);
  disk = disk_at (spec, 0);
  g_assert_cmpstr (disk->backend, ==, "phy");
  g_assert_cmpstr (disk->path, ==, "/dev/hda3");
  g_assert_cmpstr (disk->device, ==, "hda1");
  g_assert_cmpstr (disk->format, ==, "raw");
  g_assert_cmpint (disk->bus, ==, HV_DISK_BUS_VIRTIO);
  g_assert_false (disk->readonly);
  g_assert_false (disk->cdrom);
  disk = disk_at (spec, 1);
  g_assert_cmpstr (disk->path, ==, "/dev/hda5");
  g_assert_cmpint (disk->bus, ==, HV_DISK_BUS_VIRTIO);
  /* The cdrom key: a CD-ROM drive on hdc. */
  disk = disk_at (spec, 2);
  g_assert_cmpuint (disk->number, ==, 0);
  g_assert_cmpstr (disk->path, ==, "/dev/cdrom");
  g_assert_true (disk->cdrom);
  g_assert_true (disk->readonly);
  g_assert_cmpint (disk->bus, ==, HV_DISK_BUS_IDE);
  g_assert_cmpint (disk->ide_index, ==, 2);

  g_assert_cmpuint (spec->vifs->len, ==, 1);
  vif = vif_at (spec, 0);
  g_assert_cmpstr (vif->mac, ==, "aa:00:00:12:23:34");
  g_assert_false (vif->mac_generated);
  g_assert_cmpstr (vif->bridge, ==, "bridge0");
  g_assert_cmpstr (vif->model, ==, "virtio-net-pci");

  g_assert_false (spec->vnc);
  g_assert_true (spec->acpi);
  /* Lenient: the Xen kernel of 2006 is not on this machine, which is a notice. */
  g_assert_true (has_notice (spec, "kernel: ", "does not exist"));
  g_assert_true (has_notice (spec, "root: ", "/dev/vda"));
}

static void
test_listing4 (void)
{
  g_autoptr(HvDomainSpec) spec = test_spec_from_file ("listing4.cfg");
  HvDiskSpec *disk;
  HvVifSpec *vif;

  g_assert_cmpstr (spec->name, ==, "windows");
  g_assert_cmpint (spec->memory_mib, ==, 512);
  g_assert_cmpint (spec->builder, ==, HV_DOMAIN_BUILDER_HVM);
  g_assert_cmpint (spec->boot_method, ==, HV_DOMAIN_BOOT_FIRMWARE);
  g_assert_null (spec->kernel);
  g_assert_cmpstr (spec->boot_order, ==, "d");

  g_assert_cmpuint (spec->disks->len, ==, 2);
  disk = disk_at (spec, 0);
  g_assert_cmpstr (disk->device, ==, "hda");
  g_assert_cmpint (disk->bus, ==, HV_DISK_BUS_IDE);
  g_assert_cmpint (disk->ide_index, ==, 0);
  g_assert_false (disk->cdrom);
  disk = disk_at (spec, 1);
  g_assert_cmpstr (disk->backend, ==, "file");
  g_assert_cmpstr (disk->path, ==, "/root/wincd.iso");
  g_assert_cmpstr (disk->device, ==, "hdc");
  g_assert_true (disk->cdrom);
  g_assert_true (disk->readonly);
  g_assert_cmpint (disk->ide_index, ==, 2);

  vif = vif_at (spec, 0);
  g_assert_true (vif->mac_generated);
  g_assert_true (g_str_has_prefix (vif->mac, "00:16:3e:"));
  g_assert_cmpstr (vif->bridge, ==, "xenbr0");
  g_assert_cmpstr (vif->model, ==, "e1000");

  g_assert_true (spec->vnc);
  g_assert_true (has_notice (spec, "device_model: ", NULL));
  g_assert_true (has_notice (spec, "kernel: ", "hvmloader"));
  g_assert_true (has_notice (spec, "vncviewer: ", NULL));
  g_assert_true (has_notice (spec, "vif: ", "vif 0 has no mac: a stable one is generated at first start and written back to the file"));
}

static void
test_admin_files (void)
{
  g_autoptr(HvDomainSpec) pv = test_spec_from_file ("tr-pv-admin.cfg");
  g_autoptr(HvDomainSpec) hvm = test_spec_from_file ("tr-hvm-admin.cfg");
  g_autoptr(HvDomainSpec) grub = test_spec_from_file ("tr-pygrub.cfg");

  g_assert_cmpstr (pv->uuid, ==, "6c0a9f1e-2b3d-4e5f-8a9b-0c1d2e3f4a5b");
  g_assert_cmpstr (pv->cmdline, ==, "root=/dev/xvda1 ro console=hvc0 xencons=tty");
  g_assert_true (has_notice (pv, "extra: ", "ttyS0"));
  g_assert_cmpstr (disk_at (pv, 0)->path, ==, "/dev/vg0/mail01-root");
  g_assert_cmpstr (disk_at (pv, 1)->format, ==, "qcow2");
  g_assert_true (disk_at (pv, 2)->shared);
  g_assert_cmpstr (vif_at (pv, 0)->mac, ==, "00:16:3e:0a:0b:0c");
  g_assert_true (has_notice (pv, "vif: ", "vifname=mail01.0"));
  g_assert_true (has_notice (pv, "vif: ", "script=vif-bridge"));
  g_assert_true (pv->vnc);
  g_assert_true (has_notice (pv, "vnclisten: ", "0.0.0.0"));
  g_assert_true (has_notice (pv, "serial: ", NULL));
  g_assert_true (has_notice (pv, "pae: ", NULL));
  g_assert_true (has_notice (pv, "apic: ", NULL));
  g_assert_true (has_notice (pv, "cpus: ", NULL));
  g_assert_cmpint (pv->on_poweroff, ==, HV_DOMAIN_ACTION_DESTROY);
  g_assert_cmpint (pv->on_reboot, ==, HV_DOMAIN_ACTION_RESTART);
  g_assert_cmpint (pv->on_crash, ==, HV_DOMAIN_ACTION_PRESERVE);
  g_assert_true (pv->acpi);
  g_assert_false (pv->localtime);

  g_assert_cmpstr (hvm->boot_order, ==, "dc");
  g_assert_false (hvm->acpi);
  g_assert_true (hvm->localtime);
  g_assert_cmpstr (hvm->usb_devices[0], ==, "usb-tablet");
  g_assert_cmpstr (vif_at (hvm, 0)->model, ==, "rtl8139");
  g_assert_true (disk_at (hvm, 1)->cdrom);
  g_assert_cmpint (disk_at (hvm, 1)->ide_index, ==, 2);
  g_assert_true (has_notice (hvm, "sdl: ", NULL));
  g_assert_true (has_notice (hvm, "vnclisten: ", NULL));
  g_assert_cmpint (hvm->on_poweroff, ==, HV_DOMAIN_ACTION_PRESERVE);
  g_assert_cmpint (hvm->on_reboot, ==, HV_DOMAIN_ACTION_DESTROY);

  g_assert_cmpint (grub->boot_method, ==, HV_DOMAIN_BOOT_FIRMWARE);
  g_assert_cmpstr (grub->boot_order, ==, "c");
  g_assert_true (has_notice (grub, "bootloader: ", "first disk"));
  g_assert_true (has_notice (grub, "on_xend_start: ", NULL));
  g_assert_true (vif_at (grub, 0)->mac_generated);
}

/* ------------------------------------------------------------------------- */
/* Identity and size                                                          */

static void
test_name (void)
{
  g_autoptr(HvDomainSpec) spec = spec_ok ("name = 'web-01.example_a'\nkernel = '/k'\n");

  g_assert_cmpstr (spec->name, ==, "web-01.example_a");
  assert_error ("kernel = '/k'\n", HV_CONFIG_ERROR_MISSING, "guest.cfg: name: missing");
  assert_error ("name = ''\nkernel = '/k'\n", HV_CONFIG_ERROR_MISSING, "guest.cfg:1:8: name: missing");
  assert_error ("name = 'a/b'\nkernel = '/k'\n", HV_CONFIG_ERROR_INVALID,
                "guest.cfg:1:8: name: “a/b” is not a valid domain name");
  assert_error ("name = '-x'\nkernel = '/k'\n", HV_CONFIG_ERROR_INVALID, "guest.cfg:1:8: name: ");
  assert_error ("name = 'a b'\nkernel = '/k'\n", HV_CONFIG_ERROR_INVALID, "guest.cfg:1:8: name: ");
  assert_error ("name = 5\nkernel = '/k'\n", HV_CONFIG_ERROR_TYPE, "guest.cfg:1:8: name: expected a string");
  assert_error ("name = '2'\nkernel = '/k'\n", HV_CONFIG_ERROR_INVALID,
                "guest.cfg:1:8: name: “2” is not a valid domain name: a name of digits only");
  assert_error ("name = 'Domain-0'\nkernel = '/k'\n", HV_CONFIG_ERROR_INVALID,
                "guest.cfg:1:8: name: “Domain-0” is the host’s own name");
  g_assert_true (hv_domain_name_is_valid ("debian1"));
  g_assert_false (hv_domain_name_is_valid ("42"));
  g_assert_false (hv_domain_name_is_valid (".hidden"));
  g_assert_false (hv_domain_name_is_valid ("a,b"));
}

static void
test_memory_vcpus (void)
{
  g_autoptr(HvDomainSpec) plain = spec_ok (PV);
  g_autoptr(HvDomainSpec) sized = spec_ok (PV "memory = '256'\nvcpus = 4\n");

  /* xm's default. */
  g_assert_cmpint (plain->memory_mib, ==, 128);
  g_assert_cmpint (plain->vcpus, ==, 1);
  g_assert_cmpint (sized->memory_mib, ==, 256);
  g_assert_cmpint (sized->vcpus, ==, 4);
  assert_error (PV "memory = \"lots\"\n", HV_CONFIG_ERROR_TYPE,
                "guest.cfg:3:10: memory: expected an integer (MiB), got \"lots\"");
  assert_error (PV "memory = 0\n", HV_CONFIG_ERROR_INVALID, "guest.cfg:3:10: memory: ");
  assert_error (PV "vcpus = 0\n", HV_CONFIG_ERROR_INVALID, "guest.cfg:3:9: vcpus: ");
  assert_error (PV "vcpus = 300\n", HV_CONFIG_ERROR_INVALID, "guest.cfg:3:9: vcpus: ");
}

static void
test_uuid (void)
{
  g_autoptr(HvDomainSpec) spec = spec_ok (PV "uuid = '4F1C2A3E-5D6B-4C7D-8E9F-0A1B2C3D4E5F'\n");
  g_autoptr(HvDomainSpec) none = spec_ok (PV);

  g_assert_cmpstr (spec->uuid, ==, "4f1c2a3e-5d6b-4c7d-8e9f-0a1b2c3d4e5f");
  g_assert_null (none->uuid);
  assert_error (PV "uuid = 'not-a-uuid'\n", HV_CONFIG_ERROR_INVALID, "guest.cfg:3:8: uuid: 'not-a-uuid'");
}

static void
test_tags (void)
{
  g_autoptr(HvDomainSpec) tagged = spec_ok (PV "tags = ['web', 'prod', 'web', 'área 51']\n");
  g_autoptr(HvDomainSpec) one = spec_ok (PV "tags = 'lab'\n");
  g_autoptr(HvDomainSpec) none = spec_ok (PV);

  /* Repeats go; order and non-ASCII stay. */
  g_assert_cmpuint (g_strv_length (tagged->tags), ==, 3);
  g_assert_cmpstr (tagged->tags[0], ==, "web");
  g_assert_cmpstr (tagged->tags[1], ==, "prod");
  g_assert_cmpstr (tagged->tags[2], ==, "área 51");
  g_assert_cmpstr (one->tags[0], ==, "lab");
  g_assert_nonnull (none->tags);
  g_assert_cmpuint (g_strv_length (none->tags), ==, 0);
  assert_error (PV "tags = ['a,b']\n", HV_CONFIG_ERROR_INVALID, "guest.cfg:3:8: tags: 'a,b' is not a tag");
  assert_error (PV "tags = ['']\n", HV_CONFIG_ERROR_INVALID, "guest.cfg:3:8: tags: '' is not a tag");
  assert_error (PV "tags = 3\n", HV_CONFIG_ERROR_TYPE, "guest.cfg:3:8: tags: ");
}

/* ------------------------------------------------------------------------- */
/* Boot                                                                       */

static void
test_kernel_command_line (void)
{
  g_autoptr(HvDomainSpec) bare = spec_ok (PV);
  g_autoptr(HvDomainSpec) both = spec_ok (PV "root = '/dev/xvda1 ro'\nextra = 'quiet  '\n");
  g_autoptr(HvDomainSpec) console = spec_ok (PV "root = '/dev/sda1'\nextra = 'console=ttyS0,115200'\n");

  g_assert_cmpstr (bare->cmdline, ==, "console=tty0 console=ttyS0");
  g_assert_cmpstr (both->cmdline, ==, "root=/dev/xvda1 ro quiet console=tty0 console=ttyS0");
  /* The file chose its console: nothing added. */
  g_assert_cmpstr (console->cmdline, ==, "root=/dev/sda1 console=ttyS0,115200");
  assert_error (PV "extra = 3\n", HV_CONFIG_ERROR_TYPE, "guest.cfg:3:9: extra: ");
}

static void
test_kernel_required (void)
{
  g_autoptr(HvDomainSpec) spec = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("domus-spec-XXXXXX", NULL);
  g_autofree char *kernel = g_build_filename (dir, "vmlinuz", NULL);
  g_autofree char *text = NULL;

  assert_error ("name = 'g'\n", HV_CONFIG_ERROR_MISSING, "guest.cfg: kernel: missing");

  /* Strict, as the daemon reads: a kernel that is not there is an error... */
  spec = spec_from_text (PV, HV_DOMAIN_SPEC_STRICT_FILES, &error);
  g_assert_null (spec);
  g_assert_error (error, HV_CONFIG_ERROR, HV_CONFIG_ERROR_INVALID);
  g_assert_cmpstr (error->message, ==, "guest.cfg:2:10: kernel: /boot/k does not exist");
  g_clear_error (&error);

  /* ...and one that is there is fine. */
  g_assert_true (g_file_set_contents (kernel, "not really a kernel", -1, NULL));
  text = g_strdup_printf ("name = 'g'\nkernel = '%s'\n", kernel);
  spec = spec_from_text (text, HV_DOMAIN_SPEC_STRICT_FILES, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (spec->kernel, ==, kernel);
  g_assert_cmpuint (spec->notices->len, ==, 0);

  g_unlink (kernel);
  g_rmdir (dir);
}

static void
test_relative_paths (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HvConfig) config =
    hv_config_new_from_data ("name = 'g'\nkernel = 'boot/vmlinuz'\nramdisk = '../initrd'\n"
                             "disk = [ 'file:disk.img,xvda,w', 'phy:sdb1,xvdb,w' ]\n",
                             -1, "/srv/domus/guest.cfg", &error);
  g_autoptr(HvDomainSpec) spec = NULL;

  g_assert_no_error (error);
  spec = hv_domain_spec_new (config, HV_DOMAIN_SPEC_FLAGS_NONE, &error);
  g_assert_no_error (error);
  /* Relative to the config's folder; phy: names are relative to /dev as in xm. */
  g_assert_cmpstr (spec->kernel, ==, "/srv/domus/boot/vmlinuz");
  g_assert_cmpstr (spec->ramdisk, ==, "/srv/initrd");
  g_assert_cmpstr (disk_at (spec, 0)->path, ==, "/srv/domus/disk.img");
  g_assert_cmpstr (disk_at (spec, 1)->path, ==, "/dev/sdb1");
}

static void
test_builder_and_boot (void)
{
  g_autoptr(HvDomainSpec) hvm = spec_ok (HVM);
  g_autoptr(HvDomainSpec) dc = spec_ok (HVM "boot = 'DC'\n");
  g_autoptr(HvDomainSpec) other_kernel = spec_ok (HVM "kernel = '/boot/vmlinuz'\nroot = '/dev/hda1'\n");
  g_autoptr(HvDomainSpec) pv_boot = spec_ok (PV "boot = 'c'\n");

  g_assert_cmpint (hvm->boot_method, ==, HV_DOMAIN_BOOT_FIRMWARE);
  /* xm's default for HVM guests: the disk. */
  g_assert_cmpstr (hvm->boot_order, ==, "c");
  g_assert_cmpstr (dc->boot_order, ==, "dc");
  g_assert_null (other_kernel->kernel);
  g_assert_true (has_notice (other_kernel, "kernel: ", "firmware"));
  g_assert_true (has_notice (other_kernel, "root: ", "firmware"));
  g_assert_true (has_notice (pv_boot, "boot: ", NULL));
  g_assert_null (pv_boot->boot_order);

  assert_error (HVM "boot = 'x'\n", HV_CONFIG_ERROR_INVALID,
                "guest.cfg:3:8: boot: 'x' in 'x' is not a boot device");
  /* The whole character: its first byte alone would make the message invalid UTF-8. */
  assert_error (HVM "boot = 'cé'\n", HV_CONFIG_ERROR_INVALID,
                "guest.cfg:3:8: boot: 'é' in 'cé' is not a boot device");
  assert_error (HVM "boot = 'cdc'\n", HV_CONFIG_ERROR_INVALID, "guest.cfg:3:8: boot: 'c' appears twice");
  assert_error (HVM "boot = ''\n", HV_CONFIG_ERROR_INVALID, "guest.cfg:3:8: boot: empty");
  assert_error ("name = 'g'\nbuilder = 'xen'\n", HV_CONFIG_ERROR_INVALID,
                "guest.cfg:2:11: builder: 'xen' is neither");
}

/* ------------------------------------------------------------------------- */
/* Disks                                                                      */

static void
test_disk_modes (void)
{
  g_autoptr(HvDomainSpec) spec =
    spec_ok (PV "disk = [ 'phy:/dev/a,xvda,w', 'phy:/dev/b,xvdb,r', 'phy:/dev/c,xvdc,w!' ]\n");

  g_assert_false (disk_at (spec, 0)->readonly);
  g_assert_false (disk_at (spec, 0)->shared);
  g_assert_true (disk_at (spec, 1)->readonly);
  g_assert_false (disk_at (spec, 2)->readonly);
  g_assert_true (disk_at (spec, 2)->shared);
  assert_error (PV "disk = [ 'phy:/dev/a,xvda,wr' ]\n", HV_CONFIG_ERROR_INVALID,
                "guest.cfg:3:8: disk: entry 1 'phy:/dev/a,xvda,wr': mode 'wr' is not r, w or w!");
}

static void
test_disk_backends (void)
{
  g_autoptr(HvDomainSpec) spec =
    spec_ok (PV "disk = [ 'tap:aio:/a.img,xvda,w', 'tap:qcow:/b.qcow,xvdb,w', "
             "'tap:qcow2:/c.qcow2,xvdc,w', 'file:/d.img,xvdd,w' ]\n");

  g_assert_cmpstr (disk_at (spec, 0)->backend, ==, "tap:aio");
  g_assert_cmpstr (disk_at (spec, 0)->format, ==, "raw");
  g_assert_cmpstr (disk_at (spec, 1)->format, ==, "qcow");
  g_assert_cmpstr (disk_at (spec, 2)->format, ==, "qcow2");
  g_assert_cmpstr (disk_at (spec, 2)->path, ==, "/c.qcow2");
  /* file: is raw, whatever the file holds. */
  g_assert_cmpstr (disk_at (spec, 3)->format, ==, "raw");

  assert_error (PV "disk = [ 'nfs:/x,xvda,w' ]\n", HV_CONFIG_ERROR_INVALID,
                "guest.cfg:3:8: disk: entry 1 'nfs:/x,xvda,w': unknown backend 'nfs:'");
  assert_error (PV "disk = [ 'tap:vdi:/x,xvda,w' ]\n", HV_CONFIG_ERROR_INVALID,
                "guest.cfg:3:8: disk: entry 1 'tap:vdi:/x,xvda,w': unknown backend 'tap:vdi:'");
  assert_error (PV "disk = [ '/x.img,xvda,w' ]\n", HV_CONFIG_ERROR_INVALID,
                "guest.cfg:3:8: disk: entry 1 '/x.img,xvda,w': '/x.img' has no backend");
  assert_error (PV "disk = [ 'phy:/dev/sda,w' ]\n", HV_CONFIG_ERROR_INVALID,
                "guest.cfg:3:8: disk: entry 1 'phy:/dev/sda,w': expected backend:path,guest-device,mode");
  assert_error (PV "disk = [ 'phy:/dev/sdb,xvda,w', 'phy:/dev/sda,,w' ]\n", HV_CONFIG_ERROR_INVALID,
                "guest.cfg:3:8: disk: entry 2 'phy:/dev/sda,,w': missing guest device");
  assert_error (PV "disk = [ 'phy:/dev/sda,floppy,w' ]\n", HV_CONFIG_ERROR_INVALID,
                "guest.cfg:3:8: disk: entry 1 'phy:/dev/sda,floppy,w': unknown guest device 'floppy'");
  assert_error (PV "disk = [ 'file:,xvda,w' ]\n", HV_CONFIG_ERROR_INVALID,
                "guest.cfg:3:8: disk: entry 1 'file:,xvda,w': missing path");
  assert_error (PV "disk = 'phy:/dev/a,xvda,w'\nmemory = 1\ndisk = [ 1 ]\n", HV_CONFIG_ERROR_TYPE,
                "guest.cfg:5:8: disk: item 1: expected a string");
}

/* Issue 13: a format is never read from the image's content, only from the entry or the
 * image store's record beside the image. */
static void
test_disk_format_never_probed (void)
{
  g_autofree char *dir = g_dir_make_tmp ("domus-spec-XXXXXX", NULL);
  g_autofree char *records = g_build_filename (dir, ".domus-formats", NULL);
  g_autofree char *looks_qcow2 = g_build_filename (dir, "guest-written.img", NULL);
  g_autofree char *made = g_build_filename (dir, "made.qcow2", NULL);
  g_autofree char *made_record = g_build_filename (records, "made.qcow2", NULL);
  g_autofree char *text = NULL;
  g_autofree char *wrong = NULL;
  g_autoptr(HvDomainSpec) spec = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (g_file_set_contents (looks_qcow2, "QFI\xfb\0\0\0\3 and more", 16, NULL));
  g_assert_true (g_file_set_contents (made, "QFI\xfb\0\0\0\3 and more", 16, NULL));
  g_assert_cmpint (g_mkdir (records, 0700), ==, 0);
  g_assert_true (g_file_set_contents (made_record, "qcow2\n", -1, NULL));
  text = g_strdup_printf (PV "disk = [ 'file:%s,xvda,w', 'file:%s,xvdb,w', 'tap:qcow2:%s,xvdc,w', "
                          "'%s,,xvdd', 'qcow2:%s,xvde,w' ]\n", looks_qcow2, made, made, made, looks_qcow2);
  spec = spec_from_text (text, HV_DOMAIN_SPEC_FLAGS_NONE, &error);
  g_assert_no_error (error);
  /* A raw image a guest wrote a qcow2 header into stays raw. */
  g_assert_cmpstr (disk_at (spec, 0)->format, ==, "raw");
  /* An image the store made as qcow2 is qcow2, in xm's form and in xl's. */
  g_assert_cmpstr (disk_at (spec, 1)->format, ==, "qcow2");
  g_assert_cmpstr (disk_at (spec, 2)->format, ==, "qcow2");
  g_assert_cmpstr (disk_at (spec, 3)->format, ==, "qcow2");
  /* Outside the store's records, the entry's own word decides. */
  g_assert_cmpstr (disk_at (spec, 4)->format, ==, "qcow2");

  wrong = g_strdup_printf (PV "disk = [ 'tap:aio:%s,xvda,w' ]\n", made);
  g_clear_pointer (&spec, hv_domain_spec_free);
  spec = spec_from_text (wrong, HV_DOMAIN_SPEC_FLAGS_NONE, &error);
  g_assert_null (spec);
  g_assert_error (error, HV_CONFIG_ERROR, HV_CONFIG_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "the image store made"));
  g_assert_nonnull (strstr (error->message, "as a qcow2 image, not raw"));

  g_unlink (made_record);
  g_rmdir (records);
  g_unlink (looks_qcow2);
  g_unlink (made);
  g_rmdir (dir);
}

static void
test_disk_devices (void)
{
  g_autoptr(HvDomainSpec) hvm =
    spec_ok (HVM "disk = [ 'phy:/dev/a,ioemu:hdb,w', 'phy:/dev/b,xvda,w', 'phy:/dev/c,sda,w', "
             "'file:/d.iso,ioemu:hdd:cdrom,r', 'phy:/dev/e,hda1,w' ]\n");
  g_autoptr(HvDomainSpec) pv =
    spec_ok (PV "disk = [ 'phy:/dev/a,hda,w', 'phy:/dev/b,hda2,w', 'phy:/dev/c,xvda,w', 'phy:/dev/d,sdb,w' ]\n");

  g_assert_cmpint (disk_at (hvm, 0)->ide_index, ==, 1);
  g_assert_cmpstr (disk_at (hvm, 0)->device, ==, "hdb");
  /* An HVM guest's xvda was an emulated IDE disk. */
  g_assert_cmpint (disk_at (hvm, 1)->bus, ==, HV_DISK_BUS_IDE);
  g_assert_cmpint (disk_at (hvm, 1)->ide_index, ==, 0);
  g_assert_cmpint (disk_at (hvm, 2)->bus, ==, HV_DISK_BUS_VIRTIO);
  g_assert_true (disk_at (hvm, 3)->cdrom);
  g_assert_cmpint (disk_at (hvm, 3)->ide_index, ==, 3);
  g_assert_cmpint (disk_at (hvm, 4)->bus, ==, HV_DISK_BUS_VIRTIO);

  g_assert_cmpint (disk_at (pv, 0)->bus, ==, HV_DISK_BUS_IDE);
  g_assert_cmpint (disk_at (pv, 0)->ide_index, ==, 0);
  g_assert_cmpint (disk_at (pv, 1)->bus, ==, HV_DISK_BUS_VIRTIO);
  g_assert_cmpint (disk_at (pv, 2)->bus, ==, HV_DISK_BUS_VIRTIO);
  g_assert_cmpint (disk_at (pv, 2)->ide_index, ==, -1);
  g_assert_cmpint (disk_at (pv, 3)->bus, ==, HV_DISK_BUS_VIRTIO);

  assert_error (HVM "disk = [ 'phy:/dev/a,ioemu:hda,w', 'phy:/dev/b,xvda,w' ]\n", HV_CONFIG_ERROR_INVALID,
                "guest.cfg:3:8: disk: entry 1 'phy:/dev/a,ioemu:hda,w' and entry 2 'phy:/dev/b,xvda,w' "
                "both use IDE slot 0 (hda)");
  assert_error (PV "disk = [ 'phy:/dev/a,xvda,w', 'phy:/dev/b,xvda,w' ]\n", HV_CONFIG_ERROR_INVALID,
                "guest.cfg:3:8: disk: entry 1 'phy:/dev/a,xvda,w' and entry 2 'phy:/dev/b,xvda,w' "
                "both name guest device xvda");
}

static void
test_cdroms (void)
{
  g_autoptr(HvDomainSpec) iso = spec_ok (HVM "disk = [ 'file:/srv/Install.ISO,hdb,w' ]\n");
  g_autoptr(HvDomainSpec) empty = spec_ok (HVM "disk = [ ',hdc:cdrom,r', 'phy:,hdd:cdrom,r' ]\n");
  g_autoptr(HvDomainSpec) virtio_cd = spec_ok (PV "disk = [ 'file:/x.iso,xvdc:cdrom,r' ]\n");
  g_autoptr(HvDomainSpec) key = spec_ok (HVM "disk = [ 'phy:/dev/a,hdc,w' ]\ncdrom = '/srv/cd.iso'\n");
  g_autoptr(HvDomainSpec) no_cd = spec_ok (HVM "cdrom = ''\n");

  /* An ISO is a CD whatever the entry says. */
  g_assert_true (disk_at (iso, 0)->cdrom);
  g_assert_true (disk_at (iso, 0)->readonly);
  g_assert_cmpint (disk_at (iso, 0)->ide_index, ==, 1);
  g_assert_true (has_notice (iso, "disk: ", "CD-ROM"));

  g_assert_cmpstr (disk_at (empty, 0)->path, ==, "");
  g_assert_null (disk_at (empty, 0)->format);
  g_assert_true (disk_at (empty, 0)->cdrom);
  g_assert_cmpstr (disk_at (empty, 1)->path, ==, "");

  /* virtio has no removable media: the CD goes to IDE, hdc first. */
  g_assert_cmpint (disk_at (virtio_cd, 0)->bus, ==, HV_DISK_BUS_IDE);
  g_assert_cmpint (disk_at (virtio_cd, 0)->ide_index, ==, 2);

  /* hdc is taken: the cdrom key's drive goes to hdd. */
  g_assert_cmpuint (key->disks->len, ==, 2);
  g_assert_cmpint (disk_at (key, 1)->ide_index, ==, 3);
  g_assert_cmpstr (disk_at (key, 1)->device, ==, "hdd");
  g_assert_true (disk_at (key, 1)->cdrom);

  g_assert_cmpuint (no_cd->disks->len, ==, 0);

  assert_error (HVM "disk = [ 'phy:/a,hda,w', 'phy:/b,hdb,w', 'phy:/c,hdc,w', 'phy:/d,hdd,w' ]\n"
                "cdrom = '/dev/cdrom'\n", HV_CONFIG_ERROR_INVALID, "guest.cfg:4:9: cdrom: no IDE slot");
}

/* ------------------------------------------------------------------------- */
/* Network                                                                    */

static void
test_vifs (void)
{
  g_autoptr(HvDomainSpec) spec =
    spec_ok (PV "vif = [ 'mac=AA:00:00:12:23:34 , bridge = bridge0', 'type=ioemu, bridge=xenbr0, model=virtio', "
             "'', 'ip=10.0.0.2, script=vif-bridge, vifname=x, type=netfront, model=ne2k_pci' ]\n");
  g_autoptr(HvDomainSpec) hvm = spec_ok (HVM "vif = [ 'type=vif' ]\n");
  g_autoptr(HvDomainSpec) none = spec_ok (PV "vif = []\n");
  g_autoptr(HvDomainSpec) absent = spec_ok (PV);

  g_assert_cmpuint (spec->vifs->len, ==, 4);
  g_assert_cmpstr (vif_at (spec, 0)->mac, ==, "aa:00:00:12:23:34");
  g_assert_cmpstr (vif_at (spec, 0)->bridge, ==, "bridge0");
  g_assert_cmpstr (vif_at (spec, 0)->model, ==, "virtio-net-pci");
  g_assert_cmpstr (vif_at (spec, 1)->model, ==, "virtio-net-pci");
  g_assert_true (vif_at (spec, 1)->mac_generated);
  g_assert_true (vif_at (spec, 2)->mac_generated);
  g_assert_null (vif_at (spec, 2)->bridge);
  g_assert_cmpstr (vif_at (spec, 2)->mac, !=, vif_at (spec, 1)->mac);
  g_assert_cmpstr (vif_at (spec, 3)->model, ==, "ne2k_pci");
  g_assert_true (has_notice (spec, "vif: ", "vif 3: ip=10.0.0.2 ignored"));
  g_assert_true (has_notice (spec, "vif: ", "vif 3: script=vif-bridge ignored"));
  g_assert_true (has_notice (spec, "vif: ", "vif 3: vifname=x ignored"));
  g_assert_true (has_notice (spec, "vif: ", "vif 1 has no mac"));
  g_assert_false (has_notice (spec, "vif: ", "vif 0 has no mac"));

  g_assert_cmpstr (vif_at (hvm, 0)->model, ==, "e1000");
  g_assert_cmpuint (none->vifs->len, ==, 0);
  g_assert_cmpuint (absent->vifs->len, ==, 0);

  assert_error (PV "vif = [ 'mac=aa:00:00:12:23' ]\n", HV_CONFIG_ERROR_INVALID,
                "guest.cfg:3:7: vif: vif 0 'mac=aa:00:00:12:23': 'aa:00:00:12:23' is not a MAC address");
  assert_error (PV "vif = [ '', 'mac=zz:00:00:12:23:34' ]\n", HV_CONFIG_ERROR_INVALID,
                "guest.cfg:3:7: vif: vif 1 'mac=zz:00:00:12:23:34': ");
  /* Multicast. */
  assert_error (PV "vif = [ 'mac=01:00:5e:00:00:01' ]\n", HV_CONFIG_ERROR_INVALID, "guest.cfg:3:7: vif: vif 0 ");
  assert_error (PV "vif = [ 'type=bogus' ]\n", HV_CONFIG_ERROR_INVALID,
                "guest.cfg:3:7: vif: vif 0 'type=bogus': type 'bogus' is not ioemu");
  assert_error (PV "vif = [ 'model=3c905' ]\n", HV_CONFIG_ERROR_INVALID,
                "guest.cfg:3:7: vif: vif 0 'model=3c905': model '3c905' is not one of");
  assert_error (PV "vif = [ 'bridge' ]\n", HV_CONFIG_ERROR_INVALID,
                "guest.cfg:3:7: vif: vif 0 'bridge': 'bridge' is not key=value");
}

/* tb_size: Domus's key for TCG's translation cache, in MiB. */
static void
test_tb_size (void)
{
  g_autoptr(HvDomainSpec) absent = spec_ok (PV);
  g_autoptr(HvDomainSpec) zero = spec_ok (PV "tb_size = 0\n");
  g_autoptr(HvDomainSpec) set = spec_ok (PV "tb_size = '256'\n");

  g_assert_cmpint (absent->tb_size_mib, ==, -1);
  g_assert_cmpint (zero->tb_size_mib, ==, 0);
  g_assert_cmpint (set->tb_size_mib, ==, 256);
  assert_error (PV "tb_size = 5000\n", HV_CONFIG_ERROR_INVALID,
                "guest.cfg:3:11: tb_size: 5000 MiB is not from 0 (QEMU's default) to 4096");
  assert_error (PV "tb_size = -1\n", HV_CONFIG_ERROR_INVALID, "guest.cfg:3:11: tb_size: -1 MiB is not from 0");
  assert_error (PV "tb_size = 'big'\n", HV_CONFIG_ERROR_TYPE, "guest.cfg:3:11: tb_size: expected an integer (MiB)");
}

static HvPortForward *
forward_at (const HvDomainSpec *spec,
            guint               vif,
            guint               i)
{
  HvVifSpec *v = vif_at (spec, vif);

  g_assert_cmpuint (i, <, v->forwards->len);
  return g_ptr_array_index (v->forwards, i);
}

/* forward=, Domus's port forwards for user-mode networking. */
static void
test_vif_forwards (void)
{
  g_autoptr(HvDomainSpec) spec =
    spec_ok (PV "vif = [ 'mac=00:16:3e:00:00:01, forward=2222-22, forward=udp:5353-53', "
             "'forward=tcp:127.0.0.2:8080-:80, forward = tcp:192.168.1.5:8443-10.0.2.15:443' ]\n");
  g_autoptr(HvDomainSpec) none = spec_ok (PV "vif = [ 'mac=00:16:3e:00:00:01' ]\n");
  /* The same host port over UDP and TCP, or on two loopback addresses, is no clash. */
  g_autoptr(HvDomainSpec) apart = spec_ok (PV "vif = [ 'forward=2222-22, forward=udp:2222-22', "
                                           "'forward=127.0.0.2:2222-22' ]\n");
  HvPortForward *f;

  g_assert_cmpuint (vif_at (none, 0)->forwards->len, ==, 0);
  g_assert_cmpuint (vif_at (spec, 0)->forwards->len, ==, 2);
  f = forward_at (spec, 0, 0);
  g_assert_cmpint (f->protocol, ==, HV_PORT_FORWARD_TCP);
  g_assert_cmpstr (f->host_address, ==, "127.0.0.1");
  g_assert_cmpuint (f->host_port, ==, 2222);
  g_assert_null (f->guest_address);
  g_assert_cmpuint (f->guest_port, ==, 22);
  g_assert_true (hv_port_forward_is_loopback (f));
  f = forward_at (spec, 0, 1);
  g_assert_cmpint (f->protocol, ==, HV_PORT_FORWARD_UDP);
  g_assert_cmpuint (f->host_port, ==, 5353);
  f = forward_at (spec, 1, 0);
  g_assert_cmpstr (f->host_address, ==, "127.0.0.2");
  g_assert_cmpuint (f->guest_port, ==, 80);
  g_assert_true (hv_port_forward_is_loopback (f));
  f = forward_at (spec, 1, 1);
  g_assert_cmpstr (f->host_address, ==, "192.168.1.5");
  g_assert_cmpstr (f->guest_address, ==, "10.0.2.15");
  g_assert_cmpuint (f->guest_port, ==, 443);
  /* Read, not judged: whether the daemon allows that address is decided when it starts. */
  g_assert_false (hv_port_forward_is_loopback (f));
  g_assert_false (has_notice (spec, "vif: ", "forward"));
  g_assert_cmpuint (vif_at (apart, 0)->forwards->len, ==, 2);

  /* Each bad one names the key, the vif, its entry and the item. */
  assert_error (PV "vif = [ 'forward=2222-99999' ]\n", HV_CONFIG_ERROR_INVALID,
                "guest.cfg:3:7: vif: vif 0 'forward=2222-99999': forward=2222-99999: guest port “99999” is not a number from 1 to 65535");
  assert_error (PV "vif = [ 'mac=00:16:3e:00:00:01, forward=tcp:0-22' ]\n", HV_CONFIG_ERROR_INVALID,
                "guest.cfg:3:7: vif: vif 0 'mac=00:16:3e:00:00:01, forward=tcp:0-22': forward=tcp:0-22: host port “0” is not a number");
  assert_error (PV "vif = [ 'forward=ssh-22' ]\n", HV_CONFIG_ERROR_INVALID,
                "guest.cfg:3:7: vif: vif 0 'forward=ssh-22': forward=ssh-22: host port “ssh” is not a number");
  assert_error (PV "vif = [ '', 'forward=2222' ]\n", HV_CONFIG_ERROR_INVALID,
                "guest.cfg:3:7: vif: vif 1 'forward=2222': forward=2222: not [tcp:|udp:][ADDRESS:]HOSTPORT-GUESTPORT");
  assert_error (PV "vif = [ 'forward=2222-22-23' ]\n", HV_CONFIG_ERROR_INVALID,
                "guest.cfg:3:7: vif: vif 0 'forward=2222-22-23': forward=2222-22-23: not ");
  assert_error (PV "vif = [ 'forward=sctp:2222-22' ]\n", HV_CONFIG_ERROR_INVALID,
                "guest.cfg:3:7: vif: vif 0 'forward=sctp:2222-22': forward=sctp:2222-22: “sctp” is neither tcp, udp nor a numeric IPv4 address");
  assert_error (PV "vif = [ 'forward=tcp:localhost:2222-22' ]\n", HV_CONFIG_ERROR_INVALID,
                "guest.cfg:3:7: vif: vif 0 'forward=tcp:localhost:2222-22': forward=tcp:localhost:2222-22: “localhost” is neither");
  assert_error (PV "vif = [ 'forward=tcp::2222-:22' ]\n", HV_CONFIG_ERROR_INVALID,
                "guest.cfg:3:7: vif: vif 0 'forward=tcp::2222-:22': forward=tcp::2222-:22: the host address is empty");
  assert_error (PV "vif = [ 'forward=tcp:1.2.3.4:5:2222-22' ]\n", HV_CONFIG_ERROR_INVALID,
                "guest.cfg:3:7: vif: vif 0 'forward=tcp:1.2.3.4:5:2222-22': forward=tcp:1.2.3.4:5:2222-22: not ");
  assert_error (PV "vif = [ 'forward=2222-guest:22' ]\n", HV_CONFIG_ERROR_INVALID,
                "guest.cfg:3:7: vif: vif 0 'forward=2222-guest:22': forward=2222-guest:22: guest address “guest” is not a numeric IPv4 address");
  assert_error (PV "vif = [ 'forward=2222-22, forward=tcp:127.0.0.1:2222-80' ]\n", HV_CONFIG_ERROR_INVALID,
                "guest.cfg:3:7: vif: vif 0 'forward=2222-22, forward=tcp:127.0.0.1:2222-80': "
                "forward=tcp:127.0.0.1:2222-80: host port 2222 (tcp) is forwarded already by vif 0");
  assert_error (PV "vif = [ 'forward=2222-22', 'forward=0.0.0.0:2222-80' ]\n", HV_CONFIG_ERROR_INVALID,
                "guest.cfg:3:7: vif: vif 1 'forward=0.0.0.0:2222-80': forward=0.0.0.0:2222-80: host port 2222 (tcp) is forwarded already by vif 0");
}

static void
test_generate_mac (void)
{
  for (guint i = 0; i < 50; i++)
    {
      g_autofree char *mac = hv_domain_spec_generate_mac ();
      g_autofree char *text = g_strdup_printf (PV "vif = [ 'mac=%s' ]\n", mac);
      g_autoptr(HvDomainSpec) spec = spec_ok (text);
      guint fourth;

      g_assert_cmpuint (strlen (mac), ==, 17);
      g_assert_true (g_str_has_prefix (mac, "00:16:3e:"));
      g_assert_cmpint (sscanf (mac + 9, "%2x", &fourth), ==, 1);
      g_assert_cmpuint (fourth, <, 0x80);
      /* What we generate, we accept back. */
      g_assert_cmpstr (vif_at (spec, 0)->mac, ==, mac);
    }
  {
    g_autofree char *a = hv_domain_spec_vif_entry_with_mac (" type=ioemu, bridge=xenbr0", "00:16:3e:01:02:03");
    g_autofree char *b = hv_domain_spec_vif_entry_with_mac ("", "00:16:3e:01:02:03");

    g_assert_cmpstr (a, ==, "mac=00:16:3e:01:02:03, type=ioemu, bridge=xenbr0");
    g_assert_cmpstr (b, ==, "mac=00:16:3e:01:02:03");
  }
}

/* ------------------------------------------------------------------------- */
/* Screen, devices, actions, Xen-only keys                                    */

static void
test_vnc (void)
{
  g_autoptr(HvDomainSpec) off = spec_ok (PV);
  g_autoptr(HvDomainSpec) on = spec_ok (PV "vnc = 1\nvnclisten = '0.0.0.0'\nvncunused = 1\n"
                                        "vncdisplay = 3\nvncpasswd = 'secret'\nsdl = 1\nvncviewer = 1\n");
  g_autoptr(HvDomainSpec) vfb = spec_ok (PV "vfb = [ 'type=vnc,vnclisten=127.0.0.1' ]\n");
  g_autoptr(HvDomainSpec) sdl = spec_ok (PV "vfb = [ 'type=sdl' ]\n");

  g_assert_false (off->vnc);
  g_assert_true (on->vnc);
  g_assert_true (has_notice (on, "vnclisten: ", "never on a network address"));
  g_assert_true (has_notice (on, "vncdisplay: ", NULL));
  g_assert_true (has_notice (on, "vncpasswd: ", NULL));
  g_assert_true (has_notice (on, "sdl: ", NULL));
  g_assert_true (has_notice (on, "vncviewer: ", NULL));
  g_assert_false (has_notice (on, "vncunused: ", NULL));
  g_assert_true (vfb->vnc);
  g_assert_true (has_notice (vfb, "vnclisten: ", "127.0.0.1"));
  g_assert_false (sdl->vnc);
  g_assert_true (has_notice (sdl, "vfb: ", "SDL"));
  assert_error (PV "vnc = 'maybe'\n", HV_CONFIG_ERROR_TYPE, "guest.cfg:3:7: vnc: ");
}

static void
test_devices (void)
{
  g_autoptr(HvDomainSpec) plain = spec_ok (PV);
  g_autoptr(HvDomainSpec) set = spec_ok (PV "localtime = 1\nacpi = 0\nusbdevice = 'tablet'\nserial = 'pty'\n");
  g_autoptr(HvDomainSpec) mouse = spec_ok (PV "usbdevice = 'mouse'\n");

  g_assert_false (plain->localtime);
  g_assert_true (plain->acpi);
  g_assert_null (plain->usb_devices[0]);
  g_assert_false (plain->usb);
  g_assert_true (set->localtime);
  g_assert_false (set->acpi);
  g_assert_cmpstr (set->usb_devices[0], ==, "usb-tablet");
  g_assert_true (set->usb);
  g_assert_true (has_notice (set, "serial: ", "serial.sock"));
  g_assert_cmpstr (mouse->usb_devices[0], ==, "usb-mouse");
  assert_error (PV "usbdevice = 'disk:/x'\n", HV_CONFIG_ERROR_INVALID, "guest.cfg:3:13: usbdevice: 'disk:/x'");
}

static void
test_actions (void)
{
  g_autoptr(HvDomainSpec) plain = spec_ok (PV);
  g_autoptr(HvDomainSpec) set = spec_ok (PV "on_poweroff = 'preserve'\non_reboot = 'destroy'\n"
                                         "on_crash = 'coredump-restart'\n");
  HvDomainAction action;

  g_assert_cmpint (plain->on_poweroff, ==, HV_DOMAIN_ACTION_DESTROY);
  g_assert_cmpint (plain->on_reboot, ==, HV_DOMAIN_ACTION_RESTART);
  g_assert_cmpint (plain->on_crash, ==, HV_DOMAIN_ACTION_RESTART);
  g_assert_cmpint (set->on_poweroff, ==, HV_DOMAIN_ACTION_PRESERVE);
  g_assert_cmpint (set->on_reboot, ==, HV_DOMAIN_ACTION_DESTROY);
  g_assert_cmpint (set->on_crash, ==, HV_DOMAIN_ACTION_COREDUMP_RESTART);
  for (int i = HV_DOMAIN_ACTION_DESTROY; i <= HV_DOMAIN_ACTION_COREDUMP_RESTART; i++)
    {
      g_assert_true (hv_domain_action_from_string (hv_domain_action_to_string (i), &action));
      g_assert_cmpint (action, ==, i);
    }
  g_assert_cmpstr (hv_domain_action_to_string (HV_DOMAIN_ACTION_RENAME_RESTART), ==, "rename-restart");
  assert_error (PV "on_crash = 'reboot'\n", HV_CONFIG_ERROR_INVALID,
                "guest.cfg:3:12: on_crash: 'reboot' is not one of destroy, restart");
}

static void
test_xen_only_keys (void)
{
  g_autoptr(HvDomainSpec) spec =
    spec_ok (PV "device_model = '/usr/lib/xen/bin/qemu-dm'\npae = 1\napic = 0\ncpus = '0-1'\n"
             "on_xend_start = 'start'\nshadow_memory = 8\nbootloader = '/usr/bin/pygrub'\n"
             "some_future_key = [ 1, 2 ]\n");

  g_assert_true (has_notice (spec, "device_model: ", NULL));
  g_assert_true (has_notice (spec, "pae: ", NULL));
  g_assert_true (has_notice (spec, "apic: ", NULL));
  g_assert_true (has_notice (spec, "cpus: ", NULL));
  g_assert_true (has_notice (spec, "on_xend_start: ", NULL));
  g_assert_true (has_notice (spec, "shadow_memory: ", NULL));
  /* A kernel and a bootloader: the kernel wins. */
  g_assert_true (has_notice (spec, "bootloader: ", "kernel"));
  g_assert_cmpint (spec->boot_method, ==, HV_DOMAIN_BOOT_KERNEL);
  /* Unknown keys are the parser's business: translation passes them over silently. */
  g_assert_false (has_notice (spec, "some_future_key", NULL));
}

static void
test_dup_notices (void)
{
  g_autoptr(HvDomainSpec) spec = spec_ok (PV "pae = 1\napic = 1\n");
  g_auto(GStrv) notices = hv_domain_spec_dup_notices (spec);

  g_assert_cmpuint (g_strv_length (notices), ==, spec->notices->len);
  g_assert_cmpuint (g_strv_length (notices), ==, 3);
}

/* Issue 14: the listing reads memory and vcpus through the spec: one default, one range. */
static void
test_defined_reads_through_spec (void)
{
  g_autofree char *dir = g_dir_make_tmp ("domus-defined-XXXXXX", NULL);
  static const struct {
    const char *file;
    const char *text;
  } files[] = {
    { "plain.cfg", "name = 'plain'\nkernel = '/k'\n" },
    { "big.cfg", "name = 'big'\nmemory = '512'\nvcpus = 2\ntags = ['web']\n" },
    { "huge.cfg", "name = 'huge'\nmemory = 99999999999\n" },
    { "cpus.cfg", "name = 'cpus'\nvcpus = 256\n" },
    { "digits.cfg", "name = '42'\n" },
    /* A disk the start would refuse does not hide the domain from the listing. */
    { "disk.cfg", "name = 'disk'\ndisk = ['nonsense']\n" },
  };
  g_autoptr(GPtrArray) all = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *path = g_build_filename (dir, files[i].file, NULL);

      g_assert_true (g_file_set_contents (path, files[i].text, -1, NULL));
    }
  all = hv_defined_scan (dir);
  g_assert_cmpuint (all->len, ==, G_N_ELEMENTS (files));
  for (guint i = 0; i < all->len; i++)
    {
      HvDefined *defined = g_ptr_array_index (all, i);

      g_test_message ("%s: %s", defined->name, defined->error != NULL ? defined->error : "ok");
      if (strcmp (defined->name, "plain") == 0)
        {
          g_assert_null (defined->error);
          g_assert_cmpint (defined->memory_mib, ==, 128);
          g_assert_cmpint (defined->vcpus, ==, 1);
        }
      else if (strcmp (defined->name, "big") == 0)
        {
          g_assert_null (defined->error);
          g_assert_cmpint (defined->memory_mib, ==, 512);
          g_assert_cmpint (defined->vcpus, ==, 2);
          g_assert_cmpstr (defined->tags[0], ==, "web");
        }
      else if (strcmp (defined->name, "disk") == 0)
        g_assert_null (defined->error);
      else if (strcmp (defined->name, "huge") == 0)
        g_assert_nonnull (strstr (defined->error, "memory: 99999999999 MiB is not a possible memory size"));
      else if (strcmp (defined->name, "cpus") == 0)
        g_assert_nonnull (strstr (defined->error, "vcpus: 256 is not between 1 and 255"));
      else if (strcmp (defined->name, "digits") == 0)
        g_assert_nonnull (strstr (defined->error, "digits only"));
      else
        g_assert_not_reached ();
      g_remove (defined->path);
    }
  g_rmdir (dir);
}

/* ------------------------------------------------------------------------- */
/* xl's syntax (issue 19), from xl-disk-configuration(5) and xl.cfg(5)       */

#define XL_HVM "name = 'g'\ntype = 'hvm'\n"

static HvDomainSpec *
spec_with_disk (const char *entry)
{
  g_autofree char *text = g_strdup_printf (XL_HVM "disk = [ '%s' ]\n", entry);

  return spec_ok (text);
}

/* The equivalent spellings the disk syntax's documentation lists, each read alike. */
static void
test_xl_disk_forms (void)
{
  const char *disks[] = {
    "/dev/vg/guest-volume,,hda",
    "/dev/vg/guest-volume,raw,hda,rw",
    "format=raw, vdev=hda, access=rw, target=/dev/vg/guest-volume",
    "raw:/dev/vg/guest-volume,hda,w",
  };
  const char *cdroms[] = {
    "/root/image.iso,,hdc,cdrom",
    "/root/image.iso,,hdc,,cdrom",
    "/root/image.iso,raw,hdc,devtype=cdrom",
    "format=raw, vdev=hdc, access=ro, devtype=cdrom, target=/root/image.iso",
    "raw:/root/image.iso,hdc:cdrom,ro",
  };

  for (guint i = 0; i < G_N_ELEMENTS (disks); i++)
    {
      g_autoptr(HvDomainSpec) spec = spec_with_disk (disks[i]);
      HvDiskSpec *disk = disk_at (spec, 0);

      g_test_message ("%s", disks[i]);
      g_assert_cmpstr (disk->path, ==, "/dev/vg/guest-volume");
      g_assert_cmpstr (disk->device, ==, "hda");
      g_assert_cmpstr (disk->format, ==, "raw");
      g_assert_cmpstr (disk->backend, ==, "phy");
      g_assert_false (disk->readonly);
      g_assert_false (disk->cdrom);
      g_assert_cmpint (disk->bus, ==, HV_DISK_BUS_IDE);
      g_assert_cmpint (disk->ide_index, ==, 0);
    }
  for (guint i = 0; i < G_N_ELEMENTS (cdroms); i++)
    {
      g_autoptr(HvDomainSpec) spec = spec_with_disk (cdroms[i]);
      HvDiskSpec *disk = disk_at (spec, 0);

      g_test_message ("%s", cdroms[i]);
      g_assert_cmpstr (disk->path, ==, "/root/image.iso");
      g_assert_cmpstr (disk->device, ==, "hdc");
      g_assert_cmpstr (disk->format, ==, "raw");
      g_assert_true (disk->readonly);
      g_assert_true (disk->cdrom);
      g_assert_cmpint (disk->ide_index, ==, 2);
    }
}

static void
test_xl_disk_parameters (void)
{
  g_autoptr(HvDomainSpec) qcow2 = spec_with_disk ("/img/a.qcow2,qcow2,xvda,w");
  g_autoptr(HvDomainSpec) vhd = spec_with_disk ("vdev=xvda, format=vhd, target=/img/a.vhd");
  g_autoptr(HvDomainSpec) commas = spec_with_disk ("vdev=xvde, access=ro, target=/img/a,b c.img");
  g_autoptr(HvDomainSpec) bare = spec_with_disk ("sdb1,,xvdf");
  g_autoptr(HvDomainSpec) empty_cd = spec_with_disk (",,hdc,cdrom");
  g_autoptr(HvDomainSpec) legacy_cd = spec_with_disk (",hdc:cdrom,r");
  g_autoptr(HvDomainSpec) prefixes = spec_with_disk ("tap:aio:/img/b.img,,xvdb");
  g_autoptr(HvDomainSpec) flags = spec_with_disk ("/img/c.img,raw,xvdc,rw,discard,backendtype=qdisk,direct-io-safe");

  g_assert_cmpstr (disk_at (qcow2, 0)->format, ==, "qcow2");
  g_assert_true (disk_at (qcow2, 0)->format_explicit);
  /* HVM: xvda..xvdd are IDE, as Xen emulated them. */
  g_assert_cmpint (disk_at (qcow2, 0)->ide_index, ==, 0);
  g_assert_cmpstr (disk_at (qcow2, 0)->backend, ==, "file");
  g_assert_cmpstr (disk_at (vhd, 0)->format, ==, "vpc");
  g_assert_cmpstr (disk_at (commas, 0)->path, ==, "/img/a,b c.img");
  g_assert_true (disk_at (commas, 0)->readonly);
  g_assert_cmpstr (disk_at (bare, 0)->path, ==, "/dev/sdb1");
  g_assert_false (disk_at (bare, 0)->format_explicit);
  g_assert_cmpstr (disk_at (empty_cd, 0)->path, ==, "");
  g_assert_true (disk_at (empty_cd, 0)->cdrom);
  g_assert_true (disk_at (legacy_cd, 0)->cdrom);
  g_assert_cmpstr (disk_at (prefixes, 0)->path, ==, "/img/b.img");
  g_assert_cmpstr (disk_at (prefixes, 0)->format, ==, "raw");
  g_assert_true (has_notice (flags, "disk: ", "discard ignored"));
  g_assert_true (has_notice (flags, "disk: ", "backendtype=qdisk ignored"));
  g_assert_true (has_notice (flags, "disk: ", "direct-io-safe ignored"));

  assert_error (XL_HVM "disk = [ '/img/a,qcow3,xvda' ]\n", HV_CONFIG_ERROR_INVALID,
                "guest.cfg:3:8: disk: entry 1 '/img/a,qcow3,xvda': format 'qcow3' is not raw, qcow, qcow2, vhd or qed");
  assert_error (XL_HVM "disk = [ '/img/a,raw,xvda,rx' ]\n", HV_CONFIG_ERROR_INVALID,
                "guest.cfg:3:8: disk: entry 1 '/img/a,raw,xvda,rx': access 'rx' is not ro, r, rw or w");
  assert_error (XL_HVM "disk = [ 'format=raw, format=qcow2, vdev=xvda, target=/a' ]\n", HV_CONFIG_ERROR_INVALID,
                "guest.cfg:3:8: disk: entry 1 'format=raw, format=qcow2, vdev=xvda, target=/a': format is given twice");
  assert_error (XL_HVM "disk = [ 'vdev=xvda, script=iscsi, target=iqn.x' ]\n", HV_CONFIG_ERROR_INVALID,
                "guest.cfg:3:8: disk: entry 1 'vdev=xvda, script=iscsi, target=iqn.x': script=iscsi: Xen's block scripts are not run");
  assert_error (XL_HVM "disk = [ 'nbd:host:1234,raw,xvda,rw' ]\n", HV_CONFIG_ERROR_INVALID,
                "guest.cfg:3:8: disk: entry 1 'nbd:host:1234,raw,xvda,rw': nbd: is one of Xen's block scripts");
  assert_error (XL_HVM "disk = [ '/a,raw,,rw' ]\n", HV_CONFIG_ERROR_INVALID,
                "guest.cfg:3:8: disk: entry 1 '/a,raw,,rw': missing guest device");
  assert_error (XL_HVM "disk = [ '/a,raw,xvda,rw,extra' ]\n", HV_CONFIG_ERROR_INVALID,
                "guest.cfg:3:8: disk: entry 1 '/a,raw,xvda,rw,extra': 'extra' is one value too many");
  assert_error (XL_HVM "disk = [ 'vdev=xvda, colour=red, target=/a' ]\n", HV_CONFIG_ERROR_INVALID,
                "guest.cfg:3:8: disk: entry 1 'vdev=xvda, colour=red, target=/a': 'colour' is not a parameter");
  assert_error (XL_HVM "disk = [ 'vdev=xvda, devtype=floppy, target=/a' ]\n", HV_CONFIG_ERROR_INVALID,
                "guest.cfg:3:8: disk: entry 1 'vdev=xvda, devtype=floppy, target=/a': devtype 'floppy' is not cdrom");
}

static void
test_xl_keys (void)
{
  g_autoptr(HvDomainSpec) hvm = spec_ok (XL_HVM);
  g_autoptr(HvDomainSpec) pv = spec_ok ("name = 'g'\ntype = 'pv'\nkernel = '/k'\ncmdline = 'root=/dev/xvda1 ro'\n"
                                        "root = '/dev/sda'\n");
  g_autoptr(HvDomainSpec) pvh = spec_ok ("name = 'g'\ntype = 'pvh'\nkernel = '/k'\n");
  g_autoptr(HvDomainSpec) xm_hvm = spec_ok (HVM);
  g_autoptr(HvDomainSpec) novnc = spec_ok (XL_HVM "vnc = 0\n");
  g_autoptr(HvDomainSpec) vga = spec_ok (XL_HVM "vga = 'cirrus'\nusb = 1\nusbdevice = [ 'tablet', 'mouse' ]\n");
  g_autoptr(HvDomainSpec) qxl = spec_ok (XL_HVM "vga = 'qxl'\n");
  g_autoptr(HvDomainSpec) actions = spec_ok (XL_HVM "on_reboot = 'soft-reset'\non_crash = 'coredump-destroy'\n"
                                             "on_watchdog = 'restart'\non_soft_reset = 'destroy'\n");
  g_autoptr(HvDomainSpec) vifs = spec_ok (XL_HVM "vif = [ 'mac=00:16:3E:74:3d:76,model=rtl8139,bridge=xenbr0,"
                                          "vifname=v1,rate=10Mb/s,ip=10.0.0.2,mtu=9000,untrusted' ]\n");
  g_autoptr(HvDomainSpec) noted = spec_ok (XL_HVM "maxmem = 4096\ncpus = 'all,^1'\ncpu_weight = 512\ncap = 50\n"
                                           "serial = [ 'pty' ]\nfirmware = 'uefi'\nspice = 1\npci = [ '01:00.0' ]\n"
                                           "keymap = 'de'\nnestedhvm = 1\ndevice_model_version = 'qemu-xen'\n");

  /* xl's defaults where they differ from xm's: a VNC screen, boot from disk then CD, crash destroys. */
  g_assert_cmpint (hvm->builder, ==, HV_DOMAIN_BUILDER_HVM);
  g_assert_true (hvm->vnc);
  g_assert_cmpstr (hvm->boot_order, ==, "cd");
  g_assert_cmpint (hvm->on_crash, ==, HV_DOMAIN_ACTION_DESTROY);
  g_assert_false (xm_hvm->vnc);
  g_assert_cmpstr (xm_hvm->boot_order, ==, "c");
  g_assert_cmpint (xm_hvm->on_crash, ==, HV_DOMAIN_ACTION_RESTART);
  g_assert_false (novnc->vnc);
  g_assert_cmpstr (hvm->vga, ==, "std");

  g_assert_cmpint (pv->builder, ==, HV_DOMAIN_BUILDER_LINUX);
  g_assert_cmpstr (pv->cmdline, ==, "root=/dev/xvda1 ro console=tty0 console=ttyS0");
  g_assert_true (has_notice (pv, "root: ", "cmdline"));
  g_assert_cmpint (pvh->builder, ==, HV_DOMAIN_BUILDER_LINUX);
  g_assert_true (has_notice (pvh, "type: ", "pvh"));

  g_assert_cmpstr (vga->vga, ==, "cirrus");
  g_assert_true (vga->usb);
  g_assert_cmpstr (vga->usb_devices[0], ==, "usb-tablet");
  g_assert_cmpstr (vga->usb_devices[1], ==, "usb-mouse");
  g_assert_cmpstr (qxl->vga, ==, "std");
  g_assert_true (has_notice (qxl, "vga: ", "qxl"));

  g_assert_cmpint (actions->on_reboot, ==, HV_DOMAIN_ACTION_RESTART);
  g_assert_true (has_notice (actions, "on_reboot: ", "soft-reset"));
  g_assert_cmpint (actions->on_crash, ==, HV_DOMAIN_ACTION_COREDUMP_DESTROY);

  g_assert_cmpstr (vif_at (vifs, 0)->mac, ==, "00:16:3e:74:3d:76");
  g_assert_cmpstr (vif_at (vifs, 0)->model, ==, "rtl8139");
  g_assert_cmpstr (vif_at (vifs, 0)->bridge, ==, "xenbr0");
  g_assert_true (has_notice (vifs, "vif: ", "vifname=v1 ignored"));
  g_assert_true (has_notice (vifs, "vif: ", "rate=10Mb/s ignored"));
  g_assert_true (has_notice (vifs, "vif: ", "mtu=9000 ignored"));
  g_assert_true (has_notice (vifs, "vif: ", "untrusted ignored"));

  {
    const char *keys[] = { "maxmem: ", "cpus: ", "cpu_weight: ", "cap: ", "serial: ", "firmware: ", "spice: ",
                           "pci: ", "keymap: ", "nestedhvm: ", "device_model_version: " };

    for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
      if (!has_notice (noted, keys[i], NULL))
        g_error ("no notice for %s", keys[i]);
  }

  assert_error ("name = 'g'\ntype = 'pvhvm'\n", HV_CONFIG_ERROR_INVALID, "guest.cfg:2:8: type: 'pvhvm' is not pv, pvh or hvm");
  assert_error ("name = 'g'\ntype = 'hvm'\nbuilder = 'linux'\n", HV_CONFIG_ERROR_INVALID,
                "guest.cfg:2:8: type: 'hvm' and builder = 'linux' disagree");
  assert_error (XL_HVM "vga = 'ega'\n", HV_CONFIG_ERROR_INVALID, "guest.cfg:3:7: vga: 'ega' is not stdvga, cirrus, none or qxl");
  assert_error (XL_HVM "on_crash = 'explode'\n", HV_CONFIG_ERROR_INVALID, "guest.cfg:3:12: on_crash: 'explode' is not one of");
  assert_error (XL_HVM "on_watchdog = 'explode'\n", HV_CONFIG_ERROR_INVALID, "guest.cfg:3:15: on_watchdog: ");
}

/* The two example files in tests/data, whole. */
static void
test_xl_files (void)
{
  g_autoptr(HvDomainSpec) hvm = test_spec_from_file ("xl-hvm.cfg");
  g_autoptr(HvDomainSpec) pv = test_spec_from_file ("xl-pv.cfg");

  g_assert_cmpstr (hvm->name, ==, "win-xl");
  g_assert_cmpint (hvm->memory_mib, ==, 2048);
  g_assert_cmpuint (hvm->disks->len, ==, 2);
  g_assert_true (disk_at (hvm, 1)->cdrom);
  g_assert_cmpuint (hvm->vifs->len, ==, 2);
  g_assert_cmpstr (hvm->boot_order, ==, "dc");
  g_assert_cmpint (hvm->on_crash, ==, HV_DOMAIN_ACTION_COREDUMP_RESTART);
  g_assert_true (has_notice (hvm, "vnclisten: ", NULL));
  g_assert_true (has_notice (hvm, "on_soft_reset: ", "soft-reset"));

  g_assert_cmpstr (disk_at (pv, 0)->format, ==, "qcow2");
  g_assert_cmpstr (disk_at (pv, 1)->path, ==, "/var/lib/xen/images/data,with,commas.img");
  g_assert_cmpint (disk_at (pv, 0)->bus, ==, HV_DISK_BUS_VIRTIO);
  g_assert_true (pv->vnc);
  g_assert_true (has_notice (pv, "cmdline: ", "console=hvc0"));
  g_assert_cmpint (pv->on_crash, ==, HV_DOMAIN_ACTION_RESTART);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/domain-spec/listing1", test_listing1);
  g_test_add_func ("/domain-spec/listing4", test_listing4);
  g_test_add_func ("/domain-spec/admin-files", test_admin_files);
  g_test_add_func ("/domain-spec/name", test_name);
  g_test_add_func ("/domain-spec/memory-vcpus", test_memory_vcpus);
  g_test_add_func ("/domain-spec/uuid", test_uuid);
  g_test_add_func ("/domain-spec/tags", test_tags);
  g_test_add_func ("/domain-spec/kernel-command-line", test_kernel_command_line);
  g_test_add_func ("/domain-spec/kernel-required", test_kernel_required);
  g_test_add_func ("/domain-spec/relative-paths", test_relative_paths);
  g_test_add_func ("/domain-spec/builder-and-boot", test_builder_and_boot);
  g_test_add_func ("/domain-spec/disk-modes", test_disk_modes);
  g_test_add_func ("/domain-spec/disk-backends", test_disk_backends);
  g_test_add_func ("/domain-spec/disk-format-never-probed", test_disk_format_never_probed);
  g_test_add_func ("/domain-spec/disk-devices", test_disk_devices);
  g_test_add_func ("/domain-spec/cdroms", test_cdroms);
  g_test_add_func ("/domain-spec/vifs", test_vifs);
  g_test_add_func ("/domain-spec/vif-forwards", test_vif_forwards);
  g_test_add_func ("/domain-spec/tb-size", test_tb_size);
  g_test_add_func ("/domain-spec/generate-mac", test_generate_mac);
  g_test_add_func ("/domain-spec/vnc", test_vnc);
  g_test_add_func ("/domain-spec/devices", test_devices);
  g_test_add_func ("/domain-spec/actions", test_actions);
  g_test_add_func ("/domain-spec/xen-only-keys", test_xen_only_keys);
  g_test_add_func ("/domain-spec/dup-notices", test_dup_notices);
  g_test_add_func ("/domain-spec/defined-reads-through-spec", test_defined_reads_through_spec);
  g_test_add_func ("/domain-spec/xl/disk-forms", test_xl_disk_forms);
  g_test_add_func ("/domain-spec/xl/disk-parameters", test_xl_disk_parameters);
  g_test_add_func ("/domain-spec/xl/keys", test_xl_keys);
  g_test_add_func ("/domain-spec/xl/files", test_xl_files);

  return g_test_run ();
}
