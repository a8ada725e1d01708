/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * One libvirt connection. libvirt's calls block (a remote host answers over the network),
 * so each connection has a thread of its own that makes them one after another, as the
 * SSH transport has one per session: nothing here ever waits on the main loop. libvirt's
 * events reach the main loop through libvirt-glib (domus_libvirt_init()) and come out as
 * the "domain-event" and "closed" signals.
 */

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "domus-libvirt.h"
#include "domus-libvirt-connection.h"

/*
 * What the callbacks libvirt holds point at: a weak reference to the connection, so an
 * event that libvirt dispatches after the object is gone finds nobody instead of freed
 * memory (the callbacks are deregistered on the connection's thread, later).
 */
typedef struct {
  gatomicrefcount ref;
  GWeakRef        connection;
} EventSink;

static EventSink *
event_sink_new (DomusLibvirtConnection *connection)
{
  EventSink *sink = g_new0 (EventSink, 1);

  g_atomic_ref_count_init (&sink->ref);
  g_weak_ref_init (&sink->connection, connection);
  return sink;
}

static gpointer
event_sink_ref (EventSink *sink)
{
  g_atomic_ref_count_inc (&sink->ref);
  return sink;
}

static void
event_sink_unref (gpointer data)
{
  EventSink *sink = data;

  if (g_atomic_ref_count_dec (&sink->ref))
    {
      g_weak_ref_clear (&sink->connection);
      g_free (sink);
    }
}

typedef enum {
  JOB_WORK,
  JOB_OPEN,
  JOB_STOP,   /* to the worker: end; to the outbox: the last reply has been delivered */
} JobKind;

typedef enum {
  REPLY_NONE,
  REPLY_POINTER,
  REPLY_BOOLEAN,
  REPLY_ERROR,
} ReplyKind;

struct _DomusLibvirtReply
{
  ReplyKind       kind;
  gpointer        pointer;
  GDestroyNotify  destroy;
  gboolean        boolean;
  GError         *error;
};

typedef struct {
  JobKind            kind;
  GTask             *task;
  DomusLibvirtWork   work;
  DomusLibvirtReply  reply;
} Job;

static void
job_free (Job *job)
{
  if (job->reply.pointer != NULL && job->reply.destroy != NULL)
    job->reply.destroy (job->reply.pointer);
  g_clear_error (&job->reply.error);
  g_clear_object (&job->task);
  g_free (job);
}

static Job *
job_new (JobKind           kind,
         GTask            *task,
         DomusLibvirtWork  work)
{
  Job *job = g_new0 (Job, 1);

  job->kind = kind;
  job->task = task != NULL ? g_object_ref (task) : NULL;
  job->work = work;
  return job;
}

void
domus_libvirt_reply_pointer (DomusLibvirtReply *reply,
                             gpointer           result,
                             GDestroyNotify     result_destroy)
{
  g_return_if_fail (reply->kind == REPLY_NONE);
  reply->kind = REPLY_POINTER;
  reply->pointer = result;
  reply->destroy = result_destroy;
}

void
domus_libvirt_reply_boolean (DomusLibvirtReply *reply,
                             gboolean           result)
{
  g_return_if_fail (reply->kind == REPLY_NONE);
  reply->kind = REPLY_BOOLEAN;
  reply->boolean = result;
}

void
domus_libvirt_reply_error (DomusLibvirtReply *reply,
                           GError            *error)
{
  g_return_if_fail (reply->kind == REPLY_NONE);
  g_return_if_fail (error != NULL);
  reply->kind = REPLY_ERROR;
  reply->error = error;
}

/*
 * The outbox: a GSource on the caller's main context that returns the worker's replies
 * through their tasks. The worker wakes it only when it was not already woken, so a
 * burst of answers costs the main context's lock once, and the tasks return from
 * inside its dispatch, where GTask calls their callbacks at once instead of attaching
 * an idle source each. The source ends itself after the worker's last reply.
 */
typedef struct {
  GSource      source;
  GAsyncQueue *done;      /* Job *, answered */
  gint         woken;
} Outbox;

