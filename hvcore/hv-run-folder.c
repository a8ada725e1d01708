/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A running domain's run folder and the record (domain.json) a later daemon reattaches by. */

#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "domus-json-util.h"
#include "hv-domain.h"
#include "hv-proc-stats.h"
#include "hv-run-folder.h"

#define RECORD_FILE "domain.json"
#define PID_FILE    "qemu.pid"

void
hv_run_record_clear (HvRunRecord *record)
{
  g_clear_pointer (&record->name, g_free);
  g_clear_pointer (&record->config_path, g_free);
  g_clear_pointer (&record->tap_names, g_strfreev);
  record->id = 0;
  record->pid = 0;
  record->pid_start_ticks = 0;
}

void
hv_run_folder_remove (const char *run_dir)
{
  g_autoptr(GDir) dir = g_dir_open (run_dir, 0, NULL);
  const char *entry;

  if (dir == NULL)
    return;
  while ((entry = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (run_dir, entry, NULL);

      if (g_unlink (path) != 0)
        g_warning ("cannot remove %s: %s", path, g_strerror (errno));
    }
  if (g_rmdir (run_dir) != 0)
    g_warning ("cannot remove %s: %s", run_dir, g_strerror (errno));
}

/* Enough for a kernel's panic message, its call trace and a few lines before. */
#define SERIAL_TAIL_BYTES 6144

/* The guest writes what it likes: what reaches the daemon's log is printable ASCII. */
static void
make_printable (char *line)
{
  for (char *p = line; *p != '\0'; p++)
    if (!g_ascii_isprint (*p))
      *p = '?';
}

GStrv
hv_run_folder_read_serial_tail (const char *run_dir,
                                guint       max_lines)
{
  g_autofree char *path = g_build_filename (run_dir, "serial.log", NULL);
  g_autoptr(GPtrArray) kept = g_ptr_array_new ();
  g_auto(GStrv) lines = NULL;
  char buffer[SERIAL_TAIL_BYTES + 1];
  gboolean cut;
  size_t length;
  GStrv tail;
  FILE *file;

  file = g_fopen (path, "rb");
  if (file == NULL)
    return NULL;
  /* A read that begins mid-file begins mid-line: that piece is left out. */
  cut = fseek (file, -SERIAL_TAIL_BYTES, SEEK_END) == 0;
  if (!cut)
    rewind (file);
  length = fread (buffer, 1, SERIAL_TAIL_BYTES, file);
  fclose (file);
  buffer[length] = '\0';
  lines = g_strsplit_set (buffer, "\r\n", -1);
  for (guint i = cut ? 1 : 0; lines[i] != NULL; i++)
    if (*lines[i] != '\0')   /* the \r of each \r\n leaves an empty piece */
      g_ptr_array_add (kept, lines[i]);
  if (kept->len == 0)
    return NULL;
  tail = g_new0 (char *, MIN (kept->len, max_lines) + 1);
  for (guint i = kept->len - MIN (kept->len, max_lines), j = 0; i < kept->len; i++, j++)
    {
      tail[j] = g_strdup (g_ptr_array_index (kept, i));
      make_printable (tail[j]);
    }
  return tail;
}

gboolean
hv_run_folder_make (const char  *run_dir,
                    GError     **error)
{
  /* A folder left by a QEMU that is gone: the host only starts a domain when none runs. */
  hv_run_folder_remove (run_dir);
  if (g_mkdir_with_parents (run_dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, HV_DOMAIN_ERROR, HV_DOMAIN_ERROR_RUN_FOLDER,
                   _("Cannot make the run folder %s: %s"), run_dir, g_strerror (saved_errno));
      return FALSE;
    }
  return TRUE;
}

gboolean
hv_run_folder_write_record (const char         *run_dir,
                            const HvRunRecord  *record,
                            GError            **error)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *path = g_build_filename (run_dir, RECORD_FILE, NULL);
  g_autofree char *text = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, record->name);
  json_builder_set_member_name (builder, "id");
  json_builder_add_int_value (builder, record->id);
  json_builder_set_member_name (builder, "config");
  json_builder_add_string_value (builder, record->config_path);
  json_builder_set_member_name (builder, "pid");
  json_builder_add_int_value (builder, record->pid);
  json_builder_set_member_name (builder, "pid_start");
  json_builder_add_int_value (builder, (gint64) record->pid_start_ticks);
  json_builder_set_member_name (builder, "taps");
  json_builder_begin_array (builder);
  for (guint i = 0; record->tap_names != NULL && record->tap_names[i] != NULL; i++)
    json_builder_add_string_value (builder, record->tap_names[i]);
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  text = json_generator_to_data (generator, NULL);
  /* A fresh file in a fresh folder, gone at the next boot anyway: no fsync in the start's path. */
  if (!g_file_set_contents_full (path, text, -1, G_FILE_SET_CONTENTS_NONE, 0600, error))
    {
      g_prefix_error (error, _("Cannot write the run folder record: "));
      return FALSE;
    }
  return TRUE;
}

