/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Parser and in-place writer for xm-style .cfg files (the Python subset real files use). */

#include "config.h"

#include <math.h>
#include <string.h>
#include <glib/gi18n-lib.h>

#include "hv-config.h"
#include "hv-config-private.h"

/* Deeper nesting than this is not a config file but an attack on the stack. */
#define MAX_LIST_DEPTH 32

typedef struct {
  char     *key;
  GVariant *value;
  gsize     start;        /* offset of the key's first byte */
  gsize     value_start;  /* offset of the value's first byte */
  gsize     end;          /* offset just past the value */
} Entry;

struct _HvConfig {
  GObject    parent_instance;

  char      *filename;
  GString   *text;
  GPtrArray *entries;     /* Entry*, in file order; a key assigned twice has two */
};

G_DEFINE_TYPE (HvConfig, hv_config, G_TYPE_OBJECT)

G_DEFINE_QUARK (hv-config-error-quark, hv_config_error)

static void
entry_free (Entry *entry)
{
  g_free (entry->key);
  g_clear_pointer (&entry->value, g_variant_unref);
  g_free (entry);
}

static void
hv_config_finalize (GObject *object)
{
  HvConfig *self = HV_CONFIG (object);

  g_free (self->filename);
  g_string_free (self->text, TRUE);
  g_ptr_array_unref (self->entries);

  G_OBJECT_CLASS (hv_config_parent_class)->finalize (object);
}

static void
hv_config_class_init (HvConfigClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = hv_config_finalize;
}

static void
hv_config_init (HvConfig *self)
{
  self->text = g_string_new (NULL);
  self->entries = g_ptr_array_new_with_free_func ((GDestroyNotify) entry_free);
}

HvConfig *
hv_config_new (const char *filename)
{
  HvConfig *self = g_object_new (HV_TYPE_CONFIG, NULL);

  self->filename = g_strdup (filename != NULL ? filename : "<config>");
  return self;
}

const char *
hv_config_get_filename (HvConfig *self)
{
  g_return_val_if_fail (HV_IS_CONFIG (self), NULL);
  return self->filename;
}

/* ------------------------------------------------------------------------- */
/* Positions                                                                  */

static void
offset_to_location (const char *text,
                    gsize       offset,
                    guint      *line,
                    guint      *column)
{
  guint l = 1;
  gsize line_start = 0;

  for (gsize i = 0; i < offset && text[i] != '\0'; i++)
    if (text[i] == '\n')
      {
        l++;
        line_start = i + 1;
      }
  *line = l;
  *column = (guint) (offset - line_start) + 1;
}

/* ------------------------------------------------------------------------- */
/* Parser                                                                     */

typedef struct {
  const char *text;
  gsize       length;
  gsize       pos;
  const char *filename;
  gboolean    python;    /* the last error is about Python beyond literals, not a typo */
} Parser;

static int
peek (Parser *p)
{
  return p->pos < p->length ? (guchar) p->text[p->pos] : -1;
}

static int
peek_at (Parser *p, gsize ahead)
{
  return p->pos + ahead < p->length ? (guchar) p->text[p->pos + ahead] : -1;
}

/*
 * The character at the parser's position as a message can show it: the whole UTF-8
 * character (the text is valid UTF-8), a control character as U+XXXX. One byte of a
 * multibyte character would make the message, and the daemon's JSON answer, invalid UTF-8.
 */
static const char *
char_for_message (Parser *p)
{
  static char shown[16];
  const char *at = p->text + p->pos;
  gunichar ch = g_utf8_get_char (at);

  if (ch < 0x20 || ch == 0x7f)
    g_snprintf (shown, sizeof shown, "U+%04X", ch);
  else
    g_snprintf (shown, sizeof shown, "%.*s", (int) (g_utf8_next_char (at) - at), at);
  return shown;
}

static gboolean
syntax_error_at (Parser     *p,
                 gsize       offset,
                 GError    **error,
                 const char *format,
                 ...) G_GNUC_PRINTF (4, 5);

static gboolean
syntax_error_at (Parser     *p,
                 gsize       offset,
                 GError    **error,
                 const char *format,
                 ...)
{
  g_autofree char *message = NULL;
  guint line, column;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  offset_to_location (p->text, offset, &line, &column);
  g_set_error (error, HV_CONFIG_ERROR, HV_CONFIG_ERROR_SYNTAX,
               "%s:%u:%u: %s", p->filename, line, column, message);
  return FALSE;
}

/* Blanks within a line, and Python's backslash-newline continuations. */
static void
skip_blanks (Parser *p)
{
  for (;;)
    {
      int c = peek (p);

      if (c == ' ' || c == '\t' || c == '\f' || c == '\r')
        p->pos++;
      else if (c == '\\' && peek_at (p, 1) == '\n')
        p->pos += 2;
      else if (c == '\\' && peek_at (p, 1) == '\r' && peek_at (p, 2) == '\n')
        p->pos += 3;
      else
        return;
    }
}

static void
skip_comment (Parser *p)
{
  if (peek (p) == '#')
    while (peek (p) != -1 && peek (p) != '\n')
      p->pos++;
}

/* Inside brackets Python ignores newlines and comments. */
static void
skip_blanks_and_newlines (Parser *p)
{
  for (;;)
    {
      skip_blanks (p);
      if (peek (p) == '#')
        skip_comment (p);
      else if (peek (p) == '\n')
        p->pos++;
      else
        return;
    }
}

