/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Small readers of libvirt's XML trees, shared by the import and the screen's tunnel. */

#include "config.h"

#include "domus-libvirt-xml.h"

gboolean
domus_libvirt_xml_is_element (xmlNodePtr  node,
                              const char *name)
{
  return node != NULL && node->type == XML_ELEMENT_NODE &&
         (name == NULL || xmlStrcmp (node->name, (const xmlChar *) name) == 0);
}

xmlNodePtr
domus_libvirt_xml_child (xmlNodePtr  parent,
                         const char *name)
{
  for (xmlNodePtr node = parent != NULL ? parent->children : NULL; node != NULL; node = node->next)
    if (domus_libvirt_xml_is_element (node, name))
      return node;
  return NULL;
}

char *
domus_libvirt_xml_prop (xmlNodePtr  node,
                        const char *name)
{
  xmlChar *value = node != NULL ? xmlGetProp (node, (const xmlChar *) name) : NULL;
  char *copy = value != NULL ? g_strdup ((const char *) value) : NULL;

  xmlFree (value);
  return copy;
}
