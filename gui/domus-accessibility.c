/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What Domus changes in GTK 3's accessibility for screen readers' sake. */

#include "domus-accessibility.h"

#include <gtk/gtk.h>
#include <gtk/gtk-a11y.h>

static gboolean (*gtk_grab_focus) (AtkComponent *component);

/* GTK 3 answers AtkComponent.grab_focus on a widget that was never realized (a button of a
 * hidden info bar, a page not shown yet) by asking the X server's time of a NULL window: a
 * Gdk-CRITICAL, which G_DEBUG=fatal-warnings turns into an abort. A screen reader may ask it
 * of any control it knows about; such a widget cannot take the focus anyway, so the request
 * is refused as GTK refuses it for widgets that cannot focus. */
static gboolean
grab_focus_when_realized (AtkComponent *component)
{
  GtkWidget *widget = gtk_accessible_get_widget (GTK_ACCESSIBLE (component));

  if (widget == NULL || !gtk_widget_get_realized (widget))
    return FALSE;
  return gtk_grab_focus (component);
}

/**
 * domus_accessibility_init:
 *
 * Call once, after gtk_init() and before any window exists: every widget accessible type
 * copies GtkWidgetAccessible's AtkComponent functions when it is first used.
 */
void
domus_accessibility_init (void)
{
  g_autoptr(GTypeClass) klass = g_type_class_ref (GTK_TYPE_WIDGET_ACCESSIBLE);
  AtkComponentIface *iface = g_type_interface_peek (klass, ATK_TYPE_COMPONENT);

  if (iface == NULL || iface->grab_focus == grab_focus_when_realized)
    return;
  gtk_grab_focus = iface->grab_focus;
  iface->grab_focus = grab_focus_when_realized;
}