static gboolean
is_name_start (int c)
{
  return g_ascii_isalpha (c) || c == '_';
}

static gboolean
is_name_char (int c)
{
  return g_ascii_isalnum (c) || c == '_';
}

static char *
parse_name (Parser *p)
{
  gsize start = p->pos;

  while (is_name_char (peek (p)))
    p->pos++;
  return g_strndup (p->text + start, p->pos - start);
}

static gboolean
parse_escape (Parser  *p,
              GString *out,
              GError **error)
{
  gsize escape_start = p->pos;
  int c;

  p->pos++;  /* the backslash */
  c = peek (p);
  switch (c)
    {
    case '\n': p->pos++; return TRUE;  /* a line continued inside a string */
    case 'n':  g_string_append_c (out, '\n'); break;
    case 't':  g_string_append_c (out, '\t'); break;
    case 'r':  g_string_append_c (out, '\r'); break;
    case '0':  g_string_append_c (out, '\0'); break;
    case 'a':  g_string_append_c (out, '\a'); break;
    case 'b':  g_string_append_c (out, '\b'); break;
    case 'f':  g_string_append_c (out, '\f'); break;
    case 'v':  g_string_append_c (out, '\v'); break;
    case '\\': case '\'': case '"':
      g_string_append_c (out, (char) c);
      break;
    case 'x':
      {
        int hi = g_ascii_xdigit_value (peek_at (p, 1));
        int lo = g_ascii_xdigit_value (peek_at (p, 2));

        if (hi < 0 || lo < 0)
          return syntax_error_at (p, escape_start, error,
                                  _("invalid \\x escape: two hexadecimal digits must follow"));
        g_string_append_c (out, (char) (hi * 16 + lo));
        p->pos += 2;
        break;
      }
    default:
      /* Python keeps unknown escapes as written. */
      g_string_append_c (out, '\\');
      if (c != -1)
        g_string_append_c (out, (char) c);
      break;
    }
  if (c != -1)
    p->pos++;
  return TRUE;
}

static gboolean
parse_one_string (Parser  *p,
                  GString *out,
                  GError **error)
{
  gsize start = p->pos;
  gboolean raw = FALSE;
  gboolean triple;
  char quote;

  /* Python 2 files carry u'' and r'' prefixes. */
  while (strchr ("rRuU", peek (p)) != NULL && peek (p) != '\0')
    {
      if (peek (p) == 'r' || peek (p) == 'R')
        raw = TRUE;
      p->pos++;
    }

  quote = (char) peek (p);
  triple = peek_at (p, 1) == quote && peek_at (p, 2) == quote;
  p->pos += triple ? 3 : 1;

  for (;;)
    {
      int c = peek (p);

      if (c == -1 || (c == '\n' && !triple))
        return syntax_error_at (p, start, error, _("unterminated string"));

      if (c == quote &&
          (!triple || (peek_at (p, 1) == quote && peek_at (p, 2) == quote)))
        {
          p->pos += triple ? 3 : 1;
          return TRUE;
        }

      if (c == '\\' && !raw)
        {
          if (!parse_escape (p, out, error))
            return FALSE;
          continue;
        }
      if (c == '\\' && raw && peek_at (p, 1) != -1)
        {
          /* A raw string still cannot end on an escaped quote. */
          g_string_append_len (out, p->text + p->pos, 2);
          p->pos += 2;
          continue;
        }

      g_string_append_c (out, (char) c);
      p->pos++;
    }
}

static gboolean
at_string_start (Parser *p)
{
  gsize ahead = 0;
  int c;

  while ((c = peek_at (p, ahead)) != -1 && strchr ("rRuU", c) != NULL && ahead < 2)
    ahead++;
  c = peek_at (p, ahead);
  return c == '\'' || c == '"';
}

/* Adjacent literals are one string in Python: "a" "b" == "ab". */
static gboolean
parse_string (Parser    *p,
              GVariant **out,
              GError   **error)
{
  g_autoptr(GString) value = g_string_new (NULL);

  do
    {
      if (!parse_one_string (p, value, error))
        return FALSE;
      skip_blanks (p);
    }
  while (at_string_start (p));

  if (!g_utf8_validate_len (value->str, value->len, NULL))
    return syntax_error_at (p, p->pos, error, _("string is not valid UTF-8"));

  *out = g_variant_new_string (value->str);
  return TRUE;
}

