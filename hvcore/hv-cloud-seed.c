/* SPDX-License-Identifier: GPL-3.0-or-later */
/* NoCloud seeds: meta-data and user-data made from typed fields, written as a `cidata` ISO. */

#include "config.h"

#include <errno.h>
#include <string.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "hv-cloud-seed.h"
#include "hv-tool.h"

G_DEFINE_QUARK (hv-cloud-seed-error-quark, hv_cloud_seed_error)

/* NoCloud finds its seed by this volume id (or "CIDATA"). */
#define VOLUME_ID "cidata"

struct _HvCloudSeed
{
  GObject     parent_instance;

  char       *instance_id;
  char       *hostname;
  char       *user;
  GPtrArray  *ssh_keys;
  char       *password_hash;
  char       *user_data;     /* verbatim; NULL: made from the fields */
  GHashTable *files;         /* name → contents */
};

G_DEFINE_FINAL_TYPE (HvCloudSeed, hv_cloud_seed, G_TYPE_OBJECT)

static void
hv_cloud_seed_finalize (GObject *object)
{
  HvCloudSeed *self = HV_CLOUD_SEED (object);

  g_free (self->instance_id);
  g_free (self->hostname);
  g_free (self->user);
  g_ptr_array_unref (self->ssh_keys);
  /* A hash is no secret the way a password is, but it need not linger either. */
  if (self->password_hash != NULL)
    memset (self->password_hash, 0, strlen (self->password_hash));
  g_free (self->password_hash);
  g_free (self->user_data);
  g_hash_table_unref (self->files);
  G_OBJECT_CLASS (hv_cloud_seed_parent_class)->finalize (object);
}

static void
hv_cloud_seed_class_init (HvCloudSeedClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = hv_cloud_seed_finalize;
}

