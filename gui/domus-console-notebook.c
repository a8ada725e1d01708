/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The window's open consoles: one tab per console, "NAME on HOST", each detachable.
 *
 * Pages are never removed from the notebook. GTK 3's accessible for a notebook page asks
 * the notebook for its tab label when the page goes away, after the notebook has let go of
 * it, and GTK warns (a critical, fatal under G_DEBUG=fatal-warnings) as soon as a screen
 * reader has looked at the tabs. So each page is a slot, a box holding one console: a slot
 * shows its tab while it holds a console and is hidden (GtkNotebook shows no tab for a
 * hidden page) when its console is closed or detached, and an empty slot is used again for
 * the next console.
 *
 * DomusConsole moves itself out of its slot when detached and back when its window closes
 * (it remembers the slot): the notebook keeps the list of its consoles, in tabs or windows,
 * so that a domain never gets two. */

#include "config.h"

#include <glib/gi18n.h>

#include "domus-console-notebook.h"

struct _DomusConsoleNotebook
{
  GtkNotebook  parent_instance;

  /* DomusConsole (references), in a tab or detached, in the order they were opened. */
  GPtrArray   *consoles;
  GtkWidget   *toplevel;        /* weak: its key-press-event gives Ctrl+Page Up/Down to us */
};

G_DEFINE_FINAL_TYPE (DomusConsoleNotebook, domus_console_notebook, GTK_TYPE_NOTEBOOK)

enum {
  PROP_0,
  PROP_N_CONSOLES,
  PROP_N_TABS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* Data on each slot: its tab's title label and close button. */
#define TITLE_KEY "domus-console-tab-title"
#define CLOSE_KEY "domus-console-tab-close"

/* The console a slot holds, or NULL. */
static DomusConsole *
slot_console (GtkWidget *slot)
{
  g_autoptr(GList) children = gtk_container_get_children (GTK_CONTAINER (slot));

  return children != NULL && DOMUS_IS_CONSOLE (children->data) ? children->data : NULL;
}

/* The slot (a page of ours) console is in, or NULL (detached). */
static GtkWidget *
console_slot (DomusConsoleNotebook *self,
              DomusConsole         *console)
{
  GtkWidget *parent = gtk_widget_get_parent (GTK_WIDGET (console));

  if (parent == NULL || gtk_notebook_page_num (GTK_NOTEBOOK (self), parent) < 0)
    return NULL;
  return parent;
}

static char *
tab_title (DomusConsole *console)
{
  if (domus_console_get_serial (console))
    /* Translators: a serial console's tab; the first %s is the domain, the second its server. */
    return g_strdup_printf (_("%s on %s (serial)"), domus_console_get_domain_name (console),
                            domus_host_get_name (domus_console_get_host (console)));
  /* Translators: a console's tab; the first %s is the domain, the second its server. */
  return g_strdup_printf (_("%s on %s"), domus_console_get_domain_name (console),
                          domus_host_get_name (domus_console_get_host (console)));
}

/* The page's accessible takes its name from the tab label each time it is asked, through
 * the notebook; a name given is kept as it is, and follows the console the slot holds. */
static void
name_slot (DomusConsoleNotebook *self,
           GtkWidget            *slot,
           const char           *text)
{
  int page = gtk_notebook_page_num (GTK_NOTEBOOK (self), slot);
  AtkObject *accessible;

  if (page < 0)
    return;
  accessible = atk_object_ref_accessible_child (gtk_widget_get_accessible (GTK_WIDGET (self)), page);
  if (accessible != NULL)
    atk_object_set_name (accessible, text);
  g_clear_object (&accessible);
}

static void
update_title (DomusConsoleNotebook *self,
              GtkWidget            *slot)
{
  DomusConsole *console = slot_console (slot);
  GtkWidget *title = g_object_get_data (G_OBJECT (slot), TITLE_KEY);
  GtkWidget *close = g_object_get_data (G_OBJECT (slot), CLOSE_KEY);
  GtkStyleContext *style = gtk_widget_get_style_context (title);
  g_autofree char *text = NULL;
  g_autofree char *close_name = NULL;

  if (console == NULL)
    {
      gtk_label_set_text (GTK_LABEL (title), "");
      name_slot (self, slot, "");
      return;
    }
  text = tab_title (console);
  gtk_label_set_text (GTK_LABEL (title), text);
  name_slot (self, slot, text);
  /* Translators: the accessible name of a console tab's close button; %s is the tab. */
  close_name = g_strdup_printf (_("Close %s"), text);
  atk_object_set_name (gtk_widget_get_accessible (close), close_name);

  /* A console that shows no screen (domain off, host away) has a dimmed tab; the tooltip
   * says why. */
  if (domus_console_get_state (console) == DOMUS_CONSOLE_STATE_CONNECTED)
    {
      gtk_style_context_remove_class (style, "dim-label");
      gtk_widget_set_tooltip_text (title, text);
    }
  else
    {
      g_autofree char *tooltip = g_strdup_printf ("%s\n%s", text, domus_console_get_status (console));

      gtk_style_context_add_class (style, "dim-label");
      gtk_widget_set_tooltip_text (title, tooltip);
    }
}

static void
console_state_cb (DomusConsole         *console,
                  GParamSpec           *pspec,
                  DomusConsoleNotebook *self)
{
  GtkWidget *slot = console_slot (self, console);

  if (slot != NULL)
    update_title (self, slot);
}

static void
host_name_cb (DomusHost    *host,
              GParamSpec   *pspec,
              DomusConsole *console)
{
  GtkWidget *slot = gtk_widget_get_parent (GTK_WIDGET (console));
  GtkWidget *notebook = slot != NULL ? gtk_widget_get_parent (slot) : NULL;

  if (DOMUS_IS_CONSOLE_NOTEBOOK (notebook))
    update_title (DOMUS_CONSOLE_NOTEBOOK (notebook), slot);
}

static void
console_destroyed_cb (GtkWidget            *console,
                      DomusConsoleNotebook *self)
{
  g_signal_handlers_disconnect_by_data (console, self);
  if (self->consoles != NULL && g_ptr_array_remove (self->consoles, console))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_CONSOLES]);
}

