/* SPDX-License-Identifier: GPL-3.0-or-later */
/* One snapshot of a domain, as its host listed it. */

#include "config.h"

#include "domus-snapshot.h"

struct _DomusSnapshot
{
  GObject   parent_instance;

  char     *name;
  gint64    time;
  gboolean  has_memory;
  guint64   memory_size;
  gint64    guest_clock_ns;
};

G_DEFINE_FINAL_TYPE (DomusSnapshot, domus_snapshot, G_TYPE_OBJECT)

DomusSnapshot *
_domus_snapshot_new (const char *name,
                     gint64      time,
                     gboolean    has_memory,
                     guint64     memory_size,
                     gint64      guest_clock_ns)
{
  DomusSnapshot *self;

  g_return_val_if_fail (name != NULL, NULL);

  self = g_object_new (DOMUS_TYPE_SNAPSHOT, NULL);
  self->name = g_strdup (name);
  self->time = MAX (time, 0);
  self->has_memory = has_memory;
  self->memory_size = memory_size;
  self->guest_clock_ns = guest_clock_ns;
  return self;
}

const char *
domus_snapshot_get_name (DomusSnapshot *self)
{
  g_return_val_if_fail (DOMUS_IS_SNAPSHOT (self), NULL);
  return self->name;
}

gint64
domus_snapshot_get_time (DomusSnapshot *self)
{
  g_return_val_if_fail (DOMUS_IS_SNAPSHOT (self), 0);
  return self->time;
}

GDateTime *
domus_snapshot_get_date_time (DomusSnapshot *self)
{
  g_return_val_if_fail (DOMUS_IS_SNAPSHOT (self), NULL);
  return self->time > 0 ? g_date_time_new_from_unix_local (self->time) : NULL;
}

gboolean
domus_snapshot_get_has_memory (DomusSnapshot *self)
{
  g_return_val_if_fail (DOMUS_IS_SNAPSHOT (self), FALSE);
  return self->has_memory;
}

guint64
domus_snapshot_get_memory_size (DomusSnapshot *self)
{
  g_return_val_if_fail (DOMUS_IS_SNAPSHOT (self), 0);
  return self->memory_size;
}

gint64
domus_snapshot_get_guest_clock_ns (DomusSnapshot *self)
{
  g_return_val_if_fail (DOMUS_IS_SNAPSHOT (self), -1);
  return self->guest_clock_ns;
}

static void
domus_snapshot_finalize (GObject *object)
{
  g_free (DOMUS_SNAPSHOT (object)->name);
  G_OBJECT_CLASS (domus_snapshot_parent_class)->finalize (object);
}

static void
domus_snapshot_class_init (DomusSnapshotClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = domus_snapshot_finalize;
}

static void
domus_snapshot_init (DomusSnapshot *self)
{
  self->guest_clock_ns = -1;
}
