/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The domains of one host: the config folder, domain ids, reattaching, autostart and on_* restarts. */

#include "config.h"

#include <inttypes.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "domus-domain-name.h"
#include "hv-config.h"
#include "hv-defined.h"
#include "hv-domain-spec.h"
#include "hv-host.h"
#include "hv-run-folder.h"

#define NEXT_ID_FILE      "next-id"
#define AUTOSTART_FOLDER  "auto"
/* A domain that needs restarting more often than this is left off, as xend did. */
#define RESTART_WINDOW_US (10 * G_USEC_PER_SEC)
#define RESTART_LIMIT     3

struct _HvHost
{
  GObject          parent_instance;

  HvPaths         *paths;
  HvDomainRuntime  runtime;
  char            *qemu_binary;
  GStrv            forward_addresses;

  GHashTable      *domains;     /* name → HvDomain: every domain this daemon has touched */
  gint64           next_id;
  GHashTable      *restarts;    /* name → RestartRecord */
};

typedef struct {
  gint64 window_start_us;
  guint  count;
} RestartRecord;

G_DEFINE_QUARK (hv-host-error-quark, hv_host_error)

G_DEFINE_FINAL_TYPE (HvHost, hv_host, G_TYPE_OBJECT)

enum {
  SIGNAL_DOMAIN_EVENT,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void start_restart (HvHost *self, HvDomain *domain);

/* Ids */

static char *
next_id_path (HvHost *self)
{
  return g_build_filename (self->paths->run_dir, NEXT_ID_FILE, NULL);
}

static void
load_next_id (HvHost *self)
{
  g_autofree char *path = next_id_path (self);
  g_autofree char *text = NULL;

  self->next_id = 1;
  if (g_file_get_contents (path, &text, NULL, NULL))
    self->next_id = MAX (1, g_ascii_strtoll (text, NULL, 10));
}

/* Ids keep counting up across daemon restarts, as Xen's do until the host reboots. */
static gint64
take_next_id (HvHost *self)
{
  g_autofree char *path = next_id_path (self);
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  gint64 id = self->next_id++;

  text = g_strdup_printf ("%" G_GINT64_FORMAT "\n", self->next_id);
  /* Losing it in a power cut costs nothing: ids start again at boot, as Xen's did. */
  if (!g_file_set_contents_full (path, text, -1, G_FILE_SET_CONTENTS_NONE, 0600, &error))
    g_warning ("cannot record the next domain id: %s", error->message);
  return id;
}

/* The table */

static void
on_domain_state_changed (HvDomain   *domain,
                         guint       state,
                         const char *reason,
                         gpointer    user_data)
{
  HvHost *self = user_data;

  g_signal_emit (self, signals[SIGNAL_DOMAIN_EVENT], 0, domain, reason);
}

static gboolean
restart_allowed (HvHost     *self,
                 const char *name)
{
  RestartRecord *record = g_hash_table_lookup (self->restarts, name);
  gint64 now = g_get_monotonic_time ();

  if (record == NULL)
    {
      record = g_new0 (RestartRecord, 1);
      g_hash_table_insert (self->restarts, g_strdup (name), record);
    }
  if (now - record->window_start_us > RESTART_WINDOW_US)
    {
      record->window_start_us = now;
      record->count = 0;
    }
  return ++record->count <= RESTART_LIMIT;
}

static void
on_domain_ended (HvDomain   *domain,
                 const char *reason,
                 guint       action,
                 gpointer    user_data)
{
  HvHost *self = user_data;

  switch ((HvDomainAction) action)
    {
    case HV_DOMAIN_ACTION_RESTART:
    case HV_DOMAIN_ACTION_RENAME_RESTART:
    case HV_DOMAIN_ACTION_COREDUMP_RESTART:
      if (!restart_allowed (self, hv_domain_get_name (domain)))
        {
          g_message ("domain %s: restarted too often in %d s; left off",
                     hv_domain_get_name (domain), (int) (RESTART_WINDOW_US / G_USEC_PER_SEC));
          return;
        }
      start_restart (self, domain);
      break;
    default:
      break;
    }
}

static HvDomain *
add_domain (HvHost     *self,
            const char *name,
            const char *config_path)
{
  g_autofree char *run_dir = g_build_filename (self->paths->run_dir, name, NULL);
  HvDomain *domain = hv_domain_new (name, config_path, run_dir);

  g_signal_connect (domain, "state-changed", G_CALLBACK (on_domain_state_changed), self);
  g_signal_connect (domain, "ended", G_CALLBACK (on_domain_ended), self);
  g_hash_table_insert (self->domains, g_strdup (name), domain);
  return domain;
}

static void
emit_event (HvHost     *self,
            HvDomain   *domain,
            const char *reason)
{
  g_signal_emit (self, signals[SIGNAL_DOMAIN_EVENT], 0, domain, reason);
}

static int
compare_by_id (gconstpointer a,
               gconstpointer b)
{
  gint64 ia = hv_domain_get_id (*(HvDomain * const *) a);
  gint64 ib = hv_domain_get_id (*(HvDomain * const *) b);

  return ia < ib ? -1 : ia > ib;
}

GPtrArray *
hv_host_dup_active (HvHost *self)
{
  GPtrArray *active = g_ptr_array_new_with_free_func (g_object_unref);
  GHashTableIter iter;
  gpointer value;

  g_return_val_if_fail (HV_IS_HOST (self), NULL);

  g_hash_table_iter_init (&iter, self->domains);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (hv_domain_is_active (value))
      g_ptr_array_add (active, g_object_ref (value));
  g_ptr_array_sort (active, compare_by_id);
  return active;
}

static HvDomain *
find_active_by_id (HvHost     *self,
                   const char *text)
{
  GHashTableIter iter;
  gpointer value;
  guint64 id;

  if (!g_ascii_string_to_unsigned (text, 10, 1, G_MAXINT64, &id, NULL))
    return NULL;
  g_hash_table_iter_init (&iter, self->domains);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (hv_domain_is_active (value) && hv_domain_get_id (value) == (gint64) id)
      return value;
  return NULL;
}

/* xm's rule: an argument of digits only is a domain id, never a name. */
static gboolean
name_is_id (const char *name_or_id)
{
  if (*name_or_id == '\0')
    return FALSE;
  for (const char *p = name_or_id; *p != '\0'; p++)
    if (!g_ascii_isdigit (*p))
      return FALSE;
  return TRUE;
}

HvDomain *
hv_host_find (HvHost      *self,
              const char  *name,
              GError     **error)
{
  g_autoptr(HvDefined) defined = NULL;
  HvDomain *domain;

  g_return_val_if_fail (HV_IS_HOST (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  domain = g_hash_table_lookup (self->domains, name);
  if (domain != NULL && hv_domain_is_active (domain))
    return domain;

  /* Off: the config folder is the truth, and people edit it by hand. */
  defined = hv_defined_find (self->paths->config_dir, name);
  if (defined == NULL)
    {
      g_set_error (error, HV_HOST_ERROR, HV_HOST_ERROR_NO_SUCH_DOMAIN,
                   _("There is no domain “%s” on this host."), name);
      return NULL;
    }
  domain = g_hash_table_lookup (self->domains, defined->name);
  if (domain == NULL)
    domain = add_domain (self, defined->name, defined->path);
  else
    hv_domain_set_config_path (domain, defined->path);
  return domain;
}

HvDomain *
hv_host_lookup (HvHost      *self,
                const char  *name_or_id,
                GError     **error)
{
  HvDomain *domain;

  g_return_val_if_fail (HV_IS_HOST (self), NULL);
  g_return_val_if_fail (name_or_id != NULL, NULL);

  if (!name_is_id (name_or_id))
    return hv_host_find (self, name_or_id, error);
  /* Never a domain *named* with these digits: `destroy 2` must not end another domain than
   * the one with id 2, whatever names old config files hold. */
  domain = find_active_by_id (self, name_or_id);
  if (domain == NULL)
    g_set_error (error, HV_HOST_ERROR, HV_HOST_ERROR_NO_SUCH_DOMAIN,
                 _("No running domain has the id %s on this host."), name_or_id);
  return domain;
}

/* Autostart: a link in DIR/domains/auto, as /etc/xen/auto held for xendomains. */

static char *
autostart_link (HvHost     *self,
                const char *name)
{
  g_autofree char *file = g_strconcat (name, ".cfg", NULL);

  return g_build_filename (self->paths->config_dir, AUTOSTART_FOLDER, file, NULL);
}

gboolean
hv_host_get_autostart (HvHost     *self,
                       const char *name)
{
  g_autofree char *link = autostart_link (self, name);

  g_return_val_if_fail (HV_IS_HOST (self), FALSE);
  return g_file_test (link, G_FILE_TEST_EXISTS);
}

gboolean
hv_host_set_autostart (HvHost      *self,
                       const char  *name,
                       gboolean     autostart,
                       GError     **error)
{
  g_autofree char *link = NULL;
  g_autofree char *folder = NULL;
  HvDomain *domain;

  g_return_val_if_fail (HV_IS_HOST (self), FALSE);

  domain = hv_host_lookup (self, name, error);
  if (domain == NULL)
    return FALSE;
  link = autostart_link (self, hv_domain_get_name (domain));
  folder = g_path_get_dirname (link);
  if (g_unlink (link) != 0 && errno != ENOENT)
    {
      int saved_errno = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   _("Cannot remove %s: %s"), link, g_strerror (saved_errno));
      return FALSE;
    }
  if (autostart &&
      (g_mkdir_with_parents (folder, 0700) != 0 ||
       symlink (hv_domain_get_config_path (domain), link) != 0))
    {
      int saved_errno = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   _("Cannot make %s: %s"), link, g_strerror (saved_errno));
      return FALSE;
    }
  emit_event (self, domain, "autostart-changed");
  return TRUE;
}

/* Defining */

/* A config the daemon would refuse to start is refused now, with the same message. */
static HvConfig *
parse_config (const char          *text,
              const char          *filename,
              HvDomainSpec       **spec_out,
              GError             **error)
{
  g_autoptr(HvConfig) config = NULL;
  g_autoptr(HvDomainSpec) spec = NULL;

  config = hv_config_new_from_data (text, -1, filename, error);
  if (config == NULL)
    return NULL;
  spec = hv_domain_spec_new (config, HV_DOMAIN_SPEC_FLAGS_NONE, error);
  if (spec == NULL)
    return NULL;
  if (strcmp (spec->name, HV_DOMAIN0_NAME) == 0)
    {
      hv_config_set_key_error (config, error, HV_CONFIG_ERROR_INVALID, "name",
                               _("“%s” is the host’s own name"), HV_DOMAIN0_NAME);
      return NULL;
    }
  if (spec_out != NULL)
    *spec_out = g_steal_pointer (&spec);
  return g_steal_pointer (&config);
}

static HvDomain *
define_parsed (HvHost              *self,
               HvConfig            *config,
               const HvDomainSpec  *spec,
               GError             **error)
{
  g_autoptr(HvDefined) existing = hv_defined_find (self->paths->config_dir, spec->name);
  g_autofree char *file = g_strconcat (spec->name, ".cfg", NULL);
  g_autofree char *path = g_build_filename (self->paths->config_dir, file, NULL);
  HvDomain *domain = g_hash_table_lookup (self->domains, spec->name);

  if (existing != NULL || (domain != NULL && hv_domain_is_active (domain)))
    {
      g_set_error (error, HV_HOST_ERROR, HV_HOST_ERROR_ALREADY_EXISTS,
                   _("A domain named “%s” exists already (%s)."), spec->name,
                   existing != NULL ? existing->path : hv_domain_get_config_path (domain));
      return NULL;
    }
  /* Another file may sit at NAME.cfg, broken or naming another domain: never overwrite it. */
  if (g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, HV_HOST_ERROR, HV_HOST_ERROR_ALREADY_EXISTS,
                   _("%s exists already and does not define “%s”; rename or remove it first."),
                   path, spec->name);
      return NULL;
    }
  if (g_mkdir_with_parents (self->paths->config_dir, 0700) != 0 ||
      !hv_config_save (config, path, error))
    {
      if (error != NULL && *error == NULL)
        g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
                     _("Cannot make %s: %s"), self->paths->config_dir, g_strerror (errno));
      return NULL;
    }
  if (domain == NULL)
    domain = add_domain (self, spec->name, path);
  else
    hv_domain_set_config_path (domain, path);
  emit_event (self, domain, "defined");
  return domain;
}

