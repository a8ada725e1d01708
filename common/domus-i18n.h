/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

void        domus_i18n_init          (void);
const char *domus_i18n_get_localedir (void);

G_END_DECLS
