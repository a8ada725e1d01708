/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A console in a window of its own: detached from its place, and put back there on closing.
 *
 * Closing the window (its close button, the window manager) puts the console back rather
 * than ending it, as the toolbar's Attach does: a window closed in passing should not cost
 * the console. Fullscreen is this window's, never the main window's, so that the screen
 * shows the guest and not the sidebar and the header bar. */

#include "config.h"

#include <gtk/gtk.h>
#ifdef GDK_WINDOWING_X11
#include <gdk/gdkx.h>
#endif

#include "domus-console-window.h"

struct _DomusConsoleWindow
{
  GtkWindow     parent_instance;

  GtkWidget    *home;                  /* weak: where the console goes back to */
  GtkWidget    *home_tab_label;        /* when home is a GtkNotebook */
  int           home_position;

  gboolean      fullscreen;
  gboolean      fullscreen_emulated;   /* no window manager to ask: moved and resized */
  GdkRectangle  windowed;              /* the window's place before emulated fullscreen */
};

G_DEFINE_FINAL_TYPE (DomusConsoleWindow, domus_console_window, GTK_TYPE_WINDOW)

enum {
  PROP_0,
  PROP_FULLSCREEN,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* Detaching and putting back */

/* Takes console out of its parent, remembering the place. */
static void
leave_home (DomusConsoleWindow *self,
            GtkWidget          *console)
{
  GtkWidget *parent = gtk_widget_get_parent (console);

  g_set_weak_pointer (&self->home, parent);
  if (GTK_IS_NOTEBOOK (parent))
    {
      GtkWidget *tab_label = gtk_notebook_get_tab_label (GTK_NOTEBOOK (parent), console);

      self->home_position = gtk_notebook_page_num (GTK_NOTEBOOK (parent), console);
      if (tab_label != NULL)
        self->home_tab_label = g_object_ref (tab_label);
    }
  if (parent != NULL)
    gtk_container_remove (GTK_CONTAINER (parent), console);
}

GtkWidget *
domus_console_window_new (GtkWidget  *console,
                          const char *title)
{
  DomusConsoleWindow *self;
  GtkWidget *old_toplevel;
  GtkApplication *application = NULL;
  int width, height;

  g_return_val_if_fail (GTK_IS_WIDGET (console), NULL);
  g_return_val_if_fail (title != NULL, NULL);

  old_toplevel = gtk_widget_get_toplevel (console);
  if (GTK_IS_WINDOW (old_toplevel))
    application = gtk_window_get_application (GTK_WINDOW (old_toplevel));
  width = gtk_widget_get_allocated_width (console);
  height = gtk_widget_get_allocated_height (console);

  self = g_object_new (DOMUS_TYPE_CONSOLE_WINDOW,
                       "title", title,
                       "application", application,
                       "default-width", width > 1 ? width : 800,
                       "default-height", height > 1 ? height : 600,
                       NULL);
  g_object_ref (console);
  leave_home (self, console);
  gtk_container_add (GTK_CONTAINER (self), console);
  g_object_unref (console);
  return GTK_WIDGET (self);
}

gboolean
domus_console_window_put_back (DomusConsoleWindow *self)
{
  GtkWidget *console;

  g_return_val_if_fail (DOMUS_IS_CONSOLE_WINDOW (self), FALSE);

  console = gtk_bin_get_child (GTK_BIN (self));
  if (self->home == NULL || console == NULL)
    return FALSE;

  g_object_ref (console);
  gtk_container_remove (GTK_CONTAINER (self), console);
  if (GTK_IS_NOTEBOOK (self->home))
    {
      int page = gtk_notebook_insert_page (GTK_NOTEBOOK (self->home), console,
                                           self->home_tab_label, self->home_position);
      gtk_notebook_set_current_page (GTK_NOTEBOOK (self->home), page);
    }
  else
    gtk_container_add (GTK_CONTAINER (self->home), console);
  g_clear_object (&self->home_tab_label);
  g_clear_weak_pointer (&self->home);
  g_object_unref (console);

  gtk_widget_destroy (GTK_WIDGET (self));
  return TRUE;
}

static gboolean
domus_console_window_delete_event (GtkWidget   *widget,
                                   GdkEventAny *event)
{
  /* With nowhere to go back to, the console closes with its window. */
  if (domus_console_window_put_back (DOMUS_CONSOLE_WINDOW (widget)))
    return GDK_EVENT_STOP;
  return GDK_EVENT_PROPAGATE;
}

/* Fullscreen */

/* Whether the window manager can make a window fullscreen. Without one (a bare X server,
 * a kiosk session) GTK asks nobody and nothing happens: the window then covers the
 * monitor itself. */
static gboolean
window_manager_does_fullscreen (GtkWidget *window)
{
#ifdef GDK_WINDOWING_X11
  GdkScreen *screen = gtk_widget_get_screen (window);

  if (GDK_IS_X11_SCREEN (screen))
    return gdk_x11_screen_supports_net_wm_hint (screen,
                                                gdk_atom_intern_static_string ("_NET_WM_STATE_FULLSCREEN"));
#endif
  return TRUE;
}

static void
cover_monitor (DomusConsoleWindow *self)
{
  GtkWindow *window = GTK_WINDOW (self);
  GdkDisplay *display = gtk_widget_get_display (GTK_WIDGET (self));
  GdkWindow *gdk_window = gtk_widget_get_window (GTK_WIDGET (self));
  GdkMonitor *monitor = gdk_window != NULL ? gdk_display_get_monitor_at_window (display, gdk_window)
                                           : gdk_display_get_primary_monitor (display);
  GdkRectangle area = { 0, 0, 0, 0 };

  if (monitor == NULL)
    monitor = gdk_display_get_monitor (display, 0);
  if (monitor != NULL)
    gdk_monitor_get_geometry (monitor, &area);
  gtk_window_get_position (window, &self->windowed.x, &self->windowed.y);
  gtk_window_get_size (window, &self->windowed.width, &self->windowed.height);
  self->fullscreen_emulated = TRUE;
  gtk_window_move (window, area.x, area.y);
  gtk_window_resize (window, area.width, area.height);
}

void
domus_console_window_set_fullscreen (DomusConsoleWindow *self,
                                     gboolean            fullscreen)
{
  GtkWindow *window = GTK_WINDOW (self);

  g_return_if_fail (DOMUS_IS_CONSOLE_WINDOW (self));

  fullscreen = !!fullscreen;
  if (fullscreen == self->fullscreen)
    return;
  self->fullscreen = fullscreen;
  if (fullscreen && window_manager_does_fullscreen (GTK_WIDGET (self)))
    gtk_window_fullscreen (window);
  else if (fullscreen)
    cover_monitor (self);
  else if (self->fullscreen_emulated)
    {
      gtk_window_move (window, self->windowed.x, self->windowed.y);
      gtk_window_resize (window, self->windowed.width, self->windowed.height);
    }
  else
    gtk_window_unfullscreen (window);
  if (!fullscreen)
    self->fullscreen_emulated = FALSE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FULLSCREEN]);
}

