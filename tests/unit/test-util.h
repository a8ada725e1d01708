/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Helpers the unit tests share: sample files and configs that must load, waits on the main
 * context with a limit, and a connected pair of streams. */

#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

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

/* No test should come near this; it turns a hang into a failure. */
#define TEST_WAIT_LIMIT_SECONDS 20

/* A limit on a wait: unless the returned source is removed within TEST_WAIT_LIMIT_SECONDS,
 * the test fails saying it waited for what. */
guint         test_wait_limit       (const char *what);

/* Runs the default main context until condition (data) holds, within the limit. */
typedef gboolean (*TestCondition) (gpointer data);
void          test_wait_for         (TestCondition  condition,
                                     gpointer       data,
                                     const char    *what);

/* The same until *flag is TRUE. */
void          test_wait_until       (const gboolean *flag);

/* Two socket connections joined by a socketpair of this process (AF_UNIX, stream). */
void          test_stream_pair      (GIOStream **a,
                                     GIOStream **b);

/* text as JSON; the test fails when it is not JSON. */
JsonNode     *test_parse_json       (const char *text);
