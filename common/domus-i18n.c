/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The start every Domus program makes: the user's locale and our message catalogue. */

#include "config.h"

#include <locale.h>
#include <glib/gi18n.h>

#include "domus-i18n.h"

/* DOMUS_LOCALEDIR lets the tests (and a build tree) use the catalogues the build
 * made, BUILD/po/LANG/LC_MESSAGES/domus.mo, before anything is installed. */
const char *
domus_i18n_get_localedir (void)
{
  const char *dir = g_getenv ("DOMUS_LOCALEDIR");

  return dir != NULL && *dir != '\0' ? dir : LOCALEDIR;
}

void
domus_i18n_init (void)
{
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, domus_i18n_get_localedir ());
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
}
