/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A server on the dashboard: its state, CPU and memory graphs, domains by state, the busiest. */

#include "config.h"

#include <glib/gi18n.h>

#include "domus-graph.h"
#include "domus-host-card.h"

typedef struct {
  GtkWidget   *button;
  GtkLabel    *name_label;
  GtkLabel    *value_label;
  DomusDomain *domain;       /* a reference while shown */
} BusyRow;

struct _DomusHostCard
{
  GtkEventBox  parent_instance;

  DomusHost   *host;
  GPtrArray   *watched;      /* the DomusDomains whose notify::state we follow */
  guint        counts[DOMUS_HOST_CARD_N_COUNTS];
  gboolean     counted;      /* counts and their labels are set */
  DomusHostCardTrouble trouble;
  BusyRow      busy[DOMUS_HOST_CARD_N_BUSY];
  gboolean     pressed;
  guint        update_source; /* counts and busy rows due again, after a burst of news */

  GtkLabel    *name_label;
  GtkLabel    *state_label;
  GtkWidget   *open_button;
  GtkLabel    *error_label;
  DomusGraph  *cpu_graph;
  DomusGraph  *memory_graph;
  GtkLabel    *count_labels[DOMUS_HOST_CARD_N_COUNTS];
  GtkLabel    *alerts_label;
  GtkBox      *busy_box;
  GtkWidget   *busy_empty_label;
};

G_DEFINE_FINAL_TYPE (DomusHostCard, domus_host_card, GTK_TYPE_EVENT_BOX)

enum {
  PROP_0,
  PROP_HOST,
  PROP_TROUBLE,
  N_PROPS
};

enum {
  SIGNAL_SUMMARY_CHANGED,
  SIGNAL_ACTIVATE_HOST,
  SIGNAL_OPEN_DOMAIN,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static DomusHostCardTrouble
compute_trouble (DomusHostCard *self)
{
  switch (domus_host_get_state (self->host))
    {
    case DOMUS_HOST_STATE_DISCONNECTED:
      return DOMUS_HOST_CARD_TROUBLE_UNREACHABLE;
    case DOMUS_HOST_STATE_CONNECTING:
      /* A retry after a failure: it was lost, and is not back yet. */
      return domus_host_get_error (self->host) != NULL ? DOMUS_HOST_CARD_TROUBLE_UNREACHABLE
                                                       : DOMUS_HOST_CARD_TROUBLE_CONNECTING;
    case DOMUS_HOST_STATE_CONNECTED:
    default:
      return self->counts[DOMUS_HOST_CARD_COUNT_CRASHED] > 0 || domus_host_get_n_open_alerts (self->host) > 0
             ? DOMUS_HOST_CARD_TROUBLE_DOMAINS : DOMUS_HOST_CARD_TROUBLE_NONE;
    }
}

/* The card's frame says it too (CSS class domus-card-trouble), so trouble shows at a glance.
 * Called for real changes only (a count, the host's state, its open alerts): the dashboard
 * works its summary out again for each, and sorts the cards again when the trouble changed. */
static void
summary_changed (DomusHostCard *self)
{
  GtkStyleContext *style = gtk_widget_get_style_context (GTK_WIDGET (self));
  DomusHostCardTrouble trouble = compute_trouble (self);

  if (trouble >= DOMUS_HOST_CARD_TROUBLE_DOMAINS)
    gtk_style_context_add_class (style, "domus-card-trouble");
  else
    gtk_style_context_remove_class (style, "domus-card-trouble");
  if (trouble != self->trouble)
    {
      self->trouble = trouble;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TROUBLE]);
    }
  g_signal_emit (self, signals[SIGNAL_SUMMARY_CHANGED], 0);
}

/* Name and state */

static void
update_name (DomusHostCard *self)
{
  const char *name = domus_host_get_name (self->host);
  g_autofree char *open = g_strdup_printf (_("Open %s"), name);

  gtk_label_set_text (self->name_label, name);
  atk_object_set_name (gtk_widget_get_accessible (GTK_WIDGET (self)), name);
  atk_object_set_name (gtk_widget_get_accessible (self->open_button), open);
}

