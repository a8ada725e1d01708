/* SPDX-License-Identifier: GPL-3.0-or-later */
/* domus [--connect URI]... [--console DOMAIN]: the Domus window. */

#include "config.h"

#include <glib/gi18n.h>

#include "domus-application.h"
#include "domus-i18n.h"

int
main (int   argc,
      char *argv[])
{
  g_autoptr(DomusApplication) app = NULL;

  domus_i18n_init ();

  app = domus_application_new ();
  return g_application_run (G_APPLICATION (app), argc, argv);
}
