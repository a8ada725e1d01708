/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What a domain may be called: one rule for the daemon, domusctl and the window. */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define DOMUS_DOMAIN_NAME_ERROR (domus_domain_name_error_quark ())

typedef enum {
  DOMUS_DOMAIN_NAME_ERROR_EMPTY,
  DOMUS_DOMAIN_NAME_ERROR_TOO_LONG,
  DOMUS_DOMAIN_NAME_ERROR_BAD_START,      /* '.' or '-' first: a hidden file or an option */
  DOMUS_DOMAIN_NAME_ERROR_BAD_CHARACTER,
  DOMUS_DOMAIN_NAME_ERROR_ALL_DIGITS,     /* would be read as a domain id, as xm read it */
  DOMUS_DOMAIN_NAME_ERROR_RESERVED,       /* the host's own name, Domain-0 */
} DomusDomainNameError;

GQuark domus_domain_name_error_quark (void);

#define DOMUS_DOMAIN_NAME_MAX_LENGTH 64
#define DOMUS_DOMAIN0_NAME           "Domain-0"

/*
 * Letters, digits, '.', '_' and '-'; 1 to 64 bytes; not starting with '.' or '-'; not
 * digits only; not Domain-0. The error's message is a whole sentence that names the
 * name and says what to change.
 */
gboolean domus_domain_name_check    (const char  *name,
                                     GError     **error);
gboolean domus_domain_name_is_valid (const char  *name);

G_END_DECLS