static void
update_state (DomusHostCard *self)
{
  const GError *error = domus_host_get_error (self->host);
  const char *state = NULL;
  const char *empty = NULL;

  switch (domus_host_get_state (self->host))
    {
    case DOMUS_HOST_STATE_CONNECTED:
      state = _("Connected");
      break;
    case DOMUS_HOST_STATE_CONNECTING:
      /* A retry after a failure keeps the failure: show why it is retrying. */
      state = error != NULL ? _("Reconnecting…") : _("Connecting…");
      empty = _("Connecting…");
      break;
    case DOMUS_HOST_STATE_DISCONNECTED:
    default:
      state = _("Disconnected");
      empty = _("Not connected");
      break;
    }
  gtk_label_set_text (self->state_label, state);
  gtk_label_set_text (self->error_label, error != NULL ? error->message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), error != NULL);
  domus_graph_set_empty_text (self->cpu_graph, empty);
  domus_graph_set_empty_text (self->memory_graph, empty);
}

static void
update_memory_max (DomusHostCard *self)
{
  gint64 memory_mib = domus_host_get_memory_mib (self->host);

  domus_graph_set_max (self->memory_graph, memory_mib > 0 ? (double) memory_mib : 0);
}

/* Domains by state */

static DomusHostCardCount
count_of_state (DomusDomainState state)
{
  switch (state)
    {
    case DOMUS_DOMAIN_STATE_RUNNING:
    case DOMUS_DOMAIN_STATE_BLOCKED:
      return DOMUS_HOST_CARD_COUNT_RUNNING;
    case DOMUS_DOMAIN_STATE_PAUSED:
      return DOMUS_HOST_CARD_COUNT_PAUSED;
    case DOMUS_DOMAIN_STATE_SHUTOFF:
      return DOMUS_HOST_CARD_COUNT_OFF;
    case DOMUS_DOMAIN_STATE_CRASHED:
      return DOMUS_HOST_CARD_COUNT_CRASHED;
    case DOMUS_DOMAIN_STATE_SHUTDOWN:
    case DOMUS_DOMAIN_STATE_DYING:
    case DOMUS_DOMAIN_STATE_STARTING:
    case DOMUS_DOMAIN_STATE_INVALID:
    default:
      return DOMUS_HOST_CARD_COUNT_OTHER;
    }
}

static void
update_counts (DomusHostCard *self)
{
  guint counts[DOMUS_HOST_CARD_N_COUNTS] = { 0 };

  for (guint i = 0; i < self->watched->len; i++)
    counts[count_of_state (domus_domain_get_state (g_ptr_array_index (self->watched, i)))]++;
  /* Each sample brings the card here (for the busiest domains) and seldom changes a count:
   * an unchanged card says nothing, or every host's sample would have the dashboard sort
   * and lay out all its cards again (docs/performance.md, "Idle with 20 hosts"). */
  if (self->counted && memcmp (counts, self->counts, sizeof counts) == 0)
    return;
  memcpy (self->counts, counts, sizeof counts);
  self->counted = TRUE;

  for (guint i = 0; i < DOMUS_HOST_CARD_N_COUNTS; i++)
    {
      guint n = self->counts[i];
      g_autofree char *text = NULL;

      switch ((DomusHostCardCount) i)
        {
        case DOMUS_HOST_CARD_COUNT_RUNNING:
          text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u running", "%u running", n), n);
          break;
        case DOMUS_HOST_CARD_COUNT_PAUSED:
          text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u paused", "%u paused", n), n);
          break;
        case DOMUS_HOST_CARD_COUNT_OFF:
          text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u off", "%u off", n), n);
          break;
        case DOMUS_HOST_CARD_COUNT_CRASHED:
          text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u crashed", "%u crashed", n), n);
          break;
        case DOMUS_HOST_CARD_COUNT_OTHER:
        case DOMUS_HOST_CARD_N_COUNTS:
        default:
          text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u other", "%u other", n), n);
          break;
        }
      gtk_label_set_text (self->count_labels[i], text);
      /* Zero paused, crashed or other domains is not news: keep the line short. */
      gtk_widget_set_visible (GTK_WIDGET (self->count_labels[i]),
                              n > 0 || i == DOMUS_HOST_CARD_COUNT_RUNNING || i == DOMUS_HOST_CARD_COUNT_OFF);
    }
  summary_changed (self);
}

/* The busiest domains */

static int
compare_busy (gconstpointer a,
              gconstpointer b)
{
  DomusDomain *domain_a = *(DomusDomain **) a;
  DomusDomain *domain_b = *(DomusDomain **) b;
  double cpu_a = domus_domain_get_cpu_percent (domain_a);
  double cpu_b = domus_domain_get_cpu_percent (domain_b);

  if (cpu_a != cpu_b)
    return cpu_a > cpu_b ? -1 : 1;
  return g_strcmp0 (domus_domain_get_name (domain_a), domus_domain_get_name (domain_b));
}

