/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A bounded series of timed samples (one metric of a host or domain), for graphs. */

#include "config.h"

#include "domus-stats-history.h"

typedef struct {
  gint64 time_us;
  double value;
} Point;

/* Slots are allocated as points come, doubling up to the capacity: a domain that is shut
 * off, or that a window lists a thousand of, does not hold ten minutes of empty slots per
 * metric (that was 60 KiB a domain, zeroed as the list arrived). Until the ring is full
 * the points sit in order from slot 0 (head is 0), so growing keeps them in place. */
#define FIRST_SLOTS 16

struct _DomusStatsHistory
{
  Point   *points;       /* allocated slots, used as a ring once capacity are */
  guint    allocated;
  guint    capacity;
  guint    head;         /* slot of the oldest point; 0 until the ring is full */
  guint    length;

  /* A graph asks for the maximum on every redraw; it changes far less often. */
  double   max;
  gboolean max_valid;
};

G_DEFINE_BOXED_TYPE (DomusStatsHistory, domus_stats_history,
                     domus_stats_history_ref, domus_stats_history_unref)

static void
stats_history_clear (DomusStatsHistory *self)
{
  g_free (self->points);
}

DomusStatsHistory *
domus_stats_history_new (guint capacity)
{
  DomusStatsHistory *self = g_atomic_rc_box_new0 (DomusStatsHistory);

  self->capacity = MAX (capacity, 1);
  self->max_valid = TRUE;
  return self;
}

DomusStatsHistory *
domus_stats_history_ref (DomusStatsHistory *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return g_atomic_rc_box_acquire (self);
}

void
domus_stats_history_unref (DomusStatsHistory *self)
{
  g_return_if_fail (self != NULL);
  g_atomic_rc_box_release_full (self, (GDestroyNotify) stats_history_clear);
}

static Point *
nth_point (DomusStatsHistory *self,
           guint              n)
{
  return &self->points[(self->head + n) % self->capacity];
}

/* Room for one more point while the ring is not full yet. */
static void
grow (DomusStatsHistory *self)
{
  guint slots;

  if (self->length < self->allocated)
    return;
  g_assert (self->head == 0);
  slots = MIN (self->capacity, MAX (FIRST_SLOTS, self->allocated * 2));
  self->points = g_renew (Point, self->points, slots);
  self->allocated = slots;
}

void
domus_stats_history_push (DomusStatsHistory *self,
                          gint64             time_us,
                          double             value)
{
  Point *point;

  g_return_if_fail (self != NULL);

  if (self->length == self->capacity)
    {
      /* Only losing the maximum itself makes it unknown. */
      if (self->points[self->head].value >= self->max)
        self->max_valid = FALSE;
      self->head = (self->head + 1) % self->capacity;
      self->length--;
    }
  else
    grow (self);
  point = nth_point (self, self->length);
  point->time_us = time_us;
  point->value = value;
  self->length++;

  if (self->max_valid && (self->length == 1 || value > self->max))
    self->max = value;
}

void
domus_stats_history_clear (DomusStatsHistory *self)
{
  g_return_if_fail (self != NULL);

  self->head = 0;
  self->length = 0;
  self->max = 0;
  self->max_valid = TRUE;
}

guint
domus_stats_history_get_length (DomusStatsHistory *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->length;
}

guint
domus_stats_history_get_capacity (DomusStatsHistory *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->capacity;
}

void
domus_stats_history_set_capacity (DomusStatsHistory *self,
                                  guint              capacity)
{
  Point *points;
  guint keep;

  g_return_if_fail (self != NULL);

  capacity = MAX (capacity, 1);
  if (capacity == self->capacity)
    return;

  keep = MIN (self->length, capacity);
  points = keep > 0 ? g_new (Point, keep) : NULL;
  for (guint i = 0; i < keep; i++)
    points[i] = *nth_point (self, self->length - keep + i);
  g_free (self->points);
  self->points = points;
  self->allocated = keep;
  self->capacity = capacity;
  self->head = 0;
  if (keep < self->length)
    self->max_valid = FALSE;
  self->length = keep;
}

gboolean
domus_stats_history_get_nth (DomusStatsHistory *self,
                             guint              n,
                             gint64            *time_us,
                             double            *value)
{
  const Point *point;

  g_return_val_if_fail (self != NULL, FALSE);

  if (n >= self->length)
    return FALSE;
  point = nth_point (self, n);
  if (time_us != NULL)
    *time_us = point->time_us;
  if (value != NULL)
    *value = point->value;
  return TRUE;
}

gboolean
domus_stats_history_get_latest (DomusStatsHistory *self,
                                gint64            *time_us,
                                double            *value)
{
  g_return_val_if_fail (self != NULL, FALSE);

  if (self->length == 0)
    return FALSE;
  return domus_stats_history_get_nth (self, self->length - 1, time_us, value);
}

double
domus_stats_history_get_max (DomusStatsHistory *self)
{
  g_return_val_if_fail (self != NULL, 0);

  if (self->length == 0)
    return 0;
  if (!self->max_valid)
    {
      self->max = nth_point (self, 0)->value;
      for (guint i = 1; i < self->length; i++)
        self->max = MAX (self->max, nth_point (self, i)->value);
      self->max_valid = TRUE;
    }
  return self->max;
}
