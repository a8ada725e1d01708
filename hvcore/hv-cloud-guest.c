/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Guests of cloud images (a Debian or Ubuntu cloud image the user put in the store): the
 * image is looked into for cloud-init first, so a guest that would wait forever for a seed
 * nobody reads is refused; then a qcow2 overlay on it, a NoCloud seed with the host name,
 * user, keys or the user's own user-data, and a .cfg booting it with the firmware (the image
 * has its own boot loader and kernel). One worker thread does it all.
 */

#include "config.h"

#include <errno.h>
#include <string.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "hv-cloud-guest.h"
#include "hv-cloud-seed.h"
#include "hv-domain-spec.h"
#include "hv-image-store.h"
#include "hv-port-forward.h"
#include "hv-tool.h"

G_DEFINE_QUARK (hv-cloud-guest-error-quark, hv_cloud_guest_error)

#define DEFAULT_MEMORY_MIB  1024
#define MAX_USER_DATA       (1024 * 1024)  /* NoCloud seeds are small: more is a mistake */
#define QCOW2_MAGIC         "QFI\xfb"

HvCloudGuestRequest *
hv_cloud_guest_request_new (const char *name,
                            const char *image)
{
  HvCloudGuestRequest *request = g_new0 (HvCloudGuestRequest, 1);

  request->name = g_strdup (name);
  request->image = g_strdup (image);
  return request;
}

void
hv_cloud_guest_request_free (HvCloudGuestRequest *request)
{
  if (request == NULL)
    return;
  g_free (request->name);
  g_free (request->image);
  g_free (request->format);
  g_free (request->hostname);
  g_free (request->user);
  g_free (request->ssh_keys);
  g_free (request->user_data);
  g_free (request->config_dir);
  g_free (request->domains_dir);
  g_free (request);
}

static HvCloudGuestRequest *
request_copy (const HvCloudGuestRequest *request)
{
  HvCloudGuestRequest *copy = hv_cloud_guest_request_new (request->name, request->image);

  copy->format = g_strdup (request->format);
  copy->hostname = g_strdup (request->hostname != NULL ? request->hostname : request->name);
  copy->user = g_strdup (request->user);
  copy->ssh_keys = g_strdup (request->ssh_keys);
  copy->user_data = g_strdup (request->user_data);
  copy->size_bytes = request->size_bytes;
  copy->memory_mib = request->memory_mib != 0 ? request->memory_mib : DEFAULT_MEMORY_MIB;
  copy->ssh_port = request->ssh_port;
  copy->config_dir = g_strdup (request->config_dir);
  copy->domains_dir = g_strdup (request->domains_dir);
  return copy;
}

void
hv_cloud_guest_result_free (HvCloudGuestResult *result)
{
  if (result == NULL)
    return;
  g_free (result->config_path);
  g_free (result->disk_path);
  g_free (result->seed_path);
  g_free (result->image_path);
  g_free (result->probe_detail);
  g_free (result);
}

/* A guest being made */

typedef struct {
  HvCloudGuestRequest *request;
  char                *image_dir;
  char                *image_path;
  char                *format;
  char                *disk_path;
  char                *seed_path;
  char                *config_path;
  HvCloudSeed         *seed;
  guint                ssh_port;
  /* What this run made, taken away again if a later step fails. */
  gboolean             made_disk;
  gboolean             made_seed;
} Guest;

static void
guest_free (Guest *guest)
{
  hv_cloud_guest_request_free (guest->request);
  g_free (guest->image_dir);
  g_free (guest->image_path);
  g_free (guest->format);
  g_free (guest->disk_path);
  g_free (guest->seed_path);
  g_free (guest->config_path);
  g_clear_object (&guest->seed);
  g_free (guest);
}

static gboolean fail (GError **error, HvCloudGuestError code, const char *format, ...) G_GNUC_PRINTF (3, 4);

static gboolean
fail (GError            **error,
      HvCloudGuestError   code,
      const char         *format,
      ...)
{
  va_list args;

  va_start (args, format);
  g_propagate_error (error, g_error_new_valist (HV_CLOUD_GUEST_ERROR, code, format, args));
  va_end (args);
  return FALSE;
}

