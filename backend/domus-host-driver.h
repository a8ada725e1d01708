/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The kind of a host: what speaks to it behind a DomusHost. Abstract; a subclass per kind
 * (DomusDaemonDriver for domusd). Each typed call of domus-host.h is a vfunc here; the
 * driver answers through the GTask it is given and feeds the host's model through
 * domus-host-private.h, never with the protocol's own objects. docs/backend-api.md says
 * how to add a kind.
 */

#pragma once

#include <gio/gio.h>

#include "domus-host.h"

G_BEGIN_DECLS

typedef struct _DomusMigration DomusMigration;

/* What a host says about itself when it connects. */
typedef struct {
  char                  *name;
  char                  *version;
  char                  *hypervisor;
  char                  *hypervisor_version;
  char                  *accelerator;
  gint64                 cpus;          /* -1 when not said */
  gint64                 memory_mib;    /* -1 when not said */
  DomusHostNetwork       network;
  DomusHostCapabilities  capabilities;
  /* incoming migrations only encrypted (domusd: the relocation address is not loopback) */
  gboolean               migration_encryption_required;
} DomusHostFacts;

DomusHostFacts *domus_host_facts_new  (void);
void            domus_host_facts_free (DomusHostFacts *facts);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DomusHostFacts, domus_host_facts_free)

/* A file on the host: a configuration (text, path) or a memory dump (path, size). */
typedef struct {
  char    *text;
  char    *path;
  guint64  size;
} DomusDriverFile;

void domus_driver_file_free (DomusDriverFile *file);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DomusDriverFile, domus_driver_file_free)

/* An image store's listing: where new images go, and its images by name. (A save folder's
 * listing has the same shape: the folder, and its DomusSaveFile items.) */
typedef struct {
  char      *dir;      /* NULL when the host did not say */
  GPtrArray *images;   /* DomusImage, new objects */
} DomusImageListing;

void domus_image_listing_free (DomusImageListing *listing);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DomusImageListing, domus_image_listing_free)

/* A host's alert rules (an a{sv}, domus_host_get_alert_rules_async()) and the file that
 * keeps them (NULL when the host did not say). */
typedef struct {
  GVariant *rules;
  char     *config_path;
} DomusAlertRules;

void domus_alert_rules_free (DomusAlertRules *rules);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DomusAlertRules, domus_alert_rules_free)

#define DOMUS_TYPE_HOST_DRIVER (domus_host_driver_get_type ())
G_DECLARE_DERIVABLE_TYPE (DomusHostDriver, domus_host_driver, DOMUS, HOST_DRIVER, GObject)

/*
 * Every vfunc takes the GTask it answers through (transfer full): the host made it, with
 * the host as source object and the public call as source tag, and the caller's
 * cancellable. The comment says what the task returns; errors are in DOMUS_ERROR (or
 * G_IO_ERROR_CANCELLED). `name` is a domain's name (or a running domain's id as text).
 */
struct _DomusHostDriverClass
{
  GObjectClass parent_class;

  /* "domusd", "libvirt": for messages and domus_host_get_kind(). */
  const char *kind;

  /* Connecting: connect returns a DomusHostFacts; follow returns TRUE once the host's
   * model holds the domains and the recent stats, and keeps it current from then on;
   * close ends the connection (waiting at most wait_ms for the transport to end) and any
   * answer still to come. A transport that goes by itself: _domus_host_driver_lost(). */
  void        (*connect)             (DomusHostDriver *self, GTlsInteraction *interaction,
                                      const char *accept_host_key, GTask *task);
  void        (*follow)              (DomusHostDriver *self, GTask *task);
  void        (*close)               (DomusHostDriver *self, guint wait_ms);
  const char *(*get_security_notice) (DomusHostDriver *self);
  gboolean    (*is_local)            (DomusHostDriver *self);   /* its files are this machine's */
  void        (*ping)                (DomusHostDriver *self, GTask *task);   /* boolean */

  /* Domains */
  void (*list_domains)  (DomusHostDriver *self, gboolean all, GTask *task);      /* GPtrArray of DomusDomainInfo */
  void (*get_domain)    (DomusHostDriver *self, const char *name, GTask *task);  /* DomusDomainInfo */
  void (*domain_action) (DomusHostDriver *self, const char *name, DomusDomainAction action,
                         DomusDomainActionFlags flags, GTask *task);             /* int: the id, -1 */
  void (*get_config)    (DomusHostDriver *self, const char *name, GTask *task);  /* DomusDriverFile: text, path */
  void (*set_config)    (DomusHostDriver *self, const char *name, const char *config, GTask *task); /* boolean */
  void (*set_values)    (DomusHostDriver *self, const char *name, GVariant *values, GTask *task);   /* char *: the new text */
  void (*set_autostart) (DomusHostDriver *self, const char *name, gboolean autostart, GTask *task); /* boolean */
  void (*define)        (DomusHostDriver *self, const char *config, const char *filename,
                         gboolean start, GTask *task);                           /* DomusDomainInfo */
  /* The create assistant's choices in the kind's own form; NULL: define() gets the .cfg
   * domus_cfg_build() writes. choices is the caller's: copy what outlives the call. */
  void (*create_from_choices) (DomusHostDriver *self, const DomusCfgChoices *choices,
                               gboolean start, GTask *task);             /* DomusDomainInfo */
  /* Sync and pure (the kind's own form of the choices, for a preview): NULL for the .cfg
   * domus_cfg_build() writes, named NAME.cfg. */
  char *(*write_choices) (DomusHostDriver *self, const DomusCfgChoices *choices, char **filename,
                          GError **error);
  void (*undefine)      (DomusHostDriver *self, const char *name, GTask *task);  /* boolean */
  void (*dump)          (DomusHostDriver *self, const char *name, GTask *task);  /* DomusDriverFile: path, size */
  void (*sysrq)         (DomusHostDriver *self, const char *name, const char *key, GTask *task); /* boolean */
  void (*open_console)  (DomusHostDriver *self, const char *name, DomusConsoleKind kind,
                         GTask *task);                                           /* domus_task_return_fd() */
  void (*create_demo)   (DomusHostDriver *self, GTask *task);                    /* char *: the name */

