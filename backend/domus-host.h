/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * One host as the window and domusctl see it, whatever kind it is: its facts, its domains
 * kept current from its events, its stats, its images, and the typed calls that act on
 * them. Behind it a DomusHostDriver speaks the host's own protocol (docs/backend-api.md).
 */

#pragma once

#include <gio/gio.h>

#include "domus-alert.h"
#include "domus-cfg-builder.h"
#include "domus-domain.h"
#include "domus-error.h"
#include "domus-image.h"
#include "domus-stats-history.h"

G_BEGIN_DECLS

typedef enum {
  DOMUS_HOST_STATE_DISCONNECTED,
  DOMUS_HOST_STATE_CONNECTING,   /* connecting, or connected and reading the host's state */
  DOMUS_HOST_STATE_CONNECTED,
} DomusHostState;

#define DOMUS_TYPE_HOST_STATE (domus_host_state_get_type ())
GType domus_host_state_get_type (void) G_GNUC_CONST;

/* The series a host keeps (domus_host_get_history()). */
typedef enum {
  DOMUS_HOST_METRIC_CPU_PERCENT,   /* of all cores together */
  DOMUS_HOST_METRIC_MEMORY_USED,   /* MiB */
  DOMUS_HOST_N_METRICS
} DomusHostMetric;

/* How the host's guests reach the network (hello's `network` for a domusd host). */
typedef enum {
  DOMUS_HOST_NETWORK_UNKNOWN,
  DOMUS_HOST_NETWORK_USER,     /* user-mode networking: a vif's bridge is not used */
  DOMUS_HOST_NETWORK_BRIDGE,   /* each vif on its bridge */
} DomusHostNetwork;

/* What a host can do beyond listing and running domains (older daemons lack some). */
typedef enum {
  DOMUS_HOST_CAN_LIST_BRIDGES = 1 << 0,
  DOMUS_HOST_CAN_DEMO         = 1 << 1,
  DOMUS_HOST_CAN_DUMP         = 1 << 2,
  DOMUS_HOST_CAN_SYSRQ        = 1 << 3,
  DOMUS_HOST_CAN_ARCHIVE      = 1 << 4,
  DOMUS_HOST_CAN_MIGRATE      = 1 << 5,
  DOMUS_HOST_CAN_IMAGES       = 1 << 6,
  DOMUS_HOST_CAN_SNAPSHOTS    = 1 << 7,
  DOMUS_HOST_CAN_SAVE         = 1 << 8,    /* save and restore */
  DOMUS_HOST_CAN_CLONE        = 1 << 9,    /* clones and templates */
  DOMUS_HOST_CAN_BUILD_DEBIAN = 1 << 10,
  DOMUS_HOST_CAN_BUILD_CLOUD  = 1 << 11,
  DOMUS_HOST_CAN_ALERTS       = 1 << 12,   /* keeps alerts and their rules itself */
  /* migrations to and from it can go over TLS with a key per migration (domusd: hello's
   * features has "migration-tls"; docs/migration.md, "Encryption") */
  DOMUS_HOST_CAN_ENCRYPT_MIGRATION = 1 << 13,
  /* its guests' cards can join networks the host defines (libvirt's virtual networks):
   * domus_host_list_networks_async(), DOMUS_CFG_NETWORK_NAMED */
  DOMUS_HOST_CAN_NETWORKS     = 1 << 14,
  /* its images live in named pools (libvirt's storage pools): an image is named
   * POOL/NAME, domus_host_list_pools_async() */
  DOMUS_HOST_CAN_POOLS        = 1 << 15,
} DomusHostCapabilities;

/* The host an empty address stands for: the user's session daemon (docs/protocol.md, "Addresses"). */
#define DOMUS_DEFAULT_URI "local"

#define DOMUS_HOST_DEFAULT_HISTORY_SECONDS 600
#define DOMUS_HOST_DEFAULT_RETRY_DELAY_MS  1000
#define DOMUS_HOST_MAX_RETRY_DELAY_MS      30000

#define DOMUS_TYPE_HOST (domus_host_get_type ())
G_DECLARE_FINAL_TYPE (DomusHost, domus_host, DOMUS, HOST, GObject)

DomusHost         *domus_host_new                  (const char      *uri);

