/* SPDX-License-Identifier: GPL-3.0-or-later */
/* One disk image in a host's image store, as the host last described it. */

#include "config.h"

#include "domus-image.h"

struct _DomusImage
{
  GObject  parent_instance;

  char    *name;
  char    *path;
  char    *format;
  guint64  size;
  guint64  allocated;
  GStrv    users;        /* never NULL */
};

G_DEFINE_FINAL_TYPE (DomusImage, domus_image, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_NAME,
  PROP_PATH,
  PROP_FORMAT,
  PROP_SIZE,
  PROP_ALLOCATED,
  PROP_USERS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

DomusImage *
_domus_image_new (const char         *name,
                  const char         *path,
                  const char         *format,
                  guint64             size,
                  guint64             allocated,
                  const char * const *users)
{
  DomusImage *self;

  g_return_val_if_fail (name != NULL, NULL);

  self = g_object_new (DOMUS_TYPE_IMAGE, NULL);
  self->name = g_strdup (name);
  self->path = g_strdup (path);
  self->format = g_strdup (format);
  self->size = size;
  self->allocated = allocated;
  if (users != NULL)
    {
      g_strfreev (self->users);
      self->users = g_strdupv ((char **) users);
    }
  return self;
}

static void
update_string (DomusImage  *self,
               char       **field,
               const char  *value,
               guint        prop)
{
  if (g_strcmp0 (*field, value) == 0)
    return;
  g_free (*field);
  *field = g_strdup (value);
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

static void
update_number (DomusImage *self,
               guint64    *field,
               guint64     value,
               guint       prop)
{
  if (*field == value)
    return;
  *field = value;
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

void
_domus_image_update (DomusImage *self,
                     DomusImage *other)
{
  g_return_if_fail (DOMUS_IS_IMAGE (self));
  g_return_if_fail (DOMUS_IS_IMAGE (other));

  g_object_freeze_notify (G_OBJECT (self));
  update_string (self, &self->path, other->path, PROP_PATH);
  update_string (self, &self->format, other->format, PROP_FORMAT);
  update_number (self, &self->size, other->size, PROP_SIZE);
  update_number (self, &self->allocated, other->allocated, PROP_ALLOCATED);
  if (!g_strv_equal ((const char * const *) self->users, (const char * const *) other->users))
    {
      g_strfreev (self->users);
      self->users = g_strdupv (other->users);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_USERS]);
    }
  g_object_thaw_notify (G_OBJECT (self));
}

const char *
domus_image_get_name (DomusImage *self)
{
  g_return_val_if_fail (DOMUS_IS_IMAGE (self), NULL);
  return self->name;
}

const char *
domus_image_get_path (DomusImage *self)
{
  g_return_val_if_fail (DOMUS_IS_IMAGE (self), NULL);
  return self->path;
}

const char *
domus_image_get_format (DomusImage *self)
{
  g_return_val_if_fail (DOMUS_IS_IMAGE (self), NULL);
  return self->format;
}

guint64
domus_image_get_size (DomusImage *self)
{
  g_return_val_if_fail (DOMUS_IS_IMAGE (self), 0);
  return self->size;
}

guint64
domus_image_get_allocated (DomusImage *self)
{
  g_return_val_if_fail (DOMUS_IS_IMAGE (self), 0);
  return self->allocated;
}

const char * const *
domus_image_get_users (DomusImage *self)
{
  g_return_val_if_fail (DOMUS_IS_IMAGE (self), NULL);
  return (const char * const *) self->users;
}

static void
domus_image_finalize (GObject *object)
{
  DomusImage *self = DOMUS_IMAGE (object);

  g_free (self->name);
  g_free (self->path);
  g_free (self->format);
  g_strfreev (self->users);
  G_OBJECT_CLASS (domus_image_parent_class)->finalize (object);
}

static void
domus_image_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  DomusImage *self = DOMUS_IMAGE (object);

  switch (prop_id)
    {
    case PROP_NAME:      g_value_set_string (value, self->name); break;
    case PROP_PATH:      g_value_set_string (value, self->path); break;
    case PROP_FORMAT:    g_value_set_string (value, self->format); break;
    case PROP_SIZE:      g_value_set_uint64 (value, self->size); break;
    case PROP_ALLOCATED: g_value_set_uint64 (value, self->allocated); break;
    case PROP_USERS:     g_value_set_boxed (value, self->users); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
domus_image_class_init (DomusImageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = domus_image_finalize;
  object_class->get_property = domus_image_get_property;

  properties[PROP_NAME] = g_param_spec_string ("name", NULL, NULL, NULL, flags);
  properties[PROP_PATH] = g_param_spec_string ("path", NULL, NULL, NULL, flags);
  properties[PROP_FORMAT] = g_param_spec_string ("format", NULL, NULL, NULL, flags);
  properties[PROP_SIZE] = g_param_spec_uint64 ("size", NULL, NULL, 0, G_MAXUINT64, 0, flags);
  properties[PROP_ALLOCATED] = g_param_spec_uint64 ("allocated", NULL, NULL, 0, G_MAXUINT64, 0, flags);
  properties[PROP_USERS] = g_param_spec_boxed ("users", NULL, NULL, G_TYPE_STRV, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
domus_image_init (DomusImage *self)
{
  self->users = g_new0 (char *, 1);
}
