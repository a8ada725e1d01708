/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A text cell renderer with an accessible name of its own (domus-name-renderer.h).
 *
 * GTK 3 names a text cell after its text, and a cell's accessible is made by the tree
 * view, not by us: the only way in is the renderer class's accessible type. Its
 * accessible (a GtkTextCellAccessible, private to this file: it exists only for the
 * renderer) keeps the "accessible-text" the renderer had when GTK last set the cell's row
 * into it (update_cache, the same moment it reads the text), and answers it as the name. */

#include "config.h"

#include <gtk/gtk-a11y.h>

#include "domus-name-renderer.h"

struct _DomusNameRenderer
{
  GtkCellRendererText parent_instance;

  char               *accessible_text;
};

G_DEFINE_FINAL_TYPE (DomusNameRenderer, domus_name_renderer, GTK_TYPE_CELL_RENDERER_TEXT)

enum {
  PROP_0,
  PROP_ACCESSIBLE_TEXT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* The cell's accessible */

#define DOMUS_TYPE_NAME_CELL_ACCESSIBLE (domus_name_cell_accessible_get_type ())
G_DECLARE_FINAL_TYPE (DomusNameCellAccessible, domus_name_cell_accessible, DOMUS, NAME_CELL_ACCESSIBLE,
                      GtkTextCellAccessible)

struct _DomusNameCellAccessible
{
  GtkTextCellAccessible parent_instance;

  char                 *name;   /* the row's "accessible-text", or NULL */
};

G_DEFINE_FINAL_TYPE (DomusNameCellAccessible, domus_name_cell_accessible, GTK_TYPE_TEXT_CELL_ACCESSIBLE)

static void
domus_name_cell_accessible_update_cache (GtkCellAccessible *cell,
                                         gboolean           emit_signal)
{
  DomusNameCellAccessible *self = DOMUS_NAME_CELL_ACCESSIBLE (cell);
  g_autoptr(GtkCellRenderer) renderer = NULL;
  g_autofree char *name = NULL;

  GTK_CELL_ACCESSIBLE_CLASS (domus_name_cell_accessible_parent_class)->update_cache (cell, emit_signal);
  g_object_get (cell, "renderer", &renderer, NULL);
  if (DOMUS_IS_NAME_RENDERER (renderer))
    name = g_strdup (DOMUS_NAME_RENDERER (renderer)->accessible_text);
  if (g_strcmp0 (name, self->name) == 0)
    return;
  g_free (self->name);
  self->name = g_steal_pointer (&name);
  if (emit_signal)
    g_object_notify (G_OBJECT (cell), "accessible-name");
}

static const char *
domus_name_cell_accessible_get_name (AtkObject *object)
{
  DomusNameCellAccessible *self = DOMUS_NAME_CELL_ACCESSIBLE (object);

  if (self->name != NULL)
    return self->name;
  return ATK_OBJECT_CLASS (domus_name_cell_accessible_parent_class)->get_name (object);
}

static void
domus_name_cell_accessible_finalize (GObject *object)
{
  g_free (DOMUS_NAME_CELL_ACCESSIBLE (object)->name);
  G_OBJECT_CLASS (domus_name_cell_accessible_parent_class)->finalize (object);
}

static void
domus_name_cell_accessible_class_init (DomusNameCellAccessibleClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = domus_name_cell_accessible_finalize;
  ATK_OBJECT_CLASS (klass)->get_name = domus_name_cell_accessible_get_name;
  GTK_CELL_ACCESSIBLE_CLASS (klass)->update_cache = domus_name_cell_accessible_update_cache;
}

static void
domus_name_cell_accessible_init (DomusNameCellAccessible *self)
{
}

/* The renderer */

static void
domus_name_renderer_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  DomusNameRenderer *self = DOMUS_NAME_RENDERER (object);

  switch (prop_id)
    {
    case PROP_ACCESSIBLE_TEXT:
      g_value_set_string (value, self->accessible_text);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
domus_name_renderer_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  DomusNameRenderer *self = DOMUS_NAME_RENDERER (object);

  switch (prop_id)
    {
    case PROP_ACCESSIBLE_TEXT:
      /* Set for every row drawn: no notify, as GtkCellRendererText's own. */
      g_free (self->accessible_text);
      self->accessible_text = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
domus_name_renderer_finalize (GObject *object)
{
  g_free (DOMUS_NAME_RENDERER (object)->accessible_text);
  G_OBJECT_CLASS (domus_name_renderer_parent_class)->finalize (object);
}

static void
domus_name_renderer_class_init (DomusNameRendererClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = domus_name_renderer_get_property;
  object_class->set_property = domus_name_renderer_set_property;
  object_class->finalize = domus_name_renderer_finalize;

  properties[PROP_ACCESSIBLE_TEXT] =
    g_param_spec_string ("accessible-text", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_cell_renderer_class_set_accessible_type (GTK_CELL_RENDERER_CLASS (klass),
                                               DOMUS_TYPE_NAME_CELL_ACCESSIBLE);
}

static void
domus_name_renderer_init (DomusNameRenderer *self)
{
}

GtkCellRenderer *
domus_name_renderer_new (void)
{
  return g_object_new (DOMUS_TYPE_NAME_RENDERER, NULL);
}
