/* SPDX-License-Identifier: GPL-3.0-or-later */
/* One saved domain in a host's save folder, as its host listed it. */

#include "config.h"

#include "domus-save-file.h"

struct _DomusSaveFile
{
  GObject  parent_instance;

  char    *name;
  char    *domain;
  gint64   time;
  guint64  size;
};

G_DEFINE_FINAL_TYPE (DomusSaveFile, domus_save_file, G_TYPE_OBJECT)

DomusSaveFile *
_domus_save_file_new (const char *name,
                      const char *domain,
                      gint64      time,
                      guint64     size)
{
  DomusSaveFile *self;

  g_return_val_if_fail (name != NULL && domain != NULL, NULL);

  self = g_object_new (DOMUS_TYPE_SAVE_FILE, NULL);
  self->name = g_strdup (name);
  self->domain = g_strdup (domain);
  self->time = MAX (time, 0);
  self->size = size;
  return self;
}

const char *
domus_save_file_get_name (DomusSaveFile *self)
{
  g_return_val_if_fail (DOMUS_IS_SAVE_FILE (self), NULL);
  return self->name;
}

const char *
domus_save_file_get_domain (DomusSaveFile *self)
{
  g_return_val_if_fail (DOMUS_IS_SAVE_FILE (self), NULL);
  return self->domain;
}

gint64
domus_save_file_get_time (DomusSaveFile *self)
{
  g_return_val_if_fail (DOMUS_IS_SAVE_FILE (self), 0);
  return self->time;
}

GDateTime *
domus_save_file_get_date_time (DomusSaveFile *self)
{
  g_return_val_if_fail (DOMUS_IS_SAVE_FILE (self), NULL);
  return self->time > 0 ? g_date_time_new_from_unix_local (self->time) : NULL;
}

guint64
domus_save_file_get_size (DomusSaveFile *self)
{
  g_return_val_if_fail (DOMUS_IS_SAVE_FILE (self), 0);
  return self->size;
}

static void
domus_save_file_finalize (GObject *object)
{
  DomusSaveFile *self = DOMUS_SAVE_FILE (object);

  g_free (self->name);
  g_free (self->domain);
  G_OBJECT_CLASS (domus_save_file_parent_class)->finalize (object);
}

static void
domus_save_file_class_init (DomusSaveFileClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = domus_save_file_finalize;
}

static void
domus_save_file_init (DomusSaveFile *self)
{
}
