/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A libvirt host's virtual networks, listed on the connection's thread. */

#include "config.h"

#include "domus-libvirt.h"
#include "domus-libvirt-networks.h"

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return g_strcmp0 (*(const char * const *) a, *(const char * const *) b);
}

static void
list_networks_work (DomusLibvirtReply *reply,
                    virConnectPtr      conn,
                    gpointer           task_data,
                    GCancellable      *cancellable)
{
  virNetworkPtr *networks = NULL;
  GError *error = NULL;
  GPtrArray *names;
  int n = virConnectListAllNetworks (conn, &networks, VIR_CONNECT_LIST_NETWORKS_ACTIVE);

  if (n < 0)
    {
      domus_libvirt_set_error (&error, DOMUS_ERROR_FAILED);
      domus_libvirt_reply_error (reply, error);
      return;
    }
  names = g_ptr_array_new ();
  for (int i = 0; i < n; i++)
    {
      g_ptr_array_add (names, g_strdup (virNetworkGetName (networks[i])));
      virNetworkFree (networks[i]);
    }
  free (networks);
  g_ptr_array_sort (names, compare_names);
  g_ptr_array_add (names, NULL);
  domus_libvirt_reply_pointer (reply, g_ptr_array_free (names, FALSE), (GDestroyNotify) g_strfreev);
}

void
domus_libvirt_list_networks_async (DomusLibvirtConnection *connection,
                                   GCancellable           *cancellable,
                                   GAsyncReadyCallback     callback,
                                   gpointer                user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (DOMUS_IS_LIBVIRT_CONNECTION (connection));
  task = g_task_new (connection, cancellable, callback, user_data);
  g_task_set_source_tag (task, domus_libvirt_list_networks_async);
  domus_libvirt_connection_run (connection, task, list_networks_work);
}

GStrv
domus_libvirt_list_networks_finish (DomusLibvirtConnection  *connection,
                                    GAsyncResult            *result,
                                    GError                 **error)
{
  g_return_val_if_fail (g_task_is_valid (result, connection), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == domus_libvirt_list_networks_async, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