HvDomain *
hv_host_define (HvHost      *self,
                const char  *text,
                const char  *filename,
                GError     **error)
{
  g_autoptr(HvDomainSpec) spec = NULL;
  g_autoptr(HvConfig) config = NULL;

  g_return_val_if_fail (HV_IS_HOST (self), NULL);

  config = parse_config (text, filename, &spec, error);
  if (config == NULL)
    return NULL;
  return define_parsed (self, config, spec, error);
}

static gboolean
refuse_if_active (HvDomain  *domain,
                  GError   **error)
{
  if (!hv_domain_is_active (domain))
    return TRUE;
  g_set_error (error, HV_HOST_ERROR, HV_HOST_ERROR_ALREADY_RUNNING,
               _("Domain %s is running; destroy or shut it down first."), hv_domain_get_name (domain));
  return FALSE;
}

static gboolean
undefine_domain (HvHost    *self,
                 HvDomain  *found,
                 GError   **error)
{
  g_autoptr(HvDomain) domain = NULL;
  g_autofree char *link = NULL;
  const char *path;

  if (!refuse_if_active (found, error))
    return FALSE;
  /* Held past its removal from the table, for the event. */
  domain = g_object_ref (found);
  path = hv_domain_get_config_path (domain);
  if (g_unlink (path) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   _("Cannot remove %s: %s"), path, g_strerror (saved_errno));
      return FALSE;
    }
  link = autostart_link (self, hv_domain_get_name (domain));
  g_unlink (link);
  g_hash_table_remove (self->domains, hv_domain_get_name (domain));
  emit_event (self, domain, "undefined");
  return TRUE;
}

