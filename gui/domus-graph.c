/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A live graph of one DomusStatsHistory, drawn with cairo. */

#include "config.h"

#include <glib/gi18n.h>
#include <math.h>

#include "domus-graph.h"
#include "domus-paced-redraw.h"

#define PADDING     6
#define MIN_PLOT_W  16
#define MIN_PLOT_H  8

struct _DomusGraph
{
  GtkDrawingArea     parent_instance;

  DomusStatsHistory *history;
  char              *title;
  char              *unit;
  char              *empty_text;
  guint              range_seconds;
  double             max;          /* 0: automatic */
  double             scale_max;    /* what the last drawing used */
  gboolean           compact;

  gboolean           hovering;
  double             hover_x;

  DomusPacedRedraw   pace;         /* samples' redraws, on the process's one-second clock */
};

G_DEFINE_FINAL_TYPE (DomusGraph, domus_graph, GTK_TYPE_DRAWING_AREA)

enum {
  PROP_0,
  PROP_TITLE,
  PROP_UNIT,
  PROP_RANGE,
  PROP_MAX,
  PROP_EMPTY_TEXT,
  PROP_COMPACT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* Values */

/* The number alone, with a decimal only where it carries information. */
static char *
format_number (double value)
{
  if (fabs (value) < 10 && value != floor (value))
    return g_strdup_printf ("%.1f", value);
  return g_strdup_printf ("%.0f", value);
}

static char *
format_scaled (double             value,
               double             step,
               const char * const units[])
{
  guint i = 0;

  while (fabs (value) >= step && units[i + 1] != NULL)
    {
      value /= step;
      i++;
    }
  {
    g_autofree char *number = format_number (value);
    /* TRANSLATORS: a value and its unit, "42 MiB". */
    return g_strdup_printf (C_("value with unit", "%s %s"), number, units[i]);
  }
}

char *
domus_graph_format_value (double      value,
                          const char *unit)
{
  static const char * const memory_units[] = { "MiB", "GiB", "TiB", NULL };
  static const char * const byte_units[] = { "B", "KiB", "MiB", "GiB", "TiB", NULL };
  static const char * const rate_units[] = { "B/s", "KiB/s", "MiB/s", "GiB/s", NULL };
  g_autofree char *number = NULL;

  if (g_strcmp0 (unit, "MiB") == 0)
    return format_scaled (value, 1024, memory_units);
  if (g_strcmp0 (unit, "B") == 0)
    return format_scaled (value, 1024, byte_units);
  if (g_strcmp0 (unit, "B/s") == 0)
    return format_scaled (value, 1024, rate_units);

  number = format_number (value);
  if (unit == NULL || *unit == '\0')
    return g_steal_pointer (&number);
  return g_strdup_printf (C_("value with unit", "%s %s"), number, unit);
}

/* The smallest of 1, 2, 2.5 and 5 times a power of ten that holds value: grid lines at its
 * half and top then read as round numbers. */
static double
nice_ceiling (double value)
{
  static const double steps[] = { 1, 2, 2.5, 5, 10 };
  double base;

  if (!(value > 0) || !isfinite (value))
    return 1;
  base = pow (10, floor (log10 (value)));
  for (guint i = 0; i < G_N_ELEMENTS (steps); i++)
    if (steps[i] * base >= value * (1 - 1e-9))
      return steps[i] * base;
  return 10 * base;
}

static double
compute_scale_max (DomusGraph *self)
{
  double data_max = self->history != NULL ? domus_stats_history_get_max (self->history) : 0;

  if (self->max > 0)
    return data_max > self->max ? nice_ceiling (data_max) : self->max;
  return nice_ceiling (data_max);
}

static char *
format_duration (gint64 seconds)
{
  if (seconds < 120)
    return g_strdup_printf (_("%d s"), (int) seconds);
  if (seconds < 2 * 3600)
    return g_strdup_printf (_("%d min"), (int) (seconds / 60));
  if (seconds < 2 * 86400)
    return g_strdup_printf (_("%d h"), (int) (seconds / 3600));
  return g_strdup_printf (_("%d d"), (int) (seconds / 86400));
}

/* State */

const char *
domus_graph_get_empty_reason (DomusGraph *self)
{
  g_return_val_if_fail (DOMUS_IS_GRAPH (self), NULL);

  if (self->history == NULL || domus_stats_history_get_length (self->history) == 0)
    return self->empty_text != NULL ? self->empty_text : _("No data yet");
  return NULL;
}

static void
update_accessible (DomusGraph *self)
{
  AtkObject *accessible = gtk_widget_get_accessible (GTK_WIDGET (self));
  g_autofree char *description = NULL;
  const char *reason = domus_graph_get_empty_reason (self);
  double latest;

  if (self->title != NULL && g_strcmp0 (atk_object_get_name (accessible), self->title) != 0)
    atk_object_set_name (accessible, self->title);

  if (reason == NULL && domus_stats_history_get_latest (self->history, NULL, &latest))
    {
      g_autofree char *value = domus_graph_format_value (latest, self->unit);

      /* TRANSLATORS: a graph's accessible description, "latest 42 %". */
      description = g_strdup_printf (_("latest %s"), value);
    }
  else
    description = g_strdup (reason);

  /* Screen readers hear every change: only tell them about real ones. */
  if (g_strcmp0 (atk_object_get_description (accessible), description) != 0)
    atk_object_set_description (accessible, description);
}

/* Drawing */

static PangoLayout *
make_layout (DomusGraph *self,
             const char *text,
             gboolean    small,
             gboolean    bold)
{
  PangoLayout *layout = gtk_widget_create_pango_layout (GTK_WIDGET (self), text);
  PangoAttrList *attrs = pango_attr_list_new ();

  if (small)
    pango_attr_list_insert (attrs, pango_attr_scale_new (PANGO_SCALE_SMALL));
  if (bold)
    pango_attr_list_insert (attrs, pango_attr_weight_new (PANGO_WEIGHT_BOLD));
  pango_layout_set_attributes (layout, attrs);
  pango_attr_list_unref (attrs);
  return layout;
}

static void
set_color (cairo_t       *cr,
           const GdkRGBA *color,
           double         alpha)
{
  cairo_set_source_rgba (cr, color->red, color->green, color->blue, color->alpha * alpha);
}

static void
draw_text (cairo_t       *cr,
           PangoLayout   *layout,
           const GdkRGBA *color,
           double         alpha,
           double         x,
           double         y)
{
  set_color (cr, color, alpha);
  cairo_move_to (cr, x, y);
  pango_cairo_show_layout (cr, layout);
}

static int
layout_width (PangoLayout *layout)
{
  int width;

  pango_layout_get_pixel_size (layout, &width, NULL);
  return width;
}

static int
layout_height (PangoLayout *layout)
{
  int height;

  pango_layout_get_pixel_size (layout, NULL, &height);
  return height;
}

typedef struct {
  double x0, y0, x1, y1;   /* the plot's rectangle */
  gint64 now_us;           /* the newest point, at x1 */
  gint64 range_us;
  double scale_max;
} Plot;

static double
plot_x (const Plot *plot,
        gint64      time_us)
{
  return plot->x1 - (double) (plot->now_us - time_us) / plot->range_us * (plot->x1 - plot->x0);
}

static double
plot_y (const Plot *plot,
        double      value)
{
  return plot->y1 - CLAMP (value / plot->scale_max, 0, 1) * (plot->y1 - plot->y0);
}

static void
draw_series (DomusGraph    *self,
             cairo_t       *cr,
             const Plot    *plot,
             const GdkRGBA *accent)
{
  guint length = domus_stats_history_get_length (self->history);
  gint64 start_us = plot->now_us - plot->range_us;
  gint64 step_us = G_USEC_PER_SEC, gap_us, previous_us = 0, t_before;
  guint first = 0;

  /* The sampling interval, from the two newest points: a hole much wider than it is a time
   * the host was not connected, drawn as a gap rather than a made-up straight line. */
  if (length >= 2 && domus_stats_history_get_nth (self->history, length - 2, &t_before, NULL))
    step_us = MAX (plot->now_us - t_before, 1);
  gap_us = MAX (3 * step_us, 5 * G_USEC_PER_SEC);

  /* Keep one point left of the edge so the line reaches it. */
  while (first + 1 < length)
    {
      gint64 t;

      domus_stats_history_get_nth (self->history, first + 1, &t, NULL);
      if (t > start_us)
        break;
      first++;
    }

  cairo_save (cr);
  cairo_rectangle (cr, plot->x0, plot->y0 - 1, plot->x1 - plot->x0, plot->y1 - plot->y0 + 1);
  cairo_clip (cr);
  cairo_set_line_width (cr, 1.5);
  cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);

