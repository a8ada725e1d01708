/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The kind of a host: the abstract class, the structs drivers answer with, and the choice by URI. */

#include "config.h"

#include "domus-daemon-driver.h"
#include "domus-host-driver.h"
#if HAVE_LIBVIRT
#include "domus-libvirt.h"
#include "domus-libvirt-driver.h"
#endif

typedef struct {
  DomusHost *host;    /* weak: the host owns its driver */
  char      *uri;
} DomusHostDriverPrivate;

G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE (DomusHostDriver, domus_host_driver, G_TYPE_OBJECT)

/* The structs */

DomusHostFacts *
domus_host_facts_new (void)
{
  DomusHostFacts *facts = g_new0 (DomusHostFacts, 1);

  facts->cpus = -1;
  facts->memory_mib = -1;
  return facts;
}

void
domus_host_facts_free (DomusHostFacts *facts)
{
  if (facts == NULL)
    return;
  g_free (facts->name);
  g_free (facts->version);
  g_free (facts->hypervisor);
  g_free (facts->hypervisor_version);
  g_free (facts->accelerator);
  g_free (facts);
}

void
domus_driver_file_free (DomusDriverFile *file)
{
  if (file == NULL)
    return;
  g_free (file->text);
  g_free (file->path);
  g_free (file);
}

void
domus_image_listing_free (DomusImageListing *listing)
{
  if (listing == NULL)
    return;
  g_free (listing->dir);
  g_clear_pointer (&listing->images, g_ptr_array_unref);
  g_free (listing);
}

/* Choosing the kind */

/*
 * A domusd host's addresses: unix:PATH, local, ssh://. A libvirt host's: the URIs whose
 * scheme is a libvirt driver, with or without a transport (qemu:///system,
 * qemu+ssh://…, xen:///system, test:///PATH.xml; domus_libvirt_uri_is_libvirt()), when
 * this Domus was built with libvirt. Nothing else above backend/ knows which is which.
 * An address no kind takes goes to the domusd driver, whose connect says what it accepts.
 */
static GType
driver_type_for_uri (const char *uri)
{
#if HAVE_LIBVIRT
  if (uri != NULL && domus_libvirt_uri_is_libvirt (uri))
    return DOMUS_TYPE_LIBVIRT_DRIVER;
#endif
  return DOMUS_TYPE_DAEMON_DRIVER;
}

DomusHostDriver *
domus_host_driver_new_for_uri (DomusHost  *host,
                               const char *uri)
{
  return domus_host_driver_new (driver_type_for_uri (uri), host, uri);
}

const char *
domus_host_kind_for_uri (const char *uri)
{
  g_autoptr(GTypeClass) klass = g_type_class_ref (driver_type_for_uri (uri));

  return DOMUS_HOST_DRIVER_CLASS (klass)->kind;
}

DomusHostDriver *
domus_host_driver_new (GType       driver_type,
                       DomusHost  *host,
                       const char *uri)
{
  DomusHostDriver *self;
  DomusHostDriverPrivate *priv;

  g_return_val_if_fail (g_type_is_a (driver_type, DOMUS_TYPE_HOST_DRIVER), NULL);
  g_return_val_if_fail (DOMUS_IS_HOST (host), NULL);

  self = g_object_new (driver_type, NULL);
  priv = domus_host_driver_get_instance_private (self);
  g_set_weak_pointer (&priv->host, host);
  priv->uri = g_strdup (uri);
  return self;
}

DomusHost *
domus_host_driver_get_host (DomusHostDriver *self)
{
  DomusHostDriverPrivate *priv = domus_host_driver_get_instance_private (self);

  g_return_val_if_fail (DOMUS_IS_HOST_DRIVER (self), NULL);
  return priv->host;
}

const char *
domus_host_driver_get_uri (DomusHostDriver *self)
{
  DomusHostDriverPrivate *priv = domus_host_driver_get_instance_private (self);

  g_return_val_if_fail (DOMUS_IS_HOST_DRIVER (self), NULL);
  return priv->uri;
}

void
domus_alert_rules_free (DomusAlertRules *rules)
{
  if (rules == NULL)
    return;
  g_clear_pointer (&rules->rules, g_variant_unref);
  g_free (rules->config_path);
  g_free (rules);
}

/* GObject */

static void
domus_host_driver_finalize (GObject *object)
{
  DomusHostDriverPrivate *priv = domus_host_driver_get_instance_private (DOMUS_HOST_DRIVER (object));

  g_clear_weak_pointer (&priv->host);
  g_free (priv->uri);
  G_OBJECT_CLASS (domus_host_driver_parent_class)->finalize (object);
}

static void
domus_host_driver_class_init (DomusHostDriverClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = domus_host_driver_finalize;
}

static void
domus_host_driver_init (DomusHostDriver *self)
{
}