gboolean
hv_host_undefine (HvHost      *self,
                  const char  *name,
                  GError     **error)
{
  HvDomain *found;

  g_return_val_if_fail (HV_IS_HOST (self), FALSE);

  found = hv_host_lookup (self, name, error);
  return found != NULL && undefine_domain (self, found, error);
}

static gboolean
set_config_of (HvHost      *self,
               HvDomain    *domain,
               const char  *text,
               GError     **error)
{
  g_autoptr(HvDomainSpec) spec = NULL;
  g_autoptr(HvConfig) config = NULL;

  config = parse_config (text, hv_domain_get_config_path (domain), &spec, error);
  if (config == NULL)
    return FALSE;
  if (strcmp (spec->name, hv_domain_get_name (domain)) != 0)
    {
      g_set_error (error, HV_HOST_ERROR, HV_HOST_ERROR_RENAME,
                   _("The config names “%s”, not “%s”: renaming a domain is not supported."),
                   spec->name, hv_domain_get_name (domain));
      return FALSE;
    }
  if (!hv_config_save (config, hv_domain_get_config_path (domain), error))
    return FALSE;
  emit_event (self, domain, "config-changed");
  return TRUE;
}

gboolean
hv_host_set_config (HvHost      *self,
                    const char  *name,
                    const char  *text,
                    GError     **error)
{
  HvDomain *domain;

  g_return_val_if_fail (HV_IS_HOST (self), FALSE);

  domain = hv_host_lookup (self, name, error);
  return domain != NULL && set_config_of (self, domain, text, error);
}

