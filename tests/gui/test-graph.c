/* SPDX-License-Identifier: GPL-3.0-or-later */
/* DomusGraph's pixels and accessible text, and a DomusHostCard on a real domusd, under Xvfb. */

#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <gtk/gtk.h>

#include "gui-test-util.h"

#include "domus-dashboard.h"
#include "domus-graph.h"
#include "domus-host-card.h"
#include "domus-sparkline-renderer.h"

#define GRAPH_W 400
#define GRAPH_H 200

/* Processes this program starts; ended by PID at the end, and by the kernel if we die. */
static GSubprocess *xvfb;
/* The test guest's folder (vmlinuz, initrd.img): the first argument, when given. */
static const char *guest_dir_arg;

/* Drawing */

static cairo_surface_t *
draw_widget (GtkWidget *widget)
{
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, GRAPH_W, GRAPH_H);
  cairo_t *cr = cairo_create (surface);

  gtk_widget_draw (widget, cr);
  cairo_destroy (cr);
  cairo_surface_flush (surface);
  if (g_getenv ("TEST_GRAPH_PNG") != NULL)
    {
      static int n;
      g_autofree char *path = g_strdup_printf ("%s/graph-%d.png", g_getenv ("TEST_GRAPH_PNG"), n++);

      cairo_surface_write_to_png (surface, path);
    }
  return surface;
}

static guint8
alpha_at (cairo_surface_t *surface,
          int              x,
          int              y)
{
  const guint8 *data = cairo_image_surface_get_data (surface);
  guint32 pixel = *(const guint32 *) (data + y * cairo_image_surface_get_stride (surface) + x * 4);

  return pixel >> 24;
}

/* How many pixels of column x, rows y0 to y1, something was drawn on. */
static int
painted_in_column (cairo_surface_t *surface,
                   int              x,
                   int              y0,
                   int              y1)
{
  int n = 0;

  for (int y = y0; y < y1; y++)
    n += alpha_at (surface, x, y) > 0;
  return n;
}

static int
painted_in_rect (cairo_surface_t *surface,
                 int              x0,
                 int              y0,
                 int              x1,
                 int              y1)
{
  int n = 0;

  for (int x = x0; x < x1; x++)
    n += painted_in_column (surface, x, y0, y1);
  return n;
}

static GtkWidget *
graph_in_window (GtkWidget **window)
{
  GtkWidget *graph = domus_graph_new ();

  *window = gtk_offscreen_window_new ();
  gtk_widget_set_size_request (graph, GRAPH_W, GRAPH_H);
  gtk_container_add (GTK_CONTAINER (*window), graph);
  gtk_widget_show_all (*window);
  while (gtk_events_pending ())
    gtk_main_iteration ();
  g_assert_cmpint (gtk_widget_get_allocated_width (graph), ==, GRAPH_W);
  g_assert_cmpint (gtk_widget_get_allocated_height (graph), ==, GRAPH_H);
  return graph;
}

/* 60 one-second samples: 10 % for the older half, 90 % for the newer. */
static DomusStatsHistory *
low_then_high (void)
{
  DomusStatsHistory *history = domus_stats_history_new (600);
  gint64 start = 1000 * G_USEC_PER_SEC;

  for (int i = 0; i < 60; i++)
    domus_stats_history_push (history, start + i * G_USEC_PER_SEC, i < 30 ? 10 : 90);
  return history;
}