static void
hv_cloud_seed_init (HvCloudSeed *self)
{
  self->ssh_keys = g_ptr_array_new_with_free_func (g_free);
  self->files = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

HvCloudSeed *
hv_cloud_seed_new (const char *instance_id,
                   const char *hostname)
{
  HvCloudSeed *self = g_object_new (HV_TYPE_CLOUD_SEED, NULL);

  self->instance_id = g_strdup (instance_id);
  self->hostname = g_strdup (hostname);
  return self;
}

const char *
hv_cloud_seed_get_instance_id (HvCloudSeed *self)
{
  g_return_val_if_fail (HV_IS_CLOUD_SEED (self), NULL);
  return self->instance_id;
}

const char *
hv_cloud_seed_get_hostname (HvCloudSeed *self)
{
  g_return_val_if_fail (HV_IS_CLOUD_SEED (self), NULL);
  return self->hostname;
}

void
hv_cloud_seed_set_instance_id (HvCloudSeed *self,
                               const char  *instance_id)
{
  g_return_if_fail (HV_IS_CLOUD_SEED (self));
  g_free (self->instance_id);
  self->instance_id = g_strdup (instance_id);
}

void
hv_cloud_seed_set_hostname (HvCloudSeed *self,
                            const char  *hostname)
{
  g_return_if_fail (HV_IS_CLOUD_SEED (self));
  g_free (self->hostname);
  self->hostname = g_strdup (hostname);
}

void
hv_cloud_seed_set_user (HvCloudSeed *self,
                        const char  *user)
{
  g_return_if_fail (HV_IS_CLOUD_SEED (self));
  g_free (self->user);
  self->user = g_strdup (user);
}

void
hv_cloud_seed_add_ssh_key (HvCloudSeed *self,
                           const char  *key)
{
  g_autofree char *line = g_strstrip (g_strdup (key));

  g_return_if_fail (HV_IS_CLOUD_SEED (self));
  g_ptr_array_add (self->ssh_keys, g_steal_pointer (&line));
}

void
hv_cloud_seed_set_password_hash (HvCloudSeed *self,
                                 const char  *hash)
{
  g_return_if_fail (HV_IS_CLOUD_SEED (self));
  g_free (self->password_hash);
  self->password_hash = g_strdup (hash);
}

void
hv_cloud_seed_set_user_data (HvCloudSeed *self,
                             const char  *text)
{
  g_return_if_fail (HV_IS_CLOUD_SEED (self));
  g_free (self->user_data);
  self->user_data = g_strdup (text);
}

void
hv_cloud_seed_add_file (HvCloudSeed *self,
                        const char  *name,
                        const char  *contents)
{
  g_return_if_fail (HV_IS_CLOUD_SEED (self));
  g_hash_table_replace (self->files, g_strdup (name), g_strdup (contents));
}

const char *
hv_cloud_seed_get_file (HvCloudSeed *self,
                        const char  *name)
{
  g_return_val_if_fail (HV_IS_CLOUD_SEED (self), NULL);
  return g_hash_table_lookup (self->files, name);
}

/* Checks */

gboolean
hv_cloud_seed_hostname_is_valid (const char *hostname)
{
  gsize label = 0;

  if (hostname == NULL || *hostname == '\0' || strlen (hostname) > 253)
    return FALSE;
  for (const char *p = hostname; ; p++)
    {
      if (*p == '.' || *p == '\0')
        {
          /* A label is 1 to 63 bytes and neither starts nor ends with '-'. */
          if (label == 0 || label > 63 || p[-1] == '-' || p[-(gssize) label] == '-')
            return FALSE;
          if (*p == '\0')
            return TRUE;
          label = 0;
        }
      else if (g_ascii_isalnum (*p) || *p == '-')
        label++;
      else
        return FALSE;
    }
}

gboolean
hv_cloud_seed_ssh_key_is_valid (const char *key)
{
  static const char * const types[] = {
    "ssh-ed25519", "ssh-rsa", "ssh-dss", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521", "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com",
  };
  g_auto(GStrv) words = NULL;
  gboolean known = FALSE;

  if (key == NULL || strpbrk (key, "\r\n") != NULL)
    return FALSE;
  for (const char *p = key; *p != '\0'; p++)
    if ((guchar) *p < 0x20 && *p != '\t')
      return FALSE;
  words = g_strsplit_set (key, " \t", 3);
  if (g_strv_length (words) < 2)
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (types); i++)
    known = known || g_str_equal (words[0], types[i]);
  if (!known || strlen (words[1]) < 16)
    return FALSE;
  for (const char *p = words[1]; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && strchr ("+/=", *p) == NULL)
      return FALSE;
  return TRUE;
}

static gboolean
is_plain_word (const char *text,
               gsize       max_length)
{
  if (text == NULL || *text == '\0' || strlen (text) > max_length)
    return FALSE;
  for (const char *p = text; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && strchr ("._-", *p) == NULL)
      return FALSE;
  return TRUE;
}

static gboolean
invalid (GError     **error,
         const char  *message)
{
  g_set_error_literal (error, HV_CLOUD_SEED_ERROR, HV_CLOUD_SEED_ERROR_INVALID, message);
  return FALSE;
}

static gboolean
check_fields (HvCloudSeed  *self,
              GError      **error)
{
  if (!is_plain_word (self->instance_id, 128))
    return invalid (error, _("instance-id: letters, digits, “.”, “_” and “-” only, 1 to 128 of them"));
  if (!hv_cloud_seed_hostname_is_valid (self->hostname))
    {
      g_set_error (error, HV_CLOUD_SEED_ERROR, HV_CLOUD_SEED_ERROR_INVALID,
                   _("hostname: “%s” is not a host name (letters, digits and “-” in labels of at most 63, separated by “.”)"),
                   self->hostname != NULL ? self->hostname : "");
      return FALSE;
    }
  if (self->user != NULL && (!is_plain_word (self->user, 32) || g_ascii_isdigit (*self->user)))
    {
      g_set_error (error, HV_CLOUD_SEED_ERROR, HV_CLOUD_SEED_ERROR_INVALID,
                   _("user: “%s” is not a user name (letters, digits, “.”, “_”, “-”, not starting with a digit, at most 32)"),
                   self->user);
      return FALSE;
    }
  for (guint i = 0; i < self->ssh_keys->len; i++)
    if (!hv_cloud_seed_ssh_key_is_valid (g_ptr_array_index (self->ssh_keys, i)))
      return invalid (error, _("SSH key: not one line of an OpenSSH public key (“ssh-ed25519 AAAA… comment”)"));
  if (self->password_hash != NULL &&
      (self->password_hash[0] != '$' || strpbrk (self->password_hash, " \t\r\n:\"\\") != NULL))
    return invalid (error, _("password: not a crypt(3) hash"));
  return TRUE;
}