static void
update_busy (DomusHostCard *self)
{
  g_autoptr(GPtrArray) active = g_ptr_array_new ();
  guint shown;

  for (guint i = 0; i < self->watched->len; i++)
    {
      DomusDomain *domain = g_ptr_array_index (self->watched, i);

      if (count_of_state (domus_domain_get_state (domain)) == DOMUS_HOST_CARD_COUNT_RUNNING)
        g_ptr_array_add (active, domain);
    }
  g_ptr_array_sort (active, compare_busy);
  shown = MIN (active->len, DOMUS_HOST_CARD_N_BUSY);

  /* The rows stay; only their text changes, so a row under the pointer is not rebuilt
   * every second. */
  for (guint i = 0; i < DOMUS_HOST_CARD_N_BUSY; i++)
    {
      BusyRow *row = &self->busy[i];
      DomusDomain *domain = i < shown ? g_ptr_array_index (active, i) : NULL;

      g_set_object (&row->domain, domain);
      if (domain != NULL)
        {
          g_autofree char *value = domus_graph_format_value (domus_domain_get_cpu_percent (domain), "%");
          g_autofree char *description = g_strdup_printf (_("CPU %s"), value);
          AtkObject *accessible = gtk_widget_get_accessible (row->button);

          gtk_label_set_text (row->name_label, domus_domain_get_name (domain));
          gtk_label_set_text (row->value_label, value);
          if (g_strcmp0 (atk_object_get_name (accessible), domus_domain_get_name (domain)) != 0)
            atk_object_set_name (accessible, domus_domain_get_name (domain));
          if (g_strcmp0 (atk_object_get_description (accessible), description) != 0)
            atk_object_set_description (accessible, description);
        }
      gtk_widget_set_visible (row->button, domain != NULL);
    }
  gtk_widget_set_visible (self->busy_empty_label, shown == 0);
}

static gboolean
update_domains (gpointer user_data)
{
  DomusHostCard *self = user_data;

  self->update_source = 0;
  update_counts (self);
  update_busy (self);
  return G_SOURCE_REMOVE;
}

/* Counting and sorting the host's domains per domain's event made a burst of events
 * (a listing, a host's domains all changing state) cost the square of their number: the
 * card is brought up to date once, when the burst is over and before the next redraw
 * (GTK draws at G_PRIORITY_HIGH_IDLE + 20). */
static void
queue_update (DomusHostCard *self)
{
  if (self->update_source != 0)
    return;
  self->update_source = g_idle_add_full (G_PRIORITY_HIGH_IDLE + 10, update_domains, self, NULL);
  g_source_set_name_by_id (self->update_source, "[domus] host card");
}

static void
on_domain_state (DomusDomain   *domain,
                 GParamSpec    *pspec,
                 DomusHostCard *self)
{
  queue_update (self);
}

static void
unwatch_domains (DomusHostCard *self)
{
  for (guint i = 0; i < self->watched->len; i++)
    g_signal_handlers_disconnect_by_func (g_ptr_array_index (self->watched, i), on_domain_state, self);
  g_ptr_array_set_size (self->watched, 0);
}

static void
on_domains_changed (GListModel    *model,
                    guint          position,
                    guint          removed,
                    guint          added,
                    DomusHostCard *self)
{
  /* Follow the whole list again: a host has tens of domains, not thousands, and a
   * reconnection replaces most of them at once. */
  unwatch_domains (self);
  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      DomusDomain *domain = g_list_model_get_item (model, i);

      g_ptr_array_add (self->watched, domain);
      g_signal_connect_object (domain, "notify::state", G_CALLBACK (on_domain_state), self, 0);
    }
  queue_update (self);
}

/* The host's signals */

static void
on_host_notify (DomusHost     *host,
                GParamSpec    *pspec,
                DomusHostCard *self)
{
  const char *name = g_param_spec_get_name (pspec);

  if (g_str_equal (name, "name"))
    update_name (self);
  else if (g_str_equal (name, "state") || g_str_equal (name, "error"))
    {
      update_state (self);
      summary_changed (self);
    }
  else if (g_str_equal (name, "memory-mib"))
    update_memory_max (self);
}

