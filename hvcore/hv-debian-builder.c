/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The Debian builder. A suite's base image: mmdebstrap (in a user namespace) writes a
 * tarball, fakeroot unpacks it and mke2fs -d makes an ext4 file system of it, qemu-img
 * makes that a qcow2; the suite's kernel and initrd are copied out beside it for direct
 * kernel boot. A guest: a qcow2 overlay on the base, a NoCloud seed with its name and
 * keys, and a .cfg. Only the mmdebstrap step may want root (see docs/images.md).
 */

#define _GNU_SOURCE  /* strverscmp */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "hv-cloud-seed.h"
#include "hv-debian-builder.h"
#include "hv-debian-guest-resources.h"
#include "hv-domain-spec.h"
#include "hv-port-forward.h"
#include "hv-tool.h"

G_DEFINE_QUARK (hv-debian-builder-error-quark, hv_debian_builder_error)

#define GIB                 (G_GUINT64_CONSTANT (1) << 30)
#define DEFAULT_SUITE       "bookworm"
#define DEFAULT_SIZE        (4 * GIB)
#define DEFAULT_MEMORY_MIB  512
/* The base image's file system; a guest's disk may be bigger (its first boot grows it). */
#define BASE_FS_SIZE        (2 * GIB)
/* mmdebstrap's tarball, the unpacked tree and the images, at their largest at once. */
#define BASE_SPACE_NEEDED   (3 * GIB)
#define GUEST_SPACE_NEEDED  (64 * 1024 * 1024)
#define MAX_SIZE            (G_GUINT64_CONSTANT (16) << 40)
#define GUEST_FILES         "/org/domus/hvcore/debian-guest/"
/* What a base image is made of besides its suite and packages: base_packages and the files
 * under debian-guest/. Bump it with any change to them: it is part of the base's name, so a
 * store's older base is not reused for new guests (the guests made on it keep it). */
#define BASE_FORMAT         3

/* What every base image holds besides the suite's essential packages and apt. */
static const char * const base_packages[] = {
  "linux-image-amd64", "systemd-sysv", "udev", "openssh-server", "ifupdown", "isc-dhcp-client",
  "netbase", "kmod", "e2fsprogs", "passwd", "ca-certificates", NULL
};

struct _HvDebianBuilder
{
  GObject     parent_instance;

  char       *image_dir;
  char       *config_dir;
  char       *mirror;
  GMutex      lock;       /* guards building */
  GHashTable *building;   /* base names whose build runs */
};

G_DEFINE_FINAL_TYPE (HvDebianBuilder, hv_debian_builder, G_TYPE_OBJECT)

