/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The tag groups of a host's domains (domus-tag-groups.h).
 *
 * Each group is a GListStore of domains sorted by name, its tag kept on it as qdata. The
 * model remembers under which tags it listed each domain, so that when "tags" changes it
 * moves the domain by the difference only: rows of the groups it stays in are untouched,
 * and a view built from the groups keeps their selection and expansion. */

#include "config.h"

#include "domus-tag-groups.h"

struct _DomusTagGroups
{
  GObject     parent_instance;

  GListModel *domains;
  GPtrArray  *mirror;     /* DomusDomain: the source's items, to know what a removal took */
  GPtrArray  *groups;     /* GListStore of DomusDomain, in the order shown */
  GHashTable *listed;     /* DomusDomain -> GStrv: the tags it is listed under; {} when untagged */
};

static void list_model_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (DomusTagGroups, domus_tag_groups, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_init))

static GQuark
tag_quark (void)
{
  return g_quark_from_static_string ("domus-tag-groups-tag");
}

const char *
domus_tag_groups_get_tag (GListModel *group)
{
  g_return_val_if_fail (G_IS_LIST_MODEL (group), NULL);
  return g_object_get_qdata (G_OBJECT (group), tag_quark ());
}

/* By name as people read them; the untagged group last. */
static int
compare_tags (const char *a,
              const char *b)
{
  if (a == NULL || b == NULL)
    return (a == NULL) - (b == NULL);
  return g_utf8_collate (a, b);
}

static int
compare_domains (gconstpointer a,
                 gconstpointer b,
                 gpointer      user_data)
{
  return g_utf8_collate (domus_domain_get_name ((DomusDomain *) a),
                         domus_domain_get_name ((DomusDomain *) b));
}

/* The group's index, or where it would go (*found FALSE). */
static guint
group_position (DomusTagGroups *self,
                const char     *tag,
                gboolean       *found)
{
  guint i;

  *found = FALSE;
  for (i = 0; i < self->groups->len; i++)
    {
      int order = compare_tags (domus_tag_groups_get_tag (g_ptr_array_index (self->groups, i)), tag);

      if (order == 0)
        *found = TRUE;
      if (order >= 0)
        break;
    }
  return i;
}

int
domus_tag_groups_find (DomusTagGroups *self,
                       const char     *tag)
{
  gboolean found;
  guint position;

  g_return_val_if_fail (DOMUS_IS_TAG_GROUPS (self), -1);

  position = group_position (self, tag, &found);
  return found ? (int) position : -1;
}

static void
join (DomusTagGroups *self,
      DomusDomain    *domain,
      const char     *tag)
{
  gboolean found;
  guint position = group_position (self, tag, &found);
  GListStore *group;

  if (found)
    {
      group = g_ptr_array_index (self->groups, position);
      g_list_store_insert_sorted (group, domain, compare_domains, NULL);
      return;
    }
  /* A new group is announced with its first domain in it. */
  group = g_list_store_new (DOMUS_TYPE_DOMAIN);
  g_object_set_qdata_full (G_OBJECT (group), tag_quark (), g_strdup (tag), g_free);
  g_list_store_append (group, domain);
  g_ptr_array_insert (self->groups, position, group);
  g_list_model_items_changed (G_LIST_MODEL (self), position, 0, 1);
}

static void
leave (DomusTagGroups *self,
       DomusDomain    *domain,
       const char     *tag)
{
  gboolean found;
  guint position = group_position (self, tag, &found);
  GListStore *group;
  guint index;

  if (!found)
    return;
  group = g_ptr_array_index (self->groups, position);
  if (!g_list_store_find (group, domain, &index))
    return;
  if (g_list_model_get_n_items (G_LIST_MODEL (group)) > 1)
    {
      g_list_store_remove (group, index);
      return;
    }
  /* The last one: the group goes whole, without first showing empty. */
  g_ptr_array_remove_index (self->groups, position);
  g_list_model_items_changed (G_LIST_MODEL (self), position, 1, 0);
}

static gboolean
strv_has (const char * const *strv,
          const char         *tag)
{
  return strv != NULL && g_strv_contains (strv, tag);
}

/* Lists the domain under its current tags (none: NULL, the untagged group), moving it by
 * the difference from where it was listed; gone, it leaves every group. */
