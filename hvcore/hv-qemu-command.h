/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Turns an HvDomainSpec into the argv of the QEMU process that runs the domain. */

#pragma once

#include <glib.h>

#include "hv-domain-spec.h"

G_BEGIN_DECLS

#define HV_QEMU_DEFAULT_BINARY "qemu-system-x86_64"

/* HvQemuOptions.tb_size_mib: the TCG translation cache follows the guest's memory
 * (hv_qemu_tb_size_for), unless its config sets `tb_size`. */
#define HV_QEMU_TB_SIZE_AUTO G_MAXUINT
/* The rule: a quarter of the guest's memory, from 32 to 256 MiB (docs/daemon.md). */
#define HV_QEMU_TB_SIZE_MIN_MIB 32
#define HV_QEMU_TB_SIZE_MAX_MIB 256
#define HV_QEMU_TB_SIZE_MEMORY_DIVISOR 4

typedef enum {
  HV_QEMU_ACCEL_TCG,
  HV_QEMU_ACCEL_KVM,
} HvQemuAccel;

typedef enum {
  HV_QEMU_NET_USER,  /* session daemons: user-mode networking, no privileges needed */
  HV_QEMU_NET_TAP,   /* the system daemon: a tap device the daemon adds to the vif's bridge */
} HvQemuNetMode;

typedef struct {
  const char          *binary;       /* NULL: qemu-system-x86_64, looked up in PATH */
  const char          *run_dir;      /* the domain's run folder: sockets, pid file, serial log */
  HvQemuAccel          accel;
  guint                tb_size_mib;  /* TCG translation cache for domains without `tb_size`: MiB,
                                        0 for QEMU's default, or HV_QEMU_TB_SIZE_AUTO */
  HvQemuNetMode        net_mode;
  const char * const  *tap_names;    /* tap mode: one name per vif; missing ones get a default */
  const char * const  *forward_addresses; /* user mode: host addresses besides loopback a vif's
                                             forward= may listen on (domusd.conf); NULL: none */
  gboolean             strict;       /* missing files are errors (the daemon) or notices (checks) */
  gboolean             incoming;     /* -incoming defer: the guest arrives by migration (migrate-incoming) */
  gboolean             paused;       /* -S: the CPUs wait for `cont` */
} HvQemuOptions;

/* TCG with the automatic cache size, user-mode networking, lenient, no run folder (set one
 * before building). */
void   hv_qemu_options_init        (HvQemuOptions       *options);

/*
 * The argv (NULL-terminated, argv[0] the binary). Notices about what the options
 * changed (a bridge unused in user mode, ...) are appended to `notices` when not NULL.
 * Fails with HV_CONFIG_ERROR_INVALID when a socket path would be too long, or (strict) when
 * a vif forwards a port on an address that is neither loopback nor in `forward_addresses`.
 */
GStrv  hv_qemu_command_build       (const HvDomainSpec  *spec,
                                    const HvQemuOptions *options,
                                    GPtrArray           *notices,
                                    GError             **error);

/* The translation cache the domain gets under TCG, in MiB (0: QEMU's default): its config's
 * `tb_size`, else `setting` (HvQemuOptions.tb_size_mib), which for HV_QEMU_TB_SIZE_AUTO is a
 * quarter of its memory, at least 32 and at most 256. */
guint  hv_qemu_tb_size_for         (const HvDomainSpec  *spec,
                                    guint                setting);

/* The tap name used for vif `index` when `tap_names` gives none: "vif-NAME.N", at most 15 bytes. */
char  *hv_qemu_default_tap_name    (const HvDomainSpec  *spec,
                                    guint                index);

/* A shell command line (g_shell_quote where needed); with `multiline`, an option and its value per line, joined by " \". */
char  *hv_qemu_command_to_shell    (const char * const  *argv,
                                    gboolean             multiline);

G_END_DECLS