static gboolean
parse_number (Parser    *p,
              GVariant **out,
              GError   **error)
{
  gsize start = p->pos;
  g_autofree char *literal = NULL;
  gboolean is_float = FALSE;
  char *end = NULL;

  if (peek (p) == '-' || peek (p) == '+')
    p->pos++;
  while (g_ascii_isalnum (peek (p)) || peek (p) == '.' || peek (p) == '_' ||
         ((peek (p) == '-' || peek (p) == '+') &&
          (p->text[p->pos - 1] == 'e' || p->text[p->pos - 1] == 'E')))
    {
      if (peek (p) == '.' || ((peek (p) == 'e' || peek (p) == 'E') &&
                              !g_str_has_prefix (p->text + start + (p->text[start] == '-' || p->text[start] == '+'), "0x")))
        is_float = TRUE;
      p->pos++;
    }
  literal = g_strndup (p->text + start, p->pos - start);

  /* Python 2's long suffix: 512L. */
  if (!is_float && (g_str_has_suffix (literal, "L") || g_str_has_suffix (literal, "l")))
    literal[strlen (literal) - 1] = '\0';

  if (is_float)
    {
      double value = g_ascii_strtod (literal, &end);

      if (end == NULL || *end != '\0')
        return syntax_error_at (p, start, error, _("invalid number “%s”"), literal);
      /* Python would make it inf, which no file can spell: refuse it. */
      if (!isfinite (value))
        return syntax_error_at (p, start, error, _("number “%s” is too large"), literal);
      *out = g_variant_new_double (value);
      return TRUE;
    }
  else
    {
      const char *digits = literal;
      gboolean negative = FALSE;
      guint base = 10;
      guint64 magnitude;

      if (*digits == '-' || *digits == '+')
        negative = *digits++ == '-';
      if (g_ascii_strncasecmp (digits, "0x", 2) == 0)
        {
          base = 16;
          digits += 2;
        }
      else if (g_ascii_strncasecmp (digits, "0o", 2) == 0)
        {
          base = 8;
          digits += 2;
        }

      if (*digits == '\0' ||
          !g_ascii_string_to_unsigned (digits, base, 0,
                                       negative ? (guint64) G_MAXINT64 + 1 : G_MAXINT64,
                                       &magnitude, NULL))
        return syntax_error_at (p, start, error, _("invalid number “%s”"), literal);

      *out = g_variant_new_int64 (negative ? (gint64) (0 - magnitude) : (gint64) magnitude);
      return TRUE;
    }
}

static gboolean parse_value (Parser *p, guint depth, GVariant **out, GError **error);

static gboolean
parse_list (Parser    *p,
            guint      depth,
            GVariant **out,
            GError   **error)
{
  g_autoptr(GVariantBuilder) items = g_variant_builder_new (G_VARIANT_TYPE ("av"));
  gsize open = p->pos;
  guint open_line, open_column;

  if (depth >= MAX_LIST_DEPTH)
    return syntax_error_at (p, open, error, _("lists nested too deeply"));

  offset_to_location (p->text, open, &open_line, &open_column);
  p->pos++;  /* [ */

  for (;;)
    {
      GVariant *item = NULL;

      skip_blanks_and_newlines (p);
      if (peek (p) == ']')
        break;
      if (peek (p) == -1)
        return syntax_error_at (p, open, error, _("unterminated list: “[” has no matching “]”"));

      if (!parse_value (p, depth + 1, &item, error))
        return FALSE;
      g_variant_builder_add (items, "v", item);

      skip_blanks_and_newlines (p);
      if (peek (p) == ',')
        {
          p->pos++;
          continue;
        }
      if (peek (p) == ']')
        break;
      if (peek (p) == -1)
        return syntax_error_at (p, open, error, _("unterminated list: “[” has no matching “]”"));
      /* 'a' + b inside a list is Python; a missing comma is a typo. */
      p->python = strchr ("+-*/%(.[", peek (p)) != NULL;
      return syntax_error_at (p, p->pos, error,
                              _("expected “,” or “]” in the list opened at line %u"), open_line);
    }

  p->pos++;  /* ] */
  *out = g_variant_builder_end (items);
  return TRUE;
}

static gboolean
parse_value (Parser    *p,
             guint      depth,
             GVariant **out,
             GError   **error)
{
  int c = peek (p);

  if (at_string_start (p))
    return parse_string (p, out, error);

  if (c == '[')
    return parse_list (p, depth, out, error);

  if (g_ascii_isdigit (c) || ((c == '-' || c == '+' || c == '.') &&
                              (g_ascii_isdigit (peek_at (p, 1)) || peek_at (p, 1) == '.')))
    return parse_number (p, out, error);

  if (is_name_start (c))
    {
      gsize start = p->pos;
      g_autofree char *name = parse_name (p);

      if (strcmp (name, "True") == 0 || strcmp (name, "False") == 0)
        {
          *out = g_variant_new_boolean (name[0] == 'T');
          return TRUE;
        }
      /* A variable xm's Python knew; None is a value Python has and a config cannot. */
      p->python = strcmp (name, "None") != 0;
      return syntax_error_at (p, start, error,
                              _("“%s” is not a value: only strings, numbers, True, False and lists are supported"),
                              name);
    }

  if (c == '(' || c == '{')
    return syntax_error_at (p, p->pos, error,
                            _("tuples and dictionaries are not supported: use a list “[ … ]”"));

  if (c == -1 || c == '\n' || c == '#')
    return syntax_error_at (p, p->pos, error, _("expected a value"));

  return syntax_error_at (p, p->pos, error, _("unexpected character “%s”"), char_for_message (p));
}

/* After a statement: blanks, an optional comment, then a newline, a ';' or the end. */
static gboolean
parse_statement_end (Parser  *p,
                     GError **error)
{
  int c;

  skip_blanks (p);
  c = peek (p);
  if (c == '#')
    {
      skip_comment (p);
      c = peek (p);
    }
  if (c == -1 || c == '\n' || c == ';')
    {
      if (c != -1)
        p->pos++;
      return TRUE;
    }
  if (strchr ("+-*/%()", c) != NULL)
    {
      p->python = TRUE;
      return syntax_error_at (p, p->pos, error,
                              _("expressions are not supported: write the value itself"));
    }
  return syntax_error_at (p, p->pos, error, _("unexpected text after the value"));
}

/* A statement that is Python rather than a mistyped setting: a keyword (import, if, def, …),
 * a call or attribute (os.system(…)), or an augmented assignment (memory += 256). */
