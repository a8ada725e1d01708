/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * DomusHost's calls on guests' lives beyond start and stop: save and restore (xm's
 * verbs), snapshots, clones and templates, and new guests made ready (Debian from the
 * archive, cloud images). Included by domus-host.h; the rules of its typed calls hold
 * (DOMUS_ERROR_CLOSED when not connected, DOMUS_ERROR_NOT_SUPPORTED when the host's kind
 * cannot do it, cancelling only stops waiting).
 */

#pragma once

#include "domus-host.h"
#include "domus-new-guest.h"
#include "domus-save-file.h"
#include "domus-snapshot.h"

G_BEGIN_DECLS

/* Save and restore */

/*
 * `xm save`: writes a running or paused domain's whole state (memory, devices, the
 * configuration it runs with) into a file on the host and stops it; its definition stays.
 * file: a file name in the host's save folder (never a path), or NULL for the host's
 * NAME-YYYYMMDD-HHMMSS.save. Returns the file's path on the host (size_bytes, nullable).
 * Errors: _NOT_RUNNING, _INVALID_PARAMS (a path or a name starting with "."),
 * _ALREADY_EXISTS (a save never writes over a file), _FAILED (the domain then runs on).
 * A libvirt host keeps the state itself (libvirt's managed save; the next start restores
 * it): file must be NULL there (else _INVALID_PARAMS), and the answer is the domain's name.
 */
void               domus_host_save_domain_async       (DomusHost           *self,
                                                       const char          *name,
                                                       const char          *file,
                                                       GCancellable        *cancellable,
                                                       GAsyncReadyCallback  callback,
                                                       gpointer             user_data);
char              *domus_host_save_domain_finish      (DomusHost           *self,
                                                       GAsyncResult        *result,
                                                       guint64             *size_bytes,
                                                       GError             **error);
/*
 * `xm restore`: brings the domain saved in file (a file name in the save folder, as for
 * save) back running where it was saved, under its definition (defined again from the
 * saved configuration when it is no longer). The info has its name and id. Errors:
 * _INVALID_PARAMS (a bad name, a file that is not a Domus save), _ALREADY_RUNNING,
 * _FAILED (a missing file; the hypervisor refused the state: nothing is left running).
 * On a libvirt host file is the domain's name: it starts from its managed save
 * (_INVALID_PARAMS when it has none: that would be a fresh boot, not a restore).
 */
void               domus_host_restore_domain_async    (DomusHost           *self,
                                                       const char          *file,
                                                       GCancellable        *cancellable,
                                                       GAsyncReadyCallback  callback,
                                                       gpointer             user_data);
DomusDomainInfo   *domus_host_restore_domain_finish   (DomusHost           *self,
                                                       GAsyncResult        *result,
                                                       GError             **error);

/*
 * The saves in the host's save folder, newest first (element type DomusSaveFile, transfer
 * full); folder (nullable) gets the folder's path on the host. Files that are no Domus save
 * are left out. A host without saves (or without a save folder yet) lists none. A host
 * that keeps saves itself (libvirt: the domains with a managed save, named by the domain,
 * time and size 0) has no folder: *folder is NULL, and saves take no file name. Errors:
 * _NOT_SUPPORTED (a host that cannot list them; a domusd older than save.list says
 * _METHOD_NOT_FOUND), _FAILED.
 */
void               domus_host_list_saves_async        (DomusHost           *self,
                                                       GCancellable        *cancellable,
                                                       GAsyncReadyCallback  callback,
                                                       gpointer             user_data);
GPtrArray         *domus_host_list_saves_finish       (DomusHost           *self,
                                                       GAsyncResult        *result,
                                                       char               **folder,
                                                       GError             **error);

/* Snapshots */

/*
 * A domain's snapshots, oldest first (element type DomusSnapshot, transfer full). On a
 * domusd host: the internal qcow2 snapshots every writable disk has. Errors:
 * _NO_SUCH_DOMAIN, _INVALID_CONFIG, _FAILED.
 */
void               domus_host_list_snapshots_async    (DomusHost           *self,
                                                       const char          *name,
                                                       GCancellable        *cancellable,
                                                       GAsyncReadyCallback  callback,
                                                       gpointer             user_data);
GPtrArray         *domus_host_list_snapshots_finish   (DomusHost           *self,
                                                       GAsyncResult        *result,
                                                       GError             **error);

typedef enum {
  DOMUS_SNAPSHOT_CREATE,   /* of a running domain: memory and disks; shut off: disks */
  DOMUS_SNAPSHOT_REVERT,   /* a running domain goes on from the snapshot's moment */
  DOMUS_SNAPSHOT_DELETE,
} DomusSnapshotAction;