static void
test_graph_fill (void)
{
  g_autoptr(DomusStatsHistory) history = low_then_high ();
  GtkWidget *window;
  DomusGraph *graph = DOMUS_GRAPH (graph_in_window (&window));
  cairo_surface_t *surface;
  int band_top = GRAPH_H * 35 / 100, band_bottom = GRAPH_H * 65 / 100;
  int low_x = GRAPH_W * 30 / 100, high_x = GRAPH_W * 85 / 100;

  domus_graph_set_history (graph, history, "CPU", "%");
  domus_graph_set_range (graph, 60);
  domus_graph_set_max (graph, 100);
  g_assert_null (domus_graph_get_empty_reason (graph));
  surface = draw_widget (GTK_WIDGET (graph));

  /* The middle band lies above 10 % and below 90 %: filled under the high half, empty under
   * the low half but for the one grid line at 50 %. */
  g_assert_cmpint (painted_in_column (surface, high_x, band_top, band_bottom), ==, band_bottom - band_top);
  g_assert_cmpint (painted_in_column (surface, low_x, band_top, band_bottom), <=, 2);
  /* Near the baseline both halves are filled. */
  g_assert_cmpint (painted_in_column (surface, low_x, GRAPH_H * 84 / 100, GRAPH_H * 88 / 100), ==, GRAPH_H * 4 / 100);
  g_assert_cmpint (painted_in_column (surface, high_x, GRAPH_H * 84 / 100, GRAPH_H * 88 / 100), ==, GRAPH_H * 4 / 100);
  cairo_surface_destroy (surface);

  /* A flat zero fills nothing above the baseline. */
  domus_stats_history_clear (history);
  for (int i = 0; i < 60; i++)
    domus_stats_history_push (history, (1000 + i) * G_USEC_PER_SEC, 0);
  domus_graph_queue_update (graph);
  surface = draw_widget (GTK_WIDGET (graph));
  g_assert_cmpint (painted_in_column (surface, high_x, band_top, band_bottom), <=, 2);
  cairo_surface_destroy (surface);

  gtk_widget_destroy (window);
}

static void
test_graph_empty (void)
{
  g_autoptr(DomusStatsHistory) history = domus_stats_history_new (10);
  GtkWidget *window;
  DomusGraph *graph = DOMUS_GRAPH (graph_in_window (&window));
  cairo_surface_t *surface;
  int middle_x0 = GRAPH_W / 5, middle_x1 = GRAPH_W * 4 / 5;
  int middle_y0 = GRAPH_H * 2 / 5, middle_y1 = GRAPH_H * 3 / 5;

  domus_graph_set_history (graph, history, "Memory", "MiB");
  g_assert_cmpstr (domus_graph_get_empty_reason (graph), ==, "No data yet");
  surface = draw_widget (GTK_WIDGET (graph));
  /* The reason is written across the middle (text, not a blank). */
  g_assert_cmpint (painted_in_rect (surface, middle_x0, middle_y0, middle_x1, middle_y1), >, 50);
  cairo_surface_destroy (surface);

  domus_graph_set_empty_text (graph, "Not connected");
  g_assert_cmpstr (domus_graph_get_empty_reason (graph), ==, "Not connected");
  g_assert_cmpstr (atk_object_get_description (gtk_widget_get_accessible (GTK_WIDGET (graph))), ==,
                   "Not connected");

  /* Without a history at all, only the title and the words are drawn. */
  domus_graph_set_history (graph, NULL, "Memory", "MiB");
  surface = draw_widget (GTK_WIDGET (graph));
  g_assert_cmpint (painted_in_rect (surface, middle_x0, middle_y0, middle_x1, middle_y1), >, 50);
  cairo_surface_destroy (surface);

  gtk_widget_destroy (window);
}

static void
test_graph_long_range (void)
{
  g_autoptr(DomusStatsHistory) history = low_then_high ();
  GtkWidget *window;
  DomusGraph *graph = DOMUS_GRAPH (graph_in_window (&window));
  cairo_surface_t *surface;
  int bottom_y0 = GRAPH_H * 84 / 100, bottom_y1 = GRAPH_H * 88 / 100;

  domus_graph_set_history (graph, history, "CPU", "%");
  domus_graph_set_max (graph, 100);
  /* A minute of samples on an hour's axis keeps to the right sixtieth: nothing is
   * stretched over time it does not cover. */
  domus_graph_set_range (graph, 3600);
  g_assert_null (domus_graph_get_empty_reason (graph));
  surface = draw_widget (GTK_WIDGET (graph));
  g_assert_cmpint (painted_in_column (surface, GRAPH_W * 85 / 100, bottom_y0, bottom_y1), ==, 0);
  g_assert_cmpint (painted_in_column (surface, GRAPH_W / 2 + 5, bottom_y0, bottom_y1), ==, 0);
  g_assert_cmpint (painted_in_column (surface, GRAPH_W - 8, bottom_y0, bottom_y1), ==, bottom_y1 - bottom_y0);
  cairo_surface_destroy (surface);

  /* A range with no history to draw (no archive) says so in words. */
  domus_graph_set_history (graph, NULL, "CPU", "%");
  domus_graph_set_empty_text (graph, "No archive: not supported");
  g_assert_cmpstr (domus_graph_get_empty_reason (graph), ==, "No archive: not supported");
  g_assert_cmpstr (atk_object_get_description (gtk_widget_get_accessible (GTK_WIDGET (graph))), ==,
                   "No archive: not supported");
  surface = draw_widget (GTK_WIDGET (graph));
  g_assert_cmpint (painted_in_rect (surface, GRAPH_W / 5, GRAPH_H * 2 / 5, GRAPH_W * 4 / 5, GRAPH_H * 3 / 5), >, 50);
  cairo_surface_destroy (surface);

  gtk_widget_destroy (window);
}

