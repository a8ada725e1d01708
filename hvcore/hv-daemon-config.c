/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * domusd.conf. GKeyFile reads it, but says neither the line of a bad one nor which key a bad
 * value belongs to: the text is scanned once more so every message points at FILE:LINE.
 * Each group has one loader function in `groups` below; a new group adds one entry there.
 */

#include "config.h"

#include <errno.h>
#include <string.h>
#include <gio/gio.h>
#include <glib/gi18n-lib.h>
#include <gio/gio.h>

#include "hv-daemon-config.h"
#include "hv-rpc-server.h"

/* More clients than this would need more descriptors than most hard limits give. */
#define MAX_CLIENTS_LIMIT 65536
/* A day: beyond that the setting is a mistake more likely than a wish. */
#define IDLE_TIMEOUT_LIMIT_S 86400

G_DEFINE_QUARK (hv-daemon-config-error-quark, hv_daemon_config_error)

G_DEFINE_BOXED_TYPE (HvDaemonConfig, hv_daemon_config, hv_daemon_config_ref, hv_daemon_config_unref)

/* The object */

static void
relocation_clear (HvRelocationConfig *relocation)
{
  g_clear_pointer (&relocation->address, g_free);
  g_clear_pointer (&relocation->hosts_allow, g_strfreev);
  g_clear_pointer (&relocation->hosts_allow_regexes, g_ptr_array_unref);
}

static void
config_clear (HvDaemonConfig *config)
{
  g_free (config->path);
  g_free (config->save_path);
  relocation_clear (&config->relocation);
  g_strfreev (config->domain_folders);
  hv_alert_rules_clear (&config->alerts);
  g_strfreev (config->forward_addresses);
}

HvDaemonConfig *
hv_daemon_config_new (void)
{
  HvDaemonConfig *config = g_atomic_rc_box_new0 (HvDaemonConfig);

  config->relocation.enabled = FALSE;
  config->relocation.address = g_strdup ("127.0.0.1");
  config->relocation.port = 0;
  /* Even when switched on, only this machine may send a domain until the file says otherwise. */
  config->relocation.hosts_allow = g_strsplit ("^localhost$;^127\\.0\\.0\\.1$", ";", -1);
  config->relocation.hosts_allow_regexes = g_ptr_array_new_with_free_func ((GDestroyNotify) g_regex_unref);
  /* A guest's forwarded port is open to this host only until the file says otherwise. */
  config->forward_addresses = g_new0 (char *, 1);
  for (guint i = 0; config->relocation.hosts_allow[i] != NULL; i++)
    g_ptr_array_add (config->relocation.hosts_allow_regexes,
                     g_regex_new (config->relocation.hosts_allow[i], G_REGEX_CASELESS, 0, NULL));
  hv_alert_rules_init (&config->alerts);
  config->clients.max = HV_RPC_DEFAULT_MAX_CLIENTS;
  config->clients.idle_timeout_s = HV_RPC_DEFAULT_IDLE_TIMEOUT_S;
  return config;
}

HvDaemonConfig *
hv_daemon_config_ref (HvDaemonConfig *config)
{
  return g_atomic_rc_box_acquire (config);
}

void
hv_daemon_config_unref (HvDaemonConfig *config)
{
  g_atomic_rc_box_release_full (config, (GDestroyNotify) config_clear);
}

char *
hv_daemon_config_default_path (HvPathsKind  kind,
                               const char  *root)
{
  switch (kind)
    {
    case HV_PATHS_ROOT:
      return g_build_filename (root, HV_DAEMON_CONFIG_FILE, NULL);
    case HV_PATHS_SYSTEM:
      return g_build_filename ("/etc", "domus", HV_DAEMON_CONFIG_FILE, NULL);
    case HV_PATHS_SESSION:
    default:
      return g_build_filename (g_get_user_config_dir (), "domus", HV_DAEMON_CONFIG_FILE, NULL);
    }
}

/* Reading */

typedef struct {
  const char     *path;
  const char     *text;
  GKeyFile       *keyfile;
  HvDaemonConfig *config;
} Loader;

