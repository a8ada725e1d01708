/* SPDX-License-Identifier: GPL-3.0-or-later */
/* domusctl image list|create|clone|delete: the daemon's store of disk images (debian and cloud: domusctl-new-guest.c). */

#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <glib/gi18n.h>

#include "domusctl-client.h"
#include "domusctl.h"

gboolean
domusctl_parse_size (const char *text,
            gint64     *out)
{
  static const struct {
    char   letter;
    guint  shift;
  } units[] = { { 'K', 10 }, { 'M', 20 }, { 'G', 30 }, { 'T', 40 } };
  guint64 number;
  char *end = NULL;
  guint shift = 0;

  if (!g_ascii_isdigit (text[0]))
    return FALSE;
  errno = 0;
  number = g_ascii_strtoull (text, &end, 10);
  if (errno != 0)
    return FALSE;
  if (*end != '\0')
    {
      gboolean known = FALSE;

      for (gsize i = 0; i < G_N_ELEMENTS (units); i++)
        if (g_ascii_toupper (*end) == units[i].letter)
          {
            shift = units[i].shift;
            known = TRUE;
          }
      if (!known)
        return FALSE;
      end++;
      if (g_ascii_strcasecmp (end, "") != 0 && g_ascii_strcasecmp (end, "B") != 0 &&
          g_ascii_strcasecmp (end, "iB") != 0)
        return FALSE;
    }
  else if (text[0] == '\0')
    return FALSE;

  if (number == 0 || number > ((guint64) G_MAXINT64 >> shift))
    return FALSE;
  *out = (gint64) (number << shift);
  return TRUE;
}

char *
domusctl_format_size (gint64 bytes)
{
  static const char letters[] = "KMGT";
  double value = bytes;
  int unit = -1;

  if (bytes < 1024)
    return g_strdup_printf ("%" PRId64, bytes);
  while (value >= 1024 && unit < 3)
    {
      value /= 1024;
      unit++;
    }
  if (value == (gint64) value)
    return g_strdup_printf ("%" PRId64 "%c", (gint64) value, letters[unit]);
  return g_strdup_printf ("%.1f%c", value, letters[unit]);
}

static char *
join_users (DomusImage *image)
{
  const char * const *users = domus_image_get_users (image);

  if (users[0] == NULL)
    return g_strdup ("-");
  return g_strjoinv (",", (char **) users);
}

static const char *
or_unknown (const char *text)
{
  return text != NULL ? text : "?";
}

/* --json: the daemon's own words, which only a domusd host has. */
static int
print_listing_json (DomusctlClient *client)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) result = domusctl_client_call (client, "image.list", NULL, &error);
  JsonObject *listing;

  if (result == NULL)
    return domusctl_fail_error (error);
  listing = domus_json_node_get_object (result);
  if (domus_json_object_get_array (listing, "images") == NULL)
    return domusctl_fail (_("the daemon sent an answer without a list of images"));
  domusctl_print_json (json_object_get_member (listing, "images"));
  return 0;
}

static int
image_list (DomusctlGlobals *globals,
            int              argc,
            char           **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(DomusctlClient) client = NULL;
  gboolean json = FALSE;
  GListModel *images;
  int status = 0;
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json,
      N_("Print the images as JSON, as the daemon sent them"), NULL },
    { NULL }
  };

  context = g_option_context_new (NULL);
  g_option_context_set_summary (context, _("List the disk images in the daemon’s image store."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!domusctl_parse_options (context, &argc, &argv))
    return 2;
  if (argc > 1)
    return domusctl_usage_error (_("image list takes no arguments (got “%s”)"), argv[1]);

  if ((client = domusctl_open (globals, &status)) == NULL)
    return status;
  if (json)
    return print_listing_json (client);
  domus_host_refresh_images_async (domusctl_client_get_host (client), domusctl_client_get_cancellable (client),
                                   domusctl_store_result, &result);
  if (!domusctl_client_wait (client, &result, &error) ||
      !domus_host_refresh_images_finish (domusctl_client_get_host (client), result, &error))
    return domusctl_fail_error (error);

  /* Not translated: scripts read these columns, like xm list's. */
  g_print ("%-32s %-6s %8s %s\n", "NAME", "FORMAT", "SIZE", "USED-BY");
  images = domus_host_get_images (domusctl_client_get_host (client));
  for (guint i = 0; i < g_list_model_get_n_items (images); i++)
    {
      g_autoptr(DomusImage) image = g_list_model_get_item (images, i);
      g_autofree char *size = domusctl_format_size ((gint64) domus_image_get_size (image));
      g_autofree char *users = join_users (image);

      g_print ("%-32s %-6s %8s %s\n", domus_image_get_name (image), or_unknown (domus_image_get_format (image)),
               size, users);
    }
  return 0;
}

