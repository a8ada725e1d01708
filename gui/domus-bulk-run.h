/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * One action on several domains at once (docs/gui.md, "Many domains at once"): a
 * GListModel of DomusBulkItem, one per domain, each saying how it went. Lifecycle actions
 * and tags go to every domain at once; migrations run one after another. Nothing is
 * retried: a failure stays a failure, with the host's reason.
 */

#pragma once

#include <gio/gio.h>

#include "domus-bulk-item.h"
#include "domus-host.h"

G_BEGIN_DECLS

typedef enum {
  DOMUS_BULK_START,
  DOMUS_BULK_SHUTDOWN,
  DOMUS_BULK_REBOOT,
  DOMUS_BULK_PAUSE,
  DOMUS_BULK_RESUME,
  DOMUS_BULK_DESTROY,
  DOMUS_BULK_ADD_TAG,
  DOMUS_BULK_REMOVE_TAG,
  DOMUS_BULK_MIGRATE,
} DomusBulkOperation;

/* Whether a domain in this state takes the operation (docs/protocol.md's states): the
 * window's actions are enabled by the same rule. */
gboolean     domus_bulk_operation_accepts      (DomusBulkOperation  operation,
                                                DomusDomainState    state);
/* The window action it is ("pause", …, "add-tag", "remove-tag", "migrate"). */
const char  *domus_bulk_operation_action_name  (DomusBulkOperation  operation);
/* FALSE when the name is no operation's action. */
gboolean     domus_bulk_operation_from_action  (const char         *action_name,
                                                DomusBulkOperation *operation);

#define DOMUS_TYPE_BULK_RUN (domus_bulk_run_get_type ())
G_DECLARE_FINAL_TYPE (DomusBulkRun, domus_bulk_run, DOMUS, BULK_RUN, GObject)

/* domains: DomusDomain, each once (a GPtrArray of them, not consumed). */
DomusBulkRun       *domus_bulk_run_new             (DomusBulkOperation  operation,
                                                    GPtrArray          *domains);
DomusBulkOperation  domus_bulk_run_get_operation   (DomusBulkRun       *self);

/* The tag to add or remove. */
void                domus_bulk_run_set_tag         (DomusBulkRun       *self,
                                                    const char         *tag);
/* Migrations: where to, and whether the disks are copied too (see DomusMigration). Setting
 * either forgets earlier checks. */
void                domus_bulk_run_set_target      (DomusBulkRun       *self,
                                                    DomusHost          *target);
void                domus_bulk_run_set_copy_storage (DomusBulkRun      *self,
                                                    gboolean            copy_storage);
/* Asks the target's checks for each domain (status CHECKING, then READY or FAILED with the
 * failed checks as the message); "checked" is emitted when all have answered. */
void                domus_bulk_run_check           (DomusBulkRun       *self);
/* How many domains would be acted on now: those whose state takes the operation and,
 * for a migration, whose checks passed. */
guint               domus_bulk_run_count_ready     (DomusBulkRun       *self);

/* Before the start: each item's message says why it would be left out, or nothing. */
void                domus_bulk_run_preview         (DomusBulkRun       *self);

/* Acts: every item whose domain takes it is RUNNING then SUCCEEDED or FAILED; the others
 * SKIPPED. "finished" when every item is. Once only. */
void                domus_bulk_run_start           (DomusBulkRun       *self);
/* Items not started yet are skipped; a migration under way is cancelled (rolled back). */
void                domus_bulk_run_cancel          (DomusBulkRun       *self);
gboolean            domus_bulk_run_get_running     (DomusBulkRun       *self);
/* Counts by outcome, for a summary line. */
guint               domus_bulk_run_count           (DomusBulkRun       *self,
                                                    DomusBulkStatus     status);

/*
 * Signals:
 *   "checked" (DomusBulkRun *run): every check has answered.
 *   "finished" (DomusBulkRun *run): every item is over.
 */

G_END_DECLS
