/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Unit tests for the QEMU command line built from a domain spec. */

#include <string.h>
#include <glib.h>

#include "hv-qemu-command.h"
#include "test-util.h"

#define RUN_DIR "/run/domus/test"

static GStrv
build (const HvDomainSpec  *spec,
       const HvQemuOptions *custom,
       GPtrArray           *notices)
{
  g_autoptr(GError) error = NULL;
  HvQemuOptions options;
  GStrv argv;

  if (custom != NULL)
    options = *custom;
  else
    {
      hv_qemu_options_init (&options);
      options.binary = "qemu-system-x86_64";
      options.run_dir = RUN_DIR;
    }
  argv = hv_qemu_command_build (spec, &options, notices, &error);
  g_assert_no_error (error);
  g_assert_nonnull (argv);
  return argv;
}

static GStrv
build_text (const char *text)
{
  g_autoptr(HvDomainSpec) spec = test_spec_from_text (text);

  return build (spec, NULL, NULL);
}

/* Every value given to `option`, in order. */
static GStrv
values_of (char       **argv,
           const char  *option)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  for (guint i = 0; argv[i] != NULL; i++)
    if (strcmp (argv[i], option) == 0 && argv[i + 1] != NULL)
      g_strv_builder_add (builder, argv[i + 1]);
  return g_strv_builder_end (builder);
}

/* The one -device the config asked for, besides the pvpanic every guest gets. */
static char *
config_device (char **argv)
{
  g_auto(GStrv) devices = values_of (argv, "-device");

  g_assert_cmpuint (g_strv_length (devices), ==, 2);
  g_assert_cmpstr (devices[1], ==, "pvpanic");
  return g_strdup (devices[0]);
}

/* The only value of `option`; fails when there is none or several. */
static const char *
value_of (char       **argv,
          const char  *option)
{
  const char *found = NULL;

  for (guint i = 0; argv[i] != NULL; i++)
    if (strcmp (argv[i], option) == 0)
      {
        g_assert_null (found);
        g_assert_nonnull (argv[i + 1]);
        found = argv[i + 1];
      }
  if (found == NULL)
    g_error ("no %s in the command line", option);
  return found;
}

static gboolean
has_arg (char       **argv,
         const char  *arg)
{
  return g_strv_contains ((const char * const *) argv, arg);
}

static gboolean
any_arg_contains (char       **argv,
                  const char  *part)
{
  for (guint i = 0; argv[i] != NULL; i++)
    if (strstr (argv[i], part) != NULL)
      return TRUE;
  return FALSE;
}

/* ------------------------------------------------------------------------- */

