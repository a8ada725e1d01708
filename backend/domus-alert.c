/* SPDX-License-Identifier: GPL-3.0-or-later */
/* One alert of a host, as its daemon raised it (or as this client saw the host go). */

#include "config.h"

#include "domus-alert.h"

G_DEFINE_ENUM_TYPE (DomusAlertKind, domus_alert_kind,
  G_DEFINE_ENUM_VALUE (DOMUS_ALERT_KIND_OTHER, "other"),
  G_DEFINE_ENUM_VALUE (DOMUS_ALERT_KIND_DOMAIN_CRASHED, "domain-crashed"),
  G_DEFINE_ENUM_VALUE (DOMUS_ALERT_KIND_DOMAIN_STOPPED, "domain-stopped"),
  G_DEFINE_ENUM_VALUE (DOMUS_ALERT_KIND_CPU, "cpu"),
  G_DEFINE_ENUM_VALUE (DOMUS_ALERT_KIND_MEMORY, "memory"),
  G_DEFINE_ENUM_VALUE (DOMUS_ALERT_KIND_DISK_SPACE, "disk-space"),
  G_DEFINE_ENUM_VALUE (DOMUS_ALERT_KIND_HOST_LOST, "host-lost"))

struct _DomusAlert
{
  GObject         parent_instance;

  guint64         id;
  gint64          time_us;
  DomusAlertKind  kind;
  char           *domain_name;
  char           *path;
  char           *message;
  double          value;
  guint           threshold;
  gboolean        acknowledged;
  char           *host_name;
  gboolean        local;
};

