/* SPDX-License-Identifier: GPL-3.0-or-later */
/* An xm-style domain configuration file (.cfg): parsed, queried and edited in place. */

#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define HV_CONFIG_ERROR (hv_config_error_quark ())

typedef enum {
  HV_CONFIG_ERROR_IO,       /* the file could not be read or written */
  HV_CONFIG_ERROR_SYNTAX,   /* not the Python subset xm files are written in */
  HV_CONFIG_ERROR_TYPE,     /* a key holds a value of the wrong type */
  HV_CONFIG_ERROR_INVALID,  /* a value of the right type that makes no sense */
  HV_CONFIG_ERROR_MISSING,  /* a key the domain cannot do without is absent */
} HvConfigError;

GQuark hv_config_error_quark (void);

#define HV_TYPE_CONFIG (hv_config_get_type ())
G_DECLARE_FINAL_TYPE (HvConfig, hv_config, HV, CONFIG, GObject)

/*
 * Values are GVariants of these types only:
 *   "s"  a string      'x' or "x" or '''x'''
 *   "x"  an integer    512, 0x200, -1
 *   "d"  a float       1.5
 *   "b"  a boolean     True, False
 *   "av" a list        [ 'a', 1, [ ... ] ]
 */

HvConfig   *hv_config_new             (const char  *filename);
HvConfig   *hv_config_new_from_data   (const char  *data,
                                       gssize       length,
                                       const char  *filename,
                                       GError     **error);
HvConfig   *hv_config_new_from_file   (const char  *path,
                                       GError     **error);
/*
 * What domusctl check --explain shows of a file that does not parse: every statement that
 * can be read is; each one that cannot (Python beyond literal assignments, a typo) adds its
 * error message to `skipped` and is passed over, with the indented block that follows it.
 * Fails only where nothing can be read (not UTF-8, NUL bytes). Not for saving.
 */
HvConfig   *hv_config_new_from_data_partial (const char *data,
                                             gssize      length,
                                             const char *filename,
                                             GPtrArray  *skipped,
                                             GError    **error);

/* The name used in messages ("guest.cfg"); never NULL. */
const char *hv_config_get_filename    (HvConfig    *self);

/* Keys in file order, each once (a key assigned twice counts where it first stood). */
GStrv       hv_config_dup_keys        (HvConfig    *self);
gboolean    hv_config_has_key         (HvConfig    *self,
                                       const char  *key);
/* The value as Python would see it (the last assignment wins); NULL when absent. */
GVariant   *hv_config_get_value       (HvConfig    *self,
                                       const char  *key);
/* 1-based line and column of the key's value, for messages; FALSE when absent. */
gboolean    hv_config_get_location    (HvConfig    *self,
                                       const char  *key,
                                       guint       *line,
                                       guint       *column);

/*
 * Typed look-ups. An absent key gives the fallback and TRUE. A present key of the
 * wrong type gives FALSE and an HV_CONFIG_ERROR_TYPE error that names the file, the
 * position and the key: "guest.cfg:3:10: memory: expected an integer (MiB), got "lots"".
 * Integers also accept strings of digits, and booleans accept 0/1 and the words
 * xm accepted ("yes", "no", "on", "off", ...), because real files use all of them.
 */
gboolean    hv_config_get_string      (HvConfig    *self,
                                       const char  *key,
                                       const char  *fallback,
                                       const char **out,
                                       GError     **error);
gboolean    hv_config_get_int         (HvConfig    *self,
                                       const char  *key,
                                       const char  *unit,
                                       gint64       fallback,
                                       gint64      *out,
                                       GError     **error);
gboolean    hv_config_get_bool        (HvConfig    *self,
                                       const char  *key,
                                       gboolean     fallback,
                                       gboolean    *out,
                                       GError     **error);
/* A list of strings; a lone string counts as a list of one, as xm allowed. */
gboolean    hv_config_get_string_list (HvConfig    *self,
                                       const char  *key,
                                       GStrv       *out,
                                       GError     **error);

/* Errors about a key's value, prefixed with "file:line:column: key: ". */
void        hv_config_set_key_error   (HvConfig    *self,
                                       GError     **error,
                                       HvConfigError code,
                                       const char  *key,
                                       const char  *format,
                                       ...) G_GNUC_PRINTF (5, 6);

/*
 * Edits keep everything else of the text: comments, blank lines, order and the
 * spelling of other values. Setting an existing key rewrites its statement only;
 * a new key is appended at the end; removing a key drops its line(s).
 */
void        hv_config_set_value       (HvConfig    *self,
                                       const char  *key,
                                       GVariant    *value);
void        hv_config_set_string      (HvConfig    *self,
                                       const char  *key,
                                       const char  *value);
void        hv_config_set_int         (HvConfig    *self,
                                       const char  *key,
                                       gint64       value);
void        hv_config_set_string_list (HvConfig    *self,
                                       const char  *key,
                                       const char * const *values);
gboolean    hv_config_remove          (HvConfig    *self,
                                       const char  *key);

/* The file's text with every edit applied. */
char       *hv_config_to_data         (HvConfig    *self,
                                       gsize       *length);
/* Writes atomically: a reader sees the old file or the new one, never half of it. */
gboolean    hv_config_save            (HvConfig    *self,
                                       const char  *path,
                                       GError     **error);

/* Same keys with equal values, whatever the layout. */
gboolean    hv_config_equal           (HvConfig    *a,
                                       HvConfig    *b);

/* A value spelled as Python would: 'x', 512, True, [ 'a', 'b' ]. */
char       *hv_config_value_to_string (GVariant    *value);

G_END_DECLS
