/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A guest of a cloud image in the store: a qcow2 overlay, a NoCloud seed and a .cfg. */

#pragma once

#include <gio/gio.h>

#include "hv-cloud-init-probe.h"

G_BEGIN_DECLS

#define HV_CLOUD_GUEST_ERROR (hv_cloud_guest_error_quark ())

typedef enum {
  HV_CLOUD_GUEST_ERROR_INVALID,        /* a request field; the message names it */
  HV_CLOUD_GUEST_ERROR_NO_SUCH_IMAGE,  /* the image is not in the store */
  HV_CLOUD_GUEST_ERROR_EXISTS,         /* the guest's overlay, seed or .cfg exists */
  HV_CLOUD_GUEST_ERROR_NO_CLOUD_INIT,  /* the image holds a Linux system without cloud-init */
  HV_CLOUD_GUEST_ERROR_NO_TOOL,        /* qemu-img, debugfs, xorriso/genisoimage missing */
  HV_CLOUD_GUEST_ERROR_FAILED,         /* a tool failed; its words are quoted */
  HV_CLOUD_GUEST_ERROR_IO,
} HvCloudGuestError;

GQuark hv_cloud_guest_error_quark (void);

typedef struct {
  char    *name;          /* the domain, its overlay NAME.qcow2 and seed NAME-seed.iso */
  char    *image;         /* a file name in the store (no folder) */
  char    *format;        /* "raw" or "qcow2"; NULL: the store's record, else by the name's suffix */
  char    *hostname;      /* NULL: the name */
  char    *user;          /* the user cloud-init makes, with sudo; NULL: the image's default user */
  char    *ssh_keys;      /* public key lines for that user */
  char    *user_data;     /* a user-data file of the user's own, instead of the one made from the fields */
  guint64  size_bytes;    /* the overlay's size; 0: the image's */
  gint64   memory_mib;    /* 0: 1024 */
  gint     ssh_port;      /* the vif's SSH forward: 0: the first free from 2222; -1: none */
  char    *config_dir;    /* where the .cfg goes */
  char    *domains_dir;   /* the host's domain configs, whose forwards the SSH port avoids; may be NULL */
} HvCloudGuestRequest;

HvCloudGuestRequest *hv_cloud_guest_request_new  (const char          *name,
                                                  const char          *image);
void                 hv_cloud_guest_request_free (HvCloudGuestRequest *request);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HvCloudGuestRequest, hv_cloud_guest_request_free)

typedef struct {
  char                *config_path;
  char                *disk_path;     /* the overlay */
  char                *seed_path;
  char                *image_path;    /* the cloud image it stands on */
  HvCloudInitPresence  cloud_init;    /* PRESENT or UNKNOWN (ABSENT is an error) */
  char                *probe_detail;  /* what the probe found, for the user */
  guint                ssh_port;      /* 0: none */
} HvCloudGuestResult;

void hv_cloud_guest_result_free (HvCloudGuestResult *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HvCloudGuestResult, hv_cloud_guest_result_free)

/*
 * Makes the guest in `image_dir` (the store, where the image must be) and its .cfg in
 * request->config_dir. The image is first looked into (hv-cloud-init-probe): one that holds
 * a Linux system without cloud-init is refused (HV_CLOUD_GUEST_ERROR_NO_CLOUD_INIT), as
 * such a guest would never read its seed. The seed stays attached: cloud-init reads it at
 * every boot and acts once per instance id. On failure nothing is left.
 */
void                hv_cloud_guest_make_async  (const HvCloudGuestRequest *request,
                                                const char                *image_dir,
                                                GCancellable              *cancellable,
                                                GAsyncReadyCallback        callback,
                                                gpointer                   user_data);
HvCloudGuestResult *hv_cloud_guest_make_finish (GAsyncResult              *result,
                                                GError                   **error);

G_END_DECLS