static void
place (DomusTagGroups *self,
       DomusDomain    *domain,
       gboolean        gone)
{
  const char * const *old = g_hash_table_lookup (self->listed, domain);
  const char * const *tags = domus_domain_get_tags (domain);
  gboolean old_untagged = old != NULL && old[0] == NULL;
  gboolean new_untagged = !gone && tags[0] == NULL;

  if (!gone)
    {
      for (guint i = 0; tags[i] != NULL; i++)
        if (!strv_has (old, tags[i]))
          join (self, domain, tags[i]);
      if (new_untagged && !old_untagged)
        join (self, domain, NULL);
    }
  if (old != NULL)
    {
      for (guint i = 0; old[i] != NULL; i++)
        if (gone || !g_strv_contains (tags, old[i]))
          leave (self, domain, old[i]);
      if (old_untagged && !new_untagged)
        leave (self, domain, NULL);
    }
  if (gone)
    g_hash_table_remove (self->listed, domain);
  else
    g_hash_table_replace (self->listed, g_object_ref (domain), g_strdupv ((char **) tags));
}

static void
tags_changed (DomusDomain    *domain,
              GParamSpec     *pspec,
              DomusTagGroups *self)
{
  place (self, domain, FALSE);
}

static void
domains_changed (GListModel     *domains,
                 guint           position,
                 guint           removed,
                 guint           added,
                 DomusTagGroups *self)
{
  for (guint i = 0; i < removed && position < self->mirror->len; i++)
    {
      g_autoptr(DomusDomain) domain = g_ptr_array_steal_index (self->mirror, position);

      g_signal_handlers_disconnect_by_data (domain, self);
      place (self, domain, TRUE);
    }
  for (guint i = 0; i < added; i++)
    {
      DomusDomain *domain = g_list_model_get_item (domains, position + i);

      g_ptr_array_insert (self->mirror, position + i, domain);
      g_signal_connect (domain, "notify::tags", G_CALLBACK (tags_changed), self);
      place (self, domain, FALSE);
    }
}

/* GListModel */

static GType
get_item_type (GListModel *model)
{
  return G_TYPE_LIST_MODEL;
}

static guint
get_n_items (GListModel *model)
{
  return DOMUS_TAG_GROUPS (model)->groups->len;
}

static gpointer
get_item (GListModel *model,
          guint       position)
{
  DomusTagGroups *self = DOMUS_TAG_GROUPS (model);

  if (position >= self->groups->len)
    return NULL;
  return g_object_ref (g_ptr_array_index (self->groups, position));
}

static void
list_model_init (GListModelInterface *iface)
{
  iface->get_item_type = get_item_type;
  iface->get_n_items = get_n_items;
  iface->get_item = get_item;
}

/* Construction */

DomusTagGroups *
domus_tag_groups_new (GListModel *domains)
{
  DomusTagGroups *self;

  g_return_val_if_fail (G_IS_LIST_MODEL (domains), NULL);

  self = g_object_new (DOMUS_TYPE_TAG_GROUPS, NULL);
  self->domains = g_object_ref (domains);
  g_signal_connect (domains, "items-changed", G_CALLBACK (domains_changed), self);
  domains_changed (domains, 0, 0, g_list_model_get_n_items (domains), self);
  return self;
}

static void
domus_tag_groups_dispose (GObject *object)
{
  DomusTagGroups *self = DOMUS_TAG_GROUPS (object);

  if (self->domains != NULL)
    g_signal_handlers_disconnect_by_data (self->domains, self);
  for (guint i = 0; i < self->mirror->len; i++)
    g_signal_handlers_disconnect_by_data (g_ptr_array_index (self->mirror, i), self);
  g_ptr_array_set_size (self->mirror, 0);
  g_ptr_array_set_size (self->groups, 0);
  g_hash_table_remove_all (self->listed);
  g_clear_object (&self->domains);

  G_OBJECT_CLASS (domus_tag_groups_parent_class)->dispose (object);
}

static void
domus_tag_groups_finalize (GObject *object)
{
  DomusTagGroups *self = DOMUS_TAG_GROUPS (object);

  g_ptr_array_unref (self->mirror);
  g_ptr_array_unref (self->groups);
  g_hash_table_unref (self->listed);

  G_OBJECT_CLASS (domus_tag_groups_parent_class)->finalize (object);
}

static void
domus_tag_groups_class_init (DomusTagGroupsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = domus_tag_groups_dispose;
  object_class->finalize = domus_tag_groups_finalize;
}

static void
domus_tag_groups_init (DomusTagGroups *self)
{
  self->mirror = g_ptr_array_new_with_free_func (g_object_unref);
  self->groups = g_ptr_array_new_with_free_func (g_object_unref);
  self->listed = g_hash_table_new_full (g_direct_hash, g_direct_equal, g_object_unref,
                                        (GDestroyNotify) g_strfreev);
}