/* Another layer's error under this one's domain, its message kept. */
static gboolean
fail_with (GError            **error,
           HvCloudGuestError   code,
           GError             *cause)
{
  fail (error, code, "%s", cause->message);
  g_error_free (cause);
  return FALSE;
}

/* A tool that could not run (or was cancelled: kept as such, for the caller to see). */
static gboolean
fail_tool (GError **error,
           GError  *cause)
{
  if (g_error_matches (cause, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_propagate_error (error, cause);
      return FALSE;
    }
  return fail_with (error, HV_CLOUD_GUEST_ERROR_NO_TOOL, cause);
}

/* Checking the request */

static gboolean
is_store_file_name (const char *name)
{
  return name != NULL && *name != '\0' && *name != '.' && strchr (name, '/') == NULL && strlen (name) <= 255;
}

/* The seed's fields (host name, user, keys), checked by the seed itself before anything is made. */
static gboolean
prepare_seed (Guest   *guest,
              GError **error)
{
  const HvCloudGuestRequest *request = guest->request;
  g_autofree char *instance_id = NULL;
  g_autofree char *user_data = NULL;
  g_auto(GStrv) lines = NULL;
  GError *local = NULL;
  guint keys = 0;

  {
    g_autofree char *uuid = g_uuid_string_random ();

    instance_id = g_strdup_printf ("domus-%s", uuid);
  }
  guest->seed = hv_cloud_seed_new (instance_id, request->hostname);
  hv_cloud_seed_set_user (guest->seed, request->user);
  lines = g_strsplit (request->ssh_keys != NULL ? request->ssh_keys : "", "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_strstrip (lines[i]);
      if (*lines[i] == '\0' || *lines[i] == '#')
        continue;
      if (!hv_cloud_seed_ssh_key_is_valid (lines[i]))
        return fail (error, HV_CLOUD_GUEST_ERROR_INVALID,
                     _("ssh_keys: line %u is not an OpenSSH public key (“ssh-ed25519 AAAA… comment”)"), i + 1);
      hv_cloud_seed_add_ssh_key (guest->seed, lines[i]);
      keys++;
    }
  if (keys == 0 && request->user_data == NULL)
    return fail (error, HV_CLOUD_GUEST_ERROR_INVALID,
                 _("Give an SSH key or a user-data file: without either no one could log in."));
  user_data = hv_cloud_seed_dup_user_data (guest->seed, &local);
  if (user_data == NULL)
    return fail_with (error, HV_CLOUD_GUEST_ERROR_INVALID, local);
  if (request->user_data != NULL)
    {
      if (!g_utf8_validate (request->user_data, -1, NULL) || *request->user_data == '\0' ||
          strlen (request->user_data) > MAX_USER_DATA)
        return fail (error, HV_CLOUD_GUEST_ERROR_INVALID,
                     _("user_data: not UTF-8 text of 1 byte to 1 MiB"));
      hv_cloud_seed_set_user_data (guest->seed, request->user_data);
    }
  return TRUE;
}

static gboolean
refuse_existing (const char  *path,
                 GError     **error)
{
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    return TRUE;
  return fail (error, HV_CLOUD_GUEST_ERROR_EXISTS,
               _("%s exists already; choose another name or remove it first."), path);
}

static gboolean
starts_like_qcow2 (const char *path)
{
  char head[4] = { 0 };
  FILE *file = g_fopen (path, "rb");
  gboolean qcow2;

  if (file == NULL)
    return FALSE;
  qcow2 = fread (head, 1, sizeof head, file) == sizeof head && memcmp (head, QCOW2_MAGIC, 4) == 0;
  fclose (file);
  return qcow2;
}

/*
 * The image's format: the request's, the store's record, or qcow2 for a name ending in
 * .qcow2 (cloud images are published so), else raw. Never probed by QEMU; but a "raw" image
 * that starts as a qcow2 does is refused rather than booted as garbage.
 */
static gboolean
choose_format (Guest   *guest,
               GError **error)
{
  const char *format = guest->request->format;
  g_autofree char *recorded = hv_image_store_recorded_format (guest->image_path);

  if (format != NULL && !g_str_equal (format, "raw") && !g_str_equal (format, "qcow2"))
    return fail (error, HV_CLOUD_GUEST_ERROR_INVALID, _("format: “%s” is not raw or qcow2"), format);
  if (format == NULL)
    format = recorded != NULL ? recorded : g_str_has_suffix (guest->image_path, ".qcow2") ? "qcow2" : "raw";
  if (g_str_equal (format, "raw") && starts_like_qcow2 (guest->image_path))
    return fail (error, HV_CLOUD_GUEST_ERROR_INVALID,
                 _("%s starts as a qcow2 image does: give its format (“qcow2”) if it is one"),
                 guest->request->image);
  guest->format = g_strdup (format);
  return TRUE;
}

static gboolean
check_request (Guest   *guest,
               GError **error)
{
  const HvCloudGuestRequest *request = guest->request;
  g_autofree char *disk = g_strconcat (request->name != NULL ? request->name : "", ".qcow2", NULL);
  g_autofree char *seed = g_strconcat (request->name != NULL ? request->name : "", "-seed.iso", NULL);
  g_autofree char *config = g_strconcat (request->name != NULL ? request->name : "", ".cfg", NULL);

  if (!hv_domain_name_is_valid (request->name))
    return fail (error, HV_CLOUD_GUEST_ERROR_INVALID,
                 _("name: “%s” is not a domain name (letters, digits, “.”, “_” and “-”, at most 64)"),
                 request->name != NULL ? request->name : "");
  if (!is_store_file_name (request->image))
    return fail (error, HV_CLOUD_GUEST_ERROR_INVALID,
                 _("image: “%s” is not a file name in the image store (no “/”, not starting with “.”)"),
                 request->image != NULL ? request->image : "");
  if (request->memory_mib < 128 || request->memory_mib > 1024 * 1024)
    return fail (error, HV_CLOUD_GUEST_ERROR_INVALID,
                 _("memory: %lld MiB is outside 128 MiB to 1 TiB"), (long long) request->memory_mib);
  if (request->ssh_port < -1 || request->ssh_port > 65535)
    return fail (error, HV_CLOUD_GUEST_ERROR_INVALID,
                 _("ssh_port: %d is not a port from 1 to 65535"), request->ssh_port);
  guest->image_path = g_build_filename (guest->image_dir, request->image, NULL);
  if (!g_file_test (guest->image_path, G_FILE_TEST_IS_REGULAR))
    return fail (error, HV_CLOUD_GUEST_ERROR_NO_SUCH_IMAGE,
                 _("There is no image “%s” in the image store %s."), request->image, guest->image_dir);
  guest->disk_path = g_build_filename (guest->image_dir, disk, NULL);
  guest->seed_path = g_build_filename (guest->image_dir, seed, NULL);
  guest->config_path = g_build_filename (request->config_dir, config, NULL);
  return refuse_existing (guest->disk_path, error) && refuse_existing (guest->seed_path, error) &&
         refuse_existing (guest->config_path, error) && choose_format (guest, error) &&
         prepare_seed (guest, error);
}

/* Looking into the image */

/*
 * qemu-img's view of the image in its format: it must open, stand on no other image (a
 * cloud image is whole; a backing file would be read on the guest's behalf) and be no
 * bigger than the overlay asked for.
 */
static gboolean
check_image (Guest         *guest,
             GCancellable  *cancellable,
             GError       **error)
{
  const char *argv[] = { "qemu-img", "info", "-f", guest->format, "--output=json", "--force-share",
                         guest->image_path, NULL };
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  GError *local = NULL;
  JsonObject *info;
  guint64 size;
  int status = 0;

  if (!hv_tool_run (argv, NULL, &out, &err, &status, cancellable, &local))
    return fail_tool (error, local);
  if (status != 0 || !json_parser_load_from_data (parser, out, -1, NULL) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      g_autofree char *last = hv_tool_last_line (err);

      return fail (error, HV_CLOUD_GUEST_ERROR_INVALID, _("%s cannot be read as a %s image: %s"),
                   guest->request->image, guest->format, last);
    }
  info = json_node_get_object (json_parser_get_root (parser));
  if (json_object_has_member (info, "backing-filename"))
    return fail (error, HV_CLOUD_GUEST_ERROR_INVALID,
                 _("%s stands on another image (%s): give a whole cloud image"),
                 guest->request->image, json_object_get_string_member_with_default (info, "backing-filename", "?"));
  size = (guint64) json_object_get_int_member_with_default (info, "virtual-size", 0);
  if (guest->request->size_bytes > 0 && guest->request->size_bytes < size)
    return fail (error, HV_CLOUD_GUEST_ERROR_INVALID,
                 _("size: %llu bytes is smaller than the image (%llu bytes)"),
                 (unsigned long long) guest->request->size_bytes, (unsigned long long) size);
  return TRUE;
}

static gboolean
probe_image (Guest               *guest,
             HvCloudGuestResult  *result,
             GCancellable        *cancellable,
             GError             **error)
{
  GError *local = NULL;

  result->cloud_init = hv_cloud_init_probe (guest->image_path, guest->format, &result->probe_detail,
                                            cancellable, &local);
  if (local != NULL)
    {
      if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_propagate_error (error, local);
          return FALSE;
        }
      return fail_with (error, local->domain == G_SPAWN_ERROR ? HV_CLOUD_GUEST_ERROR_NO_TOOL
                                                              : HV_CLOUD_GUEST_ERROR_FAILED, local);
    }
  if (result->cloud_init == HV_CLOUD_INIT_ABSENT)
    return fail (error, HV_CLOUD_GUEST_ERROR_NO_CLOUD_INIT,
                 _("%s holds no cloud-init (%s). Its guest would never read the seed with its host "
                   "name, user and keys: use a cloud image (one that ships cloud-init), or install "
                   "the image's system another way."),
                 guest->request->image, result->probe_detail);
  return TRUE;
}

