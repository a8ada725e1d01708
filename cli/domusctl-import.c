/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * domusctl import --from URI NAME: a libvirt domain's definition as an xm .cfg for a
 * domusd host, with what the .cfg cannot say listed (docs/libvirt.md, "From libvirt to
 * an xm .cfg"). The .cfg goes to standard output, to --output FILE, or with --define to
 * the --connect host.
 */

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "domusctl-client.h"
#include "domusctl.h"

#if HAVE_LIBVIRT
#include "domus-libvirt.h"
#include "domus-libvirt-import.h"

/* The libvirt definition of name on from_uri, or NULL with *status set after saying why. */
static char *
read_definition (const char *from_uri,
                 const char *name,
                 int        *status)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(DomusctlClient) from = NULL;
  char *xml;

  if (!domus_libvirt_uri_is_libvirt (from_uri))
    {
      *status = domusctl_usage_error (_("--from wants a libvirt URI (qemu:///system, xen:///system, …), not “%s”"),
                                      from_uri);
      return NULL;
    }
  if ((from = domusctl_client_open (from_uri, &error)) == NULL)
    {
      *status = domusctl_fail_error (error);
      return NULL;
    }
  domus_host_get_domain_config_async (domusctl_client_get_host (from), name, domusctl_client_get_cancellable (from),
                                      domusctl_store_result, &result);
  if (!domusctl_client_wait (from, &result, &error) ||
      (xml = domus_host_get_domain_config_finish (domusctl_client_get_host (from), result, NULL, &error)) == NULL)
    {
      *status = domusctl_fail_error (error);
      return NULL;
    }
  return xml;
}

/* Writes text to a new file at path; an existing file is never overwritten. */
static int
write_new_file (const char *path,
                const char *text)
{
  g_autoptr(GFile) file = g_file_new_for_commandline_arg (path);
  g_autoptr(GFileOutputStream) stream = NULL;
  g_autoptr(GError) error = NULL;

  stream = g_file_create (file, G_FILE_CREATE_NONE, NULL, &error);
  if (stream == NULL ||
      !g_output_stream_write_all (G_OUTPUT_STREAM (stream), text, strlen (text), NULL, NULL, &error) ||
      !g_output_stream_close (G_OUTPUT_STREAM (stream), NULL, &error))
    return domusctl_fail ("%s: %s", path, error->message);
  return 0;
}

static int
define_on_host (DomusctlGlobals *globals,
                const char      *name,
                const char      *text)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(DomusctlClient) client = NULL;
  g_autoptr(DomusDomainInfo) info = NULL;
  g_autofree char *filename = g_strdup_printf ("%s.cfg", name);
  int status = 0;

  if ((client = domusctl_open (globals, &status)) == NULL)
    return status;
  if (g_strcmp0 (domus_host_get_kind (domusctl_client_get_host (client)), "domusd") != 0)
    return domusctl_usage_error (_("--define writes to a domusd host; %s is a %s host"),
                                 domusctl_client_get_uri (client),
                                 domus_host_get_kind (domusctl_client_get_host (client)));
  domus_host_define_domain_async (domusctl_client_get_host (client), text, filename,
                                  domusctl_client_get_cancellable (client), domusctl_store_result, &result);
  if (!domusctl_client_wait (client, &result, &error) ||
      (info = domus_host_define_domain_finish (domusctl_client_get_host (client), result, &error)) == NULL)
    return domusctl_fail_error (error);
  if (info->config != NULL)
    g_printerr (_("domusctl: defined %s in %s\n"), info->name, info->config);
  return 0;
}

int
domusctl_verb_import (DomusctlGlobals *globals,
                      int              argc,
                      char           **argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new (_("NAME"));
  g_autofree char *from_uri = NULL;
  g_autofree char *output = NULL;
  g_autofree char *xml = NULL;
  g_autofree char *text = NULL;
  g_autoptr(GPtrArray) lost = NULL;
  g_autoptr(GError) error = NULL;
  gboolean define = FALSE;
  int status = 0;
  const GOptionEntry entries[] = {
    { "from", 0, 0, G_OPTION_ARG_STRING, &from_uri, N_("The libvirt host the domain is on"), N_("URI") },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, N_("Write the .cfg to this new file"), N_("FILE") },
    { "define", 0, 0, G_OPTION_ARG_NONE, &define, N_("Define the domain on the --connect host (a domusd host)"), NULL },
    { NULL }
  };

  g_option_context_set_summary (context, _("Write a libvirt domain’s definition as an xm .cfg; what it cannot say is listed."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!domusctl_parse_options (context, &argc, &argv))
    return 2;
  if (argc != 2)
    return domusctl_usage_error (_("import needs exactly one domain name"));
  if (from_uri == NULL)
    return domusctl_usage_error (_("import needs --from URI, the libvirt host the domain is on"));
  if (define && output != NULL)
    return domusctl_usage_error (_("--define and --output do not go together"));

  if ((xml = read_definition (from_uri, argv[1], &status)) == NULL)
    return status;
  if ((text = domus_libvirt_import_xml (xml, &lost, &error)) == NULL)
    return domusctl_fail_error (error);
  for (guint i = 0; i < lost->len; i++)
    g_printerr (_("domusctl: not imported: %s\n"), (const char *) g_ptr_array_index (lost, i));

  if (define)
    return define_on_host (globals, argv[1], text);
  if (output != NULL)
    return write_new_file (output, text);
  g_print ("%s", text);
  return 0;
}

#else

int
domusctl_verb_import (DomusctlGlobals *globals,
                      int              argc,
                      char           **argv)
{
  return domusctl_fail (_("this domusctl was built without libvirt support (meson -Dlibvirt=enabled)"));
}

#endif
