/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Save and restore on a libvirt host: libvirt's managed save, as virt-manager's Save is.
 * libvirt keeps the state beside the domain (no save folder Domus could name files in), so
 * a save is named by its domain: save_domain takes no file name and answers the domain's
 * name, list_saves lists the domains that have a managed save, and restore_domain of that
 * name starts the domain from it (refusing one that has none, which would boot afresh).
 */

#include "config.h"

#include <glib/gi18n-lib.h>

#include "domus-libvirt-domains.h"
#include "domus-libvirt-driver.h"
#include "domus-save-file.h"

static DomusLibvirtConnection *
connection_of (DomusHostDriver *driver)
{
  return _domus_libvirt_driver_get_connection (DOMUS_LIBVIRT_DRIVER (driver));
}

static void
on_saved (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  GTask *task = user_data;
  GError *error = NULL;

  if (!domus_libvirt_domain_action_finish (DOMUS_LIBVIRT_CONNECTION (source), result, &error))
    {
      g_task_return_error (task, error);
    }
  else
    {
      DomusDriverFile *file = g_new0 (DomusDriverFile, 1);

      file->path = g_strdup (g_task_get_task_data (task));
      g_task_return_pointer (task, file, (GDestroyNotify) domus_driver_file_free);
    }
  g_object_unref (task);
}

void
_domus_libvirt_save_domain (DomusHostDriver *driver,
                            const char      *name,
                            const char      *file,
                            GTask           *task)
{
  if (file != NULL)
    {
      g_task_return_new_error (task, DOMUS_ERROR, DOMUS_ERROR_INVALID_PARAMS,
                               _("A libvirt host keeps a saved state with its domain (a managed "
                                 "save): it takes no file name (“%s”)."), file);
      g_object_unref (task);
      return;
    }
  g_task_set_task_data (task, g_strdup (name), g_free);
  domus_libvirt_domain_action_async (connection_of (driver), name, DOMUS_LIBVIRT_ACTION_MANAGED_SAVE,
                                     NULL, on_saved, task);
}

static void
on_restored (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  GTask *task = user_data;
  GError *error = NULL;

  if (!domus_libvirt_domain_action_finish (DOMUS_LIBVIRT_CONNECTION (source), result, &error))
    {
      g_task_return_error (task, error);
    }
  else
    {
      DomusDomainInfo *info = domus_domain_info_new ();

      info->name = g_strdup (g_task_get_task_data (task));
      g_task_return_pointer (task, info, (GDestroyNotify) domus_domain_info_free);
    }
  g_object_unref (task);
}

void
_domus_libvirt_restore_domain (DomusHostDriver *driver,
                               const char      *file,
                               GTask           *task)
{
  g_task_set_task_data (task, g_strdup (file), g_free);
  /* Not cancelled half-way: libvirt may have started restoring. */
  domus_libvirt_domain_action_async (connection_of (driver), file, DOMUS_LIBVIRT_ACTION_RESTORE_MANAGED,
                                     NULL, on_restored, task);
}

static void
on_saves_listed (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  GTask *task = user_data;
  GError *error = NULL;
  g_auto(GStrv) names = domus_libvirt_list_managed_saves_finish (DOMUS_LIBVIRT_CONNECTION (source), result, &error);
  DomusImageListing *listing;

  if (names == NULL)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  /* No folder: the host keeps its saves itself, named by their domains. */
  listing = g_new0 (DomusImageListing, 1);
  listing->images = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; names[i] != NULL; i++)
    g_ptr_array_add (listing->images, _domus_save_file_new (names[i], names[i], 0, 0));
  g_task_return_pointer (task, listing, (GDestroyNotify) domus_image_listing_free);
  g_object_unref (task);
}

void
_domus_libvirt_list_saves (DomusHostDriver *driver,
                           GTask           *task)
{
  domus_libvirt_list_managed_saves_async (connection_of (driver), g_task_get_cancellable (task),
                                          on_saves_listed, task);
}