/*
 * Takes, reverts to or deletes the snapshot (letters, digits, ".", "_", "-", at most 64,
 * not all digits); answers once done. Errors: _INVALID_PARAMS (a bad name; revert or
 * delete of one that does not exist), _ALREADY_EXISTS (create), _NOT_SUPPORTED (a
 * writable disk that is not qcow2, named in the message; reverting a running domain to a
 * snapshot of disks only), _NO_SUCH_DOMAIN, _FAILED.
 */
void               domus_host_snapshot_action_async   (DomusHost            *self,
                                                       const char           *name,
                                                       const char           *snapshot,
                                                       DomusSnapshotAction   action,
                                                       GCancellable         *cancellable,
                                                       GAsyncReadyCallback   callback,
                                                       gpointer              user_data);
gboolean           domus_host_snapshot_action_finish  (DomusHost           *self,
                                                       GAsyncResult        *result,
                                                       GError             **error);

/* Clones and templates */

/*
 * Copies a shut-off domain as new_name: each writable disk copied into the image store
 * (or, linked, a qcow2 overlay on the source's disk: the source must be a template),
 * read-only disks shared, new MACs, hostname new_name; the copy is defined. Returns the
 * new disk images' paths on the host (transfer full). Errors: _ALREADY_RUNNING,
 * _INVALID_PARAMS (a bad new_name), _ALREADY_EXISTS (the domain or one of its images),
 * _NOT_SUPPORTED (linked from a domain that is not a template; a phy: disk), _FAILED.
 * Nothing new is left when it fails.
 */
void               domus_host_clone_domain_async      (DomusHost           *self,
                                                       const char          *name,
                                                       const char          *new_name,
                                                       gboolean             linked,
                                                       GCancellable        *cancellable,
                                                       GAsyncReadyCallback  callback,
                                                       gpointer             user_data);
GStrv              domus_host_clone_domain_finish     (DomusHost           *self,
                                                       GAsyncResult        *result,
                                                       GError             **error);
/*
 * Marks a shut-off domain as a template (never started, cloned instead; linked clones
 * stand on its disks) or makes it an ordinary domain again. Errors: _ALREADY_RUNNING,
 * _NO_SUCH_DOMAIN.
 */
void               domus_host_set_domain_template_async  (DomusHost           *self,
                                                          const char          *name,
                                                          gboolean             template,
                                                          GCancellable        *cancellable,
                                                          GAsyncReadyCallback  callback,
                                                          gpointer             user_data);
gboolean           domus_host_set_domain_template_finish (DomusHost           *self,
                                                          GAsyncResult        *result,
                                                          GError             **error);

/* New guests */

/*
 * Builds the Debian guest name from the archive and defines it (shut off): the suite's
 * base image is built once in the store (minutes), later guests are overlays on it
 * (seconds). progress (nullable) is called as the host reports; progress_notify frees
 * progress_data once the call has answered. Cancelling stops waiting only: the host
 * goes on building while this connection lasts (it stops when the client leaves).
 * Errors: _INVALID_PARAMS (a bad field, named; a suite or package the archive does not
 * have), _ALREADY_EXISTS, _NOT_SUPPORTED (a tool missing on the host), _FAILED (the
 * archive unreachable, a full disk: the message says which). Nothing half-made is left.
 */
void               domus_host_build_debian_guest_async  (DomusHost                *self,
                                                         const char               *name,
                                                         const DomusDebianRequest *request,
                                                         DomusBuildProgressFunc    progress,
                                                         gpointer                  progress_data,
                                                         GDestroyNotify            progress_notify,
                                                         GCancellable             *cancellable,
                                                         GAsyncReadyCallback       callback,
                                                         gpointer                  user_data);
/*
 * Makes the guest name of a cloud image in the store: an overlay on it, a NoCloud seed
 * kept attached, a configuration booting the image's own loader; defined, shut off.
 * Answers in seconds. Errors: _NO_SUCH_IMAGE, _NOT_SUPPORTED (the image holds a Linux
 * system without cloud-init: the message says what was found; a tool missing),
 * _INVALID_PARAMS (a bad field, named; neither keys nor user data), _ALREADY_EXISTS,
 * _METHOD_NOT_FOUND (a daemon without cloud images), _FAILED.
 */
void               domus_host_build_cloud_guest_async   (DomusHost               *self,
                                                         const char              *name,
                                                         const DomusCloudRequest *request,
                                                         GCancellable            *cancellable,
                                                         GAsyncReadyCallback      callback,
                                                         gpointer                 user_data);
/* For both builds (transfer full). */
DomusNewGuest     *domus_host_build_guest_finish        (DomusHost           *self,
                                                         GAsyncResult        *result,
                                                         GError             **error);

G_END_DECLS
