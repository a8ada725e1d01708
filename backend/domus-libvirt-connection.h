/* SPDX-License-Identifier: GPL-3.0-or-later */
/* One libvirt connection (any libvirt URI), its calls made on a thread of its own, its events. */

#pragma once

#include <gio/gio.h>
#include <libvirt/libvirt.h>

G_BEGIN_DECLS

#define DOMUS_TYPE_LIBVIRT_CONNECTION (domus_libvirt_connection_get_type ())
G_DECLARE_FINAL_TYPE (DomusLibvirtConnection, domus_libvirt_connection, DOMUS, LIBVIRT_CONNECTION, GObject)

/* What a "domain-event" reports. */
typedef enum {
  DOMUS_LIBVIRT_EVENT_LIFECYCLE,   /* vir_event is a virDomainEventType, vir_detail its detail */
  DOMUS_LIBVIRT_EVENT_METADATA,    /* the domain's <metadata> (tags), title or description changed */
} DomusLibvirtEventKind;

/* What a piece of work hands back (exactly one of the three). */
typedef struct _DomusLibvirtReply DomusLibvirtReply;

void domus_libvirt_reply_pointer (DomusLibvirtReply *reply,
                                  gpointer           result,
                                  GDestroyNotify     result_destroy);
void domus_libvirt_reply_boolean (DomusLibvirtReply *reply,
                                  gboolean           result);
/* Takes error. */
void domus_libvirt_reply_error   (DomusLibvirtReply *reply,
                                  GError            *error);

/*
 * Work for the connection's thread: runs there with the connection's virConnectPtr and
 * the task's data, and hands its result to reply; the connection returns it through the
 * task on the task's main context. libvirt errors are read on that thread
 * (domus_libvirt_set_error()). Never touch GObjects of the main thread there.
 */
typedef void (*DomusLibvirtWork) (DomusLibvirtReply *reply,
                                  virConnectPtr      conn,
                                  gpointer           task_data,
                                  GCancellable      *cancellable);

/*
 * Opens uri (any URI libvirt accepts) on a thread of the connection's own. Passwords
 * and passphrases libvirt asks for go to interaction (nullable: then they fail); an SSH
 * host key libvirt does not know fails with DOMUS_ERROR_HOST_KEY_UNKNOWN carrying its
 * fingerprint unless it is accepted_host_key (nullable), which libvirt then records in
 * the URI's known_hosts. Other failures: DOMUS_ERROR_CONNECT_FAILED, _AUTH_FAILED, …
 * Calls domus_libvirt_init().
 */
void                    domus_libvirt_connection_open_async  (const char          *uri,
                                                              GTlsInteraction     *interaction,
                                                              const char          *accepted_host_key,
                                                              GCancellable        *cancellable,
                                                              GAsyncReadyCallback  callback,
                                                              gpointer             user_data);
DomusLibvirtConnection *domus_libvirt_connection_open_finish (GAsyncResult        *result,
                                                              GError             **error);

const char             *domus_libvirt_connection_get_uri      (DomusLibvirtConnection *self);
/* libvirt's name for the hypervisor ("QEMU", "Test", "Xen") and its host's name. */
const char             *domus_libvirt_connection_get_driver   (DomusLibvirtConnection *self);
const char             *domus_libvirt_connection_get_hostname (DomusLibvirtConnection *self);
/* The interaction it was opened with (nullable): the same prompts serve its SSH tunnels. */
GTlsInteraction        *domus_libvirt_connection_get_interaction (DomusLibvirtConnection *self);
/* The canonical URI the server gave (virConnectGetURI), e.g. "qemu:///system". */
const char             *domus_libvirt_connection_get_canonical_uri (DomusLibvirtConnection *self);
/* The hypervisor's version (major * 1,000,000 + minor * 1,000 + release), 0 when not said. */
gulong                  domus_libvirt_connection_get_hypervisor_version (DomusLibvirtConnection *self);
/* TRUE until the connection closed (domus_libvirt_connection_close() or "closed"). */
gboolean                domus_libvirt_connection_is_open      (DomusLibvirtConnection *self);

/*
 * Queues work for the connection's thread; calls run one after another, in order.
 * When the connection is closed, or task's cancellable is cancelled before the work
 * starts, the task returns DOMUS_ERROR_CLOSED or G_IO_ERROR_CANCELLED instead. Results
 * reach the main context in batches: one wake-up of its loop for all the answers ready
 * by then, not one per call, so that many hosts answering at once never make the
 * worker threads and the main loop queue for the main context's lock.
 */
void                    domus_libvirt_connection_run          (DomusLibvirtConnection *self,
                                                               GTask                  *task,
                                                               DomusLibvirtWork        work);

/*
 * For a call too long to hold up the connection's thread (a migration runs for minutes
 * while its progress is read on that thread): a new reference to the virConnectPtr,
 * taken on that thread. Use it on a thread of the caller's own and release it there
 * with virConnectClose(). DOMUS_ERROR_CLOSED when the connection is closed.
 */
void                    domus_libvirt_connection_lend_async   (DomusLibvirtConnection *self,
                                                               GCancellable           *cancellable,
                                                               GAsyncReadyCallback     callback,
                                                               gpointer                user_data);
virConnectPtr           domus_libvirt_connection_lend_finish  (DomusLibvirtConnection *self,
                                                               GAsyncResult           *result,
                                                               GError                **error);

/* Closes the connection (its thread ends once the calls queued before are done). */
void                    domus_libvirt_connection_close        (DomusLibvirtConnection *self);

G_END_DECLS
