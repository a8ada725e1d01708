/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A libvirt host's figures once a second: virConnectGetAllDomainStats and the node's, as typed samples. */

#pragma once

#include <gio/gio.h>

#include "domus-domain.h"
#include "domus-libvirt-connection.h"

G_BEGIN_DECLS

/* One running domain's figures. Totals count since its QEMU started; -1 where the host
 * did not say (the test driver says little, a guest without a balloon no RSS). */
typedef struct {
  char             *uuid;
  char             *name;
  gint64            id;
  DomusDomainState  state;
  gint64            cpu_time_ns;
  double            cpu_percent;     /* of one core, since the previous sample; -1 for the first */
  gint64            rss_mib;         /* the QEMU process (balloon.rss) */
  gint64            balloon_mib;     /* what the guest has now (balloon.current) */
  gint64            disk_rd_bytes;   /* all disks together */
  gint64            disk_wr_bytes;
  gint64            net_rx_bytes;    /* all interfaces together; -1 with none the host counts */
  gint64            net_tx_bytes;
} DomusLibvirtDomainSample;

typedef struct {
  gint64     time_us;             /* wall clock, as the histories keep it */
  guint      host_cpus;           /* 0 when not said */
  double     host_cpu_percent;    /* of all cores together, since the previous sample; -1 unknown */
  gint64     host_memory_mib;     /* -1 unknown */
  gint64     host_memory_used_mib;
  GPtrArray *domains;             /* DomusLibvirtDomainSample, one per running domain */
} DomusLibvirtSample;

#define DOMUS_TYPE_LIBVIRT_SAMPLE (domus_libvirt_sample_get_type ())
GType               domus_libvirt_sample_get_type (void) G_GNUC_CONST;
DomusLibvirtSample *domus_libvirt_sample_copy     (const DomusLibvirtSample *sample);
void                domus_libvirt_sample_free     (DomusLibvirtSample       *sample);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DomusLibvirtSample, domus_libvirt_sample_free)
/* (transfer none) NULL when the sample has no such domain. */
const DomusLibvirtDomainSample *domus_libvirt_sample_lookup (const DomusLibvirtSample *sample,
                                                             const char               *name);

#define DOMUS_LIBVIRT_SAMPLER_DEFAULT_INTERVAL_MS 1000

#define DOMUS_TYPE_LIBVIRT_SAMPLER (domus_libvirt_sampler_get_type ())
G_DECLARE_FINAL_TYPE (DomusLibvirtSampler, domus_libvirt_sampler, DOMUS, LIBVIRT_SAMPLER, GObject)

/*
 * Samples connection every interval_ms from domus_libvirt_sampler_start() on, emitting
 * "sample" (a DomusLibvirtSample, transfer none) on the main context. The figures are
 * read on the connection's thread; a sample still under way when the next is due makes
 * that one skipped rather than queued (a slow remote host is sampled less often, never
 * later and later).
 */
DomusLibvirtSampler *domus_libvirt_sampler_new     (DomusLibvirtConnection *connection,
                                                    guint                   interval_ms);
void                 domus_libvirt_sampler_start   (DomusLibvirtSampler    *self);
void                 domus_libvirt_sampler_stop    (DomusLibvirtSampler    *self);
/* How many samples were due while one was under way. */
guint                domus_libvirt_sampler_get_skipped (DomusLibvirtSampler *self);

G_END_DECLS
