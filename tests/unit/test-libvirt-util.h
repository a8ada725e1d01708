/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What the libvirt tests share: waiting on async calls and on events, throwaway test:/// hosts. */

#pragma once

#include <gio/gio.h>

#include "domus-libvirt-connection.h"
#include "domus-libvirt-domains.h"

/* A GAsyncReadyCallback that keeps the result in *(GAsyncResult **) user_data. */
void                    lvt_keep_result   (GObject       *source,
                                           GAsyncResult  *result,
                                           gpointer       user_data);
/* Runs the default main context until *slot is set (failing the test after 60 s) and empties
 * it; the result (transfer none) stays alive until the next lvt_wait(). */
GAsyncResult           *lvt_wait          (GAsyncResult **slot);
/* Runs the default main context until predicate (polled after each iteration) holds or
 * timeout_ms pass; what predicate said last. */
gboolean                lvt_wait_until    (gboolean     (*predicate) (gpointer data),
                                           gpointer       data,
                                           guint          timeout_ms);

/* Opens uri, failing the test on error. */
DomusLibvirtConnection *lvt_open          (const char    *uri);
/* One domain's info (domus_libvirt_get_domain_async), waited for. */
DomusLibvirtDomainInfo *lvt_get_domain    (DomusLibvirtConnection *connection,
                                           const char             *name,
                                           GError                **error);
/* Writes node_xml (a test driver <node>) to a fresh temporary file: its test:/// URI. */
char                   *lvt_test_uri      (const char    *node_xml);

/* Every "domain-event" of a connection, as "NAME KIND EVENT DETAIL" strings. */
typedef struct {
  GPtrArray *seen;
} LvtEvents;

void                    lvt_events_watch  (LvtEvents              *events,
                                           DomusLibvirtConnection *connection);
/* Waits up to timeout_ms for an event starting with prefix ("NAME 0 2"); TRUE when seen. */
gboolean                lvt_events_wait   (LvtEvents              *events,
                                           const char             *prefix,
                                           guint                   timeout_ms);
void                    lvt_events_clear  (LvtEvents              *events);

/* Every "sample" of a sampler, copied. */
typedef struct {
  GPtrArray *samples;   /* DomusLibvirtSample */
} LvtSamples;

void                    lvt_samples_watch (LvtSamples             *samples,
                                           GObject                *sampler);
/* Waits up to timeout_ms for count samples; TRUE when they came. */
gboolean                lvt_samples_wait  (LvtSamples             *samples,
                                           guint                   count,
                                           guint                   timeout_ms);
