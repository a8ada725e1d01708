/* SPDX-License-Identifier: GPL-3.0-or-later */
/* domusctl's side of a host: one opened DomusHost per command, and waiting for its answers. */

#include "config.h"

#include <signal.h>
#include <string.h>
#include <glib/gi18n.h>
#include <glib-unix.h>

#include "domus-daemon-driver.h"
#include "domusctl-client.h"
#include "domusctl-prompt.h"

struct _DomusctlClient {
  char         *uri;
  DomusHost    *host;
  GCancellable *cancellable;
};

void
domusctl_store_result (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

/* Connecting */

static gboolean
on_connect_timeout (gpointer user_data)
{
  g_cancellable_cancel (user_data);
  return G_SOURCE_REMOVE;
}

/* Whether connecting may wait on a person: an SSH login, Domus's or libvirt's (qemu+ssh:, qemu+libssh2:). */
static gboolean
uri_may_ask (const char *uri)
{
  const char *colon = strchr (uri, ':');
  g_autofree char *scheme = colon != NULL ? g_strndup (uri, (gsize) (colon - uri)) : NULL;

  return scheme != NULL && strstr (scheme, "ssh") != NULL;
}

/* One try; FALSE with error set on failure or timeout. */
static gboolean
open_once (DomusHost  *host,
           const char *uri,
           GError    **error)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) local_error = NULL;
  guint timeout_id = 0;

  domus_host_open_async (host, cancellable, domusctl_store_result, &result);
  /* No time limit while a person may be typing a password. */
  if (!uri_may_ask (uri))
    timeout_id = g_timeout_add_seconds (DOMUSCTL_ANSWER_TIMEOUT_SECONDS, on_connect_timeout, cancellable);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  if (timeout_id != 0 && !g_cancellable_is_cancelled (cancellable))
    g_source_remove (timeout_id);

  if (domus_host_open_finish (host, result, &local_error))
    return TRUE;
  if (g_cancellable_is_cancelled (cancellable))
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                 _("the daemon at %s did not answer within %u seconds"), uri, DOMUSCTL_ANSWER_TIMEOUT_SECONDS);
  else
    g_propagate_error (error, g_steal_pointer (&local_error));
  return FALSE;
}

/* As ssh(1) does: show the key, and add it to known_hosts only when the person says yes. */
static gboolean
ask_to_accept_host_key (const char   *uri,
                        const GError *error,
                        char        **accepted)
{
  const char *key_type, *fingerprint;
  g_autofree char *question = NULL;

  if (!domus_error_get_host_key (error, &key_type, &fingerprint) || !domusctl_prompt_can_ask ())
    return FALSE;
  g_printerr ("%s\n", error->message);
  question = g_strdup_printf (_("Accept the %s key %s for %s and remember it (yes/no)? "),
                              key_type, fingerprint, uri);
  if (!domusctl_prompt_confirm (question))
    return FALSE;
  *accepted = g_strdup (fingerprint);
  return TRUE;
}

DomusctlClient *
domusctl_client_open (const char  *uri,
                      GError     **error)
{
  g_autoptr(GTlsInteraction) prompt = domusctl_prompt_new ();
  g_autofree char *expanded = domus_connection_expand_uri (uri);
  g_autofree char *accepted = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autoptr(DomusHost) host = domus_host_new (expanded);
  DomusctlClient *client;
  gboolean opened;
  const char *notice;

  domus_host_set_interaction (host, prompt);
  opened = open_once (host, expanded, &local_error);
  if (!opened && g_error_matches (local_error, DOMUS_ERROR, DOMUS_ERROR_HOST_KEY_UNKNOWN) &&
      ask_to_accept_host_key (expanded, local_error, &accepted))
    {
      g_clear_error (&local_error);
      domus_host_accept_host_key (host, accepted);
      opened = open_once (host, expanded, &local_error);
    }
  if (!opened)
    {
      if (g_error_matches (local_error, DOMUS_ERROR, DOMUS_ERROR_CONNECT_FAILED) &&
          g_str_has_prefix (expanded, "unix:"))
        g_set_error (error, DOMUS_ERROR, DOMUS_ERROR_CONNECT_FAILED,
                     _("cannot connect to %s: %s (is domusd running?)"),
                     expanded, local_error->message);
      else
        g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }

  notice = domus_host_get_security_notice (host);
  if (notice != NULL)
    g_printerr (_("domusctl: warning: %s\n"), notice);

  client = g_new0 (DomusctlClient, 1);
  client->uri = g_steal_pointer (&expanded);
  client->host = g_steal_pointer (&host);
  client->cancellable = g_cancellable_new ();
  return client;
}

void
domusctl_client_free (DomusctlClient *client)
{
  if (client == NULL)
    return;
  /* domusctl exits next: let an SSH worker finish with libssh2 first. */
  domus_host_disconnect_and_wait (client->host, 2000);
  g_object_unref (client->host);
  g_object_unref (client->cancellable);
  g_free (client->uri);
  g_free (client);
}

DomusHost *
domusctl_client_get_host (DomusctlClient *client)
{
  return client->host;
}

const char *
domusctl_client_get_uri (DomusctlClient *client)
{
  return client->uri;
}