static void
test_listing1 (void)
{
  g_autoptr(HvDomainSpec) spec = test_spec_from_file ("listing1.cfg");
  g_auto(GStrv) argv = build (spec, NULL, NULL);
  g_auto(GStrv) drives = values_of (argv, "-drive");
  g_auto(GStrv) devices = values_of (argv, "-device");

  g_assert_cmpstr (argv[0], ==, "qemu-system-x86_64");
  g_assert_cmpstr (value_of (argv, "-name"), ==, "debian1");
  g_assert_cmpstr (value_of (argv, "-m"), ==, "512");
  g_assert_cmpstr (value_of (argv, "-smp"), ==, "1");
  g_assert_cmpstr (value_of (argv, "-kernel"), ==, "/boot/vmlinuz-2.6.18-3-xen-686");
  g_assert_cmpstr (value_of (argv, "-initrd"), ==, "/boot/initrd.img-2.6.18-3-xen-686");
  g_assert_true (g_str_has_prefix (value_of (argv, "-append"), "root=/dev/hda1 "));
  g_assert_nonnull (strstr (value_of (argv, "-append"), "console=ttyS0"));
  g_assert_false (has_arg (argv, "-boot"));

  g_assert_cmpuint (g_strv_length (drives), ==, 3);
  g_assert_cmpstr (drives[0], ==, "file=/dev/hda3,format=raw,if=virtio,media=disk,id=disk0");
  g_assert_cmpstr (drives[1], ==, "file=/dev/hda5,format=raw,if=virtio,media=disk,id=disk1");
  g_assert_cmpstr (drives[2], ==, "file=/dev/cdrom,format=raw,if=ide,index=2,media=cdrom,readonly=on,id=cdrom");

  g_assert_cmpstr (value_of (argv, "-netdev"), ==, "user,id=net0");
  g_assert_cmpuint (g_strv_length (devices), ==, 2);
  g_assert_cmpstr (devices[0], ==, "virtio-net-pci,netdev=net0,mac=aa:00:00:12:23:34");
  g_assert_cmpstr (devices[1], ==, "pvpanic");

  g_assert_true (has_arg (argv, "-nodefaults"));
  g_assert_true (has_arg (argv, "-no-user-config"));
  g_assert_cmpstr (value_of (argv, "-machine"), ==, "pc");
  /* 512 MiB: a quarter of it for the translation cache, the daemon's default rule. */
  g_assert_cmpstr (value_of (argv, "-accel"), ==, "tcg,tb-size=128");
  g_assert_cmpstr (value_of (argv, "-vga"), ==, "std");
  g_assert_cmpstr (value_of (argv, "-display"), ==, "none");
  g_assert_false (has_arg (argv, "-vnc"));
  g_assert_false (has_arg (argv, "-no-reboot"));
  g_assert_false (any_arg_contains (argv, "qemu-dm"));
}

static void
test_listing4 (void)
{
  g_autoptr(HvDomainSpec) spec = test_spec_from_file ("listing4.cfg");
  g_auto(GStrv) argv = build (spec, NULL, NULL);
  g_auto(GStrv) drives = values_of (argv, "-drive");
  const HvVifSpec *vif = g_ptr_array_index (spec->vifs, 0);
  g_autofree char *nic = g_strdup_printf ("e1000,netdev=net0,mac=%s", vif->mac);
  gboolean noticed = FALSE;

  g_assert_cmpstr (value_of (argv, "-name"), ==, "windows");
  g_assert_cmpstr (value_of (argv, "-m"), ==, "512");
  g_assert_cmpstr (value_of (argv, "-boot"), ==, "order=d");
  g_assert_false (has_arg (argv, "-kernel"));
  g_assert_false (any_arg_contains (argv, "hvmloader"));
  g_assert_false (any_arg_contains (argv, "qemu-dm"));

  g_assert_cmpuint (g_strv_length (drives), ==, 2);
  g_assert_cmpstr (drives[0], ==, "file=/dev/hda3,format=raw,if=ide,index=0,media=disk,id=disk0");
  g_assert_cmpstr (drives[1], ==, "file=/root/wincd.iso,format=raw,if=ide,index=2,media=cdrom,readonly=on,id=disk1");

  {
    g_autofree char *device = config_device (argv);

    g_assert_cmpstr (device, ==, nic);
  }
  g_assert_cmpstr (value_of (argv, "-vnc"), ==, "unix:" RUN_DIR "/vnc.sock");

  for (guint i = 0; i < spec->notices->len; i++)
    if (g_str_has_prefix (g_ptr_array_index (spec->notices, i), "device_model: "))
      noticed = TRUE;
  g_assert_true (noticed);
}

static void
test_run_folder (void)
{
  g_auto(GStrv) argv = build_text ("name = 'g'\nkernel = '/k'\n");

  g_assert_cmpstr (value_of (argv, "-chardev"), ==,
                   "socket,id=serial0,path=" RUN_DIR "/serial.sock,server=on,wait=off,"
                   "logfile=" RUN_DIR "/serial.log");
  g_assert_cmpstr (value_of (argv, "-serial"), ==, "chardev:serial0");
  g_assert_cmpstr (value_of (argv, "-qmp"), ==, "unix:" RUN_DIR "/qmp.sock,server=on,wait=off");
  g_assert_cmpstr (value_of (argv, "-pidfile"), ==, RUN_DIR "/qemu.pid");
}