static void
test_graph_accessible (void)
{
  g_autoptr(DomusStatsHistory) history = domus_stats_history_new (10);
  GtkWidget *window;
  DomusGraph *graph = DOMUS_GRAPH (graph_in_window (&window));
  AtkObject *accessible = gtk_widget_get_accessible (GTK_WIDGET (graph));

  domus_stats_history_push (history, 1 * G_USEC_PER_SEC, 17);
  domus_stats_history_push (history, 2 * G_USEC_PER_SEC, 42);
  domus_graph_set_history (graph, history, "CPU", "%");
  g_assert_cmpstr (atk_object_get_name (accessible), ==, "CPU");
  g_assert_cmpstr (atk_object_get_description (accessible), ==, "latest 42 %");

  /* New data reaches the description through queue_update (stats-updated). */
  domus_stats_history_push (history, 3 * G_USEC_PER_SEC, 57);
  g_assert_cmpstr (atk_object_get_description (accessible), ==, "latest 42 %");
  domus_graph_queue_update (graph);
  g_assert_cmpstr (atk_object_get_description (accessible), ==, "latest 57 %");

  /* Memory in MiB reads in GiB once large. */
  domus_stats_history_push (history, 4 * G_USEC_PER_SEC, 1536);
  domus_graph_set_history (graph, history, "Memory", "MiB");
  g_assert_cmpstr (atk_object_get_name (accessible), ==, "Memory");
  g_assert_cmpstr (atk_object_get_description (accessible), ==, "latest 1.5 GiB");

  gtk_widget_destroy (window);
}

static void
test_graph_scale (void)
{
  g_autoptr(DomusStatsHistory) history = domus_stats_history_new (10);
  GtkWidget *graph = g_object_ref_sink (domus_graph_new ());

  domus_graph_set_history (DOMUS_GRAPH (graph), history, "Rate", "B/s");
  domus_stats_history_push (history, 1, 73);
  g_assert_cmpfloat (domus_graph_get_scale_max (DOMUS_GRAPH (graph)), ==, 100);
  domus_stats_history_push (history, 2, 1300);
  g_assert_cmpfloat (domus_graph_get_scale_max (DOMUS_GRAPH (graph)), ==, 2000);
  domus_stats_history_clear (history);
  domus_stats_history_push (history, 3, 0.3);
  g_assert_cmpfloat (domus_graph_get_scale_max (DOMUS_GRAPH (graph)), ==, 0.5);
  domus_stats_history_push (history, 4, 210);
  g_assert_cmpfloat (domus_graph_get_scale_max (DOMUS_GRAPH (graph)), ==, 250);

  /* A fixed top holds unless the data goes over it. */
  domus_graph_set_max (DOMUS_GRAPH (graph), 400);
  g_assert_cmpfloat (domus_graph_get_scale_max (DOMUS_GRAPH (graph)), ==, 400);
  domus_stats_history_push (history, 5, 700);
  g_assert_cmpfloat (domus_graph_get_scale_max (DOMUS_GRAPH (graph)), ==, 1000);

  gtk_widget_destroy (graph);
  g_object_unref (graph);
}

/* A card on a real daemon */