static gboolean
is_python_statement (Parser     *p,
                     const char *word)
{
  static const char * const keywords[] = {
    "import", "from", "def", "if", "elif", "else", "for", "while", "try", "except", "finally",
    "class", "with", "return", "print", "global", "del", "pass", "lambda", "assert", "raise",
    "exec", NULL
  };
  int c = peek (p);

  return g_strv_contains (keywords, word) || c == '.' || c == '(' || c == '[' || c == ':' ||
         (strchr ("+-*/%|&", c) != NULL && c != -1 && peek_at (p, 1) == '=');
}

static gboolean
parse_statement (Parser   *p,
                 HvConfig *self,
                 GError  **error)
{
  Entry *entry;
  g_autofree char *key = NULL;
  GVariant *value = NULL;
  gsize start = p->pos;
  gsize value_start;

  if (!is_name_start (peek (p)))
    {
      if (peek (p) == ' ' || peek (p) == '\t')
        return syntax_error_at (p, p->pos, error, _("unexpected indentation"));
      return syntax_error_at (p, p->pos, error,
                              _("expected a setting such as “memory = 512”"));
    }

  key = parse_name (p);
  skip_blanks (p);
  if (peek (p) != '=' || peek_at (p, 1) == '=')
    {
      p->python = is_python_statement (p, key);
      return syntax_error_at (p, p->pos, error, _("expected “=” after “%s”"), key);
    }
  p->pos++;
  skip_blanks (p);

  value_start = p->pos;
  p->python = FALSE;
  if (!parse_value (p, 0, &value, error))
    return FALSE;

  entry = g_new0 (Entry, 1);
  entry->key = g_steal_pointer (&key);
  entry->value = g_variant_ref_sink (value);
  entry->start = start;
  entry->value_start = value_start;
  /* parse_string skips the blanks after the last literal: keep them out of the span. */
  entry->end = p->pos;
  while (entry->end > value_start &&
         strchr (" \t\r\f", p->text[entry->end - 1]) != NULL)
    entry->end--;
  g_ptr_array_add (self->entries, entry);

  return parse_statement_end (p, error);
}

/* After a statement failed: explains Python where the failure was Python, then either gives
 * up (FALSE, *error kept) or, when skipping, notes it and moves past it. */
static gboolean
give_up_statement (Parser     *p,
                   HvConfig   *self,
                   gsize       start,
                   GPtrArray  *skipped,
                   GError    **error)
{
  if (p->python)
    hv_config_explain_python (p->text, p->length, start, p->filename, error);
  if (skipped == NULL)
    return FALSE;
  g_ptr_array_add (skipped, g_strdup ((*error)->message));
  g_clear_error (error);
  p->python = FALSE;
  p->pos = hv_config_statement_end (p->text, p->length, start);
  return TRUE;
}

/* Python counts spaces and tabs as indentation, not form feeds or carriage returns. */
static gboolean
is_indented (const char *blanks,
             gsize       length)
{
  return memchr (blanks, ' ', length) != NULL || memchr (blanks, '\t', length) != NULL;
}

/* With `skipped` (for domusctl check --explain), a statement that cannot be read is noted
 * there and passed over, with the indented block after it; without, it is the error. */
static gboolean
parse_text (HvConfig  *self,
            GPtrArray *skipped,
            GError   **error)
{
  Parser p = {
    .text = self->text->str,
    .length = self->text->len,
    .pos = 0,
    .filename = self->filename,
  };
  const char *invalid = NULL;

  if (!g_utf8_validate_len (p.text, p.length, &invalid))
    return syntax_error_at (&p, (gsize) (invalid - p.text), error,
                            _("the file is not valid UTF-8 text"));

  if (g_str_has_prefix (p.text, "\xEF\xBB\xBF"))
    p.pos = 3;

  while (p.pos < p.length)
    {
      gsize line_start = p.pos;
      gboolean after_semicolon = p.pos > 0 && p.text[p.pos - 1] == ';';

      skip_blanks (&p);
      skip_comment (&p);
      if (peek (&p) == '\n' || peek (&p) == ';')
        {
          p.pos++;
          continue;
        }
      if (peek (&p) == -1)
        break;

      /* Only top-level statements: indentation is an error, as in Python. */
      if (!after_semicolon && is_indented (p.text + line_start, p.pos - line_start))
        {
          g_autoptr(GError) local_error = NULL;

          p.python = FALSE;
          syntax_error_at (&p, line_start, &local_error, _("unexpected indentation"));
          if (!give_up_statement (&p, self, line_start, skipped, &local_error))
            {
              g_propagate_error (error, g_steal_pointer (&local_error));
              return FALSE;
            }
          continue;
        }

      {
        g_autoptr(GError) local_error = NULL;
        gsize statement_start = p.pos;
        guint n_entries = self->entries->len;

        if (parse_statement (&p, self, &local_error))
          continue;
        /* A statement that failed half-way may have added its entry: it stays unread. */
        if (self->entries->len > n_entries)
          g_ptr_array_remove_index (self->entries, self->entries->len - 1);
        if (!give_up_statement (&p, self, statement_start, skipped, &local_error))
          {
            g_propagate_error (error, g_steal_pointer (&local_error));
            return FALSE;
          }
      }
    }

  return TRUE;
}