static void
close_clicked_cb (GtkButton            *button,
                  DomusConsoleNotebook *self)
{
  GtkWidget *slot = g_object_get_data (G_OBJECT (button), "domus-slot");
  DomusConsole *console = slot != NULL ? slot_console (slot) : NULL;

  if (console != NULL)
    domus_console_notebook_close (self, console);
}

/* A slot shows its tab exactly while it holds a console (in it, or back from its window). */
static void
slot_children_changed (GtkContainer         *slot,
                       GtkWidget            *child,
                       DomusConsoleNotebook *self)
{
  DomusConsole *console = slot_console (GTK_WIDGET (slot));

  if (gtk_widget_in_destruction (GTK_WIDGET (self)))
    return;
  gtk_widget_set_visible (GTK_WIDGET (slot), console != NULL);
  /* GtkNotebook hides the tab label of a page that was hidden when it was added, and does
   * not show it again with the page. */
  gtk_widget_set_visible (gtk_notebook_get_tab_label (GTK_NOTEBOOK (self), GTK_WIDGET (slot)),
                          console != NULL);
  update_title (self, GTK_WIDGET (slot));
  if (console != NULL)
    gtk_notebook_set_current_page (GTK_NOTEBOOK (self),
                                   gtk_notebook_page_num (GTK_NOTEBOOK (self), GTK_WIDGET (slot)));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_TABS]);
}