static void
test_run_folder_too_long (void)
{
  g_autoptr(HvDomainSpec) spec = test_spec_from_text ("name = 'g'\nkernel = '/k'\n");
  g_autoptr(GError) error = NULL;
  g_autofree char *long_dir = g_strnfill (120, 'x');
  g_autofree char *run_dir = g_strconcat ("/", long_dir, NULL);
  g_auto(GStrv) argv = NULL;
  HvQemuOptions options;

  hv_qemu_options_init (&options);
  options.run_dir = run_dir;
  argv = hv_qemu_command_build (spec, &options, NULL, &error);
  g_assert_null (argv);
  g_assert_error (error, HV_CONFIG_ERROR, HV_CONFIG_ERROR_INVALID);
  g_assert_true (g_str_has_prefix (error->message, "guest.cfg: the run folder"));
}

static void
test_machine_keys (void)
{
  g_auto(GStrv) argv =
    build_text ("name = 'g'\nkernel = '/k'\nmemory = 300\nvcpus = 3\nlocaltime = 1\nacpi = 0\n"
                "uuid = '4f1c2a3e-5d6b-4c7d-8e9f-0a1b2c3d4e5f'\nusbdevice = 'tablet'\n");
  g_auto(GStrv) plain = build_text ("name = 'g'\nkernel = '/k'\nusbdevice = 'mouse'\n");

  g_assert_cmpstr (value_of (argv, "-m"), ==, "300");
  g_assert_cmpstr (value_of (argv, "-smp"), ==, "3");
  g_assert_cmpstr (value_of (argv, "-rtc"), ==, "base=localtime");
  g_assert_cmpstr (value_of (argv, "-machine"), ==, "pc,acpi=off");
  g_assert_cmpstr (value_of (argv, "-uuid"), ==, "4f1c2a3e-5d6b-4c7d-8e9f-0a1b2c3d4e5f");
  g_assert_true (has_arg (argv, "-usb"));
  {
    g_autofree char *device = config_device (argv);

    g_assert_cmpstr (device, ==, "usb-tablet");
  }

  g_assert_cmpstr (value_of (plain, "-m"), ==, "128");
  g_assert_false (has_arg (plain, "-rtc"));
  g_assert_false (has_arg (plain, "-uuid"));
  {
    g_autofree char *device = config_device (plain);

    g_assert_cmpstr (device, ==, "usb-mouse");
  }
}

static void
test_kernel_boot (void)
{
  g_auto(GStrv) argv = build_text ("name = 'g'\nkernel = '/boot/vmlinuz'\nramdisk = '/boot/initrd'\n"
                                   "root = '/dev/vda1 ro'\nextra = 'quiet'\n");
  g_auto(GStrv) no_ramdisk = build_text ("name = 'g'\nkernel = '/boot/vmlinuz'\n");

  g_assert_cmpstr (value_of (argv, "-kernel"), ==, "/boot/vmlinuz");
  g_assert_cmpstr (value_of (argv, "-initrd"), ==, "/boot/initrd");
  g_assert_cmpstr (value_of (argv, "-append"), ==,
                   "root=/dev/vda1 ro quiet console=tty0 console=ttyS0 no_timer_check");
  g_assert_false (has_arg (no_ramdisk, "-initrd"));
  g_assert_cmpstr (value_of (no_ramdisk, "-append"), ==, "console=tty0 console=ttyS0 no_timer_check");
}

/* The timer check is skipped under TCG only, and said once when the config says it already. */
static void
test_kernel_boot_timer_check (void)
{
  g_autoptr(HvDomainSpec) spec = test_spec_from_text ("name = 'g'\nkernel = '/k'\nextra = 'console=ttyS0'\n");
  g_autoptr(HvDomainSpec) said = test_spec_from_text ("name = 'g'\nkernel = '/k'\n"
                                                      "extra = 'no_timer_check console=ttyS0'\n");
  HvQemuOptions kvm;
  g_auto(GStrv) on_kvm = NULL;
  g_auto(GStrv) already = build (said, NULL, NULL);

  hv_qemu_options_init (&kvm);
  kvm.binary = "qemu-system-x86_64";
  kvm.run_dir = RUN_DIR;
  kvm.accel = HV_QEMU_ACCEL_KVM;
  on_kvm = build (spec, &kvm, NULL);
  g_assert_null (strstr (value_of (on_kvm, "-append"), "no_timer_check"));
  g_assert_cmpstr (value_of (already, "-append"), ==, "no_timer_check console=ttyS0");
}

