/* SPDX-License-Identifier: GPL-3.0-or-later */
/* DomusConsole against a real domusd and test guest (run by test-console.py under Xvfb). */

#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <glib/gstdio.h>
#include <gtk/gtk.h>

#include "gui-test-util.h"
#include <vncdisplay.h>

#include "domus-console.h"
#include "domus-console-notebook.h"
#include "domus-host.h"

/* Usage: test-console URI DOMAIN CONFIG_FILE SHOT_DIR SERIAL_LOG
 * Prints "ok - …" / "not ok - …" lines; test-console.py numbers them. SERIAL_LOG is the
 * guest's serial port, where its init echoes the lines typed on its screen ("key: …") and
 * says "domus-test-guest ctrl-alt-del" (docs/test-guest.md). */

static void
diag (const char *format,
      ...) G_GNUC_PRINTF (1, 2);

static void
diag (const char *format,
      ...)
{
  va_list args;
  g_autofree char *text = NULL;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  printf ("# %s\n", text);
  fflush (stdout);
}

static gboolean
wake_up (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

static void run_for (guint ms);

/* Runs the main loop until predicate holds or timeout_ms pass; whether it holds. Between
 * two questions the loop runs at least 20 ms, and at least as long as the last question
 * took: some (a screenshot saved and read back) cost more than many iterations, and asking
 * at each one starved gtk-vnc, which reads a screen update a few KiB per iteration (on a
 * loaded machine the first picture then never came). */
static gboolean
wait_for (gboolean (*predicate) (gpointer),
          gpointer  data,
          guint     timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  for (;;)
    {
      gint64 asked = g_get_monotonic_time ();
      gint64 cost_ms;

      if (predicate (data))
        return TRUE;
      if (g_get_monotonic_time () >= deadline)
        return FALSE;
      cost_ms = (g_get_monotonic_time () - asked) / 1000;
      run_for ((guint) MAX (20, cost_ms));
    }
}

static void
run_for (guint ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) ms * 1000;
  guint tick = g_timeout_add (20, wake_up, NULL);

  while (g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (tick);
}

typedef struct {
  DomusHost    *host;
  DomusConsole *console;
  const char   *name;
  guint         initialized;         /* vnc-initialized, over every display the console made */
  guint         disconnected;        /* times the state became DISCONNECTED */
  char         *first_disconnect;    /* the status said then */
  GAsyncResult *reply;
} Fixture;

static void
vnc_initialized_cb (GtkWidget *display,
                    Fixture   *f)
{
  f->initialized++;
  diag ("vnc-initialized (%u), %dx%d", f->initialized,
        vnc_display_get_width (VNC_DISPLAY (display)),
        vnc_display_get_height (VNC_DISPLAY (display)));
}

static void
display_changed_cb (DomusConsole *console,
                    GParamSpec   *pspec,
                    Fixture      *f)
{
  GtkWidget *display = domus_console_get_display (console);

  if (display != NULL)
    g_signal_connect (display, "vnc-initialized", G_CALLBACK (vnc_initialized_cb), f);
}

static void
state_changed_cb (DomusConsole *console,
                  GParamSpec   *pspec,
                  Fixture      *f)
{
  DomusConsoleState state = domus_console_get_state (console);

  diag ("console state %d: %s", state, domus_console_get_status (console));
  if (state == DOMUS_CONSOLE_STATE_DISCONNECTED)
    {
      f->disconnected++;
      if (f->first_disconnect == NULL)
        f->first_disconnect = g_strdup (domus_console_get_status (console));
    }
}

static void
count_attempts_cb (DomusConsole *console,
                   GParamSpec   *pspec,
                   guint        *attempts)
{
  if (domus_console_get_state (console) == DOMUS_CONSOLE_STATE_CONNECTING)
    (*attempts)++;
}

static gboolean
host_connected (gpointer data)
{
  Fixture *f = data;
  return domus_host_get_state (f->host) == DOMUS_HOST_STATE_CONNECTED;
}

static gboolean
console_connected (gpointer data)
{
  return domus_console_get_state (data) == DOMUS_CONSOLE_STATE_CONNECTED;
}

static gboolean
host_not_connected (gpointer data)
{
  return !host_connected (data);
}

static gboolean
initialized_once (gpointer data)
{
  Fixture *f = data;
  return f->initialized >= 1 && domus_console_get_state (f->console) == DOMUS_CONSOLE_STATE_CONNECTED;
}

static gboolean
initialized_twice (gpointer data)
{
  Fixture *f = data;
  return f->initialized >= 2 && domus_console_get_state (f->console) == DOMUS_CONSOLE_STATE_CONNECTED;
}

static gboolean
was_disconnected (gpointer data)
{
  Fixture *f = data;
  return f->disconnected > 0;
}

static gboolean
replied (gpointer data)
{
  Fixture *f = data;
  return f->reply != NULL;
}

static void
call_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Fixture *f = user_data;

  f->reply = g_object_ref (result);
}

/* Waits for a call of the host's made with call_done_cb; FALSE (said) when it did not answer in time. */
static gboolean
wait_reply (Fixture    *f,
            const char *what,
            guint       timeout_ms)
{
  if (wait_for (replied, f, timeout_ms))
    return TRUE;
  diag ("%s: no answer within %u ms", what, timeout_ms);
  return FALSE;
}

/* Destroys (or creates from config) the domain through the host's typed calls; whether it worked. */
static gboolean
act_on_host (Fixture    *f,
             const char *config,
             guint       timeout_ms)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(DomusDomainInfo) created = NULL;
  g_autofree char *filename = g_strdup_printf ("%s.cfg", f->name);
  gboolean ok;

  g_clear_object (&f->reply);
  if (domus_host_get_state (f->host) != DOMUS_HOST_STATE_CONNECTED)
    {
      diag ("the host is not connected");
      return FALSE;
    }
  if (config != NULL)
    domus_host_create_domain_async (f->host, config, filename, NULL, call_done_cb, f);
  else
    domus_host_domain_action_async (f->host, f->name, DOMUS_DOMAIN_ACTION_DESTROY, DOMUS_DOMAIN_ACTION_FLAGS_NONE,
                                    NULL, call_done_cb, f);
  if (!wait_reply (f, config != NULL ? "create" : "destroy", timeout_ms))
    return FALSE;
  if (config != NULL)
    ok = (created = domus_host_define_domain_finish (f->host, f->reply, &error)) != NULL;
  else
    ok = domus_host_domain_action_finish (f->host, f->reply, NULL, &error);
  if (!ok)
    diag ("%s", error->message);
  return ok;
}

