/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The domusd kind of host: the JSON-RPC protocol of docs/protocol.md behind the typed calls. */

#pragma once

#include "domus-connection.h"
#include "domus-host-driver.h"
#include "domus-migration.h"

G_BEGIN_DECLS

#define DOMUS_TYPE_DAEMON_DRIVER (domus_daemon_driver_get_type ())
G_DECLARE_FINAL_TYPE (DomusDaemonDriver, domus_daemon_driver, DOMUS, DAEMON_DRIVER, DomusHostDriver)

/*
 * The connection to the daemon (transfer none), NULL when not connected: for what only
 * a domusd host has (domusctl's raw --json dumps and bridge) and for the migration flow.
 */
DomusConnection *domus_daemon_driver_get_connection (DomusDaemonDriver *self);
/* The same for a host: NULL when it is not a domusd host or not connected. */
DomusConnection *domus_daemon_driver_get_host_connection (DomusHost *host);

/* What a call's answer becomes; answer is the result, never NULL. Returns through task (taken). */
typedef void (*DomusDaemonAnswerFunc) (DomusDaemonDriver *self,
                                       GTask             *task,
                                       JsonObject        *answer);

/*
 * Sends method with params (taken, nullable) and hands the answer to answer, or the
 * error to task (taken). The task's cancellable stops the wait.
 */
void _domus_daemon_call (DomusDaemonDriver     *self,
                         const char            *method,
                         JsonObject            *params,
                         GTask                 *task,
                         DomusDaemonAnswerFunc  answer);

/* The answer of the calls that return nothing but success: the task returns TRUE. */
void _domus_daemon_answer_true (DomusDaemonDriver *self,
                                GTask             *task,
                                JsonObject        *answer);
/* The strings of a JSON array (others left out); an empty list for anything else. */
GStrv _domus_daemon_strings_of (JsonNode *node);

/* {"name": NAME}, the params most methods take (transfer full). */
JsonObject *_domus_daemon_name_params (const char *name);

/* Save and restore, snapshots, clones, new guests (domus-daemon-guests.c): sets their vfuncs. */
void _domus_daemon_guests_class_init (DomusHostDriverClass *driver_class);

/* A domusd host's alerts (domus-daemon-alerts.c): the events followed on connection,
 * alerts.list's answer read into the host's model when it is followed (FALSE and error
 * when the answer is not one), the calls. */
void _domus_daemon_alerts_follow      (DomusDaemonDriver *self,
                                       DomusConnection   *connection);
gboolean _domus_daemon_alerts_apply   (DomusDaemonDriver  *self,
                                       JsonObject         *answer,
                                       GError            **error);
void _domus_daemon_acknowledge_alerts (DomusHostDriver   *driver,
                                       const guint64     *ids,
                                       guint              n_ids,
                                       gboolean           all,
                                       GTask             *task);
void _domus_daemon_get_alert_rules    (DomusHostDriver   *driver,
                                       GTask             *task);
void _domus_daemon_set_alert_rules    (DomusHostDriver   *driver,
                                       GVariant          *rules,
                                       GTask             *task);

/* The migration flow between two domusd hosts (domus-daemon-migration.c). */
void _domus_daemon_migration_check    (DomusHostDriver *source,
                                       DomusHostDriver *target,
                                       DomusMigration  *migration,
                                       GTask           *task);
void _domus_daemon_migration_run      (DomusHostDriver *source,
                                       DomusHostDriver *target,
                                       DomusMigration  *migration,
                                       GTask           *task);
void _domus_daemon_migration_start_on (DomusHostDriver *source,
                                       DomusHostDriver *target,
                                       DomusMigration  *migration,
                                       GTask           *task);

G_END_DECLS