static JsonObject *
load_record (const char  *path,
             JsonParser  *parser,
             GError     **error)
{
  if (!json_parser_load_from_file (parser, path, error))
    return NULL;
  if (!JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      g_set_error (error, HV_DOMAIN_ERROR, HV_DOMAIN_ERROR_RUN_FOLDER, _("%s is not a run record"), path);
      return NULL;
    }
  return json_node_get_object (json_parser_get_root (parser));
}

gint64
hv_run_folder_read_id (const char *run_dir)
{
  g_autofree char *path = g_build_filename (run_dir, RECORD_FILE, NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *record = load_record (path, parser, NULL);

  return domus_json_object_get_int (record, "id", 0);
}

gboolean
hv_run_folder_read_pid_file (const char  *run_dir,
                             GPid        *out,
                             GError     **error)
{
  g_autofree char *path = g_build_filename (run_dir, PID_FILE, NULL);
  g_autofree char *text = NULL;
  gint64 pid;
  char *end;

  if (!g_file_get_contents (path, &text, NULL, error))
    return FALSE;
  pid = g_ascii_strtoll (text, &end, 10);
  if (pid <= 0 || pid > G_MAXINT || (*end != '\0' && !g_ascii_isspace (*end)))
    {
      g_set_error (error, HV_DOMAIN_ERROR, HV_DOMAIN_ERROR_RUN_FOLDER,
                   _("%s does not hold a process id"), path);
      return FALSE;
    }
  *out = (GPid) pid;
  return TRUE;
}

gboolean
hv_run_folder_read_record (const char   *run_dir,
                           HvRunRecord  *record,
                           GError      **error)
{
  g_autofree char *path = g_build_filename (run_dir, RECORD_FILE, NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GPtrArray) taps = g_ptr_array_new_with_free_func (g_free);
  JsonObject *object;
  JsonArray *tap_array;

  memset (record, 0, sizeof *record);
  object = load_record (path, parser, error);
  if (object == NULL)
    return FALSE;
  record->name = g_strdup (domus_json_object_get_string (object, "name", NULL));
  record->config_path = g_strdup (domus_json_object_get_string (object, "config", NULL));
  record->id = domus_json_object_get_int (object, "id", 0);
  record->pid = (GPid) domus_json_object_get_int (object, "pid", 0);
  record->pid_start_ticks = (guint64) domus_json_object_get_int (object, "pid_start", 0);
  tap_array = domus_json_object_get_array (object, "taps");
  for (guint i = 0; tap_array != NULL && i < json_array_get_length (tap_array); i++)
    g_ptr_array_add (taps, g_strdup (json_array_get_string_element (tap_array, i)));
  if (taps->len > 0)
    {
      g_ptr_array_add (taps, NULL);
      record->tap_names = (GStrv) g_ptr_array_free (g_steal_pointer (&taps), FALSE);
    }
  /* A daemon that died while QEMU was starting recorded no pid yet; QEMU's pid file has it. */
  if (record->pid <= 0 && hv_run_folder_read_pid_file (run_dir, &record->pid, NULL))
    {
      HvProcessStats stats;

      if (hv_proc_stats_read_process (record->pid, &stats))
        record->pid_start_ticks = stats.start_ticks;
    }
  if (record->id <= 0 || record->pid <= 0)
    {
      g_set_error (error, HV_DOMAIN_ERROR, HV_DOMAIN_ERROR_RUN_FOLDER,
                   _("%s records no domain id or process"), path);
      hv_run_record_clear (record);
      return FALSE;
    }
  return TRUE;
}
