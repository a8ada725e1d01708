/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A JSON-RPC 2.0 server: one JSON object per line over stream sockets, a method table. */

#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* The longest line a client may send, newline excluded. */
#define HV_RPC_MAX_MESSAGE_SIZE (1024 * 1024)
/* Clients served at once; one more is told so and closed (domusd.conf [clients] max). */
#define HV_RPC_DEFAULT_MAX_CLIENTS 512
/* A client that sends nothing this long after connecting is closed ([clients] idle-timeout). */
#define HV_RPC_DEFAULT_IDLE_TIMEOUT_S 60

#define HV_RPC_ERROR (hv_rpc_error_quark ())

/*
 * What went wrong, as the client will see it: each value has a JSON-RPC code
 * and a stable kind string (error.data.kind) that clients switch on.
 * docs/protocol.md lists them; never renumber or rename one.
 */
typedef enum {
  HV_RPC_ERROR_PARSE_ERROR,        /* -32700 parse-error: the line is not JSON */
  HV_RPC_ERROR_INVALID_REQUEST,    /* -32600 invalid-request: JSON, but not a request */
  HV_RPC_ERROR_METHOD_NOT_FOUND,   /* -32601 method-not-found */
  HV_RPC_ERROR_INVALID_PARAMS,     /* -32602 invalid-params */
  HV_RPC_ERROR_INTERNAL,           /* -32603 internal: a bug in the daemon */
  HV_RPC_ERROR_MESSAGE_TOO_LARGE,  /* -32000 message-too-large */
  HV_RPC_ERROR_FAILED,             /*  1000 failed: anything without a kind of its own */
  HV_RPC_ERROR_NO_SUCH_DOMAIN,     /*  1001 no-such-domain */
  HV_RPC_ERROR_INVALID_CONFIG,     /*  1002 invalid-config */
  HV_RPC_ERROR_ALREADY_RUNNING,    /*  1003 already-running */
  HV_RPC_ERROR_NOT_RUNNING,        /*  1004 not-running */
  HV_RPC_ERROR_PERMISSION_DENIED,  /*  1005 permission-denied */
  HV_RPC_ERROR_NOT_SUPPORTED,      /*  1006 not-supported */
  HV_RPC_ERROR_ALREADY_EXISTS,     /*  1007 already-exists: a domain or image of that name */
  HV_RPC_ERROR_IN_USE,             /*  1008 in-use: an image a domain uses */
  HV_RPC_ERROR_NO_SUCH_IMAGE,      /*  1009 no-such-image */
  HV_RPC_ERROR_MIGRATION_REFUSED,  /*  1010 migration-refused: a check of the target failed */
  HV_RPC_ERROR_MIGRATION_FAILED,   /*  1011 migration-failed: QEMU's migration or mirror failed */
  HV_RPC_ERROR_CANCELLED,          /*  1012 cancelled: migration.cancel, or a client that left */
  HV_RPC_ERROR_IO,                 /*  1013 io-error: the daemon could not read or write a file (a full disk) */
} HvRpcError;

GQuark      hv_rpc_error_quark   (void);
/* The kind string and JSON-RPC code of an error of any domain (other domains give "failed"). */
const char *hv_rpc_error_get_kind (const GError *error);
gint        hv_rpc_error_get_code (const GError *error);

/* One connected client. Reference counted; lives in the server's main context. */
typedef struct _HvRpcPeer HvRpcPeer;

#define HV_TYPE_RPC_PEER (hv_rpc_peer_get_type ())
GType         hv_rpc_peer_get_type        (void) G_GNUC_CONST;
HvRpcPeer    *hv_rpc_peer_ref             (HvRpcPeer  *peer);
void          hv_rpc_peer_unref           (HvRpcPeer  *peer);
/* A number for log messages, unique in the server's life. */
guint64       hv_rpc_peer_get_id          (HvRpcPeer  *peer);
/* The client's Unix user from the socket's peer credentials (the daemon's own for a stream
 * that is not a socket); -1 when the kernel does not say. */
gint64        hv_rpc_peer_get_uid         (HvRpcPeer  *peer);
gboolean      hv_rpc_peer_is_closed       (HvRpcPeer  *peer);
/* Sends a notification (a message without id); does nothing once closed. */
void          hv_rpc_peer_notify          (HvRpcPeer  *peer,
                                           const char *method,
                                           JsonNode   *params);
/* Drops the client now; replies still queued are lost. */
void          hv_rpc_peer_close           (HvRpcPeer  *peer);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HvRpcPeer, hv_rpc_peer_unref)