  for (guint i = first; i < length;)
    {
      double seg_x0 = 0, seg_x = 0, seg_y = 0;
      guint n = 0;

      /* One run of points without a gap: line first, then the same path closed to the
       * baseline and filled. */
      cairo_new_path (cr);
      for (; i < length; i++)
        {
          gint64 t;
          double v;

          domus_stats_history_get_nth (self->history, i, &t, &v);
          if (n > 0 && t - previous_us > gap_us)
            break;
          seg_x = plot_x (plot, t);
          seg_y = plot_y (plot, v);
          if (n == 0)
            {
              seg_x0 = seg_x;
              cairo_move_to (cr, seg_x, seg_y);
            }
          else
            cairo_line_to (cr, seg_x, seg_y);
          previous_us = t;
          n++;
        }

      if (n == 1)
        {
          /* A lone sample still deserves to be seen. */
          cairo_new_path (cr);
          cairo_arc (cr, seg_x, seg_y, 2, 0, 2 * G_PI);
          set_color (cr, accent, 1);
          cairo_fill (cr);
          continue;
        }

      set_color (cr, accent, 1);
      cairo_stroke_preserve (cr);
      cairo_line_to (cr, seg_x, plot->y1);
      cairo_line_to (cr, seg_x0, plot->y1);
      cairo_close_path (cr);
      set_color (cr, accent, 0.3);
      cairo_fill (cr);
    }
  cairo_restore (cr);
}

