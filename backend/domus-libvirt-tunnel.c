/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The screen of a domain on a remote libvirt host. libvirt hands a VNC descriptor over
 * local Unix sockets only (virDomainOpenGraphicsFD needs descriptor passing, which the
 * ssh, libssh2, tcp and tls transports do not have), and a remote host's QEMU listens on
 * that host's loopback. So Domus does what virt-viewer and virt-manager do: it logs in
 * to the host over SSH itself (libssh2, checked against known_hosts as for domusd
 * hosts) and opens a channel to where the VNC server listens, which the rest of Domus
 * sees as one more connected socket.
 */

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "domus-error.h"
#include "domus-fd-task.h"
#include "domus-libvirt-tunnel.h"
#include "domus-libvirt-xml.h"

/* Where a domain's VNC server listens */

void
domus_libvirt_vnc_endpoint_free (DomusLibvirtVncEndpoint *endpoint)
{
  if (endpoint == NULL)
    return;
  g_free (endpoint->host);
  g_free (endpoint->socket);
  g_free (endpoint);
}

static DomusLibvirtVncEndpoint *
endpoint_copy (const DomusLibvirtVncEndpoint *endpoint)
{
  DomusLibvirtVncEndpoint *copy = g_new0 (DomusLibvirtVncEndpoint, 1);

  copy->host = g_strdup (endpoint->host);
  copy->port = endpoint->port;
  copy->socket = g_strdup (endpoint->socket);
  return copy;
}

static xmlNodePtr
first_vnc_graphics (xmlNodePtr domain)
{
  xmlNodePtr devices = domus_libvirt_xml_child (domain, "devices");

  for (xmlNodePtr node = devices != NULL ? devices->children : NULL; node != NULL; node = node->next)
    {
      g_autofree char *type = NULL;

      if (!domus_libvirt_xml_is_element (node, "graphics"))
        continue;
      type = domus_libvirt_xml_prop (node, "type");
      if (g_strcmp0 (type, "vnc") == 0)
        return node;
    }
  return NULL;
}

/* A wildcard listens on loopback too, where the host reaches it whatever its addresses. */
static char *
connect_address (const char *listen)
{
  if (listen == NULL || *listen == '\0' || strcmp (listen, "0.0.0.0") == 0)
    return g_strdup ("127.0.0.1");
  if (strcmp (listen, "::") == 0)
    return g_strdup ("::1");
  return g_strdup (listen);
}

/* The endpoint of one VNC <graphics>: its <listen> child when there is one, else its attributes. */
static DomusLibvirtVncEndpoint *
endpoint_of_graphics (xmlNodePtr   graphics,
                      const char  *name,
                      GError     **error)
{
  g_autoptr(DomusLibvirtVncEndpoint) endpoint = g_new0 (DomusLibvirtVncEndpoint, 1);
  xmlNodePtr listen = domus_libvirt_xml_child (graphics, "listen");
  g_autofree char *type = domus_libvirt_xml_prop (listen, "type");
  g_autofree char *address = listen != NULL ? domus_libvirt_xml_prop (listen, "address") : domus_libvirt_xml_prop (graphics, "listen");
  g_autofree char *port = domus_libvirt_xml_prop (graphics, "port");
  gint64 number = port != NULL ? g_ascii_strtoll (port, NULL, 10) : -1;

  g_autofree char *password = domus_libvirt_xml_prop (graphics, "passwd");

  /* Only in the XML libvirt gives with VIR_DOMAIN_XML_SECURE. Through the tunnel QEMU
   * would ask for it, and nothing answers VNC's question yet. */
  if (password != NULL)
    {
      g_set_error (error, DOMUS_ERROR, DOMUS_ERROR_NOT_SUPPORTED,
                   _("The VNC display of “%s” has a password, which Domus cannot give over "
                     "an SSH tunnel yet: remove it from the domain’s definition, or open the "
                     "screen on its host."), name);
      return NULL;
    }
  if (g_strcmp0 (type, "none") == 0)
    {
      g_set_error (error, DOMUS_ERROR, DOMUS_ERROR_NOT_SUPPORTED,
                   _("The VNC display of “%s” listens nowhere (type none): only a client on "
                     "its host can be handed it."), name);
      return NULL;
    }
  endpoint->socket = listen != NULL ? domus_libvirt_xml_prop (listen, "socket") : NULL;
  if (endpoint->socket == NULL)
    endpoint->socket = domus_libvirt_xml_prop (graphics, "socket");
  if (endpoint->socket != NULL)
    return g_steal_pointer (&endpoint);
  if (number <= 0 || number > G_MAXUINT16)
    {
      g_set_error (error, DOMUS_ERROR, DOMUS_ERROR_NOT_SUPPORTED,
                   _("The VNC display of “%s” has no port yet."), name);
      return NULL;
    }
  endpoint->host = connect_address (address);
  endpoint->port = (guint16) number;
  return g_steal_pointer (&endpoint);
}

