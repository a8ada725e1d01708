/* SPDX-License-Identifier: GPL-3.0-or-later */
/* domusctl image list|create|clone|delete: the daemon's store of disk images. */

#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <glib/gi18n.h>

#include "domusctl-client.h"
#include "domusctl.h"

/*
 * "64M", "10G", "512K", "1T" (powers of 1024, as qemu-img reads them; "MiB" and
 * "MB" spellings too) or a number of bytes. FALSE for anything else or an overflow.
 */
static gboolean
parse_size (const char *text,
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

/* 10G, 512M, 1.5G: what a person reads; exact bytes are in --json. */
static char *
format_size (gint64 bytes)
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

static void
print_json (JsonNode *node)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autofree char *text = NULL;

  json_generator_set_pretty (generator, TRUE);
  json_generator_set_indent (generator, 2);
  json_generator_set_root (generator, node);
  text = json_generator_to_data (generator, NULL);
  g_print ("%s\n", text);
}

static char *
join_users (JsonObject *image)
{
  JsonNode *node = json_object_get_member (image, "used_by");
  g_autoptr(GPtrArray) names = g_ptr_array_new ();
  JsonArray *array;

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return g_strdup ("-");
  array = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *element = json_array_get_element (array, i);

      if (JSON_NODE_HOLDS_VALUE (element) && json_node_get_value_type (element) == G_TYPE_STRING)
        g_ptr_array_add (names, (gpointer) json_node_get_string (element));
    }
  if (names->len == 0)
    return g_strdup ("-");
  g_ptr_array_add (names, NULL);
  return g_strjoinv (",", (char **) names->pdata);
}

static int
image_list (DomusctlGlobals *globals,
            int              argc,
            char           **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) result = NULL;
  gboolean json = FALSE;
  JsonNode *images;
  JsonArray *array;
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

  result = domusctl_call (globals->connect_uri, "image.list", NULL, &error);
  if (result == NULL)
    return domusctl_fail_error (error);
  images = domusctl_result_member (result, "images");
  if (images == NULL || !JSON_NODE_HOLDS_ARRAY (images))
    return domusctl_fail (_("the daemon sent an answer without a list of images"));
  if (json)
    {
      print_json (images);
      return 0;
    }

  /* Not translated: scripts read these columns, like xm list's. */
  g_print ("%-32s %-6s %8s %s\n", "NAME", "FORMAT", "SIZE", "USED-BY");
  array = json_node_get_array (images);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *node = json_array_get_element (array, i);
      JsonObject *image;
      g_autofree char *size = NULL;
      g_autofree char *users = NULL;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      image = json_node_get_object (node);
      size = format_size (domus_json_object_get_int (image, "size_bytes", 0));
      users = join_users (image);
      g_print ("%-32s %-6s %8s %s\n", domus_json_object_get_string (image, "name", "?"),
               domus_json_object_get_string (image, "format", "?"), size, users);
    }
  return 0;
}

static void
print_image_made (JsonNode   *result,
                  const char *fallback_name)
{
  JsonObject *image = domus_json_node_get_object (result);
  g_autofree char *size = format_size (domus_json_object_get_int (image, "size_bytes", 0));

  g_print (_("Created image %s (%s, %s) at %s\n"),
           domus_json_object_get_string (image, "name", fallback_name),
           domus_json_object_get_string (image, "format", "?"), size,
           domus_json_object_get_string (image, "path", "?"));
}

static int
image_create (DomusctlGlobals *globals,
              int              argc,
              char           **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(JsonNode) params = NULL;
  g_autoptr(JsonNode) result = NULL;
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
  if (!parse_size (argv[2], &size))
    return domusctl_usage_error (_("“%s” is not a size: write bytes, or a number with K, M, G or T (64M, 10G)"),
                                 argv[2]);
  if (format != NULL && g_strcmp0 (format, "raw") != 0 && g_strcmp0 (format, "qcow2") != 0)
    return domusctl_usage_error (_("--format must be raw or qcow2, not “%s”"), format);

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, argv[1]);
  json_builder_set_member_name (builder, "format");
  json_builder_add_string_value (builder, format != NULL ? format : "raw");
  json_builder_set_member_name (builder, "size_bytes");
  json_builder_add_int_value (builder, size);
  json_builder_end_object (builder);
  params = json_builder_get_root (builder);

  result = domusctl_call (globals->connect_uri, "image.create", params, &error);
  if (result == NULL)
    return domusctl_fail_error (error);
  print_image_made (result, argv[1]);
  return 0;
}

static int
image_clone (DomusctlGlobals *globals,
             int              argc,
             char           **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(JsonNode) params = NULL;
  g_autoptr(JsonNode) result = NULL;

  context = g_option_context_new (_("SOURCE NAME"));
  g_option_context_set_summary (context,
                                _("Copy the image SOURCE to a new image NAME of the same format."));
  if (!domusctl_parse_options (context, &argc, &argv))
    return 2;
  if (argc != 3)
    return domusctl_usage_error (_("image clone needs the source image’s name and the new name"));

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "source");
  json_builder_add_string_value (builder, argv[1]);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, argv[2]);
  json_builder_end_object (builder);
  params = json_builder_get_root (builder);

  /* Copying gigabytes takes a while: wait for the daemon as long as it works. */
  {
    g_autoptr(DomusctlClient) client = domusctl_client_open (globals->connect_uri, &error);

    if (client == NULL)
      return domusctl_fail_error (error);
    result = domusctl_client_call (client, "image.clone", params, 0, &error);
  }
  if (result == NULL)
    return domusctl_fail_error (error);
  print_image_made (result, argv[2]);
  return 0;
}

static int
image_delete (DomusctlGlobals *globals,
              int              argc,
              char           **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) params = NULL;
  g_autoptr(JsonNode) result = NULL;

  context = g_option_context_new (_("NAME"));
  g_option_context_set_summary (context,
                                _("Delete a disk image. An image that a domain’s configuration "
                                  "names is refused."));
  if (!domusctl_parse_options (context, &argc, &argv))
    return 2;
  if (argc != 2)
    return domusctl_usage_error (_("image delete needs exactly one image name"));

  params = domusctl_name_params (argv[1]);
  result = domusctl_call (globals->connect_uri, "image.delete", params, &error);
  if (result == NULL)
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
};

int
domusctl_verb_image (DomusctlGlobals *globals,
                     int              argc,
                     char           **argv)
{
  g_autofree char *command_argv0 = NULL;
  const char *usage = _("image needs a command: list, create NAME SIZE, clone SOURCE NAME or delete NAME");

  if (argc < 2)
    return domusctl_usage_error ("%s", usage);
  if (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0)
    {
      g_print ("%s\n", _("Usage:\n"
                         "  domusctl image list [--json]\n"
                         "  domusctl image create NAME SIZE [--format raw|qcow2]\n"
                         "  domusctl image clone SOURCE NAME\n"
                         "  domusctl image delete NAME\n\n"
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
