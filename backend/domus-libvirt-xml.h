/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Reading libvirt's XML with libxml2 where libvirt-gconfig has no getter: elements and attributes. */

#pragma once

#include <glib.h>
#include <libxml/tree.h>

G_BEGIN_DECLS

/* Whether node is an element named name (any element when name is NULL). */
gboolean    domus_libvirt_xml_is_element (xmlNodePtr  node,
                                          const char *name);
/* parent's first child element named name, or NULL (also when parent is NULL). */
xmlNodePtr  domus_libvirt_xml_child      (xmlNodePtr  parent,
                                          const char *name);
/* node's attribute name (g_free it), or NULL (also when node is NULL). */
char       *domus_libvirt_xml_prop       (xmlNodePtr  node,
                                          const char *name);

G_END_DECLS