char *
hv_host_apply_values (HvHost      *self,
                      const char  *name,
                      GVariant    *values,
                      GError     **error)
{
  g_autoptr(HvConfig) config = NULL;
  GVariantIter iter;
  const char *key;
  GVariant *value;
  HvDomain *domain;

  g_return_val_if_fail (HV_IS_HOST (self), NULL);
  g_return_val_if_fail (g_variant_is_of_type (values, G_VARIANT_TYPE ("a{smv}")), NULL);

  domain = hv_host_lookup (self, name, error);
  if (domain == NULL)
    return NULL;
  config = hv_config_new_from_file (hv_domain_get_config_path (domain), error);
  if (config == NULL)
    return NULL;

  g_variant_iter_init (&iter, values);
  while (g_variant_iter_loop (&iter, "{&smv}", &key, &value))
    {
      if (strcmp (key, "name") == 0)
        {
          g_set_error (error, HV_HOST_ERROR, HV_HOST_ERROR_RENAME,
                       _("values.name: renaming a domain is not supported"));
          g_clear_pointer (&value, g_variant_unref);
          return NULL;
        }
      if (!g_regex_match_simple ("^[A-Za-z_][A-Za-z0-9_]*$", key, 0, 0))
        {
          g_set_error (error, HV_HOST_ERROR, HV_HOST_ERROR_INVALID_KEY,
                       _("values: “%s” is not a config key (letters, digits and _)"), key);
          g_clear_pointer (&value, g_variant_unref);
          return NULL;
        }
      if (value == NULL)
        hv_config_remove (config, key);
      else
        hv_config_set_value (config, key, value);
    }

  return hv_config_to_data (config, NULL);
}

char *
hv_host_set_values (HvHost      *self,
                    const char  *name,
                    GVariant    *values,
                    GError     **error)
{
  g_autofree char *text = hv_host_apply_values (self, name, values, error);

  /* Checked as a whole, exactly as it will be read back. */
  if (text == NULL || !hv_host_set_config (self, name, text, error))
    return NULL;
  return g_steal_pointer (&text);
}

/* Starting */

static void
on_domain_started (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!hv_domain_start_finish (HV_DOMAIN (source), result, &error))
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, g_object_ref (source), g_object_unref);
}