typedef gboolean (*GroupLoadFunc) (Loader      *loader,
                                   const char  *group,
                                   GError     **error);

/* The line (1-based) of `key` in `group`, or of the group header when key is NULL; 0 if not found. */
static guint
find_line (const char *text,
           const char *group,
           const char *key)
{
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  gboolean in_group = FALSE;

  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *line = lines[i];
      gsize length;

      while (g_ascii_isspace (*line))
        line++;
      length = strcspn (line, "\r");
      if (line[0] == '[')
        {
          const char *end = strchr (line, ']');

          in_group = end != NULL && (gsize) (end - line - 1) == strlen (group) &&
                     strncmp (line + 1, group, strlen (group)) == 0;
          if (in_group && key == NULL)
            return i + 1;
          continue;
        }
      if (in_group && key != NULL && length > strlen (key) &&
          strncmp (line, key, strlen (key)) == 0)
        {
          const char *rest = line + strlen (key);

          while (*rest == ' ' || *rest == '\t')
            rest++;
          if (*rest == '=')
            return i + 1;
        }
    }
  return 0;
}

static void set_key_error (Loader *loader, GError **error, HvDaemonConfigError code,
                           const char *group, const char *key, const char *format, ...) G_GNUC_PRINTF (6, 7);

/* "FILE:LINE: [group] key: message", or "FILE: [group] key: message" when the line is unknown. */
static void
set_key_error (Loader              *loader,
               GError             **error,
               HvDaemonConfigError  code,
               const char          *group,
               const char          *key,
               const char          *format,
               ...)
{
  g_autofree char *message = NULL;
  guint line = find_line (loader->text, group, key);
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  if (line > 0 && key != NULL)
    g_set_error (error, HV_DAEMON_CONFIG_ERROR, code, "%s:%u: [%s] %s: %s", loader->path, line, group, key, message);
  else if (line > 0)
    g_set_error (error, HV_DAEMON_CONFIG_ERROR, code, "%s:%u: [%s]: %s", loader->path, line, group, message);
  else if (key != NULL)
    g_set_error (error, HV_DAEMON_CONFIG_ERROR, code, "%s: [%s] %s: %s", loader->path, group, key, message);
  else
    g_set_error (error, HV_DAEMON_CONFIG_ERROR, code, "%s: [%s]: %s", loader->path, group, message);
}

