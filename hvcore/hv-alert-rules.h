/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The alert rules a daemon keeps: which troubles raise an alert, and the command run for each. */

#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define HV_ALERT_RULES_ERROR (hv_alert_rules_error_quark ())

typedef enum {
  HV_ALERT_RULES_ERROR_UNKNOWN_KEY,  /* a rule of another name */
  HV_ALERT_RULES_ERROR_VALUE,        /* a value of the wrong type or out of range */
  HV_ALERT_RULES_ERROR_READ_ONLY,    /* a rule only the config file may set (the command) */
} HvAlertRulesError;

GQuark hv_alert_rules_error_quark (void);

typedef struct {
  gboolean  domain_crashed;   /* a domain crashed or was stopped by an error */
  guint     cpu_percent;      /* 0: off; a domain's share of its vCPUs, the host's of all processors */
  guint     cpu_minutes;      /* for how long CPU must stay over cpu_percent */
  guint     memory_percent;   /* 0: off; the host's memory in use */
  guint     disk_percent;     /* 0: off; a filesystem holding the image store or a running domain's disk */
  guint     keep;             /* how many alerts the daemon keeps */
  char     *command;          /* run for each new alert (no shell); NULL: none */
} HvAlertRules;

/* The defaults: crashes on, CPU off, memory and disks at 95 %, 100 kept, no command. */
void          hv_alert_rules_init      (HvAlertRules       *rules);
void          hv_alert_rules_clear     (HvAlertRules       *rules);
void          hv_alert_rules_copy      (HvAlertRules       *dest,
                                        const HvAlertRules *src);

/* The rule names, as the config file's [alerts] group and the protocol spell them. */
const char * const *hv_alert_rules_get_keys (void);

/*
 * Sets one rule from the config file's text (`value` as written after '='). The message names
 * neither file nor key: the caller adds them.
 */
gboolean      hv_alert_rules_set_from_text (HvAlertRules  *rules,
                                            const char    *key,
                                            const char    *value,
                                            GError       **error);
/*
 * Sets the rules an object names (the protocol's alerts.set_rules), all or none: on error
 * `rules` is unchanged. The command cannot be set this way (HV_ALERT_RULES_ERROR_READ_ONLY):
 * who may talk to the daemon must not choose what it runs.
 */
gboolean      hv_alert_rules_set_from_json (HvAlertRules  *rules,
                                            JsonObject    *object,
                                            GError       **error);
/* {"domain-crashed": true, "cpu-percent": 90, …, "command": "…" or null} */
JsonNode     *hv_alert_rules_to_json       (const HvAlertRules *rules);
/* The value of `key` as the config file writes it (the command as written; "" for none). */
char         *hv_alert_rules_dup_text      (const HvAlertRules *rules,
                                            const char         *key);

G_END_DECLS
