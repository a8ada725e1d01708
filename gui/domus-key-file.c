/* SPDX-License-Identifier: GPL-3.0-or-later */
/* SSH public key files on this computer: the path typed, a chooser, and reading the keys.
 *
 * The key goes to the host as text (image.debian's ssh_keys, a cloud seed's keys): the
 * file is the user's, on the computer the window runs on, whichever host builds the guest. */

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "domus-key-file.h"

#define MAX_KEY_FILE_BYTES (64 * 1024)

char *
domus_key_file_path (GtkEntry *entry)
{
  g_autofree char *text = g_strstrip (g_strdup (gtk_entry_get_text (entry)));

  if (text[0] == '\0')
    return NULL;
  if (g_str_has_prefix (text, "~/"))
    return g_build_filename (g_get_home_dir (), text + 2, NULL);
  return g_steal_pointer (&text);
}

char *
domus_key_file_problem (const char *path)
{
  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
    return g_strdup_printf (_("The key file “%s” does not exist on this computer."), path);
  return NULL;
}

static void
chooser_response (GtkNativeDialog *chooser,
                  int              response,
                  GtkEntry        *entry)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autofree char *path = gtk_file_chooser_get_filename (GTK_FILE_CHOOSER (chooser));

      if (path != NULL)
        gtk_entry_set_text (entry, path);
    }
  g_object_unref (entry);
  gtk_native_dialog_destroy (chooser);
  g_object_unref (chooser);
}

void
domus_key_file_choose (GtkEntry *entry)
{
  GtkWidget *toplevel = gtk_widget_get_toplevel (GTK_WIDGET (entry));
  GtkFileChooserNative *chooser;
  GtkFileFilter *filter;
  g_autofree char *ssh_dir = g_build_filename (g_get_home_dir (), ".ssh", NULL);

  chooser = gtk_file_chooser_native_new (_("Choose an SSH Public Key"),
                                         GTK_IS_WINDOW (toplevel) ? GTK_WINDOW (toplevel) : NULL,
                                         GTK_FILE_CHOOSER_ACTION_OPEN, NULL, NULL);
  gtk_file_chooser_set_local_only (GTK_FILE_CHOOSER (chooser), TRUE);
  if (g_file_test (ssh_dir, G_FILE_TEST_IS_DIR))
    gtk_file_chooser_set_current_folder (GTK_FILE_CHOOSER (chooser), ssh_dir);
  filter = gtk_file_filter_new ();
  gtk_file_filter_set_name (filter, _("SSH public keys"));
  gtk_file_filter_add_pattern (filter, "*.pub");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), filter);
  filter = gtk_file_filter_new ();
  gtk_file_filter_set_name (filter, _("All files"));
  gtk_file_filter_add_pattern (filter, "*");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), filter);
  g_signal_connect (chooser, "response", G_CALLBACK (chooser_response), g_object_ref (entry));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

/* Reading */

static gboolean
is_public_key_line (const char *line)
{
  static const char * const prefixes[] = { "ssh-", "ecdsa-", "sk-ssh-", "sk-ecdsa-" };

  for (gsize i = 0; i < G_N_ELEMENTS (prefixes); i++)
    if (g_str_has_prefix (line, prefixes[i]) && strchr (line, ' ') != NULL)
      return TRUE;
  return FALSE;
}

/* The key lines of contents, or NULL with the reason. */
static char *
keys_of (const char  *path,
         const char  *contents,
         gsize        length,
         GError     **error)
{
  g_auto(GStrv) lines = NULL;
  g_autoptr(GString) keys = g_string_new (NULL);

  if (length > MAX_KEY_FILE_BYTES || !g_utf8_validate (contents, (gssize) length, NULL) ||
      memchr (contents, '\0', length) != NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _("“%s” is not an SSH public key file."), path);
      return NULL;
    }
  if (strstr (contents, "PRIVATE KEY") != NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _("“%s” is a private key: choose the public one (its name ends in .pub)."), path);
      return NULL;
    }
  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      char *line = g_strstrip (lines[i]);

      if (line[0] == '\0' || line[0] == '#')
        continue;
      if (!is_public_key_line (line))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       _("%s:%u: not an OpenSSH public key line."), path, i + 1);
          return NULL;
        }
      g_string_append_printf (keys, "%s\n", line);
    }
  if (keys->len == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, _("“%s” holds no key."), path);
      return NULL;
    }
  return g_string_free (g_steal_pointer (&keys), FALSE);
}

static void
contents_loaded (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autofree char *contents = NULL;
  g_autofree char *path = g_file_get_path (G_FILE (source));
  gsize length = 0;
  GError *error = NULL;
  char *keys;

  if (!g_file_load_contents_finish (G_FILE (source), result, &contents, &length, NULL, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  keys = keys_of (path, contents, length, &error);
  if (keys == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, keys, g_free);
}

void
domus_key_file_read_async (const char          *path,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, domus_key_file_read_async);
  g_file_load_contents_async (file, cancellable, contents_loaded, task);
}

char *
domus_key_file_read_finish (GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == domus_key_file_read_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