/*
 * One request being answered. A method handler must finish it exactly once, with
 * hv_rpc_call_return() or one of the error functions, now or later (the handler
 * may go asynchronous; replies are matched by id, not by order). Finishing frees it.
 */
typedef struct _HvRpcCall HvRpcCall;

HvRpcPeer    *hv_rpc_call_get_peer        (HvRpcCall  *call);
const char   *hv_rpc_call_get_method      (HvRpcCall  *call);
/* Cancelled when the client goes away: nobody is waiting for the reply any more. */
GCancellable *hv_rpc_call_get_cancellable (HvRpcCall  *call);
/* Takes ownership of result (NULL stands for JSON null). */
void          hv_rpc_call_return          (HvRpcCall  *call,
                                           JsonNode   *result);
void          hv_rpc_call_return_error    (HvRpcCall    *call,
                                           const GError *error);
void          hv_rpc_call_return_new_error (HvRpcCall  *call,
                                            HvRpcError  code,
                                            const char *format,
                                            ...) G_GNUC_PRINTF (3, 4);

/* params is never NULL: an absent "params" arrives as an empty object. */
typedef void (*HvRpcMethodFunc) (HvRpcCall *call,
                                 JsonNode  *params,
                                 gpointer   user_data);

/*
 * Reading params: an absent member gives the fallback; a member of the wrong
 * type, or params that are not an object, give FALSE and an invalid-params error.
 */
gboolean      hv_rpc_params_get_boolean   (JsonNode    *params,
                                           const char  *member,
                                           gboolean     fallback,
                                           gboolean    *out,
                                           GError     **error);
gboolean      hv_rpc_params_get_string    (JsonNode    *params,
                                           const char  *member,
                                           const char  *fallback,
                                           const char **out,
                                           GError     **error);
/* An integer (a number with a fraction is the wrong type). */
gboolean      hv_rpc_params_get_int       (JsonNode    *params,
                                           const char  *member,
                                           gint64       fallback,
                                           gint64      *out,
                                           GError     **error);
/* *out is transfer none: it lives as long as params. The fallback is NULL. */
gboolean      hv_rpc_params_get_object    (JsonNode    *params,
                                           const char  *member,
                                           JsonObject **out,
                                           GError     **error);

#define HV_TYPE_RPC_SERVER (hv_rpc_server_get_type ())
G_DECLARE_FINAL_TYPE (HvRpcServer, hv_rpc_server, HV, RPC_SERVER, GObject)

HvRpcServer *hv_rpc_server_new               (void);
void         hv_rpc_server_add_method        (HvRpcServer    *self,
                                              const char     *name,
                                              HvRpcMethodFunc func,
                                              gpointer        user_data,
                                              GDestroyNotify  destroy);
/* The registered method names, sorted. */
GStrv        hv_rpc_server_dup_method_names  (HvRpcServer    *self);

/*
 * At most max_clients at once (a client beyond gets one error line and is closed); a
 * client that sends no line within idle_timeout_s seconds of connecting (0: no limit) is
 * told so and closed. Once it has sent one line a client is never closed for being quiet:
 * a window subscribed to events may listen for days.
 */
void         hv_rpc_server_set_client_limits (HvRpcServer    *self,
                                              guint           max_clients,
                                              guint           idle_timeout_s);

/*
 * Listens on a Unix socket that must not exist yet (the caller decides what to
 * do with a stale one). The socket file gets mode, from birth: it is created
 * under a matching umask, so call this before starting threads.
 */
gboolean     hv_rpc_server_listen_unix       (HvRpcServer    *self,
                                              const char     *path,
                                              guint           mode,
                                              GError        **error);
/*
 * Serves clients of a socket that listens already (one handed over by the service
 * manager); the file behind it is left alone at stop. Accepting pauses briefly
 * whenever accept() fails (at the descriptor limit) instead of trying again at once.
 */
gboolean     hv_rpc_server_listen_socket     (HvRpcServer    *self,
                                              GSocket        *socket,
                                              GError        **error);
/* Serves a connection made elsewhere (a socketpair, stdio); the server keeps a reference. */
HvRpcPeer   *hv_rpc_server_add_stream        (HvRpcServer    *self,
                                              GIOStream      *stream);
/* Stops listening, removes the socket file if it is still ours, drops every client. */
void         hv_rpc_server_stop              (HvRpcServer    *self);

guint        hv_rpc_server_get_n_peers       (HvRpcServer    *self);
/* Sends a notification to every client. */
void         hv_rpc_server_broadcast         (HvRpcServer    *self,
                                              const char     *method,
                                              JsonNode       *params);

G_END_DECLS