static void
start_domain (HvHost    *self,
              HvDomain  *domain,
              GPtrArray *notices,
              GTask     *task)
{
  g_autoptr(GError) error = NULL;

  if (!refuse_if_active (domain, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      g_object_unref (task);
      return;
    }
  hv_domain_start_async (domain, take_next_id (self), &self->runtime, notices,
                         NULL, on_domain_started, task);
}

void
hv_host_start_async (HvHost              *self,
                     const char          *name,
                     GPtrArray           *notices,
                     GCancellable        *cancellable,
                     GAsyncReadyCallback  callback,
                     gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  HvDomain *domain;
  GError *error = NULL;

  g_return_if_fail (HV_IS_HOST (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, hv_host_start_async);
  domain = hv_host_lookup (self, name, &error);
  if (domain == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  start_domain (self, domain, notices, g_steal_pointer (&task));
}

HvDomain *
hv_host_start_finish (HvHost        *self,
                      GAsyncResult  *result,
                      GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
on_restarted (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HvDomain) domain = hv_host_start_finish (HV_HOST (source), result, &error);

  if (domain == NULL)
    g_message ("restarting a domain failed: %s", error->message);
}

static void
start_restart (HvHost   *self,
               HvDomain *domain)
{
  g_autoptr(GTask) task = g_task_new (self, NULL, on_restarted, NULL);

  g_task_set_source_tag (task, hv_host_start_async);
  g_debug ("domain %s: restarting", hv_domain_get_name (domain));
  start_domain (self, domain, NULL, g_steal_pointer (&task));
}

/*
 * The file a domain was created from, created again, is the same domain even though the first
 * start wrote generated MACs into the stored copy: those are taken over before comparing.
 */
static gboolean
same_definition (HvConfig           *stored,
                 HvConfig           *given,
                 const HvDomainSpec *given_spec)
{
  g_autoptr(HvDomainSpec) stored_spec = hv_domain_spec_new (stored, HV_DOMAIN_SPEC_FLAGS_NONE, NULL);
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(HvConfig) adjusted = NULL;
  g_autofree char *text = NULL;

  if (hv_config_equal (stored, given))
    return TRUE;
  if (stored_spec == NULL || stored_spec->vifs->len != given_spec->vifs->len)
    return FALSE;

  entries = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < given_spec->vifs->len; i++)
    {
      const HvVifSpec *vif = g_ptr_array_index (given_spec->vifs, i);
      const HvVifSpec *stored_vif = g_ptr_array_index (stored_spec->vifs, i);

      g_ptr_array_add (entries, vif->mac_generated
                                  ? hv_domain_spec_vif_entry_with_mac (vif->entry, stored_vif->mac)
                                  : g_strdup (vif->entry));
    }
  g_ptr_array_add (entries, NULL);
  text = hv_config_to_data (given, NULL);
  adjusted = hv_config_new_from_data (text, -1, hv_config_get_filename (given), NULL);
  if (adjusted == NULL)
    return FALSE;
  hv_config_set_string_list (adjusted, "vif", (const char * const *) entries->pdata);
  return hv_config_equal (stored, adjusted);
}

typedef struct {
  HvDomain *defined_here;  /* taken back when the start fails */
} CreateData;

static void
create_data_free (CreateData *data)
{
  g_clear_object (&data->defined_here);
  g_free (data);
}

static void
on_created_started (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  HvHost *self = g_task_get_source_object (task);
  CreateData *data = g_task_get_task_data (task);
  GError *error = NULL;
  HvDomain *domain;

  domain = hv_domain_start_finish (HV_DOMAIN (source), result, &error) ? HV_DOMAIN (source) : NULL;
  if (domain == NULL)
    {
      if (data->defined_here != NULL)
        {
          g_autoptr(GError) undefine_error = NULL;

          if (!undefine_domain (self, data->defined_here, &undefine_error))
            g_warning ("cannot take back the definition of %s: %s",
                       hv_domain_get_name (data->defined_here), undefine_error->message);
        }
      g_task_return_error (task, error);
      return;
    }
  g_task_return_pointer (task, g_object_ref (domain), g_object_unref);
}

void
hv_host_create_async (HvHost              *self,
                      const char          *text,
                      const char          *filename,
                      GPtrArray           *notices,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(HvDomainSpec) spec = NULL;
  g_autoptr(HvConfig) config = NULL;
  g_autoptr(HvDefined) existing = NULL;
  CreateData *data;
  HvDomain *domain;
  GError *error = NULL;

  g_return_if_fail (HV_IS_HOST (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, hv_host_create_async);
  data = g_new0 (CreateData, 1);
  g_task_set_task_data (task, data, (GDestroyNotify) create_data_free);

  config = parse_config (text, filename, &spec, &error);
  if (config == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  /* Missing files are reported against the file the user gave, before anything is defined. */
  {
    g_autoptr(HvDomainSpec) strict = hv_domain_spec_new (config, HV_DOMAIN_SPEC_STRICT_FILES, &error);

    if (strict == NULL)
      {
        g_task_return_error (task, error);
        return;
      }
  }

  existing = hv_defined_find (self->paths->config_dir, spec->name);
  if (existing != NULL)
    {
      g_autoptr(HvConfig) current = hv_config_new_from_file (existing->path, NULL);

      domain = hv_host_find (self, spec->name, &error);
      if (domain != NULL && hv_domain_is_active (domain))
        {
          g_task_return_new_error (task, HV_HOST_ERROR, HV_HOST_ERROR_ALREADY_RUNNING,
                                   _("Domain %s is running already (id %" PRId64 ")."),
                                   spec->name, hv_domain_get_id (domain));
          return;
        }
      /* xm create of the file that defined it: just start it again. */
      if (domain == NULL || current == NULL || !same_definition (current, config, spec))
        {
          g_clear_error (&error);
          g_task_return_new_error (task, HV_HOST_ERROR, HV_HOST_ERROR_ALREADY_EXISTS,
                                   _("A different domain named “%s” is defined already (%s); start it, or undefine it first."),
                                   spec->name, existing->path);
          return;
        }
    }
  else
    {
      domain = define_parsed (self, config, spec, &error);
      if (domain == NULL)
        {
          g_task_return_error (task, error);
          return;
        }
      data->defined_here = g_object_ref (domain);
    }

  if (!refuse_if_active (domain, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  hv_domain_start_async (domain, take_next_id (self), &self->runtime, notices,
                         NULL, on_created_started, g_steal_pointer (&task));
}

HvDomain *
hv_host_create_finish (HvHost        *self,
                       GAsyncResult  *result,
                       GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Migration */

static void
on_incoming_started (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  HvHost *self = g_task_get_source_object (task);
  HvDomain *domain = HV_DOMAIN (source);
  GError *error = NULL;

  if (!hv_domain_start_finish (domain, result, &error))
    {
      g_hash_table_remove (self->domains, hv_domain_get_name (domain));
      g_task_return_error (task, error);
      return;
    }
  g_task_return_pointer (task, g_object_ref (domain), g_object_unref);
}

void
hv_host_start_incoming_async (HvHost              *self,
                              const char          *name,
                              const char          *config_path,
                              gboolean             paused,
                              GPtrArray           *notices,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(HvDefined) defined = NULL;
  HvDomain *domain;

  g_return_if_fail (HV_IS_HOST (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, hv_host_start_incoming_async);
  domain = g_hash_table_lookup (self->domains, name);
  if (domain != NULL && hv_domain_is_active (domain))
    {
      g_task_return_new_error (task, HV_HOST_ERROR, HV_HOST_ERROR_ALREADY_RUNNING,
                               _("Domain %s is running on this host already (id %" PRId64 ")."),
                               name, hv_domain_get_id (domain));
      return;
    }
  defined = hv_defined_find (self->paths->config_dir, name);
  if (defined != NULL)
    {
      g_task_return_new_error (task, HV_HOST_ERROR, HV_HOST_ERROR_ALREADY_EXISTS,
                               _("A domain named “%s” is defined on this host already (%s)."),
                               name, defined->path);
      return;
    }
  if (domain == NULL)
    domain = add_domain (self, name, config_path);
  else
    hv_domain_set_config_path (domain, config_path);
  hv_domain_set_incoming (domain, TRUE, paused);
  hv_domain_start_async (domain, take_next_id (self), &self->runtime, notices,
                         NULL, on_incoming_started, g_steal_pointer (&task));
}

HvDomain *
hv_host_start_incoming_finish (HvHost        *self,
                               GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

gboolean
hv_host_adopt_incoming (HvHost      *self,
                        HvDomain    *domain,
                        const char  *text,
                        GError     **error)
{
  g_autofree char *file = NULL;
  g_autofree char *path = NULL;

  g_return_val_if_fail (HV_IS_HOST (self), FALSE);

  file = g_strconcat (hv_domain_get_name (domain), ".cfg", NULL);
  path = g_build_filename (self->paths->config_dir, file, NULL);
  if (g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, HV_HOST_ERROR, HV_HOST_ERROR_ALREADY_EXISTS,
                   _("%s appeared during the migration; the arrived domain keeps running from %s."),
                   path, hv_domain_get_config_path (domain));
      return FALSE;
    }
  if (g_mkdir_with_parents (self->paths->config_dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   _("Cannot make %s: %s"), self->paths->config_dir, g_strerror (saved_errno));
      return FALSE;
    }
  if (!g_file_set_contents_full (path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, error))
    return FALSE;
  hv_domain_set_config_path (domain, path);
  emit_event (self, domain, "defined");
  return TRUE;
}

void
hv_host_forget_incoming (HvHost   *self,
                         HvDomain *domain)
{
  g_autoptr(HvDomain) held = NULL;

  g_return_if_fail (HV_IS_HOST (self));

  if (hv_domain_is_active (domain) || g_hash_table_lookup (self->domains, hv_domain_get_name (domain)) != domain)
    return;
  held = g_object_ref (domain);
  g_hash_table_remove (self->domains, hv_domain_get_name (domain));
  emit_event (self, held, "undefined");
}

gboolean
hv_host_retire_migrated (HvHost      *self,
                         const char  *name,
                         GError     **error)
{
  g_autoptr(HvDomain) domain = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *stamp = g_date_time_format (now, "%Y%m%dT%H%M%SZ");
  g_autofree char *folder = g_build_filename (self->paths->config_dir, ".migrated", NULL);
  g_autofree char *file = g_strdup_printf ("%s.cfg.%s", name, stamp);
  g_autofree char *target = g_build_filename (folder, file, NULL);
  g_autofree char *link = NULL;
  HvDomain *found;
  const char *path;

  g_return_val_if_fail (HV_IS_HOST (self), FALSE);

  found = hv_host_find (self, name, error);
  if (found == NULL || !refuse_if_active (found, error))
    return FALSE;
  domain = g_object_ref (found);
  path = hv_domain_get_config_path (domain);
  if (g_mkdir_with_parents (folder, 0700) != 0 || g_rename (path, target) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   _("Cannot move %s to %s: %s"), path, target, g_strerror (saved_errno));
      return FALSE;
    }
  link = autostart_link (self, hv_domain_get_name (domain));
  g_unlink (link);
  g_hash_table_remove (self->domains, hv_domain_get_name (domain));
  emit_event (self, domain, "undefined");
  return TRUE;
}

/* Loading: reattach, then autostart */

typedef struct {
  guint      pending;
  GPtrArray *gone;     /* HvDomain whose QEMU ended while no daemon watched and that restart */
} LoadData;

static void
load_data_free (LoadData *data)
{
  g_ptr_array_unref (data->gone);
  g_free (data);
}

static gboolean
action_restarts (HvDomainAction action)
{
  return action == HV_DOMAIN_ACTION_RESTART || action == HV_DOMAIN_ACTION_RENAME_RESTART ||
         action == HV_DOMAIN_ACTION_COREDUMP_RESTART;
}

static void
load_step_done (GTask *task)
{
  HvHost *self = g_task_get_source_object (task);
  LoadData *data = g_task_get_task_data (task);

  if (--data->pending > 0)
    return;
  /* Only now: every run folder is read, so no id a reattached domain holds is taken again. */
  for (guint i = 0; i < data->gone->len; i++)
    start_restart (self, g_ptr_array_index (data->gone, i));
  g_task_return_boolean (task, TRUE);
}

static const char *
action_name (HvDomainAction action)
{
  switch (action)
    {
    case HV_DOMAIN_ACTION_RESTART:           return "restart";
    case HV_DOMAIN_ACTION_PRESERVE:          return "preserve";
    case HV_DOMAIN_ACTION_RENAME_RESTART:    return "rename-restart";
    case HV_DOMAIN_ACTION_COREDUMP_DESTROY:  return "coredump-destroy";
    case HV_DOMAIN_ACTION_COREDUMP_RESTART:  return "coredump-restart";
    case HV_DOMAIN_ACTION_DESTROY:
    default:                                 return "destroy";
    }
}

/* Its QEMU ended while no daemon watched, for no reason anyone recorded: a crash, as it would
 * be under a daemon's eyes, and on_crash applies now. */
static void
apply_gone (HvHost         *self,
            HvDomain       *domain,
            HvDomainAction  action,
            LoadData       *data)
{
  gboolean restart = action_restarts (action) && hv_domain_get_config_path (domain) != NULL;

  g_message ("domain %s: its QEMU ended while no daemon watched it; taken as a crash, on_crash = %s%s",
             hv_domain_get_name (domain), action_name (action), restart ? ": starting it again" : "");
  emit_event (self, domain, "crashed");
  if (restart && restart_allowed (self, hv_domain_get_name (domain)))
    g_ptr_array_add (data->gone, g_object_ref (domain));
}

static void
on_reattached (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  HvHost *self = g_task_get_source_object (task);
  HvDomain *domain = HV_DOMAIN (source);
  g_autoptr(GError) error = NULL;
  HvDomainAction gone_action;

  if (hv_domain_reattach_finish (domain, result, &gone_action, &error))
    g_message ("domain %s: reattached (id %" G_GINT64_FORMAT ", pid %d)",
               hv_domain_get_name (domain), hv_domain_get_id (domain), hv_domain_get_pid (domain));
  else if (g_error_matches (error, HV_DOMAIN_ERROR, HV_DOMAIN_ERROR_GONE))
    apply_gone (self, domain, gone_action, g_task_get_task_data (task));
  else
    {
      g_message ("domain %s: not reattached: %s", hv_domain_get_name (domain), error->message);
      g_hash_table_remove (self->domains, hv_domain_get_name (domain));
    }
  load_step_done (task);
}

/* The name rule, and names of digits only, which older daemons accepted: such a guest still
 * runs and is taken over; it answers to its id. */
static gboolean
run_folder_name_is_valid (const char *name)
{
  g_autoptr(GError) error = NULL;

  return domus_domain_name_check (name, &error) ||
         g_error_matches (error, DOMUS_DOMAIN_NAME_ERROR, DOMUS_DOMAIN_NAME_ERROR_ALL_DIGITS);
}

static void
reattach_all (HvHost *self,
              GTask  *task)
{
  LoadData *data = g_task_get_task_data (task);
  g_autoptr(GDir) dir = g_dir_open (self->paths->run_dir, 0, NULL);
  const char *entry;

  data->pending = 1;
  while (dir != NULL && (entry = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *run_dir = g_build_filename (self->paths->run_dir, entry, NULL);
      g_autoptr(HvDefined) defined = NULL;
      gint64 id;
      HvDomain *domain;

      if (!g_file_test (run_dir, G_FILE_TEST_IS_DIR) || !run_folder_name_is_valid (entry))
        continue;
      id = hv_run_folder_read_id (run_dir);
      self->next_id = MAX (self->next_id, id + 1);
      defined = hv_defined_find (self->paths->config_dir, entry);
      domain = add_domain (self, entry, defined != NULL ? defined->path : NULL);
      data->pending++;
      hv_domain_reattach_async (domain, NULL, on_reattached, g_object_ref (task));
    }
  load_step_done (task);
}

void
hv_host_load_async (HvHost              *self,
                    GCancellable        *cancellable,
                    GAsyncReadyCallback  callback,
                    gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  LoadData *data;

  g_return_if_fail (HV_IS_HOST (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, hv_host_load_async);
  data = g_new0 (LoadData, 1);
  data->gone = g_ptr_array_new_with_free_func (g_object_unref);
  g_task_set_task_data (task, data, (GDestroyNotify) load_data_free);
  load_next_id (self);
  reattach_all (self, task);
}

gboolean
hv_host_load_finish (HvHost        *self,
                     GAsyncResult  *result,
                     GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
on_autostarted (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HvDomain) domain = hv_host_start_finish (HV_HOST (source), result, &error);
  g_autofree char *name = user_data;

  if (domain == NULL)
    g_message ("autostart of %s failed: %s", name, error->message);
  else
    g_message ("domain %s: autostarted (id %" G_GINT64_FORMAT ")", name, hv_domain_get_id (domain));
}

void
hv_host_autostart (HvHost *self)
{
  g_autoptr(GPtrArray) all = NULL;

  g_return_if_fail (HV_IS_HOST (self));

  all = hv_defined_scan (self->paths->config_dir);
  for (guint i = 0; i < all->len; i++)
    {
      HvDefined *defined = g_ptr_array_index (all, i);
      HvDomain *domain;

      if (defined->error != NULL || !hv_host_get_autostart (self, defined->name))
        continue;
      domain = g_hash_table_lookup (self->domains, defined->name);
      if (domain != NULL && hv_domain_is_active (domain))
        continue;
      hv_host_start_async (self, defined->name, NULL, NULL, on_autostarted, g_strdup (defined->name));
    }
}

/* The object */

static void
hv_host_dispose (GObject *object)
{
  HvHost *self = HV_HOST (object);

  if (self->domains != NULL)
    {
      GHashTableIter iter;
      gpointer value;

      g_hash_table_iter_init (&iter, self->domains);
      while (g_hash_table_iter_next (&iter, NULL, &value))
        g_signal_handlers_disconnect_by_data (value, self);
      g_clear_pointer (&self->domains, g_hash_table_unref);
    }
  G_OBJECT_CLASS (hv_host_parent_class)->dispose (object);
}

static void
hv_host_finalize (GObject *object)
{
  HvHost *self = HV_HOST (object);

  g_clear_pointer (&self->paths, hv_paths_free);
  g_clear_pointer (&self->restarts, g_hash_table_unref);
  g_free (self->qemu_binary);
  g_strfreev (self->forward_addresses);
  G_OBJECT_CLASS (hv_host_parent_class)->finalize (object);
}

static void
hv_host_class_init (HvHostClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = hv_host_dispose;
  object_class->finalize = hv_host_finalize;

  signals[SIGNAL_DOMAIN_EVENT] =
    g_signal_new ("domain-event", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, HV_TYPE_DOMAIN, G_TYPE_STRING);
}

static void
hv_host_init (HvHost *self)
{
  self->domains = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  self->restarts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->next_id = 1;
}

HvHost *
hv_host_new (const HvPaths         *paths,
             const HvDomainRuntime *runtime)
{
  HvHost *self;

  g_return_val_if_fail (paths != NULL && runtime != NULL, NULL);

  self = g_object_new (HV_TYPE_HOST, NULL);
  self->paths = hv_paths_copy (paths);
  self->runtime = *runtime;
  self->qemu_binary = g_strdup (runtime->qemu_binary);
  self->runtime.qemu_binary = self->qemu_binary;
  self->forward_addresses = g_strdupv ((char **) runtime->forward_addresses);
  self->runtime.forward_addresses = (const char * const *) self->forward_addresses;
  return self;
}

const HvDomainRuntime *
hv_host_get_runtime (HvHost *self)
{
  g_return_val_if_fail (HV_IS_HOST (self), NULL);
  return &self->runtime;
}
