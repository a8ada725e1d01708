/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * xm ran its .cfg files as Python; Domus reads their literal assignments only. When a file
 * holds more Python than that (import, if, "%" formatting, "+" of strings, variables), this
 * says so and, where the file itself settles the value (literals, earlier assignments,
 * + - * // % on them), which literal to write instead. Nothing here is ever run: the
 * evaluation below only folds literals, and anything else (a call, an attribute, a name it
 * does not know) leaves the value unknown.
 */

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "hv-config.h"
#include "hv-config-private.h"

#define MAX_SHOWN_CHARS 72
#define MAX_DEPTH       32

/* ------------------------------------------------------------------------- */
/* Statements                                                                 */

static gsize
skip_string (const char *text,
             gsize       length,
             gsize       pos)
{
  char quote = text[pos];
  gboolean triple = pos + 2 < length && text[pos + 1] == quote && text[pos + 2] == quote;

  pos += triple ? 3 : 1;
  while (pos < length)
    {
      if (text[pos] == '\\' && pos + 1 < length)
        pos += 2;
      else if (!triple && text[pos] == quote)
        return pos + 1;
      else if (triple && pos + 2 < length && text[pos] == quote &&
               text[pos + 1] == quote && text[pos + 2] == quote)
        return pos + 3;
      else if (!triple && text[pos] == '\n')
        return pos;   /* unterminated: the line ends it */
      else
        pos++;
    }
  return pos;
}

static gboolean
line_is_indented (const char *text,
                  gsize       length,
                  gsize       pos)
{
  return pos < length && (text[pos] == ' ' || text[pos] == '\t');
}

gsize
hv_config_statement_end (const char *text,
                         gsize       length,
                         gsize       start)
{
  gsize pos = start;
  int depth = 0;
  char last = '\0';   /* the last character outside strings and comments */

  while (pos < length)
    {
      char c = text[pos];

      if (c == '\'' || c == '"')
        {
          pos = skip_string (text, length, pos);
          last = c;
          continue;
        }
      if (c == '#')
        {
          while (pos < length && text[pos] != '\n')
            pos++;
          continue;
        }
      if (c == '\\' && pos + 1 < length && text[pos + 1] == '\n')
        {
          pos += 2;
          continue;
        }
      if (c == '(' || c == '[' || c == '{')
        depth++;
      else if ((c == ')' || c == ']' || c == '}') && depth > 0)
        depth--;
      else if (c == ';' && depth == 0)
        return pos + 1;
      else if (c == '\n' && depth == 0)
        {
          pos++;
          /* A ':' opens a block (if, def, for): its indented lines belong to it. */
          if (last == ':')
            while (pos < length && (line_is_indented (text, length, pos) || text[pos] == '\n'))
              {
                while (pos < length && text[pos] != '\n')
                  pos++;
                if (pos < length)
                  pos++;
              }
          return pos;
        }
      if (c != ' ' && c != '\t' && c != '\r' && c != '\n')
        last = c;
      pos++;
    }
  return MAX (pos, MIN (start + 1, length));
}

/* ------------------------------------------------------------------------- */
/* Folding literals                                                           */

typedef struct {
  const char *text;
  gsize       end;       /* the statement's end: nothing past it is read */
  gsize       pos;
  GHashTable *names;     /* name → GVariant, for names the file set to a known value */
  guint       depth;
} Folder;

static GVariant *fold_sum (Folder *f);

static void
skip_space (Folder *f)
{
  while (f->pos < f->end &&
         (f->text[f->pos] == ' ' || f->text[f->pos] == '\t' || f->text[f->pos] == '\r' ||
          f->text[f->pos] == '\n' ||
          (f->text[f->pos] == '\\' && f->pos + 1 < f->end && f->text[f->pos + 1] == '\n')))
    f->pos += f->text[f->pos] == '\\' ? 2 : 1;
}

static gboolean
accept (Folder     *f,
        const char *token)
{
  skip_space (f);
  if (f->pos + strlen (token) <= f->end && strncmp (f->text + f->pos, token, strlen (token)) == 0)
    {
      f->pos += strlen (token);
      return TRUE;
    }
  return FALSE;
}

static gboolean
is_name_char (char c)
{
  return g_ascii_isalnum (c) || c == '_';
}

/* A tuple only ever stands right of '%': it is kept as "(av)". */
static gboolean
is_tuple (GVariant *value)
{
  return g_variant_is_of_type (value, G_VARIANT_TYPE ("(av)"));
}

static GVariant *
fold_parenthesis (Folder *f)
{
  g_autoptr(GVariantBuilder) items = g_variant_builder_new (G_VARIANT_TYPE ("av"));
  gboolean comma = FALSE;

  for (;;)
    {
      g_autoptr(GVariant) item = NULL;

      if (accept (f, ")"))
        break;
      item = fold_sum (f);
      if (item == NULL)
        return NULL;
      g_variant_builder_add (items, "v", item);
      if (accept (f, ","))
        {
          comma = TRUE;
          continue;
        }
      if (!accept (f, ")"))
        return NULL;
      if (!comma)
        {
          g_autoptr(GVariant) list = g_variant_ref_sink (g_variant_builder_end (items));
          g_autoptr(GVariant) only = g_variant_get_child_value (list, 0);

          return g_variant_get_variant (only);
        }
      break;
    }
  return g_variant_ref_sink (g_variant_new ("(@av)", g_variant_builder_end (items)));
}

static GVariant *
fold_list (Folder *f)
{
  g_autoptr(GVariantBuilder) items = g_variant_builder_new (G_VARIANT_TYPE ("av"));

  for (;;)
    {
      g_autoptr(GVariant) item = NULL;

      if (accept (f, "]"))
        break;
      item = fold_sum (f);
      if (item == NULL || is_tuple (item))
        return NULL;
      g_variant_builder_add (items, "v", item);
      if (accept (f, ","))
        continue;
      if (!accept (f, "]"))
        return NULL;
      break;
    }
  return g_variant_ref_sink (g_variant_builder_end (items));
}

static GVariant *
fold_atom (Folder *f)
{
  gsize start;
  char c;

  skip_space (f);
  if (f->pos >= f->end)
    return NULL;
  c = f->text[f->pos];
  if (c == '(')
    {
      f->pos++;
      return fold_parenthesis (f);
    }
  if (c == '[')
    {
      f->pos++;
      return fold_list (f);
    }
  if (g_ascii_isalpha (c) || c == '_')
    {
      g_autofree char *name = NULL;
      gsize quote = f->pos;
      GVariant *known;

      start = f->pos;
      while (f->pos < f->end && is_name_char (f->text[f->pos]))
        f->pos++;
      /* r'…' and u'…' are strings, not names. */
      if (f->pos < f->end && (f->text[f->pos] == '\'' || f->text[f->pos] == '"') && f->pos - start <= 2)
        f->pos = quote;
      else
        {
          name = g_strndup (f->text + start, f->pos - start);
          if (strcmp (name, "True") == 0 || strcmp (name, "False") == 0)
            return g_variant_ref_sink (g_variant_new_boolean (name[0] == 'T'));
          known = g_hash_table_lookup (f->names, name);
          return known != NULL ? g_variant_ref (known) : NULL;
        }
    }
  {
    GVariant *value = NULL;

    if (!hv_config_parse_literal (f->text, f->end, &f->pos, &value))
      return NULL;
    return value;
  }
}

/* A call, an attribute or an index makes the value something only Python knew. */
static GVariant *
fold_postfix (Folder *f)
{
  g_autoptr(GVariant) value = NULL;

  if (++f->depth > MAX_DEPTH)
    return NULL;
  value = fold_atom (f);
  f->depth--;
  skip_space (f);
  if (value == NULL ||
      (f->pos < f->end && (f->text[f->pos] == '(' || f->text[f->pos] == '.' || f->text[f->pos] == '[')))
    return NULL;
  return g_steal_pointer (&value);
}

static GVariant *
fold_unary (Folder *f)
{
  if (accept (f, "-"))
    {
      g_autoptr(GVariant) value = fold_unary (f);

      if (value == NULL || !g_variant_is_of_type (value, G_VARIANT_TYPE_INT64))
        return NULL;
      return g_variant_ref_sink (g_variant_new_int64 (-g_variant_get_int64 (value)));
    }
  return fold_postfix (f);
}

/* Python's "%" with %s, %d, %i, %x and %%; anything fancier leaves the value unknown. */
static GVariant *
format_percent (GVariant *format,
                GVariant *arguments)
{
  g_autoptr(GString) out = g_string_new (NULL);
  g_autoptr(GVariant) list = NULL;
  const char *p;
  gsize next = 0;

  if (!g_variant_is_of_type (format, G_VARIANT_TYPE_STRING))
    return NULL;
  if (is_tuple (arguments))
    list = g_variant_get_child_value (arguments, 0);
  else
    list = g_variant_ref_sink (g_variant_new_array (G_VARIANT_TYPE_VARIANT, (GVariant *[]) {
                                                      g_variant_new_variant (arguments) }, 1));
  for (p = g_variant_get_string (format, NULL); *p != '\0'; p++)
    {
      g_autoptr(GVariant) boxed = NULL;
      g_autoptr(GVariant) argument = NULL;

      if (*p != '%')
        {
          g_string_append_c (out, *p);
          continue;
        }
      p++;
      if (*p == '%')
        {
          g_string_append_c (out, '%');
          continue;
        }
      if (next >= g_variant_n_children (list) || strchr ("sdix", *p) == NULL || *p == '\0')
        return NULL;
      boxed = g_variant_get_child_value (list, next++);
      argument = g_variant_get_variant (boxed);
      if (g_variant_is_of_type (argument, G_VARIANT_TYPE_STRING) && *p == 's')
        g_string_append (out, g_variant_get_string (argument, NULL));
      else if (g_variant_is_of_type (argument, G_VARIANT_TYPE_INT64) && *p == 'x')
        g_string_append_printf (out, "%" G_GINT64_MODIFIER "x", g_variant_get_int64 (argument));
      else if (g_variant_is_of_type (argument, G_VARIANT_TYPE_INT64))
        g_string_append_printf (out, "%" G_GINT64_FORMAT, g_variant_get_int64 (argument));
      else
        return NULL;
    }
  if (next != g_variant_n_children (list))
    return NULL;
  return g_variant_ref_sink (g_variant_new_string (out->str));
}

static GVariant *
apply (char      op,
       GVariant *a,
       GVariant *b)
{
  gboolean ints = g_variant_is_of_type (a, G_VARIANT_TYPE_INT64) &&
                  g_variant_is_of_type (b, G_VARIANT_TYPE_INT64);
  gint64 x = ints ? g_variant_get_int64 (a) : 0;
  gint64 y = ints ? g_variant_get_int64 (b) : 0;

  if (op == '%' && g_variant_is_of_type (a, G_VARIANT_TYPE_STRING))
    return format_percent (a, b);
  if (op == '+' && g_variant_is_of_type (a, G_VARIANT_TYPE_STRING) &&
      g_variant_is_of_type (b, G_VARIANT_TYPE_STRING))
    {
      g_autofree char *joined = g_strconcat (g_variant_get_string (a, NULL),
                                             g_variant_get_string (b, NULL), NULL);

      return g_variant_ref_sink (g_variant_new_string (joined));
    }
  if (op == '+' && g_variant_is_of_type (a, G_VARIANT_TYPE ("av")) &&
      g_variant_is_of_type (b, G_VARIANT_TYPE ("av")))
    {
      g_autoptr(GVariantBuilder) items = g_variant_builder_new (G_VARIANT_TYPE ("av"));
      GVariant *parts[] = { a, b };

      for (guint i = 0; i < 2; i++)
        for (gsize j = 0; j < g_variant_n_children (parts[i]); j++)
          {
            g_autoptr(GVariant) item = g_variant_get_child_value (parts[i], j);

            g_variant_builder_add_value (items, item);
          }
      return g_variant_ref_sink (g_variant_builder_end (items));
    }
  /* Small numbers only: the folding must not overflow, and no config needs more. */
  if (!ints || x > G_MAXINT32 || x < G_MININT32 || y > G_MAXINT32 || y < G_MININT32)
    return NULL;
  switch (op)
    {
    case '+': return g_variant_ref_sink (g_variant_new_int64 (x + y));
    case '-': return g_variant_ref_sink (g_variant_new_int64 (x - y));
    case '*': return g_variant_ref_sink (g_variant_new_int64 (x * y));
    case '/':   /* xm's Python 2 divided integers as integers; an exact quotient is safe either way */
      return y != 0 && x % y == 0 ? g_variant_ref_sink (g_variant_new_int64 (x / y)) : NULL;
    case 'q': return y > 0 && x >= 0 ? g_variant_ref_sink (g_variant_new_int64 (x / y)) : NULL;
    case '%': return y > 0 && x >= 0 ? g_variant_ref_sink (g_variant_new_int64 (x % y)) : NULL;
    default:  return NULL;
    }
}

/* One level of Python's binary operators, left to right: `tokens` and `ops` pair up. */
static GVariant *
fold_level (Folder              *f,
            GVariant          *(*operand) (Folder *f),
            const char * const  *tokens,
            const char          *ops)
{
  g_autoptr(GVariant) value = operand (f);

  while (value != NULL)
    {
      g_autoptr(GVariant) right = NULL;
      GVariant *result;
      char op = '\0';

      for (guint i = 0; tokens[i] != NULL && op == '\0'; i++)
        if (accept (f, tokens[i]))
          op = ops[i];
      if (op == '\0')
        break;
      right = operand (f);
      if (right == NULL)
        return NULL;
      result = apply (op, value, right);
      g_variant_unref (value);
      value = result;
    }
  return g_steal_pointer (&value);
}

static GVariant *
fold_product (Folder *f)
{
  /* "//" before "/": the longer token first. */
  static const char * const tokens[] = { "//", "*", "/", "%", NULL };

  return fold_level (f, fold_unary, tokens, "q*/%");
}

static GVariant *
fold_sum (Folder *f)
{
  static const char * const tokens[] = { "+", "-", NULL };

  return fold_level (f, fold_product, tokens, "+-");
}

/* The value of the expression in [pos, end), or NULL when only Python could say. */
static GVariant *
fold_expression (const char *text,
                 gsize       pos,
                 gsize       end,
                 GHashTable *names)
{
  Folder f = { .text = text, .end = end, .pos = pos, .names = names };
  g_autoptr(GVariant) value = fold_sum (&f);

  if (value == NULL || is_tuple (value))
    return NULL;
  /* Only a comment or the statement's end may follow. */
  skip_space (&f);
  if (f.pos < f.end && text[f.pos] != '#' && text[f.pos] != ';')
    return NULL;
  return g_steal_pointer (&value);
}

/* ------------------------------------------------------------------------- */
/* Reading the file as far as the failing statement                          */

/* "name =" (not "==") at `pos`: the name's end and where its value starts. */
static gboolean
match_assignment (const char  *text,
                  gsize        end,
                  gsize        pos,
                  char       **name,
                  gsize       *value_start)
{
  gsize p = pos;

  if (p >= end || !(g_ascii_isalpha (text[p]) || text[p] == '_'))
    return FALSE;
  while (p < end && is_name_char (text[p]))
    p++;
  *name = g_strndup (text + pos, p - pos);
  while (p < end && (text[p] == ' ' || text[p] == '\t'))
    p++;
  if (p >= end || text[p] != '=' || (p + 1 < end && text[p + 1] == '='))
    {
      g_clear_pointer (name, g_free);
      return FALSE;
    }
  *value_start = p + 1;
  return TRUE;
}

/* Names a block or a statement other than a plain assignment may set: they become unknown. */
static void
forget_assigned_names (const char *text,
                       gsize       start,
                       gsize       end,
                       GHashTable *names)
{
  for (gsize p = start; p < end; p++)
    {
      g_autofree char *name = NULL;
      gsize value_start;

      if ((p == start || !is_name_char (text[p - 1])) &&
          match_assignment (text, end, p, &name, &value_start))
        g_hash_table_remove (names, name);
    }
}

static gsize
skip_line_blanks (const char *text,
                  gsize       length,
                  gsize       pos)
{
  while (pos < length && (text[pos] == ' ' || text[pos] == '\t' || text[pos] == '\r' || text[pos] == '\f'))
    pos++;
  return pos;
}

/* Folds every top-level assignment before `stop` into `names`. */
static void
read_names_before (const char *text,
                   gsize       length,
                   gsize       stop,
                   GHashTable *names)
{
  gsize pos = g_str_has_prefix (text, "\xEF\xBB\xBF") ? 3 : 0;

  while (pos < stop)
    {
      gsize line_start = pos;
      gsize end;
      g_autofree char *name = NULL;
      gsize value_start;

      pos = skip_line_blanks (text, length, pos);
      if (pos >= stop)
        break;
      if (text[pos] == '\n' || text[pos] == ';' || text[pos] == '#')
        {
          while (pos < length && text[pos] == '#')
            while (pos < length && text[pos] != '\n')
              pos++;
          pos++;
          continue;
        }
      end = MIN (hv_config_statement_end (text, length, pos), stop);
      if (pos == line_start && match_assignment (text, end, pos, &name, &value_start))
        {
          GVariant *value = fold_expression (text, value_start, end, names);

          if (value != NULL)
            g_hash_table_insert (names, g_steal_pointer (&name), value);
          else
            g_hash_table_remove (names, name);
        }
      else
        forget_assigned_names (text, pos, end, names);
      pos = end;
    }
}

/* ------------------------------------------------------------------------- */

static char *
shown_statement (const char *text,
                 gsize       length,
                 gsize       start)
{
  gsize end = start;
  g_autofree char *line = NULL;

  while (end < length && text[end] != '\n')
    end++;
  line = g_strstrip (g_strndup (text + start, end - start));
  if (g_utf8_strlen (line, -1) > MAX_SHOWN_CHARS)
    {
      g_autofree char *cut = g_utf8_substring (line, 0, MAX_SHOWN_CHARS - 1);

      return g_strconcat (cut, "…", NULL);
    }
  return g_steal_pointer (&line);
}

void
hv_config_explain_python (const char  *text,
                          gsize        length,
                          gsize        start,
                          const char  *filename,
                          GError     **error)
{
  g_autoptr(GHashTable) names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                       (GDestroyNotify) g_variant_unref);
  g_autofree char *shown = NULL;
  g_autofree char *name = NULL;
  gsize value_start;
  gsize statement = skip_line_blanks (text, length, start);
  gsize end = hv_config_statement_end (text, length, statement);
  guint line = 1;

  g_return_if_fail (error == NULL || *error != NULL);
  if (error == NULL)
    return;

  for (gsize i = 0; i < statement && i < length; i++)
    if (text[i] == '\n')
      line++;
  shown = shown_statement (text, length, statement);
  g_clear_error (error);

  if (statement == start && match_assignment (text, end, statement, &name, &value_start))
    {
      g_autoptr(GVariant) value = NULL;

      read_names_before (text, length, start, names);
      value = fold_expression (text, value_start, end, names);
      if (value != NULL)
        {
          g_autofree char *literal = hv_config_value_to_string (value);

          g_set_error (error, HV_CONFIG_ERROR, HV_CONFIG_ERROR_SYNTAX,
                       _("%s:%u: “%s” is Python: xm ran these files as Python programs, Domus reads "
                         "only their literal assignments. Write the value it had instead: %s = %s"),
                       filename, line, shown, name, literal);
        }
      else
        g_set_error (error, HV_CONFIG_ERROR, HV_CONFIG_ERROR_SYNTAX,
                     _("%s:%u: “%s” is Python: xm ran these files as Python programs, Domus reads "
                       "only their literal assignments. Write the value it had on your Xen host "
                       "instead, as a literal: %s = 'text', a number, or a [ list ]"),
                     filename, line, shown, name);
      return;
    }
  g_set_error (error, HV_CONFIG_ERROR, HV_CONFIG_ERROR_SYNTAX,
               _("%s:%u: “%s” is Python: xm ran these files as Python programs, Domus reads only "
                 "their literal assignments (key = 'text', key = 512, key = [ … ]). Remove it, and "
                 "write each value it was used to compute as a literal"),
               filename, line, shown);
}