  /* The host */
  void (*list_bridges)  (DomusHostDriver *self, GTask *task);                    /* GStrv */
  void (*list_networks) (DomusHostDriver *self, GTask *task);                    /* GStrv */
  void (*list_pools)    (DomusHostDriver *self, GTask *task);                    /* GStrv */
  void (*get_archive)   (DomusHostDriver *self, const char *domain_name, const char *range,
                         const char *metric, GTask *task);                       /* DomusStatsHistory */

  /* Images: new DomusImage objects; the host puts them in its model. */
  void (*list_images)   (DomusHostDriver *self, GTask *task);                    /* DomusImageListing */
  void (*create_image)  (DomusHostDriver *self, const char *name, const char *format,
                         guint64 size_bytes, GTask *task);                       /* DomusImage */
  void (*clone_image)   (DomusHostDriver *self, const char *source, const char *name,
                         GTask *task);                                           /* DomusImage */
  void (*delete_image)  (DomusHostDriver *self, const char *name, GTask *task);  /* boolean */

  /* Guests' lives (domus-host-guests.h) */
  void (*save_domain)     (DomusHostDriver *self, const char *name, const char *file,
                           GTask *task);                                         /* DomusDriverFile: path, size */
  void (*restore_domain)  (DomusHostDriver *self, const char *file, GTask *task); /* DomusDomainInfo: name, id */
  void (*list_saves)      (DomusHostDriver *self, GTask *task);  /* DomusImageListing: dir, DomusSaveFile items */
  void (*list_snapshots)  (DomusHostDriver *self, const char *name, GTask *task); /* GPtrArray of DomusSnapshot */
  void (*snapshot_action) (DomusHostDriver *self, const char *name, const char *snapshot,
                           DomusSnapshotAction action, GTask *task);             /* boolean */
  void (*clone_domain)    (DomusHostDriver *self, const char *name, const char *new_name,
                           gboolean linked, GTask *task);                        /* GStrv: the new images */
  void (*set_template)    (DomusHostDriver *self, const char *name, gboolean template,
                           GTask *task);                                         /* boolean */
  /* progress (nullable) is called with progress_data until the task returns; the host
   * frees progress_data after. */
  void (*build_debian)    (DomusHostDriver *self, const char *name, const DomusDebianRequest *request,
                           DomusBuildProgressFunc progress, gpointer progress_data,
                           GTask *task);                                         /* DomusNewGuest */
  void (*build_cloud)     (DomusHostDriver *self, const char *name, const DomusCloudRequest *request,
                           GTask *task);                                         /* DomusNewGuest */

  /* Alerts the host keeps itself (a kind that keeps none leaves these NULL: its model then
   * holds this client's own only). Acknowledge: the ids, or every open one when all; the
   * driver marks them in the model (_domus_host_acknowledge_alert_ids()). */
  void (*acknowledge_alerts) (DomusHostDriver *self, const guint64 *ids, guint n_ids,
                              gboolean all, GTask *task);                        /* boolean */
  void (*get_alert_rules)    (DomusHostDriver *self, GTask *task);              /* DomusAlertRules */
  void (*set_alert_rules)    (DomusHostDriver *self, GVariant *rules, GTask *task); /* DomusAlertRules */

  /* Migration, called on the source's driver; target is a driver of the same class. The
   * flow reads the migration's options and reports through domus-migration-private.h. */
  void (*migration_check)    (DomusHostDriver *self, DomusHostDriver *target,
                              DomusMigration *migration, GTask *task);   /* GPtrArray of DomusMigrationCheck */
  void (*migration_run)      (DomusHostDriver *self, DomusHostDriver *target,
                              DomusMigration *migration, GTask *task);   /* boolean */
  void (*migration_start_on) (DomusHostDriver *self, DomusHostDriver *target,
                              DomusMigration *migration, GTask *task);   /* boolean */
};

/* The driver for a host's URI (the one place that knows which scheme is which kind). */
DomusHostDriver *domus_host_driver_new_for_uri (DomusHost       *host,
                                                const char      *uri);
/* A driver of driver_type for host (not a reference: the host owns its driver). */
DomusHostDriver *domus_host_driver_new         (GType            driver_type,
                                                DomusHost       *host,
                                                const char      *uri);
/* The host it serves (not a reference); NULL once the host is gone. */
DomusHost       *domus_host_driver_get_host    (DomusHostDriver *self);
const char      *domus_host_driver_get_uri     (DomusHostDriver *self);

G_END_DECLS