static HvConfig *
new_from_data (const char  *data,
               gssize       length,
               const char  *filename,
               GPtrArray   *skipped,
               GError     **error)
{
  g_autoptr(HvConfig) self = hv_config_new (filename);

  g_return_val_if_fail (data != NULL || length == 0, NULL);

  if (length < 0)
    length = strlen (data);

  if (memchr (data, '\0', length) != NULL)
    {
      g_set_error (error, HV_CONFIG_ERROR, HV_CONFIG_ERROR_SYNTAX,
                   _("%s: the file contains NUL bytes: it is not a configuration file"),
                   self->filename);
      return NULL;
    }

  g_string_append_len (self->text, data, length);
  if (!parse_text (self, skipped, error))
    return NULL;
  return g_steal_pointer (&self);
}

HvConfig *
hv_config_new_from_data (const char *data,
                         gssize      length,
                         const char *filename,
                         GError    **error)
{
  return new_from_data (data, length, filename, NULL, error);
}

HvConfig *
hv_config_new_from_data_partial (const char *data,
                                 gssize      length,
                                 const char *filename,
                                 GPtrArray  *skipped,
                                 GError    **error)
{
  g_return_val_if_fail (skipped != NULL, NULL);
  return new_from_data (data, length, filename, skipped, error);
}

gboolean
hv_config_parse_literal (const char  *text,
                         gsize        length,
                         gsize       *pos,
                         GVariant   **out)
{
  Parser p = { .text = text, .length = length, .pos = *pos, .filename = "" };
  GVariant *value = NULL;

  if (!parse_value (&p, 0, &value, NULL))
    return FALSE;
  *out = g_variant_ref_sink (value);
  *pos = p.pos;
  return TRUE;
}

HvConfig *
hv_config_new_from_file (const char *path,
                         GError    **error)
{
  g_autofree char *contents = NULL;
  g_autoptr(GError) local_error = NULL;
  gsize length;

  if (!g_file_get_contents (path, &contents, &length, &local_error))
    {
      g_set_error (error, HV_CONFIG_ERROR, HV_CONFIG_ERROR_IO, "%s", local_error->message);
      return NULL;
    }
  return hv_config_new_from_data (contents, length, path, error);
}

/* ------------------------------------------------------------------------- */
/* Queries                                                                    */

static Entry *
find_entry (HvConfig   *self,
            const char *key)
{
  for (guint i = self->entries->len; i > 0; i--)
    {
      Entry *entry = g_ptr_array_index (self->entries, i - 1);

      if (strcmp (entry->key, key) == 0)
        return entry;
    }
  return NULL;
}

GStrv
hv_config_dup_keys (HvConfig *self)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  g_return_val_if_fail (HV_IS_CONFIG (self), NULL);

  for (guint i = 0; i < self->entries->len; i++)
    {
      Entry *entry = g_ptr_array_index (self->entries, i);

      if (g_hash_table_add (seen, entry->key))
        g_strv_builder_add (builder, entry->key);
    }
  return g_strv_builder_end (builder);
}

gboolean
hv_config_has_key (HvConfig   *self,
                   const char *key)
{
  g_return_val_if_fail (HV_IS_CONFIG (self), FALSE);
  return find_entry (self, key) != NULL;
}

GVariant *
hv_config_get_value (HvConfig   *self,
                     const char *key)
{
  Entry *entry;

  g_return_val_if_fail (HV_IS_CONFIG (self), NULL);
  entry = find_entry (self, key);
  return entry != NULL ? entry->value : NULL;
}

gboolean
hv_config_get_location (HvConfig   *self,
                        const char *key,
                        guint      *line,
                        guint      *column)
{
  Entry *entry;
  guint l, c;

  g_return_val_if_fail (HV_IS_CONFIG (self), FALSE);

  entry = find_entry (self, key);
  if (entry == NULL)
    return FALSE;
  offset_to_location (self->text->str, entry->value_start, &l, &c);
  if (line != NULL)
    *line = l;
  if (column != NULL)
    *column = c;
  return TRUE;
}

void
hv_config_set_key_error (HvConfig     *self,
                         GError      **error,
                         HvConfigError code,
                         const char   *key,
                         const char   *format,
                         ...)
{
  g_autofree char *message = NULL;
  guint line, column;
  va_list args;

  g_return_if_fail (HV_IS_CONFIG (self));

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  if (hv_config_get_location (self, key, &line, &column))
    g_set_error (error, HV_CONFIG_ERROR, code, "%s:%u:%u: %s: %s",
                 self->filename, line, column, key, message);
  else
    g_set_error (error, HV_CONFIG_ERROR, code, "%s: %s: %s",
                 self->filename, key, message);
}

gboolean
hv_config_get_string (HvConfig    *self,
                      const char  *key,
                      const char  *fallback,
                      const char **out,
                      GError     **error)
{
  GVariant *value = hv_config_get_value (self, key);
  g_autofree char *shown = NULL;

  if (value == NULL)
    {
      *out = fallback;
      return TRUE;
    }
  if (g_variant_is_of_type (value, G_VARIANT_TYPE_STRING))
    {
      *out = g_variant_get_string (value, NULL);
      return TRUE;
    }
  shown = hv_config_value_to_string (value);
  hv_config_set_key_error (self, error, HV_CONFIG_ERROR_TYPE, key,
                           _("expected a string, got %s"), shown);
  return FALSE;
}

static gboolean
string_to_int (const char *text,
               gint64     *out)
{
  g_autofree char *stripped = g_strstrip (g_strdup (text));

  return *stripped != '\0' &&
         g_ascii_string_to_signed (stripped, 10, G_MININT64, G_MAXINT64, out, NULL);
}