/* Making the guest */

static gboolean
make_overlay (Guest         *guest,
              GCancellable  *cancellable,
              GError       **error)
{
  g_autofree char *base = g_path_get_basename (guest->image_path);
  g_autofree char *size = guest->request->size_bytes > 0
                          ? g_strdup_printf ("%" G_GUINT64_FORMAT, guest->request->size_bytes) : NULL;
  /* The backing file by its name alone: found beside the overlay, wherever the store is mounted. */
  const char *argv[] = { "qemu-img", "create", "-q", "-f", "qcow2", "-b", base, "-F", guest->format,
                         guest->disk_path, size, NULL };
  g_autofree char *err = NULL;
  GError *local = NULL;
  int status = 0;

  if (!hv_tool_run (argv, NULL, NULL, &err, &status, cancellable, &local))
    return fail_tool (error, local);
  guest->made_disk = status == 0 || g_file_test (guest->disk_path, G_FILE_TEST_EXISTS);
  if (status != 0)
    {
      g_autofree char *last = hv_tool_last_line (err);

      return fail (error, HV_CLOUD_GUEST_ERROR_FAILED, _("qemu-img could not make the overlay %s: %s"),
                   guest->disk_path, last);
    }
  return TRUE;
}

static gboolean
write_seed (Guest         *guest,
            GCancellable  *cancellable,
            GError       **error)
{
  GError *local = NULL;

  if (hv_cloud_seed_write (guest->seed, guest->seed_path, cancellable, &local))
    {
      guest->made_seed = TRUE;
      return TRUE;
    }
  if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_propagate_error (error, local);
      return FALSE;
    }
  return fail_with (error, g_error_matches (local, HV_CLOUD_SEED_ERROR, HV_CLOUD_SEED_ERROR_NO_TOOL)
                           ? HV_CLOUD_GUEST_ERROR_NO_TOOL : HV_CLOUD_GUEST_ERROR_FAILED, local);
}