/* The two NoCloud files */

static char *
make_meta_data (HvCloudSeed *self)
{
  return g_strdup_printf ("instance-id: %s\nlocal-hostname: %s\n", self->instance_id, self->hostname);
}

/* Every value written is checked above to need no YAML quoting beyond double quotes. */
static char *
make_user_data (HvCloudSeed *self)
{
  g_autoptr(GString) text = g_string_new ("#cloud-config\n# Made by Domus for this guest.\n");
  const char *indent = self->user != NULL ? "    " : "";

  if (self->user != NULL)
    {
      g_string_append (text, "users:\n");
      g_string_append_printf (text, "  - name: %s\n", self->user);
      g_string_append (text, "    sudo: \"ALL=(ALL) NOPASSWD:ALL\"\n    shell: /bin/bash\n");
      if (self->password_hash != NULL)
        g_string_append_printf (text, "    lock_passwd: false\n    hashed_passwd: \"%s\"\n",
                                self->password_hash);
    }
  if (self->ssh_keys->len > 0)
    {
      g_string_append_printf (text, "%sssh_authorized_keys:\n", indent);
      for (guint i = 0; i < self->ssh_keys->len; i++)
        g_string_append_printf (text, "%s  - \"%s\"\n", indent,
                                (const char *) g_ptr_array_index (self->ssh_keys, i));
    }
  if (self->password_hash != NULL)
    g_string_append (text, "ssh_pwauth: true\n");
  return g_string_free (g_steal_pointer (&text), FALSE);
}

char *
hv_cloud_seed_dup_user_data (HvCloudSeed  *self,
                             GError      **error)
{
  g_return_val_if_fail (HV_IS_CLOUD_SEED (self), NULL);

  if (self->user_data != NULL)
    return g_strdup (self->user_data);
  if (!check_fields (self, error))
    return NULL;
  return make_user_data (self);
}

/* Writing */

static const char *
find_iso_tool (void)
{
  static const char * const tools[] = { "xorriso", "genisoimage" };

  for (guint i = 0; i < G_N_ELEMENTS (tools); i++)
    {
      g_autofree char *path = g_find_program_in_path (tools[i]);

      if (path != NULL)
        return tools[i];
    }
  return NULL;
}

static gboolean
write_private_file (const char  *dir,
                    const char  *name,
                    const char  *contents,
                    GError     **error)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  GError *local = NULL;

  /* 0600: the password hash and user-data are the guest owner's business. */
  if (g_file_set_contents_full (path, contents, -1, G_FILE_SET_CONTENTS_NONE, 0600, &local))
    return TRUE;
  g_set_error (error, HV_CLOUD_SEED_ERROR, HV_CLOUD_SEED_ERROR_IO, "%s", local->message);
  g_error_free (local);
  return FALSE;
}

