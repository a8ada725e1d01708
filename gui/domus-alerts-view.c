/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A list of alerts. It follows the hosts' alert models (DomusAlertList: rows come and go, and
 * their "n-open" says when one was acknowledged) and builds its rows again once per burst of
 * news: a host that reconnects lists all its alerts at once.
 */

#include "config.h"

#include <glib/gi18n.h>

#include "domus-alerts-view.h"

struct _DomusAlertsView
{
  GtkBox           parent_instance;

  GListModel      *hosts;           /* all-servers mode, or NULL */
  DomusHost       *single_host;     /* one-server mode, or NULL */
  GPtrArray       *followed;        /* DomusHost whose alerts we watch */
  guint            rebuild_id;
  guint            n_open;
  GCancellable    *cancellable;     /* acknowledgements under way */

  GtkComboBoxText *host_combo;
  GtkToggleButton *open_only_check;
  GtkWidget       *acknowledge_all_button;
  GtkLabel        *count_label;
  GtkLabel        *error_label;
  GtkListBox      *list;
};

G_DEFINE_FINAL_TYPE (DomusAlertsView, domus_alerts_view, GTK_TYPE_BOX)

enum {
  PROP_0,
  PROP_N_OPEN,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

#define ALL_HOSTS_ID "*"

static void schedule_rebuild (DomusAlertsView *self);

/* Which hosts */

static DomusHost *
chosen_host (DomusAlertsView *self)
{
  const char *id;

  if (self->single_host != NULL)
    return self->single_host;
  id = gtk_combo_box_get_active_id (GTK_COMBO_BOX (self->host_combo));
  for (guint i = 0; id != NULL && i < self->followed->len; i++)
    {
      DomusHost *host = g_ptr_array_index (self->followed, i);

      if (g_str_equal (domus_host_get_uri (host), id))
        return host;
    }
  return NULL;
}

static void
on_alerts_changed (GListModel      *alerts,
                   guint            position,
                   guint            removed,
                   guint            added,
                   DomusAlertsView *self)
{
  schedule_rebuild (self);
}

static void
on_news (GObject         *object,
         GParamSpec      *pspec,
         DomusAlertsView *self)
{
  schedule_rebuild (self);
}

static void
unfollow (DomusAlertsView *self,
          DomusHost       *host)
{
  g_signal_handlers_disconnect_by_data (domus_host_get_alerts (host), self);
  g_signal_handlers_disconnect_by_data (host, self);
}

static void
unfollow_all (DomusAlertsView *self)
{
  for (guint i = 0; i < self->followed->len; i++)
    unfollow (self, g_ptr_array_index (self->followed, i));
  g_ptr_array_set_size (self->followed, 0);
}

static void
follow (DomusAlertsView *self,
        DomusHost       *host)
{
  g_ptr_array_add (self->followed, g_object_ref (host));
  g_signal_connect_object (domus_host_get_alerts (host), "items-changed",
                           G_CALLBACK (on_alerts_changed), self, 0);
  /* An acknowledgement changes no row count, but the list's count of open ones. */
  g_signal_connect_object (domus_host_get_alerts (host), "notify::n-open", G_CALLBACK (on_news), self, 0);
  g_signal_connect_object (host, "notify::name", G_CALLBACK (on_news), self, 0);
}

/* The chooser: All servers, then each server, keeping what was chosen. */
static void
fill_host_combo (DomusAlertsView *self)
{
  g_autofree char *chosen = g_strdup (gtk_combo_box_get_active_id (GTK_COMBO_BOX (self->host_combo)));

  g_signal_handlers_block_matched (self->host_combo, G_SIGNAL_MATCH_DATA, 0, 0, NULL, NULL, self);
  gtk_combo_box_text_remove_all (self->host_combo);
  gtk_combo_box_text_append (self->host_combo, ALL_HOSTS_ID, _("All servers"));
  for (guint i = 0; i < self->followed->len; i++)
    {
      DomusHost *host = g_ptr_array_index (self->followed, i);

      gtk_combo_box_text_append (self->host_combo, domus_host_get_uri (host), domus_host_get_name (host));
    }
  if (chosen == NULL || !gtk_combo_box_set_active_id (GTK_COMBO_BOX (self->host_combo), chosen))
    gtk_combo_box_set_active_id (GTK_COMBO_BOX (self->host_combo), ALL_HOSTS_ID);
  g_signal_handlers_unblock_matched (self->host_combo, G_SIGNAL_MATCH_DATA, 0, 0, NULL, NULL, self);
}

static void
hosts_changed (GListModel      *hosts,
               guint            position,
               guint            removed,
               guint            added,
               DomusAlertsView *self)
{
  unfollow_all (self);
  for (guint i = 0; hosts != NULL && i < g_list_model_get_n_items (hosts); i++)
    {
      g_autoptr(DomusHost) host = g_list_model_get_item (hosts, i);

      follow (self, host);
    }
  fill_host_combo (self);
  schedule_rebuild (self);
}

/* Rows */

typedef struct {
  DomusHost  *host;
  DomusAlert *alert;
} Shown;

static int
compare_newest_first (gconstpointer a,
                      gconstpointer b)
{
  const Shown *shown_a = a, *shown_b = b;
  gint64 time_a = domus_alert_get_time_us (shown_a->alert);
  gint64 time_b = domus_alert_get_time_us (shown_b->alert);

  if (time_a != time_b)
    return time_a > time_b ? -1 : 1;
  return domus_alert_get_id (shown_a->alert) > domus_alert_get_id (shown_b->alert) ? -1 : 1;
}

static void
shown_clear (gpointer data)
{
  Shown *shown = data;

  g_object_unref (shown->host);
  g_object_unref (shown->alert);
}

static void on_acknowledged (GObject *source, GAsyncResult *result, gpointer user_data);

static void
acknowledge_clicked_cb (GtkButton       *button,
                        DomusAlertsView *self)
{
  DomusHost *host = g_object_get_data (G_OBJECT (button), "domus-host");
  DomusAlert *alert = g_object_get_data (G_OBJECT (button), "domus-alert");
  g_autoptr(GPtrArray) alerts = g_ptr_array_new_with_free_func (g_object_unref);

  g_ptr_array_add (alerts, g_object_ref (alert));
  gtk_widget_set_sensitive (GTK_WIDGET (button), FALSE);
  domus_host_acknowledge_alerts_async (host, alerts, self->cancellable, on_acknowledged, g_object_ref (self));
}

static const char *
icon_for (DomusAlert *alert)
{
  switch (domus_alert_get_kind (alert))
    {
    case DOMUS_ALERT_KIND_HOST_LOST:      return "network-offline-symbolic";
    case DOMUS_ALERT_KIND_DOMAIN_CRASHED:
    case DOMUS_ALERT_KIND_DOMAIN_STOPPED: return "dialog-error-symbolic";
    default:                              return "dialog-warning-symbolic";
    }
}

static char *
describe (DomusAlert *alert)
{
  g_autoptr(GDateTime) time = g_date_time_new_from_unix_local (domus_alert_get_time_us (alert) / G_USEC_PER_SEC);
  g_autofree char *when = time != NULL ? g_date_time_format (time, "%Y-%m-%d %H:%M:%S") : g_strdup ("");
  const char *domain = domus_alert_get_domain_name (alert);

  if (domain != NULL)
    /* Translators: an alert's details: its server, its domain, when, and its kind. */
    return g_strdup_printf (_("%s — %s — %s — %s"), domus_alert_get_host_name (alert), domain, when,
                            domus_alert_kind_to_string (domus_alert_get_kind (alert)));
  /* Translators: an alert's details: its server, when, and its kind. */
  return g_strdup_printf (_("%s — %s — %s"), domus_alert_get_host_name (alert), when,
                          domus_alert_kind_to_string (domus_alert_get_kind (alert)));
}

static GtkWidget *
row_new (DomusAlertsView *self,
         const Shown     *shown)
{
  DomusAlert *alert = shown->alert;
  gboolean open = !domus_alert_get_acknowledged (alert);
  g_autofree char *details = describe (alert);
  GtkWidget *row = gtk_list_box_row_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *text = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *message = gtk_label_new (domus_alert_get_message (alert));
  GtkWidget *detail = gtk_label_new (details);
  GtkWidget *icon = gtk_image_new_from_icon_name (icon_for (alert), GTK_ICON_SIZE_LARGE_TOOLBAR);
  AtkObject *accessible = gtk_widget_get_accessible (row);

  gtk_label_set_xalign (GTK_LABEL (message), 0);
  gtk_label_set_line_wrap (GTK_LABEL (message), TRUE);
  gtk_label_set_xalign (GTK_LABEL (detail), 0);
  gtk_label_set_ellipsize (GTK_LABEL (detail), PANGO_ELLIPSIZE_END);
  gtk_style_context_add_class (gtk_widget_get_style_context (detail), "dim-label");
  if (!open)
    gtk_style_context_add_class (gtk_widget_get_style_context (message), "dim-label");
  gtk_widget_set_hexpand (text, TRUE);
  gtk_container_add (GTK_CONTAINER (text), message);
  gtk_container_add (GTK_CONTAINER (text), detail);
  gtk_container_add (GTK_CONTAINER (box), icon);
  gtk_container_add (GTK_CONTAINER (box), text);
  if (open)
    {
      GtkWidget *button = gtk_button_new_with_mnemonic (_("_Acknowledge"));

      gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
      gtk_widget_set_tooltip_text (button, _("Mark this alert as seen, for every window and domusctl"));
      g_object_set_data_full (G_OBJECT (button), "domus-host", g_object_ref (shown->host), g_object_unref);
      g_object_set_data_full (G_OBJECT (button), "domus-alert", g_object_ref (alert), g_object_unref);
      g_signal_connect (button, "clicked", G_CALLBACK (acknowledge_clicked_cb), self);
      gtk_container_add (GTK_CONTAINER (box), button);
    }
  else
    {
      GtkWidget *seen = gtk_label_new (_("Acknowledged"));

      gtk_style_context_add_class (gtk_widget_get_style_context (seen), "dim-label");
      gtk_container_add (GTK_CONTAINER (box), seen);
    }
  g_object_set (box, "margin", 8, NULL);
  gtk_container_add (GTK_CONTAINER (row), box);
  atk_object_set_name (accessible, domus_alert_get_message (alert));
  atk_object_set_description (accessible, details);
  gtk_widget_show_all (row);
  return row;
}

static guint
count_open (DomusAlertsView *self)
{
  guint n = 0;

  for (guint i = 0; i < self->followed->len; i++)
    n += domus_host_get_n_open_alerts (g_ptr_array_index (self->followed, i));
  return n;
}

static void
rebuild (DomusAlertsView *self)
{
  g_autoptr(GArray) shown = g_array_new (FALSE, FALSE, sizeof (Shown));
  g_autoptr(GList) rows = gtk_container_get_children (GTK_CONTAINER (self->list));
  gboolean open_only = gtk_toggle_button_get_active (self->open_only_check);
  DomusHost *only = chosen_host (self);
  guint n_open = count_open (self), open_shown = 0;
  g_autofree char *count = NULL;

  g_array_set_clear_func (shown, shown_clear);
  for (GList *l = rows; l != NULL; l = l->next)
    gtk_widget_destroy (l->data);

  for (guint i = 0; i < self->followed->len; i++)
    {
      DomusHost *host = g_ptr_array_index (self->followed, i);
      GListModel *alerts = domus_host_get_alerts (host);

      if (only != NULL && host != only)
        continue;
      for (guint j = 0; j < g_list_model_get_n_items (alerts); j++)
        {
          Shown item = { g_object_ref (host), g_list_model_get_item (alerts, j) };

          if (!domus_alert_get_acknowledged (item.alert))
            open_shown++;
          if (open_only && domus_alert_get_acknowledged (item.alert))
            shown_clear (&item);
          else
            g_array_append_val (shown, item);
        }
    }
  g_array_sort (shown, compare_newest_first);
  for (guint i = 0; i < shown->len && i < DOMUS_ALERTS_VIEW_MAX_ROWS; i++)
    gtk_container_add (GTK_CONTAINER (self->list), row_new (self, &g_array_index (shown, Shown, i)));

  if (shown->len > DOMUS_ALERTS_VIEW_MAX_ROWS)
    count = g_strdup_printf (_("%u alerts, %u open; the newest %u are listed"),
                             shown->len, open_shown, DOMUS_ALERTS_VIEW_MAX_ROWS);
  else
    count = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u alert, %u open", "%u alerts, %u open",
                                          shown->len),
                             shown->len, open_shown);
  gtk_label_set_text (self->count_label, count);
  gtk_widget_set_sensitive (self->acknowledge_all_button, open_shown > 0);
  if (n_open != self->n_open)
    {
      self->n_open = n_open;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_OPEN]);
    }
}

