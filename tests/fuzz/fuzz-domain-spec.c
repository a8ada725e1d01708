/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * libFuzzer entry point for the domain spec (hvcore/hv-domain-spec.c): a .cfg text is read
 * into a spec (disks, vifs, paths, boot, actions), then into QEMU's command line, as the
 * daemon does before a start. The first byte picks strict files and the network mode.
 */

#include "config.h"

#include <string.h>

#include "fuzz-util.h"
#include "hv-domain-spec.h"
#include "hv-qemu-command.h"

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  fuzz_init_logging ();
  return 0;
}

static void
check_spec (const HvDomainSpec *spec)
{
  g_assert (hv_domain_name_is_valid (spec->name));
  g_assert (spec->memory_mib > 0 && spec->vcpus > 0);
  g_assert (spec->tags != NULL);
  for (guint i = 0; spec->tags[i] != NULL; i++)
    g_assert (spec->tags[i][0] != '\0' && strchr (spec->tags[i], ',') == NULL);
  for (guint i = 0; i < spec->disks->len; i++)
    {
      const HvDiskSpec *disk = g_ptr_array_index (spec->disks, i);

      /* A path is absolute, or empty for an empty CD-ROM drive. */
      g_assert (disk->path != NULL && (disk->path[0] == '\0' || g_path_is_absolute (disk->path)));
      g_assert (disk->device != NULL && disk->device[0] != '\0');
      g_assert ((disk->bus == HV_DISK_BUS_IDE) == (disk->ide_index >= 0));
    }
  for (guint i = 0; i < spec->vifs->len; i++)
    {
      const HvVifSpec *vif = g_ptr_array_index (spec->vifs, i);
      g_autofree char *with_mac = hv_domain_spec_vif_entry_with_mac (vif->entry, vif->mac);

      g_assert (vif->mac != NULL && strlen (vif->mac) == 17);
      g_assert (g_str_has_prefix (with_mac, "mac="));
    }
  if (spec->boot_method == HV_DOMAIN_BOOT_KERNEL)
    g_assert (spec->kernel != NULL && g_path_is_absolute (spec->kernel));
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(HvConfig) config = NULL;
  g_autoptr(HvDomainSpec) spec = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) notices = g_ptr_array_new_with_free_func (g_free);
  g_auto(GStrv) argv = NULL;
  g_auto(GStrv) spec_notices = NULL;
  g_autofree char *shell = NULL;
  HvQemuOptions options;

  if (size == 0)
    return 0;
  config = hv_config_new_from_data ((const char *) data + 1, size - 1, "fuzz.cfg", &error);
  if (config == NULL)
    return 0;
  spec = hv_domain_spec_new (config, (data[0] & 1) ? HV_DOMAIN_SPEC_STRICT_FILES : HV_DOMAIN_SPEC_FLAGS_NONE,
                             &error);
  if (spec == NULL)
    {
      /* Every refusal names the file. */
      g_assert (error != NULL && error->domain == HV_CONFIG_ERROR);
      g_assert (strstr (error->message, "fuzz.cfg") != NULL);
      /* It goes into the daemon's JSON answers: UTF-8, whatever the file held. */
      g_assert (g_utf8_validate (error->message, -1, NULL));
      return 0;
    }
  g_assert (error == NULL);
  check_spec (spec);
  spec_notices = hv_domain_spec_dup_notices (spec);

  hv_qemu_options_init (&options);
  options.run_dir = "/run/domus/fuzz";
  options.net_mode = (data[0] & 2) ? HV_QEMU_NET_TAP : HV_QEMU_NET_USER;
  options.incoming = (data[0] & 4) != 0;
  options.strict = (data[0] & 1) != 0;
  argv = hv_qemu_command_build (spec, &options, notices, &error);
  if (argv == NULL)
    {
      g_assert (error != NULL && g_utf8_validate (error->message, -1, NULL));
      return 0;
    }
  for (guint i = 0; i < notices->len; i++)
    g_assert (g_utf8_validate (g_ptr_array_index (notices, i), -1, NULL));
  for (guint i = 0; spec_notices[i] != NULL; i++)
    g_assert (g_utf8_validate (spec_notices[i], -1, NULL));
  g_assert (argv[0] != NULL);
  shell = hv_qemu_command_to_shell ((const char * const *) argv, data[0] & 8);
  /* The shell form reads back as the very same words. */
  if (!(data[0] & 8))
    {
      g_auto(GStrv) words = NULL;

      g_assert (g_shell_parse_argv (shell, NULL, &words, NULL));
      g_assert (g_strv_equal ((const char * const *) words, (const char * const *) argv));
    }
  return 0;
}