static guint
count_open_fds (void)
{
  g_autoptr(GDir) dir = g_dir_open ("/proc/self/fd", 0, NULL);
  guint n = 0;

  while (dir != NULL && g_dir_read_name (dir) != NULL)
    n++;
  return n;
}

/* How many colours the PNG at path has, counting up to limit; -1 if it does not load. */
static int
count_colours (const char *path,
               int         limit,
               int        *width,
               int        *height)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new_from_file (path, &error);
  g_autoptr(GHashTable) colours = NULL;
  const guint8 *pixels;
  int stride, channels;

  if (pixbuf == NULL)
    {
      diag ("%s: %s", path, error->message);
      return -1;
    }
  *width = gdk_pixbuf_get_width (pixbuf);
  *height = gdk_pixbuf_get_height (pixbuf);
  pixels = gdk_pixbuf_read_pixels (pixbuf);
  stride = gdk_pixbuf_get_rowstride (pixbuf);
  channels = gdk_pixbuf_get_n_channels (pixbuf);
  colours = g_hash_table_new (g_direct_hash, g_direct_equal);
  for (int y = 0; y < *height; y++)
    for (int x = 0; x < *width; x++)
      {
        const guint8 *p = pixels + y * stride + x * channels;
        guint rgb = (p[0] << 16) | (p[1] << 8) | p[2];

        g_hash_table_add (colours, GUINT_TO_POINTER (rgb + 1));
        if ((int) g_hash_table_size (colours) >= limit)
          return limit;
      }
  return g_hash_table_size (colours);
}

typedef struct {
  DomusConsole *console;
  const char   *path;
  int           colours;
  int           width, height;
} Shot;

/* Saves a screenshot and counts its colours: the guest draws text in a moment. */
static gboolean
screen_has_picture (gpointer data)
{
  Shot *shot = data;
  g_autoptr(GError) error = NULL;

  if (!domus_console_save_screenshot (shot->console, shot->path, &error))
    {
      shot->colours = -1;
      return FALSE;
    }
  shot->colours = count_colours (shot->path, 16, &shot->width, &shot->height);
  return shot->colours > 1;
}

static void
send_button (GtkWidget    *widget,
             GdkEventType  type)
{
  GdkEvent *event = gdk_event_new (type);
  GdkSeat *seat = gdk_display_get_default_seat (gtk_widget_get_display (widget));

  event->button.window = g_object_ref (gtk_widget_get_window (widget));
  event->button.time = GDK_CURRENT_TIME;
  event->button.x = 100;
  event->button.y = 100;
  event->button.button = 1;
  gdk_event_set_device (event, gdk_seat_get_pointer (seat));
  gtk_widget_event (widget, event);
  gdk_event_free (event);
}

static void
send_key (GtkWidget       *widget,
          guint            keyval,
          GdkEventType     type,
          GdkModifierType  state)
{
  GdkEvent *event = gdk_event_new (type);
  GdkSeat *seat = gdk_display_get_default_seat (gtk_widget_get_display (widget));
  g_autofree GdkKeymapKey *keys = NULL;
  int n_keys = 0;

  gdk_keymap_get_entries_for_keyval (gdk_keymap_get_for_display (gtk_widget_get_display (widget)),
                                     keyval, &keys, &n_keys);
  event->key.window = g_object_ref (gtk_widget_get_window (widget));
  event->key.time = GDK_CURRENT_TIME;
  event->key.keyval = keyval;
  event->key.state = state;
  event->key.hardware_keycode = n_keys > 0 ? keys[0].keycode : 0;
  gdk_event_set_device (event, gdk_seat_get_keyboard (seat));
  gtk_widget_event (widget, event);
  gdk_event_free (event);
}

typedef struct {
  const char *prefix;
  const char *found;
} LabelSearch;

static void
search_label (GtkWidget *widget,
              gpointer   data)
{
  LabelSearch *search = data;

  if (search->found != NULL)
    return;
  if (GTK_IS_LABEL (widget) && gtk_widget_get_visible (widget) &&
      g_str_has_prefix (gtk_label_get_text (GTK_LABEL (widget)), search->prefix))
    search->found = gtk_label_get_text (GTK_LABEL (widget));
  else if (GTK_IS_CONTAINER (widget))
    gtk_container_forall (GTK_CONTAINER (widget), search_label, search);
}

/* The text of a visible label under root that starts with prefix, or NULL. */
static const char *
find_label (GtkWidget  *root,
            const char *prefix)
{
  LabelSearch search = { prefix, NULL };

  search_label (root, &search);
  return search.found;
}

typedef struct {
  GtkWidget  *root;
  const char *prefix;
  gboolean    present;
} LabelWait;

static gboolean
label_is (gpointer data)
{
  LabelWait *wait = data;
  return (find_label (wait->root, wait->prefix) != NULL) == wait->present;
}

/* GtkFileChooserNative falls back to a GtkFileChooserDialog without a portal. */
static GtkWidget *
find_file_chooser (void)
{
  g_autoptr(GList) toplevels = gtk_window_list_toplevels ();

  for (GList *l = toplevels; l != NULL; l = l->next)
    if (GTK_IS_FILE_CHOOSER_DIALOG (l->data) && gtk_widget_get_visible (l->data))
      return l->data;
  return NULL;
}

static gboolean
file_chooser_shown (gpointer data)
{
  return find_file_chooser () != NULL;
}

static gboolean
png_written (gpointer data)
{
  g_autoptr(GdkPixbuf) pixbuf = NULL;

  if (!g_file_test (data, G_FILE_TEST_EXISTS))
    return FALSE;
  pixbuf = gdk_pixbuf_new_from_file (data, NULL);
  return pixbuf != NULL && gdk_pixbuf_get_width (pixbuf) > 0;
}