gboolean
domus_console_window_get_fullscreen (DomusConsoleWindow *self)
{
  g_return_val_if_fail (DOMUS_IS_CONSOLE_WINDOW (self), FALSE);
  return self->fullscreen;
}

/* The window manager may change it too (its own key, another window taking the screen). */
static gboolean
domus_console_window_window_state_event (GtkWidget           *widget,
                                         GdkEventWindowState *event)
{
  DomusConsoleWindow *self = DOMUS_CONSOLE_WINDOW (widget);
  gboolean fullscreen = (event->new_window_state & GDK_WINDOW_STATE_FULLSCREEN) != 0;

  if ((event->changed_mask & GDK_WINDOW_STATE_FULLSCREEN) != 0 && !self->fullscreen_emulated &&
      fullscreen != self->fullscreen)
    {
      self->fullscreen = fullscreen;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FULLSCREEN]);
    }
  return GTK_WIDGET_CLASS (domus_console_window_parent_class)->window_state_event (widget, event);
}

/* GObject */

static void
domus_console_window_dispose (GObject *object)
{
  DomusConsoleWindow *self = DOMUS_CONSOLE_WINDOW (object);

  g_clear_weak_pointer (&self->home);
  g_clear_object (&self->home_tab_label);

  G_OBJECT_CLASS (domus_console_window_parent_class)->dispose (object);
}

static void
domus_console_window_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  DomusConsoleWindow *self = DOMUS_CONSOLE_WINDOW (object);

  switch (prop_id)
    {
    case PROP_FULLSCREEN:
      g_value_set_boolean (value, self->fullscreen);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
domus_console_window_set_property (GObject      *object,
                                   guint         prop_id,
                                   const GValue *value,
                                   GParamSpec   *pspec)
{
  DomusConsoleWindow *self = DOMUS_CONSOLE_WINDOW (object);

  switch (prop_id)
    {
    case PROP_FULLSCREEN:
      domus_console_window_set_fullscreen (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
domus_console_window_class_init (DomusConsoleWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = domus_console_window_dispose;
  object_class->get_property = domus_console_window_get_property;
  object_class->set_property = domus_console_window_set_property;
  widget_class->delete_event = domus_console_window_delete_event;
  widget_class->window_state_event = domus_console_window_window_state_event;

  properties[PROP_FULLSCREEN] =
    g_param_spec_boolean ("fullscreen", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
domus_console_window_init (DomusConsoleWindow *self)
{
}