static void
collect_labels (GtkWidget *widget,
                gpointer   user_data)
{
  GPtrArray *texts = user_data;

  if (GTK_IS_LABEL (widget) && gtk_widget_is_drawable (widget))
    g_ptr_array_add (texts, g_strdup (gtk_label_get_text (GTK_LABEL (widget))));
  if (GTK_IS_CONTAINER (widget))
    gtk_container_forall (GTK_CONTAINER (widget), collect_labels, texts);
}

static gboolean
shows_label (GtkWidget  *widget,
             const char *text)
{
  g_autoptr(GPtrArray) texts = g_ptr_array_new_with_free_func (g_free);

  collect_labels (widget, texts);
  for (guint i = 0; i < texts->len; i++)
    if (g_str_equal (g_ptr_array_index (texts, i), text))
      return TRUE;
  return FALSE;
}

static void
find_by_accessible_name (GtkWidget *widget,
                         gpointer   user_data)
{
  gpointer *found = user_data;

  if (*found != NULL)
    return;
  if (GTK_IS_BUTTON (widget)
      && g_strcmp0 (atk_object_get_name (gtk_widget_get_accessible (widget)), found[1]) == 0)
    {
      found[0] = widget;
      return;
    }
  if (GTK_IS_CONTAINER (widget))
    gtk_container_forall (GTK_CONTAINER (widget), find_by_accessible_name, found);
}

static void
find_graphs (GtkWidget *widget,
             gpointer   user_data)
{
  if (DOMUS_IS_GRAPH (widget))
    g_ptr_array_add (user_data, widget);
  else if (GTK_IS_CONTAINER (widget))
    gtk_container_forall (GTK_CONTAINER (widget), find_graphs, user_data);
}

static void
write_config (const char *dir,
              const char *name)
{
  g_autofree char *path = g_strdup_printf ("%s/%s.cfg", dir, name);
  g_autofree char *text = g_strdup_printf ("name = '%s'\nkernel = '/nonexistent/vmlinuz'\n"
                                           "memory = 64\nvcpus = 1\n", name);
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, text, -1, &error);
  g_assert_no_error (error);
}

static void
count_signal (gpointer  instance,
              gpointer  argument,
              gpointer  user_data)
{
  GPtrArray *seen = user_data;

  g_ptr_array_add (seen, argument);
}

static void
on_stats_updated (DomusHost *host,
                  guint     *n)
{
  (*n)++;
}

static void
count_uint (guint *n)
{
  (*n)++;
}

static void
find_flow_box (GtkWidget *widget,
               gpointer   user_data)
{
  GtkWidget **found = user_data;

  if (GTK_IS_FLOW_BOX (widget))
    *found = widget;
  else if (*found == NULL && GTK_IS_CONTAINER (widget))
    gtk_container_forall (GTK_CONTAINER (widget), find_flow_box, user_data);
}

/* Samples that change no count, state or alert are news for the graphs only: the card says
 * nothing, so the dashboard neither works its summary out again nor sorts and lays its cards
 * out again (with twenty hosts each host's sample did both, several times a second). The
 * graphs are drawn again at most once a second, however often samples come (here five a
 * second): with twenty hosts sampling in their own phases they go to the screen together. */