static gboolean
stage_files (HvCloudSeed  *self,
             const char   *dir,
             GError      **error)
{
  g_autofree char *meta_data = make_meta_data (self);
  g_autofree char *user_data = hv_cloud_seed_dup_user_data (self, error);
  GHashTableIter iter;
  gpointer name, contents;

  if (user_data == NULL ||
      !write_private_file (dir, "meta-data", meta_data, error) ||
      !write_private_file (dir, "user-data", user_data, error))
    return FALSE;
  g_hash_table_iter_init (&iter, self->files);
  while (g_hash_table_iter_next (&iter, &name, &contents))
    {
      if (!is_plain_word (name, 64) || *(const char *) name == '.' ||
          g_str_equal (name, "meta-data") || g_str_equal (name, "user-data"))
        {
          g_set_error (error, HV_CLOUD_SEED_ERROR, HV_CLOUD_SEED_ERROR_INVALID,
                       _("seed file: “%s” cannot be a file name in a seed"), (const char *) name);
          return FALSE;
        }
      if (!write_private_file (dir, name, contents, error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
make_iso (const char    *staging,
          const char    *output,
          GCancellable  *cancellable,
          GError       **error)
{
  const char *tool = find_iso_tool ();
  g_autofree char *err = NULL;
  g_autofree char *last = NULL;
  int status = 0;

  if (tool == NULL)
    {
      g_set_error_literal (error, HV_CLOUD_SEED_ERROR, HV_CLOUD_SEED_ERROR_NO_TOOL,
                           _("Making a seed ISO needs xorriso or genisoimage; install the package xorriso."));
      return FALSE;
    }
  {
    /* Joliet and Rock Ridge names: cloud-init reads "meta-data", not "META_DAT.;1". */
    const char *xorriso[] = { "xorriso", "-as", "mkisofs", "-quiet", "-V", VOLUME_ID, "-J", "-r",
                              "-o", output, staging, NULL };
    const char *genisoimage[] = { "genisoimage", "-quiet", "-V", VOLUME_ID, "-J", "-r",
                                  "-o", output, staging, NULL };
    const char * const *argv = g_str_equal (tool, "xorriso") ? xorriso : genisoimage;

    if (!hv_tool_run (argv, NULL, NULL, &err, &status, cancellable, error))
      return FALSE;
  }
  if (status == 0)
    return TRUE;
  last = hv_tool_last_line (err);
  g_set_error (error, HV_CLOUD_SEED_ERROR, HV_CLOUD_SEED_ERROR_TOOL,
               _("%s could not write the seed %s: %s"), tool, output, last);
  return FALSE;
}

gboolean
hv_cloud_seed_write (HvCloudSeed   *self,
                     const char    *path,
                     GCancellable  *cancellable,
                     GError       **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *base = g_path_get_basename (path);
  g_autofree char *template = g_strdup_printf ("%s/.%s.XXXXXX", dir, base);
  const char *staging;
  g_autofree char *iso = NULL;
  gboolean ok;

  g_return_val_if_fail (HV_IS_CLOUD_SEED (self), FALSE);

  if (!check_fields (self, error))
    return FALSE;
  if (g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, HV_CLOUD_SEED_ERROR, HV_CLOUD_SEED_ERROR_EXISTS,
                   _("%s exists already; a seed is never written over another file."), path);
      return FALSE;
    }
  /* The template becomes the folder's name. */
  staging = g_mkdtemp_full (template, 0700);
  if (staging == NULL)
    {
      g_set_error (error, HV_CLOUD_SEED_ERROR, HV_CLOUD_SEED_ERROR_IO,
                   _("Cannot make a folder in %s: %s"), dir, g_strerror (errno));
      return FALSE;
    }
  iso = g_strdup_printf ("%s.iso", staging);
  {
    g_autofree char *files = g_build_filename (staging, "files", NULL);

    ok = g_mkdir (files, 0700) == 0 &&
         stage_files (self, files, error) &&
         make_iso (files, iso, cancellable, error);
  }
  if (ok && g_rename (iso, path) != 0)
    {
      g_set_error (error, HV_CLOUD_SEED_ERROR, HV_CLOUD_SEED_ERROR_IO,
                   _("Cannot rename %s to %s: %s"), iso, path, g_strerror (errno));
      ok = FALSE;
    }
  g_unlink (iso);
  hv_tool_remove_tree (staging);
  return ok;
}

static void
write_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  GError *error = NULL;

  if (hv_cloud_seed_write (source_object, task_data, cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

void
hv_cloud_seed_write_async (HvCloudSeed         *self,
                           const char          *path,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_return_if_fail (HV_IS_CLOUD_SEED (self));
  g_return_if_fail (path != NULL);

  g_task_set_source_tag (task, hv_cloud_seed_write_async);
  g_task_set_task_data (task, g_strdup (path), g_free);
  g_task_run_in_thread (task, write_thread);
}

gboolean
hv_cloud_seed_write_finish (HvCloudSeed   *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Reading back */

/* "key: value" from meta-data, as this file writes it. */
static char *
meta_data_value (const char *meta_data,
                 const char *key)
{
  g_auto(GStrv) lines = g_strsplit (meta_data, "\n", -1);
  gsize key_length = strlen (key);

  for (guint i = 0; lines[i] != NULL; i++)
    if (strncmp (lines[i], key, key_length) == 0 && lines[i][key_length] == ':')
      return g_strstrip (g_strdup (lines[i] + key_length + 1));
  return NULL;
}

static gboolean
read_staged (HvCloudSeed  *self,
             const char   *dir,
             GError      **error)
{
  g_autoptr(GDir) handle = g_dir_open (dir, 0, error);
  const char *name;

  if (handle == NULL)
    return FALSE;
  while ((name = g_dir_read_name (handle)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_autofree char *contents = NULL;

      if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
        continue;
      if (!g_file_get_contents (path, &contents, NULL, error))
        return FALSE;
      if (g_str_equal (name, "meta-data"))
        {
          self->instance_id = meta_data_value (contents, "instance-id");
          self->hostname = meta_data_value (contents, "local-hostname");
        }
      else if (g_str_equal (name, "user-data"))
        self->user_data = g_steal_pointer (&contents);
      else
        g_hash_table_replace (self->files, g_strdup (name), g_steal_pointer (&contents));
    }
  return TRUE;
}

HvCloudSeed *
hv_cloud_seed_load (const char    *path,
                    GCancellable  *cancellable,
                    GError       **error)
{
  g_autoptr(HvCloudSeed) self = g_object_new (HV_TYPE_CLOUD_SEED, NULL);
  g_autofree char *staging = g_dir_make_tmp ("domus-seed-XXXXXX", error);
  g_autofree char *err = NULL;
  g_autofree char *last = NULL;
  int status = 0;
  gboolean ok;

  if (staging == NULL)
    return NULL;
  {
    const char *argv[] = { "xorriso", "-osirrox", "on", "-indev", path, "-extract", "/", staging, NULL };

    ok = hv_tool_run (argv, NULL, NULL, &err, &status, cancellable, error);
  }
  if (ok && status != 0)
    {
      last = hv_tool_last_line (err);
      g_set_error (error, HV_CLOUD_SEED_ERROR, HV_CLOUD_SEED_ERROR_TOOL,
                   _("xorriso could not read the seed %s: %s"), path, last);
      ok = FALSE;
    }
  ok = ok && read_staged (self, staging, error);
  hv_tool_remove_tree (staging);
  if (!ok)
    return NULL;
  if (self->instance_id == NULL || self->hostname == NULL)
    {
      g_set_error (error, HV_CLOUD_SEED_ERROR, HV_CLOUD_SEED_ERROR_INVALID,
                   _("%s has no meta-data with instance-id and local-hostname: not a seed Domus wrote"), path);
      return NULL;
    }
  return g_steal_pointer (&self);
}

static void
load_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  GError *error = NULL;
  HvCloudSeed *seed = hv_cloud_seed_load (task_data, cancellable, &error);

  if (seed != NULL)
    g_task_return_pointer (task, seed, g_object_unref);
  else
    g_task_return_error (task, error);
}

void
hv_cloud_seed_load_async (const char          *path,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, hv_cloud_seed_load_async);
  g_task_set_task_data (task, g_strdup (path), g_free);
  g_task_run_in_thread (task, load_thread);
}

HvCloudSeed *
hv_cloud_seed_load_finish (GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