static void
draw_hover (DomusGraph    *self,
            cairo_t       *cr,
            const Plot    *plot,
            const GdkRGBA *fg,
            const GdkRGBA *bg,
            const GdkRGBA *accent)
{
  guint length = domus_stats_history_get_length (self->history);
  gint64 target_us, best_t = 0, t;
  double best_v = 0, v, x, y, label_x, label_y;
  gboolean found = FALSE;
  g_autofree char *value = NULL;
  g_autofree char *ago = NULL;
  g_autofree char *text = NULL;
  g_autoptr(PangoLayout) layout = NULL;
  int w, h;

  if (self->hover_x < plot->x0 || self->hover_x > plot->x1)
    return;
  target_us = plot->now_us - (gint64) ((plot->x1 - self->hover_x) / (plot->x1 - plot->x0) * plot->range_us);

  for (guint i = 0; i < length; i++)
    {
      domus_stats_history_get_nth (self->history, i, &t, &v);
      if (t < plot->now_us - plot->range_us)
        continue;
      if (!found || ABS (t - target_us) < ABS (best_t - target_us))
        {
          best_t = t;
          best_v = v;
          found = TRUE;
        }
    }
  if (!found)
    return;

  x = round (plot_x (plot, best_t)) + 0.5;
  y = plot_y (plot, best_v);
  set_color (cr, fg, 0.5);
  cairo_set_line_width (cr, 1);
  cairo_move_to (cr, x, plot->y0);
  cairo_line_to (cr, x, plot->y1);
  cairo_stroke (cr);
  set_color (cr, accent, 1);
  cairo_arc (cr, x, y, 3, 0, 2 * G_PI);
  cairo_fill (cr);

  value = domus_graph_format_value (best_v, self->unit);
  if ((plot->now_us - best_t) / G_USEC_PER_SEC < 1)
    text = g_strdup_printf (C_("graph hover", "%s — now"), value);
  else
    {
      ago = format_duration ((plot->now_us - best_t) / G_USEC_PER_SEC);
      /* TRANSLATORS: the value under the pointer and its age, "42 % — 35 s ago". */
      text = g_strdup_printf (C_("graph hover", "%s — %s ago"), value, ago);
    }
  layout = make_layout (self, text, TRUE, FALSE);
  pango_layout_get_pixel_size (layout, &w, &h);

  /* Beside the marker, on whichever side has room. */
  label_x = x + 6;
  if (label_x + w + 4 > plot->x1)
    label_x = x - 6 - w - 4;
  label_x = MAX (label_x, plot->x0);
  label_y = plot->y0 + 2;
  set_color (cr, bg, 0.85);
  cairo_rectangle (cr, label_x, label_y, w + 4, h + 2);
  cairo_fill (cr);
  draw_text (cr, layout, fg, 1, label_x + 2, label_y + 1);
}