static void
check_samples_leave_layout (GtkWidget *dashboard,
                            GtkWidget *card,
                            GtkWidget *graph,
                            guint     *stats)
{
  GtkWidget *flow_box = NULL;
  guint summaries = 0, allocations = 0, draws = 0;
  guint until = *stats + 10;
  gint64 start = g_get_monotonic_time ();
  double seconds;
  gulong handlers[3];

  find_flow_box (dashboard, &flow_box);
  g_assert_nonnull (flow_box);
  handlers[0] = g_signal_connect_swapped (card, "summary-changed", G_CALLBACK (count_uint), &summaries);
  handlers[1] = g_signal_connect_swapped (flow_box, "size-allocate", G_CALLBACK (count_uint), &allocations);
  handlers[2] = g_signal_connect_swapped (graph, "draw", G_CALLBACK (count_uint), &draws);
  GUI_TEST_WAIT_FOR (*stats >= until);
  /* One more main-loop turn for what a sample queued (the card's update, a layout, a frame). */
  GUI_TEST_WAIT_FOR (*stats >= until + 1);
  seconds = (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;
  g_assert_cmpuint (allocations, ==, 0);
  g_assert_cmpuint (summaries, ==, 0);
  /* Eleven samples took two seconds or more: drawn at least once (the clock's first turn
   * comes within 1.75 s), and at most once per second begun, not once per sample. */
  g_test_message ("11 samples in %.1f s: the graph drawn %u times", seconds, draws);
  g_assert_cmpuint (draws, >, 0);
  g_assert_cmpuint (draws, <=, (guint) seconds + 2);
  g_signal_handler_disconnect (card, handlers[0]);
  g_signal_handler_disconnect (flow_box, handlers[1]);
  g_signal_handler_disconnect (graph, handlers[2]);
}

static void
store_result (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

/* Runs the main context until a call from the test has answered. */
static GAsyncResult *
wait_result (GAsyncResult **result)
{
  while (*result == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *result;
}

/* The host defines (start FALSE) or creates a domain, as the test asks it from the side. */
static void
define_on_host (DomusHost  *host,
                const char *config,
                const char *filename,
                gboolean    start)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DomusDomainInfo) info = NULL;

  if (start)
    domus_host_create_domain_async (host, config, filename, NULL, store_result, &result);
  else
    domus_host_define_domain_async (host, config, filename, NULL, store_result, &result);
  info = domus_host_define_domain_finish (host, wait_result (&result), &error);
  g_assert_no_error (error);
}

static void
destroy_on_host (DomusHost  *host,
                 const char *name)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  domus_host_domain_action_async (host, name, DOMUS_DOMAIN_ACTION_DESTROY, DOMUS_DOMAIN_ACTION_FLAGS_NONE,
                                  NULL, store_result, &result);
  domus_host_domain_action_finish (host, wait_result (&result), NULL, &error);
  g_assert_no_error (error);
}

/* A primary-button click on the card's own input window at (x, y), as the user makes it
 * anywhere but on a button. */
static void
click_card (GtkWidget *card,
            double     x,
            double     y)
{
  GdkWindow *input = NULL;
  GdkEventType types[] = { GDK_BUTTON_PRESS, GDK_BUTTON_RELEASE };

  for (GList *l = gdk_window_peek_children (gtk_widget_get_window (card)); l != NULL; l = l->next)
    {
      gpointer user_data = NULL;

      gdk_window_get_user_data (l->data, &user_data);
      if (user_data == card)
        input = l->data;
    }
  g_assert_nonnull (input);

  for (guint i = 0; i < G_N_ELEMENTS (types); i++)
    {
      GdkEvent *event = gdk_event_new (types[i]);

      event->button.window = g_object_ref (input);
      event->button.button = GDK_BUTTON_PRIMARY;
      event->button.x = x;
      event->button.y = y;
      gdk_event_set_device (event, gdk_seat_get_pointer (gdk_display_get_default_seat (gdk_display_get_default ())));
      gtk_widget_event (card, event);
      gdk_event_free (event);
    }
}