G_DEFINE_FINAL_TYPE (DomusAlert, domus_alert, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ID,
  PROP_TIME_US,
  PROP_KIND,
  PROP_DOMAIN_NAME,
  PROP_PATH,
  PROP_MESSAGE,
  PROP_VALUE,
  PROP_THRESHOLD,
  PROP_ACKNOWLEDGED,
  PROP_HOST_NAME,
  PROP_LOCAL,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

const char *
domus_alert_kind_to_string (DomusAlertKind kind)
{
  GEnumClass *klass = g_type_class_ref (DOMUS_TYPE_ALERT_KIND);
  GEnumValue *value = g_enum_get_value (klass, kind);

  g_type_class_unref (klass);
  return value != NULL ? value->value_nick : "other";
}

static DomusAlertKind
kind_from_string (const char *text)
{
  GEnumClass *klass = g_type_class_ref (DOMUS_TYPE_ALERT_KIND);
  GEnumValue *value = text != NULL ? g_enum_get_value_by_nick (klass, text) : NULL;
  DomusAlertKind kind = value != NULL ? (DomusAlertKind) value->value : DOMUS_ALERT_KIND_OTHER;

  g_type_class_unref (klass);
  /* host-lost is this client's word: a daemon that said it would mean something else. */
  return kind == DOMUS_ALERT_KIND_HOST_LOST ? DOMUS_ALERT_KIND_OTHER : kind;
}

static void
domus_alert_finalize (GObject *object)
{
  DomusAlert *self = DOMUS_ALERT (object);

  g_free (self->domain_name);
  g_free (self->path);
  g_free (self->message);
  g_free (self->host_name);
  G_OBJECT_CLASS (domus_alert_parent_class)->finalize (object);
}

static void
domus_alert_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  DomusAlert *self = DOMUS_ALERT (object);

  switch (prop_id)
    {
    case PROP_ID:           g_value_set_uint64 (value, self->id); break;
    case PROP_TIME_US:      g_value_set_int64 (value, self->time_us); break;
    case PROP_KIND:         g_value_set_enum (value, self->kind); break;
    case PROP_DOMAIN_NAME:  g_value_set_string (value, self->domain_name); break;
    case PROP_PATH:         g_value_set_string (value, self->path); break;
    case PROP_MESSAGE:      g_value_set_string (value, self->message); break;
    case PROP_VALUE:        g_value_set_double (value, self->value); break;
    case PROP_THRESHOLD:    g_value_set_uint (value, self->threshold); break;
    case PROP_ACKNOWLEDGED: g_value_set_boolean (value, self->acknowledged); break;
    case PROP_HOST_NAME:    g_value_set_string (value, self->host_name); break;
    case PROP_LOCAL:        g_value_set_boolean (value, self->local); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
domus_alert_class_init (DomusAlertClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;

  object_class->finalize = domus_alert_finalize;
  object_class->get_property = domus_alert_get_property;

  properties[PROP_ID] = g_param_spec_uint64 ("id", NULL, NULL, 0, G_MAXUINT64, 0, flags);
  properties[PROP_TIME_US] = g_param_spec_int64 ("time-us", NULL, NULL, G_MININT64, G_MAXINT64, 0, flags);
  properties[PROP_KIND] = g_param_spec_enum ("kind", NULL, NULL, DOMUS_TYPE_ALERT_KIND,
                                             DOMUS_ALERT_KIND_OTHER, flags);
  properties[PROP_DOMAIN_NAME] = g_param_spec_string ("domain-name", NULL, NULL, NULL, flags);
  properties[PROP_PATH] = g_param_spec_string ("path", NULL, NULL, NULL, flags);
  properties[PROP_MESSAGE] = g_param_spec_string ("message", NULL, NULL, NULL, flags);
  properties[PROP_VALUE] = g_param_spec_double ("value", NULL, NULL, -G_MAXDOUBLE, G_MAXDOUBLE, -1, flags);
  properties[PROP_THRESHOLD] = g_param_spec_uint ("threshold", NULL, NULL, 0, G_MAXUINT, 0, flags);
  properties[PROP_ACKNOWLEDGED] = g_param_spec_boolean ("acknowledged", NULL, NULL, FALSE,
                                                        flags | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_HOST_NAME] = g_param_spec_string ("host-name", NULL, NULL, NULL, flags);
  properties[PROP_LOCAL] = g_param_spec_boolean ("local", NULL, NULL, FALSE, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
domus_alert_init (DomusAlert *self)
{
  self->value = -1;
}

DomusAlert *
_domus_alert_new (guint64     id,
                  gint64      time_us,
                  const char *kind,
                  const char *domain_name,
                  const char *path,
                  const char *message,
                  double      value,
                  guint       threshold,
                  gboolean    acknowledged,
                  const char *host_name)
{
  DomusAlert *self = g_object_new (DOMUS_TYPE_ALERT, NULL);

  self->id = id;
  self->time_us = time_us;
  self->kind = kind_from_string (kind);
  self->domain_name = g_strdup (domain_name);
  self->path = g_strdup (path);
  self->message = g_strdup (message);
  self->value = value;
  self->threshold = threshold;
  self->acknowledged = acknowledged;
  self->host_name = g_strdup (host_name);
  return self;
}

DomusAlert *
_domus_alert_new_host_lost (const char *host_name,
                            const char *message)
{
  DomusAlert *self = g_object_new (DOMUS_TYPE_ALERT, NULL);

  self->time_us = g_get_real_time ();
  self->kind = DOMUS_ALERT_KIND_HOST_LOST;
  self->message = g_strdup (message);
  self->host_name = g_strdup (host_name);
  self->local = TRUE;
  return self;
}

void
_domus_alert_set_acknowledged (DomusAlert *self,
                               gboolean    acknowledged)
{
  g_return_if_fail (DOMUS_IS_ALERT (self));

  acknowledged = !!acknowledged;
  if (self->acknowledged == acknowledged)
    return;
  self->acknowledged = acknowledged;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ACKNOWLEDGED]);
}

guint64
domus_alert_get_id (DomusAlert *self)
{
  g_return_val_if_fail (DOMUS_IS_ALERT (self), 0);
  return self->id;
}

gint64
domus_alert_get_time_us (DomusAlert *self)
{
  g_return_val_if_fail (DOMUS_IS_ALERT (self), 0);
  return self->time_us;
}

DomusAlertKind
domus_alert_get_kind (DomusAlert *self)
{
  g_return_val_if_fail (DOMUS_IS_ALERT (self), DOMUS_ALERT_KIND_OTHER);
  return self->kind;
}

const char *
domus_alert_get_domain_name (DomusAlert *self)
{
  g_return_val_if_fail (DOMUS_IS_ALERT (self), NULL);
  return self->domain_name;
}

const char *
domus_alert_get_path (DomusAlert *self)
{
  g_return_val_if_fail (DOMUS_IS_ALERT (self), NULL);
  return self->path;
}

const char *
domus_alert_get_message (DomusAlert *self)
{
  g_return_val_if_fail (DOMUS_IS_ALERT (self), NULL);
  return self->message;
}

double
domus_alert_get_value (DomusAlert *self)
{
  g_return_val_if_fail (DOMUS_IS_ALERT (self), -1);
  return self->value;
}

guint
domus_alert_get_threshold (DomusAlert *self)
{
  g_return_val_if_fail (DOMUS_IS_ALERT (self), 0);
  return self->threshold;
}

gboolean
domus_alert_get_acknowledged (DomusAlert *self)
{
  g_return_val_if_fail (DOMUS_IS_ALERT (self), FALSE);
  return self->acknowledged;
}

const char *
domus_alert_get_host_name (DomusAlert *self)
{
  g_return_val_if_fail (DOMUS_IS_ALERT (self), NULL);
  return self->host_name;
}

gboolean
domus_alert_get_local (DomusAlert *self)
{
  g_return_val_if_fail (DOMUS_IS_ALERT (self), FALSE);
  return self->local;
}