gboolean
hv_config_get_int (HvConfig    *self,
                   const char  *key,
                   const char  *unit,
                   gint64       fallback,
                   gint64      *out,
                   GError     **error)
{
  GVariant *value = hv_config_get_value (self, key);
  g_autofree char *shown = NULL;

  if (value == NULL)
    {
      *out = fallback;
      return TRUE;
    }
  if (g_variant_is_of_type (value, G_VARIANT_TYPE_INT64))
    {
      *out = g_variant_get_int64 (value);
      return TRUE;
    }
  if (g_variant_is_of_type (value, G_VARIANT_TYPE_STRING) &&
      string_to_int (g_variant_get_string (value, NULL), out))
    return TRUE;

  shown = hv_config_value_to_string (value);
  if (unit != NULL)
    hv_config_set_key_error (self, error, HV_CONFIG_ERROR_TYPE, key,
                             _("expected an integer (%s), got %s"), unit, shown);
  else
    hv_config_set_key_error (self, error, HV_CONFIG_ERROR_TYPE, key,
                             _("expected an integer, got %s"), shown);
  return FALSE;
}

static gboolean
string_to_bool (const char *text,
                gboolean   *out)
{
  static const char * const yes[] = { "1", "y", "yes", "t", "true", "on", NULL };
  static const char * const no[] = { "0", "n", "no", "f", "false", "off", NULL };
  g_autofree char *word = g_ascii_strdown (text, -1);

  g_strstrip (word);
  if (g_strv_contains (yes, word))
    *out = TRUE;
  else if (g_strv_contains (no, word))
    *out = FALSE;
  else
    return FALSE;
  return TRUE;
}

gboolean
hv_config_get_bool (HvConfig   *self,
                    const char *key,
                    gboolean    fallback,
                    gboolean   *out,
                    GError    **error)
{
  GVariant *value = hv_config_get_value (self, key);
  g_autofree char *shown = NULL;

  if (value == NULL)
    {
      *out = fallback;
      return TRUE;
    }
  if (g_variant_is_of_type (value, G_VARIANT_TYPE_BOOLEAN))
    {
      *out = g_variant_get_boolean (value);
      return TRUE;
    }
  if (g_variant_is_of_type (value, G_VARIANT_TYPE_INT64))
    {
      *out = g_variant_get_int64 (value) != 0;
      return TRUE;
    }
  if (g_variant_is_of_type (value, G_VARIANT_TYPE_STRING) &&
      string_to_bool (g_variant_get_string (value, NULL), out))
    return TRUE;

  shown = hv_config_value_to_string (value);
  hv_config_set_key_error (self, error, HV_CONFIG_ERROR_TYPE, key,
                           _("expected 1 or 0 (or True or False), got %s"), shown);
  return FALSE;
}

gboolean
hv_config_get_string_list (HvConfig   *self,
                           const char *key,
                           GStrv      *out,
                           GError    **error)
{
  GVariant *value = hv_config_get_value (self, key);
  g_autoptr(GStrvBuilder) builder = NULL;
  g_autofree char *shown = NULL;
  gsize n;

  if (value == NULL)
    {
      *out = g_new0 (char *, 1);
      return TRUE;
    }
  if (g_variant_is_of_type (value, G_VARIANT_TYPE_STRING))
    {
      const char *items[] = { g_variant_get_string (value, NULL), NULL };

      *out = g_strdupv ((char **) items);
      return TRUE;
    }
  if (!g_variant_is_of_type (value, G_VARIANT_TYPE ("av")))
    {
      shown = hv_config_value_to_string (value);
      hv_config_set_key_error (self, error, HV_CONFIG_ERROR_TYPE, key,
                               _("expected a list of strings, got %s"), shown);
      return FALSE;
    }

  builder = g_strv_builder_new ();
  n = g_variant_n_children (value);
  for (gsize i = 0; i < n; i++)
    {
      g_autoptr(GVariant) boxed = g_variant_get_child_value (value, i);
      g_autoptr(GVariant) item = g_variant_get_variant (boxed);

      if (!g_variant_is_of_type (item, G_VARIANT_TYPE_STRING))
        {
          shown = hv_config_value_to_string (item);
          hv_config_set_key_error (self, error, HV_CONFIG_ERROR_TYPE, key,
                                   _("item %u: expected a string, got %s"),
                                   (guint) i + 1, shown);
          return FALSE;
        }
      g_strv_builder_add (builder, g_variant_get_string (item, NULL));
    }
  *out = g_strv_builder_end (builder);
  return TRUE;
}

/* ------------------------------------------------------------------------- */
/* Writer                                                                     */

static void
append_quoted (GString    *out,
               const char *text,
               char        preferred_quote)
{
  char quote = preferred_quote;

  /* Pick the quote that needs no escaping, as a person would. */
  if (strchr (text, quote) != NULL)
    {
      char other = quote == '"' ? '\'' : '"';

      if (strchr (text, other) == NULL)
        quote = other;
    }

  g_string_append_c (out, quote);
  for (const char *c = text; *c != '\0'; c++)
    {
      switch (*c)
        {
        case '\\': g_string_append (out, "\\\\"); break;
        case '\n': g_string_append (out, "\\n"); break;
        case '\t': g_string_append (out, "\\t"); break;
        case '\r': g_string_append (out, "\\r"); break;
        default:
          if (*c == quote)
            g_string_append_printf (out, "\\%c", *c);
          else if ((guchar) *c < 0x20 || *c == 0x7f)
            g_string_append_printf (out, "\\x%02x", (guchar) *c);
          else
            g_string_append_c (out, *c);
        }
    }
  g_string_append_c (out, quote);
}

