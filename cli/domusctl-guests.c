/* SPDX-License-Identifier: GPL-3.0-or-later */
/* domusctl save, restore, snapshot, clone and template: a guest's state kept, brought back or copied. */

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "domusctl-client.h"
#include "domusctl.h"

/*
 * Parses a verb's command line (summary under the usage line, parameter what follows
 * "domusctl VERB"); FALSE with *status set for a bad one.
 */
static gboolean
parse_verb (int                *argc,
            char             ***argv,
            const char         *parameter,
            const char         *summary,
            const GOptionEntry *entries,
            int                *status)
{
  g_autoptr(GOptionContext) context = g_option_context_new (parameter);

  g_option_context_set_summary (context, summary);
  if (entries != NULL)
    g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!domusctl_parse_options (context, argc, argv))
    {
      *status = 2;
      return FALSE;
    }
  return TRUE;
}

/* save, restore */

int
domusctl_verb_save (DomusctlGlobals *globals,
                    int              argc,
                    char           **argv)
{
  g_autoptr(DomusctlClient) client = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *size_text = NULL;
  g_autofree char *file = NULL;
  guint64 size = 0;
  int status = 0;

  if (!parse_verb (&argc, &argv, _("NAME [FILE]"),
                   _("Write a running or paused domain’s whole state (memory, devices and the "
                     "configuration it runs with) to FILE and stop it, as xm save did; its "
                     "definition stays. FILE is a file name in the host’s save folder, not a path; "
                     "without it the host names the file NAME-DATE-TIME.save. An existing file is "
                     "never written over. Keep the domain’s disks unchanged until it is restored."),
                   NULL, &status))
    return status;
  if (argc != 2 && argc != 3)
    return domusctl_usage_error (_("save needs a domain name and, optionally, a file name"));
  if ((client = domusctl_open (globals, &status)) == NULL)
    return status;
  domus_host_save_domain_async (domusctl_client_get_host (client), argv[1], argc == 3 ? argv[2] : NULL,
                                domusctl_client_get_cancellable (client), domusctl_store_result, &result);
  if (!domusctl_client_wait (client, &result, &error) ||
      (path = domus_host_save_domain_finish (domusctl_client_get_host (client), result, &size, &error)) == NULL)
    return domusctl_fail_error (error);
  /* A host that keeps the state itself (libvirt's managed save) answers the domain's name. */
  if (!g_path_is_absolute (path))
    {
      g_print (_("Saved %s, kept by the host (libvirt’s managed save); “domusctl restore %s” brings it back\n"),
               argv[1], path);
      return 0;
    }
  size_text = domusctl_format_size ((gint64) size);
  /* restore takes the file's name in the save folder, not the host's path. */
  file = g_path_get_basename (path);
  g_print (_("Saved %s to %s (%s); “domusctl restore %s” brings it back\n"), argv[1], path, size_text, file);
  return 0;
}

int
domusctl_verb_restore (DomusctlGlobals *globals,
                       int              argc,
                       char           **argv)
{
  g_autoptr(DomusctlClient) client = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(DomusDomainInfo) info = NULL;
  int status = 0;

  if (!parse_verb (&argc, &argv, _("FILE"),
                   _("Bring the domain saved in FILE (a file name in the host’s save folder, as "
                     "“domusctl save” named it) back running where it was saved, as xm restore "
                     "did. A domain no longer defined is defined again from the saved configuration."),
                   NULL, &status))
    return status;
  if (argc != 2)
    return domusctl_usage_error (_("restore needs exactly one save file name"));
  if ((client = domusctl_open (globals, &status)) == NULL)
    return status;
  domus_host_restore_domain_async (domusctl_client_get_host (client), argv[1],
                                   domusctl_client_get_cancellable (client), domusctl_store_result, &result);
  if (!domusctl_client_wait (client, &result, &error) ||
      (info = domus_host_restore_domain_finish (domusctl_client_get_host (client), result, &error)) == NULL)
    return domusctl_fail_error (error);
  if (info->fields & DOMUS_DOMAIN_INFO_ID)
    g_print (_("Restored %s (id %lld)\n"), info->name, (long long) info->id);
  else
    g_print (_("Restored %s\n"), info->name);
  return 0;
}