static gboolean
domus_graph_draw (GtkWidget *widget,
                  cairo_t   *cr)
{
  DomusGraph *self = DOMUS_GRAPH (widget);
  GtkStyleContext *context = gtk_widget_get_style_context (widget);
  int width = gtk_widget_get_allocated_width (widget);
  int height = gtk_widget_get_allocated_height (widget);
  const char *reason = domus_graph_get_empty_reason (self);
  GdkRGBA fg, bg, accent;
  Plot plot = { 0 };
  int label_w = 0, small_h = 0, header_h = 0;

  gtk_render_background (context, cr, 0, 0, width, height);
  gtk_style_context_get_color (context, gtk_style_context_get_state (context), &fg);
  /* The theme's selection colour marks data in light and dark themes alike; without one,
   * the text colour does. */
  if (!gtk_style_context_lookup_color (context, "theme_selected_bg_color", &accent))
    accent = fg;
  if (!gtk_style_context_lookup_color (context, "theme_bg_color", &bg))
    bg = (GdkRGBA) { 1 - fg.red, 1 - fg.green, 1 - fg.blue, 1 };

  self->scale_max = compute_scale_max (self);
  plot.scale_max = self->scale_max;
  plot.range_us = (gint64) self->range_seconds * G_USEC_PER_SEC;

  if (!self->compact)
    {
      g_autoptr(PangoLayout) title = make_layout (self, self->title != NULL ? self->title : "", FALSE, TRUE);
      g_autoptr(PangoLayout) top = NULL;
      g_autofree char *top_text = domus_graph_format_value (plot.scale_max, self->unit);
      double latest;

      header_h = layout_height (title) + 2;
      draw_text (cr, title, &fg, 1, PADDING, PADDING);

      if (reason == NULL && domus_stats_history_get_latest (self->history, NULL, &latest))
        {
          g_autofree char *text = domus_graph_format_value (latest, self->unit);
          g_autoptr(PangoLayout) value = make_layout (self, text, FALSE, FALSE);

          draw_text (cr, value, &fg, 1, width - PADDING - layout_width (value), PADDING);
        }

      top = make_layout (self, top_text, TRUE, FALSE);
      label_w = layout_width (top);
      small_h = layout_height (top);
    }

  plot.x0 = PADDING + (label_w > 0 ? label_w + 4 : 0);
  plot.x1 = width - PADDING;
  plot.y0 = PADDING + header_h + (self->compact ? 0 : small_h / 2);
  plot.y1 = height - PADDING - (self->compact ? 0 : small_h + 2);
  if (self->compact)
    plot.x0 = plot.y0 = 1, plot.x1 = width - 1, plot.y1 = height - 1;

  if (reason != NULL)
    {
      g_autoptr(PangoLayout) layout = NULL;

      if (self->compact)
        return FALSE;
      layout = make_layout (self, reason, FALSE, FALSE);
      pango_layout_set_width (layout, MAX (width - 2 * PADDING, 1) * PANGO_SCALE);
      pango_layout_set_alignment (layout, PANGO_ALIGN_CENTER);
      pango_layout_set_wrap (layout, PANGO_WRAP_WORD_CHAR);
      draw_text (cr, layout, &fg, 0.7, PADDING,
                 MAX (PADDING + header_h, (height - layout_height (layout)) / 2.0));
      return FALSE;
    }

  if (plot.x1 - plot.x0 < MIN_PLOT_W || plot.y1 - plot.y0 < MIN_PLOT_H)
    return FALSE;

  domus_stats_history_get_latest (self->history, &plot.now_us, NULL);

  if (!self->compact)
    {
      /* Grid: baseline, half and top, labelled on the left; time marks below. */
      cairo_set_line_width (cr, 1);
      for (guint i = 0; i <= 2; i++)
        {
          double value = plot.scale_max * i / 2;
          double y = round (plot_y (&plot, value)) + 0.5;
          g_autofree char *text = domus_graph_format_value (value, self->unit);
          g_autoptr(PangoLayout) label = make_layout (self, text, TRUE, FALSE);

          set_color (cr, &fg, i == 0 ? 0.3 : 0.12);
          cairo_move_to (cr, plot.x0, y);
          cairo_line_to (cr, plot.x1, y);
          cairo_stroke (cr);
          draw_text (cr, label, &fg, 0.6, plot.x0 - 4 - layout_width (label),
                     y - layout_height (label) / 2.0);
        }
      for (guint i = 0; i <= 2; i++)
        {
          gint64 back = (gint64) self->range_seconds * (2 - i) / 2;
          g_autofree char *duration = back > 0 ? format_duration (back) : NULL;
          g_autofree char *text = back > 0
            /* TRANSLATORS: a mark on a graph's time axis, that long before now: "−10 min". */
            ? g_strdup_printf (C_("time axis", "−%s"), duration)
            : g_strdup (C_("time axis", "now"));
          g_autoptr(PangoLayout) label = make_layout (self, text, TRUE, FALSE);
          double x = plot.x0 + (plot.x1 - plot.x0) * i / 2;
          int w = layout_width (label);

          set_color (cr, &fg, 0.12);
          cairo_move_to (cr, round (x) + 0.5, plot.y0);
          cairo_line_to (cr, round (x) + 0.5, plot.y1);
          cairo_stroke (cr);
          /* A narrow graph keeps the ends of its axis, not three labels run together. */
          if (i == 1 && plot.x1 - plot.x0 < 3 * w + 24)
            continue;
          draw_text (cr, label, &fg, 0.6, CLAMP (x - w / 2.0, plot.x0, plot.x1 - w), plot.y1 + 2);
        }
    }

  draw_series (self, cr, &plot, &accent);

  if (!self->compact && self->hovering)
    draw_hover (self, cr, &plot, &fg, &bg, &accent);

  return FALSE;
}