static void
test_host_card (void)
{
  const char *build_dir = g_getenv ("DOMUS_BUILD_DIR");
  g_autofree char *domusd = NULL;
  g_autofree char *root = NULL;
  g_autofree char *domains = NULL;
  g_autofree char *conf = NULL;
  g_autofree char *uri = NULL;
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) daemon = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DomusHost) host = NULL;
  g_autoptr(GPtrArray) opened = g_ptr_array_new ();
  g_autoptr(GPtrArray) graphs = g_ptr_array_new ();
  gpointer found[2] = { NULL, "Open graph-test-host" };
  GtkWidget *window, *dashboard, *card;
  guint stats = 0;
  const char *guest_dir = guest_dir_arg;

  if (build_dir == NULL)
    {
      g_test_skip ("DOMUS_BUILD_DIR is not set");
      return;
    }
  domusd = g_build_filename (build_dir, "hvcore", "domusd", NULL);
  root = g_dir_make_tmp ("domus-test-graph-XXXXXX", &error);
  g_assert_no_error (error);
  domains = g_build_filename (root, "domains", NULL);
  g_assert_cmpint (g_mkdir (domains, 0700), ==, 0);
  write_config (domains, "alpha");
  write_config (domains, "beta");
  /* No disk or memory alert on a full machine: an alert would change the card's summary. */
  conf = g_build_filename (root, "domusd.conf", NULL);
  g_file_set_contents (conf, "[alerts]\ndisk-percent=0\nmemory-percent=0\n", -1, &error);
  g_assert_no_error (error);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_subprocess_launcher_set_child_setup (launcher, gui_test_die_with_parent, NULL, NULL);
  g_subprocess_launcher_setenv (launcher, "DOMUS_ACCEL", "tcg", TRUE);
  daemon = g_subprocess_launcher_spawn (launcher, &error, domusd, "--root", root, "--name", "graph-test-host",
                                        "--stats-interval", "200", NULL);
  g_assert_no_error (error);

  /* The card goes on the dashboard, whose signals the window uses. */
  window = gtk_offscreen_window_new ();
  dashboard = domus_dashboard_new ();
  gtk_widget_set_size_request (dashboard, 800, 600);
  gtk_container_add (GTK_CONTAINER (window), dashboard);
  gtk_widget_show_all (window);
  g_assert_true (shows_label (dashboard, "No servers yet — add one with the + button"));

  uri = g_strdup_printf ("unix:%s/domusd.sock", root);
  host = domus_host_new (uri);
  domus_host_set_retry_delay_ms (host, 100);
  g_signal_connect (host, "stats-updated", G_CALLBACK (on_stats_updated), &stats);
  domus_dashboard_add_host (DOMUS_DASHBOARD (dashboard), host);
  domus_dashboard_add_host (DOMUS_DASHBOARD (dashboard), host);
  g_assert_cmpuint (domus_dashboard_get_n_hosts (DOMUS_DASHBOARD (dashboard)), ==, 1);
  card = domus_dashboard_get_card (DOMUS_DASHBOARD (dashboard), host);
  g_assert_true (DOMUS_IS_HOST_CARD (card));
  g_assert_false (shows_label (dashboard, "No servers yet — add one with the + button"));
  g_signal_connect (dashboard, "open-host", G_CALLBACK (count_signal), opened);

  domus_host_connect (host);
  GUI_TEST_WAIT_FOR (domus_host_get_state (host) == DOMUS_HOST_STATE_CONNECTED);
  GUI_TEST_WAIT_FOR (domus_host_card_get_count (DOMUS_HOST_CARD (card), DOMUS_HOST_CARD_COUNT_OFF) == 2);

  /* What the user reads: the daemon's name, its state, the domains by state. */
  g_assert_true (shows_label (card, "graph-test-host"));
  g_assert_true (shows_label (card, "Connected"));
  g_assert_true (shows_label (card, "2 off"));
  g_assert_true (shows_label (card, "0 running"));
  g_assert_true (shows_label (card, "No domain is running"));
  g_assert_cmpstr (atk_object_get_name (gtk_widget_get_accessible (card)), ==, "graph-test-host");
  g_assert_null (domus_host_card_get_busy_domain (DOMUS_HOST_CARD (card), 0));

  /* The graphs follow the samples. */
  GUI_TEST_WAIT_FOR (stats >= 3);
  find_graphs (card, graphs);
  g_assert_cmpuint (graphs->len, ==, 2);
  for (guint i = 0; i < graphs->len; i++)
    {
      DomusGraph *graph = g_ptr_array_index (graphs, i);

      g_assert_cmpuint (domus_stats_history_get_length (domus_graph_get_history (graph)), >, 0);
      g_assert_true (g_str_has_prefix (atk_object_get_description (gtk_widget_get_accessible (GTK_WIDGET (graph))),
                                       "latest "));
    }
  g_assert_cmpfloat (domus_graph_get_max (g_ptr_array_index (graphs, 0)), ==, 100);
  g_assert_cmpfloat (domus_graph_get_max (g_ptr_array_index (graphs, 1)), ==,
                     (double) domus_host_get_memory_mib (host));
  check_samples_leave_layout (dashboard, card, g_ptr_array_index (graphs, 0), &stats);

  /* A domain defined while we watch is counted. */
  define_on_host (host, "name = 'gamma'\nkernel = '/nonexistent/vmlinuz'\nmemory = 64\n", "gamma.cfg", FALSE);
  GUI_TEST_WAIT_FOR (domus_host_card_get_count (DOMUS_HOST_CARD (card), DOMUS_HOST_CARD_COUNT_OFF) == 3);
  g_assert_true (shows_label (card, "3 off"));

  /* A running guest is counted and listed among the busiest; clicking it opens it. */
  if (guest_dir != NULL)
    {
      g_autofree char *config = g_strdup_printf ("name = 'delta'\nkernel = '%s/vmlinuz'\n"
                                                 "ramdisk = '%s/initrd.img'\nmemory = 128\nvcpus = 1\n",
                                                 guest_dir, guest_dir);
      g_autoptr(GPtrArray) domains_opened = g_ptr_array_new ();
      gpointer row[2] = { NULL, "delta" };
      DomusDomain *delta;

      g_signal_connect (dashboard, "open-domain", G_CALLBACK (count_signal), domains_opened);
      define_on_host (host, config, "delta.cfg", TRUE);
      GUI_TEST_WAIT_FOR (domus_host_card_get_count (DOMUS_HOST_CARD (card), DOMUS_HOST_CARD_COUNT_RUNNING) == 1);
      GUI_TEST_WAIT_FOR (domus_host_card_get_busy_domain (DOMUS_HOST_CARD (card), 0) != NULL);
      delta = domus_host_card_get_busy_domain (DOMUS_HOST_CARD (card), 0);
      g_assert_cmpstr (domus_domain_get_name (delta), ==, "delta");
      g_assert_null (domus_host_card_get_busy_domain (DOMUS_HOST_CARD (card), 1));
      g_assert_true (shows_label (card, "1 running"));
      g_assert_true (shows_label (card, "delta"));
      g_assert_false (shows_label (card, "No domain is running"));

      find_by_accessible_name (card, row);
      g_assert_nonnull (row[0]);
      gtk_button_clicked (GTK_BUTTON (row[0]));
      g_assert_cmpuint (domains_opened->len, ==, 1);
      g_assert_true (g_ptr_array_index (domains_opened, 0) == delta);

      /* A guest outlives its daemon: end it through the daemon first. */
      destroy_on_host (host, "delta");
      GUI_TEST_WAIT_FOR (domus_host_card_get_count (DOMUS_HOST_CARD (card), DOMUS_HOST_CARD_COUNT_RUNNING) == 0);
      GUI_TEST_WAIT_FOR (domus_host_card_get_busy_domain (DOMUS_HOST_CARD (card), 0) == NULL);
      g_assert_true (shows_label (card, "No domain is running"));
    }
  else
    g_test_message ("no test guest: the busiest domains are not checked");

  /* Open reaches the window through the dashboard, with the host; so does a click on the
   * card itself, but not a press dragged off it. */
  find_by_accessible_name (card, found);
  g_assert_nonnull (found[0]);
  gtk_button_clicked (GTK_BUTTON (found[0]));
  g_assert_cmpuint (opened->len, ==, 1);
  g_assert_true (g_ptr_array_index (opened, 0) == host);
  click_card (card, 20, 20);
  g_assert_cmpuint (opened->len, ==, 2);
  g_assert_true (g_ptr_array_index (opened, 1) == host);
  click_card (card, -30, 20);
  g_assert_cmpuint (opened->len, ==, 2);

  /* The daemon goes: the card says so, with the reason. */
  gui_test_end_process (&daemon);
  GUI_TEST_WAIT_FOR (domus_host_get_state (host) != DOMUS_HOST_STATE_CONNECTED);
  GUI_TEST_WAIT_FOR (domus_host_get_error (host) != NULL);
  g_assert_false (shows_label (card, "Connected"));
  g_assert_true (shows_label (card, domus_host_get_error (host)->message));

  domus_dashboard_remove_host (DOMUS_DASHBOARD (dashboard), host);
  g_assert_cmpuint (domus_dashboard_get_n_hosts (DOMUS_DASHBOARD (dashboard)), ==, 0);
  g_assert_true (shows_label (dashboard, "No servers yet — add one with the + button"));
  domus_host_disconnect (host);
  gtk_widget_destroy (window);

  gui_test_remove_tree (root);
}