int
domusctl_verb_saves (DomusctlGlobals *globals,
                     int              argc,
                     char           **argv)
{
  g_autoptr(DomusctlClient) client = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) saves = NULL;
  g_autofree char *folder = NULL;
  int status = 0;

  if (!parse_verb (&argc, &argv, "",
                   _("List the saves in the host’s save folder, newest first: the file (what "
                     "“domusctl restore” takes), the domain, when it was saved and its size."),
                   NULL, &status))
    return status;
  if (argc != 1)
    return domusctl_usage_error (_("saves takes no arguments"));
  if ((client = domusctl_open (globals, &status)) == NULL)
    return status;
  domus_host_list_saves_async (domusctl_client_get_host (client), domusctl_client_get_cancellable (client),
                               domusctl_store_result, &result);
  if (!domusctl_client_wait (client, &result, &error) ||
      (saves = domus_host_list_saves_finish (domusctl_client_get_host (client), result, &folder, &error)) == NULL)
    return domusctl_fail_error (error);
  /* Not translated: scripts read these columns, like xm list's. */
  g_print ("%-32s %-20s %-19s %8s\n", "FILE", "DOMAIN", "DATE", "SIZE");
  for (guint i = 0; i < saves->len; i++)
    {
      DomusSaveFile *save = g_ptr_array_index (saves, i);
      g_autoptr(GDateTime) time = domus_save_file_get_date_time (save);
      g_autofree char *date = time != NULL ? g_date_time_format (time, "%Y-%m-%d %H:%M:%S") : g_strdup ("-");
      g_autofree char *size = domusctl_format_size ((gint64) domus_save_file_get_size (save));

      g_print ("%-32s %-20s %-19s %8s\n", domus_save_file_get_name (save), domus_save_file_get_domain (save),
               date, size);
    }
  return 0;
}

/* snapshot */

static int
print_snapshots (GPtrArray *snapshots)
{
  /* Not translated: scripts read these columns, like xm list's. */
  g_print ("%-24s %-19s %-6s %8s\n", "NAME", "DATE", "MEMORY", "VM-SIZE");
  for (guint i = 0; i < snapshots->len; i++)
    {
      DomusSnapshot *snapshot = g_ptr_array_index (snapshots, i);
      g_autoptr(GDateTime) time = domus_snapshot_get_date_time (snapshot);
      g_autofree char *date = time != NULL ? g_date_time_format (time, "%Y-%m-%d %H:%M:%S") : g_strdup ("-");
      g_autofree char *size = domus_snapshot_get_has_memory (snapshot)
                              ? domusctl_format_size ((gint64) domus_snapshot_get_memory_size (snapshot))
                              : g_strdup ("-");

      g_print ("%-24s %-19s %-6s %8s\n", domus_snapshot_get_name (snapshot), date,
               domus_snapshot_get_has_memory (snapshot) ? "yes" : "no", size);
    }
  return 0;
}

static int
snapshot_list (DomusctlClient *client,
               const char     *name)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) snapshots = NULL;

  domus_host_list_snapshots_async (domusctl_client_get_host (client), name, domusctl_client_get_cancellable (client),
                                   domusctl_store_result, &result);
  if (!domusctl_client_wait (client, &result, &error) ||
      (snapshots = domus_host_list_snapshots_finish (domusctl_client_get_host (client), result, &error)) == NULL)
    return domusctl_fail_error (error);
  return print_snapshots (snapshots);
}

static const struct {
  const char          *command;
  DomusSnapshotAction  action;
} snapshot_commands[] = {
  { "create", DOMUS_SNAPSHOT_CREATE },
  { "revert", DOMUS_SNAPSHOT_REVERT },
  { "delete", DOMUS_SNAPSHOT_DELETE },
};

static int
snapshot_change (DomusctlClient      *client,
                 const char          *name,
                 const char          *snapshot,
                 DomusSnapshotAction  action)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  /* A running domain's memory is written or read: waited for as long as the host answers. */
  domus_host_snapshot_action_async (domusctl_client_get_host (client), name, snapshot, action,
                                    domusctl_client_get_cancellable (client), domusctl_store_result, &result);
  if (!domusctl_client_wait (client, &result, &error) ||
      !domus_host_snapshot_action_finish (domusctl_client_get_host (client), result, &error))
    return domusctl_fail_error (error);
  return 0;
}

