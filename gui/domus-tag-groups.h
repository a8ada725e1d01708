/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The tag groups of a host's domains: for each tag, the domains carrying it. Pure GLib:
 * the sidebar builds its grouped tree from it, and tests read it without a display. */

#pragma once

#include <gio/gio.h>

#include "domus-domain.h"

G_BEGIN_DECLS

#define DOMUS_TYPE_TAG_GROUPS (domus_tag_groups_get_type ())
G_DECLARE_FINAL_TYPE (DomusTagGroups, domus_tag_groups, DOMUS, TAG_GROUPS, GObject)

/*
 * Follows domains (a GListModel of DomusDomain, e.g. domus_host_get_domains()) and each
 * domain's "tags". Its items are the groups, each a GListModel of DomusDomain sorted by
 * name: one per tag in use, sorted by name, then the untagged domains' group (only while
 * it has any). A domain with two tags is in both groups. A group with no domain left goes.
 * Within a change, domains join their new groups before they leave their old ones.
 */
DomusTagGroups *domus_tag_groups_new          (GListModel     *domains);

/* The tag of a group (an item of this model), or NULL for the untagged domains. */
const char     *domus_tag_groups_get_tag      (GListModel     *group);
/* The position of the group of this tag (NULL: the untagged), or -1 when there is none. */
int             domus_tag_groups_find         (DomusTagGroups *self,
                                               const char     *tag);

G_END_DECLS
