/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Between the .cfg parser (hv-config.c) and its explainer of Python (hv-config-python.c). */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* One literal (string, number, True/False, list of literals) at *pos, which moves past it. */
gboolean hv_config_parse_literal  (const char  *text,
                                   gsize        length,
                                   gsize       *pos,
                                   GVariant   **out);

/* Where the statement that starts at `start` ends: past its newline or ';', with brackets,
 * strings and continued lines followed, and past the indented block a ':' opens. */
gsize    hv_config_statement_end  (const char  *text,
                                   gsize        length,
                                   gsize        start);

/* *error is a syntax error in the statement at `start` that is Python beyond literals: it
 * becomes a message that says xm ran these files as Python, Domus reads literal assignments,
 * and which value to write instead when the file itself says what it was. */
void     hv_config_explain_python (const char  *text,
                                   gsize        length,
                                   gsize        start,
                                   const char  *filename,
                                   GError     **error);

G_END_DECLS