static gboolean
rebuild_cb (gpointer user_data)
{
  DomusAlertsView *self = user_data;

  self->rebuild_id = 0;
  rebuild (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_rebuild (DomusAlertsView *self)
{
  if (self->rebuild_id == 0)
    self->rebuild_id = g_idle_add_full (G_PRIORITY_DEFAULT_IDLE, rebuild_cb, self, NULL);
}

/* Acknowledging */

static void
on_acknowledged (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(DomusAlertsView) self = user_data;
  g_autoptr(GError) error = NULL;

  if (domus_host_acknowledge_alerts_finish (DOMUS_HOST (source), result, &error))
    return;
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  gtk_label_set_text (self->error_label, error->message);
  gtk_widget_show (GTK_WIDGET (self->error_label));
  schedule_rebuild (self);
}

static void
acknowledge_all_clicked_cb (GtkButton       *button,
                            DomusAlertsView *self)
{
  DomusHost *only = chosen_host (self);

  gtk_widget_hide (GTK_WIDGET (self->error_label));
  for (guint i = 0; i < self->followed->len; i++)
    {
      DomusHost *host = g_ptr_array_index (self->followed, i);

      if ((only == NULL || host == only) && domus_host_get_n_open_alerts (host) > 0)
        domus_host_acknowledge_alerts_async (host, NULL, self->cancellable, on_acknowledged,
                                             g_object_ref (self));
    }
}

static void
filter_changed_cb (GtkWidget       *widget,
                   DomusAlertsView *self)
{
  schedule_rebuild (self);
}

/* GObject */

static void
domus_alerts_view_dispose (GObject *object)
{
  DomusAlertsView *self = DOMUS_ALERTS_VIEW (object);

  g_clear_handle_id (&self->rebuild_id, g_source_remove);
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->followed != NULL)
    {
      unfollow_all (self);
      g_clear_pointer (&self->followed, g_ptr_array_unref);
    }
  if (self->hosts != NULL)
    g_signal_handlers_disconnect_by_data (self->hosts, self);
  g_clear_object (&self->hosts);
  g_clear_object (&self->single_host);
  G_OBJECT_CLASS (domus_alerts_view_parent_class)->dispose (object);
}

static void
domus_alerts_view_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  DomusAlertsView *self = DOMUS_ALERTS_VIEW (object);

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
domus_alerts_view_class_init (DomusAlertsViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = domus_alerts_view_dispose;
  object_class->get_property = domus_alerts_view_get_property;

  properties[PROP_N_OPEN] =
    g_param_spec_uint ("n-open", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/domus/Domus/ui/domus-alerts-view.ui");
  gtk_widget_class_bind_template_child (widget_class, DomusAlertsView, host_combo);
  gtk_widget_class_bind_template_child (widget_class, DomusAlertsView, open_only_check);
  gtk_widget_class_bind_template_child (widget_class, DomusAlertsView, acknowledge_all_button);
  gtk_widget_class_bind_template_child (widget_class, DomusAlertsView, count_label);
  gtk_widget_class_bind_template_child (widget_class, DomusAlertsView, error_label);
  gtk_widget_class_bind_template_child (widget_class, DomusAlertsView, list);
  gtk_widget_class_bind_template_callback (widget_class, acknowledge_all_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, filter_changed_cb);
}

static void
domus_alerts_view_init (DomusAlertsView *self)
{
  self->followed = g_ptr_array_new_with_free_func (g_object_unref);
  self->cancellable = g_cancellable_new ();
  gtk_widget_init_template (GTK_WIDGET (self));
  /* A server without a name yet is its address, a long path maybe: it must not widen the
   * window (the pages of its stack share one width). */
  {
    g_autoptr(GList) cells = gtk_cell_layout_get_cells (GTK_CELL_LAYOUT (self->host_combo));

    for (GList *l = cells; l != NULL; l = l->next)
      if (GTK_IS_CELL_RENDERER_TEXT (l->data))
        g_object_set (l->data, "ellipsize", PANGO_ELLIPSIZE_MIDDLE, "width-chars", 20, NULL);
  }
  fill_host_combo (self);
  rebuild (self);
}

GtkWidget *
domus_alerts_view_new (void)
{
  return g_object_new (DOMUS_TYPE_ALERTS_VIEW, NULL);
}

void
domus_alerts_view_set_hosts (DomusAlertsView *self,
                             GListModel      *hosts)
{
  g_return_if_fail (DOMUS_IS_ALERTS_VIEW (self));
  g_return_if_fail (hosts == NULL || G_IS_LIST_MODEL (hosts));

  if (self->hosts != NULL)
    g_signal_handlers_disconnect_by_data (self->hosts, self);
  g_set_object (&self->hosts, hosts);
  g_clear_object (&self->single_host);
  gtk_widget_show (GTK_WIDGET (self->host_combo));
  if (hosts != NULL)
    g_signal_connect (hosts, "items-changed", G_CALLBACK (hosts_changed), self);
  hosts_changed (hosts, 0, 0, 0, self);
}

void
domus_alerts_view_set_host (DomusAlertsView *self,
                            DomusHost       *host)
{
  g_return_if_fail (DOMUS_IS_ALERTS_VIEW (self));
  g_return_if_fail (host == NULL || DOMUS_IS_HOST (host));

  if (self->hosts != NULL)
    g_signal_handlers_disconnect_by_data (self->hosts, self);
  g_clear_object (&self->hosts);
  g_set_object (&self->single_host, host);
  gtk_widget_hide (GTK_WIDGET (self->host_combo));
  unfollow_all (self);
  if (host != NULL)
    follow (self, host);
  schedule_rebuild (self);
}

guint
domus_alerts_view_get_n_open (DomusAlertsView *self)
{
  g_return_val_if_fail (DOMUS_IS_ALERTS_VIEW (self), 0);
  return self->n_open;
}
