/* SPDX-License-Identifier: GPL-3.0-or-later */
/* One domain of a host: its config file and, while it runs, its QEMU process, run folder and QMP line. */

#pragma once

#include <gio/gio.h>

#include "hv-domain-spec.h"
#include "hv-qemu-command.h"
#include "hv-qmp.h"

G_BEGIN_DECLS

#define HV_DOMAIN_ERROR (hv_domain_error_quark ())

typedef enum {
  HV_DOMAIN_ERROR_NOT_RUNNING,      /* the operation needs a running domain */
  HV_DOMAIN_ERROR_ALREADY_RUNNING,  /* start of a domain that runs */
  HV_DOMAIN_ERROR_BUSY,             /* another start or stop is under way */
  HV_DOMAIN_ERROR_QEMU,             /* QEMU refused to start; the message is QEMU's */
  HV_DOMAIN_ERROR_NETWORK,          /* a bridge that does not exist, a tap that cannot join it */
  HV_DOMAIN_ERROR_RUN_FOLDER,       /* the run folder cannot be made, read or written */
  HV_DOMAIN_ERROR_GONE,             /* reattaching: the QEMU the run folder records has ended */
} HvDomainError;

GQuark hv_domain_error_quark (void);

typedef enum {
  HV_DOMAIN_STATE_SHUTOFF,   /* no QEMU */
  HV_DOMAIN_STATE_STARTING,  /* QEMU is being started or reattached */
  HV_DOMAIN_STATE_RUNNING,
  HV_DOMAIN_STATE_PAUSED,
  HV_DOMAIN_STATE_SHUTDOWN,  /* the guest powered off and on_poweroff = "preserve" keeps QEMU */
  HV_DOMAIN_STATE_DYING,     /* being destroyed, or its QEMU ended and is being cleaned up */
  HV_DOMAIN_STATE_INCOMING,  /* QEMU waits for (or receives) a migration stream */
  HV_DOMAIN_STATE_CRASHED,   /* the guest panicked and on_crash = "preserve" keeps QEMU, stopped */
} HvDomainState;

/* "shutoff", "running", ... as the protocol spells them. */
const char *hv_domain_state_to_string (HvDomainState state);

/* How the host runs QEMU; the same for every domain of a daemon. */
typedef struct {
  const char    *qemu_binary;  /* NULL: qemu-system-x86_64 from PATH */
  HvQemuAccel    accel;
  guint          tb_size_mib;  /* TCG translation cache; 0: QEMU's default */
  HvQemuNetMode  net_mode;
  const char * const *forward_addresses;  /* besides loopback, where forward= may listen (domusd.conf) */
} HvDomainRuntime;

#define HV_TYPE_DOMAIN (hv_domain_get_type ())
G_DECLARE_FINAL_TYPE (HvDomain, hv_domain, HV, DOMAIN, GObject)

/*
 * Signals:
 *   "state-changed" (HvDomainState state, const char *reason)
 *       reason is the protocol's: "started", "paused", "unpaused", "shutdown", "rebooted",
 *       "destroyed", "crashed", "reattached", "incoming" (started for a migration to arrive),
 *       "migrated" (an incoming domain arrived; or QEMU ended because the domain moved away)
 *   "ended" (const char *reason, HvDomainAction action)
 *       QEMU is gone and the run folder removed; action is the on_poweroff, on_reboot or on_crash
 *       setting that applies (destroy for "destroyed"), so the host can restart the domain
 */

/* run_dir: the domain's own run folder (it is made at start and removed at the end). */
HvDomain          *hv_domain_new              (const char          *name,
                                               const char          *config_path,
                                               const char          *run_dir);

const char        *hv_domain_get_name         (HvDomain            *self);
const char        *hv_domain_get_config_path  (HvDomain            *self);
void               hv_domain_set_config_path  (HvDomain            *self,
                                               const char          *config_path);
const char        *hv_domain_get_run_dir      (HvDomain            *self);
/* 0 while off. */
gint64             hv_domain_get_id           (HvDomain            *self);
HvDomainState      hv_domain_get_state        (HvDomain            *self);
gboolean           hv_domain_is_active        (HvDomain            *self);
/* 0 while off. */
GPid               hv_domain_get_pid          (HvDomain            *self);
/* NULL while off. */
HvQmp             *hv_domain_get_qmp          (HvDomain            *self);
/* The spec QEMU was started from; NULL while off. */
const HvDomainSpec *hv_domain_get_spec        (HvDomain            *self);
/* The tap devices of a domain on bridges; NULL with user-mode networking or while off. */
const char * const *hv_domain_get_tap_names   (HvDomain            *self);
char              *hv_domain_dup_socket_path  (HvDomain            *self,
                                               const char          *name);

