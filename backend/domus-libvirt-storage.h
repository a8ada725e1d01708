/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A libvirt host's storage pools and their volumes: the image page of a libvirt host. */

#pragma once

#include <gio/gio.h>

#include "domus-libvirt-connection.h"

G_BEGIN_DECLS

typedef struct {
  char   *name;
  char   *pool;
  char   *path;          /* where a domain's <disk> finds it */
  char   *format;        /* "qcow2", "raw", "iso", …; NULL when the pool does not say */
  gint64  capacity;      /* bytes the guest sees */
  gint64  allocation;    /* bytes it takes on the host */
} DomusLibvirtVolume;

typedef struct {
  char      *name;
  char      *type;       /* "dir", "logical", "netfs", … */
  char      *target;     /* the folder (or device) it lives in; NULL when it has none */
  gboolean   active;
  gboolean   autostart;
  gint64     capacity;   /* bytes; -1 while inactive */
  gint64     allocation;
  gint64     available;
  GPtrArray *volumes;    /* DomusLibvirtVolume, by name; empty while inactive */
} DomusLibvirtPool;

#define DOMUS_TYPE_LIBVIRT_VOLUME (domus_libvirt_volume_get_type ())
GType               domus_libvirt_volume_get_type (void) G_GNUC_CONST;
DomusLibvirtVolume *domus_libvirt_volume_copy     (const DomusLibvirtVolume *volume);
void                domus_libvirt_volume_free     (DomusLibvirtVolume       *volume);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DomusLibvirtVolume, domus_libvirt_volume_free)

#define DOMUS_TYPE_LIBVIRT_POOL (domus_libvirt_pool_get_type ())
GType               domus_libvirt_pool_get_type   (void) G_GNUC_CONST;
DomusLibvirtPool   *domus_libvirt_pool_copy       (const DomusLibvirtPool   *pool);
void                domus_libvirt_pool_free       (DomusLibvirtPool         *pool);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DomusLibvirtPool, domus_libvirt_pool_free)

/* Every pool, with its volumes (a GPtrArray of DomusLibvirtPool, by name, transfer full). */
void       domus_libvirt_list_pools_async    (DomusLibvirtConnection  *connection,
                                              GCancellable            *cancellable,
                                              GAsyncReadyCallback      callback,
                                              gpointer                 user_data);
GPtrArray *domus_libvirt_list_pools_finish   (DomusLibvirtConnection  *connection,
                                              GAsyncResult            *result,
                                              GError                 **error);

/* A new volume of capacity bytes in pool ("qcow2" or "raw"). Errors: DOMUS_ERROR_ALREADY_EXISTS,
 * DOMUS_ERROR_NO_SUCH_IMAGE (no such pool, or it is not active), libvirt's others. */
void                domus_libvirt_create_volume_async  (DomusLibvirtConnection  *connection,
                                                        const char              *pool,
                                                        const char              *name,
                                                        gint64                   capacity,
                                                        const char              *format,
                                                        GCancellable            *cancellable,
                                                        GAsyncReadyCallback      callback,
                                                        gpointer                 user_data);
DomusLibvirtVolume *domus_libvirt_create_volume_finish (DomusLibvirtConnection  *connection,
                                                        GAsyncResult            *result,
                                                        GError                 **error);

/* Deletes a volume and its data. Errors: DOMUS_ERROR_NO_SUCH_IMAGE, libvirt's others. */
void       domus_libvirt_delete_volume_async  (DomusLibvirtConnection  *connection,
                                               const char              *pool,
                                               const char              *name,
                                               GCancellable            *cancellable,
                                               GAsyncReadyCallback      callback,
                                               gpointer                 user_data);
gboolean   domus_libvirt_delete_volume_finish (DomusLibvirtConnection  *connection,
                                               GAsyncResult            *result,
                                               GError                 **error);

/* < private > For the other libvirt pieces, on the connection's thread: the new volume
 * (release with virStorageVolFree), or NULL with the errors of the call above. */
virStorageVolPtr domus_libvirt_storage_create_volume (virConnectPtr   conn,
                                                      const char     *pool,
                                                      const char     *name,
                                                      gint64          capacity,
                                                      const char     *format,
                                                      GError        **error);

G_END_DECLS
