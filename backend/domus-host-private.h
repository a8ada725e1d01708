/* SPDX-License-Identifier: GPL-3.0-or-later */
/* How a host's driver feeds its model: typed news, never the protocol's objects. */

#pragma once

#include "domus-host.h"
#include "domus-host-driver.h"

G_BEGIN_DECLS

/* One stats sample: the host's figures and each running domain's. */
typedef struct {
  gint64                   time_us;
  gboolean                 has_host;         /* the members below up to domains */
  double                   cpu_percent;      /* of all cores together */
  gint64                   memory_mib;       /* -1 when not said */
  gint64                   memory_used_mib;
  gboolean                 has_load;
  double                   load_1;
  const DomusDomainSample *domains;
  guint                    n_domains;
} DomusHostSample;

/* The whole list (Domain-0 is left out here): domains not in it go. */
void     _domus_host_sync_domains      (DomusHost             *self,
                                        GPtrArray             *infos);
/* One domain's news. add_missing: a domain the model lacks is added (and TRUE returned). */
gboolean _domus_host_update_domain     (DomusHost             *self,
                                        const DomusDomainInfo *info,
                                        gboolean               add_missing);
void     _domus_host_remove_domain     (DomusHost             *self,
                                        const char            *name);

void     _domus_host_set_stats_interval (DomusHost            *self,
                                         gint64                interval_ms);
/* Samples come between begin and end: notifications are held, "stats-updated" comes once. */
void     _domus_host_begin_samples     (DomusHost             *self);
void     _domus_host_apply_sample      (DomusHost             *self,
                                        const DomusHostSample *sample);
void     _domus_host_end_samples       (DomusHost             *self);

/* Alerts the host keeps. sync: its whole list (DomusAlert, oldest first; this client's own
 * stay); add: a new one (one already there: nothing), then "alert-raised"; acknowledged:
 * those ids are. */
void     _domus_host_sync_alerts          (DomusHost             *self,
                                           GPtrArray             *alerts);
void     _domus_host_add_alert            (DomusHost             *self,
                                           DomusAlert            *alert);
void     _domus_host_acknowledge_alert_ids (DomusHost            *self,
                                            const guint64        *ids,
                                            guint                 n_ids);

/* For the typed calls (domus-host-calls.c): the host's driver, and its image store. */
DomusHostDriver *_domus_host_get_driver        (DomusHost         *self);
/* The model's own object for image, which is added when new (transfer none). */
DomusImage      *_domus_host_put_image         (DomusHost         *self,
                                                DomusImage        *image);
void             _domus_host_forget_image      (DomusHost         *self,
                                                const char        *name);
/* Each listing gets a serial when asked for; one older than the last applied is dropped. */
guint64          _domus_host_next_image_listing  (DomusHost         *self);
void             _domus_host_apply_image_listing (DomusHost         *self,
                                                  guint64            serial,
                                                  DomusImageListing *listing);

/* A host with a driver of driver_type whatever uri says: for tests, and a kind on trial. */
DomusHost       *_domus_host_new_for_driver    (const char        *uri,
                                                GType              driver_type);

/* The driver's transport went away by itself (takes error). */
void     _domus_host_driver_lost       (DomusHost             *self,
                                        GError                *error);

G_END_DECLS
