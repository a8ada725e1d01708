/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Reads ssh:// addresses. */

#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <glib/gi18n-lib.h>

#include "domus-error.h"
#include "domus-ssh-options.h"

static const char * const query_names[] = {
  "socket", "keyfile", "known_hosts", "bridge", "no_verify",
};

static gboolean
is_known_query_name (const char *name)
{
  for (gsize i = 0; i < G_N_ELEMENTS (query_names); i++)
    if (strcmp (query_names[i], name) == 0)
      return TRUE;
  return FALSE;
}

static gboolean
parse_query (DomusSshOptions  *options,
             const char       *uri,
             const char       *query,
             GError          **error)
{
  g_autoptr(GHashTable) params = NULL;
  g_autoptr(GError) local_error = NULL;
  GHashTableIter iter;
  const char *name, *value;

  if (query == NULL)
    return TRUE;
  params = g_uri_parse_params (query, -1, "&", G_URI_PARAMS_NONE, &local_error);
  if (params == NULL)
    {
      g_set_error (error, DOMUS_ERROR, DOMUS_ERROR_INVALID_URI,
                   _("“%s”: the part after “?” cannot be read: %s"), uri, local_error->message);
      return FALSE;
    }
  g_hash_table_iter_init (&iter, params);
  while (g_hash_table_iter_next (&iter, (gpointer *) &name, (gpointer *) &value))
    {
      if (!is_known_query_name (name))
        {
          g_set_error (error, DOMUS_ERROR, DOMUS_ERROR_INVALID_URI,
                       _("“%s”: unknown option “%s” (known: socket, keyfile, known_hosts, bridge, no_verify)."),
                       uri, name);
          return FALSE;
        }
      if (*value == '\0')
        {
          g_set_error (error, DOMUS_ERROR, DOMUS_ERROR_INVALID_URI,
                       _("“%s”: option “%s” has no value."), uri, name);
          return FALSE;
        }
    }

  options->socket = g_strdup (g_hash_table_lookup (params, "socket"));
  options->keyfile = g_strdup (g_hash_table_lookup (params, "keyfile"));
  options->known_hosts = g_strdup (g_hash_table_lookup (params, "known_hosts"));
  options->bridge = g_strdup (g_hash_table_lookup (params, "bridge"));

  value = g_hash_table_lookup (params, "no_verify");
  if (value != NULL)
    {
      if (strcmp (value, "1") != 0 && strcmp (value, "0") != 0)
        {
          g_set_error (error, DOMUS_ERROR, DOMUS_ERROR_INVALID_URI,
                       _("“%s”: no_verify takes 1 or 0, not “%s”."), uri, value);
          return FALSE;
        }
      options->no_verify = strcmp (value, "1") == 0;
    }
  return TRUE;
}

DomusSshOptions *
domus_ssh_options_parse (const char  *uri,
                         GError     **error)
{
  g_autoptr(DomusSshOptions) options = g_new0 (DomusSshOptions, 1);
  g_autoptr(GUri) parsed = NULL;
  g_autoptr(GError) local_error = NULL;
  int port;

  parsed = g_uri_parse (uri, G_URI_FLAGS_ENCODED_QUERY, &local_error);
  if (parsed == NULL)
    {
      g_set_error (error, DOMUS_ERROR, DOMUS_ERROR_INVALID_URI,
                   _("“%s” is not an ssh:// address: %s"), uri, local_error->message);
      return NULL;
    }
  if (g_strcmp0 (g_uri_get_scheme (parsed), "ssh") != 0)
    {
      g_set_error (error, DOMUS_ERROR, DOMUS_ERROR_INVALID_URI,
                   _("“%s” is not an ssh:// address."), uri);
      return NULL;
    }
  if (g_uri_get_host (parsed) == NULL || *g_uri_get_host (parsed) == '\0')
    {
      g_set_error (error, DOMUS_ERROR, DOMUS_ERROR_INVALID_URI,
                   _("“%s” names no host; write ssh://[user@]host[:port]."), uri);
      return NULL;
    }
  if (*g_uri_get_path (parsed) != '\0' && strcmp (g_uri_get_path (parsed), "/") != 0)
    {
      g_set_error (error, DOMUS_ERROR, DOMUS_ERROR_INVALID_URI,
                   _("“%s”: a path after the host means nothing here; name the daemon’s socket with ?socket=PATH."),
                   uri);
      return NULL;
    }

  options->host = g_strdup (g_uri_get_host (parsed));
  port = g_uri_get_port (parsed);
  options->port = port > 0 ? (guint16) port : 22;
  options->user = g_strdup (g_uri_get_user (parsed) != NULL ? g_uri_get_user (parsed)
                                                              : g_get_user_name ());
  if (!parse_query (options, uri, g_uri_get_query (parsed), error))
    return NULL;
  if (options->known_hosts == NULL)
    options->known_hosts = g_build_filename (g_get_home_dir (), ".ssh", "known_hosts", NULL);
  if (options->bridge == NULL)
    options->bridge = g_strdup ("domusctl");
  return g_steal_pointer (&options);
}

DomusSshOptions *
domus_ssh_options_copy (const DomusSshOptions *options)
{
  DomusSshOptions *copy = g_new0 (DomusSshOptions, 1);

  copy->host = g_strdup (options->host);
  copy->port = options->port;
  copy->user = g_strdup (options->user);
  copy->keyfile = g_strdup (options->keyfile);
  copy->known_hosts = g_strdup (options->known_hosts);
  copy->bridge = g_strdup (options->bridge);
  copy->socket = g_strdup (options->socket);
  copy->no_verify = options->no_verify;
  return copy;
}

void
domus_ssh_options_free (DomusSshOptions *options)
{
  if (options == NULL)
    return;
  g_free (options->host);
  g_free (options->user);
  g_free (options->keyfile);
  g_free (options->known_hosts);
  g_free (options->bridge);
  g_free (options->socket);
  g_free (options);
}

char *
domus_ssh_options_host_label (const DomusSshOptions *options)
{
  if (options->port == 22)
    return g_strdup (options->host);
  return g_strdup_printf ("[%s]:%u", options->host, options->port);
}

char *
domus_ssh_options_bridge_command (const DomusSshOptions *options,
                                  const char            *console_option,
                                  const char            *domain)
{
  g_autoptr(GString) command = g_string_new (NULL);
  g_autofree char *bridge = g_shell_quote (options->bridge);

  g_string_append_printf (command, "%s bridge", bridge);
  if (options->socket != NULL)
    {
      g_autofree char *socket = g_shell_quote (options->socket);
      g_string_append_printf (command, " --socket %s", socket);
    }
  if (console_option != NULL && domain != NULL)
    {
      g_autofree char *name = g_shell_quote (domain);
      g_string_append_printf (command, " %s %s", console_option, name);
    }
  return g_string_free (g_steal_pointer (&command), FALSE);
}