/* What GKeyFile would refuse, found first with its line number. */
static gboolean
check_syntax (const char  *path,
              const char  *text,
              GError     **error)
{
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autofree char *line = g_strstrip (g_strdup (lines[i]));

      if (*line == '\0' || *line == '#')
        continue;
      if (*line == '[')
        {
          if (line[strlen (line) - 1] != ']' || strlen (line) < 3 ||
              strpbrk (line + 1, "[") != NULL || strchr (line, ']') != line + strlen (line) - 1)
            {
              g_set_error (error, HV_DAEMON_CONFIG_ERROR, HV_DAEMON_CONFIG_ERROR_SYNTAX,
                           _("%s:%u: “%s” is not a group header like [relocation]"), path, i + 1, line);
              return FALSE;
            }
          continue;
        }
      if (strchr (line, '=') == NULL || *line == '=')
        {
          g_set_error (error, HV_DAEMON_CONFIG_ERROR, HV_DAEMON_CONFIG_ERROR_SYNTAX,
                       _("%s:%u: “%s” is not key=value, a [group] or a # comment"), path, i + 1, line);
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
check_keys (Loader              *loader,
            const char          *group,
            const char * const  *known,
            GError             **error)
{
  g_auto(GStrv) keys = g_key_file_get_keys (loader->keyfile, group, NULL, NULL);

  for (guint i = 0; keys != NULL && keys[i] != NULL; i++)
    if (!g_strv_contains (known, keys[i]))
      {
        g_autofree char *list = g_strjoinv (", ", (char **) known);

        set_key_error (loader, error, HV_DAEMON_CONFIG_ERROR_UNKNOWN, group, keys[i],
                       _("unknown key (this group has %s)"), list);
        return FALSE;
      }
  return TRUE;
}

static gboolean
get_boolean (Loader      *loader,
             const char  *group,
             const char  *key,
             gboolean    *out,
             GError     **error)
{
  g_autofree char *value = g_key_file_get_value (loader->keyfile, group, key, NULL);

  if (value == NULL)
    return TRUE;
  g_strstrip (value);
  if (g_ascii_strcasecmp (value, "true") == 0 || g_ascii_strcasecmp (value, "yes") == 0 ||
      strcmp (value, "1") == 0)
    *out = TRUE;
  else if (g_ascii_strcasecmp (value, "false") == 0 || g_ascii_strcasecmp (value, "no") == 0 ||
           strcmp (value, "0") == 0)
    *out = FALSE;
  else
    {
      set_key_error (loader, error, HV_DAEMON_CONFIG_ERROR_VALUE, group, key,
                     _("“%s” is not true or false"), value);
      return FALSE;
    }
  return TRUE;
}

static gboolean
get_uint (Loader      *loader,
          const char  *group,
          const char  *key,
          guint        max,
          guint       *out,
          GError     **error)
{
  g_autofree char *value = g_key_file_get_value (loader->keyfile, group, key, NULL);
  guint64 number;

  if (value == NULL)
    return TRUE;
  g_strstrip (value);
  if (!g_ascii_string_to_unsigned (value, 10, 0, max, &number, NULL))
    {
      set_key_error (loader, error, HV_DAEMON_CONFIG_ERROR_VALUE, group, key,
                     _("“%s” is not a whole number from 0 to %u"), value, max);
      return FALSE;
    }
  *out = (guint) number;
  return TRUE;
}

/*
 * A list of regular expressions split at ';'. GKeyFile's own lists would read `\.` as a bad
 * escape, and a regex needs its backslashes as written: only `\;` (a literal ';') is special.
 */
static GStrv
split_patterns (const char *value)
{
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GString) item = g_string_new (NULL);

  for (const char *p = value; ; p++)
    {
      if (*p == '\\' && p[1] == ';')
        {
          g_string_append_c (item, ';');
          p++;
          continue;
        }
      if (*p == ';' || *p == '\0')
        {
          g_autofree char *text = g_strstrip (g_string_free (g_steal_pointer (&item), FALSE));

          if (*text != '\0')
            g_ptr_array_add (items, g_steal_pointer (&text));
          item = g_string_new (NULL);
          if (*p == '\0')
            break;
          continue;
        }
      g_string_append_c (item, *p);
    }
  g_ptr_array_add (items, NULL);
  return (GStrv) g_ptr_array_free (g_steal_pointer (&items), FALSE);
}

/* [relocation] */
static gboolean
load_relocation (Loader      *loader,
                 const char  *group,
                 GError     **error)
{
  static const char * const keys[] = { "enabled", "address", "port", "hosts-allow", NULL };
  HvRelocationConfig *relocation = &loader->config->relocation;
  g_autofree char *address = NULL;
  g_autofree char *hosts = NULL;

  if (!check_keys (loader, group, keys, error) ||
      !get_boolean (loader, group, "enabled", &relocation->enabled, error) ||
      !get_uint (loader, group, "port", 65535, &relocation->port, error))
    return FALSE;

  address = g_key_file_get_value (loader->keyfile, group, "address", NULL);
  if (address != NULL)
    {
      g_strstrip (address);
      if (*address != '\0' && !g_hostname_is_ip_address (address))
        {
          set_key_error (loader, error, HV_DAEMON_CONFIG_ERROR_VALUE, group, "address",
                         _("“%s” is not a numeric IPv4 or IPv6 address (leave it empty for every address)"),
                         address);
          return FALSE;
        }
      g_free (relocation->address);
      relocation->address = g_steal_pointer (&address);
    }

  hosts = g_key_file_get_value (loader->keyfile, group, "hosts-allow", NULL);
  if (hosts != NULL)
    {
      g_auto(GStrv) patterns = split_patterns (hosts);

      g_ptr_array_set_size (relocation->hosts_allow_regexes, 0);
      for (guint i = 0; patterns[i] != NULL; i++)
        {
          g_autoptr(GError) regex_error = NULL;
          GRegex *regex = g_regex_new (patterns[i], G_REGEX_CASELESS, 0, &regex_error);

          if (regex == NULL)
            {
              set_key_error (loader, error, HV_DAEMON_CONFIG_ERROR_VALUE, group, "hosts-allow",
                             _("“%s” is not a regular expression: %s"), patterns[i], regex_error->message);
              return FALSE;
            }
          g_ptr_array_add (relocation->hosts_allow_regexes, regex);
        }
      g_strfreev (relocation->hosts_allow);
      relocation->hosts_allow = g_steal_pointer (&patterns);
    }
  return TRUE;
}

/* [domains] */
static gboolean
load_domains (Loader      *loader,
              const char  *group,
              GError     **error)
{
  static const char * const keys[] = { "folders", NULL };
  g_autofree char *value = NULL;
  g_auto(GStrv) folders = NULL;

  if (!check_keys (loader, group, keys, error))
    return FALSE;
  value = g_key_file_get_value (loader->keyfile, group, "folders", NULL);
  if (value == NULL)
    return TRUE;
  folders = g_strsplit (value, ";", -1);
  for (guint i = 0; folders[i] != NULL; i++)
    {
      g_strstrip (folders[i]);
      if (*folders[i] != '\0' && !g_path_is_absolute (folders[i]))
        {
          set_key_error (loader, error, HV_DAEMON_CONFIG_ERROR_VALUE, group, "folders",
                         _("“%s” is not an absolute path"), folders[i]);
          return FALSE;
        }
    }
  {
    g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

    for (guint i = 0; folders[i] != NULL; i++)
      if (*folders[i] != '\0')
        {
          g_autofree char *clean = g_canonicalize_filename (folders[i], NULL);

          g_strv_builder_add (builder, clean);
        }
    g_strfreev (loader->config->domain_folders);
    loader->config->domain_folders = g_strv_builder_end (builder);
  }
  return TRUE;
}

/* [network] */
static gboolean
load_network (Loader      *loader,
              const char  *group,
              GError     **error)
{
  static const char * const keys[] = { "forward-addresses", NULL };
  g_autofree char *value = NULL;
  g_auto(GStrv) addresses = NULL;
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  if (!check_keys (loader, group, keys, error))
    return FALSE;
  value = g_key_file_get_value (loader->keyfile, group, "forward-addresses", NULL);
  if (value == NULL)
    return TRUE;
  addresses = g_strsplit (value, ";", -1);
  for (guint i = 0; addresses[i] != NULL; i++)
    {
      g_autoptr(GInetAddress) address = NULL;

      g_strstrip (addresses[i]);
      if (*addresses[i] == '\0')
        continue;
      address = g_inet_address_new_from_string (addresses[i]);
      if (address == NULL || g_inet_address_get_family (address) != G_SOCKET_FAMILY_IPV4)
        {
          set_key_error (loader, error, HV_DAEMON_CONFIG_ERROR_VALUE, group, "forward-addresses",
                         _("“%s” is not a numeric IPv4 address (port forwards listen on IPv4)"), addresses[i]);
          return FALSE;
        }
      g_strv_builder_add (builder, addresses[i]);
    }
  g_strfreev (loader->config->forward_addresses);
  loader->config->forward_addresses = g_strv_builder_end (builder);
  return TRUE;
}

GStrv
hv_daemon_config_dup_domain_folders (const HvDaemonConfig *config,
                                     const char           *image_dir)
{
  g_autofree char *parent = NULL;
  g_autofree char *isos = NULL;

  if (config != NULL && config->domain_folders != NULL)
    return g_strdupv (config->domain_folders);
  parent = g_path_get_dirname (image_dir);
  isos = g_build_filename (parent, "isos", NULL);
  return g_strdupv ((char *[]) { (char *) image_dir, isos, NULL });
}

/* [alerts]: the rules' own table (hv-alert-rules.c) says each key's type and range. */
static gboolean
load_alerts (Loader      *loader,
             const char  *group,
             GError     **error)
{
  const char * const *keys = hv_alert_rules_get_keys ();

  if (!check_keys (loader, group, keys, error))
    return FALSE;
  for (guint i = 0; keys[i] != NULL; i++)
    {
      g_autofree char *value = g_key_file_get_value (loader->keyfile, group, keys[i], NULL);
      g_autoptr(GError) rule_error = NULL;

      if (value == NULL)
        continue;
      if (!hv_alert_rules_set_from_text (&loader->config->alerts, keys[i], value, &rule_error))
        {
          set_key_error (loader, error, HV_DAEMON_CONFIG_ERROR_VALUE, group, keys[i],
                         "%s", rule_error->message);
          return FALSE;
        }
    }
  return TRUE;
}

/* [clients] */
static gboolean
load_clients (Loader      *loader,
              const char  *group,
              GError     **error)
{
  static const char * const keys[] = { "max", "idle-timeout", NULL };
  HvClientsConfig *clients = &loader->config->clients;

  if (!check_keys (loader, group, keys, error) ||
      !get_uint (loader, group, "max", MAX_CLIENTS_LIMIT, &clients->max, error) ||
      !get_uint (loader, group, "idle-timeout", IDLE_TIMEOUT_LIMIT_S, &clients->idle_timeout_s, error))
    return FALSE;
  if (clients->max == 0)
    {
      set_key_error (loader, error, HV_DAEMON_CONFIG_ERROR_VALUE, group, "max",
                     _("0 would refuse every client: give at least 1"));
      return FALSE;
    }
  return TRUE;
}

/* One loader per group; a group not here is refused, so a misspelt one never goes unnoticed. */
static const struct {
  const char    *name;
  GroupLoadFunc  load;
} groups[] = {
  { "relocation", load_relocation },
  { "domains", load_domains },
  { "alerts", load_alerts },
  { "network", load_network },
  { "clients", load_clients },
};

HvDaemonConfig *
hv_daemon_config_load (const char  *path,
                       gboolean     must_exist,
                       GError     **error)
{
  g_autoptr(HvDaemonConfig) config = hv_daemon_config_new ();
  g_autoptr(GKeyFile) keyfile = g_key_file_new ();
  g_autoptr(GError) local_error = NULL;
  g_autofree char *text = NULL;
  g_auto(GStrv) names = NULL;
  gsize length;
  Loader loader;

  g_return_val_if_fail (path != NULL, NULL);

  config->save_path = g_strdup (path);
  if (!g_file_get_contents (path, &text, &length, &local_error))
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT) && !must_exist)
        return g_steal_pointer (&config);
      g_set_error (error, HV_DAEMON_CONFIG_ERROR, HV_DAEMON_CONFIG_ERROR_READ,
                   "%s", local_error->message);
      return NULL;
    }
  if (!g_utf8_validate (text, (gssize) length, NULL))
    {
      g_set_error (error, HV_DAEMON_CONFIG_ERROR, HV_DAEMON_CONFIG_ERROR_SYNTAX,
                   _("%s: not UTF-8 text"), path);
      return NULL;
    }
  if (!check_syntax (path, text, error))
    return NULL;
  if (!g_key_file_load_from_data (keyfile, text, length, G_KEY_FILE_NONE, &local_error))
    {
      g_set_error (error, HV_DAEMON_CONFIG_ERROR, HV_DAEMON_CONFIG_ERROR_SYNTAX,
                   "%s: %s", path, local_error->message);
      return NULL;
    }

  config->path = g_strdup (path);
  loader.path = path;
  loader.text = text;
  loader.keyfile = keyfile;
  loader.config = config;
  names = g_key_file_get_groups (keyfile, NULL);
  for (guint i = 0; names[i] != NULL; i++)
    {
      gboolean known = FALSE;

      for (guint j = 0; j < G_N_ELEMENTS (groups); j++)
        if (strcmp (names[i], groups[j].name) == 0)
          {
            known = TRUE;
            if (!groups[j].load (&loader, names[i], error))
              return NULL;
          }
      if (!known)
        {
          set_key_error (&loader, error, HV_DAEMON_CONFIG_ERROR_UNKNOWN, names[i], NULL,
                         _("unknown group"));
          return NULL;
        }
    }
  return g_steal_pointer (&config);
}