static void
on_open_alerts (GObject       *alerts,
                GParamSpec    *pspec,
                DomusHostCard *self)
{
  guint n = domus_host_get_n_open_alerts (self->host);
  g_autofree char *text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u open alert", "%u open alerts", n), n);

  gtk_label_set_text (self->alerts_label, text);
  gtk_widget_set_visible (GTK_WIDGET (self->alerts_label), n > 0);
  summary_changed (self);
}

static void
on_stats_updated (DomusHost     *host,
                  DomusHostCard *self)
{
  domus_graph_queue_sample (self->cpu_graph);
  domus_graph_queue_sample (self->memory_graph);
  /* Twenty hosts' samples often arrive in one go: each card sorts once, after them. */
  queue_update (self);
}

/* Clicks */

static void
open_clicked (DomusHostCard *self)
{
  g_signal_emit (self, signals[SIGNAL_ACTIVATE_HOST], 0, self->host);
}

static void
busy_clicked (GtkButton     *button,
              DomusHostCard *self)
{
  for (guint i = 0; i < DOMUS_HOST_CARD_N_BUSY; i++)
    if (self->busy[i].button == GTK_WIDGET (button) && self->busy[i].domain != NULL)
      {
        /* The handler may change the card: hold the domain while it runs. */
        g_autoptr(DomusDomain) domain = g_object_ref (self->busy[i].domain);

        g_signal_emit (self, signals[SIGNAL_OPEN_DOMAIN], 0, domain);
        return;
      }
}

static gboolean
domus_host_card_button_press_event (GtkWidget      *widget,
                                    GdkEventButton *event)
{
  DomusHostCard *self = DOMUS_HOST_CARD (widget);

  /* Buttons inside the card take their own clicks; these reach us from the rest of it. */
  self->pressed = event->type == GDK_BUTTON_PRESS && event->button == GDK_BUTTON_PRIMARY;
  return self->pressed ? GDK_EVENT_STOP : GDK_EVENT_PROPAGATE;
}

static gboolean
domus_host_card_button_release_event (GtkWidget      *widget,
                                      GdkEventButton *event)
{
  DomusHostCard *self = DOMUS_HOST_CARD (widget);
  GtkAllocation allocation;
  gboolean was_pressed = self->pressed;
  gpointer event_widget = NULL;

  self->pressed = FALSE;
  if (!was_pressed || event->button != GDK_BUTTON_PRIMARY)
    return GDK_EVENT_PROPAGATE;

  /* A press dragged off the card is not a click. The press grabbed the pointer for our
   * window, so the release comes in its coordinates. */
  gtk_widget_get_allocation (widget, &allocation);
  gdk_window_get_user_data (event->window, &event_widget);
  if (event_widget != widget
      || (event->x >= 0 && event->y >= 0 && event->x < allocation.width && event->y < allocation.height))
    open_clicked (self);
  return GDK_EVENT_STOP;
}

/* API */

GtkWidget *
domus_host_card_new (DomusHost *host)
{
  g_return_val_if_fail (DOMUS_IS_HOST (host), NULL);
  return g_object_new (DOMUS_TYPE_HOST_CARD, "host", host, NULL);
}

DomusHost *
domus_host_card_get_host (DomusHostCard *self)
{
  g_return_val_if_fail (DOMUS_IS_HOST_CARD (self), NULL);
  return self->host;
}

guint
domus_host_card_get_count (DomusHostCard      *self,
                           DomusHostCardCount  which)
{
  g_return_val_if_fail (DOMUS_IS_HOST_CARD (self), 0);
  g_return_val_if_fail (which < DOMUS_HOST_CARD_N_COUNTS, 0);
  return self->counts[which];
}

DomusHostCardTrouble
domus_host_card_get_trouble (DomusHostCard *self)
{
  g_return_val_if_fail (DOMUS_IS_HOST_CARD (self), DOMUS_HOST_CARD_TROUBLE_NONE);
  return self->trouble;
}

DomusDomain *
domus_host_card_get_busy_domain (DomusHostCard *self,
                                 guint          n)
{
  g_return_val_if_fail (DOMUS_IS_HOST_CARD (self), NULL);
  return n < DOMUS_HOST_CARD_N_BUSY ? self->busy[n].domain : NULL;
}

/* GObject */