int
domusctl_verb_snapshot (DomusctlGlobals *globals,
                        int              argc,
                        char           **argv)
{
  g_autoptr(DomusctlClient) client = NULL;
  const char *usage = _("snapshot needs a command and a domain: create NAME SNAP, list NAME, "
                        "revert NAME SNAP or delete NAME SNAP");
  int status = 0;

  if (!parse_verb (&argc, &argv, _("create|list|revert|delete NAME [SNAP]"),
                   _("create NAME SNAP takes a snapshot: of a running domain its memory and disks, "
                     "of a shut-off one its disks. list NAME lists them, oldest first. revert NAME "
                     "SNAP brings the domain back to one (a running domain goes on from that moment; "
                     "a shut-off one gets its disks back). delete NAME SNAP deletes one. Snapshots "
                     "live inside the domain’s qcow2 disks: a writable raw disk cannot have them."),
                   NULL, &status))
    return status;
  if (argc < 2)
    return domusctl_usage_error ("%s", usage);
  if (g_str_equal (argv[1], "list"))
    {
      if (argc != 3)
        return domusctl_usage_error (_("snapshot list needs exactly one domain name"));
      if ((client = domusctl_open (globals, &status)) == NULL)
        return status;
      return snapshot_list (client, argv[2]);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (snapshot_commands); i++)
    if (g_str_equal (argv[1], snapshot_commands[i].command))
      {
        if (argc != 4)
          return domusctl_usage_error (_("snapshot %s needs a domain name and a snapshot name"), argv[1]);
        if ((client = domusctl_open (globals, &status)) == NULL)
          return status;
        return snapshot_change (client, argv[2], argv[3], snapshot_commands[i].action);
      }
  return domusctl_usage_error (_("unknown snapshot command “%s”; %s"), argv[1], usage);
}

/* clone, template */

int
domusctl_verb_clone (DomusctlGlobals *globals,
                     int              argc,
                     char           **argv)
{
  g_autoptr(DomusctlClient) client = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) images = NULL;
  gboolean linked = FALSE;
  int status = 0;
  const GOptionEntry entries[] = {
    { "linked", 'l', 0, G_OPTION_ARG_NONE, &linked,
      N_("Make each disk a qcow2 overlay on NAME’s (seconds; NAME must be a template)"), NULL },
    { NULL }
  };

  if (!parse_verb (&argc, &argv, _("NAME NEW"),
                   _("Copy the shut-off domain NAME as NEW: each writable disk copied into the image "
                     "store (or, with --linked, an overlay standing on NAME’s disk, which then must "
                     "not change: make NAME a template first with “domusctl template NAME on”). "
                     "Read-only disks and CD-ROMs are shared; NEW gets new MAC addresses and NEW as "
                     "host name, and is defined, shut off."),
                   entries, &status))
    return status;
  if (argc != 3)
    return domusctl_usage_error (_("clone needs the domain’s name and the new domain’s name"));
  if ((client = domusctl_open (globals, &status)) == NULL)
    return status;
  domus_host_clone_domain_async (domusctl_client_get_host (client), argv[1], argv[2], linked,
                                 domusctl_client_get_cancellable (client), domusctl_store_result, &result);
  if (!domusctl_client_wait (client, &result, &error) ||
      (images = domus_host_clone_domain_finish (domusctl_client_get_host (client), result, &error)) == NULL)
    return domusctl_fail_error (error);
  g_print (linked ? _("Cloned %s as %s (linked)\n") : _("Cloned %s as %s\n"), argv[1], argv[2]);
  for (guint i = 0; images[i] != NULL; i++)
    g_print ("  %s\n", images[i]);
  return 0;
}

int
domusctl_verb_template (DomusctlGlobals *globals,
                        int              argc,
                        char           **argv)
{
  g_autoptr(DomusctlClient) client = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  int status = 0;

  if (!parse_verb (&argc, &argv, _("NAME on|off"),
                   _("Make the shut-off domain NAME a template (on: it is never started, only cloned, "
                     "and linked clones may stand on its disks) or an ordinary domain again (off)."),
                   NULL, &status))
    return status;
  if (argc != 3)
    return domusctl_usage_error (_("template needs a domain name and on or off"));
  if (!g_str_equal (argv[2], "on") && !g_str_equal (argv[2], "off"))
    return domusctl_usage_error (_("template takes on or off, not “%s”"), argv[2]);
  if ((client = domusctl_open (globals, &status)) == NULL)
    return status;
  domus_host_set_domain_template_async (domusctl_client_get_host (client), argv[1], g_str_equal (argv[2], "on"),
                                        domusctl_client_get_cancellable (client), domusctl_store_result, &result);
  if (!domusctl_client_wait (client, &result, &error) ||
      !domus_host_set_domain_template_finish (domusctl_client_get_host (client), result, &error))
    return domusctl_fail_error (error);
  return 0;
}
