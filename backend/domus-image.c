/* SPDX-License-Identifier: GPL-3.0-or-later */
/* One disk image in a host's image store, as the host described it when it listed the store. */

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
  self->users = users != NULL ? g_strdupv ((char **) users) : g_new0 (char *, 1);
  return self;
}

gboolean
_domus_image_equal (DomusImage *self,
                    DomusImage *other)
{
  return g_str_equal (self->name, other->name) && g_strcmp0 (self->path, other->path) == 0 &&
         g_strcmp0 (self->format, other->format) == 0 && self->size == other->size &&
         self->allocated == other->allocated &&
         g_strv_equal ((const char * const *) self->users, (const char * const *) other->users);
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
domus_image_class_init (DomusImageClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = domus_image_finalize;
}

static void
domus_image_init (DomusImage *self)
{
}