static char *
make_config_text (Guest *guest)
{
  const HvCloudGuestRequest *request = guest->request;
  g_autofree char *mac = hv_domain_spec_generate_mac ();
  g_autofree char *vif = guest->ssh_port == 0 ? g_strdup_printf ("mac=%s, model=virtio", mac)
    : g_strdup_printf ("mac=%s, model=virtio, forward=tcp:127.0.0.1:%u-:22", mac, guest->ssh_port);
  g_autofree char *ssh = guest->ssh_port == 0 ? g_strdup ("")
    : g_strdup_printf ("# SSH from this host: ssh -p %u %s@127.0.0.1 (the vif's forward=, for a daemon\n"
                       "# with user-mode networking; on a bridge, use the guest's own address).\n",
                       guest->ssh_port, request->user != NULL ? request->user : "USER");

  return g_strdup_printf (
    "# %s: a guest of the cloud image %s, made by Domus (image.cloud).\n"
    "# The disk is a qcow2 overlay on the image, which must not change while guests stand on\n"
    "# it. The seed (a NoCloud cidata disk) gives cloud-init the host name, user and keys;\n"
    "# it stays attached: cloud-init reads it at each boot and acts once per instance id.\n"
    "%s"
    "name = \"%s\"\n"
    "builder = \"hvm\"\n"
    "memory = %" G_GINT64_FORMAT "\n"
    "vcpus = 1\n"
    "disk = [ 'tap:qcow2:%s,xvda,w', 'file:%s,hdc:cdrom,r' ]\n"
    "boot = \"c\"\n"
    "vif = [ '%s' ]\n"
    "vnc = 1\n"
    "tags = [ \"cloud\" ]\n",
    request->name, request->image, ssh, request->name, request->memory_mib,
    guest->disk_path, guest->seed_path, vif);
}