static void append_value (GString *out, GVariant *value, guint depth, gboolean one_per_line);

static void
append_list (GString  *out,
             GVariant *value,
             guint     depth,
             gboolean  one_per_line)
{
  gsize n = g_variant_n_children (value);

  if (n == 0)
    {
      g_string_append (out, "[]");
      return;
    }

  g_string_append (out, one_per_line ? "[\n" : "[ ");
  for (gsize i = 0; i < n; i++)
    {
      g_autoptr(GVariant) boxed = g_variant_get_child_value (value, i);
      g_autoptr(GVariant) item = g_variant_get_variant (boxed);

      if (one_per_line)
        g_string_append (out, "    ");
      append_value (out, item, depth + 1, FALSE);
      if (one_per_line)
        g_string_append (out, ",\n");
      else if (i + 1 < n)
        g_string_append (out, ", ");
    }
  g_string_append (out, one_per_line ? "]" : " ]");
}

static void
append_value (GString  *out,
              GVariant *value,
              guint     depth,
              gboolean  one_per_line)
{
  if (g_variant_is_of_type (value, G_VARIANT_TYPE_STRING))
    append_quoted (out, g_variant_get_string (value, NULL), depth == 0 ? '"' : '\'');
  else if (g_variant_is_of_type (value, G_VARIANT_TYPE_INT64))
    g_string_append_printf (out, "%" G_GINT64_FORMAT, g_variant_get_int64 (value));
  else if (g_variant_is_of_type (value, G_VARIANT_TYPE_BOOLEAN))
    g_string_append (out, g_variant_get_boolean (value) ? "True" : "False");
  else if (g_variant_is_of_type (value, G_VARIANT_TYPE_DOUBLE))
    {
      char buffer[G_ASCII_DTOSTR_BUF_SIZE];

      g_ascii_dtostr (buffer, sizeof buffer, g_variant_get_double (value));
      g_string_append (out, buffer);
      if (strpbrk (buffer, ".eEn") == NULL)
        g_string_append (out, ".0");
    }
  else if (g_variant_is_of_type (value, G_VARIANT_TYPE ("av")))
    append_list (out, value, depth, one_per_line);
  else
    g_return_if_reached ();
}

char *
hv_config_value_to_string (GVariant *value)
{
  GString *out = g_string_new (NULL);

  append_value (out, value, 0, FALSE);
  return g_string_free (out, FALSE);
}

static gboolean
is_supported_value (GVariant *value)
{
  if (g_variant_is_of_type (value, G_VARIANT_TYPE ("av")))
    {
      gsize n = g_variant_n_children (value);

      for (gsize i = 0; i < n; i++)
        {
          g_autoptr(GVariant) boxed = g_variant_get_child_value (value, i);
          g_autoptr(GVariant) item = g_variant_get_variant (boxed);

          if (!is_supported_value (item))
            return FALSE;
        }
      return TRUE;
    }
  return g_variant_is_of_type (value, G_VARIANT_TYPE_STRING) ||
         g_variant_is_of_type (value, G_VARIANT_TYPE_INT64) ||
         g_variant_is_of_type (value, G_VARIANT_TYPE_DOUBLE) ||
         g_variant_is_of_type (value, G_VARIANT_TYPE_BOOLEAN);
}

/* Replaces text[start, end) and moves every later entry along with it. */
static void
splice_text (HvConfig   *self,
             gsize       start,
             gsize       end,
             const char *replacement)
{
  gsize added = strlen (replacement);
  gssize delta = (gssize) added - (gssize) (end - start);

  g_string_erase (self->text, start, end - start);
  g_string_insert (self->text, start, replacement);

  for (guint i = 0; i < self->entries->len; i++)
    {
      Entry *entry = g_ptr_array_index (self->entries, i);

      if (entry->start >= end)
        {
          entry->start += delta;
          entry->value_start += delta;
          entry->end += delta;
        }
    }
}

void
hv_config_set_value (HvConfig   *self,
                     const char *key,
                     GVariant   *value)
{
  g_autoptr(GVariant) owned = NULL;
  g_autoptr(GString) spelled = g_string_new (NULL);
  Entry *entry;

  g_return_if_fail (HV_IS_CONFIG (self));
  g_return_if_fail (key != NULL && is_name_start (key[0]));
  g_return_if_fail (value != NULL);

  owned = g_variant_ref_sink (value);
  g_return_if_fail (is_supported_value (owned));

  entry = find_entry (self, key);
  if (entry != NULL)
    {
      /* A list that was spread over several lines stays spread out. */
      gboolean was_multiline = memchr (self->text->str + entry->value_start, '\n',
                                       entry->end - entry->value_start) != NULL;

      append_value (spelled, owned, 0, was_multiline);
      splice_text (self, entry->value_start, entry->end, spelled->str);
      entry->end = entry->value_start + spelled->len;
      g_variant_unref (entry->value);
      entry->value = g_steal_pointer (&owned);
      return;
    }

  if (self->text->len > 0 && self->text->str[self->text->len - 1] != '\n')
    g_string_append_c (self->text, '\n');

  entry = g_new0 (Entry, 1);
  entry->key = g_strdup (key);
  entry->start = self->text->len;
  g_string_append_printf (self->text, "%s = ", key);
  entry->value_start = self->text->len;
  append_value (self->text, owned, 0, FALSE);
  entry->end = self->text->len;
  g_string_append_c (self->text, '\n');
  entry->value = g_steal_pointer (&owned);
  g_ptr_array_add (self->entries, entry);
}

