/* SPDX-License-Identifier: GPL-3.0-or-later */
/* One domain of a bulk action: a small model object the bulk dialog's rows follow. */

#include "config.h"

#include "domus-bulk-item.h"
#include "domus-host.h"

struct _DomusBulkItem
{
  GObject          parent_instance;

  DomusDomain     *domain;
  char            *name;
  char            *host_name;
  DomusBulkStatus  status;
  char            *message;
};

G_DEFINE_FINAL_TYPE (DomusBulkItem, domus_bulk_item, G_TYPE_OBJECT)

G_DEFINE_ENUM_TYPE (DomusBulkStatus, domus_bulk_status,
                    G_DEFINE_ENUM_VALUE (DOMUS_BULK_STATUS_WAITING, "waiting"),
                    G_DEFINE_ENUM_VALUE (DOMUS_BULK_STATUS_CHECKING, "checking"),
                    G_DEFINE_ENUM_VALUE (DOMUS_BULK_STATUS_READY, "ready"),
                    G_DEFINE_ENUM_VALUE (DOMUS_BULK_STATUS_RUNNING, "running"),
                    G_DEFINE_ENUM_VALUE (DOMUS_BULK_STATUS_SUCCEEDED, "succeeded"),
                    G_DEFINE_ENUM_VALUE (DOMUS_BULK_STATUS_FAILED, "failed"),
                    G_DEFINE_ENUM_VALUE (DOMUS_BULK_STATUS_SKIPPED, "skipped"))

enum {
  PROP_0,
  PROP_STATUS,
  PROP_MESSAGE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
domus_bulk_item_finalize (GObject *object)
{
  DomusBulkItem *self = DOMUS_BULK_ITEM (object);

  g_clear_object (&self->domain);
  g_free (self->name);
  g_free (self->host_name);
  g_free (self->message);

  G_OBJECT_CLASS (domus_bulk_item_parent_class)->finalize (object);
}

static void
domus_bulk_item_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  DomusBulkItem *self = DOMUS_BULK_ITEM (object);

  switch (prop_id)
    {
    case PROP_STATUS:
      g_value_set_enum (value, self->status);
      break;
    case PROP_MESSAGE:
      g_value_set_string (value, self->message);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
domus_bulk_item_class_init (DomusBulkItemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = domus_bulk_item_finalize;
  object_class->get_property = domus_bulk_item_get_property;

  properties[PROP_STATUS] =
    g_param_spec_enum ("status", NULL, NULL, DOMUS_TYPE_BULK_STATUS, DOMUS_BULK_STATUS_WAITING,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_MESSAGE] =
    g_param_spec_string ("message", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
domus_bulk_item_init (DomusBulkItem *self)
{
}

DomusBulkItem *
domus_bulk_item_new (DomusDomain *domain)
{
  DomusBulkItem *self = g_object_new (DOMUS_TYPE_BULK_ITEM, NULL);
  DomusHost *host = domus_domain_get_host (domain);

  self->domain = g_object_ref (domain);
  self->name = g_strdup (domus_domain_get_name (domain));
  self->host_name = g_strdup (host != NULL ? domus_host_get_name (host) : "");
  return self;
}

DomusDomain *
domus_bulk_item_get_domain (DomusBulkItem *self)
{
  g_return_val_if_fail (DOMUS_IS_BULK_ITEM (self), NULL);
  return self->domain;
}

const char *
domus_bulk_item_get_name (DomusBulkItem *self)
{
  g_return_val_if_fail (DOMUS_IS_BULK_ITEM (self), NULL);
  return self->name;
}

const char *
domus_bulk_item_get_host_name (DomusBulkItem *self)
{
  g_return_val_if_fail (DOMUS_IS_BULK_ITEM (self), NULL);
  return self->host_name;
}

DomusBulkStatus
domus_bulk_item_get_status (DomusBulkItem *self)
{
  g_return_val_if_fail (DOMUS_IS_BULK_ITEM (self), DOMUS_BULK_STATUS_WAITING);
  return self->status;
}

const char *
domus_bulk_item_get_message (DomusBulkItem *self)
{
  g_return_val_if_fail (DOMUS_IS_BULK_ITEM (self), NULL);
  return self->message;
}

void
domus_bulk_item_set_status (DomusBulkItem   *self,
                            DomusBulkStatus  status,
                            const char      *message)
{
  g_return_if_fail (DOMUS_IS_BULK_ITEM (self));

  if (g_strcmp0 (self->message, message) != 0)
    {
      g_free (self->message);
      self->message = g_strdup (message);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MESSAGE]);
    }
  /* The message first: whoever follows "status" reads the new one. */
  if (self->status != status)
    {
      self->status = status;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATUS]);
    }
}

gboolean
domus_bulk_item_is_finished (DomusBulkItem *self)
{
  g_return_val_if_fail (DOMUS_IS_BULK_ITEM (self), TRUE);
  return self->status == DOMUS_BULK_STATUS_SUCCEEDED || self->status == DOMUS_BULK_STATUS_FAILED
         || self->status == DOMUS_BULK_STATUS_SKIPPED;
}