/* Connects (state CONNECTING, then CONNECTED once the domains and stats are read) and keeps
 * reconnecting after a failure or a lost connection, until domus_host_disconnect(). Does
 * nothing while connecting or connected; while waiting to retry, retries now. */
void               domus_host_connect              (DomusHost       *self);
/* Who answers SSH password and passphrase prompts for this host's connections (nullable). */
void               domus_host_set_interaction      (DomusHost       *self,
                                                    GTlsInteraction *interaction);
/* After DOMUS_ERROR_HOST_KEY_UNKNOWN: the user accepted the key with this fingerprint
 * (domus_error_get_host_key()); it is saved to known_hosts as the host connects again:
 * at once when domus_host_connect() was called, else at the next domus_host_open_async(). */
void               domus_host_accept_host_key      (DomusHost       *self,
                                                    const char      *fingerprint);
/* Closes the connection and stops retrying: state DISCONNECTED with no error. Call it before
 * dropping the last reference: an attempt under way holds one until it ends. */
void               domus_host_disconnect           (DomusHost       *self);
/* The same, then waits (at most timeout_ms) until the transport has ended (an SSH session
 * says goodbye): for programs about to exit. */
void               domus_host_disconnect_and_wait  (DomusHost       *self,
                                                    guint            timeout_ms);

/*
 * For one-shot callers (domusctl): connects once and reads the host's facts, but follows
 * nothing (no domain list, no stats, no events) and does not reconnect. State CONNECTED
 * on success; a lost connection leaves it DISCONNECTED with the cause as error. The
 * typed calls below work as on a followed host. The errors are the connection's.
 */