/* The sidebar's sparkline: the last minute, low on the left, high on the right. */
static void
test_sparkline (void)
{
  g_autoptr(DomusStatsHistory) history = domus_stats_history_new (120);
  g_autoptr(GtkCellRenderer) cell = g_object_ref_sink (domus_sparkline_renderer_new ());
  GtkWidget *window = gtk_offscreen_window_new ();
  GtkWidget *label = gtk_label_new ("x");
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, 60, 20);
  cairo_t *cr = cairo_create (surface);
  GdkRectangle area = { 0, 0, 60, 20 };
  gint64 now = 1000 * G_USEC_PER_SEC;
  int xpad, ypad;

  gtk_container_add (GTK_CONTAINER (window), label);
  gtk_widget_show_all (window);
  /* 80 s of samples: the first 20 s fall outside the minute and must not be drawn. */
  for (int i = 80; i >= 0; i--)
    domus_stats_history_push (history, now - (gint64) i * G_USEC_PER_SEC, i > 10 ? 5.0 : 95.0);
  g_object_set (cell, "history", history, "max", 100.0, NULL);
  gtk_cell_renderer_get_padding (cell, &xpad, &ypad);
  gtk_cell_renderer_render (cell, cr, label, &area, &area, 0);
  cairo_surface_flush (surface);

  /* 48 pixels wide from the left padding: the last 10 s (95 %) are the right sixth,
     near the top; the 50 s before (5 %) near the bottom. */
  g_assert_cmpint (painted_in_rect (surface, 44, 0, 50, 8), >, 0);
  g_assert_cmpint (painted_in_rect (surface, 44, 14, 50, 20), ==, 0);
  g_assert_cmpint (painted_in_rect (surface, 5, 14, 38, 20), >, 0);
  g_assert_cmpint (painted_in_rect (surface, 5, 0, 38, 8), ==, 0);
  /* Nothing right of the newest sample. */
  g_assert_cmpint (painted_in_rect (surface, 52, 0, 60, 20), ==, 0);

  /* No history: nothing at all. */
  cairo_set_operator (cr, CAIRO_OPERATOR_CLEAR);
  cairo_paint (cr);
  cairo_set_operator (cr, CAIRO_OPERATOR_OVER);
  g_object_set (cell, "history", NULL, NULL);
  gtk_cell_renderer_render (cell, cr, label, &area, &area, 0);
  cairo_surface_flush (surface);
  g_assert_cmpint (painted_in_rect (surface, 0, 0, 60, 20), ==, 0);

  cairo_destroy (cr);
  cairo_surface_destroy (surface);
  gtk_widget_destroy (window);
}

int
main (int   argc,
      char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);
  if (argc > 1 && g_file_test (argv[1], G_FILE_TEST_IS_DIR))
    guest_dir_arg = argv[1];
  /* In-process ATK is what we check; no accessibility bus under this Xvfb. */
  g_setenv ("NO_AT_BRIDGE", "1", TRUE);
  g_setenv ("GDK_BACKEND", "x11", TRUE);
  g_setenv ("GTK_THEME", "Adwaita", TRUE);
  xvfb = gui_test_start_xvfb ();
  gtk_init (&argc, &argv);

  g_test_add_func ("/graph/fill", test_graph_fill);
  g_test_add_func ("/graph/empty", test_graph_empty);
  g_test_add_func ("/graph/long-range", test_graph_long_range);
  g_test_add_func ("/graph/accessible", test_graph_accessible);
  g_test_add_func ("/graph/scale", test_graph_scale);
  g_test_add_func ("/graph/sparkline", test_sparkline);
  g_test_add_func ("/host-card/daemon", test_host_card);
  status = g_test_run ();

  gui_test_end_process (&xvfb);
  return status;
}