static void
test_firmware_boot (void)
{
  g_auto(GStrv) hvm = build_text ("name = 'g'\nbuilder = 'hvm'\nboot = 'dc'\n");
  g_auto(GStrv) grub = build_text ("name = 'g'\nbootloader = '/usr/bin/pygrub'\n"
                                   "disk = [ 'file:/x.img,xvda,w' ]\n");

  g_assert_cmpstr (value_of (hvm, "-boot"), ==, "order=dc");
  g_assert_false (has_arg (hvm, "-kernel"));
  g_assert_cmpstr (value_of (grub, "-boot"), ==, "order=c");
  g_assert_false (has_arg (grub, "-kernel"));
}

static void
test_drives (void)
{
  g_auto(GStrv) argv =
    build_text ("name = 'g'\nbuilder = 'hvm'\n"
                "disk = [ 'tap:qcow2:/img/a.qcow2,ioemu:hda,w', 'phy:/dev/vg/b,hdb,r', "
                "'file:/img/c.img,xvdf,w!', ',hdc:cdrom,r' ]\n");
  g_auto(GStrv) drives = values_of (argv, "-drive");

  g_assert_cmpuint (g_strv_length (drives), ==, 4);
  g_assert_cmpstr (drives[0], ==, "file=/img/a.qcow2,format=qcow2,if=ide,index=0,media=disk,id=disk0");
  g_assert_cmpstr (drives[1], ==, "file=/dev/vg/b,format=raw,if=ide,index=1,media=disk,readonly=on,id=disk1");
  g_assert_cmpstr (drives[3], ==, "if=ide,index=2,media=cdrom,readonly=on,id=disk3");
  g_assert_cmpstr (drives[2], ==, "file=/img/c.img,format=raw,if=virtio,media=disk,file.locking=off,id=disk2");
}

static void
test_drive_path_with_comma (void)
{
  /* A comma in a path would end QEMU's value: it is doubled. The disk entry itself
   * cannot hold one (xm splits on commas), but the cdrom key can. */
  g_auto(GStrv) argv = build_text ("name = 'g'\nbuilder = 'hvm'\ncdrom = '/isos/a,b.iso'\n"
                                   "disk = [ 'file:/img/x.img,xvdf,w!' ]\n");
  g_auto(GStrv) drives = values_of (argv, "-drive");

  g_assert_cmpstr (drives[0], ==, "file=/img/x.img,format=raw,if=virtio,media=disk,file.locking=off,id=disk0");
  g_assert_cmpstr (drives[1], ==, "file=/isos/a,,b.iso,format=raw,if=ide,index=2,media=cdrom,readonly=on,id=cdrom");
}

