/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Sparklines in a tree view: each row sets "history" from its cell data function and
 * the view is redrawn once per stats sample, so the cost is one short polyline per
 * visible row and nothing at all between samples.
 */

#include "config.h"

#include "domus-sparkline-renderer.h"

#define WIDTH   48
#define HEIGHT  14

struct _DomusSparklineRenderer
{
  GtkCellRenderer    parent_instance;

  DomusStatsHistory *history;
  double             max;
  guint              seconds;
};

G_DEFINE_FINAL_TYPE (DomusSparklineRenderer, domus_sparkline_renderer, GTK_TYPE_CELL_RENDERER)

enum {
  PROP_0,
  PROP_HISTORY,
  PROP_MAX,
  PROP_SECONDS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
domus_sparkline_renderer_get_preferred_width (GtkCellRenderer *cell,
                                              GtkWidget       *widget,
                                              int             *minimum,
                                              int             *natural)
{
  int xpad;

  gtk_cell_renderer_get_padding (cell, &xpad, NULL);
  *minimum = *natural = WIDTH + 2 * xpad;
}

static void
domus_sparkline_renderer_get_preferred_height (GtkCellRenderer *cell,
                                               GtkWidget       *widget,
                                               int             *minimum,
                                               int             *natural)
{
  int ypad;

  gtk_cell_renderer_get_padding (cell, NULL, &ypad);
  *minimum = *natural = HEIGHT + 2 * ypad;
}

static void
domus_sparkline_renderer_render (GtkCellRenderer      *cell,
                                 cairo_t              *cr,
                                 GtkWidget            *widget,
                                 const GdkRectangle   *background_area,
                                 const GdkRectangle   *cell_area,
                                 GtkCellRendererState  flags)
{
  DomusSparklineRenderer *self = DOMUS_SPARKLINE_RENDERER (cell);
  GtkStyleContext *style = gtk_widget_get_style_context (widget);
  GdkRGBA color;
  gint64 newest_us, time_us;
  double value, x0, y0, width, height;
  guint length;
  gboolean started = FALSE;
  int xpad, ypad;

  if (self->history == NULL || self->max <= 0 ||
      !domus_stats_history_get_latest (self->history, &newest_us, NULL))
    return;

  gtk_cell_renderer_get_padding (cell, &xpad, &ypad);
  x0 = cell_area->x + xpad;
  width = MIN (WIDTH, cell_area->width - 2 * xpad);
  height = MIN (HEIGHT, cell_area->height - 2 * ypad);
  y0 = cell_area->y + (cell_area->height - height) / 2;

  gtk_style_context_get_color (style, gtk_style_context_get_state (style), &color);
  color.alpha *= (flags & GTK_CELL_RENDERER_INSENSITIVE) ? 0.35 : 0.8;
  gdk_cairo_set_source_rgba (cr, &color);
  cairo_set_line_width (cr, 1.0);

  length = domus_stats_history_get_length (self->history);
  for (guint i = 0; i < length; i++)
    {
      double x, y;

      domus_stats_history_get_nth (self->history, i, &time_us, &value);
      if (newest_us - time_us > (gint64) self->seconds * G_USEC_PER_SEC)
        continue;
      x = x0 + width - width * (double) (newest_us - time_us) / ((double) self->seconds * G_USEC_PER_SEC);
      y = y0 + height - height * CLAMP (value / self->max, 0.0, 1.0);
      if (!started)
        cairo_move_to (cr, x, y);
      else
        cairo_line_to (cr, x, y);
      started = TRUE;
    }
  if (started)
    cairo_stroke (cr);
}

static void
domus_sparkline_renderer_get_property (GObject    *object,
                                       guint       prop_id,
                                       GValue     *value,
                                       GParamSpec *pspec)
{
  DomusSparklineRenderer *self = DOMUS_SPARKLINE_RENDERER (object);

  switch (prop_id)
    {
    case PROP_HISTORY: g_value_set_boxed (value, self->history); break;
    case PROP_MAX:     g_value_set_double (value, self->max); break;
    case PROP_SECONDS: g_value_set_uint (value, self->seconds); break;
    default:           G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
domus_sparkline_renderer_set_property (GObject      *object,
                                       guint         prop_id,
                                       const GValue *value,
                                       GParamSpec   *pspec)
{
  DomusSparklineRenderer *self = DOMUS_SPARKLINE_RENDERER (object);

  switch (prop_id)
    {
    case PROP_HISTORY:
      g_clear_pointer (&self->history, domus_stats_history_unref);
      self->history = g_value_dup_boxed (value);
      break;
    case PROP_MAX:
      self->max = g_value_get_double (value);
      break;
    case PROP_SECONDS:
      self->seconds = MAX (g_value_get_uint (value), 1);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
domus_sparkline_renderer_finalize (GObject *object)
{
  DomusSparklineRenderer *self = DOMUS_SPARKLINE_RENDERER (object);

  g_clear_pointer (&self->history, domus_stats_history_unref);
  G_OBJECT_CLASS (domus_sparkline_renderer_parent_class)->finalize (object);
}

static void
domus_sparkline_renderer_class_init (DomusSparklineRendererClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkCellRendererClass *cell_class = GTK_CELL_RENDERER_CLASS (klass);

  object_class->finalize = domus_sparkline_renderer_finalize;
  object_class->get_property = domus_sparkline_renderer_get_property;
  object_class->set_property = domus_sparkline_renderer_set_property;
  cell_class->get_preferred_width = domus_sparkline_renderer_get_preferred_width;
  cell_class->get_preferred_height = domus_sparkline_renderer_get_preferred_height;
  cell_class->render = domus_sparkline_renderer_render;

  properties[PROP_HISTORY] =
    g_param_spec_boxed ("history", NULL, NULL, DOMUS_TYPE_STATS_HISTORY,
                        G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  properties[PROP_MAX] =
    g_param_spec_double ("max", NULL, NULL, 0, G_MAXDOUBLE, 100,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  properties[PROP_SECONDS] =
    g_param_spec_uint ("seconds", NULL, NULL, 1, G_MAXUINT, 60,
                       G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
domus_sparkline_renderer_init (DomusSparklineRenderer *self)
{
  self->max = 100;
  self->seconds = 60;
}

GtkCellRenderer *
domus_sparkline_renderer_new (void)
{
  return g_object_new (DOMUS_TYPE_SPARKLINE_RENDERER, NULL);
}