/* Creates or clones (source non-NULL) and prints what was made. */
static int
make_image (DomusctlGlobals *globals,
            const char      *source,
            const char      *name,
            const char      *format,
            gint64           size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(DomusctlClient) client = NULL;
  g_autoptr(DomusImage) image = NULL;
  g_autofree char *size_text = NULL;
  DomusHost *host;
  int status = 0;

  if ((client = domusctl_open (globals, &status)) == NULL)
    return status;
  host = domusctl_client_get_host (client);
  /* Copying gigabytes takes a while: waited for as long as the daemon answers. */
  if (source != NULL)
    domus_host_clone_image_async (host, source, name, domusctl_client_get_cancellable (client),
                                  domusctl_store_result, &result);
  else
    domus_host_create_image_async (host, name, format, (guint64) size, domusctl_client_get_cancellable (client),
                                   domusctl_store_result, &result);
  if (!domusctl_client_wait (client, &result, &error) ||
      (image = domus_host_create_image_finish (host, result, &error)) == NULL)
    return domusctl_fail_error (error);
  size_text = domusctl_format_size ((gint64) domus_image_get_size (image));
  g_print (_("Created image %s (%s, %s) at %s\n"), domus_image_get_name (image),
           or_unknown (domus_image_get_format (image)), size_text, or_unknown (domus_image_get_path (image)));
  return 0;
}

static int
image_create (DomusctlGlobals *globals,
              int              argc,
              char           **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autofree char *format = NULL;
  gint64 size;
  const GOptionEntry entries[] = {
    { "format", 'f', 0, G_OPTION_ARG_STRING, &format,
      N_("raw (the default) or qcow2"), N_("FORMAT") },
    { NULL }
  };

  context = g_option_context_new (_("NAME SIZE"));
  g_option_context_set_summary (context,
                                _("Create an empty disk image in the daemon’s image store. "
                                  "SIZE is a number of bytes or a number followed by K, M, G or T "
                                  "(powers of 1024): 512K, 64M, 10G."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!domusctl_parse_options (context, &argc, &argv))
    return 2;
  if (argc != 3)
    return domusctl_usage_error (_("image create needs a name and a size"));
  if (!domusctl_parse_size (argv[2], &size))
    return domusctl_usage_error (_("“%s” is not a size: write bytes, or a number with K, M, G or T (64M, 10G)"),
                                 argv[2]);
  if (format != NULL && g_strcmp0 (format, "raw") != 0 && g_strcmp0 (format, "qcow2") != 0)
    return domusctl_usage_error (_("--format must be raw or qcow2, not “%s”"), format);
  return make_image (globals, NULL, argv[1], format != NULL ? format : "raw", size);
}

static int
image_clone (DomusctlGlobals *globals,
             int              argc,
             char           **argv)
{
  g_autoptr(GOptionContext) context = NULL;

  context = g_option_context_new (_("SOURCE NAME"));
  g_option_context_set_summary (context,
                                _("Copy the image SOURCE to a new image NAME of the same format."));
  if (!domusctl_parse_options (context, &argc, &argv))
    return 2;
  if (argc != 3)
    return domusctl_usage_error (_("image clone needs the source image’s name and the new name"));
  return make_image (globals, argv[1], argv[2], NULL, 0);
}

static int
image_delete (DomusctlGlobals *globals,
              int              argc,
              char           **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(DomusctlClient) client = NULL;
  int status = 0;

  context = g_option_context_new (_("NAME"));
  g_option_context_set_summary (context,
                                _("Delete a disk image. An image that a domain’s configuration "
                                  "names is refused."));
  if (!domusctl_parse_options (context, &argc, &argv))
    return 2;
  if (argc != 2)
    return domusctl_usage_error (_("image delete needs exactly one image name"));

  if ((client = domusctl_open (globals, &status)) == NULL)
    return status;
  domus_host_delete_image_async (domusctl_client_get_host (client), argv[1], domusctl_client_get_cancellable (client),
                                 domusctl_store_result, &result);
  if (!domusctl_client_wait (client, &result, &error) ||
      !domus_host_delete_image_finish (domusctl_client_get_host (client), result, &error))
    return domusctl_fail_error (error);
  return 0;
}

typedef struct {
  const char       *name;
  DomusctlVerbFunc  run;
} ImageCommand;

static const ImageCommand commands[] = {
  { "list",   image_list },
  { "create", image_create },
  { "clone",  image_clone },
  { "delete", image_delete },
  { "debian", domusctl_image_debian },
  { "cloud",  domusctl_image_cloud },
};

int
domusctl_verb_image (DomusctlGlobals *globals,
                     int              argc,
                     char           **argv)
{
  g_autofree char *command_argv0 = NULL;
  const char *usage = _("image needs a command: list, create NAME SIZE, clone SOURCE NAME, delete NAME, "
                         "debian NAME or cloud NAME IMAGE");

  if (argc < 2)
    return domusctl_usage_error ("%s", usage);
  if (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0)
    {
      g_print ("%s\n", _("Usage:\n"
                         "  domusctl image list [--json]\n"
                         "  domusctl image create NAME SIZE [--format raw|qcow2]\n"
                         "  domusctl image clone SOURCE NAME\n"
                         "  domusctl image delete NAME\n"
                         "  domusctl image debian NAME [--suite SUITE] [--size SIZE] [--hostname HOST]\n"
                         "                        [--ssh-key FILE] [--root-password-file FILE] [--packages A,B]\n"
                         "  domusctl image cloud NAME IMAGE [--ssh-key FILE] [--user-data FILE] [--user USER]\n\n"
                         "Run “domusctl image COMMAND --help” for a command’s options."));
      return 0;
    }

  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    if (strcmp (commands[i].name, argv[1]) == 0)
      {
        command_argv0 = g_strdup_printf ("domusctl image %s", commands[i].name);
        argv[1] = command_argv0;
        g_set_prgname (command_argv0);
        return commands[i].run (globals, argc - 1, argv + 1);
      }
  return domusctl_usage_error (_("unknown image command “%s”; %s"), argv[1], usage);
}
