/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The libvirt kind of host: DomusHost's typed calls over the libvirt pieces
 * (domus-libvirt-*.h). domus_host_driver_new_for_uri() chooses it for libvirt's URIs;
 * docs/libvirt.md says what works and what does not.
 */

#pragma once

#include "domus-host-driver.h"
#include "domus-libvirt-connection.h"
#include "domus-migration.h"

G_BEGIN_DECLS

#define DOMUS_TYPE_LIBVIRT_DRIVER (domus_libvirt_driver_get_type ())
G_DECLARE_FINAL_TYPE (DomusLibvirtDriver, domus_libvirt_driver, DOMUS, LIBVIRT_DRIVER, DomusHostDriver)

/* < private > Migration between two libvirt hosts (domus-libvirt-driver-migration.c). */
DomusLibvirtConnection *_domus_libvirt_driver_get_connection (DomusLibvirtDriver *self);
void _domus_libvirt_migration_check (DomusHostDriver *source,
                                     DomusHostDriver *target,
                                     DomusMigration  *migration,
                                     GTask           *task);
void _domus_libvirt_migration_run   (DomusHostDriver *source,
                                     DomusHostDriver *target,
                                     DomusMigration  *migration,
                                     GTask           *task);

/* < private > What the create assistant offers on a libvirt host (domus-libvirt-driver-create.c):
 * the host's best type of guest, read as it connects, for previews of the choices. */
void     _domus_libvirt_driver_set_guest_type  (DomusLibvirtDriver  *self,
                                                const char          *virt_type,
                                                const char          *arch);
gboolean _domus_libvirt_driver_get_guest_type  (DomusLibvirtDriver  *self,
                                                const char         **virt_type,
                                                const char         **arch);
void     _domus_libvirt_driver_read_guest_type (DomusLibvirtDriver  *self);
char    *_domus_libvirt_write_choices          (DomusHostDriver        *driver,
                                                const DomusCfgChoices  *choices,
                                                char                  **filename,
                                                GError                **error);
void     _domus_libvirt_list_networks          (DomusHostDriver     *driver,
                                                GTask               *task);
void     _domus_libvirt_list_pools             (DomusHostDriver     *driver,
                                                GTask               *task);
/* < private > Save and restore as libvirt's managed save (domus-libvirt-driver-saves.c). */
void _domus_libvirt_save_domain    (DomusHostDriver *driver,
                                    const char      *name,
                                    const char      *file,
                                    GTask           *task);
void _domus_libvirt_restore_domain (DomusHostDriver *driver,
                                    const char      *file,
                                    GTask           *task);
void _domus_libvirt_list_saves     (DomusHostDriver *driver,
                                    GTask           *task);

G_END_DECLS