GCancellable *
domusctl_client_get_cancellable (DomusctlClient *client)
{
  return client->cancellable;
}

/* Waiting: as long as the host answers */

typedef struct {
  DomusctlClient *client;
  GCancellable   *pings;          /* the outstanding ping's */
  gboolean        pinging;
  gint64          ping_sent_us;
  gboolean        interrupted;
  gboolean        unresponsive;
} Waiter;

static void
on_pinged (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Waiter *waiter = user_data;

  /* Any answer, even an error, says the host is there; a lost connection fails the call. */
  domus_host_ping_finish (DOMUS_HOST (source), result, NULL);
  waiter->pinging = FALSE;
}

static gboolean
on_ping_time (gpointer user_data)
{
  Waiter *waiter = user_data;

  if (!waiter->pinging)
    {
      waiter->pinging = TRUE;
      waiter->ping_sent_us = g_get_monotonic_time ();
      domus_host_ping_async (waiter->client->host, waiter->pings, on_pinged, waiter);
    }
  else if (g_get_monotonic_time () - waiter->ping_sent_us >= DOMUSCTL_ANSWER_TIMEOUT_SECONDS * G_USEC_PER_SEC)
    {
      waiter->unresponsive = TRUE;
      g_cancellable_cancel (waiter->client->cancellable);
    }
  return G_SOURCE_CONTINUE;
}

static gboolean
on_interrupt (gpointer user_data)
{
  Waiter *waiter = user_data;

  waiter->interrupted = TRUE;
  g_cancellable_cancel (waiter->client->cancellable);
  return G_SOURCE_CONTINUE;
}

gboolean
domusctl_client_wait (DomusctlClient  *client,
                      GAsyncResult   **result,
                      GError         **error)
{
  g_autoptr(GCancellable) pings = g_cancellable_new ();
  Waiter waiter = { client, pings, FALSE, 0, FALSE, FALSE };
  guint sources[4];

  sources[0] = g_timeout_add_seconds (DOMUSCTL_PING_SECONDS, on_ping_time, &waiter);
  sources[1] = g_unix_signal_add (SIGINT, on_interrupt, &waiter);
  sources[2] = g_unix_signal_add (SIGTERM, on_interrupt, &waiter);
  sources[3] = g_unix_signal_add (SIGHUP, on_interrupt, &waiter);
  /* Cancelled or not, the call answers: its callback must not outlive *result. */
  while (*result == NULL)
    g_main_context_iteration (NULL, TRUE);
  for (gsize i = 0; i < G_N_ELEMENTS (sources); i++)
    g_source_remove (sources[i]);
  g_cancellable_cancel (pings);
  while (waiter.pinging)
    g_main_context_iteration (NULL, TRUE);

  if (waiter.interrupted)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                 _("interrupted; the daemon at %s may still complete the command"), client->uri);
  else if (waiter.unresponsive)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                 _("the daemon at %s did not answer within %u seconds; it may still complete the command"),
                 client->uri, DOMUSCTL_ANSWER_TIMEOUT_SECONDS);
  else
    return TRUE;
  return FALSE;
}

int
domusctl_client_open_console (DomusctlClient    *client,
                              const char        *name,
                              DomusConsoleKind   kind,
                              GError           **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  domus_host_open_console_async (client->host, name, kind, client->cancellable, domusctl_store_result, &result);
  if (!domusctl_client_wait (client, &result, error))
    {
      /* A stream that opened as we stopped waiting is closed with the result. */
      return -1;
    }
  return domus_host_open_console_finish (client->host, result, error);
}

/* Raw calls */

JsonNode *
domusctl_client_call (DomusctlClient  *client,
                      const char      *method,
                      JsonNode        *params,
                      GError         **error)
{
  DomusConnection *connection = domus_daemon_driver_get_host_connection (client->host);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) local_error = NULL;
  JsonNode *answer;

  if (connection == NULL)
    {
      g_set_error (error, DOMUS_ERROR, DOMUS_ERROR_NOT_SUPPORTED,
                   _("%s is not a domusd host"), client->uri);
      return NULL;
    }
  domus_connection_call_async (connection, method, params, client->cancellable, domusctl_store_result, &result);
  if (!domusctl_client_wait (client, &result, error))
    return NULL;
  answer = domus_connection_call_finish (connection, result, &local_error);
  /* The daemon's own sentence names the method but not why: say it is too old. */
  if (g_error_matches (local_error, DOMUS_ERROR, DOMUS_ERROR_METHOD_NOT_FOUND))
    g_set_error (error, DOMUS_ERROR, DOMUS_ERROR_METHOD_NOT_FOUND,
                 _("the daemon at %s does not know “%s”; it is older than this domusctl"), client->uri, method);
  else if (answer == NULL)
    g_propagate_error (error, g_steal_pointer (&local_error));
  return answer;
}

void
domusctl_print_json (JsonNode *node)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autofree char *text = NULL;

  json_generator_set_pretty (generator, TRUE);
  json_generator_set_indent (generator, 2);
  json_generator_set_root (generator, node);
  text = json_generator_to_data (generator, NULL);
  g_print ("%s\n", text);
}
