/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A server on the dashboard: its state, CPU and memory graphs, domains by state, the busiest. */

#pragma once

#include <gtk/gtk.h>

#include "domus-host.h"

G_BEGIN_DECLS

/* How many of the busiest domains a card lists. */
#define DOMUS_HOST_CARD_N_BUSY 3

#define DOMUS_TYPE_HOST_CARD (domus_host_card_get_type ())
G_DECLARE_FINAL_TYPE (DomusHostCard, domus_host_card, DOMUS, HOST_CARD, GtkEventBox)

/*
 * Properties:
 *   "trouble" (guint, a DomusHostCardTrouble, read-only): notified when it changes.
 * Signals:
 *   "summary-changed": the counts, the host's state or its open alerts changed (not
 *     emitted for a sample that changed none of them).
 *   "activate-host" (DomusHostCard *card, DomusHost *host): the card or its Open button
 *     was clicked.
 *   "open-domain" (DomusHostCard *card, DomusDomain *domain): one of the busiest domains
 *     was clicked.
 */
GtkWidget   *domus_host_card_new              (DomusHost     *host);
/* (transfer none) */
DomusHost   *domus_host_card_get_host         (DomusHostCard *self);

/* The groups a card counts domains in: running (with blocked), paused, shut off, crashed,
 * and the rest (shutting down, starting, invalid config). */
typedef enum {
  DOMUS_HOST_CARD_COUNT_RUNNING,
  DOMUS_HOST_CARD_COUNT_PAUSED,
  DOMUS_HOST_CARD_COUNT_OFF,
  DOMUS_HOST_CARD_COUNT_OTHER,
  DOMUS_HOST_CARD_COUNT_CRASHED,
  DOMUS_HOST_CARD_N_COUNTS
} DomusHostCardCount;

/* How much a server needs looking at: the dashboard puts the worst first. */
typedef enum {
  DOMUS_HOST_CARD_TROUBLE_NONE,
  DOMUS_HOST_CARD_TROUBLE_CONNECTING,   /* connecting, not yet known */
  DOMUS_HOST_CARD_TROUBLE_DOMAINS,      /* crashed domains, or alerts nobody acknowledged */
  DOMUS_HOST_CARD_TROUBLE_UNREACHABLE,  /* not connected */
} DomusHostCardTrouble;

/* What the card shows (the labels' figures), for tests and for the window; the open alerts are
 * the host's (domus_host_get_n_open_alerts()). */
guint        domus_host_card_get_count        (DomusHostCard      *self,
                                               DomusHostCardCount  which);
DomusHostCardTrouble domus_host_card_get_trouble (DomusHostCard *self);
/* (transfer none) The n-th busiest domain shown (n < DOMUS_HOST_CARD_N_BUSY), or NULL. */
DomusDomain *domus_host_card_get_busy_domain  (DomusHostCard      *self,
                                               guint               n);

G_END_DECLS