static gboolean
domus_graph_motion_notify_event (GtkWidget      *widget,
                                 GdkEventMotion *event)
{
  DomusGraph *self = DOMUS_GRAPH (widget);

  self->hovering = TRUE;
  self->hover_x = event->x;
  gtk_widget_queue_draw (widget);
  return GDK_EVENT_PROPAGATE;
}

static gboolean
domus_graph_leave_notify_event (GtkWidget        *widget,
                                GdkEventCrossing *event)
{
  DomusGraph *self = DOMUS_GRAPH (widget);

  if (self->hovering)
    {
      self->hovering = FALSE;
      gtk_widget_queue_draw (widget);
    }
  return GDK_EVENT_PROPAGATE;
}

static void
domus_graph_get_preferred_width (GtkWidget *widget,
                                 int       *minimum,
                                 int       *natural)
{
  gboolean compact = DOMUS_GRAPH (widget)->compact;

  *minimum = compact ? 24 : 120;
  *natural = compact ? 48 : 160;
}

static void
domus_graph_get_preferred_height (GtkWidget *widget,
                                  int       *minimum,
                                  int       *natural)
{
  gboolean compact = DOMUS_GRAPH (widget)->compact;

  *minimum = compact ? 12 : 80;
  *natural = compact ? 16 : 120;
}

/* API */

GtkWidget *
domus_graph_new (void)
{
  return g_object_new (DOMUS_TYPE_GRAPH, NULL);
}