/*
 * Reads the config, refuses missing files and bridges, writes generated MACs back, makes the run
 * folder, starts QEMU and connects to its QMP socket. On failure nothing is left: no process, no
 * run folder. Notices from the config are added to `notices` when given.
 */
void               hv_domain_start_async      (HvDomain              *self,
                                               gint64                 id,
                                               const HvDomainRuntime *runtime,
                                               GPtrArray             *notices,
                                               GCancellable          *cancellable,
                                               GAsyncReadyCallback    callback,
                                               gpointer               user_data);
gboolean           hv_domain_start_finish     (HvDomain            *self,
                                               GAsyncResult        *result,
                                               GError             **error);

/*
 * For the next start only: QEMU gets `-incoming defer` (and `-S` with `paused`), and the domain
 * is in the incoming state until hv_domain_complete_incoming().
 */
void               hv_domain_set_incoming     (HvDomain            *self,
                                               gboolean             incoming,
                                               gboolean             paused);
/* The migration arrived: the domain becomes an ordinary `state` (running or paused) domain, reason "migrated". */
void               hv_domain_complete_incoming (HvDomain           *self,
                                               HvDomainState        state);
/* The same with another reason: "restored" when the state came from a save file. */
void               hv_domain_complete_incoming_as (HvDomain        *self,
                                               HvDomainState        state,
                                               const char          *reason);
/* What the end of this QEMU is reported as instead of destroyed/crashed/... ("migrated",
 * "saved": neither is restarted by on_crash); NULL to clear. */
void               hv_domain_set_end_reason   (HvDomain            *self,
                                               const char          *reason);

/*
 * Takes over the QEMU a previous daemon started, from what the run folder records. Fails (and
 * removes the folder) when that QEMU is gone: HV_DOMAIN_ERROR_GONE, and *gone_action is the
 * on_crash setting of the config it ran from (destroy when unknown), for the caller to apply.
 * A QEMU kept stopped because its guest powered off or panicked meanwhile is ended now as
 * on_poweroff or on_crash says ("ended" follows, reason "shutdown" or "crashed").
 */
void               hv_domain_reattach_async   (HvDomain            *self,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data);
gboolean           hv_domain_reattach_finish  (HvDomain            *self,
                                               GAsyncResult        *result,
                                               HvDomainAction      *gone_action,
                                               GError             **error);

/* Ends QEMU now (QMP quit, then SIGTERM, then SIGKILL); finishes once it is gone and cleaned up. */
void               hv_domain_destroy_async    (HvDomain            *self,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data);
gboolean           hv_domain_destroy_finish   (HvDomain            *self,
                                               GAsyncResult        *result,
                                               GError             **error);

typedef enum {
  HV_DOMAIN_COMMAND_SHUTDOWN,  /* ACPI power button */
  HV_DOMAIN_COMMAND_PAUSE,
  HV_DOMAIN_COMMAND_UNPAUSE,
  HV_DOMAIN_COMMAND_REBOOT,    /* a hard reset, as `xm reboot` of an HVM guest */
} HvDomainCommand;

/* Sends one QMP command for the operation; finishes when QEMU took it. */
void               hv_domain_command_async    (HvDomain            *self,
                                               HvDomainCommand      command,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data);
gboolean           hv_domain_command_finish   (HvDomain            *self,
                                               GAsyncResult        *result,
                                               GError             **error);

/* The guest's memory as an ELF core file written into fd, as `xm dump-core` (QMP getfd and
 * dump-guest-memory; QEMU gets its own copy of fd). Finishes when the file is complete. */
void               hv_domain_dump_async       (HvDomain            *self,
                                               int                  fd,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data);
gboolean           hv_domain_dump_finish      (HvDomain            *self,
                                               GAsyncResult        *result,
                                               GError             **error);

/* The magic SysRq key with key (a-z, 0-9) pressed on the guest's keyboard, as `xm sysrq`:
 * Alt+SysRq+key through QMP send-key. key must be one of those (callers check it). */
void               hv_domain_sysrq_async      (HvDomain            *self,
                                               char                 key,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data);
gboolean           hv_domain_sysrq_finish     (HvDomain            *self,
                                               GAsyncResult        *result,
                                               GError             **error);

G_END_DECLS
