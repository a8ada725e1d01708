/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The domain-name rule: names become NAME.cfg and a run folder, and stand beside numeric ids. */

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "domus-domain-name.h"

G_DEFINE_QUARK (domus-domain-name-error-quark, domus_domain_name_error)

static gboolean
is_all_digits (const char *name)
{
  for (const char *p = name; *p != '\0'; p++)
    if (!g_ascii_isdigit (*p))
      return FALSE;
  return TRUE;
}

gboolean
domus_domain_name_check (const char  *name,
                         GError     **error)
{
  gsize length = name != NULL ? strlen (name) : 0;

  if (length == 0)
    {
      g_set_error (error, DOMUS_DOMAIN_NAME_ERROR, DOMUS_DOMAIN_NAME_ERROR_EMPTY,
                   _("A domain needs a name: 1 to 64 letters, digits, “.”, “_” or “-”."));
      return FALSE;
    }
  if (length > DOMUS_DOMAIN_NAME_MAX_LENGTH)
    {
      g_set_error (error, DOMUS_DOMAIN_NAME_ERROR, DOMUS_DOMAIN_NAME_ERROR_TOO_LONG,
                   _("“%s” is too long for a domain name: use at most 64 bytes."), name);
      return FALSE;
    }
  for (const char *p = name; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '.' && *p != '_' && *p != '-')
      {
        /* The name may not be UTF-8: show it escaped rather than as broken text. */
        g_autofree char *shown = g_strescape (name, NULL);

        g_set_error (error, DOMUS_DOMAIN_NAME_ERROR, DOMUS_DOMAIN_NAME_ERROR_BAD_CHARACTER,
                     _("“%s” is not a valid domain name: use only letters, digits, “.”, “_” and “-”."),
                     shown);
        return FALSE;
      }
  /* A leading '.' or '-' would make a hidden file or an option of the name. */
  if (name[0] == '.' || name[0] == '-')
    {
      g_set_error (error, DOMUS_DOMAIN_NAME_ERROR, DOMUS_DOMAIN_NAME_ERROR_BAD_START,
                   _("“%s” is not a valid domain name: it may not start with “.” or “-”."), name);
      return FALSE;
    }
  /* xm, and domusctl after it, read a number where a domain is named as that domain's id. */
  if (is_all_digits (name))
    {
      g_set_error (error, DOMUS_DOMAIN_NAME_ERROR, DOMUS_DOMAIN_NAME_ERROR_ALL_DIGITS,
                   _("“%s” is not a valid domain name: a name of digits only would be taken "
                     "for a domain id; add a letter (for example “vm%s”)."),
                   name, name);
      return FALSE;
    }
  if (strcmp (name, DOMUS_DOMAIN0_NAME) == 0)
    {
      g_set_error (error, DOMUS_DOMAIN_NAME_ERROR, DOMUS_DOMAIN_NAME_ERROR_RESERVED,
                   _("“%s” is the host’s own name: choose another."), name);
      return FALSE;
    }
  return TRUE;
}

gboolean
domus_domain_name_is_valid (const char *name)
{
  return domus_domain_name_check (name, NULL);
}
