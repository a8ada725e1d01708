/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A host's alerts. The daemon's come with ids and are replaced by each listing (a
 * reconnection) and added to by events; this client's own (the host lost) have none and are
 * only added, a few kept. Every alert keeps its object while it is listed, so a window
 * showing one sees its acknowledgement as a notify.
 */

#include "config.h"

#include "domus-alert-list.h"

struct _DomusAlertList
{
  GObject    parent_instance;

  GPtrArray *alerts;    /* DomusAlert, by time */
  guint      n_open;
};

static void list_model_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (DomusAlertList, domus_alert_list, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_init))

enum {
  PROP_0,
  PROP_N_OPEN,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static GType
get_item_type (GListModel *model)
{
  return DOMUS_TYPE_ALERT;
}

static guint
get_n_items (GListModel *model)
{
  return DOMUS_ALERT_LIST (model)->alerts->len;
}

static gpointer
get_item (GListModel *model,
          guint       position)
{
  DomusAlertList *self = DOMUS_ALERT_LIST (model);

  if (position >= self->alerts->len)
    return NULL;
  return g_object_ref (g_ptr_array_index (self->alerts, position));
}

static void
list_model_init (GListModelInterface *iface)
{
  iface->get_item_type = get_item_type;
  iface->get_n_items = get_n_items;
  iface->get_item = get_item;
}

static void
count_open (DomusAlertList *self)
{
  guint n = 0;

  for (guint i = 0; i < self->alerts->len; i++)
    if (!domus_alert_get_acknowledged (g_ptr_array_index (self->alerts, i)))
      n++;
  if (n == self->n_open)
    return;
  self->n_open = n;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_OPEN]);
}

static void
on_acknowledged (DomusAlert     *alert,
                 GParamSpec     *pspec,
                 DomusAlertList *self)
{
  count_open (self);
}

static void
watch (DomusAlertList *self,
       DomusAlert     *alert)
{
  g_signal_connect_object (alert, "notify::acknowledged", G_CALLBACK (on_acknowledged), self, 0);
}

static void
unwatch (gpointer data,
         gpointer user_data)
{
  g_signal_handlers_disconnect_by_data (data, user_data);
}

static int
compare_time (gconstpointer a,
              gconstpointer b)
{
  DomusAlert *alert_a = *(DomusAlert **) a;
  DomusAlert *alert_b = *(DomusAlert **) b;
  gint64 time_a = domus_alert_get_time_us (alert_a), time_b = domus_alert_get_time_us (alert_b);

  if (time_a != time_b)
    return time_a < time_b ? -1 : 1;
  return domus_alert_get_id (alert_a) < domus_alert_get_id (alert_b) ? -1 :
         domus_alert_get_id (alert_a) > domus_alert_get_id (alert_b) ? 1 : 0;
}

static void
domus_alert_list_dispose (GObject *object)
{
  DomusAlertList *self = DOMUS_ALERT_LIST (object);

  if (self->alerts != NULL)
    {
      g_ptr_array_foreach (self->alerts, unwatch, self);
      g_clear_pointer (&self->alerts, g_ptr_array_unref);
    }
  G_OBJECT_CLASS (domus_alert_list_parent_class)->dispose (object);
}