typedef struct {
  DomusConsole *console;
  const char   *first_path;
  const char   *later_path;
} Compare;

/* The guest prints a tick every second: a new screenshot differs from the first. */
static gboolean
screen_changed (gpointer data)
{
  Compare *compare = data;
  g_autoptr(GdkPixbuf) first = NULL;
  g_autoptr(GdkPixbuf) later = NULL;
  guint first_size, later_size;
  const guint8 *a, *b;

  if (!domus_console_save_screenshot (compare->console, compare->later_path, NULL))
    return FALSE;
  first = gdk_pixbuf_new_from_file (compare->first_path, NULL);
  later = gdk_pixbuf_new_from_file (compare->later_path, NULL);
  if (first == NULL || later == NULL)
    return FALSE;
  a = gdk_pixbuf_get_pixels_with_length (first, &first_size);
  b = gdk_pixbuf_get_pixels_with_length (later, &later_size);
  return first_size != later_size || memcmp (a, b, first_size) != 0;
}

typedef struct {
  const char *path;
  const char *line;     /* a whole line of the serial log, without its \r\n */
  gsize       from;     /* where to start looking: what was there before does not count */
} SerialWait;

static gsize
serial_size (const char *path)
{
  g_autofree char *text = NULL;
  gsize length = 0;

  if (!g_file_get_contents (path, &text, &length, NULL))
    return 0;
  return length;
}

static gboolean
serial_has_line (gpointer data)
{
  SerialWait *wait = data;
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  gsize length = 0;

  if (!g_file_get_contents (wait->path, &text, &length, NULL) || length <= wait->from)
    return FALSE;
  lines = g_strsplit (text + wait->from, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_strchomp (lines[i]);      /* the tty's \r */
      if (g_str_equal (lines[i], wait->line))
        return TRUE;
    }
  return FALSE;
}

/* Types text into the guest's screen as key clicks, one key after another, as a user would;
 * the keyvals are plain ones the guest's default keymap has without Shift. */
static void
type_text (GtkWidget  *display,
           const char *text)
{
  for (const char *p = text; *p != '\0'; p++)
    {
      guint keyval = *p == '\n' ? GDK_KEY_Return : gdk_unicode_to_keyval ((guchar) *p);

      vnc_display_send_keys_ex (VNC_DISPLAY (display), &keyval, 1, VNC_DISPLAY_KEY_EVENT_CLICK);
      run_for (30);
    }
}

typedef struct {
  GType       type;
  const char *name;
  GtkWidget  *found;
} AccessibleSearch;

static void
search_accessible (GtkWidget *widget,
                   gpointer   data)
{
  AccessibleSearch *search = data;

  if (search->found != NULL)
    return;
  if (G_TYPE_CHECK_INSTANCE_TYPE (widget, search->type) &&
      g_strcmp0 (atk_object_get_name (gtk_widget_get_accessible (widget)), search->name) == 0)
    search->found = widget;
  else if (GTK_IS_CONTAINER (widget))
    gtk_container_forall (GTK_CONTAINER (widget), search_accessible, search);
}

/* The widget of that type under root that a screen reader calls name, or NULL. */
static GtkWidget *
find_accessible (GtkWidget  *root,
                 GType       type,
                 const char *name)
{
  AccessibleSearch search = { type, name, NULL };

  search_accessible (root, &search);
  return search.found;
}

/* Where the toplevel's X window is on the screen and its size. */
static void
window_geometry (GtkWidget    *toplevel,
                 GdkRectangle *area)
{
  GdkWindow *window = gtk_widget_get_window (toplevel);

  *area = (GdkRectangle) { -1, -1, -1, -1 };
  if (window == NULL)
    return;
  gdk_window_get_origin (window, &area->x, &area->y);
  area->width = gdk_window_get_width (window);
  area->height = gdk_window_get_height (window);
}

typedef struct {
  GtkWidget    *widget;
  GdkRectangle  want;
} GeometryWait;

static gboolean
geometry_is (gpointer data)
{
  GeometryWait *wait = data;
  GtkWidget *toplevel = gtk_widget_get_toplevel (wait->widget);
  GdkRectangle area;

  window_geometry (toplevel, &area);
  return area.x == wait->want.x && area.y == wait->want.y &&
         area.width == wait->want.width && area.height == wait->want.height;
}

static void
send_window_key (GtkWidget       *toplevel,
                 guint            keyval,
                 GdkModifierType  state)
{
  GdkEvent *event = gdk_event_new (GDK_KEY_PRESS);
  GdkSeat *seat = gdk_display_get_default_seat (gtk_widget_get_display (toplevel));

  event->key.window = g_object_ref (gtk_widget_get_window (toplevel));
  event->key.time = GDK_CURRENT_TIME;
  event->key.keyval = keyval;
  event->key.state = state;
  gdk_event_set_device (event, gdk_seat_get_keyboard (seat));
  gtk_widget_event (toplevel, event);
  gdk_event_free (event);
}

/* A middle click in the middle of widget, in root coordinates as GDK would report it. */
static void
middle_click (GtkWidget *target,
              GtkWidget *widget)
{
  GdkEvent *event = gdk_event_new (GDK_BUTTON_PRESS);
  GdkSeat *seat = gdk_display_get_default_seat (gtk_widget_get_display (widget));
  GtkAllocation allocation;
  int origin_x, origin_y;

  gtk_widget_get_allocation (widget, &allocation);
  gdk_window_get_origin (gtk_widget_get_window (widget), &origin_x, &origin_y);
  event->button.window = g_object_ref (gtk_widget_get_window (target));
  event->button.time = GDK_CURRENT_TIME;
  event->button.x_root = origin_x + allocation.x + allocation.width / 2;
  event->button.y_root = origin_y + allocation.y + allocation.height / 2;
  event->button.button = GDK_BUTTON_MIDDLE;
  gdk_event_set_device (event, gdk_seat_get_pointer (seat));
  gtk_widget_event (target, event);
  gdk_event_free (event);
}

static gboolean
is_disconnected (gpointer data)
{
  return domus_console_get_state (data) == DOMUS_CONSOLE_STATE_DISCONNECTED;
}