static GtkWidget *
new_slot (DomusConsoleNotebook *self)
{
  GtkWidget *slot = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 4);
  GtkWidget *title = gtk_label_new (NULL);
  GtkWidget *close = gtk_button_new_from_icon_name ("window-close-symbolic", GTK_ICON_SIZE_MENU);

  /* Whole names: an ellipsizing label in a tab asks for no width and shows "…"; the tab
   * strip scrolls when they do not all fit. */
  gtk_box_pack_start (GTK_BOX (box), title, TRUE, TRUE, 0);

  gtk_button_set_relief (GTK_BUTTON (close), GTK_RELIEF_NONE);
  gtk_widget_set_focus_on_click (close, FALSE);
  gtk_widget_set_tooltip_text (close, _("Close the console (Ctrl+W)"));
  gtk_style_context_add_class (gtk_widget_get_style_context (close), "small-button");
  g_object_set_data (G_OBJECT (close), "domus-slot", slot);
  g_signal_connect (close, "clicked", G_CALLBACK (close_clicked_cb), self);
  gtk_box_pack_start (GTK_BOX (box), close, FALSE, FALSE, 0);
  gtk_widget_show_all (box);

  g_object_set_data (G_OBJECT (slot), TITLE_KEY, title);
  g_object_set_data (G_OBJECT (slot), CLOSE_KEY, close);
  g_signal_connect_after (slot, "add", G_CALLBACK (slot_children_changed), self);
  g_signal_connect_after (slot, "remove", G_CALLBACK (slot_children_changed), self);

  gtk_notebook_append_page (GTK_NOTEBOOK (self), slot, box);
  gtk_notebook_set_tab_reorderable (GTK_NOTEBOOK (self), slot, TRUE);
  return slot;
}

/* An empty slot, moved to the end (a new tab comes last), or a new one. */
static GtkWidget *
free_slot (DomusConsoleNotebook *self)
{
  int n = gtk_notebook_get_n_pages (GTK_NOTEBOOK (self));

  for (int i = 0; i < n; i++)
    {
      GtkWidget *slot = gtk_notebook_get_nth_page (GTK_NOTEBOOK (self), i);

      if (slot_console (slot) != NULL)
        continue;
      /* A detached console goes back to the slot it came from: keep that one. */
      if (g_object_get_data (G_OBJECT (slot), "domus-reserved") != NULL)
        continue;
      gtk_notebook_reorder_child (GTK_NOTEBOOK (self), slot, -1);
      return slot;
    }
  return new_slot (self);
}

/* The console whose tab label is under the pointer (root coordinates), or NULL. */
static DomusConsole *
console_at (DomusConsoleNotebook *self,
            double                x_root,
            double                y_root)
{
  int n = gtk_notebook_get_n_pages (GTK_NOTEBOOK (self));

  for (int i = 0; i < n; i++)
    {
      GtkWidget *slot = gtk_notebook_get_nth_page (GTK_NOTEBOOK (self), i);
      GtkWidget *label = gtk_notebook_get_tab_label (GTK_NOTEBOOK (self), slot);
      GtkAllocation allocation;
      int origin_x, origin_y;

      if (label == NULL || !gtk_widget_get_mapped (label))
        continue;
      /* The label has no window of its own: its allocation is in its parent's window. */
      gdk_window_get_origin (gtk_widget_get_window (label), &origin_x, &origin_y);
      gtk_widget_get_allocation (label, &allocation);
      if (x_root >= origin_x + allocation.x && x_root < origin_x + allocation.x + allocation.width &&
          y_root >= origin_y + allocation.y && y_root < origin_y + allocation.y + allocation.height)
        return slot_console (slot);
    }
  return NULL;
}

static gboolean
domus_console_notebook_button_press_event (GtkWidget      *widget,
                                           GdkEventButton *event)
{
  DomusConsoleNotebook *self = DOMUS_CONSOLE_NOTEBOOK (widget);

  /* A middle click closes a tab, as in browsers and terminals. */
  if (event->type == GDK_BUTTON_PRESS && event->button == GDK_BUTTON_MIDDLE)
    {
      DomusConsole *console = console_at (self, event->x_root, event->y_root);

      if (console != NULL)
        {
          domus_console_notebook_close (self, console);
          return GDK_EVENT_STOP;
        }
    }
  return GTK_WIDGET_CLASS (domus_console_notebook_parent_class)->button_press_event (widget, event);
}

/* Ctrl+Page Up/Down while the focus is in one of our tabs. GtkNotebook binds them itself,
 * but only gets keys its focused child lets through, and a guest's screen keeps them all:
 * the toplevel gives them to us first. Hidden (empty) slots are stepped over. */
