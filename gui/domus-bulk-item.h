/* SPDX-License-Identifier: GPL-3.0-or-later */
/* One domain of a bulk action (DomusBulkRun): where it is and how it went. */

#pragma once

#include <gio/gio.h>

#include "domus-domain.h"

G_BEGIN_DECLS

typedef enum {
  DOMUS_BULK_STATUS_WAITING,    /* not acted on yet */
  DOMUS_BULK_STATUS_CHECKING,   /* a migration's target is being asked */
  DOMUS_BULK_STATUS_READY,      /* the target's checks passed */
  DOMUS_BULK_STATUS_RUNNING,
  DOMUS_BULK_STATUS_SUCCEEDED,
  DOMUS_BULK_STATUS_FAILED,     /* the host refused or the call failed: the message says why */
  DOMUS_BULK_STATUS_SKIPPED,    /* not asked: its state does not take the action, or cancelled */
} DomusBulkStatus;

#define DOMUS_TYPE_BULK_STATUS (domus_bulk_status_get_type ())
GType domus_bulk_status_get_type (void) G_GNUC_CONST;

#define DOMUS_TYPE_BULK_ITEM (domus_bulk_item_get_type ())
G_DECLARE_FINAL_TYPE (DomusBulkItem, domus_bulk_item, DOMUS, BULK_ITEM, GObject)

DomusBulkItem   *domus_bulk_item_new           (DomusDomain     *domain);

DomusDomain     *domus_bulk_item_get_domain    (DomusBulkItem   *self);
/* The domain's name and its host's, as they were when the action was chosen: a migrated
 * domain's object belongs to the old host, and a host may go away meanwhile. */
const char      *domus_bulk_item_get_name      (DomusBulkItem   *self);
const char      *domus_bulk_item_get_host_name (DomusBulkItem   *self);
DomusBulkStatus  domus_bulk_item_get_status    (DomusBulkItem   *self);
/* Why it failed or was skipped, or how far it got; NULL when there is nothing to say. */
const char      *domus_bulk_item_get_message   (DomusBulkItem   *self);
/* Sets both, notifying "message" then "status" for what changed. */
void             domus_bulk_item_set_status    (DomusBulkItem   *self,
                                                DomusBulkStatus  status,
                                                const char      *message);
/* Whether it is over (succeeded, failed or skipped). */
gboolean         domus_bulk_item_is_finished   (DomusBulkItem   *self);

G_END_DECLS
