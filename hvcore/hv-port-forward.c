/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Port forwards of user-mode networking, written in a `vif` entry as `forward=` items (Domus's
 * extension of xm's format; docs/config-format.md) and given to QEMU as `hostfwd=`. Also picks
 * a free host port for the SSH forward of a guest Domus makes (Debian, cloud images).
 */

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>
#include <gio/gio.h>

#include "hv-config.h"
#include "hv-port-forward.h"

#define PICK_RANGE 1000  /* ports tried above `first` before giving up */

void
hv_port_forward_free (HvPortForward *forward)
{
  if (forward == NULL)
    return;
  g_free (forward->text);
  g_free (forward->host_address);
  g_free (forward->guest_address);
  g_free (forward);
}

const char *
hv_port_forward_protocol_name (HvPortForwardProtocol protocol)
{
  return protocol == HV_PORT_FORWARD_UDP ? "udp" : "tcp";
}

static gboolean
parse_port (const char *text,
            guint      *out)
{
  guint64 value;

  if (!g_ascii_string_to_unsigned (text, 10, 1, 65535, &value, NULL))
    return FALSE;
  *out = (guint) value;
  return TRUE;
}

/* A dotted-quad IPv4 address, as QEMU's hostfwd takes it (no names: no lookup at start). */
static gboolean
is_ipv4 (const char *text)
{
  g_autoptr(GInetAddress) address = g_inet_address_new_from_string (text);

  return address != NULL && g_inet_address_get_family (address) == G_SOCKET_FAMILY_IPV4;
}

static HvPortForward *
parse_failed (HvPortForward  *forward,
              char          **message,
              char           *text)
{
  *message = text;
  hv_port_forward_free (forward);
  return NULL;
}

/* "[tcp:|udp:][ADDRESS:]PORT" */
static gboolean
parse_host_side (HvPortForward  *forward,
                 const char     *side,
                 char          **message)
{
  g_auto(GStrv) parts = g_strsplit (side, ":", -1);
  guint n = g_strv_length (parts);
  guint first = 0;

  if (n >= 2 && (strcmp (parts[0], "tcp") == 0 || strcmp (parts[0], "udp") == 0))
    {
      forward->protocol = strcmp (parts[0], "udp") == 0 ? HV_PORT_FORWARD_UDP : HV_PORT_FORWARD_TCP;
      first = 1;
    }
  if (n - first == 2)
    {
      if (*parts[first] == '\0')
        {
          /* QEMU reads an empty address as every address; Domus's default is this host only. */
          *message = g_strdup_printf (_("forward=%s: the host address is empty: leave it out for 127.0.0.1 "
                                        "(this host only), or name the address to listen on"),
                                      forward->text);
          return FALSE;
        }
      if (!is_ipv4 (parts[first]))
        {
          *message = g_strdup_printf (_("forward=%s: “%s” is neither tcp, udp nor a numeric IPv4 address"),
                                      forward->text, parts[first]);
          return FALSE;
        }
      g_free (forward->host_address);
      forward->host_address = g_strdup (parts[first]);
      first++;
    }
  if (n - first != 1)
    {
      *message = g_strdup_printf (_("forward=%s: not [tcp:|udp:][ADDRESS:]HOSTPORT-GUESTPORT"), forward->text);
      return FALSE;
    }
  if (!parse_port (parts[first], &forward->host_port))
    {
      *message = g_strdup_printf (_("forward=%s: host port “%s” is not a number from 1 to 65535"),
                                  forward->text, parts[first]);
      return FALSE;
    }
  return TRUE;
}

/* "PORT", ":PORT" or "ADDRESS:PORT" */
static gboolean
parse_guest_side (HvPortForward  *forward,
                  const char     *side,
                  char          **message)
{
  const char *colon = strrchr (side, ':');
  const char *port = colon != NULL ? colon + 1 : side;

  if (colon != NULL && colon != side)
    {
      g_autofree char *address = g_strndup (side, colon - side);

      if (!is_ipv4 (address))
        {
          *message = g_strdup_printf (_("forward=%s: guest address “%s” is not a numeric IPv4 address"),
                                      forward->text, address);
          return FALSE;
        }
      forward->guest_address = g_steal_pointer (&address);
    }
  if (!parse_port (port, &forward->guest_port))
    {
      *message = g_strdup_printf (_("forward=%s: guest port “%s” is not a number from 1 to 65535"),
                                  forward->text, port);
      return FALSE;
    }
  return TRUE;
}

HvPortForward *
hv_port_forward_parse (const char  *text,
                       char       **message)
{
  HvPortForward *forward;
  const char *dash;
  g_autofree char *host_side = NULL;

  g_return_val_if_fail (text != NULL && message != NULL, NULL);

  forward = g_new0 (HvPortForward, 1);
  forward->text = g_strdup (text);
  forward->protocol = HV_PORT_FORWARD_TCP;
  forward->host_address = g_strdup ("127.0.0.1");
  dash = strchr (text, '-');
  if (dash == NULL || strchr (dash + 1, '-') != NULL)
    return parse_failed (forward, message,
                         g_strdup_printf (_("forward=%s: not [tcp:|udp:][ADDRESS:]HOSTPORT-GUESTPORT, "
                                            "e.g. forward=tcp:2222-22"), text));
  host_side = g_strndup (text, dash - text);
  if (!parse_host_side (forward, host_side, message) ||
      !parse_guest_side (forward, dash + 1, message))
    return parse_failed (forward, message, *message);
  return forward;
}

gboolean
hv_port_forward_is_loopback (const HvPortForward *forward)
{
  g_autoptr(GInetAddress) address = g_inet_address_new_from_string (forward->host_address);

  return address != NULL && g_inet_address_get_is_loopback (address);
}

char *
hv_port_forward_to_string (const HvPortForward *forward)
{
  return g_strdup_printf ("%s:%s:%u-%s:%u", hv_port_forward_protocol_name (forward->protocol),
                          forward->host_address, forward->host_port,
                          forward->guest_address != NULL ? forward->guest_address : "",
                          forward->guest_port);
}

char *
hv_port_forward_to_hostfwd (const HvPortForward *forward)
{
  g_autofree char *text = hv_port_forward_to_string (forward);

  return g_strconcat ("hostfwd=", text, NULL);
}

gboolean
hv_port_forward_clash (const HvPortForward *a,
                       const HvPortForward *b)
{
  return a->protocol == b->protocol && a->host_port == b->host_port &&
         (strcmp (a->host_address, b->host_address) == 0 ||
          strcmp (a->host_address, "0.0.0.0") == 0 || strcmp (b->host_address, "0.0.0.0") == 0);
}

/* Choosing a free port */

static void
add_ports_of_entry (GHashTable *ports,
                    const char *entry)
{
  g_auto(GStrv) items = g_strsplit (entry, ",", -1);

  for (guint i = 0; items[i] != NULL; i++)
    {
      char *item = g_strstrip (items[i]);
      char *equals = strchr (item, '=');
      g_autofree char *key = NULL;
      g_autofree char *message = NULL;
      g_autoptr(HvPortForward) forward = NULL;

      if (equals == NULL)
        continue;
      key = g_strstrip (g_strndup (item, equals - item));
      if (strcmp (key, "forward") != 0)
        continue;
      forward = hv_port_forward_parse (g_strstrip (equals + 1), &message);
      if (forward != NULL)
        g_hash_table_add (ports, GUINT_TO_POINTER (forward->host_port));
    }
}

GHashTable *
hv_port_forward_ports_in_configs (const char *config_dir)
{
  GHashTable *ports = g_hash_table_new (NULL, NULL);
  g_autoptr(GDir) dir = config_dir != NULL ? g_dir_open (config_dir, 0, NULL) : NULL;
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = NULL;
      g_autoptr(HvConfig) config = NULL;
      g_auto(GStrv) entries = NULL;

      if (!g_str_has_suffix (name, ".cfg") || *name == '.')
        continue;
      path = g_build_filename (config_dir, name, NULL);
      config = hv_config_new_from_file (path, NULL);
      if (config == NULL || !hv_config_get_string_list (config, "vif", &entries, NULL))
        continue;
      for (guint i = 0; entries[i] != NULL; i++)
        add_ports_of_entry (ports, entries[i]);
    }
  return ports;
}