DomusLibvirtVncEndpoint *
domus_libvirt_vnc_endpoint_from_xml (const char  *xml,
                                     const char  *name,
                                     GError     **error)
{
  xmlDocPtr doc;
  xmlNodePtr graphics;
  DomusLibvirtVncEndpoint *endpoint = NULL;

  g_return_val_if_fail (xml != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);

  doc = xmlReadMemory (xml, (int) strlen (xml), "domain.xml", NULL,
                       XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  graphics = doc != NULL ? first_vnc_graphics (xmlDocGetRootElement (doc)) : NULL;
  if (graphics == NULL)
    g_set_error (error, DOMUS_ERROR, DOMUS_ERROR_NOT_SUPPORTED,
                 _("Domain “%s” has no VNC display to show."), name);
  else
    endpoint = endpoint_of_graphics (graphics, name, error);
  xmlFreeDoc (doc);
  return endpoint;
}

/* Logging in to the host of a libvirt URI */

/* "ssh", "libssh2", ... from "qemu+ssh"; NULL when the scheme names no transport. */
static const char *
transport_of (const char *scheme)
{
  const char *plus = scheme != NULL ? strchr (scheme, '+') : NULL;

  return plus != NULL ? plus + 1 : NULL;
}

static gboolean
is_ssh_transport (const char *transport)
{
  return g_strcmp0 (transport, "ssh") == 0 || g_strcmp0 (transport, "libssh2") == 0 ||
         g_strcmp0 (transport, "libssh") == 0;
}

/* The file each transport checks host keys against when the URI names none. */
static char *
default_known_hosts (const char *transport)
{
  if (strcmp (transport, "ssh") == 0)
    return g_build_filename (g_get_home_dir (), ".ssh", "known_hosts", NULL);
  return g_build_filename (g_get_user_config_dir (), "libvirt", "known_hosts", NULL);
}

DomusSshOptions *
domus_libvirt_tunnel_options (const char  *uri,
                              GError     **error)
{
  g_autoptr(GUri) parsed = g_uri_parse (uri, G_URI_FLAGS_ENCODED_QUERY, NULL);
  g_autoptr(GHashTable) params = NULL;
  DomusSshOptions *options;
  const char *transport, *host, *no_verify;

  g_return_val_if_fail (uri != NULL, NULL);

  host = parsed != NULL ? g_uri_get_host (parsed) : NULL;
  transport = parsed != NULL ? transport_of (g_uri_get_scheme (parsed)) : NULL;
  if (host == NULL || *host == '\0' || !is_ssh_transport (transport))
    {
      g_set_error (error, DOMUS_ERROR, DOMUS_ERROR_NOT_SUPPORTED,
                   _("Screens of a remote libvirt host are reached through SSH, and “%s” is not an "
                     "SSH address: connect with qemu+ssh:// or qemu+libssh2:// to see them."), uri);
      return NULL;
    }
  if (g_uri_get_query (parsed) != NULL)
    params = g_uri_parse_params (g_uri_get_query (parsed), -1, "&", G_URI_PARAMS_NONE, NULL);

  options = g_new0 (DomusSshOptions, 1);
  options->host = g_strdup (host);
  options->port = g_uri_get_port (parsed) > 0 ? (guint16) g_uri_get_port (parsed) : 22;
  options->user = g_strdup (g_uri_get_user (parsed) != NULL ? g_uri_get_user (parsed) : g_get_user_name ());
  options->keyfile = params != NULL ? g_strdup (g_hash_table_lookup (params, "keyfile")) : NULL;
  options->known_hosts = params != NULL ? g_strdup (g_hash_table_lookup (params, "known_hosts")) : NULL;
  if (options->known_hosts == NULL)
    options->known_hosts = default_known_hosts (transport);
  options->bridge = g_strdup ("domusctl");
  no_verify = params != NULL ? g_hash_table_lookup (params, "no_verify") : NULL;
  /* libvirt reads any non-zero number as yes. */
  options->no_verify = no_verify != NULL && g_ascii_strtoll (no_verify, NULL, 10) != 0;
  return options;
}

/* What the ssh program would do: `ssh -G` */

/* The keys ssh tries unless told otherwise: not worth naming as the keyfile. */
static gboolean
is_default_identity (const char *path)
{
  static const char * const defaults[] = {
    "id_rsa", "id_ecdsa", "id_ecdsa_sk", "id_ed25519", "id_ed25519_sk", "id_xmss", "id_dsa",
  };
  g_autofree char *folder = g_build_filename (g_get_home_dir (), ".ssh", NULL);
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *base = g_path_get_basename (path);

  if (strcmp (dir, folder) != 0 && strcmp (dir, "~/.ssh") != 0)
    return FALSE;
  for (gsize i = 0; i < G_N_ELEMENTS (defaults); i++)
    if (strcmp (base, defaults[i]) == 0)
      return TRUE;
  return FALSE;
}

static char *
expand_home (const char *path)
{
  if (g_str_has_prefix (path, "~/"))
    return g_build_filename (g_get_home_dir (), path + 2, NULL);
  return g_strdup (path);
}

static void
replace_string (char **field,
                char  *value)
{
  g_free (*field);
  *field = value;
}

static gboolean
uri_names (const char *uri,
           const char *param)
{
  g_autoptr(GUri) parsed = g_uri_parse (uri, G_URI_FLAGS_ENCODED_QUERY, NULL);
  g_autoptr(GHashTable) params = NULL;

  if (parsed != NULL && g_uri_get_query (parsed) != NULL)
    params = g_uri_parse_params (g_uri_get_query (parsed), -1, "&", G_URI_PARAMS_NONE, NULL);
  return params != NULL && g_hash_table_contains (params, param);
}

gboolean
domus_libvirt_apply_ssh_config (DomusSshOptions  *options,
                                const char       *uri,
                                const char       *config,
                                GError          **error)
{
  g_auto(GStrv) lines = g_strsplit (config, "\n", -1);
  gboolean keyfile_given = uri_names (uri, "keyfile"), known_hosts_given = uri_names (uri, "known_hosts");

  for (gsize i = 0; lines[i] != NULL; i++)
    {
      g_auto(GStrv) words = g_strsplit (g_strstrip (lines[i]), " ", 2);
      g_autofree char *key = words[0] != NULL ? g_ascii_strdown (words[0], -1) : NULL;
      const char *value = key != NULL ? words[1] : NULL;
      gint64 port;

      if (value == NULL || *value == '\0')
        continue;
      if ((strcmp (key, "proxyjump") == 0 || strcmp (key, "proxycommand") == 0) && strcmp (value, "none") != 0)
        {
          g_set_error (error, DOMUS_ERROR, DOMUS_ERROR_NOT_SUPPORTED,
                       _("%s is reached through another host (%s in the ssh program’s configuration), "
                         "which Domus’s own SSH tunnel for the screen cannot follow yet."), options->host, words[0]);
          return FALSE;
        }
      if (strcmp (key, "hostname") == 0)
        replace_string (&options->host, g_strdup (value));
      else if (strcmp (key, "user") == 0)
        replace_string (&options->user, g_strdup (value));
      else if (strcmp (key, "port") == 0 && g_ascii_string_to_signed (value, 10, 1, G_MAXUINT16, &port, NULL))
        options->port = (guint16) port;
      else if (strcmp (key, "identityfile") == 0 && !keyfile_given && options->keyfile == NULL &&
               !is_default_identity (value))
        options->keyfile = expand_home (value);
      else if (strcmp (key, "userknownhostsfile") == 0 && !known_hosts_given)
        {
          g_auto(GStrv) files = g_strsplit (value, " ", 2);

          replace_string (&options->known_hosts, expand_home (files[0]));
          known_hosts_given = TRUE;   /* the first line says it */
        }
    }
  return TRUE;
}

/* `ssh -G` as libvirt would run ssh for uri: its command= program, -p and -l when the URI has them. */
static GStrv
ssh_config_argv (const char *uri)
{
  g_autoptr(GUri) parsed = g_uri_parse (uri, G_URI_FLAGS_ENCODED_QUERY, NULL);
  g_autoptr(GHashTable) params = NULL;
  g_autoptr(GStrvBuilder) argv = g_strv_builder_new ();
  const char *program = NULL;

  if (g_uri_get_query (parsed) != NULL)
    params = g_uri_parse_params (g_uri_get_query (parsed), -1, "&", G_URI_PARAMS_NONE, NULL);
  if (params != NULL)
    program = g_hash_table_lookup (params, "command");
  g_strv_builder_add (argv, program != NULL ? program : "ssh");
  g_strv_builder_add (argv, "-G");
  if (g_uri_get_port (parsed) > 0)
    {
      g_autofree char *port = g_strdup_printf ("%d", g_uri_get_port (parsed));

      g_strv_builder_add_many (argv, "-p", port, NULL);
    }
  if (g_uri_get_user (parsed) != NULL)
    g_strv_builder_add_many (argv, "-l", g_uri_get_user (parsed), NULL);
  g_strv_builder_add_many (argv, "--", g_uri_get_host (parsed), NULL);
  return g_strv_builder_end (argv);
}

/* One SSH session per connection, kept on it */

#define TUNNEL_HOST_KEY "domus-libvirt-tunnel-host"

typedef struct {
  DomusSshSession *session;    /* NULL until connected, and after it failed */
  gboolean         connecting;
  GQueue           waiting;    /* GTask: opens waiting for the session */
} TunnelHost;

typedef struct {
  DomusLibvirtVncEndpoint *endpoint;
  DomusSshTunnelWay        way;
} TunnelRequest;

static void
tunnel_request_free (TunnelRequest *request)
{
  domus_libvirt_vnc_endpoint_free (request->endpoint);
  g_free (request);
}

/* Freed with the connection: no open waits then (each holds the connection). */
static void
tunnel_host_free (TunnelHost *host)
{
  if (host->session != NULL)
    {
      domus_ssh_session_close (host->session);
      g_object_unref (host->session);
    }
  g_assert (g_queue_is_empty (&host->waiting));
  g_free (host);
}

static TunnelHost *
tunnel_host_for (DomusLibvirtConnection *connection)
{
  TunnelHost *host = g_object_get_data (G_OBJECT (connection), TUNNEL_HOST_KEY);

  if (host == NULL)
    {
      host = g_new0 (TunnelHost, 1);
      g_queue_init (&host->waiting);
      g_object_set_data_full (G_OBJECT (connection), TUNNEL_HOST_KEY, host, (GDestroyNotify) tunnel_host_free);
    }
  return host;
}

/* What runs on the host when it will not forward: nc, as libvirt's own ssh transport uses there. */
static char *
fallback_command (const DomusLibvirtVncEndpoint *endpoint)
{
  g_autofree char *target = g_shell_quote (endpoint->socket != NULL ? endpoint->socket : endpoint->host);

  if (endpoint->socket != NULL)
    return g_strdup_printf ("nc -U %s", target);
  return g_strdup_printf ("nc %s %u", target, endpoint->port);
}

static void
on_tunnel_opened (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TunnelRequest *request = g_task_get_task_data (task);
  GError *error = NULL;
  int fd = domus_ssh_session_open_tunnel_finish (DOMUS_SSH_SESSION (source), result, &request->way, &error);

  if (fd < 0)
    g_task_return_error (task, error);
  else
    domus_task_return_fd (task, fd);
}

static void
open_channel (DomusSshSession *session,
              GTask           *task)
{
  TunnelRequest *request = g_task_get_task_data (task);
  g_autofree char *fallback = fallback_command (request->endpoint);

  /* A socket has no direct-tcpip; direct-streamlocal (what a domusd server's stream uses)
     is not tried for screens yet: nc it is. */
  domus_ssh_session_open_tunnel_async (session, request->endpoint->socket == NULL ? request->endpoint->host : NULL,
                                       request->endpoint->port, fallback, g_task_get_cancellable (task),
                                       on_tunnel_opened, task);
}

static void
on_session_connected (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(DomusLibvirtConnection) connection = user_data;
  TunnelHost *host = tunnel_host_for (connection);
  g_autoptr(GError) error = NULL;
  GTask *task;

  host->connecting = FALSE;
  host->session = domus_ssh_session_connect_finish (result, &error);
  while ((task = g_queue_pop_head (&host->waiting)) != NULL)
    {
      if (host->session != NULL)
        open_channel (host->session, task);
      else
        {
          g_task_return_error (task, g_error_copy (error));
          g_object_unref (task);
        }
    }
}

static void
fail_waiting (TunnelHost   *host,
              const GError *error)
{
  GTask *task;

  host->connecting = FALSE;
  while ((task = g_queue_pop_head (&host->waiting)) != NULL)
    {
      g_task_return_error (task, g_error_copy (error));
      g_object_unref (task);
    }
}

static void
connect_session (DomusLibvirtConnection *connection,
                 const DomusSshOptions  *options)
{
  domus_ssh_session_connect_async (options, domus_libvirt_connection_get_interaction (connection), NULL, NULL,
                                   on_session_connected, g_object_ref (connection));
}

typedef struct {
  DomusLibvirtConnection *connection;
  DomusSshOptions        *options;
} ConfigRead;

static void
on_ssh_config_read (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  ConfigRead *read = user_data;
  TunnelHost *host = tunnel_host_for (read->connection);
  g_autofree char *out = NULL;
  g_autoptr(GError) error = NULL;

  /* No ssh program, or one that cannot say: the URI alone, as for libssh2. */
  if (!g_subprocess_communicate_utf8_finish (G_SUBPROCESS (source), result, &out, NULL, &error) ||
      !g_subprocess_get_successful (G_SUBPROCESS (source)))
    g_debug ("ssh -G said nothing for %s: %s", read->options->host, error != NULL ? error->message : "failed");
  else if (!domus_libvirt_apply_ssh_config (read->options, domus_libvirt_connection_get_uri (read->connection), out,
                                            &error))
    fail_waiting (host, error);
  if (host->connecting)
    connect_session (read->connection, read->options);
  g_object_unref (read->connection);
  domus_ssh_options_free (read->options);
  g_free (read);
}

/*
 * For qemu+ssh, what the ssh program would do with the host's name (`ssh -G`: its
 * configuration's HostName, Port, User, IdentityFile, UserKnownHostsFile), so that the
 * tunnel goes where libvirt's own connection went; then the session.
 */
static void
start_session (DomusLibvirtConnection *connection,
               DomusSshOptions        *options)
{
  const char *uri = domus_libvirt_connection_get_uri (connection);
  g_autoptr(GUri) parsed = g_uri_parse (uri, G_URI_FLAGS_ENCODED_QUERY, NULL);
  g_auto(GStrv) argv = NULL;
  g_autoptr(GSubprocess) ssh = NULL;
  g_autoptr(GError) error = NULL;
  ConfigRead *read;

  if (g_strcmp0 (transport_of (g_uri_get_scheme (parsed)), "ssh") != 0)
    {
      connect_session (connection, options);
      domus_ssh_options_free (options);
      return;
    }
  argv = ssh_config_argv (uri);
  ssh = g_subprocess_newv ((const char * const *) argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                           G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error);
  if (ssh == NULL)
    {
      g_debug ("no ssh -G for %s: %s", options->host, error->message);
      connect_session (connection, options);
      domus_ssh_options_free (options);
      return;
    }
  read = g_new0 (ConfigRead, 1);
  read->connection = g_object_ref (connection);
  read->options = options;
  g_subprocess_communicate_utf8_async (ssh, NULL, NULL, on_ssh_config_read, read);
}

/* A session that ended (the host rebooted, the network went) is made again. */
static gboolean
session_is_usable (TunnelHost *host)
{
  g_autoptr(GError) ended = NULL;

  if (host->session == NULL)
    return FALSE;
  ended = domus_ssh_session_dup_error (host->session);
  if (ended == NULL)
    return TRUE;
  g_clear_object (&host->session);
  return FALSE;
}

void
domus_libvirt_open_tunnel_async (DomusLibvirtConnection        *connection,
                                 const DomusLibvirtVncEndpoint *endpoint,
                                 GCancellable                  *cancellable,
                                 GAsyncReadyCallback            callback,
                                 gpointer                       user_data)
{
  GTask *task;
  TunnelRequest *request;
  TunnelHost *host;
  DomusSshOptions *options;
  GError *error = NULL;

  g_return_if_fail (DOMUS_IS_LIBVIRT_CONNECTION (connection));
  g_return_if_fail (endpoint != NULL);

  task = g_task_new (connection, cancellable, callback, user_data);
  g_task_set_source_tag (task, domus_libvirt_open_tunnel_async);
  request = g_new0 (TunnelRequest, 1);
  request->endpoint = endpoint_copy (endpoint);
  g_task_set_task_data (task, request, (GDestroyNotify) tunnel_request_free);

  host = tunnel_host_for (connection);
  if (session_is_usable (host))
    {
      open_channel (host->session, task);
      return;
    }
  if (!host->connecting)
    {
      options = domus_libvirt_tunnel_options (domus_libvirt_connection_get_uri (connection), &error);
      if (options == NULL)
        {
          g_task_return_error (task, error);
          g_object_unref (task);
          return;
        }
      host->connecting = TRUE;
      g_queue_push_tail (&host->waiting, task);
      start_session (connection, options);
      return;
    }
  g_queue_push_tail (&host->waiting, task);
}

int
domus_libvirt_open_tunnel_finish (DomusLibvirtConnection  *connection,
                                  GAsyncResult            *result,
                                  DomusSshTunnelWay       *way,
                                  GError                 **error)
{
  g_return_val_if_fail (g_task_is_valid (result, connection), -1);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == domus_libvirt_open_tunnel_async, -1);

  if (way != NULL)
    *way = ((TunnelRequest *) g_task_get_task_data (G_TASK (result)))->way;
  return domus_task_propagate_fd (G_TASK (result), error);
}