/* The "Send key" menu's item labelled label: its action and target, as the menu would
 * activate them. */
static gboolean
find_menu_item (GMenuModel  *model,
                const char  *label,
                char       **action,
                GVariant   **target)
{
  for (int i = 0; model != NULL && i < g_menu_model_get_n_items (model); i++)
    {
      g_autofree char *item_label = NULL;
      g_autoptr(GMenuModel) section = g_menu_model_get_item_link (model, i, G_MENU_LINK_SECTION);

      if (section != NULL && find_menu_item (section, label, action, target))
        return TRUE;
      if (g_menu_model_get_item_attribute (model, i, G_MENU_ATTRIBUTE_LABEL, "s", &item_label) &&
          g_str_equal (item_label, label))
        {
          g_menu_model_get_item_attribute (model, i, G_MENU_ATTRIBUTE_ACTION, "s", action);
          *target = g_menu_model_get_item_attribute_value (model, i, G_MENU_ATTRIBUTE_TARGET, NULL);
          return *action != NULL;
        }
    }
  return FALSE;
}

static gboolean
is_not_connected (gpointer data)
{
  return domus_console_get_state (data) != DOMUS_CONSOLE_STATE_CONNECTED;
}

int
main (int   argc,
      char *argv[])
{
  Fixture f = { 0 };
  g_autofree char *config = NULL;
  g_autofree char *shot_path = NULL;
  g_autofree char *expected_name = NULL;
  g_autoptr(GError) error = NULL;
  GtkWidget *window, *console, *other;
  GtkWidget *tabs_window;
  DomusConsoleNotebook *tabs;
  DomusConsole *tab_console;
  g_autofree char *expected_title = NULL;
  Shot shot = { 0 };
  gint64 started;
  guint fds_before, fds_after;
  gboolean ok;
  guint attempts = 0;

  gtk_init (&argc, &argv);
  if (argc != 6)
    {
      g_printerr ("usage: %s URI DOMAIN CONFIG_FILE SHOT_DIR SERIAL_LOG\n", argv[0]);
      return 2;
    }
  f.name = argv[2];
  if (!g_file_get_contents (argv[3], &config, NULL, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  g_mkdir_with_parents (argv[4], 0700);
  shot_path = g_build_filename (argv[4], "console.png", NULL);

  f.host = domus_host_new (argv[1]);
  domus_host_set_retry_delay_ms (f.host, 200);
  domus_host_connect (f.host);
  if (!gui_test_check (wait_for (host_connected, &f, 10000), "the host %s is connected", argv[1]))
    return 1;

  /* The console before the window is shown: it opens its stream by itself. */
  window = gtk_window_new (GTK_WINDOW_TOPLEVEL);
  gtk_window_set_default_size (GTK_WINDOW (window), 800, 600);
  console = domus_console_new (f.host, f.name);
  f.console = DOMUS_CONSOLE (console);
  g_signal_connect (console, "notify::display", G_CALLBACK (display_changed_cb), &f);
  g_signal_connect (console, "notify::state", G_CALLBACK (state_changed_cb), &f);
  display_changed_cb (f.console, NULL, &f);
  gtk_container_add (GTK_CONTAINER (window), console);
  gtk_widget_show_all (window);

  started = g_get_monotonic_time ();
  ok = wait_for (initialized_once, &f, 15000);
  gui_test_check (ok, "the VNC display is initialized (after %.2f s)",
         (g_get_monotonic_time () - started) / 1e6);
  gui_test_check (g_strcmp0 (domus_console_get_status (f.console), "Connected") == 0,
         "the status says \"Connected\" (%s)", domus_console_get_status (f.console));

  expected_name = g_strdup_printf ("Console of %s", f.name);
  gui_test_check (g_strcmp0 (atk_object_get_name (gtk_widget_get_accessible (domus_console_get_display (f.console))),
                    expected_name) == 0,
         "the display's accessible name is \"%s\"", expected_name);

  shot.console = f.console;
  shot.path = shot_path;
  wait_for (screen_has_picture, &shot, 15000);
  gui_test_check (shot.colours > 1 && shot.width >= 320 && shot.height >= 200,
         "the screenshot shows the guest's screen: %dx%d, %d colours (counted up to 16)",
         shot.width, shot.height, shot.colours);

  /* The toolbar's way: the file chooser, then an asynchronous save. */
  {
    GActionGroup *actions = gtk_widget_get_action_group (console, "console");
    g_autofree char *chosen = g_build_filename (argv[4], "chosen.png", NULL);
    GtkWidget *chooser;

    g_action_group_activate_action (actions, "screenshot", NULL);
    wait_for (file_chooser_shown, NULL, 5000);
    chooser = find_file_chooser ();
    if (chooser != NULL)
      {
        gtk_file_chooser_set_current_folder (GTK_FILE_CHOOSER (chooser), argv[4]);
        gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), "chosen.png");
        run_for (300);
        gtk_dialog_response (GTK_DIALOG (chooser), GTK_RESPONSE_ACCEPT);
      }
    gui_test_check (chooser != NULL && wait_for (png_written, chosen, 10000),
           "console.screenshot asks where and saves a PNG there");
  }

  /* A click in the screen grabs the pointer (the guest's mouse is relative); the toolbar
   * says so and how to get out; Ctrl+Alt lets go. GDK here has no XTest, and XI2 ignores
   * XSendEvent: the events go to the display widget as GTK would deliver them. */
  {
    GtkWidget *display = domus_console_get_display (f.console);
    LabelWait grabbed = { console, "Keyboard and pointer grabbed: press Ctrl+Alt to release them", TRUE };
    LabelWait released = { console, "Keyboard and pointer grabbed", FALSE };
    const char *hint;

    gtk_window_present (GTK_WINDOW (window));
    run_for (200);
    send_button (display, GDK_BUTTON_PRESS);
    send_button (display, GDK_BUTTON_RELEASE);
    ok = wait_for (label_is, &grabbed, 5000);
    hint = find_label (console, "Keyboard");
    gui_test_check (ok, "after a click the toolbar says \"%s\"", hint ? hint : "(nothing about a grab)");
    send_key (display, GDK_KEY_Control_L, GDK_KEY_PRESS, 0);
    send_key (display, GDK_KEY_Alt_L, GDK_KEY_PRESS, GDK_CONTROL_MASK);
    send_key (display, GDK_KEY_Alt_L, GDK_KEY_RELEASE, GDK_CONTROL_MASK | GDK_MOD1_MASK);
    send_key (display, GDK_KEY_Control_L, GDK_KEY_RELEASE, GDK_CONTROL_MASK);
    ok = wait_for (label_is, &released, 5000);
    hint = find_label (console, "Keyboard");
    gui_test_check (ok, "Ctrl+Alt releases the pointer (the toolbar now says: %s)", hint ? hint : "nothing");
  }

  domus_console_set_scaling (f.console, TRUE);
  gui_test_check (vnc_display_get_scaling (VNC_DISPLAY (domus_console_get_display (f.console))),
         "scaling to fit reaches the display");
  domus_console_set_scaling (f.console, FALSE);

  gui_test_check (domus_console_send_keys (f.console, "ctrl-alt-f1") &&
         !domus_console_send_keys (f.console, "ctrl-alt-f13"),
         "Ctrl+Alt+F1 is a known combination, Ctrl+Alt+F13 is not");

  /* Keys typed into the screen reach the guest: its init reads the lines typed on its
   * screen's keyboard and echoes them on the serial port ("key: LINE"). */
  {
    SerialWait typed = { argv[5], "key: domus42", serial_size (argv[5]) };

    type_text (domus_console_get_display (f.console), "domus42\n");
    gui_test_check (wait_for (serial_has_line, &typed, 10000),
           "\"domus42\" and Enter typed into the screen reach the guest (\"key: domus42\" on its serial port)");
  }
  /* The Send key menu's Ctrl+Alt+Del: the guest's init says it got it. */
  {
    GtkWidget *keys = find_accessible (console, GTK_TYPE_MENU_BUTTON, "Send key");
    GMenuModel *menu = keys != NULL ? gtk_menu_button_get_menu_model (GTK_MENU_BUTTON (keys)) : NULL;
    g_autofree char *action = NULL;
    g_autoptr(GVariant) target = NULL;
    SerialWait cad = { argv[5], "domus-test-guest ctrl-alt-del", serial_size (argv[5]) };
    gboolean found = find_menu_item (menu, "Ctrl+Alt+Del", &action, &target);

    gui_test_check (found && g_strcmp0 (action, "console.send-keys") == 0,
           "the Send key menu has Ctrl+Alt+Del (%s)", action ? action : "no such item");
    if (found && g_str_has_prefix (action, "console."))
      g_action_group_activate_action (gtk_widget_get_action_group (console, "console"),
                                      action + strlen ("console."), target);
    gui_test_check (wait_for (serial_has_line, &cad, 10000),
           "its Ctrl+Alt+Del reaches the guest (\"domus-test-guest ctrl-alt-del\" on its serial port)");
  }

  /* Fullscreen. Xvfb has no window manager, so GTK's request (_NET_WM_STATE_FULLSCREEN)
   * would go unanswered: the console covers the monitor itself (domus_console_set_fullscreen). */
  {
    GtkWidget *button = find_accessible (console, GTK_TYPE_TOGGLE_BUTTON, "Fullscreen");
    GdkMonitor *monitor = gdk_display_get_monitor (gdk_display_get_default (), 0);
    GdkRectangle before, during, after;
    GeometryWait covers = { console, { 0, 0, 0, 0 } };
    GtkWidget *toplevel;
    const char *hint;

    gdk_monitor_get_geometry (monitor, &covers.want);
    window_geometry (window, &before);
    gui_test_check (button != NULL, "the toolbar has a toggle named Fullscreen");
    if (button != NULL)
      gtk_button_clicked (GTK_BUTTON (button));
    ok = wait_for (geometry_is, &covers, 5000);
    toplevel = gtk_widget_get_toplevel (console);
    window_geometry (toplevel, &during);
    gui_test_check (ok && domus_console_get_fullscreen (f.console) && toplevel != window,
           "Fullscreen shows the console alone in a window covering the screen: %dx%d at %d,%d "
           "(the screen is %dx%d)", during.width, during.height, during.x, during.y,
           covers.want.width, covers.want.height);
    hint = find_label (console, "Fullscreen: ");
    gui_test_check (hint != NULL && strstr (hint, "Leave Fullscreen") != NULL && button != NULL &&
           g_strcmp0 (atk_object_get_name (gtk_widget_get_accessible (button)), "Leave Fullscreen") == 0,
           "the toolbar says how to leave (\"%s\") and the toggle is now named Leave Fullscreen",
           hint ? hint : "nothing");
    if (button != NULL)
      gtk_button_clicked (GTK_BUTTON (button));
    run_for (300);
    window_geometry (window, &after);
    gui_test_check (!domus_console_get_fullscreen (f.console) && !domus_console_get_detached (f.console) &&
           gtk_widget_get_parent (console) == window && find_label (console, "Fullscreen: ") == NULL &&
           after.width == before.width && after.height == before.height,
           "leaving puts the console back in its window, still %dx%d (was %dx%d), and the hint goes",
           after.width, after.height, before.width, before.height);
  }
  /* A detached console makes its own window fullscreen, and gives it back its size after. */
  {
    GeometryWait covers = { console, { 0, 0, 0, 0 } };
    GeometryWait restored = { console, { 0, 0, 0, 0 } };
    GtkWidget *toplevel;
    gboolean same_window;

    gdk_monitor_get_geometry (gdk_display_get_monitor (gdk_display_get_default (), 0), &covers.want);
    domus_console_detach (f.console);
    toplevel = gtk_widget_get_toplevel (console);
    gtk_window_resize (GTK_WINDOW (toplevel), 640, 480);
    run_for (300);
    window_geometry (toplevel, &restored.want);
    domus_console_set_fullscreen (f.console, TRUE);
    ok = wait_for (geometry_is, &covers, 5000);
    same_window = gtk_widget_get_toplevel (console) == toplevel;
    domus_console_set_fullscreen (f.console, FALSE);
    gui_test_check (ok && same_window && wait_for (geometry_is, &restored, 5000) &&
           domus_console_get_detached (f.console),
           "a detached console's window covers the screen, then is %dx%d again",
           restored.want.width, restored.want.height);
    domus_console_attach (f.console);
    run_for (200);
  }

  domus_console_detach (f.console);
  run_for (200);
  {
    GtkWidget *toplevel = gtk_widget_get_toplevel (console);
    gboolean detached = domus_console_get_detached (f.console) && toplevel != window &&
                        GTK_IS_WINDOW (toplevel) &&
                        g_strcmp0 (gtk_window_get_title (GTK_WINDOW (toplevel)), f.name) == 0;
    domus_console_attach (f.console);
    run_for (200);
    gui_test_check (detached && !domus_console_get_detached (f.console) &&
           gtk_widget_get_parent (console) == window &&
           domus_console_get_state (f.console) == DOMUS_CONSOLE_STATE_CONNECTED,
           "detached into a window titled \"%s\" and back, still connected", f.name);
  }
  /* Closing the detached window, as its close button does, puts the console back. */
  {
    GtkWidget *toplevel;
    gboolean back;

    g_action_group_activate_action (gtk_widget_get_action_group (console, "console"),
                                    "detach", NULL);
    run_for (200);
    toplevel = gtk_widget_get_toplevel (console);
    if (toplevel != window && GTK_IS_WINDOW (toplevel))
      gtk_window_close (GTK_WINDOW (toplevel));
    run_for (300);
    back = gtk_widget_get_parent (console) == window && !domus_console_get_detached (f.console);
    gui_test_check (toplevel != window && back &&
           domus_console_get_state (f.console) == DOMUS_CONSOLE_STATE_CONNECTED,
           "console.detach, then closing its window, brings it back");
  }

  /* In a notebook (the window's tabs), the console goes back to its own tab. */
  {
    GtkWidget *notebook = gtk_notebook_new ();
    GtkWidget *tab = gtk_label_new ("the console's tab");
    GtkWidget *tab_after;
    int page;

    g_object_ref (console);
    gtk_container_remove (GTK_CONTAINER (window), console);
    gtk_notebook_append_page (GTK_NOTEBOOK (notebook), gtk_label_new ("first"), NULL);
    gtk_notebook_append_page (GTK_NOTEBOOK (notebook), console, tab);
    gtk_notebook_append_page (GTK_NOTEBOOK (notebook), gtk_label_new ("last"), NULL);
    gtk_container_add (GTK_CONTAINER (window), notebook);
    g_object_unref (console);
    gtk_widget_show_all (window);
    run_for (100);

    domus_console_detach (f.console);
    run_for (100);
    domus_console_attach (f.console);
    run_for (100);
    page = gtk_notebook_page_num (GTK_NOTEBOOK (notebook), console);
    tab_after = gtk_notebook_get_tab_label (GTK_NOTEBOOK (notebook), console);
    gui_test_check (page == 1 && tab_after == tab &&
           gtk_notebook_get_current_page (GTK_NOTEBOOK (notebook)) == 1,
           "from a notebook it goes back to its place (page %d) with its tab label", page);

    g_object_ref (console);
    gtk_container_remove (GTK_CONTAINER (notebook), console);
    gtk_widget_destroy (notebook);
    gtk_container_add (GTK_CONTAINER (window), console);
    g_object_unref (console);
  }

  /* A second viewer of the same domain: both stay connected (shared sessions). */
  {
    GtkWidget *second_window = gtk_window_new (GTK_WINDOW_TOPLEVEL);
    GtkWidget *second = domus_console_new (f.host, f.name);
    gboolean both;

    gtk_container_add (GTK_CONTAINER (second_window), second);
    gtk_widget_show_all (second_window);
    wait_for (console_connected, second, 10000);
    run_for (1000);
    both = domus_console_get_state (DOMUS_CONSOLE (second)) == DOMUS_CONSOLE_STATE_CONNECTED &&
           domus_console_get_state (f.console) == DOMUS_CONSOLE_STATE_CONNECTED &&
           f.disconnected == 0;
    gui_test_check (both, "a second console of the same domain connects and the first stays connected");
    /* Closed while its Screenshot asks where: the question goes with it. */
    g_action_group_activate_action (gtk_widget_get_action_group (second, "console"), "screenshot", NULL);
    both = wait_for (file_chooser_shown, NULL, 5000);
    gtk_widget_destroy (second_window);
    run_for (200);
    gui_test_check (both && find_file_chooser () == NULL,
           "a console closed while its screenshot asks where closes the file chooser too "
           "(asked: %s, closed: %s)", both ? "yes" : "no", find_file_chooser () == NULL ? "yes" : "no");
  }

  /* Consoles closed while the guest's screen changes: gtk-vnc keeps a closed display until its
   * stream has ended, and the updates still coming must not reach a widget that has no
   * window any more (a Gdk-CRITICAL, fatal in this test). */
  {
    guint closed = 0;

    for (guint i = 0; i < 12; i++)
      {
        GtkWidget *viewer_window = gtk_window_new (GTK_WINDOW_TOPLEVEL);
        GtkWidget *viewer = domus_console_new (f.host, f.name);
        guint keyval = GDK_KEY_x;

        gtk_container_add (GTK_CONTAINER (viewer_window), viewer);
        gtk_widget_show_all (viewer_window);
        if (!wait_for (console_connected, viewer, 10000))
          {
            gtk_widget_destroy (viewer_window);
            break;
          }
        run_for (100);
        /* Typed into the first console, echoed by the guest: every viewer's screen changes,
         * and the closed one's update is on its way. */
        for (guint k = 0; k < 4; k++)
          vnc_display_send_keys_ex (VNC_DISPLAY (domus_console_get_display (f.console)), &keyval, 1,
                                    VNC_DISPLAY_KEY_EVENT_CLICK);
        run_for (2 + i);
        gtk_widget_destroy (viewer_window);
        closed++;
        run_for (150);
      }
    type_text (domus_console_get_display (f.console), "\n");
    gui_test_check (closed == 12 && console_connected (f.console),
                    "12 viewers closed while the guest's screen changed, no critical, the first still connected");
  }


  /* The window's console tabs: one per domain, "NAME on HOST". */
  tabs_window = gtk_window_new (GTK_WINDOW_TOPLEVEL);
  tabs = DOMUS_CONSOLE_NOTEBOOK (domus_console_notebook_new ());
  gtk_window_set_default_size (GTK_WINDOW (tabs_window), 640, 480);
  gtk_container_add (GTK_CONTAINER (tabs_window), GTK_WIDGET (tabs));
  gtk_widget_show_all (tabs_window);
  expected_title = g_strdup_printf ("%s on %s", f.name, domus_host_get_name (f.host));
  {
    DomusConsole *again, *other_tab;
    GtkWidget *title, *other_title;
    AtkObject *page;
    gboolean detached, same, back;

    tab_console = domus_console_notebook_open (tabs, f.host, f.name);
    wait_for (console_connected, tab_console, 10000);
    title = domus_console_notebook_get_tab_label (tabs, tab_console);
    page = atk_object_ref_accessible_child (gtk_widget_get_accessible (GTK_WIDGET (tabs)), 0);
    gui_test_check (console_connected (tab_console) && title != NULL &&
           g_strcmp0 (gtk_label_get_text (GTK_LABEL (title)), expected_title) == 0 &&
           g_str_has_prefix (expected_title, f.name) &&
           g_strcmp0 (atk_object_get_name (page), expected_title) == 0,
           "opening a console adds a connected tab, \"%s\" to a screen reader too (%s)",
           expected_title, page ? atk_object_get_name (page) : "no page");
    g_clear_object (&page);

    again = domus_console_notebook_open (tabs, f.host, f.name);
    gui_test_check (again == tab_console && domus_console_notebook_get_n_tabs (tabs) == 1 &&
           domus_console_notebook_get_n_consoles (tabs) == 1,
           "opening the same domain again shows its tab rather than a second one (%d tabs)",
           domus_console_notebook_get_n_tabs (tabs));

    other_tab = domus_console_notebook_open (tabs, f.host, "no-such-domain");
    g_object_add_weak_pointer (G_OBJECT (other_tab), (gpointer *) &other_tab);
    wait_for (is_disconnected, other_tab, 5000);
    other_title = domus_console_notebook_get_tab_label (tabs, other_tab);
    gui_test_check (domus_console_notebook_get_n_tabs (tabs) == 2 && domus_console_notebook_get_current (tabs) == other_tab &&
           other_title != NULL &&
           gtk_style_context_has_class (gtk_widget_get_style_context (other_title), "dim-label") &&
           !gtk_style_context_has_class (gtk_widget_get_style_context (title), "dim-label"),
           "another domain gets a second tab, shown; it is dimmed while it has no screen");

    /* Ctrl+Page Up/Down switch tabs even while the guest's screen has the keyboard. */
    gtk_widget_grab_focus (domus_console_get_display (other_tab));
    send_window_key (tabs_window, GDK_KEY_Page_Up, GDK_CONTROL_MASK);
    ok = domus_console_notebook_get_current (tabs) == tab_console;
    send_window_key (tabs_window, GDK_KEY_Page_Up, GDK_CONTROL_MASK);
    ok = ok && domus_console_notebook_get_current (tabs) == other_tab;
    send_window_key (tabs_window, GDK_KEY_Page_Down, GDK_CONTROL_MASK);
    ok = ok && domus_console_notebook_get_current (tabs) == tab_console;
    gui_test_check (ok, "Ctrl+Page Up, Ctrl+Page Up (wrapping), Ctrl+Page Down switch tabs from a focused screen");

    middle_click (GTK_WIDGET (tabs), other_title);
    run_for (100);
    gui_test_check (other_tab == NULL && domus_console_notebook_get_n_tabs (tabs) == 1 &&
           domus_console_notebook_get_n_consoles (tabs) == 1 &&
           domus_console_notebook_get_current (tabs) == tab_console,
           "a middle click on a tab closes that console (%u tabs, %u consoles left)",
           domus_console_notebook_get_n_tabs (tabs), domus_console_notebook_get_n_consoles (tabs));
    if (other_tab != NULL)
      g_object_remove_weak_pointer (G_OBJECT (other_tab), (gpointer *) &other_tab);

    /* The closed tab's place serves the next console: its tab shows again. */
    other_tab = domus_console_notebook_open (tabs, f.host, "no-such-domain");
    run_for (200);
    other_title = domus_console_notebook_get_tab_label (tabs, other_tab);
    gui_test_check (domus_console_notebook_get_n_tabs (tabs) == 2 && other_title != NULL &&
           gtk_widget_get_mapped (other_title) &&
           domus_console_notebook_get_current (tabs) == other_tab,
           "a console opened after one was closed gets a tab that shows, in front");
    domus_console_notebook_close (tabs, other_tab);
    run_for (100);
    gui_test_check (domus_console_notebook_get_n_tabs (tabs) == 1 &&
           domus_console_notebook_get_current (tabs) == tab_console &&
           gtk_widget_get_mapped (domus_console_notebook_get_tab_label (tabs, tab_console)),
           "closing it leaves the first tab, in front");

    /* Detached, it is still the domain's console here. */
    g_action_group_activate_action (gtk_widget_get_action_group (GTK_WIDGET (tab_console), "console"),
                                    "detach", NULL);
    run_for (200);
    detached = domus_console_get_detached (tab_console) && domus_console_notebook_get_n_tabs (tabs) == 0 &&
               domus_console_notebook_get_n_consoles (tabs) == 1;
    again = domus_console_notebook_open (tabs, f.host, f.name);
    same = again == tab_console && domus_console_get_detached (tab_console) &&
           domus_console_notebook_get_n_tabs (tabs) == 0;
    gtk_window_close (GTK_WINDOW (gtk_widget_get_toplevel (GTK_WIDGET (tab_console))));
    run_for (300);
    title = domus_console_notebook_get_tab_label (tabs, tab_console);
    back = !domus_console_get_detached (tab_console) && domus_console_notebook_get_n_tabs (tabs) == 1 &&
           domus_console_notebook_get_current (tabs) == tab_console &&
           title != NULL && g_strcmp0 (gtk_label_get_text (GTK_LABEL (title)), expected_title) == 0;
    gui_test_check (detached && same && back && console_connected (tab_console),
           "a detached tab stays the domain's console (opening it again shows its window); "
           "closing its window puts it back in its tab, still connected");
  }

  /* A domain that does not exist: the console says why and has no picture to save. */
  other = domus_console_new (f.host, "no-such-domain");
  g_object_ref_sink (other);
  g_signal_connect (other, "notify::state", G_CALLBACK (count_attempts_cb), &attempts);
  run_for (2700);
  gui_test_check (domus_console_get_state (DOMUS_CONSOLE (other)) == DOMUS_CONSOLE_STATE_DISCONNECTED &&
         g_str_has_prefix (domus_console_get_status (DOMUS_CONSOLE (other)),
                           "The console could not be opened: "),
         "a console of a missing domain says so (%s)", domus_console_get_status (DOMUS_CONSOLE (other)));
  /* Tries at 0, 0.5, 1.5 s (then 3.5, 7.5 …): backing off, not a tight loop. */
  gui_test_check (attempts >= 1 && attempts <= 3,
         "it tries again, backing off: %u more tries in 2.7 s", attempts);
  {
    g_autoptr(GError) shot_error = NULL;
    g_autofree char *other_path = g_build_filename (argv[4], "none.png", NULL);

    gui_test_check (!domus_console_save_screenshot (DOMUS_CONSOLE (other), other_path, &shot_error) &&
           g_error_matches (shot_error, DOMUS_CONSOLE_ERROR, DOMUS_CONSOLE_ERROR_NO_PICTURE) &&
           !g_file_test (other_path, G_FILE_TEST_EXISTS),
           "its screenshot fails with DOMUS_CONSOLE_ERROR_NO_PICTURE and writes nothing");
  }
  gtk_widget_destroy (other);
  g_object_unref (other);

  /* The daemon dies and comes back: a local stream goes straight to QEMU's socket, so the
   * console keeps showing the guest all along. */
  printf ("# domus-test: restart-daemon\n");
  fflush (stdout);
  ok = wait_for (host_not_connected, &f, 10000);
  ok = wait_for (host_connected, &f, 20000) && ok;
  gui_test_check (ok && f.initialized == 1 && f.disconnected == 0 &&
         domus_console_get_state (f.console) == DOMUS_CONSOLE_STATE_CONNECTED,
         "the host dropped and came back; the console stayed connected (%s)",
         domus_console_get_status (f.console));
  {
    g_autofree char *later_path = g_build_filename (argv[4], "later.png", NULL);
    Compare compare = { f.console, shot_path, later_path };

    gui_test_check (wait_for (screen_changed, &compare, 10000),
           "the screen keeps updating: a later screenshot differs");
  }

  /* The domain goes away: the console says so. */
  fds_before = count_open_fds ();
  gui_test_check (act_on_host (&f, NULL, 15000), "the domain destroyed through the host");
  ok = wait_for (was_disconnected, &f, 10000);
  gui_test_check (ok && f.first_disconnect != NULL &&
         g_str_has_prefix (f.first_disconnect, "The console was disconnected: "),
         "the console says it was disconnected (%s)",
         f.first_disconnect ? f.first_disconnect : "(still connected)");
  gui_test_check (domus_console_get_state (f.console) != DOMUS_CONSOLE_STATE_CONNECTED,
         "and is not connected while the domain is off (%s)", domus_console_get_status (f.console));
  wait_for (is_not_connected, tab_console, 5000);
  gui_test_check (domus_console_notebook_get_tab_label (tabs, tab_console) != NULL &&
         g_str_has_prefix (domus_console_get_status (tab_console), "The console was disconnected: ") &&
         gtk_style_context_has_class (gtk_widget_get_style_context (
           domus_console_notebook_get_tab_label (tabs, tab_console)), "dim-label"),
         "the domain's tab stays, dimmed, and its console says why (%s)",
         domus_console_get_status (tab_console));
  run_for (1500);

  /* It comes back: the console reconnects by itself. */
  gui_test_check (act_on_host (&f, config, 30000), "the domain created again");
  started = g_get_monotonic_time ();
  ok = wait_for (initialized_twice, &f, 15000);
  gui_test_check (ok, "the console reconnects to the new screen (vnc-initialized again %.2f s after "
         "the create answered)", (g_get_monotonic_time () - started) / 1e6);
  gui_test_check (domus_console_get_state (f.console) == DOMUS_CONSOLE_STATE_CONNECTED &&
         g_strcmp0 (domus_console_get_status (f.console), "Connected") == 0,
         "the status says \"Connected\" again");
  /* One stream replaced by one stream; the failed tries in between left nothing open. */
  gui_test_check (wait_for (console_connected, tab_console, 15000),
         "the domain's tab reconnects too");
  fds_after = count_open_fds ();
  gui_test_check (fds_after == fds_before, "no descriptor leaked over the reconnections (%u, then %u)",
         fds_before, fds_after);

  /* The tab's close button ends the console. */
  {
    g_autofree char *close_name = g_strdup_printf ("Close %s", expected_title);
    GtkWidget *close = find_accessible (GTK_WIDGET (tabs), GTK_TYPE_BUTTON, close_name);

    g_object_add_weak_pointer (G_OBJECT (tab_console), (gpointer *) &tab_console);
    if (close != NULL)
      gtk_button_clicked (GTK_BUTTON (close));
    run_for (100);
    gui_test_check (close != NULL && tab_console == NULL && domus_console_notebook_get_n_tabs (tabs) == 0 &&
           domus_console_notebook_get_n_consoles (tabs) == 0,
           "the tab's \"%s\" button closes the console", close_name);
    if (tab_console != NULL)
      g_object_remove_weak_pointer (G_OBJECT (tab_console), (gpointer *) &tab_console);
  }
  gtk_widget_destroy (tabs_window);

  gtk_widget_destroy (window);
  domus_host_disconnect (f.host);
  run_for (100);
  g_object_unref (f.host);
  g_clear_object (&f.reply);
  g_free (f.first_disconnect);
  return gui_test_failures () == 0 ? 0 : 1;
}