static void
domus_host_card_constructed (GObject *object)
{
  DomusHostCard *self = DOMUS_HOST_CARD (object);
  GListModel *domains;

  G_OBJECT_CLASS (domus_host_card_parent_class)->constructed (object);
  g_return_if_fail (self->host != NULL);

  domus_graph_set_history (self->cpu_graph,
                           domus_host_get_history (self->host, DOMUS_HOST_METRIC_CPU_PERCENT),
                           _("CPU"), "%");
  domus_graph_set_max (self->cpu_graph, 100);
  domus_graph_set_history (self->memory_graph,
                           domus_host_get_history (self->host, DOMUS_HOST_METRIC_MEMORY_USED),
                           _("Memory"), "MiB");

  /* The host outlives cards (the dashboard drops cards, the application drops hosts). */
  g_signal_connect_object (self->host, "notify", G_CALLBACK (on_host_notify), self, 0);
  g_signal_connect_object (self->host, "stats-updated", G_CALLBACK (on_stats_updated), self, 0);
  domains = domus_host_get_domains (self->host);
  g_signal_connect_object (domains, "items-changed", G_CALLBACK (on_domains_changed), self, 0);
  g_signal_connect_object (domus_host_get_alerts (self->host), "notify::n-open",
                           G_CALLBACK (on_open_alerts), self, 0);

  update_name (self);
  update_state (self);
  update_memory_max (self);
  on_domains_changed (domains, 0, 0, 0, self);
  /* A new card shows its figures at once. */
  g_clear_handle_id (&self->update_source, g_source_remove);
  update_domains (self);
  on_open_alerts (NULL, NULL, self);
}

static void
domus_host_card_dispose (GObject *object)
{
  DomusHostCard *self = DOMUS_HOST_CARD (object);

  g_clear_handle_id (&self->update_source, g_source_remove);
  if (self->watched != NULL)
    unwatch_domains (self);
  for (guint i = 0; i < DOMUS_HOST_CARD_N_BUSY; i++)
    g_clear_object (&self->busy[i].domain);
  if (self->host != NULL)
    {
      g_signal_handlers_disconnect_by_data (domus_host_get_domains (self->host), self);
      g_signal_handlers_disconnect_by_data (domus_host_get_alerts (self->host), self);
      g_signal_handlers_disconnect_by_data (self->host, self);
      g_clear_object (&self->host);
    }

  G_OBJECT_CLASS (domus_host_card_parent_class)->dispose (object);
}

static void
domus_host_card_finalize (GObject *object)
{
  DomusHostCard *self = DOMUS_HOST_CARD (object);

  g_clear_pointer (&self->watched, g_ptr_array_unref);

  G_OBJECT_CLASS (domus_host_card_parent_class)->finalize (object);
}

