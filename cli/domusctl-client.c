/* SPDX-License-Identifier: GPL-3.0-or-later */
/* domusctl's side of the daemon protocol: blocking calls for one-shot verbs, a kept connection for the rest. */

#include "config.h"

#include <unistd.h>
#include <glib/gi18n.h>

#include "domusctl-client.h"
#include "domusctl-prompt.h"

struct _DomusctlClient {
  char            *uri;
  DomusConnection *connection;
};

/* One outstanding operation: a connect or a call, waited for by iterating the main context. */
typedef struct {
  gboolean         done;
  gboolean         timed_out;
  GCancellable    *cancellable;
  DomusConnection *connection;
  JsonNode        *result;
  int              fd;
  GError          *error;
} Wait;

static gboolean
on_wait_timeout (gpointer user_data)
{
  Wait *wait = user_data;

  wait->timed_out = TRUE;
  g_cancellable_cancel (wait->cancellable);
  return G_SOURCE_REMOVE;
}

/* Runs the default main context until the operation's callback has set done. */
static void
wait_run (Wait  *wait,
          guint  timeout_seconds)
{
  guint timeout_id = 0;

  if (timeout_seconds > 0)
    timeout_id = g_timeout_add_seconds (timeout_seconds, on_wait_timeout, wait);
  while (!wait->done)
    g_main_context_iteration (NULL, TRUE);
  if (timeout_id != 0 && !wait->timed_out)
    g_source_remove (timeout_id);
}

static void
set_timeout_error (GError     **error,
                   const char  *uri,
                   guint        timeout_seconds)
{
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
               _("the daemon at %s did not answer within %u seconds"), uri, timeout_seconds);
}

static void
on_connected (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Wait *wait = user_data;

  wait->connection = domus_connection_connect_finish (result, &wait->error);
  wait->done = TRUE;
}

/* One try; NULL with error set on failure or timeout. */
static DomusConnection *
connect_once (const char       *uri,
              GTlsInteraction  *interaction,
              const char       *accept_host_key,
              GError          **error)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  Wait wait = { 0 };

  wait.cancellable = cancellable;
  domus_connection_connect_full_async (uri, interaction, accept_host_key, cancellable,
                                       on_connected, &wait);
  /* No time limit while a person may be typing a password. */
  wait_run (&wait, g_str_has_prefix (uri, "ssh:") ? 0 : DOMUSCTL_ANSWER_TIMEOUT_SECONDS);

  if (wait.timed_out)
    {
      g_clear_error (&wait.error);
      g_clear_object (&wait.connection);
      set_timeout_error (error, uri, DOMUSCTL_ANSWER_TIMEOUT_SECONDS);
      return NULL;
    }
  if (wait.connection == NULL)
    g_propagate_error (error, wait.error);
  return wait.connection;
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
  DomusConnection *connection;
  DomusctlClient *client;
  const char *notice;

  connection = connect_once (expanded, prompt, NULL, &local_error);
  if (connection == NULL &&
      g_error_matches (local_error, DOMUS_ERROR, DOMUS_ERROR_HOST_KEY_UNKNOWN) &&
      ask_to_accept_host_key (expanded, local_error, &accepted))
    {
      g_clear_error (&local_error);
      connection = connect_once (expanded, prompt, accepted, &local_error);
    }
  if (connection == NULL)
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

  notice = domus_connection_get_security_notice (connection);
  if (notice != NULL)
    g_printerr (_("domusctl: warning: %s\n"), notice);

  client = g_new0 (DomusctlClient, 1);
  client->uri = g_steal_pointer (&expanded);
  client->connection = connection;
  return client;
}

static void
on_console_opened (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  Wait *wait = user_data;
  int fd = domus_connection_open_console_finish (DOMUS_CONNECTION (source), result, &wait->error);

  wait->fd = fd;
  wait->done = TRUE;
}

int
domusctl_client_open_console (DomusctlClient    *client,
                              const char        *name,
                              DomusConsoleKind   kind,
                              GError           **error)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  Wait wait = { .fd = -1 };

  wait.cancellable = cancellable;
  domus_connection_open_console_async (client->connection, name, kind, cancellable,
                                       on_console_opened, &wait);
  wait_run (&wait, DOMUSCTL_ANSWER_TIMEOUT_SECONDS);
  if (wait.timed_out)
    {
      g_clear_error (&wait.error);
      if (wait.fd >= 0)
        close (wait.fd);
      set_timeout_error (error, client->uri, DOMUSCTL_ANSWER_TIMEOUT_SECONDS);
      return -1;
    }
  if (wait.fd < 0)
    g_propagate_error (error, wait.error);
  return wait.fd;
}

void
domusctl_client_free (DomusctlClient *client)
{
  if (client == NULL)
    return;
  /* domusctl exits next: let an SSH worker finish with libssh2 first. */
  domus_connection_close_and_wait (client->connection, 2000);
  g_object_unref (client->connection);
  g_free (client->uri);
  g_free (client);
}

DomusConnection *
domusctl_client_get_connection (DomusctlClient *client)
{
  return client->connection;
}

const char *
domusctl_client_get_uri (DomusctlClient *client)
{
  return client->uri;
}

static void
on_called (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Wait *wait = user_data;

  wait->result = domus_connection_call_finish (DOMUS_CONNECTION (source), result, &wait->error);
  wait->done = TRUE;
}

JsonNode *
domusctl_client_call (DomusctlClient  *client,
                      const char      *method,
                      JsonNode        *params,
                      guint            timeout_seconds,
                      GError         **error)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  Wait wait = { 0 };

  wait.cancellable = cancellable;
  domus_connection_call_async (client->connection, method, params, cancellable, on_called, &wait);
  wait_run (&wait, timeout_seconds);

  if (wait.timed_out)
    {
      g_clear_error (&wait.error);
      g_clear_pointer (&wait.result, json_node_unref);
      set_timeout_error (error, client->uri, timeout_seconds);
      return NULL;
    }
  if (wait.result == NULL)
    {
      if (g_error_matches (wait.error, DOMUS_ERROR, DOMUS_ERROR_METHOD_NOT_FOUND))
        {
          /* The daemon's own sentence names the method but not why: say it is too old. */
          g_set_error (error, DOMUS_ERROR, DOMUS_ERROR_METHOD_NOT_FOUND,
                       _("the daemon at %s does not know “%s”; it is older than this domusctl"),
                       client->uri, method);
          g_clear_error (&wait.error);
        }
      else
        g_propagate_error (error, g_steal_pointer (&wait.error));
      return NULL;
    }
  return wait.result;
}

JsonNode *
domusctl_call (const char  *uri,
               const char  *method,
               JsonNode    *params,
               GError     **error)
{
  g_autoptr(DomusctlClient) client = domusctl_client_open (uri, error);

  if (client == NULL)
    return NULL;
  return domusctl_client_call (client, method, params, DOMUSCTL_ANSWER_TIMEOUT_SECONDS, error);
}

JsonNode *
domusctl_name_params (const char *name)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, name);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

JsonNode *
domusctl_result_member (JsonNode   *result,
                        const char *member)
{
  if (result == NULL || !JSON_NODE_HOLDS_OBJECT (result))
    return NULL;
  return json_object_get_member (json_node_get_object (result), member);
}