static void
domus_alert_list_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  DomusAlertList *self = DOMUS_ALERT_LIST (object);

  switch (prop_id)
    {
    case PROP_N_OPEN:
      g_value_set_uint (value, self->n_open);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
domus_alert_list_class_init (DomusAlertListClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = domus_alert_list_dispose;
  object_class->get_property = domus_alert_list_get_property;

  properties[PROP_N_OPEN] =
    g_param_spec_uint ("n-open", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
domus_alert_list_init (DomusAlertList *self)
{
  self->alerts = g_ptr_array_new_with_free_func (g_object_unref);
}

DomusAlertList *
domus_alert_list_new (void)
{
  return g_object_new (DOMUS_TYPE_ALERT_LIST, NULL);
}

guint
domus_alert_list_get_n_open (DomusAlertList *self)
{
  g_return_val_if_fail (DOMUS_IS_ALERT_LIST (self), 0);
  return self->n_open;
}

DomusAlert *
domus_alert_list_lookup (DomusAlertList *self,
                         guint64         id)
{
  g_return_val_if_fail (DOMUS_IS_ALERT_LIST (self), NULL);

  for (guint i = 0; id != 0 && i < self->alerts->len; i++)
    {
      DomusAlert *alert = g_ptr_array_index (self->alerts, i);

      if (!domus_alert_get_local (alert) && domus_alert_get_id (alert) == id)
        return alert;
    }
  return NULL;
}

void
_domus_alert_list_sync (DomusAlertList *self,
                        GPtrArray      *alerts)
{
  g_autoptr(GPtrArray) next = g_ptr_array_new_with_free_func (g_object_unref);
  guint old_length;

  g_return_if_fail (DOMUS_IS_ALERT_LIST (self));

  for (guint i = 0; i < self->alerts->len; i++)
    {
      DomusAlert *alert = g_ptr_array_index (self->alerts, i);

      if (domus_alert_get_local (alert))
        g_ptr_array_add (next, g_object_ref (alert));
    }
  for (guint i = 0; i < alerts->len; i++)
    {
      DomusAlert *given = g_ptr_array_index (alerts, i);
      DomusAlert *kept = domus_alert_list_lookup (self, domus_alert_get_id (given));

      if (kept != NULL)
        {
          _domus_alert_set_acknowledged (kept, domus_alert_get_acknowledged (given));
          g_ptr_array_add (next, g_object_ref (kept));
        }
      else
        {
          watch (self, given);
          g_ptr_array_add (next, g_object_ref (given));
        }
    }
  g_ptr_array_sort (next, compare_time);

  /* Alerts that went no longer tell us about their acknowledgement. */
  for (guint i = 0; i < self->alerts->len; i++)
    {
      DomusAlert *alert = g_ptr_array_index (self->alerts, i);

      if (!g_ptr_array_find (next, alert, NULL))
        unwatch (alert, self);
    }
  old_length = self->alerts->len;
  g_ptr_array_unref (self->alerts);
  self->alerts = g_steal_pointer (&next);
  /* A listing changes little or everything; one signal for it all. */
  g_list_model_items_changed (G_LIST_MODEL (self), 0, old_length, self->alerts->len);
  count_open (self);
}

static void
drop_oldest_local (DomusAlertList *self)
{
  guint local = 0;

  for (guint i = 0; i < self->alerts->len; i++)
    if (domus_alert_get_local (g_ptr_array_index (self->alerts, i)))
      local++;
  for (guint i = 0; local > DOMUS_ALERT_LIST_MAX_LOCAL && i < self->alerts->len; )
    {
      DomusAlert *alert = g_ptr_array_index (self->alerts, i);

      if (!domus_alert_get_local (alert))
        {
          i++;
          continue;
        }
      unwatch (alert, self);
      g_ptr_array_remove_index (self->alerts, i);
      g_list_model_items_changed (G_LIST_MODEL (self), i, 1, 0);
      local--;
    }
}

void
_domus_alert_list_add (DomusAlertList *self,
                       DomusAlert     *alert)
{
  g_return_if_fail (DOMUS_IS_ALERT_LIST (self));
  g_return_if_fail (DOMUS_IS_ALERT (alert));

  if (!domus_alert_get_local (alert) && domus_alert_list_lookup (self, domus_alert_get_id (alert)) != NULL)
    return;
  watch (self, alert);
  g_ptr_array_add (self->alerts, g_object_ref (alert));
  g_list_model_items_changed (G_LIST_MODEL (self), self->alerts->len - 1, 0, 1);
  drop_oldest_local (self);
  count_open (self);
}

void
_domus_alert_list_acknowledge (DomusAlertList *self,
                               const guint64  *ids,
                               guint           n_ids)
{
  g_return_if_fail (DOMUS_IS_ALERT_LIST (self));

  for (guint i = 0; i < n_ids; i++)
    {
      DomusAlert *alert = domus_alert_list_lookup (self, ids[i]);

      if (alert != NULL)
        _domus_alert_set_acknowledged (alert, TRUE);
    }
}
