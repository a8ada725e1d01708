/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * What a new ready-made guest is made of (Debian from the archive, a cloud image), how
 * its build goes on, and what the host made: the plain types of
 * domus_host_build_debian_guest_async() and domus_host_build_cloud_guest_async().
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * A Debian guest built from the archive, as xen-create-image made one. NULL strings and
 * 0 numbers leave the host's defaults (docs/protocol.md, image.debian): suite "bookworm",
 * 4 GiB, the domain's name as host name, 512 MiB, Debian's own mirror. At least one of
 * ssh_keys (public key lines for root, the text of a .pub file) and root_password (the
 * text itself: the host hashes it and never stores it in clear) is needed. ssh_port: the
 * host port forwarded to the guest's SSH port, 0 for none, -1 to let the host choose.
 */
typedef struct {
  char     *suite;
  guint64   size_bytes;
  char     *hostname;
  char     *ssh_keys;
  char     *root_password;
  GStrv     packages;      /* extra packages, NULL for none */
  gint64    memory_mib;
  char     *mirror;        /* an http:// or https:// archive */
  gint      ssh_port;
} DomusDebianRequest;

DomusDebianRequest *domus_debian_request_new  (void);   /* all defaults, ssh_port -1 */
void                domus_debian_request_free (DomusDebianRequest *request);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DomusDebianRequest, domus_debian_request_free)

/*
 * A guest of a cloud image the user put in the host's image store (image: its name
 * there). It gets a NoCloud seed with the host name, a user with the keys and sudo, and
 * user_data (a user-data file's text, put in the seed as it is) when given; at least one
 * of ssh_keys and user_data is needed. NULL and 0 leave the host's defaults: the image's
 * own default user, the domain's name as host name, the store's format for the image
 * ("raw" or "qcow2"), the image's size, 1024 MiB. ssh_port as for Debian.
 */
typedef struct {
  char     *image;
  char     *ssh_keys;
  char     *user_data;
  char     *user;
  char     *hostname;
  char     *format;
  guint64   size_bytes;
  gint64    memory_mib;
  gint      ssh_port;
} DomusCloudRequest;

DomusCloudRequest *domus_cloud_request_new  (void);   /* all defaults, ssh_port -1 */
void               domus_cloud_request_free (DomusCloudRequest *request);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DomusCloudRequest, domus_cloud_request_free)

/* Whether a cloud image holds cloud-init, as the host found when it looked into it. */
typedef enum {
  DOMUS_CLOUD_INIT_NOT_APPLICABLE,   /* a Debian guest: Domus made its seed and its system */
  DOMUS_CLOUD_INIT_PRESENT,
  DOMUS_CLOUD_INIT_UNKNOWN,          /* its file systems could not be read: it may or may not read the seed */
} DomusCloudInit;

/* What the host made: the guest is defined (shut off) under name. Paths are the host's. */
typedef struct {
  char            *name;
  char            *disk;            /* the guest's disk (a qcow2 overlay) */
  char            *seed;            /* its NoCloud seed ISO */
  char            *base;            /* what the disk stands on: the suite's base, or the cloud image */
  gboolean         base_built;      /* Debian: the base was built by this call (minutes), not reused */
  gint             ssh_port;        /* host port forwarded to the guest's SSH; 0 for none, -1 not said */
  DomusCloudInit   cloud_init;
  char            *cloud_init_detail;   /* the host's words on what it found, or NULL */
} DomusNewGuest;

DomusNewGuest *domus_new_guest_new  (void);
void           domus_new_guest_free (DomusNewGuest *guest);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DomusNewGuest, domus_new_guest_free)

/* The stages of a Debian build, in order (BOOTSTRAPPING only when the base is built). */
typedef enum {
  DOMUS_BUILD_STAGE_OTHER,           /* a stage this client does not know */
  DOMUS_BUILD_STAGE_CHECKING,
  DOMUS_BUILD_STAGE_BOOTSTRAPPING,
  DOMUS_BUILD_STAGE_FILE_SYSTEM,
  DOMUS_BUILD_STAGE_CONVERTING,
  DOMUS_BUILD_STAGE_OVERLAY,
  DOMUS_BUILD_STAGE_SEED,
  DOMUS_BUILD_STAGE_CONFIG,
  DOMUS_BUILD_STAGE_DONE,
} DomusBuildStage;

/* The stage a host's name stands for ("file-system"), OTHER for one not known here. */
DomusBuildStage  domus_build_stage_from_string (const char      *stage);
/* A translated sentence for a progress bar ("Building the base system…"). */
const char      *domus_build_stage_describe    (DomusBuildStage  stage);

/*
 * Progress of a build, in the caller's main context, while the call has not answered:
 * percent 0 to 100 of the whole build, never going back. stage_name is the host's own
 * word for the stage (for a stage this client does not know).
 */
typedef void (*DomusBuildProgressFunc) (DomusBuildStage  stage,
                                        const char      *stage_name,
                                        int              percent,
                                        gpointer         user_data);

G_END_DECLS
