/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The relocation peer check: hosts-allow against the peer's address, then against its reverse
 * name only once a forward lookup of that name gave the peer's address back. Whoever controls
 * the peer's reverse zone can make it say any name; only the name's own zone can confirm it.
 */

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "hv-relocation-peer.h"

typedef struct {
  HvDaemonConfig *config;
  GInetAddress   *address;
  GResolver      *resolver;
  char           *text;     /* the address as written */
  char           *name;     /* its reverse name */
} PeerCheck;

static void
peer_check_free (PeerCheck *check)
{
  g_clear_pointer (&check->config, hv_daemon_config_unref);
  g_clear_object (&check->address);
  g_clear_object (&check->resolver);
  g_free (check->text);
  g_free (check->name);
  g_free (check);
}

/* ::ffff:a.b.c.d is a.b.c.d; anything else as it is. Transfer full. */
static GInetAddress *
unmapped (GInetAddress *address)
{
  static const guint8 prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
  const guint8 *bytes = g_inet_address_to_bytes (address);

  if (g_inet_address_get_family (address) == G_SOCKET_FAMILY_IPV6 && memcmp (bytes, prefix, sizeof prefix) == 0)
    return g_inet_address_new_from_bytes (bytes + sizeof prefix, G_SOCKET_FAMILY_IPV4);
  return g_object_ref (address);
}

GInetAddress *
hv_relocation_peer_address (GSocketConnection *connection)
{
  g_autoptr(GSocketAddress) remote = g_socket_connection_get_remote_address (connection, NULL);

  if (remote == NULL || !G_IS_INET_SOCKET_ADDRESS (remote))
    return NULL;
  return unmapped (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (remote)));
}

static void
refuse (GTask      *task,
        const char *message)
{
  g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED, "%s", message);
  g_object_unref (task);
}

static gboolean
returned_cancelled (GTask  *task,
                    GError *error)
{
  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return FALSE;
  g_task_return_error (task, g_error_copy (error));
  g_object_unref (task);
  return TRUE;
}

static void
on_forward (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  GTask *task = user_data;
  PeerCheck *check = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autofree char *message = NULL;
  GList *addresses = g_resolver_lookup_by_name_finish (G_RESOLVER (source), result, &error);
  gboolean confirmed = FALSE;

  if (returned_cancelled (task, error))
    return;
  for (GList *l = addresses; l != NULL && !confirmed; l = l->next)
    {
      g_autoptr(GInetAddress) address = unmapped (l->data);

      confirmed = g_inet_address_equal (address, check->address);
    }
  g_resolver_free_addresses (addresses);
  if (confirmed)
    {
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
      return;
    }
  if (error != NULL)
    message = g_strdup_printf (_("hosts-allow of this host names %s only by its reverse name %s, whose lookup "
                                 "failed (%s): a reverse name alone is not trusted"),
                               check->text, check->name, error->message);
  else
    message = g_strdup_printf (_("hosts-allow of this host names %s only by its reverse name %s, which does not "
                                 "resolve back to it: a reverse name alone is not trusted"),
                               check->text, check->name);
  refuse (task, message);
}

static void
on_reverse (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  GTask *task = user_data;
  PeerCheck *check = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autofree char *message = NULL;

  check->name = g_resolver_lookup_by_address_finish (G_RESOLVER (source), result, &error);
  if (returned_cancelled (task, error))
    return;
  if (check->name == NULL)
    {
      message = g_strdup_printf (_("hosts-allow of this host does not name %s, and it has no name (%s)"),
                                 check->text, error->message);
      refuse (task, message);
      return;
    }
  if (!hv_relocation_config_allows (&check->config->relocation, NULL, check->name))
    {
      message = g_strdup_printf (_("hosts-allow of this host names neither %s nor its name %s"),
                                 check->text, check->name);
      refuse (task, message);
      return;
    }
  g_resolver_lookup_by_name_async (check->resolver, check->name, g_task_get_cancellable (task),
                                   on_forward, task);
}

void
hv_relocation_peer_check_async (HvDaemonConfig      *config,
                                GInetAddress        *address,
                                GResolver           *resolver,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  GTask *task;
  PeerCheck *check;

  g_return_if_fail (config != NULL && G_IS_INET_ADDRESS (address));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, hv_relocation_peer_check_async);
  check = g_new0 (PeerCheck, 1);
  check->config = hv_daemon_config_ref (config);
  check->address = unmapped (address);
  check->resolver = resolver != NULL ? g_object_ref (resolver) : g_resolver_get_default ();
  check->text = g_inet_address_to_string (check->address);
  g_task_set_task_data (task, check, (GDestroyNotify) peer_check_free);
  if (hv_relocation_config_allows (&config->relocation, check->text, NULL))
    {
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
      return;
    }
  /* Patterns may name hosts: ask for the peer's name before refusing it. */
  g_resolver_lookup_by_address_async (check->resolver, check->address, cancellable, on_reverse, task);
}

gboolean
hv_relocation_peer_check_finish (GAsyncResult  *result,
                                 GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == hv_relocation_peer_check_async, FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