static void
test_nics_user (void)
{
  g_autoptr(HvDomainSpec) spec =
    test_spec_from_text ("name = 'g'\nkernel = '/k'\n"
                    "vif = [ 'mac=00:16:3e:00:00:01, bridge=xenbr0', 'mac=00:16:3e:00:00:02, model=rtl8139' ]\n");
  g_autoptr(GPtrArray) notices = g_ptr_array_new_with_free_func (g_free);
  g_auto(GStrv) argv = build (spec, NULL, notices);
  g_auto(GStrv) netdevs = values_of (argv, "-netdev");
  g_auto(GStrv) devices = values_of (argv, "-device");
  g_auto(GStrv) none = build_text ("name = 'g'\nkernel = '/k'\nvif = []\n");

  g_assert_cmpuint (g_strv_length (netdevs), ==, 2);
  g_assert_cmpstr (netdevs[0], ==, "user,id=net0");
  g_assert_cmpstr (netdevs[1], ==, "user,id=net1");
  g_assert_cmpstr (devices[0], ==, "virtio-net-pci,netdev=net0,mac=00:16:3e:00:00:01");
  g_assert_cmpstr (devices[1], ==, "rtl8139,netdev=net1,mac=00:16:3e:00:00:02");
  /* The bridge means nothing to user-mode networking, and the user is told. */
  g_assert_cmpuint (notices->len, ==, 1);
  g_assert_nonnull (strstr (g_ptr_array_index (notices, 0), "bridge=xenbr0"));

  /* No vif: no NIC at all (-nodefaults leaves QEMU's default one out). */
  g_assert_false (has_arg (none, "-netdev"));
  {
    g_auto(GStrv) none_devices = values_of (none, "-device");

    g_assert_cmpuint (g_strv_length (none_devices), ==, 1);
    g_assert_cmpstr (none_devices[0], ==, "pvpanic");
  }
  g_assert_true (has_arg (none, "-nodefaults"));
}

static void
test_nics_tap (void)
{
  g_autoptr(HvDomainSpec) spec =
    test_spec_from_text ("name = 'a-rather-long-name'\nkernel = '/k'\n"
                    "vif = [ 'mac=00:16:3e:00:00:01, bridge=xenbr0', 'mac=00:16:3e:00:00:02' ]\n");
  const char * const taps[] = { "domus7.0", NULL };
  g_autoptr(GPtrArray) notices = g_ptr_array_new_with_free_func (g_free);
  g_auto(GStrv) argv = NULL;
  g_auto(GStrv) netdevs = NULL;
  g_autofree char *default_name = NULL;
  HvQemuOptions options;

  hv_qemu_options_init (&options);
  options.run_dir = RUN_DIR;
  options.net_mode = HV_QEMU_NET_TAP;
  options.tap_names = taps;
  argv = build (spec, &options, notices);
  netdevs = values_of (argv, "-netdev");

  g_assert_cmpstr (netdevs[0], ==, "tap,id=net0,ifname=domus7.0,script=no,downscript=no");
  default_name = hv_qemu_default_tap_name (spec, 1);
  g_assert_cmpuint (strlen (default_name), <=, 15);
  g_assert_cmpstr (default_name, ==, "vif-a-rather-.1");
  g_assert_cmpstr (netdevs[1], ==, "tap,id=net1,ifname=vif-a-rather-.1,script=no,downscript=no");
  g_assert_cmpuint (notices->len, ==, 0);
}