/* Writing */

static const char alerts_group_comment[] =
  " Alert rules (see domusd(8) and docs/daemon.md, \"Alerts\"); alerts.set_rules writes here.";

gboolean
hv_daemon_config_save_alerts (HvDaemonConfig      *config,
                              const HvAlertRules  *rules,
                              GError             **error)
{
  g_autoptr(GKeyFile) keyfile = g_key_file_new ();
  g_autoptr(GError) local_error = NULL;
  g_autofree char *folder = NULL;
  const char * const *keys = hv_alert_rules_get_keys ();
  gboolean had_group;

  if (config->save_path == NULL)
    {
      g_set_error (error, HV_DAEMON_CONFIG_ERROR, HV_DAEMON_CONFIG_ERROR_WRITE,
                   _("This daemon has no config file to keep the rules in."));
      return FALSE;
    }
  if (!g_key_file_load_from_file (keyfile, config->save_path, G_KEY_FILE_KEEP_COMMENTS, &local_error) &&
      !g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
    {
      g_set_error (error, HV_DAEMON_CONFIG_ERROR, HV_DAEMON_CONFIG_ERROR_WRITE,
                   _("Cannot read %s to change it: %s"), config->save_path, local_error->message);
      return FALSE;
    }
  had_group = g_key_file_has_group (keyfile, "alerts");
  for (guint i = 0; keys[i] != NULL; i++)
    {
      g_autofree char *value = NULL;

      /* The command stays what the file says: nothing outside the file may choose it. */
      if (g_str_equal (keys[i], "command"))
        continue;
      value = hv_alert_rules_dup_text (rules, keys[i]);
      g_key_file_set_value (keyfile, "alerts", keys[i], value);
    }
  if (!had_group)
    g_key_file_set_comment (keyfile, "alerts", NULL, alerts_group_comment, NULL);

  folder = g_path_get_dirname (config->save_path);
  g_clear_error (&local_error);
  if (g_mkdir_with_parents (folder, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, HV_DAEMON_CONFIG_ERROR, HV_DAEMON_CONFIG_ERROR_WRITE,
                   _("Cannot write %s: %s"), config->save_path, g_strerror (saved_errno));
      return FALSE;
    }
  if (!g_key_file_save_to_file (keyfile, config->save_path, &local_error))
    {
      g_set_error (error, HV_DAEMON_CONFIG_ERROR, HV_DAEMON_CONFIG_ERROR_WRITE,
                   _("Cannot write %s: %s"), config->save_path, local_error->message);
      return FALSE;
    }
  {
    g_autofree char *command = g_strdup (config->alerts.command);

    hv_alert_rules_clear (&config->alerts);
    hv_alert_rules_copy (&config->alerts, rules);
    g_free (config->alerts.command);
    config->alerts.command = g_steal_pointer (&command);
  }
  return TRUE;
}

gboolean
hv_relocation_config_allows (const HvRelocationConfig *relocation,
                             const char               *address,
                             const char               *name)
{
  GPtrArray *regexes = relocation->hosts_allow_regexes;

  if (regexes == NULL || regexes->len == 0)
    return TRUE;
  for (guint i = 0; i < regexes->len; i++)
    {
      GRegex *regex = g_ptr_array_index (regexes, i);

      if ((address != NULL && g_regex_match (regex, address, 0, NULL)) ||
          (name != NULL && g_regex_match (regex, name, 0, NULL)))
        return TRUE;
    }
  return FALSE;
}

gboolean
hv_relocation_config_is_loopback (const HvRelocationConfig *relocation)
{
  g_autoptr(GInetAddress) address = NULL;

  if (relocation->address == NULL || *relocation->address == '\0')
    return FALSE;
  address = g_inet_address_new_from_string (relocation->address);
  return address != NULL && g_inet_address_get_is_loopback (address);
}