/* Nothing listens on 127.0.0.1:port (TCP) right now: a bind would succeed. */
static gboolean
port_is_free (guint port)
{
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                            G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, (guint16) port);

  return socket != NULL && g_socket_bind (socket, address, FALSE, NULL);
}

guint
hv_port_forward_choose_ssh_port (gint                requested,
                                 const char * const *config_dirs)
{
  if (requested > 0)
    return (guint) requested;
  if (requested < 0)
    return 0;
  return hv_port_forward_pick_free_port (config_dirs, HV_PORT_FORWARD_FIRST_SSH_PORT);
}

guint
hv_port_forward_pick_free_port (const char * const *config_dirs,
                                guint               first)
{
  /* Two guests made at once in this process must not get the same port before either
   * .cfg is written. */
  static GMutex lock;
  static GHashTable *handed_out;
  g_autoptr(GHashTable) taken = g_hash_table_new (NULL, NULL);
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&lock);

  for (guint i = 0; config_dirs != NULL && config_dirs[i] != NULL; i++)
    {
      g_autoptr(GHashTable) ports = hv_port_forward_ports_in_configs (config_dirs[i]);
      GHashTableIter iter;
      gpointer port;

      g_hash_table_iter_init (&iter, ports);
      while (g_hash_table_iter_next (&iter, &port, NULL))
        g_hash_table_add (taken, port);
    }
  if (handed_out == NULL)
    handed_out = g_hash_table_new (NULL, NULL);
  for (guint port = first; port < first + PICK_RANGE && port <= 65535; port++)
    if (!g_hash_table_contains (taken, GUINT_TO_POINTER (port)) &&
        !g_hash_table_contains (handed_out, GUINT_TO_POINTER (port)) && port_is_free (port))
      {
        g_hash_table_add (handed_out, GUINT_TO_POINTER (port));
        return port;
      }
  return 0;
}