static gboolean
toplevel_key_press_cb (GtkWidget            *toplevel,
                       GdkEventKey          *event,
                       DomusConsoleNotebook *self)
{
  GtkNotebook *notebook = GTK_NOTEBOOK (self);
  GtkWidget *focus = gtk_window_get_focus (GTK_WINDOW (toplevel));
  GdkModifierType modifiers = event->state & gtk_accelerator_get_default_mod_mask ();
  int n = gtk_notebook_get_n_pages (notebook);
  int page, step;

  if (modifiers != GDK_CONTROL_MASK)
    return GDK_EVENT_PROPAGATE;
  if (event->keyval == GDK_KEY_Page_Up || event->keyval == GDK_KEY_KP_Page_Up)
    step = -1;
  else if (event->keyval == GDK_KEY_Page_Down || event->keyval == GDK_KEY_KP_Page_Down)
    step = 1;
  else
    return GDK_EVENT_PROPAGATE;
  if (focus == NULL || !gtk_widget_is_ancestor (focus, GTK_WIDGET (self)) ||
      domus_console_notebook_get_n_tabs (self) < 2)
    return GDK_EVENT_PROPAGATE;

  page = gtk_notebook_get_current_page (notebook);
  for (int tries = 0; tries < n; tries++)
    {
      page = (page + step + n) % n;
      if (gtk_widget_get_visible (gtk_notebook_get_nth_page (notebook, page)))
        break;
    }
  gtk_notebook_set_current_page (notebook, page);
  gtk_widget_child_focus (gtk_notebook_get_nth_page (notebook, page), GTK_DIR_TAB_FORWARD);
  return GDK_EVENT_STOP;
}

static void
domus_console_notebook_hierarchy_changed (GtkWidget *widget,
                                          GtkWidget *previous_toplevel)
{
  DomusConsoleNotebook *self = DOMUS_CONSOLE_NOTEBOOK (widget);
  GtkWidget *toplevel = gtk_widget_get_toplevel (widget);

  if (GTK_WIDGET_CLASS (domus_console_notebook_parent_class)->hierarchy_changed != NULL)
    GTK_WIDGET_CLASS (domus_console_notebook_parent_class)->hierarchy_changed (widget, previous_toplevel);

  if (!GTK_IS_WINDOW (toplevel) || !gtk_widget_is_toplevel (toplevel))
    toplevel = NULL;
  if (toplevel == self->toplevel)
    return;
  if (self->toplevel != NULL)
    g_signal_handlers_disconnect_by_func (self->toplevel, toplevel_key_press_cb, self);
  g_set_weak_pointer (&self->toplevel, toplevel);
  if (toplevel != NULL)
    g_signal_connect_object (toplevel, "key-press-event", G_CALLBACK (toplevel_key_press_cb), self, 0);
}

static void
domus_console_notebook_dispose (GObject *object)
{
  DomusConsoleNotebook *self = DOMUS_CONSOLE_NOTEBOOK (object);

  if (self->toplevel != NULL)
    g_signal_handlers_disconnect_by_func (self->toplevel, toplevel_key_press_cb, self);
  g_clear_weak_pointer (&self->toplevel);

  /* Consoles in their own windows go with the notebook that owns them. */
  if (self->consoles != NULL)
    {
      g_autoptr(GPtrArray) consoles = g_steal_pointer (&self->consoles);

      for (guint i = 0; i < consoles->len; i++)
        {
          GtkWidget *console = g_ptr_array_index (consoles, i);

          g_signal_handlers_disconnect_by_data (console, self);
          gtk_widget_destroy (console);
        }
    }

  G_OBJECT_CLASS (domus_console_notebook_parent_class)->dispose (object);
}

