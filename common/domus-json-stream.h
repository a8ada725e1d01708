/* SPDX-License-Identifier: GPL-3.0-or-later */
/* One JSON value per line over a GIOStream: the framing that domusd, its clients and QMP share. */

#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define DOMUS_JSON_STREAM_ERROR (domus_json_stream_error_quark ())

typedef enum {
  DOMUS_JSON_STREAM_ERROR_PARSE,       /* a line that is not JSON; the stream carries on */
  DOMUS_JSON_STREAM_ERROR_TOO_LARGE,   /* a line over the limit, skipped to its end; the stream carries on */
  DOMUS_JSON_STREAM_ERROR_OVERFLOW,    /* the peer does not read: the output queue is full; the stream closes */
  DOMUS_JSON_STREAM_ERROR_IO,          /* reading or writing failed; the stream closes */
  DOMUS_JSON_STREAM_ERROR_TOO_DEEP,    /* nested deeper than the limit, skipped unparsed; the stream carries on */
  DOMUS_JSON_STREAM_ERROR_INEXACT,     /* a value json-glib would change, skipped; the stream carries on */
} DomusJsonStreamError;

/*
 * How deeply a line may nest arrays and objects. json-glib parses, copies, frees and
 * writes a value by recursion, one stack frame per level: a line of 100,000 "[" (well
 * under any line limit) would overflow the stack. A deeper line is refused before it is
 * parsed. No message of the protocol or of QMP comes near this.
 */
#define DOMUS_JSON_STREAM_MAX_DEPTH 128

GQuark domus_json_stream_error_quark (void);

#define DOMUS_TYPE_JSON_STREAM (domus_json_stream_get_type ())
G_DECLARE_FINAL_TYPE (DomusJsonStream, domus_json_stream, DOMUS, JSON_STREAM, GObject)

/*
 * Signals (all emitted in the thread-default main context of the caller of _start):
 *   "message"   (JsonNode *value)           a line that parsed; any JSON value
 *   "bad-line"  (const GError *error)       PARSE, TOO_LARGE, TOO_DEEP or INEXACT; the owner decides
 *                                           whether to go on
 *   "closed"    (const GError *error)       once: NULL after a clean end of input or _close,
 *                                           else IO or OVERFLOW. Nothing is emitted after it.
 * Lines end with "\n"; a "\r" before it is accepted (QMP sends "\r\n"). Blank lines are skipped.
 * A last line without its newline counts once the input ends.
 */
DomusJsonStream *domus_json_stream_new             (GIOStream       *stream,
                                                    gsize            max_line_size,
                                                    gsize            max_queued_output);
GIOStream       *domus_json_stream_get_stream      (DomusJsonStream *self);

/*
 * Every stream refuses (as an INEXACT bad line) a number beyond the range of a double:
 * json-glib would make it infinite, which no JSON can carry back. An exact stream also
 * refuses a line with a NUL in a string ("\u0000" or a raw zero byte: json-glib's strings
 * end at the first), and reads an integer outside 64 bits as a double (json-glib would wrap
 * it: 2^64 - 1 would become -1), so that an owner expecting an integer refuses it as the
 * wrong type. For peers whose words are taken at face value, such as a daemon's clients.
 * Call before _start.
 */
void             domus_json_stream_set_exact       (DomusJsonStream *self,
                                                    gboolean         exact);

/* Starts reading; until then nothing arrives (so the owner can connect its signals). */
void             domus_json_stream_start           (DomusJsonStream *self);

/*
 * Queues one value as one compact line, always valid UTF-8 (bytes of strings that are not
 * become U+FFFD); silently dropped once closed.
 */
void             domus_json_stream_send            (DomusJsonStream *self,
                                                    JsonNode        *value);

/* Closes now (queued output is lost) and emits "closed" with NULL. */
void             domus_json_stream_close           (DomusJsonStream *self);

/* Closes once every queued line is written ("closed" then comes with NULL). */
void             domus_json_stream_close_when_flushed (DomusJsonStream *self);

/*
 * After the end of input the stream closes itself once its queue is written, unless
 * held: each hold (a reply still being worked out) keeps it open until released.
 * A peer that only shut down its writing end is waited for; one that closed the
 * connection altogether (a Unix socket reports the hang-up) is not: the stream closes
 * at once, holds or not, and what is sent after that goes nowhere.
 */
void             domus_json_stream_hold            (DomusJsonStream *self);
void             domus_json_stream_release         (DomusJsonStream *self);

gboolean         domus_json_stream_is_closed       (DomusJsonStream *self);
/* TRUE after the peer finished sending (end of input); output may still be flowing. */
gboolean         domus_json_stream_is_input_done   (DomusJsonStream *self);
gsize            domus_json_stream_get_queued_bytes (DomusJsonStream *self);

G_END_DECLS