static gboolean
write_config (Guest   *guest,
              GError **error)
{
  const char *config_dirs[] = { guest->request->config_dir, guest->request->domains_dir, NULL };
  g_autofree char *text = NULL;
  GError *local = NULL;

  guest->ssh_port = hv_port_forward_choose_ssh_port (guest->request->ssh_port, config_dirs);
  text = make_config_text (guest);
  if (g_mkdir_with_parents (guest->request->config_dir, 0700) != 0)
    return fail (error, HV_CLOUD_GUEST_ERROR_IO, _("Cannot make %s: %s"),
                 guest->request->config_dir, g_strerror (errno));
  if (!g_file_set_contents_full (guest->config_path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, &local))
    return fail_with (error, HV_CLOUD_GUEST_ERROR_IO, local);
  return TRUE;
}

static void
make_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  Guest *guest = task_data;
  g_autoptr(HvCloudGuestResult) result = g_new0 (HvCloudGuestResult, 1);
  GError *error = NULL;

  if (!check_request (guest, &error) ||
      !check_image (guest, cancellable, &error) ||
      !probe_image (guest, result, cancellable, &error) ||
      !make_overlay (guest, cancellable, &error) ||
      !write_seed (guest, cancellable, &error) ||
      !write_config (guest, &error))
    {
      /* Each was checked absent before: what is there now is this run's. */
      if (guest->made_disk)
        g_unlink (guest->disk_path);
      if (guest->made_seed)
        g_unlink (guest->seed_path);
      g_task_return_error (task, error);
      return;
    }
  result->config_path = g_strdup (guest->config_path);
  result->disk_path = g_strdup (guest->disk_path);
  result->seed_path = g_strdup (guest->seed_path);
  result->image_path = g_strdup (guest->image_path);
  result->ssh_port = guest->ssh_port;
  g_task_return_pointer (task, g_steal_pointer (&result), (GDestroyNotify) hv_cloud_guest_result_free);
}

void
hv_cloud_guest_make_async (const HvCloudGuestRequest *request,
                           const char                *image_dir,
                           GCancellable              *cancellable,
                           GAsyncReadyCallback        callback,
                           gpointer                   user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  Guest *guest;

  g_return_if_fail (request != NULL && request->config_dir != NULL && image_dir != NULL);

  g_task_set_source_tag (task, hv_cloud_guest_make_async);
  guest = g_new0 (Guest, 1);
  guest->request = request_copy (request);
  guest->image_dir = g_strdup (image_dir);
  g_task_set_task_data (task, guest, (GDestroyNotify) guest_free);
  g_task_run_in_thread (task, make_thread);
}

HvCloudGuestResult *
hv_cloud_guest_make_finish (GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
