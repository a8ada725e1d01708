/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A NoCloud seed: the small `cidata` ISO that cloud-init (and Domus's Debian guests) read at boot. */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define HV_CLOUD_SEED_ERROR (hv_cloud_seed_error_quark ())

typedef enum {
  HV_CLOUD_SEED_ERROR_INVALID,   /* a field that cannot go into a seed; the message names it */
  HV_CLOUD_SEED_ERROR_EXISTS,    /* the ISO's path is taken: never overwritten */
  HV_CLOUD_SEED_ERROR_NO_TOOL,   /* neither xorriso nor genisoimage is installed */
  HV_CLOUD_SEED_ERROR_TOOL,      /* the ISO tool failed; the message ends with its own words */
  HV_CLOUD_SEED_ERROR_IO,
} HvCloudSeedError;

GQuark hv_cloud_seed_error_quark (void);

#define HV_TYPE_CLOUD_SEED (hv_cloud_seed_get_type ())
G_DECLARE_FINAL_TYPE (HvCloudSeed, hv_cloud_seed, HV, CLOUD_SEED, GObject)

/*
 * instance_id: what cloud-init compares to know a first boot (a clone gets a new one);
 * hostname: a host name as RFC 1123 has them (checked when the seed is written).
 */
HvCloudSeed *hv_cloud_seed_new               (const char   *instance_id,
                                              const char   *hostname);
const char  *hv_cloud_seed_get_instance_id   (HvCloudSeed  *self);
const char  *hv_cloud_seed_get_hostname      (HvCloudSeed  *self);
void         hv_cloud_seed_set_instance_id   (HvCloudSeed  *self,
                                              const char   *instance_id);
void         hv_cloud_seed_set_hostname      (HvCloudSeed  *self,
                                              const char   *hostname);

/* The user cloud-init makes (with sudo); NULL: the image's own default user. */
void         hv_cloud_seed_set_user          (HvCloudSeed  *self,
                                              const char   *user);
/* One line of an OpenSSH public key file ("ssh-ed25519 AAAA... comment"). */
void         hv_cloud_seed_add_ssh_key       (HvCloudSeed  *self,
                                              const char   *key);
/* A crypt(3) hash ("$6$..." or "$y$..."), never the password itself. */
void         hv_cloud_seed_set_password_hash (HvCloudSeed  *self,
                                              const char   *hash);
/* A user-data file of the user's own, put in verbatim instead of the one made from the fields. */
void         hv_cloud_seed_set_user_data     (HvCloudSeed  *self,
                                              const char   *text);
/* user-data as it will be written (the verbatim text, or the one made from the fields). */
char        *hv_cloud_seed_dup_user_data     (HvCloudSeed  *self,
                                              GError      **error);
/* Another file at the ISO's top (NoCloud readers ignore files they do not know). */
void         hv_cloud_seed_add_file          (HvCloudSeed  *self,
                                              const char   *name,
                                              const char   *contents);
const char  *hv_cloud_seed_get_file          (HvCloudSeed  *self,
                                              const char   *name);

/* Writes the ISO (volume id `cidata`) to `path` under a hidden name, renamed when whole. */
void         hv_cloud_seed_write_async       (HvCloudSeed          *self,
                                              const char           *path,
                                              GCancellable         *cancellable,
                                              GAsyncReadyCallback   callback,
                                              gpointer              user_data);
gboolean     hv_cloud_seed_write_finish      (HvCloudSeed          *self,
                                              GAsyncResult         *result,
                                              GError              **error);

/* Reads back a seed this code wrote (for a clone, which gets a new instance id and name). */
void         hv_cloud_seed_load_async        (const char           *path,
                                              GCancellable         *cancellable,
                                              GAsyncReadyCallback   callback,
                                              gpointer              user_data);
HvCloudSeed *hv_cloud_seed_load_finish       (GAsyncResult         *result,
                                              GError              **error);

/* Synchronous forms, for callers already in a worker thread. */
gboolean     hv_cloud_seed_write             (HvCloudSeed   *self,
                                              const char    *path,
                                              GCancellable  *cancellable,
                                              GError       **error);
HvCloudSeed *hv_cloud_seed_load              (const char    *path,
                                              GCancellable  *cancellable,
                                              GError       **error);

/* RFC 1123: labels of letters, digits and '-', 1 to 63 bytes, at most 253 in all. */
gboolean     hv_cloud_seed_hostname_is_valid (const char    *hostname);
/* "TYPE BASE64 [COMMENT]" on one line, TYPE one OpenSSH knows. */
gboolean     hv_cloud_seed_ssh_key_is_valid  (const char    *key);

G_END_DECLS
