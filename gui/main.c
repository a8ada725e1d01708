/* SPDX-License-Identifier: GPL-3.0-or-later */
/* domus [--connect URI]... [--console DOMAIN]: the Domus window. */

#include "config.h"

#include <locale.h>
#include <glib/gi18n.h>

#include "domus-application.h"

int
main (int   argc,
      char *argv[])
{
  g_autoptr(DomusApplication) app = NULL;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  app = domus_application_new ();
  return g_application_run (G_APPLICATION (app), argc, argv);
}