static void
domus_host_card_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  DomusHostCard *self = DOMUS_HOST_CARD (object);

  switch (prop_id)
    {
    case PROP_HOST: g_value_set_object (value, self->host); break;
    case PROP_TROUBLE: g_value_set_uint (value, self->trouble); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
domus_host_card_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  DomusHostCard *self = DOMUS_HOST_CARD (object);

  switch (prop_id)
    {
    case PROP_HOST: self->host = g_value_dup_object (value); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
domus_host_card_class_init (DomusHostCardClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = domus_host_card_constructed;
  object_class->dispose = domus_host_card_dispose;
  object_class->finalize = domus_host_card_finalize;
  object_class->get_property = domus_host_card_get_property;
  object_class->set_property = domus_host_card_set_property;

  widget_class->button_press_event = domus_host_card_button_press_event;
  widget_class->button_release_event = domus_host_card_button_release_event;

  properties[PROP_HOST] =
    g_param_spec_object ("host", NULL, NULL, DOMUS_TYPE_HOST,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  /* A DomusHostCardTrouble; notified when it changes, which is when the order changes. */
  properties[PROP_TROUBLE] =
    g_param_spec_uint ("trouble", NULL, NULL, DOMUS_HOST_CARD_TROUBLE_NONE, DOMUS_HOST_CARD_TROUBLE_UNREACHABLE,
                       DOMUS_HOST_CARD_TROUBLE_NONE,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNAL_SUMMARY_CHANGED] =
    g_signal_new ("summary-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_ACTIVATE_HOST] =
    g_signal_new ("activate-host", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, DOMUS_TYPE_HOST);
  signals[SIGNAL_OPEN_DOMAIN] =
    g_signal_new ("open-domain", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, DOMUS_TYPE_DOMAIN);

  g_type_ensure (DOMUS_TYPE_GRAPH);
  gtk_widget_class_set_template_from_resource (widget_class, "/org/domus/Domus/ui/domus-host-card.ui");
  gtk_widget_class_bind_template_child (widget_class, DomusHostCard, name_label);
  gtk_widget_class_bind_template_child (widget_class, DomusHostCard, state_label);
  gtk_widget_class_bind_template_child (widget_class, DomusHostCard, open_button);
  gtk_widget_class_bind_template_child (widget_class, DomusHostCard, error_label);
  gtk_widget_class_bind_template_child (widget_class, DomusHostCard, cpu_graph);
  gtk_widget_class_bind_template_child (widget_class, DomusHostCard, memory_graph);
  gtk_widget_class_bind_template_child_full (widget_class, "running_label", FALSE,
    G_STRUCT_OFFSET (DomusHostCard, count_labels[DOMUS_HOST_CARD_COUNT_RUNNING]));
  gtk_widget_class_bind_template_child_full (widget_class, "paused_label", FALSE,
    G_STRUCT_OFFSET (DomusHostCard, count_labels[DOMUS_HOST_CARD_COUNT_PAUSED]));
  gtk_widget_class_bind_template_child_full (widget_class, "off_label", FALSE,
    G_STRUCT_OFFSET (DomusHostCard, count_labels[DOMUS_HOST_CARD_COUNT_OFF]));
  gtk_widget_class_bind_template_child_full (widget_class, "other_label", FALSE,
    G_STRUCT_OFFSET (DomusHostCard, count_labels[DOMUS_HOST_CARD_COUNT_OTHER]));
  gtk_widget_class_bind_template_child_full (widget_class, "crashed_label", FALSE,
    G_STRUCT_OFFSET (DomusHostCard, count_labels[DOMUS_HOST_CARD_COUNT_CRASHED]));
  gtk_widget_class_bind_template_child (widget_class, DomusHostCard, alerts_label);
  gtk_widget_class_bind_template_child (widget_class, DomusHostCard, busy_box);
  gtk_widget_class_bind_template_child (widget_class, DomusHostCard, busy_empty_label);
  gtk_widget_class_bind_template_callback (widget_class, open_clicked);
}

static void
domus_host_card_init (DomusHostCard *self)
{
  self->watched = g_ptr_array_new_with_free_func (g_object_unref);
  gtk_widget_init_template (GTK_WIDGET (self));
  /* Shown and hidden as the host changes; a container's show_all must not undo that. */
  gtk_widget_set_no_show_all (GTK_WIDGET (self->error_label), TRUE);
  gtk_widget_set_no_show_all (self->busy_empty_label, TRUE);
  gtk_widget_set_no_show_all (GTK_WIDGET (self->alerts_label), TRUE);
  for (guint i = 0; i < DOMUS_HOST_CARD_N_COUNTS; i++)
    gtk_widget_set_no_show_all (GTK_WIDGET (self->count_labels[i]), TRUE);
  gtk_widget_add_events (GTK_WIDGET (self), GDK_BUTTON_PRESS_MASK | GDK_BUTTON_RELEASE_MASK);

  /* Rows for the busiest domains, made once and relabelled as figures change. */
  for (guint i = 0; i < DOMUS_HOST_CARD_N_BUSY; i++)
    {
      BusyRow *row = &self->busy[i];
      GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);

      row->name_label = GTK_LABEL (gtk_label_new (NULL));
      gtk_label_set_xalign (row->name_label, 0);
      gtk_label_set_ellipsize (row->name_label, PANGO_ELLIPSIZE_END);
      gtk_widget_set_hexpand (GTK_WIDGET (row->name_label), TRUE);
      row->value_label = GTK_LABEL (gtk_label_new (NULL));
      gtk_style_context_add_class (gtk_widget_get_style_context (GTK_WIDGET (row->value_label)), "dim-label");
      gtk_container_add (GTK_CONTAINER (box), GTK_WIDGET (row->name_label));
      gtk_container_add (GTK_CONTAINER (box), GTK_WIDGET (row->value_label));
      gtk_widget_show_all (box);

      row->button = gtk_button_new ();
      gtk_button_set_relief (GTK_BUTTON (row->button), GTK_RELIEF_NONE);
      gtk_container_add (GTK_CONTAINER (row->button), box);
      g_signal_connect (row->button, "clicked", G_CALLBACK (busy_clicked), self);
      gtk_widget_set_no_show_all (row->button, TRUE);
      gtk_container_add (GTK_CONTAINER (self->busy_box), row->button);
    }
}