static void
test_nics_forwards (void)
{
  g_autoptr(HvDomainSpec) spec =
    test_spec_from_text ("name = 'g'\nkernel = '/k'\n"
                         "vif = [ 'mac=00:16:3e:00:00:01, forward=2222-22, forward=udp:127.0.0.2:5353-10.0.2.15:53', "
                         "'mac=00:16:3e:00:00:02' ]\n");
  g_autoptr(HvDomainSpec) open_spec =
    test_spec_from_text ("name = 'g'\nkernel = '/k'\nvif = [ 'mac=00:16:3e:00:00:01, forward=0.0.0.0:8080-80' ]\n");
  g_autoptr(GPtrArray) notices = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) argv = build (spec, NULL, notices);
  g_auto(GStrv) netdevs = values_of (argv, "-netdev");
  const char * const allowed[] = { "192.168.1.5", "0.0.0.0", NULL };
  g_auto(GStrv) refused = NULL;
  HvQemuOptions options;

  g_assert_cmpstr (netdevs[0], ==, "user,id=net0,hostfwd=tcp:127.0.0.1:2222-:22,hostfwd=udp:127.0.0.2:5353-10.0.2.15:53");
  g_assert_cmpstr (netdevs[1], ==, "user,id=net1");
  g_assert_cmpuint (notices->len, ==, 0);

  /* Every address: refused by the daemon (strict) unless its config lists the address. */
  hv_qemu_options_init (&options);
  options.run_dir = RUN_DIR;
  options.strict = TRUE;
  refused = hv_qemu_command_build (open_spec, &options, NULL, &error);
  g_assert_null (refused);
  g_assert_error (error, HV_CONFIG_ERROR, HV_CONFIG_ERROR_INVALID);
  g_assert_cmpstr (error->message, ==,
                   "guest.cfg: vif: vif 0 'mac=00:16:3e:00:00:01, forward=0.0.0.0:8080-80': forward=0.0.0.0:8080-80: "
                   "0.0.0.0 is not a loopback address: the port would be open to other machines; "
                   "domusd.conf's [network] forward-addresses must list it for the daemon to allow it");
  options.forward_addresses = allowed;
  {
    g_auto(GStrv) allowed_argv = build (open_spec, &options, NULL);

    g_assert_cmpstr (value_of (allowed_argv, "-netdev"), ==, "user,id=net0,hostfwd=tcp:0.0.0.0:8080-:80");
  }
  /* A check (not strict) shows the command with a notice. */
  options.forward_addresses = NULL;
  options.strict = FALSE;
  {
    g_auto(GStrv) checked = build (open_spec, &options, notices);

    g_assert_cmpstr (value_of (checked, "-netdev"), ==, "user,id=net0,hostfwd=tcp:0.0.0.0:8080-:80");
    g_assert_cmpuint (notices->len, ==, 1);
    g_assert_nonnull (strstr (g_ptr_array_index (notices, 0), "0.0.0.0 is not a loopback address"));
  }

  /* On a bridge the guest has its own address: the forward is not used, and the user is told. */
  g_ptr_array_set_size (notices, 0);
  options.net_mode = HV_QEMU_NET_TAP;
  {
    g_auto(GStrv) tap = build (spec, &options, notices);
    g_auto(GStrv) tap_netdevs = values_of (tap, "-netdev");

    g_assert_false (any_arg_contains (tap, "hostfwd"));
    g_assert_true (g_str_has_prefix (tap_netdevs[0], "tap,id=net0,"));
    g_assert_cmpuint (notices->len, ==, 1);
    g_assert_nonnull (strstr (g_ptr_array_index (notices, 0), "vif 0: forward= not used"));
  }
}

