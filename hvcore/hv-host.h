/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A host's domains: defining them in the config folder, numbering and starting them, taking them over. */

#pragma once

#include <gio/gio.h>

#include "hv-domain.h"
#include "hv-paths.h"

G_BEGIN_DECLS

#define HV_HOST_ERROR (hv_host_error_quark ())

typedef enum {
  HV_HOST_ERROR_NO_SUCH_DOMAIN,   /* no active domain of that name or id, none defined by that name */
  HV_HOST_ERROR_ALREADY_EXISTS,   /* a domain of that name is defined or active, or NAME.cfg is taken */
  HV_HOST_ERROR_ALREADY_RUNNING,  /* the operation needs the domain off */
  HV_HOST_ERROR_RENAME,           /* a new config or value would rename the domain */
  HV_HOST_ERROR_INVALID_KEY,      /* a config key that is not letters, digits and _ */
} HvHostError;

GQuark hv_host_error_quark (void);

#define HV_TYPE_HOST (hv_host_get_type ())
G_DECLARE_FINAL_TYPE (HvHost, hv_host, HV, HOST, GObject)

/*
 * Signals:
 *   "domain-event" (HvDomain *domain, const char *reason)
 *       a state change of a domain (its state-changed reasons), or "defined", "undefined",
 *       "config-changed", "autostart-changed"
 *
 * Errors are HV_HOST_ERROR for what the host's table refuses, HV_CONFIG_ERROR for configs,
 * HV_DOMAIN_ERROR from starting and stopping, G_FILE_ERROR for the config folder's files.
 */

HvHost     *hv_host_new               (const HvPaths          *paths,
                                       const HvDomainRuntime  *runtime);
const HvDomainRuntime *hv_host_get_runtime (HvHost            *self);

/* Takes over every QEMU the run folder records, then starts the autostart domains that are off. */
void        hv_host_load_async        (HvHost                 *self,
                                       GCancellable           *cancellable,
                                       GAsyncReadyCallback     callback,
                                       gpointer                user_data);
gboolean    hv_host_load_finish       (HvHost                 *self,
                                       GAsyncResult           *result,
                                       GError                **error);
void        hv_host_autostart         (HvHost                 *self);

/* The active domains (starting, running, paused, ...), by id. Transfer container. */
GPtrArray  *hv_host_dup_active        (HvHost                 *self);

/*
 * What a user's argument names, as xm read it: digits only are an id, the active domain with
 * that id (never a domain whose name is those digits); else the domain of that name, active,
 * or defined in the config folder.
 */
HvDomain   *hv_host_lookup            (HvHost                 *self,
                                       const char             *name_or_id,
                                       GError                **error);
/* The domain of that name (active, or defined), whatever its spelling. */
HvDomain   *hv_host_find              (HvHost                 *self,
                                       const char             *name,
                                       GError                **error);

gboolean    hv_host_get_autostart     (HvHost                 *self,
                                       const char             *name);

/* Parses and checks `text` (messages name `filename`) and writes NAME.cfg; returns the domain. */
HvDomain   *hv_host_define            (HvHost                 *self,
                                       const char             *text,
                                       const char             *filename,
                                       GError                **error);
gboolean    hv_host_undefine          (HvHost                 *self,
                                       const char             *name,
                                       GError                **error);
gboolean    hv_host_set_config        (HvHost                 *self,
                                       const char             *name,
                                       const char             *text,
                                       GError                **error);
/*
 * values: a{smv}, key → a string, an int64, a boolean or an array of strings (av of s), or
 * nothing to remove the key; applied in order. Returns the new text. apply_values only
 * returns the text the config would have, saving nothing (for checks before the save).
 */
char       *hv_host_apply_values      (HvHost                 *self,
                                       const char             *name,
                                       GVariant               *values,
                                       GError                **error);
char       *hv_host_set_values        (HvHost                 *self,
                                       const char             *name,
                                       GVariant               *values,
                                       GError                **error);
gboolean    hv_host_set_autostart     (HvHost                 *self,
                                       const char             *name,
                                       gboolean                autostart,
                                       GError                **error);

/* Starts a defined domain with the next id. */
void        hv_host_start_async       (HvHost                 *self,
                                       const char             *name,
                                       GPtrArray              *notices,
                                       GCancellable           *cancellable,
                                       GAsyncReadyCallback     callback,
                                       gpointer                user_data);
HvDomain   *hv_host_start_finish      (HvHost                 *self,
                                       GAsyncResult           *result,
                                       GError                **error);

/*
 * xm create: defines the config (an identical definition is reused) and starts it. A start that
 * fails takes back a definition this call made.
 */
void        hv_host_create_async      (HvHost                 *self,
                                       const char             *text,
                                       const char             *filename,
                                       GPtrArray              *notices,
                                       GCancellable           *cancellable,
                                       GAsyncReadyCallback     callback,
                                       gpointer                user_data);
HvDomain   *hv_host_create_finish     (HvHost                 *self,
                                       GAsyncResult           *result,
                                       GError                **error);

/*
 * Migration. An incoming domain runs from `config_path`, outside the config folder, until it
 * arrived. Refused (already-exists / already-running) when a domain of that name is defined or
 * active here.
 */
void        hv_host_start_incoming_async  (HvHost             *self,
                                           const char         *name,
                                           const char         *config_path,
                                           gboolean            paused,
                                           GPtrArray          *notices,
                                           GCancellable       *cancellable,
                                           GAsyncReadyCallback callback,
                                           gpointer            user_data);
HvDomain   *hv_host_start_incoming_finish (HvHost             *self,
                                           GAsyncResult       *result,
                                           GError            **error);
/* The domain arrived: `text` becomes NAME.cfg in the config folder ("defined"). */
gboolean    hv_host_adopt_incoming        (HvHost             *self,
                                           HvDomain           *domain,
                                           const char         *text,
                                           GError            **error);
/* An incoming domain that is off again (the migration failed) is forgotten ("undefined"). */
void        hv_host_forget_incoming       (HvHost             *self,
                                           HvDomain           *domain);
/*
 * The domain moved to another host: its config goes to CONFIG_DIR/.migrated/NAME.cfg.TIMESTAMP
 * (nothing is lost), its autostart link goes, "undefined" is emitted. The domain must be off.
 */
gboolean    hv_host_retire_migrated       (HvHost             *self,
                                           const char         *name,
                                           GError            **error);

G_END_DECLS
