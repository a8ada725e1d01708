/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A libvirt domain's definition as an xm .cfg for a domusd host, and the list of what it cannot say. */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * The .cfg text for the domain XML (virDomainGetXMLDesc's, inactive is best): name,
 * uuid, memory, vcpus, tags (the Domus <metadata>), kernel boot or firmware boot order,
 * disks (file, block, CD-ROM), NICs (MAC, bridge, model), VNC, tablet, clock, ACPI and
 * the on_* actions. Whatever has no xm form is not dropped silently: each such thing is
 * one translated sentence in *lost (a GPtrArray of char *, transfer full, possibly empty)
 * and a comment at the end of the file. NULL with DOMUS_ERROR_INVALID_CONFIG when xml is
 * not a domain definition. Pure: no connection.
 */
char *domus_libvirt_import_xml (const char  *xml,
                                GPtrArray  **lost,
                                GError     **error);

G_END_DECLS
