/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Runs the alert rules' command for each new alert, one at a time (e.g. to send mail). */

#pragma once

#include <gio/gio.h>

#include "hv-alerts.h"

G_BEGIN_DECLS

/* How long one run may take before it is killed. */
#define HV_ALERT_COMMAND_TIMEOUT_SECONDS 60
/* Alerts waiting beyond this many are not run (and the log says so). */
#define HV_ALERT_COMMAND_MAX_QUEUED 100

#define HV_TYPE_ALERT_COMMAND (hv_alert_command_get_type ())
G_DECLARE_FINAL_TYPE (HvAlertCommand, hv_alert_command, HV, ALERT_COMMAND, GObject)

/*
 * Signals:
 *   "finished" (HvAlert *alert, gboolean success)   a run ended (for tests and the log)
 */

HvAlertCommand *hv_alert_command_new (const char     *host_name);
/*
 * Queues a run of `command_line` (split as a shell would, but run without one) for `alert`:
 * the alert in DOMUS_ALERT_ID, _KIND, _DOMAIN, _PATH, _MESSAGE, _TIME (ISO 8601), DOMUS_HOST,
 * and as one line of JSON on its standard input. Its output goes to the daemon's log.
 */
void            hv_alert_command_run (HvAlertCommand *self,
                                      const char     *command_line,
                                      HvAlert        *alert);

G_END_DECLS
