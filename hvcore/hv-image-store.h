/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A host's image store: one folder of disk images, made and copied with qemu-img. */

#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "hv-domain-spec.h"

G_BEGIN_DECLS

#define HV_IMAGE_STORE_ERROR (hv_image_store_error_quark ())

typedef enum {
  HV_IMAGE_STORE_ERROR_INVALID_NAME,
  HV_IMAGE_STORE_ERROR_EXISTS,
  HV_IMAGE_STORE_ERROR_NOT_FOUND,
  HV_IMAGE_STORE_ERROR_INVALID_FORMAT,
  HV_IMAGE_STORE_ERROR_INVALID_SIZE,
  HV_IMAGE_STORE_ERROR_QEMU_IMG,   /* qemu-img failed; the message is its own */
  HV_IMAGE_STORE_ERROR_IO,
  HV_IMAGE_STORE_ERROR_BACKING,    /* a backing file outside the image's folder */
} HvImageStoreError;

GQuark hv_image_store_error_quark (void);

/*
 * Formats are recorded, never probed: the store writes FOLDER/.domus-formats/NAME ("qcow2\n")
 * when it makes an image (create, clone, a migration's copy), and everything that opens the
 * image (QEMU, qemu-img) is told that format. An image without a record is raw.
 */
#define HV_IMAGE_STORE_FORMATS_FOLDER ".domus-formats"

/* The format recorded beside `path` (in its folder's .domus-formats), or NULL. */
char *hv_image_store_recorded_format (const char *path);

/*
 * Runs `qemu-img info -f FORMAT --backing-chain` (qemu_img: NULL for PATH's) and refuses, naming
 * it, any backing file outside the image's own folder. Raw images have no chain. Blocking: call
 * it from a worker thread.
 */
gboolean hv_image_check_backing_chain (const char  *qemu_img,
                                       const char  *path,
                                       const char  *format,
                                       GError     **error);

/* The same for every non-raw disk of `spec`, in a worker thread (qemu-img from PATH). */
void     hv_image_check_backing_chains_async  (const HvDomainSpec  *spec,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data);
gboolean hv_image_check_backing_chains_finish (GAsyncResult        *result,
                                               GError             **error);

typedef struct {
  char    *name;
  char    *path;
  char    *format;           /* "raw", "qcow2", ... as qemu-img names it */
  guint64  size_bytes;       /* virtual size */
  guint64  allocated_bytes;  /* on disk */
} HvImageInfo;

void      hv_image_info_free    (HvImageInfo       *info);
/* {"name", "path", "format", "size_bytes", "allocated_bytes"} */
JsonNode *hv_image_info_to_json (const HvImageInfo *info);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HvImageInfo, hv_image_info_free)

#define HV_TYPE_IMAGE_STORE (hv_image_store_get_type ())
G_DECLARE_FINAL_TYPE (HvImageStore, hv_image_store, HV, IMAGE_STORE, GObject)

/* qemu_img: NULL for qemu-img from PATH. */
HvImageStore *hv_image_store_new          (const char          *dir,
                                           const char          *qemu_img);
const char   *hv_image_store_get_dir      (HvImageStore        *self);

/* The path an image name stands for; refuses names with '/', leading '.', or over 255 bytes. */
char         *hv_image_store_path_for     (HvImageStore        *self,
                                           const char          *name,
                                           GError             **error);

/* Every regular file, sorted by name. qemu-img info runs once per file until it changes. */
void          hv_image_store_list_async   (HvImageStore        *self,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data);
GPtrArray    *hv_image_store_list_finish  (HvImageStore        *self,
                                           GAsyncResult        *result,
                                           GError             **error);

/* format: "raw" or "qcow2". Never overwrites. */
void          hv_image_store_create_async (HvImageStore        *self,
                                           const char          *name,
                                           const char          *format,
                                           guint64              size_bytes,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data);
HvImageInfo  *hv_image_store_create_finish (HvImageStore       *self,
                                            GAsyncResult       *result,
                                            GError            **error);

/* A standalone copy in the source's format, written under a temporary name, renamed when whole. */
void          hv_image_store_clone_async  (HvImageStore        *self,
                                           const char          *source,
                                           const char          *name,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data);
HvImageInfo  *hv_image_store_clone_finish (HvImageStore        *self,
                                           GAsyncResult        *result,
                                           GError             **error);

gboolean      hv_image_store_delete       (HvImageStore        *self,
                                           const char          *name,
                                           GError             **error);

G_END_DECLS
