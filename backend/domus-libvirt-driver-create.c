/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * What the create assistant offers on a libvirt host: the host's active virtual networks
 * and storage pools, and a preview of the domain XML its choices become (the builder,
 * domus-libvirt-builder.c, writes the same XML when it creates).
 */

#include "config.h"

#include <glib/gi18n-lib.h>

#include "domus-libvirt.h"
#include "domus-libvirt-builder.h"
#include "domus-libvirt-driver.h"
#include "domus-libvirt-networks.h"
#include "domus-libvirt-storage.h"

/* The host's best type of guest, read once as it connects */

static void
guest_type_work (DomusLibvirtReply *reply,
                 virConnectPtr      conn,
                 gpointer           task_data,
                 GCancellable      *cancellable)
{
  GError *error = NULL;
  char **both = g_new0 (char *, 3);

  if (!domus_libvirt_best_guest (conn, NULL, &both[0], &both[1], &error))
    {
      g_strfreev (both);
      domus_libvirt_reply_error (reply, error);
      return;
    }
  domus_libvirt_reply_pointer (reply, both, (GDestroyNotify) g_strfreev);
}

static void
on_guest_type_read (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(DomusLibvirtDriver) self = user_data;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) both = g_task_propagate_pointer (G_TASK (result), &error);

  /* Without it a preview says why (write_choices below); creating reads it again. */
  if (both == NULL)
    g_debug ("the host's type of guest is unknown: %s", error->message);
  else
    _domus_libvirt_driver_set_guest_type (self, both[0], both[1]);
}

void
_domus_libvirt_driver_read_guest_type (DomusLibvirtDriver *self)
{
  DomusLibvirtConnection *connection = _domus_libvirt_driver_get_connection (self);
  g_autoptr(GTask) task = g_task_new (connection, NULL, on_guest_type_read, g_object_ref (self));

  g_task_set_source_tag (task, _domus_libvirt_driver_read_guest_type);
  domus_libvirt_connection_run (connection, task, guest_type_work);
}

char *
_domus_libvirt_write_choices (DomusHostDriver        *driver,
                              const DomusCfgChoices  *choices,
                              char                  **filename,
                              GError                **error)
{
  DomusLibvirtCreateOptions options = { 0 };

  if (!_domus_libvirt_driver_get_guest_type (DOMUS_LIBVIRT_DRIVER (driver), &options.virt_type, &options.arch))
    {
      g_set_error (error, DOMUS_ERROR, DOMUS_ERROR_CLOSED,
                   _("The host has not said yet which virtual machines it runs (libvirt’s capabilities)."));
      return NULL;
    }
  /* A libvirt definition is libvirt's, not a file: no filename. */
  return domus_libvirt_domain_xml_new (choices, &options, error);
}

/* Networks and pools, as names */

static void
on_networks_listed (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  GTask *task = user_data;
  GError *error = NULL;
  GStrv names = domus_libvirt_list_networks_finish (DOMUS_LIBVIRT_CONNECTION (source), result, &error);

  if (names == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, names, (GDestroyNotify) g_strfreev);
  g_object_unref (task);
}

void
_domus_libvirt_list_networks (DomusHostDriver *driver,
                              GTask           *task)
{
  domus_libvirt_list_networks_async (_domus_libvirt_driver_get_connection (DOMUS_LIBVIRT_DRIVER (driver)),
                                     g_task_get_cancellable (task), on_networks_listed, task);
}

static void
on_pools_listed (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  GTask *task = user_data;
  GError *error = NULL;
  g_autoptr(GPtrArray) pools = domus_libvirt_list_pools_finish (DOMUS_LIBVIRT_CONNECTION (source), result, &error);
  GPtrArray *names;

  if (pools == NULL)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  /* An inactive pool takes no new volume. The listing is sorted by name already. */
  names = g_ptr_array_new ();
  for (guint i = 0; i < pools->len; i++)
    {
      const DomusLibvirtPool *pool = g_ptr_array_index (pools, i);

      if (pool->active)
        g_ptr_array_add (names, g_strdup (pool->name));
    }
  g_ptr_array_add (names, NULL);
  g_task_return_pointer (task, g_ptr_array_free (names, FALSE), (GDestroyNotify) g_strfreev);
  g_object_unref (task);
}

void
_domus_libvirt_list_pools (DomusHostDriver *driver,
                           GTask           *task)
{
  domus_libvirt_list_pools_async (_domus_libvirt_driver_get_connection (DOMUS_LIBVIRT_DRIVER (driver)),
                                  g_task_get_cancellable (task), on_pools_listed, task);
}