/* TCG's translation cache: the config's tb_size, else the daemon's size, else by memory. */
static void
test_tb_size (void)
{
  static const struct {
    const char *keys;
    guint       setting;
    const char *accel;
  } cases[] = {
    { "memory = 128\n", HV_QEMU_TB_SIZE_AUTO, "tcg,tb-size=32" },    /* the test guest: the least */
    { "memory = 64\n", HV_QEMU_TB_SIZE_AUTO, "tcg,tb-size=32" },
    { "memory = 512\n", HV_QEMU_TB_SIZE_AUTO, "tcg,tb-size=128" },   /* a Debian guest */
    { "memory = 1024\n", HV_QEMU_TB_SIZE_AUTO, "tcg,tb-size=256" },
    { "memory = 8192\n", HV_QEMU_TB_SIZE_AUTO, "tcg,tb-size=256" },  /* at most */
    { "memory = 512\n", 64, "tcg,tb-size=64" },                      /* domusd --tb-size 64 */
    { "memory = 512\n", 0, "tcg" },                                  /* --tb-size 0: QEMU's own */
    { "memory = 128\ntb_size = 512\n", HV_QEMU_TB_SIZE_AUTO, "tcg,tb-size=512" },
    { "memory = 128\ntb_size = 512\n", 64, "tcg,tb-size=512" },     /* the domain's key first */
    { "memory = 2048\ntb_size = 0\n", 32, "tcg" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = g_strdup_printf ("name = 'g'\nkernel = '/k'\n%s", cases[i].keys);
      g_autoptr(HvDomainSpec) spec = test_spec_from_text (text);
      g_auto(GStrv) argv = NULL;
      HvQemuOptions options;

      hv_qemu_options_init (&options);
      g_assert_cmpuint (options.tb_size_mib, ==, HV_QEMU_TB_SIZE_AUTO);
      options.run_dir = RUN_DIR;
      options.tb_size_mib = cases[i].setting;
      argv = build (spec, &options, NULL);
      g_assert_cmpstr (value_of (argv, "-accel"), ==, cases[i].accel);
    }
}

static void
test_accelerator_and_binary (void)
{
  g_autoptr(HvDomainSpec) spec = test_spec_from_text ("name = 'g'\nkernel = '/k'\n");
  g_auto(GStrv) tcg = NULL;
  g_auto(GStrv) kvm = NULL;
  g_auto(GStrv) found = NULL;
  HvQemuOptions options;

  hv_qemu_options_init (&options);
  options.run_dir = RUN_DIR;
  options.binary = "/opt/qemu/bin/qemu-system-x86_64";
  options.tb_size_mib = 64;
  tcg = build (spec, &options, NULL);
  g_assert_cmpstr (tcg[0], ==, "/opt/qemu/bin/qemu-system-x86_64");
  g_assert_cmpstr (value_of (tcg, "-accel"), ==, "tcg,tb-size=64");

  options.accel = HV_QEMU_ACCEL_KVM;
  kvm = build (spec, &options, NULL);
  g_assert_cmpstr (value_of (kvm, "-accel"), ==, "kvm");

  /* No binary given: the bare name, found in PATH when it is there. */
  options.binary = NULL;
  found = build (spec, &options, NULL);
  g_assert_true (g_str_has_suffix (found[0], "qemu-system-x86_64"));
}

static void
test_actions (void)
{
  g_auto(GStrv) destroy = build_text ("name = 'g'\nkernel = '/k'\non_reboot = 'destroy'\n");
  g_auto(GStrv) preserve = build_text ("name = 'g'\nkernel = '/k'\non_poweroff = 'preserve'\n");
  g_auto(GStrv) restart = build_text ("name = 'g'\nkernel = '/k'\non_reboot = 'rename-restart'\n");

  g_assert_true (has_arg (destroy, "-no-reboot"));
  g_assert_false (has_arg (destroy, "-no-shutdown"));
  g_assert_true (has_arg (preserve, "-no-shutdown"));
  g_assert_false (has_arg (preserve, "-no-reboot"));
  g_assert_false (has_arg (restart, "-no-reboot"));

  /* A panic QEMU hears of (pvpanic) ends it, unless on_crash keeps the dead guest. */
  {
    g_auto(GStrv) crash_preserve = build_text ("name = 'g'\nkernel = '/k'\non_crash = 'preserve'\n");

    g_assert_cmpstr (value_of (crash_preserve, "-action"), ==, "panic=pause");
    g_assert_false (has_arg (destroy, "-action"));
  }
}

static void
test_vnc (void)
{
  g_auto(GStrv) on = build_text ("name = 'g'\nkernel = '/k'\nvnc = 1\nvnclisten = '0.0.0.0'\nvncdisplay = 1\n");
  g_auto(GStrv) vfb = build_text ("name = 'g'\nkernel = '/k'\nvfb = [ 'type=vnc, vnclisten=0.0.0.0' ]\n");

  g_assert_cmpstr (value_of (on, "-vnc"), ==, "unix:" RUN_DIR "/vnc.sock");
  g_assert_cmpstr (value_of (vfb, "-vnc"), ==, "unix:" RUN_DIR "/vnc.sock");
  /* Whatever the file says, never a network address. */
  g_assert_false (any_arg_contains (on, "0.0.0.0"));
  g_assert_false (any_arg_contains (vfb, "0.0.0.0"));
}

/* clipboard = 1: QEMU's vdagent on a virtio serial port named as SPICE names it, only with a
 * screen to share the clipboard with. */
static void
test_clipboard (void)
{
  g_auto(GStrv) on = build_text ("name = 'g'\nkernel = '/k'\nvnc = 1\nclipboard = 1\n");
  g_auto(GStrv) off = build_text ("name = 'g'\nkernel = '/k'\nvnc = 1\n");
  g_auto(GStrv) no_screen = build_text ("name = 'g'\nkernel = '/k'\nclipboard = 1\n");
  g_autoptr(HvDomainSpec) spec = test_spec_from_text ("name = 'g'\nkernel = '/k'\nclipboard = 1\n");
  g_auto(GStrv) chardevs = values_of (on, "-chardev");
  g_auto(GStrv) devices = values_of (on, "-device");

  g_assert_true (g_strv_contains ((const char * const *) chardevs,
                                  "qemu-vdagent,id=vdagent,name=vdagent,clipboard=on"));
  g_assert_true (g_strv_contains ((const char * const *) devices, "virtio-serial-pci,id=vdagent-serial"));
  g_assert_true (g_strv_contains ((const char * const *) devices,
                                  "virtserialport,bus=vdagent-serial.0,chardev=vdagent,name=com.redhat.spice.0"));
  g_assert_false (any_arg_contains (off, "vdagent"));
  g_assert_false (any_arg_contains (no_screen, "vdagent"));
  /* Said, not refused: the guest starts without it. */
  g_assert_true (spec->clipboard);
  {
    gboolean said = FALSE;

    for (guint i = 0; i < spec->notices->len; i++)
      said = said || g_str_has_prefix (g_ptr_array_index (spec->notices, i), "clipboard: ");
    g_assert_true (said);
  }
}

static void
test_shell (void)
{
  g_autoptr(HvDomainSpec) spec = test_spec_from_file ("listing1.cfg");
  g_auto(GStrv) argv = build (spec, NULL, NULL);
  g_autofree char *one_line = hv_qemu_command_to_shell ((const char * const *) argv, FALSE);
  g_autofree char *lines = hv_qemu_command_to_shell ((const char * const *) argv, TRUE);
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) parsed = NULL;
  int n;

  g_assert_nonnull (strstr (one_line, " -m 512 "));
  g_assert_nonnull (strstr (one_line, "-append 'root=/dev/hda1 console=tty0 console=ttyS0 no_timer_check'"));
  g_assert_nonnull (strstr (lines, " \\\n    -m 512 \\\n"));

  /* What the shell reads back is the argv itself. */
  g_assert_true (g_shell_parse_argv (lines, &n, &parsed, &error));
  g_assert_no_error (error);
  g_assert_cmpint (n, ==, (int) g_strv_length (argv));
  for (int i = 0; i < n; i++)
    g_assert_cmpstr (parsed[i], ==, argv[i]);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/qemu-command/listing1", test_listing1);
  g_test_add_func ("/qemu-command/listing4", test_listing4);
  g_test_add_func ("/qemu-command/run-folder", test_run_folder);
  g_test_add_func ("/qemu-command/run-folder-too-long", test_run_folder_too_long);
  g_test_add_func ("/qemu-command/machine-keys", test_machine_keys);
  g_test_add_func ("/qemu-command/kernel-boot", test_kernel_boot);
  g_test_add_func ("/qemu-command/kernel-boot-timer-check", test_kernel_boot_timer_check);
  g_test_add_func ("/qemu-command/firmware-boot", test_firmware_boot);
  g_test_add_func ("/qemu-command/drives", test_drives);
  g_test_add_func ("/qemu-command/drive-path-with-comma", test_drive_path_with_comma);
  g_test_add_func ("/qemu-command/nics-user", test_nics_user);
  g_test_add_func ("/qemu-command/nics-tap", test_nics_tap);
  g_test_add_func ("/qemu-command/nics-forwards", test_nics_forwards);
  g_test_add_func ("/qemu-command/tb-size", test_tb_size);
  g_test_add_func ("/qemu-command/accelerator-and-binary", test_accelerator_and_binary);
  g_test_add_func ("/qemu-command/actions", test_actions);
  g_test_add_func ("/qemu-command/vnc", test_vnc);
  g_test_add_func ("/qemu-command/clipboard", test_clipboard);
  g_test_add_func ("/qemu-command/shell", test_shell);

  return g_test_run ();
}
