/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Helpers the unit tests share: sample files and configs that must load. */

#pragma once

#include <gio/gio.h>

#include "hv-config.h"
#include "hv-domain-spec.h"

/* A scripted daemon's socket: listening at path, incoming connected to it with data. */
GSocketService *test_listen_unix    (const char *path,
                                     GCallback   incoming,
                                     gpointer    data);

/* The path of a file in tests/data. */
char         *test_data_path        (const char *name);

/* These fail the test when the text or file does not load. Texts are named "guest.cfg". */
HvConfig     *test_config_from_text (const char *text);
HvConfig     *test_config_from_file (const char *name);
HvDomainSpec *test_spec_from_text   (const char *text);
HvDomainSpec *test_spec_from_file   (const char *name);
