/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What the libFuzzer harnesses share: quiet logs that still stop at a critical, a bounded main loop. */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

int  LLVMFuzzerTestOneInput (const guint8 *data,
                             size_t        size);
int  LLVMFuzzerInitialize   (int          *argc,
                             char       ***argv);

/*
 * Drops debug, info, message and warning lines (a harness makes thousands of them: a QMP
 * peer that sends garbage is warned about) and aborts on a critical or an error: a
 * g_return_if_fail() that input can reach is a bug the fuzzer must report.
 */
void     fuzz_init_logging     (void);

/* Iterates the default main context until *flag is set or timeout_ms passes; TRUE if set. */
gboolean fuzz_iterate_until    (const gboolean *flag,
                                guint           timeout_ms);

/* Runs what is ready in the default main context, without blocking. */
void     fuzz_iterate_pending  (void);

G_END_DECLS
