/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The page of several selected domains. Its buttons are the window's actions (win.start,
 * …), whose enabled state the window keeps: this page only says which domains they are. */

#include "config.h"

#include <glib/gi18n.h>

#include "domus-host.h"
#include "domus-selection-page.h"

struct _DomusSelectionPage
{
  GtkBox    parent_instance;

  /* Template children */
  GtkLabel *heading_label;
  GtkLabel *names_label;
};

G_DEFINE_FINAL_TYPE (DomusSelectionPage, domus_selection_page, GTK_TYPE_BOX)

/* "web1, web2 on rack01; db1 on rack02": by server, in the sidebar's order. */
static char *
names_by_host (GPtrArray *domains)
{
  GString *text = g_string_new (NULL);
  DomusHost *last = NULL;

  for (guint i = 0; i < domains->len; i++)
    {
      DomusDomain *domain = g_ptr_array_index (domains, i);
      DomusHost *host = domus_domain_get_host (domain);
      gboolean host_ends = i + 1 == domains->len
                           || domus_domain_get_host (g_ptr_array_index (domains, i + 1)) != host;

      if (i > 0)
        g_string_append (text, host == last ? _(", ") : _("; "));
      g_string_append (text, domus_domain_get_name (domain));
      if (host_ends && host != NULL)
        /* Translators: after the names of a server's selected domains; %s is the server. */
        g_string_append_printf (text, _(" on %s"), domus_host_get_name (host));
      last = host;
    }
  return g_string_free (text, FALSE);
}

void
domus_selection_page_set_domains (DomusSelectionPage *self,
                                  GPtrArray          *domains)
{
  g_autofree char *heading = NULL;
  g_autofree char *names = NULL;

  g_return_if_fail (DOMUS_IS_SELECTION_PAGE (self));
  g_return_if_fail (domains != NULL);

  heading = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u domain selected", "%u domains selected",
                                          domains->len), domains->len);
  names = names_by_host (domains);
  gtk_label_set_text (self->heading_label, heading);
  gtk_label_set_text (self->names_label, names);
}

static void
domus_selection_page_class_init (DomusSelectionPageClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/domus/Domus/ui/domus-selection-page.ui");
  gtk_widget_class_bind_template_child (widget_class, DomusSelectionPage, heading_label);
  gtk_widget_class_bind_template_child (widget_class, DomusSelectionPage, names_label);
}

static void
domus_selection_page_init (DomusSelectionPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}