static gboolean
set_string (char       **field,
            const char  *value)
{
  if (g_strcmp0 (*field, value) == 0)
    return FALSE;
  g_free (*field);
  *field = g_strdup (value);
  return TRUE;
}

void
domus_graph_set_history (DomusGraph        *self,
                         DomusStatsHistory *history,
                         const char        *title,
                         const char        *unit)
{
  g_return_if_fail (DOMUS_IS_GRAPH (self));

  if (history != self->history)
    {
      g_clear_pointer (&self->history, domus_stats_history_unref);
      if (history != NULL)
        self->history = domus_stats_history_ref (history);
    }
  g_object_freeze_notify (G_OBJECT (self));
  if (set_string (&self->title, title))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TITLE]);
  if (set_string (&self->unit, unit))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_UNIT]);
  g_object_thaw_notify (G_OBJECT (self));
  domus_graph_queue_update (self);
}

DomusStatsHistory *
domus_graph_get_history (DomusGraph *self)
{
  g_return_val_if_fail (DOMUS_IS_GRAPH (self), NULL);
  return self->history;
}

const char *
domus_graph_get_title (DomusGraph *self)
{
  g_return_val_if_fail (DOMUS_IS_GRAPH (self), NULL);
  return self->title;
}

const char *
domus_graph_get_unit (DomusGraph *self)
{
  g_return_val_if_fail (DOMUS_IS_GRAPH (self), NULL);
  return self->unit;
}

void
domus_graph_set_range (DomusGraph *self,
                       guint       seconds)
{
  g_return_if_fail (DOMUS_IS_GRAPH (self));
  g_return_if_fail (seconds > 0);

  if (self->range_seconds == seconds)
    return;
  self->range_seconds = seconds;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RANGE]);
  domus_graph_queue_update (self);
}

guint
domus_graph_get_range (DomusGraph *self)
{
  g_return_val_if_fail (DOMUS_IS_GRAPH (self), 0);
  return self->range_seconds;
}

void
domus_graph_set_max (DomusGraph *self,
                     double      max)
{
  g_return_if_fail (DOMUS_IS_GRAPH (self));

  max = MAX (max, 0);
  if (self->max == max)
    return;
  self->max = max;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX]);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

double
domus_graph_get_max (DomusGraph *self)
{
  g_return_val_if_fail (DOMUS_IS_GRAPH (self), 0);
  return self->max;
}

double
domus_graph_get_scale_max (DomusGraph *self)
{
  g_return_val_if_fail (DOMUS_IS_GRAPH (self), 0);
  return compute_scale_max (self);
}

void
domus_graph_set_empty_text (DomusGraph *self,
                            const char *text)
{
  g_return_if_fail (DOMUS_IS_GRAPH (self));

  if (!set_string (&self->empty_text, text))
    return;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_EMPTY_TEXT]);
  domus_graph_queue_update (self);
}

void
domus_graph_set_compact (DomusGraph *self,
                         gboolean    compact)
{
  g_return_if_fail (DOMUS_IS_GRAPH (self));

  compact = !!compact;
  if (self->compact == compact)
    return;
  self->compact = compact;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_COMPACT]);
  gtk_widget_queue_resize (GTK_WIDGET (self));
}

gboolean
domus_graph_get_compact (DomusGraph *self)
{
  g_return_val_if_fail (DOMUS_IS_GRAPH (self), FALSE);
  return self->compact;
}