void               domus_host_open_async           (DomusHost           *self,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
gboolean           domus_host_open_finish          (DomusHost           *self,
                                                    GAsyncResult        *result,
                                                    GError             **error);

/* TRUE for errors retrying cannot fix (a bad address, an SSH host key or login refused):
 * after those the host stays DISCONNECTED until domus_host_connect() is called again. */
gboolean           domus_host_error_is_permanent   (const GError    *error);

const char        *domus_host_get_uri              (DomusHost       *self);
/* hello's name once connected, the URI before. */
const char        *domus_host_get_name             (DomusHost       *self);
DomusHostState     domus_host_get_state            (DomusHost       *self);
/* Why the host is disconnected: the last failure, kept while a retry connects; NULL once
 * connected and after domus_host_disconnect(). */
const GError      *domus_host_get_error            (DomusHost       *self);
/* A sentence to show when the transport is less safe than asked (an SSH host key not
 * checked), else NULL. */
const char        *domus_host_get_security_notice  (DomusHost       *self);
/* Whether the host's files are this machine's, so that a file chooser can pick them. */
gboolean           domus_host_is_local             (DomusHost       *self);
/* The kind of host: "domusd" or "libvirt". */
const char        *domus_host_get_kind             (DomusHost       *self);
/* The kind of host domus_host_new (uri) would make, without making it (a form's check). */
const char        *domus_host_kind_for_uri         (const char      *uri);

/* The facts the host gave when it last connected; NULL / -1 / 0 before. */
const char        *domus_host_get_accelerator      (DomusHost       *self);
const char        *domus_host_get_hypervisor       (DomusHost       *self);
/* The hypervisor's version (QEMU's for a domusd host). */
const char        *domus_host_get_qemu_version     (DomusHost       *self);
const char        *domus_host_get_version          (DomusHost       *self);
gint64             domus_host_get_cpus             (DomusHost       *self);
gint64             domus_host_get_memory_mib       (DomusHost       *self);
DomusHostNetwork   domus_host_get_network          (DomusHost       *self);
DomusHostCapabilities domus_host_get_capabilities  (DomusHost       *self);
/* TRUE when the host takes incoming migrations only encrypted (a domusd host whose
 * relocation address is not loopback): a migration to it always is. */
gboolean           domus_host_get_migration_encryption_required (DomusHost *self);
gboolean           domus_host_has_facts            (DomusHost       *self);

/* From the latest stats sample. */
double             domus_host_get_cpu_percent      (DomusHost       *self);
gint64             domus_host_get_memory_used_mib  (DomusHost       *self);
double             domus_host_get_load_1           (DomusHost       *self);
/* The daemon's stats interval (1000 until it says). */
guint              domus_host_get_stats_interval_ms (DomusHost      *self);

/* How far back histories go: history_seconds * 1000 / interval_ms samples. Default 600. */
guint              domus_host_get_history_seconds  (DomusHost       *self);
void               domus_host_set_history_seconds  (DomusHost       *self,
                                                    guint            seconds);
/* The first retry's delay; each next one doubles, up to DOMUS_HOST_MAX_RETRY_DELAY_MS. */
guint              domus_host_get_retry_delay_ms   (DomusHost       *self);
void               domus_host_set_retry_delay_ms   (DomusHost       *self,
                                                    guint            delay_ms);

/* A GListModel of DomusDomain sorted by name, without Domain-0 (its figures are the host's).
 * A domain keeps its object for as long as it exists, across reconnections. (transfer none) */
GListModel        *domus_host_get_domains          (DomusHost       *self);
/* (transfer none) NULL when there is no such domain. */
DomusDomain       *domus_host_lookup_domain        (DomusHost       *self,
                                                    const char      *name);
/* (transfer none) */
DomusStatsHistory *domus_host_get_history          (DomusHost       *self,
                                                    DomusHostMetric  metric);

/*
 * Typed calls. Each fails with DOMUS_ERROR_CLOSED ("… is not connected.") when the host
 * is not connected, else with the host's own error mapped onto DomusError; cancelling
 * only stops waiting: the host may still do the work. `name` is a domain's name or, for
 * a running domain, its id written as a string, as xm took either.
 */

/* Every domain the host has, Domain-0 included (the model leaves it out): for domusctl
 * list. all: also the defined domains that are off. Element type DomusDomainInfo. */
void               domus_host_list_domains_async   (DomusHost           *self,
                                                    gboolean             all,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
GPtrArray         *domus_host_list_domains_finish  (DomusHost           *self,
                                                    GAsyncResult        *result,
                                                    GError             **error);
/* One domain as the host sees it now, with its consoles. Errors: _NO_SUCH_DOMAIN. */
void               domus_host_get_domain_async     (DomusHost           *self,
                                                    const char          *name,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
DomusDomainInfo   *domus_host_get_domain_finish    (DomusHost           *self,
                                                    GAsyncResult        *result,
                                                    GError             **error);

/*
 * Start, shut down, reboot, pause, resume or destroy. START answers once the guest runs
 * and gives its id (id, nullable; -1 for the other actions); SHUTDOWN answers once the
 * host pressed the power button, or with DOMUS_DOMAIN_ACTION_FLAGS_WAIT once the domain
 * is off (a guest that ignores ACPI keeps it waiting). Errors: _NO_SUCH_DOMAIN,
 * _ALREADY_RUNNING, _NOT_RUNNING, _INVALID_CONFIG (START: a missing kernel or disk).
 */
void               domus_host_domain_action_async  (DomusHost              *self,
                                                    const char             *name,
                                                    DomusDomainAction       action,
                                                    DomusDomainActionFlags  flags,
                                                    GCancellable           *cancellable,
                                                    GAsyncReadyCallback     callback,
                                                    gpointer                user_data);
gboolean           domus_host_domain_action_finish (DomusHost           *self,
                                                    GAsyncResult        *result,
                                                    gint64              *id,
                                                    GError             **error);

/* The domain's configuration as its file holds it now, and where that file is (path,
 * nullable). */
void               domus_host_get_domain_config_async  (DomusHost           *self,
                                                        const char          *name,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
char              *domus_host_get_domain_config_finish (DomusHost           *self,
                                                        GAsyncResult        *result,
                                                        char               **path,
                                                        GError             **error);
/* Replaces the configuration, checked as a define checks it (the name must stay); a
 * running domain gets it when it next starts. Errors: _INVALID_CONFIG naming the line. */
void               domus_host_set_domain_config_async  (DomusHost           *self,
                                                        const char          *name,
                                                        const char          *config,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
gboolean           domus_host_set_domain_config_finish (DomusHost           *self,
                                                        GAsyncResult        *result,
                                                        GError             **error);
/*
 * Changes some keys and keeps every other line of the configuration. values: an a{sv}
 * (floating references are sunk): a string, an int64, a double, a boolean, or an "av" of
 * those for a list; an empty maybe ("mv", nothing) removes the key. Returns the new
 * configuration. Errors: _INVALID_PARAMS (a value of another type, the key "name"),
 * _INVALID_CONFIG.
 */
void               domus_host_set_domain_values_async  (DomusHost           *self,
                                                        const char          *name,
                                                        GVariant            *values,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
char              *domus_host_set_domain_values_finish (DomusHost           *self,
                                                        GAsyncResult        *result,
                                                        GError             **error);
void               domus_host_set_domain_autostart_async  (DomusHost           *self,
                                                           const char          *name,
                                                           gboolean             autostart,
                                                           GCancellable        *cancellable,
                                                           GAsyncReadyCallback  callback,
                                                           gpointer             user_data);
gboolean           domus_host_set_domain_autostart_finish (DomusHost           *self,
                                                           GAsyncResult        *result,
                                                           GError             **error);

/*
 * Defines a domain from configuration text (`xm new`); create also starts it (`xm
 * create`). filename names the text in the host's messages ("FILE:LINE:COL: …"). The
 * info has the domain's name and, for define, where its configuration now lives; for
 * create, its id. Errors: _INVALID_CONFIG, _ALREADY_EXISTS, _ALREADY_RUNNING (create),
 * _FAILED (the hypervisor refused to start it: its words).
 */
void               domus_host_define_domain_async  (DomusHost           *self,
                                                    const char          *config,
                                                    const char          *filename,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
void               domus_host_create_domain_async  (DomusHost           *self,
                                                    const char          *config,
                                                    const char          *filename,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
/*
 * The same from a file on this machine, read first (path as the user wrote it, which
 * also names it in messages). Errors as g_file_get_contents(), DOMUS_ERROR_INVALID_CONFIG
 * for a file that is not UTF-8 text, then as above.
 */
void               domus_host_define_domain_from_file_async (DomusHost           *self,
                                                             const char          *path,
                                                             gboolean             start,
                                                             GCancellable        *cancellable,
                                                             GAsyncReadyCallback  callback,
                                                             gpointer             user_data);
/*
 * The create assistant's choices, defined (start: and started) in the host's own form: a
 * domusd host gets the .cfg domus_cfg_build() writes (named NAME.cfg in its messages), a
 * libvirt host the domain XML its builder writes. choices is copied before this returns.
 * Errors: DOMUS_CFG_ERROR naming the choice that is wrong, then as for define and create.
 */
void               domus_host_create_domain_from_choices_async (DomusHost             *self,
                                                                const DomusCfgChoices *choices,
                                                                gboolean               start,
                                                                GCancellable          *cancellable,
                                                                GAsyncReadyCallback    callback,
                                                                gpointer               user_data);
/* For the four define and create calls. */
DomusDomainInfo   *domus_host_define_domain_finish (DomusHost           *self,
                                                    GAsyncResult        *result,
                                                    GError             **error);
/* Removes a domain that is not running; its disk images stay. Errors: _NO_SUCH_DOMAIN,
 * _ALREADY_RUNNING. */
void               domus_host_undefine_domain_async  (DomusHost           *self,
                                                      const char          *name,
                                                      GCancellable        *cancellable,
                                                      GAsyncReadyCallback  callback,
                                                      gpointer             user_data);
gboolean           domus_host_undefine_domain_finish (DomusHost           *self,
                                                      GAsyncResult        *result,
                                                      GError             **error);

/* Writes a running or crashed domain's memory as an ELF core into the host's dump folder;
 * returns the file's path on the host (size_bytes, nullable). Errors: _NOT_RUNNING, _FAILED. */
void               domus_host_dump_domain_async    (DomusHost           *self,
                                                    const char          *name,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
char              *domus_host_dump_domain_finish   (DomusHost           *self,
                                                    GAsyncResult        *result,
                                                    guint64             *size_bytes,
                                                    GError             **error);
/* Presses Alt+SysRq+key (one letter or digit) on the guest's keyboard. Errors:
 * _INVALID_PARAMS (another key), _NOT_RUNNING. */
void               domus_host_send_sysrq_async     (DomusHost           *self,
                                                    const char          *name,
                                                    const char          *key,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
gboolean           domus_host_send_sysrq_finish    (DomusHost           *self,
                                                    GAsyncResult        *result,
                                                    GError             **error);

/*
 * A stream to a domain's screen (RFB, for gtk-vnc's vnc_display_open_fd()) or serial
 * port, as a file descriptor (transfer full). Over SSH it rides on the host's session:
 * keep the host connected while it is used. Errors: _NO_SUCH_DOMAIN, _NOT_RUNNING,
 * _NOT_SUPPORTED (no screen in its configuration).
 */
void               domus_host_open_console_async   (DomusHost           *self,
                                                    const char          *name,
                                                    DomusConsoleKind     kind,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
int                domus_host_open_console_finish  (DomusHost           *self,
                                                    GAsyncResult        *result,
                                                    GError             **error);

/* Builds the demo guest on the host and creates (starts) it; returns its name ("demo",
 * "demo-2", …). Errors: _NOT_SUPPORTED with what the host lacks. */
void               domus_host_create_demo_async    (DomusHost           *self,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
char              *domus_host_create_demo_finish   (DomusHost           *self,
                                                    GAsyncResult        *result,
                                                    GError             **error);
/* The host's network bridges, sorted (transfer full). Errors: _NOT_SUPPORTED (a host
 * that cannot say: see DOMUS_HOST_CAN_LIST_BRIDGES). */
void               domus_host_list_bridges_async   (DomusHost           *self,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
GStrv              domus_host_list_bridges_finish  (DomusHost           *self,
                                                    GAsyncResult        *result,
                                                    GError             **error);
/* The networks the host defines that a new guest's card can join, sorted (transfer full).
 * Errors: _NOT_SUPPORTED (see DOMUS_HOST_CAN_NETWORKS). */
void               domus_host_list_networks_async  (DomusHost           *self,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
GStrv              domus_host_list_networks_finish (DomusHost           *self,
                                                    GAsyncResult        *result,
                                                    GError             **error);
/* The storage pools a new image can go to (active ones), sorted (transfer full); a new
 * image in pool P is named "P/NAME". Errors: _NOT_SUPPORTED (see DOMUS_HOST_CAN_POOLS). */
void               domus_host_list_pools_async     (DomusHost           *self,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
GStrv              domus_host_list_pools_finish    (DomusHost           *self,
                                                    GAsyncResult        *result,
                                                    GError             **error);
/*
 * What creating from choices would give the host, without a call to it: the text in the
 * host's own form (a domusd host the .cfg domus_cfg_build() writes, a libvirt host its
 * domain XML) and, for a host that keeps it as a file, the file's name (NAME.cfg; NULL
 * for a libvirt host, whose definition is libvirt's). NULL and DOMUS_CFG_ERROR naming the
 * wrong choice, or DOMUS_ERROR_CLOSED before the host said what it runs.
 */
char              *domus_host_write_choices        (DomusHost             *self,
                                                    const DomusCfgChoices *choices,
                                                    char                 **filename,
                                                    GError               **error);
/* Whether the host still answers: for a caller waiting long on another call. */
void               domus_host_ping_async           (DomusHost           *self,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
gboolean           domus_host_ping_finish          (DomusHost           *self,
                                                    GAsyncResult        *result,
                                                    GError             **error);

/*
 * The image store: a GListModel of DomusImage sorted by name (transfer none), empty until
 * first read. It is read again by domus_host_refresh_images_async(), and changes made
 * through this host (create, clone, delete) show in it at once; domusd sends no event for
 * an image another client makes, so a page that shows the store refreshes when shown.
 */
GListModel        *domus_host_get_images           (DomusHost           *self);
/* (transfer none) NULL when there is none. */
DomusImage        *domus_host_lookup_image         (DomusHost           *self,
                                                    const char          *name);
/* Where the store keeps images (new ones go there); NULL until read. */
const char        *domus_host_get_image_dir        (DomusHost           *self);
/* Answers after the model holds what the host said (refreshes do not overtake each other). */
void               domus_host_refresh_images_async  (DomusHost           *self,
                                                     GCancellable        *cancellable,
                                                     GAsyncReadyCallback  callback,
                                                     gpointer             user_data);
gboolean           domus_host_refresh_images_finish (DomusHost           *self,
                                                     GAsyncResult        *result,
                                                     GError             **error);
/* format: "raw" or "qcow2". Errors: _INVALID_PARAMS (a name with "/" or starting with
 * "."), _ALREADY_EXISTS, _FAILED. */
void               domus_host_create_image_async   (DomusHost           *self,
                                                    const char          *name,
                                                    const char          *format,
                                                    guint64              size_bytes,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
/* A full copy of source in its format. Errors: _NO_SUCH_IMAGE, _ALREADY_EXISTS, _FAILED. */
void               domus_host_clone_image_async    (DomusHost           *self,
                                                    const char          *source,
                                                    const char          *name,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
/* For create and clone: the new image, as the model holds it (transfer full). */
DomusImage        *domus_host_create_image_finish  (DomusHost           *self,
                                                    GAsyncResult        *result,
                                                    GError             **error);
/* Errors: _NO_SUCH_IMAGE, _IN_USE (a domain has it as a disk: the message names it). */
void               domus_host_delete_image_async   (DomusHost           *self,
                                                    const char          *name,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
gboolean           domus_host_delete_image_finish  (DomusHost           *self,
                                                    GAsyncResult        *result,
                                                    GError             **error);

/*
 * The host's alerts (DomusAlert), oldest first: those its daemon keeps (read when it
 * connects, then followed: new ones, acknowledgements) and this client's own (the connection
 * lost). They stay while the host is away. (transfer none)
 * Signal "alert-raised" (DomusAlert *alert): a new one, while the host is followed.
 */
GListModel        *domus_host_get_alerts           (DomusHost       *self);
guint              domus_host_get_n_open_alerts    (DomusHost       *self);
/*
 * Marks alerts (DomusAlert of this host; NULL: every open one) acknowledged: this client's
 * own at once, the daemon's through it (alerts.acknowledge), so every client sees it. Errors:
 * DOMUS_ERROR_CLOSED when some are the daemon's and the host is not connected.
 */
void               domus_host_acknowledge_alerts_async  (DomusHost           *self,
                                                         GPtrArray           *alerts,
                                                         GCancellable        *cancellable,
                                                         GAsyncReadyCallback  callback,
                                                         gpointer             user_data);
gboolean           domus_host_acknowledge_alerts_finish (DomusHost           *self,
                                                         GAsyncResult        *result,
                                                         GError             **error);
/*
 * The daemon's alert rules, an a{sv}: "domain-crashed" (b), "cpu-percent", "cpu-minutes",
 * "memory-percent", "disk-percent", "keep" (x), "command" (s, absent when none); config_path
 * (nullable): the file set_rules writes. Errors: DOMUS_ERROR_NOT_SUPPORTED (a daemon without
 * alerts), the connection's.
 */
void               domus_host_get_alert_rules_async  (DomusHost           *self,
                                                      GCancellable        *cancellable,
                                                      GAsyncReadyCallback  callback,
                                                      gpointer             user_data);
GVariant          *domus_host_get_alert_rules_finish (DomusHost           *self,
                                                      GAsyncResult        *result,
                                                      char               **config_path,
                                                      GError             **error);
/* Changes some rules (an a{sv} as above, without "command"; floating references are sunk) and
 * returns them all as the daemon now has them. Errors: DOMUS_ERROR_INVALID_PARAMS naming the
 * rule, or the host's error when the file cannot be written (then nothing changed). */
void               domus_host_set_alert_rules_async  (DomusHost           *self,
                                                      GVariant            *rules,
                                                      GCancellable        *cancellable,
                                                      GAsyncReadyCallback  callback,
                                                      gpointer             user_data);
GVariant          *domus_host_set_alert_rules_finish (DomusHost           *self,
                                                      GAsyncResult        *result,
                                                      GError             **error);

/*
 * The host's long-range archive for the host (domain_name NULL) or a domain: range
 * "1h", "24h" or "30d"; metric a figure's name ("cpu_percent", "memory_mib",
 * "disk_rd_bps", … as docs/protocol.md lists them). The history holds the averages, a
 * point a minute (an hour for "30d"), the one in progress last.
 */
void               domus_host_get_archive_async    (DomusHost           *self,
                                                    const char          *domain_name,
                                                    const char          *range,
                                                    const char          *metric,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
DomusStatsHistory *domus_host_get_archive_finish   (DomusHost           *self,
                                                    GAsyncResult        *result,
                                                    GError             **error);

G_END_DECLS

/* Save and restore, snapshots, clones, new guests: their own header, part of this one. */
#include "domus-host-guests.h"
