/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Times the .cfg parser: parse FILE N times, then edit one key and write it N times. */

#include <stdio.h>
#include <stdlib.h>

#include "hv-config.h"

static double
seconds_since (gint64 start)
{
  return (g_get_monotonic_time () - start) / 1e6;
}

int
main (int argc, char **argv)
{
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  gsize length;
  gint64 start;
  long rounds;

  if (argc != 3 || (rounds = strtol (argv[2], NULL, 10)) <= 0)
    {
      fprintf (stderr, "usage: %s FILE ROUNDS\n", argv[0]);
      return 2;
    }
  if (!g_file_get_contents (argv[1], &text, &length, &error))
    {
      fprintf (stderr, "%s\n", error->message);
      return 1;
    }

  start = g_get_monotonic_time ();
  for (long i = 0; i < rounds; i++)
    {
      g_autoptr(HvConfig) config = hv_config_new_from_data (text, length, argv[1], &error);

      if (config == NULL)
        {
          fprintf (stderr, "%s\n", error->message);
          return 1;
        }
    }
  printf ("parse %.2f\n", seconds_since (start) * 1e6 / rounds);

  start = g_get_monotonic_time ();
  for (long i = 0; i < rounds; i++)
    {
      g_autoptr(HvConfig) config = hv_config_new_from_data (text, length, argv[1], NULL);
      g_autofree char *written = NULL;

      hv_config_set_int (config, "memory", 1024 + i % 2);
      written = hv_config_to_data (config, NULL);
    }
  printf ("parse+edit+write %.2f\n", seconds_since (start) * 1e6 / rounds);
  return 0;
}