static void
deliver (Job *job)
{
  GTask *task = job->task;

  switch (job->reply.kind)
    {
    case REPLY_POINTER:
      g_task_return_pointer (task, g_steal_pointer (&job->reply.pointer), job->reply.destroy);
      break;
    case REPLY_BOOLEAN:
      g_task_return_boolean (task, job->reply.boolean);
      break;
    case REPLY_ERROR:
      g_task_return_error (task, g_steal_pointer (&job->reply.error));
      break;
    case REPLY_NONE:
    default:
      g_task_return_new_error (task, DOMUS_ERROR, DOMUS_ERROR_INTERNAL,
                               "a libvirt call ended without an answer (a bug in Domus)");
      break;
    }
}

static gboolean
outbox_dispatch (GSource     *source,
                 GSourceFunc  callback,
                 gpointer     user_data)
{
  Outbox *outbox = (Outbox *) source;
  Job *job;

  g_source_set_ready_time (source, -1);
  g_atomic_int_set (&outbox->woken, 0);
  while ((job = g_async_queue_try_pop (outbox->done)) != NULL)
    {
      gboolean last = job->kind == JOB_STOP;

      if (!last)
        deliver (job);
      job_free (job);
      if (last)
        return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

static void
outbox_finalize (GSource *source)
{
  g_async_queue_unref (((Outbox *) source)->done);
}

static GSourceFuncs outbox_funcs = {
  .dispatch = outbox_dispatch,
  .finalize = outbox_finalize,
};

static GSource *
outbox_new (void)
{
  Outbox *outbox = (Outbox *) g_source_new (&outbox_funcs, sizeof (Outbox));
  g_autoptr(GMainContext) context = g_main_context_ref_thread_default ();

  outbox->done = g_async_queue_new_full ((GDestroyNotify) job_free);
  g_source_set_static_name (&outbox->source, "libvirt replies");
  g_source_set_ready_time (&outbox->source, -1);
  g_source_attach (&outbox->source, context);
  return &outbox->source;
}

/* On the worker's thread. */
static void
outbox_post (GSource *source,
             Job     *job)
{
  Outbox *outbox = (Outbox *) source;

  g_async_queue_push (outbox->done, job);
  if (g_atomic_int_compare_and_exchange (&outbox->woken, 0, 1))
    g_source_set_ready_time (source, 0);
}

/* The connection's thread and what only it touches. It outlives the object when calls
 * are still under way as the object goes, and frees itself as it ends. */
typedef struct {
  GAsyncQueue   *jobs;
  GSource       *outbox;
  virConnectPtr  conn;
  EventSink     *sink;
  int            lifecycle_id;
  int            metadata_id;
  gboolean       close_callback;
} Worker;

struct _DomusLibvirtConnection
{
  GObject      parent_instance;

  char        *uri;
  char        *driver;
  char        *hostname;
  char        *canonical_uri;
  gulong       hypervisor_version;
  GTlsInteraction *interaction;   /* what it was opened with, for its SSH tunnels' logins */
  GAsyncQueue *jobs;       /* the worker's queue */
  EventSink   *sink;
  gboolean     open;
};

G_DEFINE_FINAL_TYPE (DomusLibvirtConnection, domus_libvirt_connection, G_TYPE_OBJECT)

enum {
  SIGNAL_DOMAIN_EVENT,
  SIGNAL_CLOSED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* Opening */

typedef struct {
  char            *uri;
  GTlsInteraction *interaction;
  GCancellable    *cancellable;
  char            *accepted_host_key;
  char            *seen_host_key;     /* the fingerprint libvirt asked about */
  gboolean         refused;           /* the user gave up on a password */
  /* What the open learnt, for the object (set on the main thread). */
  char            *driver;
  char            *hostname;
  char            *canonical_uri;
  gulong           hypervisor_version;
} OpenData;

static void
open_data_free (OpenData *data)
{
  g_free (data->uri);
  g_clear_object (&data->interaction);
  g_clear_object (&data->cancellable);
  g_free (data->accepted_host_key);
  g_free (data->seen_host_key);
  g_free (data->driver);
  g_free (data->hostname);
  g_free (data->canonical_uri);
  g_free (data);
}

/* The length of the run of colon-separated hex pairs ("AB:CD:…") at text, 0 when none. */
static gsize
hex_pairs_at (const char *text)
{
  gsize len = 0;

  while (g_ascii_isxdigit (text[len]) && g_ascii_isxdigit (text[len + 1]))
    {
      len += 2;
      if (text[len] != ':' || !g_ascii_isxdigit (text[len + 1]))
        return len;
      len++;
    }
  return len > 0 && text[len - 1] == ':' ? len - 1 : len;
}

/*
 * libvirt's SSH transports ask whether to accept an unknown host key as a yes/no
 * question naming the key's hash ("… host key with hash 'AB:CD:…' …", in libvirt's own
 * language): the hash is the run of at least 16 colon-separated hex pairs in it.
 */
static char *
host_key_hash_in (const char *prompt)
{
  if (prompt == NULL)
    return NULL;
  for (const char *p = prompt; *p != '\0'; p++)
    {
      gsize len = hex_pairs_at (p);

      if (len >= 16 * 3 - 1)
        return g_strndup (p, len);
      if (len > 0)
        p += len - 1;
    }
  return NULL;
}

/* Asks through the interaction (on its main context: this thread waits); NULL when nobody can or wants to answer. */
static char *
ask_secret (OpenData   *data,
            const char *prompt)
{
  g_autoptr(GTlsPassword) password = NULL;
  const guchar *value;
  gsize len = 0;

  if (data->interaction == NULL)
    return NULL;
  password = g_tls_password_new (G_TLS_PASSWORD_NONE, prompt);
  if (g_tls_interaction_invoke_ask_password (data->interaction, password, data->cancellable, NULL)
      != G_TLS_INTERACTION_HANDLED)
    return NULL;
  value = g_tls_password_get_value (password, &len);
  return g_strndup ((const char *) value, len);
}

/* The URI's user, or libvirt's default for it; asked only when there is neither (SASL, the test driver). */
static char *
user_name_for (OpenData               *data,
               virConnectCredentialPtr  cred)
{
  g_autoptr(GUri) uri = g_uri_parse (data->uri, G_URI_FLAGS_NONE, NULL);

  if (cred->defresult != NULL && *cred->defresult != '\0')
    return g_strdup (cred->defresult);
  if (uri != NULL && g_uri_get_user (uri) != NULL)
    return g_strdup (g_uri_get_user (uri));
  return ask_secret (data, cred->prompt);
}

/* The answer to an unknown host key: yes only for the key the user accepted. */
static char *
host_key_answer (OpenData   *data,
                 const char *hash)
{
  if (data->accepted_host_key != NULL && g_ascii_strcasecmp (data->accepted_host_key, hash) == 0)
    return g_strdup ("y");
  g_free (data->seen_host_key);
  data->seen_host_key = g_strdup (hash);
  return g_strdup ("n");
}

/* libvirt's questions, on the connection's thread; -1 when one goes unanswered. */
static int
answer_credentials (virConnectCredentialPtr cred,
                    unsigned int            ncred,
                    void                   *cbdata)
{
  OpenData *data = cbdata;

  for (unsigned int i = 0; i < ncred; i++)
    {
      g_autofree char *hash = NULL;
      char *answer = NULL;

      switch (cred[i].type)
        {
        case VIR_CRED_AUTHNAME:
          answer = user_name_for (data, &cred[i]);
          break;
        case VIR_CRED_ECHOPROMPT:
          hash = host_key_hash_in (cred[i].prompt);
          answer = hash != NULL ? host_key_answer (data, hash) : ask_secret (data, cred[i].prompt);
          break;
        case VIR_CRED_PASSPHRASE:
        case VIR_CRED_NOECHOPROMPT:
          answer = ask_secret (data, cred[i].prompt);
          break;
        default:
          break;
        }
      if (answer == NULL)
        {
          data->refused = TRUE;
          return -1;
        }
      /* libvirt frees the answer itself (with free(), which g_malloc memory allows). */
      cred[i].result = answer;
      cred[i].resultlen = strlen (answer);
    }
  return 0;
}

/* Events (dispatched by libvirt-glib on the main context) */

static int
on_lifecycle_event (virConnectPtr conn,
                    virDomainPtr  dom,
                    int           event,
                    int           detail,
                    void         *opaque)
{
  g_autoptr(DomusLibvirtConnection) self = g_weak_ref_get (&((EventSink *) opaque)->connection);
  char uuid[VIR_UUID_STRING_BUFLEN];

  if (self == NULL || virDomainGetUUIDString (dom, uuid) < 0)
    return 0;
  g_signal_emit (self, signals[SIGNAL_DOMAIN_EVENT], 0, uuid, virDomainGetName (dom),
                 DOMUS_LIBVIRT_EVENT_LIFECYCLE, event, detail);
  return 0;
}

static void
on_metadata_event (virConnectPtr conn,
                   virDomainPtr  dom,
                   int           type,
                   const char   *nsuri,
                   void         *opaque)
{
  g_autoptr(DomusLibvirtConnection) self = g_weak_ref_get (&((EventSink *) opaque)->connection);
  char uuid[VIR_UUID_STRING_BUFLEN];

  if (self == NULL || virDomainGetUUIDString (dom, uuid) < 0)
    return;
  g_signal_emit (self, signals[SIGNAL_DOMAIN_EVENT], 0, uuid, virDomainGetName (dom),
                 DOMUS_LIBVIRT_EVENT_METADATA, type, 0);
}

static void
mark_closed (DomusLibvirtConnection *self)
{
  Job *stop;

  if (!self->open)
    return;
  self->open = FALSE;
  stop = job_new (JOB_STOP, NULL, NULL);
  g_async_queue_push (self->jobs, stop);
}

typedef struct {
  EventSink *sink;
  int        reason;
} ClosedNews;

static gboolean
deliver_closed (gpointer data)
{
  ClosedNews *news = data;
  g_autoptr(DomusLibvirtConnection) self = g_weak_ref_get (&news->sink->connection);
  g_autoptr(GError) error = NULL;

  if (self != NULL && self->open)
    {
      if (news->reason == VIR_CONNECT_CLOSE_REASON_KEEPALIVE)
        error = g_error_new (DOMUS_ERROR, DOMUS_ERROR_DISCONNECTED,
                             _("The libvirt host at %s stopped answering."), self->uri);
      else
        error = g_error_new (DOMUS_ERROR, DOMUS_ERROR_DISCONNECTED,
                             _("The connection to the libvirt host at %s was closed."), self->uri);
      mark_closed (self);
      g_signal_emit (self, signals[SIGNAL_CLOSED], 0, error);
    }
  event_sink_unref (news->sink);
  g_free (news);
  return G_SOURCE_REMOVE;
}

/* libvirt may call this on whichever thread saw the connection go: the news goes to the main context. */
static void
on_connection_closed (virConnectPtr conn,
                      int           reason,
                      void         *opaque)
{
  ClosedNews *news;

  if (reason == VIR_CONNECT_CLOSE_REASON_CLIENT)
    return;
  news = g_new0 (ClosedNews, 1);
  news->sink = event_sink_ref (opaque);
  news->reason = reason;
  g_main_context_invoke (NULL, deliver_closed, news);
}

/* The worker */

static void
register_events (Worker *worker)
{
  worker->lifecycle_id =
    virConnectDomainEventRegisterAny (worker->conn, NULL, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
                                      VIR_DOMAIN_EVENT_CALLBACK (on_lifecycle_event),
                                      event_sink_ref (worker->sink), event_sink_unref);
  if (worker->lifecycle_id < 0)
    event_sink_unref (worker->sink);
  worker->metadata_id =
    virConnectDomainEventRegisterAny (worker->conn, NULL, VIR_DOMAIN_EVENT_ID_METADATA_CHANGE,
                                      VIR_DOMAIN_EVENT_CALLBACK (on_metadata_event),
                                      event_sink_ref (worker->sink), event_sink_unref);
  if (worker->metadata_id < 0)
    event_sink_unref (worker->sink);
  /* No reference of its own: drivers without close callbacks (test:///) accept one and
   * never free it. The worker's own reference outlives it: the worker unregisters it
   * (which waits for a call under way) before it lets go. */
  worker->close_callback =
    virConnectRegisterCloseCallback (worker->conn, on_connection_closed, worker->sink, NULL) == 0;
  /* Remote connections notice a host that went away within ~20 s (local ones say "unsupported"). */
  virConnectSetKeepAlive (worker->conn, 5, 3);
  virResetLastError ();
}

static void
open_connection (Worker            *worker,
                 GTask             *task,
                 DomusLibvirtReply *reply)
{
  OpenData *data = g_task_get_task_data (task);
  static int credential_types[] = {
    VIR_CRED_AUTHNAME, VIR_CRED_PASSPHRASE, VIR_CRED_ECHOPROMPT, VIR_CRED_NOECHOPROMPT,
  };
  virConnectAuth auth = {
    credential_types, G_N_ELEMENTS (credential_types), answer_credentials, data,
  };
  g_autoptr(GError) error = NULL;
  const char *type;
  char *text;
  unsigned long version = 0;

  worker->conn = virConnectOpenAuth (data->uri, &auth, 0);
  if (worker->conn == NULL)
    {
      if (data->seen_host_key != NULL)
        error = domus_error_new_host_key (DOMUS_ERROR_HOST_KEY_UNKNOWN, "MD5", data->seen_host_key,
                                          _("The SSH host key of %s is not known."), data->uri);
      else if (data->refused)
        error = g_error_new (DOMUS_ERROR, DOMUS_ERROR_AUTH_FAILED,
                             _("Logging in to %s was given up: no password or passphrase was given."),
                             data->uri);
      else
        {
          domus_libvirt_set_error (&error, DOMUS_ERROR_CONNECT_FAILED);
          /* Whatever libvirt says went wrong (a bad file for test:///, say), the host could not be reached. */
          if (error->code != DOMUS_ERROR_AUTH_FAILED && error->code != DOMUS_ERROR_PERMISSION_DENIED)
            error->code = DOMUS_ERROR_CONNECT_FAILED;
        }
      virResetLastError ();
      domus_libvirt_reply_error (reply, g_steal_pointer (&error));
      return;
    }
  register_events (worker);
  type = virConnectGetType (worker->conn);
  data->driver = g_strdup (type != NULL ? type : "");
  text = virConnectGetHostname (worker->conn);
  data->hostname = g_strdup (text != NULL ? text : "");
  free (text);
  text = virConnectGetURI (worker->conn);
  data->canonical_uri = g_strdup (text != NULL ? text : data->uri);
  free (text);
  if (virConnectGetVersion (worker->conn, &version) == 0)
    data->hypervisor_version = version;
  virResetLastError ();
  domus_libvirt_reply_boolean (reply, TRUE);
}

static void
stop_connection (Worker *worker)
{
  if (worker->conn == NULL)
    return;
  if (worker->lifecycle_id >= 0)
    virConnectDomainEventDeregisterAny (worker->conn, worker->lifecycle_id);
  if (worker->metadata_id >= 0)
    virConnectDomainEventDeregisterAny (worker->conn, worker->metadata_id);
  if (worker->close_callback)
    virConnectUnregisterCloseCallback (worker->conn, on_connection_closed);
  virConnectClose (worker->conn);
  virResetLastError ();
  worker->conn = NULL;
}

static void
reply_closed (DomusLibvirtReply *reply)
{
  domus_libvirt_reply_error (reply, g_error_new (DOMUS_ERROR, DOMUS_ERROR_CLOSED,
                                                 _("The libvirt connection is closed.")));
}

static void
run_job (Worker *worker,
         Job    *job)
{
  GCancellable *cancellable = g_task_get_cancellable (job->task);

  if (job->kind == JOB_OPEN)
    open_connection (worker, job->task, &job->reply);
  else if (worker->conn == NULL)
    reply_closed (&job->reply);
  else if (g_cancellable_is_cancelled (cancellable))
    domus_libvirt_reply_error (&job->reply, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                                                 g_dgettext ("glib20", "Operation was cancelled")));
  else
    job->work (&job->reply, worker->conn, g_task_get_task_data (job->task), cancellable);
}

static gpointer
worker_main (gpointer data)
{
  Worker *worker = data;
  Job *job;

  for (;;)
    {
      job = g_async_queue_pop (worker->jobs);
      if (job->kind == JOB_STOP)
        break;
      run_job (worker, job);
      outbox_post (worker->outbox, job);
    }
  job_free (job);
  stop_connection (worker);
  /* Anything queued after the stop order (a race with the close) is answered, not lost. */
  while ((job = g_async_queue_try_pop (worker->jobs)) != NULL)
    {
      if (job->task == NULL)
        {
          job_free (job);
          continue;
        }
      reply_closed (&job->reply);
      outbox_post (worker->outbox, job);
    }
  outbox_post (worker->outbox, job_new (JOB_STOP, NULL, NULL));
  g_source_unref (worker->outbox);
  g_async_queue_unref (worker->jobs);
  event_sink_unref (worker->sink);
  g_free (worker);
  return NULL;
}

/* The object */

static void
domus_libvirt_connection_dispose (GObject *object)
{
  DomusLibvirtConnection *self = DOMUS_LIBVIRT_CONNECTION (object);

  if (self->jobs != NULL)
    {
      Job *stop = job_new (JOB_STOP, NULL, NULL);

      self->open = FALSE;
      g_async_queue_push (self->jobs, stop);
      g_clear_pointer (&self->jobs, g_async_queue_unref);
    }
  G_OBJECT_CLASS (domus_libvirt_connection_parent_class)->dispose (object);
}

static void
domus_libvirt_connection_finalize (GObject *object)
{
  DomusLibvirtConnection *self = DOMUS_LIBVIRT_CONNECTION (object);

  g_free (self->uri);
  g_free (self->driver);
  g_free (self->hostname);
  g_free (self->canonical_uri);
  g_clear_object (&self->interaction);
  event_sink_unref (self->sink);
  G_OBJECT_CLASS (domus_libvirt_connection_parent_class)->finalize (object);
}

static void
domus_libvirt_connection_class_init (DomusLibvirtConnectionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = domus_libvirt_connection_dispose;
  object_class->finalize = domus_libvirt_connection_finalize;

  /* (uuid, name, DomusLibvirtEventKind, vir_event, vir_detail) */
  signals[SIGNAL_DOMAIN_EVENT] =
    g_signal_new ("domain-event", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 5,
                  G_TYPE_STRING, G_TYPE_STRING, G_TYPE_INT, G_TYPE_INT, G_TYPE_INT);
  /* The host went away (not after domus_libvirt_connection_close()): why, as a GError. */
  signals[SIGNAL_CLOSED] =
    g_signal_new ("closed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
}

static void
domus_libvirt_connection_init (DomusLibvirtConnection *self)
{
}

static void
start_worker (DomusLibvirtConnection *self)
{
  Worker *worker = g_new0 (Worker, 1);
  g_autoptr(GThread) thread = NULL;

  self->jobs = g_async_queue_new_full ((GDestroyNotify) job_free);
  self->sink = event_sink_new (self);
  worker->jobs = g_async_queue_ref (self->jobs);
  worker->outbox = outbox_new ();
  worker->sink = event_sink_ref (self->sink);
  worker->lifecycle_id = -1;
  worker->metadata_id = -1;
  thread = g_thread_new ("libvirt", worker_main, worker);
}

static void
on_opened (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  DomusLibvirtConnection *self = DOMUS_LIBVIRT_CONNECTION (source);
  OpenData *data = g_task_get_task_data (G_TASK (result));
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_task_return_error (task, error);
      return;
    }
  self->driver = g_steal_pointer (&data->driver);
  self->hostname = g_steal_pointer (&data->hostname);
  self->canonical_uri = g_steal_pointer (&data->canonical_uri);
  self->hypervisor_version = data->hypervisor_version;
  self->open = TRUE;
  g_task_return_pointer (task, g_object_ref (self), g_object_unref);
}

void
domus_libvirt_connection_open_async (const char          *uri,
                                     GTlsInteraction     *interaction,
                                     const char          *accepted_host_key,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  g_autoptr(DomusLibvirtConnection) self = NULL;
  g_autoptr(GTask) task = NULL;
  GTask *open_task;
  OpenData *data;
  Job *job;

  g_return_if_fail (uri != NULL);
  g_return_if_fail (interaction == NULL || G_IS_TLS_INTERACTION (interaction));

  domus_libvirt_init ();
  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, domus_libvirt_connection_open_async);

  self = g_object_new (DOMUS_TYPE_LIBVIRT_CONNECTION, NULL);
  self->uri = g_strdup (uri);
  self->interaction = interaction != NULL ? g_object_ref (interaction) : NULL;
  start_worker (self);

  data = g_new0 (OpenData, 1);
  data->uri = g_strdup (uri);
  data->interaction = interaction != NULL ? g_object_ref (interaction) : NULL;
  data->cancellable = cancellable != NULL ? g_object_ref (cancellable) : NULL;
  data->accepted_host_key = g_strdup (accepted_host_key);
  /* The inner task's result comes to on_opened, which makes the object ready. */
  open_task = g_task_new (self, NULL, on_opened, g_steal_pointer (&task));
  g_task_set_task_data (open_task, data, (GDestroyNotify) open_data_free);
  job = job_new (JOB_OPEN, open_task, NULL);
  g_object_unref (open_task);
  g_async_queue_push (self->jobs, job);
}

DomusLibvirtConnection *
domus_libvirt_connection_open_finish (GAsyncResult  *result,
                                      GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == domus_libvirt_connection_open_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
domus_libvirt_connection_run (DomusLibvirtConnection *self,
                              GTask                  *task,
                              DomusLibvirtWork        work)
{
  Job *job;

  g_return_if_fail (DOMUS_IS_LIBVIRT_CONNECTION (self));
  g_return_if_fail (G_IS_TASK (task));
  g_return_if_fail (work != NULL);

  if (!self->open)
    {
      g_task_return_new_error (task, DOMUS_ERROR, DOMUS_ERROR_CLOSED,
                               _("The libvirt connection is closed."));
      return;
    }
  job = job_new (JOB_WORK, task, work);
  g_async_queue_push (self->jobs, job);
}

static void
release_lent (gpointer conn)
{
  virConnectClose (conn);
}

static void
lend_work (DomusLibvirtReply *reply,
           virConnectPtr      conn,
           gpointer           task_data,
           GCancellable      *cancellable)
{
  virConnectRef (conn);
  domus_libvirt_reply_pointer (reply, conn, release_lent);
}

void
domus_libvirt_connection_lend_async (DomusLibvirtConnection *self,
                                     GCancellable           *cancellable,
                                     GAsyncReadyCallback     callback,
                                     gpointer                user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (DOMUS_IS_LIBVIRT_CONNECTION (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, domus_libvirt_connection_lend_async);
  domus_libvirt_connection_run (self, task, lend_work);
}

virConnectPtr
domus_libvirt_connection_lend_finish (DomusLibvirtConnection  *self,
                                      GAsyncResult            *result,
                                      GError                 **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
domus_libvirt_connection_close (DomusLibvirtConnection *self)
{
  g_return_if_fail (DOMUS_IS_LIBVIRT_CONNECTION (self));

  mark_closed (self);
}

const char *
domus_libvirt_connection_get_uri (DomusLibvirtConnection *self)
{
  g_return_val_if_fail (DOMUS_IS_LIBVIRT_CONNECTION (self), NULL);
  return self->uri;
}

const char *
domus_libvirt_connection_get_driver (DomusLibvirtConnection *self)
{
  g_return_val_if_fail (DOMUS_IS_LIBVIRT_CONNECTION (self), NULL);
  return self->driver;
}

const char *
domus_libvirt_connection_get_hostname (DomusLibvirtConnection *self)
{
  g_return_val_if_fail (DOMUS_IS_LIBVIRT_CONNECTION (self), NULL);
  return self->hostname;
}

GTlsInteraction *
domus_libvirt_connection_get_interaction (DomusLibvirtConnection *self)
{
  g_return_val_if_fail (DOMUS_IS_LIBVIRT_CONNECTION (self), NULL);
  return self->interaction;
}

const char *
domus_libvirt_connection_get_canonical_uri (DomusLibvirtConnection *self)
{
  g_return_val_if_fail (DOMUS_IS_LIBVIRT_CONNECTION (self), NULL);
  return self->canonical_uri;
}

gulong
domus_libvirt_connection_get_hypervisor_version (DomusLibvirtConnection *self)
{
  g_return_val_if_fail (DOMUS_IS_LIBVIRT_CONNECTION (self), 0);
  return self->hypervisor_version;
}

gboolean
domus_libvirt_connection_is_open (DomusLibvirtConnection *self)
{
  g_return_val_if_fail (DOMUS_IS_LIBVIRT_CONNECTION (self), FALSE);
  return self->open;
}
