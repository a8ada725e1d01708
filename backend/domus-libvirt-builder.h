/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A new libvirt domain from the create assistant's choices: its XML (libvirt-gconfig), its disk, its definition. */

#pragma once

#include <gio/gio.h>

#include "domus-cfg-builder.h"
#include "domus-libvirt-connection.h"
#include "domus-libvirt-domains.h"

G_BEGIN_DECLS

/* What a libvirt host needs beyond the choices a domusd host takes. */
typedef struct {
  const char *virt_type;      /* "kvm", "qemu" (TCG), "xen", "test", …; NULL: the host's best */
  const char *arch;           /* "x86_64", …; NULL: the host's own */
  /* DOMUS_CFG_NETWORK_USER: a NIC on this libvirt network; NULL: QEMU's user-mode network.
   * (DOMUS_CFG_NETWORK_NAMED names it in the choices instead.) */
  const char *network;
  /* A new disk volume in this pool, named after the domain (NAME.qcow2, or .img when
   * raw), instead of choices->disk_path; NULL: none, or the given disk_path. */
  const char *new_disk_pool;
  gint64      new_disk_mib;
  const char *new_disk_format;  /* "qcow2" (NULL) or "raw" */
  gboolean    start;            /* start it once defined */
} DomusLibvirtCreateOptions;

/*
 * The domain XML for the choices, checked with the assistant's own rules (DOMUS_CFG_ERROR
 * naming the choice that is wrong). virt_type and arch must be given here. Pure: no
 * connection. Devices: the disk (virtio), the CD-ROM of an ISO (SATA, read-only), one NIC,
 * a serial port and its console on a pty, VGA and VNC when choices->vnc.
 */
char                   *domus_libvirt_domain_xml_new    (const DomusCfgChoices            *choices,
                                                         const DomusLibvirtCreateOptions  *options,
                                                         GError                          **error);

/*
 * The whole create: the virt type and arch from the host's capabilities when not given,
 * the new disk volume, the definition (the volume is deleted again if it is refused), the
 * start. Errors: DOMUS_CFG_ERROR for a wrong choice, DOMUS_ERROR_ALREADY_EXISTS (a domain
 * or volume of that name), libvirt's others; a domain defined that would not start stays
 * defined, and the error says so.
 */
void                    domus_libvirt_create_domain_async  (DomusLibvirtConnection           *connection,
                                                            const DomusCfgChoices            *choices,
                                                            const DomusLibvirtCreateOptions  *options,
                                                            GCancellable                     *cancellable,
                                                            GAsyncReadyCallback               callback,
                                                            gpointer                          user_data);
DomusLibvirtDomainInfo *domus_libvirt_create_domain_finish (DomusLibvirtConnection           *connection,
                                                            GAsyncResult                     *result,
                                                            GError                          **error);

/*
 * On the connection's thread: the host's architecture (unless want_arch, nullable) and the
 * best virtualisation type for full virtual machines of it, kvm before qemu (new strings).
 * Errors: DOMUS_ERROR_NOT_SUPPORTED when the host lists no hvm guests, libvirt's others.
 */
gboolean                domus_libvirt_best_guest           (virConnectPtr                     conn,
                                                            const char                       *want_arch,
                                                            char                            **virt_type,
                                                            char                            **arch,
                                                            GError                          **error);

G_END_DECLS
