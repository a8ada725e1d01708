/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer entry point for the .cfg parser and writer (built with -Dfuzzing=true). */

#include <string.h>

#include "hv-config.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HvConfig) config = hv_config_new_from_data ((const char *) data, size, "fuzz.cfg", &error);
  g_autofree char *text = NULL;
  gsize length;

  if (config == NULL)
    {
      /* Every refusal is a syntax error that says where. */
      g_assert (error->domain == HV_CONFIG_ERROR);
      g_assert (g_str_has_prefix (error->message, "fuzz.cfg"));
      /* It goes into the daemon's JSON answers: UTF-8, whatever the file held. */
      g_assert (g_utf8_validate (error->message, -1, NULL));
      return 0;
    }

  /* Untouched text comes back byte for byte. */
  text = hv_config_to_data (config, &length);
  g_assert (length == size && memcmp (text, data, size) == 0);

  /* Writing every value back, and dropping a key, gives a file that parses to the same. */
  {
    g_auto(GStrv) keys = hv_config_dup_keys (config);
    g_autoptr(HvConfig) reparsed = NULL;
    g_autofree char *rewritten = NULL;

    for (guint i = 0; keys[i] != NULL; i++)
      hv_config_set_value (config, keys[i], hv_config_get_value (config, keys[i]));
    if (keys[0] != NULL)
      hv_config_remove (config, keys[0]);
    rewritten = hv_config_to_data (config, NULL);
    reparsed = hv_config_new_from_data (rewritten, -1, "fuzz.cfg", &error);
    g_assert (reparsed != NULL);
    g_assert (hv_config_equal (config, reparsed));
  }
  return 0;
}