void
domus_graph_queue_update (DomusGraph *self)
{
  g_return_if_fail (DOMUS_IS_GRAPH (self));

  update_accessible (self);
  /* GTK draws queued widgets once per frame, however often this is called before. */
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
redraw (gpointer user_data)
{
  gtk_widget_queue_draw (GTK_WIDGET (user_data));
}

/* With every other graph and the sidebar's sparklines, once a second (domus-paced-redraw.h). */
void
domus_graph_queue_sample (DomusGraph *self)
{
  g_return_if_fail (DOMUS_IS_GRAPH (self));

  update_accessible (self);
  if (!gtk_widget_is_drawable (GTK_WIDGET (self)))
    return;   /* drawn whole when it is shown */
  domus_paced_redraw_mark (&self->pace, redraw, self, "[domus] graph redraw");
}

/* GObject */

static void
domus_graph_dispose (GObject *object)
{
  DomusGraph *self = DOMUS_GRAPH (object);

  domus_paced_redraw_clear (&self->pace);

  G_OBJECT_CLASS (domus_graph_parent_class)->dispose (object);
}

static void
domus_graph_finalize (GObject *object)
{
  DomusGraph *self = DOMUS_GRAPH (object);

  g_clear_pointer (&self->history, domus_stats_history_unref);
  g_free (self->title);
  g_free (self->unit);
  g_free (self->empty_text);

  G_OBJECT_CLASS (domus_graph_parent_class)->finalize (object);
}

static void
domus_graph_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  DomusGraph *self = DOMUS_GRAPH (object);

  switch (prop_id)
    {
    case PROP_TITLE:      g_value_set_string (value, self->title); break;
    case PROP_UNIT:       g_value_set_string (value, self->unit); break;
    case PROP_RANGE:      g_value_set_uint (value, self->range_seconds); break;
    case PROP_MAX:        g_value_set_double (value, self->max); break;
    case PROP_EMPTY_TEXT: g_value_set_string (value, self->empty_text); break;
    case PROP_COMPACT:    g_value_set_boolean (value, self->compact); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
domus_graph_set_property (GObject      *object,
                          guint         prop_id,
                          const GValue *value,
                          GParamSpec   *pspec)
{
  DomusGraph *self = DOMUS_GRAPH (object);

  switch (prop_id)
    {
    case PROP_TITLE:
      domus_graph_set_history (self, self->history, g_value_get_string (value), self->unit);
      break;
    case PROP_UNIT:
      domus_graph_set_history (self, self->history, self->title, g_value_get_string (value));
      break;
    case PROP_RANGE:      domus_graph_set_range (self, g_value_get_uint (value)); break;
    case PROP_MAX:        domus_graph_set_max (self, g_value_get_double (value)); break;
    case PROP_EMPTY_TEXT: domus_graph_set_empty_text (self, g_value_get_string (value)); break;
    case PROP_COMPACT:    domus_graph_set_compact (self, g_value_get_boolean (value)); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
domus_graph_class_init (DomusGraphClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->dispose = domus_graph_dispose;
  object_class->finalize = domus_graph_finalize;
  object_class->get_property = domus_graph_get_property;
  object_class->set_property = domus_graph_set_property;

  widget_class->draw = domus_graph_draw;
  widget_class->motion_notify_event = domus_graph_motion_notify_event;
  widget_class->leave_notify_event = domus_graph_leave_notify_event;
  widget_class->get_preferred_width = domus_graph_get_preferred_width;
  widget_class->get_preferred_height = domus_graph_get_preferred_height;

  properties[PROP_TITLE] = g_param_spec_string ("title", NULL, NULL, NULL, flags);
  properties[PROP_UNIT] = g_param_spec_string ("unit", NULL, NULL, NULL, flags);
  properties[PROP_RANGE] =
    g_param_spec_uint ("range", NULL, NULL, 1, G_MAXUINT, DOMUS_GRAPH_DEFAULT_SECONDS, flags);
  properties[PROP_MAX] = g_param_spec_double ("max", NULL, NULL, 0, G_MAXDOUBLE, 0, flags);
  properties[PROP_EMPTY_TEXT] = g_param_spec_string ("empty-text", NULL, NULL, NULL, flags);
  properties[PROP_COMPACT] = g_param_spec_boolean ("compact", NULL, NULL, FALSE, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_css_name (widget_class, "domus-graph");
  gtk_widget_class_set_accessible_role (widget_class, ATK_ROLE_CHART);
}

static void
domus_graph_init (DomusGraph *self)
{
  self->range_seconds = DOMUS_GRAPH_DEFAULT_SECONDS;
  gtk_widget_add_events (GTK_WIDGET (self), GDK_POINTER_MOTION_MASK | GDK_LEAVE_NOTIFY_MASK);
  update_accessible (self);
}
