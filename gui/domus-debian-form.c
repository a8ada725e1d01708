/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The "Debian from the archive" source of the create assistant (docs/gui.md).
 *
 * The form only gathers what image.debian takes; the host checks every field again (a
 * suite its archive lacks, a host name it refuses) and the assistant shows its words on
 * the source page. The root password is held by the entries only: it goes into the
 * request the assistant sends and is wiped from both once sent. */

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "domus-debian-form.h"
#include "domus-key-file.h"

#define GIB ((guint64) 1024 * 1024 * 1024)

struct _DomusDebianForm
{
  GtkGrid          parent_instance;

  /* Template children */
  GtkComboBoxText *suite_combo;
  GtkSpinButton   *size_spin;
  GtkEntry        *hostname_entry;
  GtkEntry        *key_entry;
  GtkWidget       *key_browse;
  GtkEntry        *password_entry;
  GtkEntry        *repeat_entry;
  GtkEntry        *mirror_entry;
  GtkLabel        *hint_label;
};

G_DEFINE_FINAL_TYPE (DomusDebianForm, domus_debian_form, GTK_TYPE_GRID)

enum {
  SIGNAL_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static char *
trimmed (GtkEntry *entry)
{
  return g_strstrip (g_strdup (gtk_entry_get_text (entry)));
}

static char *
suite (DomusDebianForm *self)
{
  g_autofree char *text = gtk_combo_box_text_get_active_text (self->suite_combo);

  return g_strstrip (g_strdup (text != NULL ? text : ""));
}

static gint64
size_gib (DomusDebianForm *self)
{
  g_autofree char *text = trimmed (GTK_ENTRY (self->size_spin));
  guint64 value;

  if (!g_ascii_string_to_unsigned (text, 10, 0, G_MAXINT32, &value, NULL))
    return -1;
  return (gint64) value;
}

char *
domus_debian_form_check (DomusDebianForm *self)
{
  g_autofree char *the_suite = suite (self);
  g_autofree char *key_file = domus_key_file_path (self->key_entry);
  g_autofree char *mirror = trimmed (self->mirror_entry);
  const char *password = gtk_entry_get_text (self->password_entry);
  char *problem = NULL;

  g_return_val_if_fail (DOMUS_IS_DEBIAN_FORM (self), NULL);

  if (the_suite[0] == '\0')
    problem = g_strdup (_("Choose the Debian suite to install."));
  else if (size_gib (self) < 2)
    problem = g_strdup (_("The disk size is a whole number of GiB, at least 2."));
  else if (key_file == NULL && password[0] == '\0')
    problem = g_strdup (_("Give an SSH key file or a root password (or both): without one, nobody could log in."));
  else if (key_file != NULL && (problem = domus_key_file_problem (key_file)) != NULL)
    ;
  else if (!g_str_equal (password, gtk_entry_get_text (self->repeat_entry)))
    problem = g_strdup (_("The two passwords differ."));
  else if (mirror[0] != '\0' && !g_str_has_prefix (mirror, "http://") && !g_str_has_prefix (mirror, "https://"))
    problem = g_strdup (_("The archive mirror is an http:// or https:// address."));
  gtk_label_set_text (self->hint_label, problem != NULL ? problem : "");
  return problem;
}

char *
domus_debian_form_dup_key_file (DomusDebianForm *self)
{
  g_return_val_if_fail (DOMUS_IS_DEBIAN_FORM (self), NULL);

  return domus_key_file_path (self->key_entry);
}

static char *
empty_to_null (char *text)
{
  if (text != NULL && text[0] == '\0')
    g_clear_pointer (&text, g_free);
  return text;
}

DomusDebianRequest *
domus_debian_form_make_request (DomusDebianForm *self,
                                const char      *ssh_keys,
                                gint64           memory_mib)
{
  DomusDebianRequest *request;
  const char *password;

  g_return_val_if_fail (DOMUS_IS_DEBIAN_FORM (self), NULL);

  request = domus_debian_request_new ();
  password = gtk_entry_get_text (self->password_entry);
  request->suite = empty_to_null (suite (self));
  request->size_bytes = (guint64) MAX (size_gib (self), 0) * GIB;
  request->hostname = empty_to_null (trimmed (self->hostname_entry));
  request->ssh_keys = g_strdup (ssh_keys);
  request->root_password = password[0] != '\0' ? g_strdup (password) : NULL;
  request->memory_mib = memory_mib;
  request->mirror = empty_to_null (trimmed (self->mirror_entry));
  return request;
}

char *
domus_debian_form_describe (DomusDebianForm *self,
                            const char      *name)
{
  g_autofree char *the_suite = suite (self);
  g_autofree char *hostname = trimmed (self->hostname_entry);
  g_autofree char *key_file = domus_key_file_path (self->key_entry);
  g_autofree char *mirror = trimmed (self->mirror_entry);
  g_autoptr(GString) text = g_string_new (NULL);

  g_return_val_if_fail (DOMUS_IS_DEBIAN_FORM (self), NULL);

  g_string_append_printf (text, _("Debian “%s” from the archive, on a disk of %d GiB."),
                          the_suite, (int) size_gib (self));
  g_string_append_c (text, '\n');
  g_string_append_printf (text, _("Host name: %s"), hostname[0] != '\0' ? hostname : name);
  g_string_append_c (text, '\n');
  if (key_file != NULL)
    {
      g_string_append_printf (text, _("Root logs in with the key in %s."), key_file);
      g_string_append_c (text, '\n');
    }
  if (gtk_entry_get_text (self->password_entry)[0] != '\0')
    {
      g_string_append (text, _("Root logs in with the password given (hashed on the host, never stored in clear)."));
      g_string_append_c (text, '\n');
    }
  g_string_append_printf (text, _("Archive: %s"), mirror[0] != '\0' ? mirror : _("Debian’s own"));
  g_string_append_c (text, '\n');
  return g_string_free (g_steal_pointer (&text), FALSE);
}

/* GtkEntry keeps its text in its buffer: overwriting it there is the most this side can do. */
static void
wipe_entry (GtkEntry *entry)
{
  GtkEntryBuffer *buffer = gtk_entry_get_buffer (entry);
  guint length = gtk_entry_buffer_get_length (buffer);
  g_autofree char *blank = g_strnfill (length, ' ');

  gtk_entry_buffer_set_text (buffer, blank, -1);
  gtk_entry_buffer_set_text (buffer, "", 0);
}

void
domus_debian_form_forget_password (DomusDebianForm *self)
{
  g_return_if_fail (DOMUS_IS_DEBIAN_FORM (self));

  wipe_entry (self->password_entry);
  wipe_entry (self->repeat_entry);
}

static void
on_changed (DomusDebianForm *self)
{
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
}

static void
on_browse_clicked (DomusDebianForm *self)
{
  domus_key_file_choose (self->key_entry);
}

static void
domus_debian_form_class_init (DomusDebianFormClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  signals[SIGNAL_CHANGED] =
    g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/domus/Domus/ui/domus-debian-form.ui");
#define BIND(name) gtk_widget_class_bind_template_child (widget_class, DomusDebianForm, name)
  BIND (suite_combo);
  BIND (size_spin);
  BIND (hostname_entry);
  BIND (key_entry);
  BIND (key_browse);
  BIND (password_entry);
  BIND (repeat_entry);
  BIND (mirror_entry);
  BIND (hint_label);
#undef BIND
  gtk_widget_class_bind_template_callback (widget_class, on_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_browse_clicked);
}

static void
domus_debian_form_init (DomusDebianForm *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
domus_debian_form_new (void)
{
  return g_object_new (DOMUS_TYPE_DEBIAN_FORM, NULL);
}