static void
domus_console_notebook_get_property (GObject    *object,
                                     guint       prop_id,
                                     GValue     *value,
                                     GParamSpec *pspec)
{
  DomusConsoleNotebook *self = DOMUS_CONSOLE_NOTEBOOK (object);

  switch (prop_id)
    {
    case PROP_N_CONSOLES:
      g_value_set_uint (value, domus_console_notebook_get_n_consoles (self));
      break;
    case PROP_N_TABS:
      g_value_set_uint (value, domus_console_notebook_get_n_tabs (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
domus_console_notebook_class_init (DomusConsoleNotebookClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = domus_console_notebook_dispose;
  object_class->get_property = domus_console_notebook_get_property;
  widget_class->button_press_event = domus_console_notebook_button_press_event;
  widget_class->hierarchy_changed = domus_console_notebook_hierarchy_changed;

  properties[PROP_N_CONSOLES] =
    g_param_spec_uint ("n-consoles", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_N_TABS] =
    g_param_spec_uint ("n-tabs", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
domus_console_notebook_init (DomusConsoleNotebook *self)
{
  self->consoles = g_ptr_array_new_with_free_func (g_object_unref);
  gtk_notebook_set_scrollable (GTK_NOTEBOOK (self), TRUE);
  gtk_notebook_set_show_border (GTK_NOTEBOOK (self), FALSE);
  atk_object_set_name (gtk_widget_get_accessible (GTK_WIDGET (self)), _("Consoles"));
}

GtkWidget *
domus_console_notebook_new (void)
{
  return g_object_new (DOMUS_TYPE_CONSOLE_NOTEBOOK, NULL);
}

static DomusConsole *
lookup_console (DomusConsoleNotebook *self,
                DomusHost            *host,
                const char           *domain_name,
                gboolean              serial)
{
  g_return_val_if_fail (DOMUS_IS_CONSOLE_NOTEBOOK (self), NULL);
  g_return_val_if_fail (DOMUS_IS_HOST (host), NULL);
  g_return_val_if_fail (domain_name != NULL, NULL);

  for (guint i = 0; self->consoles != NULL && i < self->consoles->len; i++)
    {
      DomusConsole *console = g_ptr_array_index (self->consoles, i);

      if (domus_console_matches (console, host, domain_name, serial))
        return console;
    }
  return NULL;
}

DomusConsole *
domus_console_notebook_lookup (DomusConsoleNotebook *self,
                               DomusHost            *host,
                               const char           *domain_name)
{
  return lookup_console (self, host, domain_name, FALSE);
}

DomusConsole *
domus_console_notebook_lookup_serial (DomusConsoleNotebook *self,
                                      DomusHost            *host,
                                      const char           *domain_name)
{
  return lookup_console (self, host, domain_name, TRUE);
}

static void
show_console (DomusConsoleNotebook *self,
              DomusConsole         *console)
{
  GtkWidget *slot = console_slot (self, console);
  GtkWidget *display;

  if (slot == NULL)
    {
      /* Detached: its window is where it is shown. */
      domus_console_detach (console);
      return;
    }
  gtk_notebook_set_current_page (GTK_NOTEBOOK (self), gtk_notebook_page_num (GTK_NOTEBOOK (self), slot));
  display = domus_console_get_display (console);
  if (display != NULL)
    gtk_widget_grab_focus (display);
}

static void
console_detached_cb (DomusConsole         *console,
                     GParamSpec           *pspec,
                     DomusConsoleNotebook *self)
{
  /* While detached, the console's slot waits for it (DomusConsole goes back to it). */
  for (int i = 0; i < gtk_notebook_get_n_pages (GTK_NOTEBOOK (self)); i++)
    {
      GtkWidget *slot = gtk_notebook_get_nth_page (GTK_NOTEBOOK (self), i);

      if (g_object_get_data (G_OBJECT (slot), "domus-reserved") == console)
        g_object_set_data (G_OBJECT (slot), "domus-reserved", NULL);
    }
  if (domus_console_get_detached (console))
    {
      GtkWidget *home = g_object_get_data (G_OBJECT (console), "domus-slot");

      if (home != NULL)
        g_object_set_data (G_OBJECT (home), "domus-reserved", console);
    }
}

static DomusConsole *
open_console (DomusConsoleNotebook *self,
              DomusHost            *host,
              const char           *domain_name,
              gboolean              serial)
{
  DomusConsole *console;
  GtkWidget *slot;

  g_return_val_if_fail (DOMUS_IS_CONSOLE_NOTEBOOK (self), NULL);
  g_return_val_if_fail (DOMUS_IS_HOST (host), NULL);
  g_return_val_if_fail (domain_name != NULL, NULL);

  console = lookup_console (self, host, domain_name, serial);
  if (console == NULL)
    {
      console = DOMUS_CONSOLE (serial ? domus_console_new_serial (host, domain_name)
                                      : domus_console_new (host, domain_name));
      g_ptr_array_add (self->consoles, g_object_ref_sink (console));
      slot = free_slot (self);
      g_object_set_data (G_OBJECT (console), "domus-slot", slot);
      g_signal_connect (console, "destroy", G_CALLBACK (console_destroyed_cb), self);
      g_signal_connect (console, "notify::state", G_CALLBACK (console_state_cb), self);
      g_signal_connect (console, "notify::status", G_CALLBACK (console_state_cb), self);
      g_signal_connect (console, "notify::serial", G_CALLBACK (console_state_cb), self);
      g_signal_connect (console, "notify::detached", G_CALLBACK (console_detached_cb), self);
      g_signal_connect_object (host, "notify::name", G_CALLBACK (host_name_cb), console, 0);
      gtk_widget_show (GTK_WIDGET (console));
      /* gtk_container_add(), not gtk_box_pack_start(): the slot's "add" shows its tab. The
       * console expands (its screen does). */
      gtk_container_add (GTK_CONTAINER (slot), GTK_WIDGET (console));
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_CONSOLES]);
    }
  show_console (self, console);
  return console;
}

DomusConsole *
domus_console_notebook_open (DomusConsoleNotebook *self,
                             DomusHost            *host,
                             const char           *domain_name)
{
  return open_console (self, host, domain_name, FALSE);
}

DomusConsole *
domus_console_notebook_open_serial (DomusConsoleNotebook *self,
                                    DomusHost            *host,
                                    const char           *domain_name)
{
  return open_console (self, host, domain_name, TRUE);
}

void
domus_console_notebook_close (DomusConsoleNotebook *self,
                              DomusConsole         *console)
{
  g_return_if_fail (DOMUS_IS_CONSOLE_NOTEBOOK (self));
  g_return_if_fail (DOMUS_IS_CONSOLE (console));

  /* Destroying a detached console closes its window too (DomusConsole's dispose); its
   * slot, empty, hides its tab. */
  if (self->consoles != NULL && g_ptr_array_find (self->consoles, console, NULL))
    {
      GtkWidget *home = g_object_get_data (G_OBJECT (console), "domus-slot");

      if (home != NULL && g_object_get_data (G_OBJECT (home), "domus-reserved") == console)
        g_object_set_data (G_OBJECT (home), "domus-reserved", NULL);
      gtk_widget_destroy (GTK_WIDGET (console));
    }
}

guint
domus_console_notebook_get_n_consoles (DomusConsoleNotebook *self)
{
  g_return_val_if_fail (DOMUS_IS_CONSOLE_NOTEBOOK (self), 0);
  return self->consoles != NULL ? self->consoles->len : 0;
}

guint
domus_console_notebook_get_n_tabs (DomusConsoleNotebook *self)
{
  guint n = 0;

  g_return_val_if_fail (DOMUS_IS_CONSOLE_NOTEBOOK (self), 0);

  for (int i = 0; i < gtk_notebook_get_n_pages (GTK_NOTEBOOK (self)); i++)
    if (slot_console (gtk_notebook_get_nth_page (GTK_NOTEBOOK (self), i)) != NULL)
      n++;
  return n;
}

DomusConsole *
domus_console_notebook_get_current (DomusConsoleNotebook *self)
{
  GtkWidget *slot;

  g_return_val_if_fail (DOMUS_IS_CONSOLE_NOTEBOOK (self), NULL);

  slot = gtk_notebook_get_nth_page (GTK_NOTEBOOK (self),
                                    gtk_notebook_get_current_page (GTK_NOTEBOOK (self)));
  return slot != NULL ? slot_console (slot) : NULL;
}

GtkWidget *
domus_console_notebook_get_tab_label (DomusConsoleNotebook *self,
                                      DomusConsole         *console)
{
  GtkWidget *slot;

  g_return_val_if_fail (DOMUS_IS_CONSOLE_NOTEBOOK (self), NULL);
  g_return_val_if_fail (DOMUS_IS_CONSOLE (console), NULL);

  slot = console_slot (self, console);
  return slot != NULL ? g_object_get_data (G_OBJECT (slot), TITLE_KEY) : NULL;
}
