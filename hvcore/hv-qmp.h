/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A QMP client: the daemon's line to one QEMU process. */

#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define HV_QMP_ERROR (hv_qmp_error_quark ())

typedef enum {
  HV_QMP_ERROR_CONNECT,   /* nobody answered on the socket, or no QMP greeting came */
  HV_QMP_ERROR_COMMAND,   /* QEMU answered with an error; the message is QEMU's desc */
  HV_QMP_ERROR_CLOSED,    /* the connection ended before the answer came */
  HV_QMP_ERROR_PROTOCOL,  /* QEMU sent something that is not QMP */
} HvQmpError;

GQuark hv_qmp_error_quark (void);

#define HV_TYPE_QMP (hv_qmp_get_type ())
G_DECLARE_FINAL_TYPE (HvQmp, hv_qmp, HV, QMP, GObject)

/*
 * Signals:
 *   "event"  (const char *name, JsonObject *data, gint64 timestamp_us)   an asynchronous QMP event;
 *            data is an empty object when the event had none
 *   "closed" (const GError *error)   once, when the connection ends (QEMU exited, or _close);
 *            error is NULL after _close
 */

/* Connects to the QMP socket at `path`, reads the greeting and negotiates capabilities. */
void        hv_qmp_connect_async   (const char          *path,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data);
HvQmp      *hv_qmp_connect_finish  (GAsyncResult        *result,
                                    GError             **error);

/* QEMU's version from the greeting, "7.2.0". */
const char *hv_qmp_get_version     (HvQmp               *self);

/* Runs `command` with `arguments` (an object, or NULL); transfer none of arguments. */
void        hv_qmp_execute_async   (HvQmp               *self,
                                    const char          *command,
                                    JsonObject          *arguments,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data);
/* The "return" member (transfer full; an empty object for commands returning {}). */
JsonNode   *hv_qmp_execute_finish  (HvQmp               *self,
                                    GAsyncResult        *result,
                                    GError             **error);

/*
 * As hv_qmp_execute_async, with `fd` passed to QEMU alongside the command (SCM_RIGHTS), for
 * `getfd` and `add-fd`. The caller keeps its own fd; QEMU receives a duplicate.
 */
void        hv_qmp_execute_with_fd_async (HvQmp         *self,
                                    const char          *command,
                                    JsonObject          *arguments,
                                    int                  fd,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data);

gboolean    hv_qmp_is_closed       (HvQmp               *self);
void        hv_qmp_close           (HvQmp               *self);

G_END_DECLS
