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
} DomusJsonStreamError;

GQuark domus_json_stream_error_quark (void);

#define DOMUS_TYPE_JSON_STREAM (domus_json_stream_get_type ())
G_DECLARE_FINAL_TYPE (DomusJsonStream, domus_json_stream, DOMUS, JSON_STREAM, GObject)

/*
 * Signals (all emitted in the thread-default main context of the caller of _start):
 *   "message"   (JsonNode *value)           a line that parsed; any JSON value
 *   "bad-line"  (const GError *error)       PARSE or TOO_LARGE; the owner decides whether to go on
 *   "closed"    (const GError *error)       once: NULL after a clean end of input or _close,
 *                                           else IO or OVERFLOW. Nothing is emitted after it.
 * Lines end with "\n"; a "\r" before it is accepted (QMP sends "\r\n"). Blank lines are skipped.
 */
DomusJsonStream *domus_json_stream_new             (GIOStream       *stream,
                                                    gsize            max_line_size,
                                                    gsize            max_queued_output);
GIOStream       *domus_json_stream_get_stream      (DomusJsonStream *self);

/* Starts reading; until then nothing arrives (so the owner can connect its signals). */
void             domus_json_stream_start           (DomusJsonStream *self);

/* Queues one value as one compact line; silently dropped once closed. */
void             domus_json_stream_send            (DomusJsonStream *self,
                                                    JsonNode        *value);

/* Closes now (queued output is lost) and emits "closed" with NULL. */
void             domus_json_stream_close           (DomusJsonStream *self);

/* Closes once every queued line is written ("closed" then comes with NULL). */
void             domus_json_stream_close_when_flushed (DomusJsonStream *self);

/*
 * After the end of input the stream closes itself once its queue is written, unless
 * held: each hold (a reply still being worked out) keeps it open until released.
 */
void             domus_json_stream_hold            (DomusJsonStream *self);
void             domus_json_stream_release         (DomusJsonStream *self);

gboolean         domus_json_stream_is_closed       (DomusJsonStream *self);
/* TRUE after the peer finished sending (end of input); output may still be flowing. */
gboolean         domus_json_stream_is_input_done   (DomusJsonStream *self);
gsize            domus_json_stream_get_queued_bytes (DomusJsonStream *self);

G_END_DECLS
