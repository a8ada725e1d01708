/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Debian guests from Debian's archive, as xen-create-image made them: a disk, a seed and a .cfg. */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define HV_DEBIAN_BUILDER_ERROR (hv_debian_builder_error_quark ())

typedef enum {
  HV_DEBIAN_BUILDER_ERROR_INVALID,          /* a request field; the message names it */
  HV_DEBIAN_BUILDER_ERROR_EXISTS,           /* the guest's image, seed or .cfg exists */
  HV_DEBIAN_BUILDER_ERROR_UNKNOWN_SUITE,    /* the archive has no such suite */
  HV_DEBIAN_BUILDER_ERROR_UNKNOWN_PACKAGE,  /* an extra package the suite does not have */
  HV_DEBIAN_BUILDER_ERROR_NO_ARCHIVE,       /* the archive could not be reached */
  HV_DEBIAN_BUILDER_ERROR_NO_SPACE,         /* the store's disk is (or became) full */
  HV_DEBIAN_BUILDER_ERROR_NO_TOOL,          /* mmdebstrap, fakeroot, mke2fs, qemu-img, ... missing */
  HV_DEBIAN_BUILDER_ERROR_BUSY,             /* the same base image is being built already */
  HV_DEBIAN_BUILDER_ERROR_FAILED,           /* a tool failed otherwise; its last words are quoted */
  HV_DEBIAN_BUILDER_ERROR_IO,
} HvDebianBuilderError;

GQuark hv_debian_builder_error_quark (void);

typedef struct {
  char    *name;                /* the domain, its image NAME.qcow2 and seed NAME-seed.iso */
  char    *suite;               /* "bookworm" when NULL */
  guint64  size_bytes;          /* the guest's disk; 0: 4 GiB */
  char    *hostname;            /* NULL: the name */
  char    *ssh_key_file;        /* public keys for root, one per line */
  char    *root_password_file;  /* the password on the first line; hashed here, never logged */
  char    *ssh_keys;            /* or the keys themselves (a client's, over the protocol) */
  char    *root_password;       /* or the password itself; wiped when the request is freed */
  char    *config_dir;          /* where the .cfg goes; NULL: the builder's config folder */
  char    *mirror;              /* the archive; NULL: the builder's (hv_debian_builder_set_mirror) */
  GStrv    packages;            /* more packages (part of the base image's identity) */
  gint64   memory_mib;          /* 0: 512 */
  gint     ssh_port;            /* the host port of the vif's SSH forward (user-mode networking):
                                   0: the first free one from 2222; -1: no forward */
} HvDebianRequest;

HvDebianRequest *hv_debian_request_new  (const char      *name);
void             hv_debian_request_free (HvDebianRequest *request);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HvDebianRequest, hv_debian_request_free)

typedef struct {
  char     *config_path;    /* the ready .cfg */
  char     *disk_path;      /* the guest's qcow2 overlay */
  char     *seed_path;      /* its NoCloud seed */
  char     *base_path;      /* the suite's base image the overlay stands on */
  gboolean  base_built;     /* FALSE: the base was in the store already */
  guint     ssh_port;       /* the host port forwarded to the guest's sshd; 0: none */
} HvDebianResult;

void hv_debian_result_free (HvDebianResult *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HvDebianResult, hv_debian_result_free)

#define HV_TYPE_DEBIAN_BUILDER (hv_debian_builder_get_type ())
G_DECLARE_FINAL_TYPE (HvDebianBuilder, hv_debian_builder, HV, DEBIAN_BUILDER, GObject)

/*
 * Signals:
 *   "progress" (const char *name, const char *stage, guint percent)   emitted on the main
 *              context the build was started from, for the build of guest `name`; stages:
 *              "checking", "bootstrapping", "file-system", "converting", "overlay", "seed",
 *              "config", "done"
 */

/* image_dir: the image store; config_dir: where the domain .cfg files live. */
HvDebianBuilder *hv_debian_builder_new          (const char             *image_dir,
                                                 const char             *config_dir);
/* The archive to build from; NULL: Debian's (mmdebstrap's default mirror). */
void             hv_debian_builder_set_mirror   (HvDebianBuilder        *self,
                                                 const char             *mirror);

/* The base image's name in the store for a suite and extra packages ("debian-bookworm-v2"). */
char            *hv_debian_builder_base_name    (const char             *suite,
                                                 const char * const     *packages);

/*
 * Builds the guest. The first build of a suite (with the same extra packages) makes its
 * base image with mmdebstrap; later ones are qcow2 overlays on it. On any failure or
 * cancellation nothing this build made is left in the store or the config folder.
 */
void             hv_debian_builder_build_async  (HvDebianBuilder        *self,
                                                 const HvDebianRequest  *request,
                                                 GCancellable           *cancellable,
                                                 GAsyncReadyCallback     callback,
                                                 gpointer                user_data);
HvDebianResult  *hv_debian_builder_build_finish (HvDebianBuilder        *self,
                                                 GAsyncResult           *result,
                                                 GError                **error);

G_END_DECLS