void
hv_config_set_string (HvConfig   *self,
                      const char *key,
                      const char *value)
{
  hv_config_set_value (self, key, g_variant_new_string (value));
}

void
hv_config_set_int (HvConfig   *self,
                   const char *key,
                   gint64      value)
{
  hv_config_set_value (self, key, g_variant_new_int64 (value));
}

void
hv_config_set_string_list (HvConfig           *self,
                           const char         *key,
                           const char * const *values)
{
  g_autoptr(GVariantBuilder) items = g_variant_builder_new (G_VARIANT_TYPE ("av"));

  for (gsize i = 0; values != NULL && values[i] != NULL; i++)
    g_variant_builder_add (items, "v", g_variant_new_string (values[i]));
  hv_config_set_value (self, key, g_variant_builder_end (items));
}

/* Blanks as the parser skips them within a line: spaces, tabs, form feeds, a '\r'
 * that does not end the line, and backslash-newline continuations. */
static gsize
skip_blank_run (const char *text,
                gsize       length,
                gsize       pos)
{
  /* text is a GString's buffer: text[length] is a NUL, so looking one ahead is safe. */
  for (;;)
    {
      if (pos >= length)
        return pos;
      if (text[pos] == ' ' || text[pos] == '\t' || text[pos] == '\f')
        pos++;
      else if (text[pos] == '\r' && text[pos + 1] != '\n')
        pos++;
      else if (text[pos] == '\\' && text[pos + 1] == '\n')
        pos += 2;
      else if (text[pos] == '\\' && text[pos + 1] == '\r' && pos + 2 < length && text[pos + 2] == '\n')
        pos += 3;
      else
        return pos;
    }
}

/* The span to cut for an entry: its whole line(s) when nothing else shares them. */
static void
removal_span (HvConfig *self,
              Entry    *entry,
              gsize    *start,
              gsize    *end)
{
  const char *text = self->text->str;
  gsize length = self->text->len;
  gsize line_start = entry->start;
  gsize after;

  while (line_start > 0 && (text[line_start - 1] == ' ' || text[line_start - 1] == '\t'))
    line_start--;

  after = skip_blank_run (text, length, entry->end);
  if (after < length && text[after] == '#')
    while (after < length && text[after] != '\n')
      after++;
  if (after < length && text[after] == '\r' && text[after + 1] == '\n')
    after++;

  if ((line_start == 0 || text[line_start - 1] == '\n') &&
      (after == length || text[after] == '\n'))
    {
      *start = line_start;
      *end = after < length ? after + 1 : after;
      return;
    }

  /* It shares its line with another statement: cut it, its ';' and the blanks after
   * them, so that the next statement is not left indented. */
  after = skip_blank_run (text, length, entry->end);
  if (after < length && text[after] == ';')
    after = skip_blank_run (text, length, after + 1);
  *start = entry->start;
  *end = after;
}

gboolean
hv_config_remove (HvConfig   *self,
                  const char *key)
{
  gboolean removed = FALSE;
  Entry *entry;

  g_return_val_if_fail (HV_IS_CONFIG (self), FALSE);

  while ((entry = find_entry (self, key)) != NULL)
    {
      gsize start, end;

      removal_span (self, entry, &start, &end);
      g_ptr_array_remove (self->entries, entry);
      splice_text (self, start, end, "");
      removed = TRUE;
    }
  return removed;
}

char *
hv_config_to_data (HvConfig *self,
                   gsize    *length)
{
  g_return_val_if_fail (HV_IS_CONFIG (self), NULL);

  if (length != NULL)
    *length = self->text->len;
  return g_strndup (self->text->str, self->text->len);
}

gboolean
hv_config_save (HvConfig   *self,
                const char *path,
                GError    **error)
{
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (HV_IS_CONFIG (self), FALSE);

  /* g_file_set_contents_full writes a temporary file and renames it over the old one. */
  if (!g_file_set_contents_full (path, self->text->str, self->text->len,
                                 G_FILE_SET_CONTENTS_CONSISTENT, 0600, &local_error))
    {
      g_set_error (error, HV_CONFIG_ERROR, HV_CONFIG_ERROR_IO, "%s", local_error->message);
      return FALSE;
    }
  return TRUE;
}

gboolean
hv_config_equal (HvConfig *a,
                 HvConfig *b)
{
  g_auto(GStrv) keys_a = NULL;
  g_auto(GStrv) keys_b = NULL;

  g_return_val_if_fail (HV_IS_CONFIG (a) && HV_IS_CONFIG (b), FALSE);

  keys_a = hv_config_dup_keys (a);
  keys_b = hv_config_dup_keys (b);
  if (g_strv_length (keys_a) != g_strv_length (keys_b))
    return FALSE;

  for (guint i = 0; keys_a[i] != NULL; i++)
    {
      GVariant *value_b = hv_config_get_value (b, keys_a[i]);

      if (value_b == NULL || !g_variant_equal (hv_config_get_value (a, keys_a[i]), value_b))
        return FALSE;
    }
  return TRUE;
}
