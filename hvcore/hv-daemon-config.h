/* SPDX-License-Identifier: GPL-3.0-or-later */
/* domusd.conf: the daemon's own settings (relocation, ...), a GKeyFile read once at start. */

#pragma once

#include <glib-object.h>

#include "hv-alert-rules.h"
#include "hv-paths.h"

G_BEGIN_DECLS

#define HV_DAEMON_CONFIG_ERROR (hv_daemon_config_error_quark ())

typedef enum {
  HV_DAEMON_CONFIG_ERROR_SYNTAX,   /* FILE:LINE: a line that is not a group, key=value or comment */
  HV_DAEMON_CONFIG_ERROR_UNKNOWN,  /* a group or key this daemon does not know (a typo, most likely) */
  HV_DAEMON_CONFIG_ERROR_VALUE,    /* a value of the wrong type or out of range */
  HV_DAEMON_CONFIG_ERROR_READ,     /* the file exists but cannot be read; or --config names none */
  HV_DAEMON_CONFIG_ERROR_WRITE,    /* changed settings cannot be written back */
} HvDaemonConfigError;

GQuark hv_daemon_config_error_quark (void);

/* [relocation], as xend-config.sxp's xend-relocation-* settings. */
typedef struct {
  gboolean   enabled;      /* xend-relocation-server; default off */
  char      *address;      /* xend-relocation-address; "" = every address */
  guint      port;         /* xend-relocation-port; 0 = a free port per migration */
  GStrv      hosts_allow;  /* xend-relocation-hosts-allow, as written; empty = anyone */
  GPtrArray *hosts_allow_regexes;  /* GRegex, compiled from hosts_allow */
} HvRelocationConfig;

/* [clients]: how many at once, and how long a new one may say nothing (see docs/daemon.md). */
typedef struct {
  guint      max;             /* default HV_RPC_DEFAULT_MAX_CLIENTS */
  guint      idle_timeout_s;  /* default HV_RPC_DEFAULT_IDLE_TIMEOUT_S; 0 = no limit */
} HvClientsConfig;

typedef struct {
  char               *path;        /* the file read; NULL when none existed (defaults) */
  char               *save_path;   /* where changed settings are written: path, or where the
                                      daemon looked for it; NULL for a config made in code */
  HvRelocationConfig  relocation;
  /* [domains] folders: where the files other users' domains name (disks, kernels, ramdisks,
   * CD-ROMs) may be; NULL for the default (hv_daemon_config_dup_domain_folders). */
  GStrv               domain_folders;
  HvAlertRules        alerts;      /* [alerts] */
  /* [network] forward-addresses: host addresses besides loopback that a vif's forward= may
   * listen on (numeric; "0.0.0.0" is every address); empty by default. */
  GStrv               forward_addresses;
  HvClientsConfig     clients;
} HvDaemonConfig;

#define HV_DAEMON_CONFIG_FILE "domusd.conf"

#define HV_TYPE_DAEMON_CONFIG (hv_daemon_config_get_type ())
GType           hv_daemon_config_get_type    (void) G_GNUC_CONST;

/* Every setting at its default. */
HvDaemonConfig *hv_daemon_config_new         (void);
HvDaemonConfig *hv_daemon_config_ref         (HvDaemonConfig *config);
void            hv_daemon_config_unref       (HvDaemonConfig *config);

/*
 * Where the daemon looks when --config is not given: ROOT/domusd.conf with --root,
 * $XDG_CONFIG_HOME/domus/domusd.conf for the session daemon, /etc/domus/domusd.conf for --system.
 */
char           *hv_daemon_config_default_path (HvPathsKind kind,
                                               const char *root);

/*
 * Reads `path`. A missing file gives the defaults unless `must_exist` (an explicit --config).
 * Errors name the file and line ("FILE:LINE: [group] key: message").
 */
HvDaemonConfig *hv_daemon_config_load        (const char  *path,
                                              gboolean     must_exist,
                                              GError     **error);

/*
 * The folders of [domains] folders, or by default the image store and the ISO folder beside it
 * (IMAGES/../isos: DIR/isos with --root, ~/.local/share/domus/isos, /var/lib/domus/isos).
 */
GStrv           hv_daemon_config_dup_domain_folders (const HvDaemonConfig *config,
                                                     const char           *image_dir);

/*
 * Writes `rules` into the [alerts] group of save_path (made when missing), keeping every other
 * group, key and comment, and keeps them in `config`. The command is left as the file has it.
 */
gboolean        hv_daemon_config_save_alerts (HvDaemonConfig      *config,
                                              const HvAlertRules  *rules,
                                              GError             **error);

/* Whether a relocation peer may connect: `address` (numeric) or `name` (its reverse name, may
   be NULL) matches one hosts-allow pattern, or the list is empty. */
gboolean        hv_relocation_config_allows  (const HvRelocationConfig *relocation,
                                              const char                *address,
                                              const char                *name);

/* Whether relocation listens on a loopback address only (the stream never leaves this machine);
   "" (every address) is not. */
gboolean        hv_relocation_config_is_loopback (const HvRelocationConfig *relocation);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HvDaemonConfig, hv_daemon_config_unref)

G_END_DECLS