enum {
  SIGNAL_PROGRESS,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* Requests and results */

HvDebianRequest *
hv_debian_request_new (const char *name)
{
  HvDebianRequest *request = g_new0 (HvDebianRequest, 1);

  request->name = g_strdup (name);
  return request;
}

void
hv_debian_request_free (HvDebianRequest *request)
{
  if (request == NULL)
    return;
  g_free (request->name);
  g_free (request->suite);
  g_free (request->hostname);
  g_free (request->ssh_key_file);
  g_free (request->root_password_file);
  g_free (request->ssh_keys);
  g_free (request->config_dir);
  g_free (request->mirror);
  if (request->root_password != NULL)
    memset (request->root_password, 0, strlen (request->root_password));
  g_free (request->root_password);
  g_strfreev (request->packages);
  g_free (request);
}

static HvDebianRequest *
request_copy (const HvDebianRequest *request)
{
  HvDebianRequest *copy = hv_debian_request_new (request->name);

  copy->suite = g_strdup (request->suite != NULL ? request->suite : DEFAULT_SUITE);
  copy->size_bytes = request->size_bytes != 0 ? request->size_bytes : DEFAULT_SIZE;
  copy->hostname = g_strdup (request->hostname != NULL ? request->hostname : request->name);
  copy->ssh_key_file = g_strdup (request->ssh_key_file);
  copy->root_password_file = g_strdup (request->root_password_file);
  copy->ssh_keys = g_strdup (request->ssh_keys);
  copy->config_dir = g_strdup (request->config_dir);
  copy->mirror = g_strdup (request->mirror);
  copy->root_password = g_strdup (request->root_password);
  copy->packages = g_strdupv (request->packages);
  copy->memory_mib = request->memory_mib != 0 ? request->memory_mib : DEFAULT_MEMORY_MIB;
  copy->ssh_port = request->ssh_port;
  return copy;
}

void
hv_debian_result_free (HvDebianResult *result)
{
  if (result == NULL)
    return;
  g_free (result->config_path);
  g_free (result->disk_path);
  g_free (result->seed_path);
  g_free (result->base_path);
  g_free (result);
}

/* The object */

static void
hv_debian_builder_finalize (GObject *object)
{
  HvDebianBuilder *self = HV_DEBIAN_BUILDER (object);

  g_free (self->image_dir);
  g_free (self->config_dir);
  g_free (self->mirror);
  g_mutex_clear (&self->lock);
  g_hash_table_unref (self->building);
  G_OBJECT_CLASS (hv_debian_builder_parent_class)->finalize (object);
}

static void
hv_debian_builder_class_init (HvDebianBuilderClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = hv_debian_builder_finalize;

  signals[SIGNAL_PROGRESS] =
    g_signal_new ("progress", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_UINT);
}

static void
hv_debian_builder_init (HvDebianBuilder *self)
{
  g_mutex_init (&self->lock);
  self->building = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

HvDebianBuilder *
hv_debian_builder_new (const char *image_dir,
                       const char *config_dir)
{
  HvDebianBuilder *self = g_object_new (HV_TYPE_DEBIAN_BUILDER, NULL);

  self->image_dir = g_strdup (image_dir);
  self->config_dir = g_strdup (config_dir);
  return self;
}

void
hv_debian_builder_set_mirror (HvDebianBuilder *self,
                              const char      *mirror)
{
  g_return_if_fail (HV_IS_DEBIAN_BUILDER (self));
  g_free (self->mirror);
  self->mirror = g_strdup (mirror);
}

/* A build */

typedef struct {
  HvDebianBuilder *builder;
  HvDebianRequest *request;
  GMainContext    *context;     /* where "progress" is emitted */
  char            *base_name;
  char            *base_path;
  char            *kernel_path;
  char            *initrd_path;
  char            *disk_path;
  char            *seed_path;
  char            *config_dir;
  char            *config_path;
  char            *ssh_keys;    /* checked lines, or NULL */
  char            *password_hash;
  gboolean         base_claimed;
  gboolean         base_built;
  guint            bootstrap_percent;
  guint            ssh_port;      /* the forward's host port; 0: none */
} Build;

static void
build_free (Build *build)
{
  if (build->base_claimed)
    {
      g_mutex_lock (&build->builder->lock);
      g_hash_table_remove (build->builder->building, build->base_name);
      g_mutex_unlock (&build->builder->lock);
    }
  g_object_unref (build->builder);
  hv_debian_request_free (build->request);
  g_main_context_unref (build->context);
  g_free (build->base_name);
  g_free (build->base_path);
  g_free (build->kernel_path);
  g_free (build->initrd_path);
  g_free (build->disk_path);
  g_free (build->seed_path);
  g_free (build->config_dir);
  g_free (build->config_path);
  g_free (build->ssh_keys);
  g_free (build->password_hash);
  g_free (build);
}

typedef struct {
  HvDebianBuilder *builder;
  char            *name;
  char            *stage;
  guint            percent;
} Progress;

static gboolean
emit_progress (gpointer user_data)
{
  Progress *progress = user_data;

  g_signal_emit (progress->builder, signals[SIGNAL_PROGRESS], 0, progress->name, progress->stage,
                 progress->percent);
  return G_SOURCE_REMOVE;
}

static void
progress_free (Progress *progress)
{
  g_object_unref (progress->builder);
  g_free (progress->name);
  g_free (progress->stage);
  g_free (progress);
}

static void
report (Build      *build,
        const char *stage,
        guint       percent)
{
  Progress *progress = g_new0 (Progress, 1);

  progress->builder = g_object_ref (build->builder);
  progress->name = g_strdup (build->request->name);
  progress->stage = g_strdup (stage);
  progress->percent = MIN (percent, 100);
  g_main_context_invoke_full (build->context, G_PRIORITY_DEFAULT, emit_progress, progress,
                              (GDestroyNotify) progress_free);
}

static gboolean
fail (GError     **error,
      int          code,
      const char  *format,
      ...) G_GNUC_PRINTF (3, 4);

static gboolean
fail (GError     **error,
      int          code,
      const char  *format,
      ...)
{
  va_list args;

  va_start (args, format);
  g_set_error_literal (error, HV_DEBIAN_BUILDER_ERROR, code, "");
  g_free ((*error)->message);
  (*error)->message = g_strdup_vprintf (format, args);
  va_end (args);
  return FALSE;
}

/* Checking the request */

static gboolean
is_package_name (const char *name)
{
  /* Debian policy 5.6.1: lowercase letters, digits, '+', '-', '.', starting alphanumeric. */
  if (name == NULL || strlen (name) < 2 || !g_ascii_isalnum (*name))
    return FALSE;
  for (const char *p = name; *p != '\0'; p++)
    if (!(g_ascii_islower (*p) || g_ascii_isdigit (*p) || strchr ("+-.", *p) != NULL))
      return FALSE;
  return TRUE;
}

static gboolean
is_suite_name (const char *suite)
{
  if (suite == NULL || *suite == '\0' || strlen (suite) > 64 || !g_ascii_islower (*suite))
    return FALSE;
  for (const char *p = suite; *p != '\0'; p++)
    if (!(g_ascii_islower (*p) || g_ascii_isdigit (*p) || *p == '-'))
      return FALSE;
  return TRUE;
}

static gboolean
check_request (const HvDebianRequest  *request,
               GError                **error)
{
  if (!hv_domain_name_is_valid (request->name))
    return fail (error, HV_DEBIAN_BUILDER_ERROR_INVALID,
                 _("name: “%s” is not a domain name (letters, digits, “.”, “_” and “-”, at most 64)"),
                 request->name != NULL ? request->name : "");
  if (!is_suite_name (request->suite))
    return fail (error, HV_DEBIAN_BUILDER_ERROR_INVALID,
                 _("suite: “%s” is not a suite name (“bookworm”, “trixie”, “stable”, …)"), request->suite);
  if (request->size_bytes < BASE_FS_SIZE || request->size_bytes > MAX_SIZE)
    return fail (error, HV_DEBIAN_BUILDER_ERROR_INVALID,
                 _("size: %llu MiB is outside 2 GiB to 16 TiB (the system alone takes about 1 GiB)"),
                 (unsigned long long) (request->size_bytes / (1024 * 1024)));
  if (!hv_cloud_seed_hostname_is_valid (request->hostname))
    return fail (error, HV_DEBIAN_BUILDER_ERROR_INVALID,
                 _("hostname: “%s” is not a host name (letters, digits and “-” in labels of at most 63, separated by “.”)"),
                 request->hostname);
  if (request->ssh_port < -1 || request->ssh_port > 65535)
    return fail (error, HV_DEBIAN_BUILDER_ERROR_INVALID,
                 _("ssh-port: %d is not a port from 1 to 65535"), request->ssh_port);
  if (request->memory_mib < 128 || request->memory_mib > 1024 * 1024)
    return fail (error, HV_DEBIAN_BUILDER_ERROR_INVALID,
                 _("memory: %lld MiB is outside 128 MiB to 1 TiB"), (long long) request->memory_mib);
  for (guint i = 0; request->packages != NULL && request->packages[i] != NULL; i++)
    if (!is_package_name (request->packages[i]))
      return fail (error, HV_DEBIAN_BUILDER_ERROR_INVALID,
                   _("packages: “%s” is not a Debian package name"), request->packages[i]);
  if (request->ssh_key_file == NULL && request->root_password_file == NULL &&
      request->ssh_keys == NULL && request->root_password == NULL)
    return fail (error, HV_DEBIAN_BUILDER_ERROR_INVALID,
                 _("Give an SSH key file or a root password file: without either no one could log in."));
  return TRUE;
}

/*
 * The contents of *file, or of `text` when there is no file (*file then becomes `text_name`,
 * for messages); *contents stays NULL when neither is given. `key` prefixes a read error.
 */
static gboolean
read_file_or_text (const char  **file,
                   const char   *text,
                   const char   *text_name,
                   const char   *key,
                   char        **contents,
                   GError      **error)
{
  GError *local = NULL;

  *contents = NULL;
  if (*file == NULL)
    {
      *file = text_name;
      *contents = g_strdup (text);
      return TRUE;
    }
  if (g_file_get_contents (*file, contents, NULL, &local))
    return TRUE;
  fail (error, HV_DEBIAN_BUILDER_ERROR_INVALID, "%s: %s", key, local->message);
  g_error_free (local);
  return FALSE;
}

/* Every non-empty, non-comment line must be a public key. */
static gboolean
read_ssh_keys (Build   *build,
               GError **error)
{
  const char *file = build->request->ssh_key_file;
  g_autofree char *contents = NULL;
  g_autoptr(GString) keys = g_string_new (NULL);
  g_auto(GStrv) lines = NULL;

  if (!read_file_or_text (&file, build->request->ssh_keys, "ssh_keys", "ssh-key", &contents, error))
    return FALSE;
  if (contents == NULL)
    return TRUE;
  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_strstrip (lines[i]);
      if (*lines[i] == '\0' || *lines[i] == '#')
        continue;
      if (!hv_cloud_seed_ssh_key_is_valid (lines[i]))
        return fail (error, HV_DEBIAN_BUILDER_ERROR_INVALID,
                     _("ssh-key: %s, line %u: not an OpenSSH public key (“ssh-ed25519 AAAA… comment”); give the .pub file"),
                     file, i + 1);
      g_string_append_printf (keys, "%s\n", lines[i]);
    }
  if (keys->len == 0)
    return fail (error, HV_DEBIAN_BUILDER_ERROR_INVALID, _("ssh-key: %s holds no public key"), file);
  build->ssh_keys = g_string_free (g_steal_pointer (&keys), FALSE);
  return TRUE;
}

static void
forget (char *secret)
{
  if (secret != NULL)
    memset (secret, 0, strlen (secret));
  g_free (secret);
}

/* openssl hashes it (SHA-512 crypt): the password goes on its stdin, never on a command line. */
static gboolean
hash_password (Build         *build,
               GCancellable  *cancellable,
               GError       **error)
{
  const char *file = build->request->root_password_file;
  const char *argv[] = { "openssl", "passwd", "-6", "-stdin", NULL };
  g_autofree char *contents = NULL;
  g_autofree char *out = NULL;
  HvToolOptions options = { 0 };
  GError *local = NULL;
  char *newline;
  int status = 0;
  gboolean ran;

  if (!read_file_or_text (&file, build->request->root_password, "root_password", "root-password-file",
                          &contents, error))
    return FALSE;
  if (contents == NULL)
    return TRUE;
  newline = strchr (contents, '\n');
  if (newline != NULL)
    newline[newline > contents && newline[-1] == '\r' ? -1 : 0] = '\0';
  if (*contents == '\0')
    {
      forget (g_steal_pointer (&contents));
      return fail (error, HV_DEBIAN_BUILDER_ERROR_INVALID,
                   _("root-password-file: %s: the first line is empty"), file);
    }
  {
    g_autofree char *input = g_strdup_printf ("%s\n", contents);

    options.stdin_text = input;
    ran = hv_tool_run (argv, &options, &out, NULL, &status, cancellable, &local);
    forget (g_steal_pointer (&input));
  }
  forget (g_steal_pointer (&contents));
  if (!ran)
    {
      fail (error, HV_DEBIAN_BUILDER_ERROR_NO_TOOL, _("Hashing the root password needs openssl: %s"),
            local->message);
      g_error_free (local);
      return FALSE;
    }
  g_strstrip (out);
  if (status != 0 || out[0] != '$')
    return fail (error, HV_DEBIAN_BUILDER_ERROR_FAILED, _("openssl could not hash the root password"));
  build->password_hash = g_steal_pointer (&out);
  return TRUE;
}

static gboolean
refuse_existing (const char  *path,
                 GError     **error)
{
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    return TRUE;
  return fail (error, HV_DEBIAN_BUILDER_ERROR_EXISTS,
               _("%s exists already; choose another name or remove it first."), path);
}

static gboolean
check_space (const char  *dir,
             guint64      needed,
             GError     **error)
{
  struct statvfs st;
  guint64 available;

  if (statvfs (dir, &st) != 0)
    return fail (error, HV_DEBIAN_BUILDER_ERROR_IO, _("Cannot look at %s: %s"), dir, g_strerror (errno));
  available = (guint64) st.f_bavail * st.f_frsize;
  if (available >= needed)
    return TRUE;
  return fail (error, HV_DEBIAN_BUILDER_ERROR_NO_SPACE,
               _("%s has %llu MiB free; this build needs %llu MiB."), dir,
               (unsigned long long) (available / (1024 * 1024)), (unsigned long long) (needed / (1024 * 1024)));
}

/* Tools' failures, named by their cause */

typedef struct {
  const char *needle;
  int         code;
} Cause;

static const Cause causes[] = {
  { "No space left on device", HV_DEBIAN_BUILDER_ERROR_NO_SPACE },
  { "does not have a Release file", HV_DEBIAN_BUILDER_ERROR_UNKNOWN_SUITE },
  { "Unable to locate package", HV_DEBIAN_BUILDER_ERROR_UNKNOWN_PACKAGE },
  { "has no installation candidate", HV_DEBIAN_BUILDER_ERROR_UNKNOWN_PACKAGE },
  { "Could not resolve", HV_DEBIAN_BUILDER_ERROR_NO_ARCHIVE },
  { "Temporary failure resolving", HV_DEBIAN_BUILDER_ERROR_NO_ARCHIVE },
  { "Could not connect", HV_DEBIAN_BUILDER_ERROR_NO_ARCHIVE },
  { "Connection timed out", HV_DEBIAN_BUILDER_ERROR_NO_ARCHIVE },
  { "Failed to fetch", HV_DEBIAN_BUILDER_ERROR_NO_ARCHIVE },
};

/* The first "E:" line that names the cause, else the last line. */
static char *
cause_line (const char *err,
            const char *needle)
{
  g_auto(GStrv) lines = g_strsplit (err != NULL ? err : "", "\n", -1);

  for (guint i = 0; needle != NULL && lines[i] != NULL; i++)
    if (strstr (lines[i], needle) != NULL)
      return g_strstrip (g_strdup (lines[i]));
  return hv_tool_last_line (err);
}

static gboolean
tool_failed (const char  *what,
             const char  *err,
             GError     **error)
{
  for (guint i = 0; i < G_N_ELEMENTS (causes); i++)
    if (err != NULL && strstr (err, causes[i].needle) != NULL)
      {
        g_autofree char *line = cause_line (err, causes[i].needle);

        switch (causes[i].code)
          {
          case HV_DEBIAN_BUILDER_ERROR_NO_SPACE:
            return fail (error, causes[i].code, _("The disk is full: %s stopped (%s)."), what, line);
          case HV_DEBIAN_BUILDER_ERROR_UNKNOWN_SUITE:
            return fail (error, causes[i].code, _("The archive has no such suite: %s"), line);
          case HV_DEBIAN_BUILDER_ERROR_UNKNOWN_PACKAGE:
            return fail (error, causes[i].code, _("A package is not in the suite: %s"), line);
          default:
            return fail (error, causes[i].code, _("Debian's archive could not be reached: %s"), line);
          }
      }
  {
    g_autofree char *line = cause_line (err, NULL);

    return fail (error, HV_DEBIAN_BUILDER_ERROR_FAILED, _("%s failed: %s"), what, line);
  }
}

static gboolean
run_tool (const char * const   *argv,
          const HvToolOptions  *options,
          const char           *what,
          GCancellable         *cancellable,
          GError              **error)
{
  g_autofree char *err = NULL;
  GError *local = NULL;
  int status = 0;

  if (!hv_tool_run (argv, options, NULL, &err, &status, cancellable, &local))
    {
      if (g_error_matches (local, G_SPAWN_ERROR, G_SPAWN_ERROR_NOENT))
        {
          fail (error, HV_DEBIAN_BUILDER_ERROR_NO_TOOL, "%s", local->message);
          g_error_free (local);
        }
      else
        g_propagate_error (error, local);
      return FALSE;
    }
  return status == 0 || tool_failed (what, err, error);
}

/* The base image */

typedef struct {
  const char *prefix;
  guint       percent;
} Milestone;

/* mmdebstrap's own progress lines, and how far into the whole build each one is. */
static const Milestone milestones[] = {
  { "I: running apt-get update", 3 },
  { "I: downloading packages", 8 },
  { "I: extracting archives", 20 },
  { "I: installing essential packages", 28 },
  { "I: installing remaining packages", 38 },
  { "I: running --customize-hook", 58 },
  { "I: creating tarball", 60 },
  { "I: success", 62 },
};

static void
on_bootstrap_line (const char *line,
                   gpointer    user_data)
{
  Build *build = user_data;

  for (guint i = 0; i < G_N_ELEMENTS (milestones); i++)
    if (g_str_has_prefix (line, milestones[i].prefix) && milestones[i].percent > build->bootstrap_percent)
      {
        build->bootstrap_percent = milestones[i].percent;
        report (build, "bootstrapping", milestones[i].percent);
      }
}

static gboolean
write_guest_files (const char  *files,
                   GError     **error)
{
  static const struct {
    const char *resource;
    const char *path;
  } guest_files[] = {
    { "domus-guest-setup", "usr/local/sbin/domus-guest-setup" },
    { "domus-guest-setup.service", "etc/systemd/system/domus-guest-setup.service" },
    { "domus-guest-ssh.service", "etc/systemd/system/domus-guest-ssh.service" },
    { "domus-guest-grow.service", "etc/systemd/system/domus-guest-grow.service" },
    { "getty-no-idle.conf", "etc/systemd/system/getty@.service.d/domus-no-idle.conf" },
    { "getty-no-idle.conf", "etc/systemd/system/serial-getty@.service.d/domus-no-idle.conf" },
    { "status-errors.conf", "etc/systemd/system.conf.d/domus-status.conf" },
    { "sshd-host-keys.conf", "etc/ssh/sshd_config.d/domus-host-keys.conf" },
    { "base-setup.sh", "usr/local/lib/domus/base-setup.sh" },
    { "fstab", "etc/fstab" },
    { "interfaces", "etc/network/interfaces" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (guest_files); i++)
    {
      g_autofree char *resource = g_strconcat (GUEST_FILES, guest_files[i].resource, NULL);
      g_autofree char *path = g_build_filename (files, guest_files[i].path, NULL);
      g_autofree char *parent = g_path_get_dirname (path);
      g_autoptr(GBytes) bytes = g_resource_lookup_data (hv_debian_guest_get_resource (), resource,
                                                      G_RESOURCE_LOOKUP_FLAGS_NONE, error);

      if (bytes == NULL)
        return FALSE;
      if (g_mkdir_with_parents (parent, 0755) != 0)
        return fail (error, HV_DEBIAN_BUILDER_ERROR_IO, _("Cannot make %s: %s"), parent, g_strerror (errno));
      if (!g_file_set_contents_full (path, g_bytes_get_data (bytes, NULL), (gssize) g_bytes_get_size (bytes),
                                     G_FILE_SET_CONTENTS_NONE, 0755, error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
bootstrap (Build         *build,
           const char    *staging,
           GCancellable  *cancellable,
           GError       **error)
{
  g_autofree char *files = g_build_filename (staging, "files", NULL);
  g_autofree char *boot = g_build_filename (staging, "boot", NULL);
  g_autofree char *tarball = g_build_filename (staging, "root.tar", NULL);
  g_autofree char *include = NULL;
  g_autofree char *sync_in = NULL;
  g_autofree char *copy_out = NULL;
  g_autofree char *tmpdir = g_strdup_printf ("TMPDIR=%s", staging);
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GStrvBuilder) packages = g_strv_builder_new ();
  g_auto(GStrv) package_list = NULL;
  const char *environment[] = { tmpdir, NULL };
  HvToolOptions options = { .on_stderr_line = on_bootstrap_line, .user_data = build,
                            .environment = environment };

  if (!write_guest_files (files, error))
    return FALSE;
  if (g_mkdir (boot, 0755) != 0)
    return fail (error, HV_DEBIAN_BUILDER_ERROR_IO, _("Cannot make %s: %s"), boot, g_strerror (errno));
  g_strv_builder_addv (packages, (const char **) base_packages);
  if (build->request->packages != NULL)
    g_strv_builder_addv (packages, (const char **) build->request->packages);
  package_list = g_strv_builder_end (packages);
  include = g_strjoinv (",", package_list);
  sync_in = g_strdup_printf ("sync-in %s /", files);
  copy_out = g_strdup_printf ("copy-out /boot %s", boot);

  g_ptr_array_add (argv, g_strdup ("mmdebstrap"));
  /* A user namespace even for root: the packages' maintainer scripts never run as the
   * host's root. Other users need a subordinate id range (or get fakechroot). */
  g_ptr_array_add (argv, g_strdup (geteuid () == 0 ? "--mode=unshare" : "--mode=auto"));
  g_ptr_array_add (argv, g_strdup ("--variant=apt"));
  g_ptr_array_add (argv, g_strdup_printf ("--include=%s", include));
  g_ptr_array_add (argv, g_strdup_printf ("--customize-hook=%s", sync_in));
  g_ptr_array_add (argv, g_strdup ("--customize-hook=chroot \"$1\" sh /usr/local/lib/domus/base-setup.sh"));
  g_ptr_array_add (argv, g_strdup_printf ("--customize-hook=%s", copy_out));
  g_ptr_array_add (argv, g_strdup (build->request->suite));
  g_ptr_array_add (argv, g_strdup (tarball));
  if (build->request->mirror != NULL || build->builder->mirror != NULL)
    g_ptr_array_add (argv, g_strdup (build->request->mirror != NULL ? build->request->mirror
                                                                     : build->builder->mirror));
  g_ptr_array_add (argv, NULL);

  report (build, "bootstrapping", 2);
  return run_tool ((const char * const *) argv->pdata, &options, "mmdebstrap", cancellable, error);
}

/* fakeroot keeps the tarball's owners, modes and device nodes for mke2fs without root. */
static gboolean
make_file_system (Build         *build,
                  const char    *staging,
                  GCancellable  *cancellable,
                  GError       **error)
{
  g_autofree char *tarball = g_build_filename (staging, "root.tar", NULL);
  g_autofree char *tree = g_build_filename (staging, "tree", NULL);
  g_autofree char *raw = g_build_filename (staging, "root.raw", NULL);
  g_autofree char *size = g_strdup_printf ("%" G_GUINT64_FORMAT "k", BASE_FS_SIZE / 1024);
  const char *argv[] = {
    "fakeroot", "--", "sh", "-ec",
    "mkdir \"$2\"; tar -xpf \"$1\" -C \"$2\" --numeric-owner; rm -f \"$1\"; "
    "mke2fs -q -t ext4 -L domus-root -d \"$2\" -F \"$3\" \"$4\"",
    "domus-make-fs", tarball, tree, raw, size, NULL
  };
  gboolean ok;

  report (build, "file-system", 64);
  ok = run_tool (argv, NULL, "mke2fs", cancellable, error);
  hv_tool_remove_tree (tree);
  return ok;
}

static gboolean
convert_to_qcow2 (Build         *build,
                  const char    *staging,
                  GCancellable  *cancellable,
                  GError       **error)
{
  g_autofree char *raw = g_build_filename (staging, "root.raw", NULL);
  g_autofree char *qcow2 = g_build_filename (staging, "base.qcow2", NULL);
  const char *argv[] = { "qemu-img", "convert", "-f", "raw", "-O", "qcow2", raw, qcow2, NULL };
  gboolean ok;

  report (build, "converting", 84);
  ok = run_tool (argv, NULL, "qemu-img convert", cancellable, error);
  g_unlink (raw);
  return ok;
}

/* The newest boot/vmlinuz-* (or initrd.img-*) mmdebstrap copied out. */
static char *
find_boot_file (const char *boot,
                const char *prefix)
{
  g_autofree char *dir = g_build_filename (boot, "boot", NULL);
  g_autoptr(GDir) handle = g_dir_open (dir, 0, NULL);
  g_autofree char *best = NULL;
  const char *name;

  while (handle != NULL && (name = g_dir_read_name (handle)) != NULL)
    if (g_str_has_prefix (name, prefix) && (best == NULL || strverscmp (name, best) > 0))
      {
        g_free (best);
        best = g_strdup (name);
      }
  return best != NULL ? g_build_filename (dir, best, NULL) : NULL;
}

static gboolean
publish (const char  *from,
         const char  *to,
         GError     **error)
{
  if (g_rename (from, to) == 0)
    return TRUE;
  return fail (error, HV_DEBIAN_BUILDER_ERROR_IO, _("Cannot rename %s to %s: %s"), from, to, g_strerror (errno));
}

/* The qcow2 goes last: a base whose qcow2 is there is whole. */
static gboolean
publish_base (Build       *build,
              const char  *staging,
              GError     **error)
{
  g_autofree char *boot = g_build_filename (staging, "boot", NULL);
  g_autofree char *kernel = find_boot_file (boot, "vmlinuz-");
  g_autofree char *initrd = find_boot_file (boot, "initrd.img-");
  g_autofree char *qcow2 = g_build_filename (staging, "base.qcow2", NULL);

  if (kernel == NULL || initrd == NULL)
    return fail (error, HV_DEBIAN_BUILDER_ERROR_FAILED,
                 _("The new system has no kernel or initrd in /boot (is linux-image-amd64 in the suite?)"));
  g_chmod (qcow2, 0444);
  return publish (kernel, build->kernel_path, error) &&
         publish (initrd, build->initrd_path, error) &&
         publish (qcow2, build->base_path, error);
}

static gboolean
build_base (Build         *build,
            GCancellable  *cancellable,
            GError       **error)
{
  g_autofree char *template = g_strdup_printf ("%s/.%s-build.XXXXXX", build->builder->image_dir, build->base_name);
  const char *staging;
  gboolean ok;

  if (!check_space (build->builder->image_dir, BASE_SPACE_NEEDED, error))
    return FALSE;
  staging = g_mkdtemp_full (template, 0700);
  if (staging == NULL)
    return fail (error, HV_DEBIAN_BUILDER_ERROR_IO, _("Cannot make a folder in %s: %s"),
                 build->builder->image_dir, g_strerror (errno));
  ok = bootstrap (build, staging, cancellable, error) &&
       make_file_system (build, staging, cancellable, error) &&
       convert_to_qcow2 (build, staging, cancellable, error) &&
       publish_base (build, staging, error);
  if (!ok)
    {
      /* A kernel published before the qcow2 failed is half a base. */
      g_unlink (build->kernel_path);
      g_unlink (build->initrd_path);
    }
  hv_tool_remove_tree (staging);
  build->base_built = ok;
  return ok;
}

static gboolean
claim_base (Build   *build,
            GError **error)
{
  HvDebianBuilder *self = build->builder;
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);

  if (g_hash_table_contains (self->building, build->base_name))
    return fail (error, HV_DEBIAN_BUILDER_ERROR_BUSY,
                 _("The base image %s is being built by another request; try again when it is done."),
                 build->base_name);
  g_hash_table_add (self->building, g_strdup (build->base_name));
  build->base_claimed = TRUE;
  return TRUE;
}

/* The guest */

static gboolean
make_overlay (Build         *build,
              GCancellable  *cancellable,
              GError       **error)
{
  g_autofree char *base = g_path_get_basename (build->base_path);
  g_autofree char *dir = g_path_get_dirname (build->disk_path);
  g_autofree char *name = g_path_get_basename (build->disk_path);
  g_autofree char *temporary = g_strdup_printf ("%s/.%s.new", dir, name);
  g_autofree char *size = g_strdup_printf ("%" G_GUINT64_FORMAT, build->request->size_bytes);
  /* The backing file by its name alone: found beside the overlay, wherever the store is mounted. */
  const char *argv[] = { "qemu-img", "create", "-q", "-f", "qcow2", "-b", base, "-F", "qcow2",
                         temporary, size, NULL };

  report (build, "overlay", build->base_built ? 90 : 30);
  if (!run_tool (argv, NULL, "qemu-img create", cancellable, error))
    {
      g_unlink (temporary);
      return FALSE;
    }
  return publish (temporary, build->disk_path, error);
}

static char *
new_instance_id (void)
{
  g_autofree char *uuid = g_uuid_string_random ();

  return g_strdup_printf ("domus-%s", uuid);
}

static gboolean
make_seed (Build         *build,
           GCancellable  *cancellable,
           GError       **error)
{
  g_autofree char *instance_id = new_instance_id ();
  g_autoptr(HvCloudSeed) seed = hv_cloud_seed_new (instance_id, build->request->hostname);
  GError *local = NULL;

  report (build, "seed", build->base_built ? 94 : 60);
  if (build->ssh_keys != NULL)
    {
      g_auto(GStrv) keys = g_strsplit (build->ssh_keys, "\n", -1);

      for (guint i = 0; keys[i] != NULL; i++)
        if (*keys[i] != '\0')
          hv_cloud_seed_add_ssh_key (seed, keys[i]);
      /* Domus's own guest script reads these; cloud-init reads user-data. */
      hv_cloud_seed_add_file (seed, "domus-root-keys", build->ssh_keys);
    }
  if (build->password_hash != NULL)
    hv_cloud_seed_add_file (seed, "domus-root-password", build->password_hash);
  if (hv_cloud_seed_write (seed, build->seed_path, cancellable, &local))
    return TRUE;
  if (local->domain == HV_CLOUD_SEED_ERROR && local->code == HV_CLOUD_SEED_ERROR_NO_TOOL)
    fail (error, HV_DEBIAN_BUILDER_ERROR_NO_TOOL, "%s", local->message);
  else
    fail (error, HV_DEBIAN_BUILDER_ERROR_FAILED, "%s", local->message);
  g_error_free (local);
  return FALSE;
}

/* The vif, with SSH forwarded from a host port unless the request said not to. */
static char *
make_vif_entry (Build *build)
{
  g_autofree char *mac = hv_domain_spec_generate_mac ();

  if (build->ssh_port == 0)
    return g_strdup_printf ("mac=%s", mac);
  return g_strdup_printf ("mac=%s, forward=tcp:127.0.0.1:%u-:22", mac, build->ssh_port);
}

static char *
make_config_text (Build *build)
{
  g_autofree char *vif = make_vif_entry (build);
  g_autofree char *ssh = build->ssh_port == 0 ? g_strdup ("")
    : g_strdup_printf ("# SSH from this host: ssh -p %u root@127.0.0.1 (the vif's forward=, for a daemon\n"
                       "# with user-mode networking; on a bridge, use the guest's own address).\n",
                       build->ssh_port);

  return g_strdup_printf (
    "# %s: Debian %s from Debian's archive, built by Domus (domusctl image debian).\n"
    "# The disk is a qcow2 overlay on the suite's base image %s; the seed disk gives the\n"
    "# guest its host name and keys (domus-guest-setup applies it at boot). The kernel and\n"
    "# initrd are the suite's own, booted directly.\n"
    "%s"
    "name = \"%s\"\n"
    "memory = %" G_GINT64_FORMAT "\n"
    "vcpus = 1\n"
    "kernel = \"%s\"\n"
    "ramdisk = \"%s\"\n"
    "root = \"/dev/vda ro\"\n"
    "extra = \"console=tty0 console=ttyS0 net.ifnames=0\"\n"
    "disk = [ 'tap:qcow2:%s,xvda,w', 'file:%s,hdc:cdrom,r' ]\n"
    "vif = [ '%s' ]\n"
    "vnc = 1\n"
    "on_reboot = \"restart\"\n"
    "tags = [ \"debian\" ]\n",
    build->request->name, build->request->suite, build->base_path, ssh,
    build->request->name, build->request->memory_mib,
    build->kernel_path, build->initrd_path,
    build->disk_path, build->seed_path, vif);
}

static gboolean
write_config (Build   *build,
              GError **error)
{
  g_autofree char *text = NULL;
  GError *local = NULL;

  report (build, "config", build->base_built ? 98 : 90);
  {
    const char *config_dirs[] = { build->builder->config_dir, build->config_dir, NULL };

    build->ssh_port = hv_port_forward_choose_ssh_port (build->request->ssh_port, config_dirs);
  }
  text = make_config_text (build);
  if (g_mkdir_with_parents (build->config_dir, 0700) != 0)
    return fail (error, HV_DEBIAN_BUILDER_ERROR_IO, _("Cannot make %s: %s"),
                 build->config_dir, g_strerror (errno));
  if (g_file_set_contents_full (build->config_path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, &local))
    return TRUE;
  fail (error, HV_DEBIAN_BUILDER_ERROR_IO, "%s", local->message);
  g_error_free (local);
  return FALSE;
}

static gboolean
make_guest (Build         *build,
            GCancellable  *cancellable,
            GError       **error)
{
  gboolean ok;

  ok = check_space (build->builder->image_dir, GUEST_SPACE_NEEDED, error) &&
       make_overlay (build, cancellable, error) &&
       make_seed (build, cancellable, error) &&
       write_config (build, error);
  if (!ok)
    {
      /* Each was checked absent before the build began: what is there now is ours. */
      g_unlink (build->disk_path);
      g_unlink (build->seed_path);
    }
  return ok;
}

static gboolean
prepare (Build         *build,
         GCancellable  *cancellable,
         GError       **error)
{
  HvDebianBuilder *self = build->builder;
  g_autofree char *config_name = g_strconcat (build->request->name, ".cfg", NULL);
  g_autofree char *disk_name = g_strconcat (build->request->name, ".qcow2", NULL);
  g_autofree char *seed_name = g_strconcat (build->request->name, "-seed.iso", NULL);

  report (build, "checking", 0);
  if (!check_request (build->request, error))
    return FALSE;
  build->base_name = hv_debian_builder_base_name (build->request->suite,
                                                  (const char * const *) build->request->packages);
  {
    g_autofree char *base = g_strconcat (build->base_name, ".qcow2", NULL);
    g_autofree char *kernel = g_strconcat (build->base_name, ".vmlinuz", NULL);
    g_autofree char *initrd = g_strconcat (build->base_name, ".initrd", NULL);

    build->base_path = g_build_filename (self->image_dir, base, NULL);
    build->kernel_path = g_build_filename (self->image_dir, kernel, NULL);
    build->initrd_path = g_build_filename (self->image_dir, initrd, NULL);
  }
  build->disk_path = g_build_filename (self->image_dir, disk_name, NULL);
  build->seed_path = g_build_filename (self->image_dir, seed_name, NULL);
  build->config_dir = g_strdup (build->request->config_dir != NULL ? build->request->config_dir
                                                                    : self->config_dir);
  build->config_path = g_build_filename (build->config_dir, config_name, NULL);
  if (!refuse_existing (build->disk_path, error) || !refuse_existing (build->seed_path, error) ||
      !refuse_existing (build->config_path, error))
    return FALSE;
  if (g_mkdir_with_parents (self->image_dir, 0700) != 0)
    return fail (error, HV_DEBIAN_BUILDER_ERROR_IO, _("Cannot make %s: %s"), self->image_dir, g_strerror (errno));
  return read_ssh_keys (build, error) && hash_password (build, cancellable, error);
}

static void
build_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  Build *build = task_data;
  GError *error = NULL;
  HvDebianResult *result;
  gboolean ok;

  ok = prepare (build, cancellable, &error);
  /* Only a build that makes the base claims it: overlays on a whole base run side by side. */
  if (ok && !g_file_test (build->base_path, G_FILE_TEST_EXISTS))
    ok = claim_base (build, &error) &&
         (g_file_test (build->base_path, G_FILE_TEST_EXISTS) || build_base (build, cancellable, &error));
  ok = ok && make_guest (build, cancellable, &error);
  if (!ok)
    {
      g_task_return_error (task, error);
      return;
    }
  report (build, "done", 100);
  result = g_new0 (HvDebianResult, 1);
  result->config_path = g_strdup (build->config_path);
  result->disk_path = g_strdup (build->disk_path);
  result->seed_path = g_strdup (build->seed_path);
  result->base_path = g_strdup (build->base_path);
  result->base_built = build->base_built;
  result->ssh_port = build->ssh_port;
  g_task_return_pointer (task, result, (GDestroyNotify) hv_debian_result_free);
}

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

char *
hv_debian_builder_base_name (const char         *suite,
                             const char * const *packages)
{
  g_autoptr(GPtrArray) sorted = g_ptr_array_new ();
  g_autoptr(GString) joined = g_string_new (NULL);
  g_autofree char *digest = NULL;

  if (packages == NULL || packages[0] == NULL)
    return g_strdup_printf ("debian-%s-v%d", suite, BASE_FORMAT);
  /* Extra packages make another base: the same set in any order is the same base. */
  for (guint i = 0; packages[i] != NULL; i++)
    g_ptr_array_add (sorted, (gpointer) packages[i]);
  g_ptr_array_sort (sorted, compare_names);
  for (guint i = 0; i < sorted->len; i++)
    if (i == 0 || strcmp (g_ptr_array_index (sorted, i), g_ptr_array_index (sorted, i - 1)) != 0)
      g_string_append_printf (joined, "%s\n", (const char *) g_ptr_array_index (sorted, i));
  digest = g_compute_checksum_for_string (G_CHECKSUM_SHA256, joined->str, -1);
  digest[8] = '\0';
  return g_strdup_printf ("debian-%s-v%d-%s", suite, BASE_FORMAT, digest);
}

void
hv_debian_builder_build_async (HvDebianBuilder       *self,
                               const HvDebianRequest *request,
                               GCancellable          *cancellable,
                               GAsyncReadyCallback    callback,
                               gpointer               user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  Build *build;

  g_return_if_fail (HV_IS_DEBIAN_BUILDER (self));
  g_return_if_fail (request != NULL);

  g_task_set_source_tag (task, hv_debian_builder_build_async);
  build = g_new0 (Build, 1);
  build->builder = g_object_ref (self);
  build->request = request_copy (request);
  build->context = g_main_context_ref_thread_default ();
  g_task_set_task_data (task, build, (GDestroyNotify) build_free);
  g_task_run_in_thread (task, build_thread);
}

HvDebianResult *
hv_debian_builder_build_finish (HvDebianBuilder  *self,
                                GAsyncResult     *result,
                                GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
