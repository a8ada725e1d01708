/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A libvirt host's domains: what each is (typed), and the calls that change them. */

#pragma once

#include <gio/gio.h>

#include "domus-domain.h"
#include "domus-libvirt-connection.h"

G_BEGIN_DECLS

/* The screen a domain offers, as its first <graphics> says. */
typedef enum {
  DOMUS_LIBVIRT_GRAPHICS_NONE,
  DOMUS_LIBVIRT_GRAPHICS_VNC,
  DOMUS_LIBVIRT_GRAPHICS_SPICE,   /* and no VNC: Domus cannot show it */
  DOMUS_LIBVIRT_GRAPHICS_OTHER,   /* sdl, rdp, desktop, dbus: nothing a client attaches to */
} DomusLibvirtGraphics;

typedef struct {
  char                 *uuid;
  char                 *name;
  gint64                id;            /* -1 while inactive */
  DomusDomainState      state;
  int                   vir_state;     /* virDomainState and its reason, as libvirt said */
  int                   vir_reason;
  gint64                memory_mib;    /* the configured maximum */
  gint64                vcpus;
  gint64                cpu_time_ns;   /* 0 while inactive */
  gboolean              persistent;    /* FALSE: a transient domain, gone once it stops */
  gboolean              autostart;
  GStrv                 tags;          /* from the Domus <metadata>; never NULL */
  DomusLibvirtGraphics  graphics;
  gboolean              has_serial;    /* a serial port or console a client can open */
  char                 *error;         /* state INVALID: why the domain could not be read */
} DomusLibvirtDomainInfo;

#define DOMUS_TYPE_LIBVIRT_DOMAIN_INFO (domus_libvirt_domain_info_get_type ())
GType                   domus_libvirt_domain_info_get_type (void) G_GNUC_CONST;
DomusLibvirtDomainInfo *domus_libvirt_domain_info_new      (void);
DomusLibvirtDomainInfo *domus_libvirt_domain_info_copy     (const DomusLibvirtDomainInfo *info);
void                    domus_libvirt_domain_info_free     (DomusLibvirtDomainInfo       *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DomusLibvirtDomainInfo, domus_libvirt_domain_info_free)

/* libvirt's state and reason as Domus's state (a domain starting up is STARTING). */
DomusDomainState  domus_libvirt_state_from_vir   (int                     vir_state,
                                                  int                     vir_reason);
/*
 * What the domain XML says that the info holds: name, uuid, memory, vcpus, tags,
 * graphics, serial. FALSE with DOMUS_ERROR_INVALID_CONFIG when xml is not a domain.
 * (Pure: no connection; the other members are left alone.)
 */
gboolean          domus_libvirt_domain_info_read_xml (DomusLibvirtDomainInfo *info,
                                                      const char             *xml,
                                                      GError                **error);
/* The element Domus keeps in <metadata> for these tags (without its namespace: libvirt adds it). */
char             *domus_libvirt_tags_to_metadata (const char * const     *tags);
/* The tags in that element as libvirt gives it back (with its namespace); never NULL. */
GStrv             domus_libvirt_tags_from_metadata (const char           *metadata);

/* Every domain of the host (a GPtrArray of DomusLibvirtDomainInfo, transfer full). */
void       domus_libvirt_list_domains_async  (DomusLibvirtConnection  *connection,
                                              GCancellable            *cancellable,
                                              GAsyncReadyCallback      callback,
                                              gpointer                 user_data);
GPtrArray *domus_libvirt_list_domains_finish (DomusLibvirtConnection  *connection,
                                              GAsyncResult            *result,
                                              GError                 **error);

/* The names of the domains that have a managed save (GStrv, transfer full). */
void       domus_libvirt_list_managed_saves_async  (DomusLibvirtConnection  *connection,
                                                    GCancellable            *cancellable,
                                                    GAsyncReadyCallback      callback,
                                                    gpointer                 user_data);
GStrv      domus_libvirt_list_managed_saves_finish (DomusLibvirtConnection  *connection,
                                                    GAsyncResult            *result,
                                                    GError                 **error);

/* One domain by name; DOMUS_ERROR_NO_SUCH_DOMAIN when there is none (any more). */
void                    domus_libvirt_get_domain_async  (DomusLibvirtConnection  *connection,
                                                         const char              *name,
                                                         GCancellable            *cancellable,
                                                         GAsyncReadyCallback      callback,
                                                         gpointer                 user_data);
DomusLibvirtDomainInfo *domus_libvirt_get_domain_finish (DomusLibvirtConnection  *connection,
                                                         GAsyncResult            *result,
                                                         GError                 **error);

typedef enum {
  DOMUS_LIBVIRT_ACTION_START,
  DOMUS_LIBVIRT_ACTION_SHUTDOWN,   /* the ACPI power button: the guest decides */
  DOMUS_LIBVIRT_ACTION_REBOOT,
  DOMUS_LIBVIRT_ACTION_PAUSE,
  DOMUS_LIBVIRT_ACTION_RESUME,
  DOMUS_LIBVIRT_ACTION_DESTROY,    /* ended at once, as pulling the plug */
  DOMUS_LIBVIRT_ACTION_UNDEFINE,   /* its definition goes (disks and NVRAM stay) */
  DOMUS_LIBVIRT_ACTION_MANAGED_SAVE,     /* libvirt keeps its state; the next start restores it */
  DOMUS_LIBVIRT_ACTION_RESTORE_MANAGED,  /* a start from its managed save, never a cold boot */
} DomusLibvirtAction;

/* Errors: DOMUS_ERROR_NO_SUCH_DOMAIN; _ALREADY_RUNNING (start, restore) or _NOT_RUNNING (the
 * rest) when the domain is not in a state for it; _INVALID_PARAMS (restore of a domain with
 * no managed save); libvirt's others. */
void     domus_libvirt_domain_action_async  (DomusLibvirtConnection  *connection,
                                             const char              *name,
                                             DomusLibvirtAction       action,
                                             GCancellable            *cancellable,
                                             GAsyncReadyCallback      callback,
                                             gpointer                 user_data);
gboolean domus_libvirt_domain_action_finish (DomusLibvirtConnection  *connection,
                                             GAsyncResult            *result,
                                             GError                 **error);

/* The domain's XML: the running definition, or (inactive) the one it boots with next. */
void     domus_libvirt_get_xml_async        (DomusLibvirtConnection  *connection,
                                             const char              *name,
                                             gboolean                 inactive,
                                             GCancellable            *cancellable,
                                             GAsyncReadyCallback      callback,
                                             gpointer                 user_data);
char    *domus_libvirt_get_xml_finish       (DomusLibvirtConnection  *connection,
                                             GAsyncResult            *result,
                                             GError                 **error);

/* Defines (or redefines) a domain from its XML; the result is what the host then says of it. */
void                    domus_libvirt_define_xml_async  (DomusLibvirtConnection  *connection,
                                                         const char              *xml,
                                                         GCancellable            *cancellable,
                                                         GAsyncReadyCallback      callback,
                                                         gpointer                 user_data);
DomusLibvirtDomainInfo *domus_libvirt_define_xml_finish (DomusLibvirtConnection  *connection,
                                                         GAsyncResult            *result,
                                                         GError                 **error);

/*
 * The configuration form: memory (MiB) and vCPUs for the next boot (-1: leave it), and
 * whether the host starts the domain when it boots. Memory and vCPUs are set as the
 * maximum and the current value together.
 */
void     domus_libvirt_set_resources_async  (DomusLibvirtConnection  *connection,
                                             const char              *name,
                                             gint64                   memory_mib,
                                             gint64                   vcpus,
                                             GCancellable            *cancellable,
                                             GAsyncReadyCallback      callback,
                                             gpointer                 user_data);
gboolean domus_libvirt_set_resources_finish (DomusLibvirtConnection  *connection,
                                             GAsyncResult            *result,
                                             GError                 **error);
void     domus_libvirt_set_autostart_async  (DomusLibvirtConnection  *connection,
                                             const char              *name,
                                             gboolean                 autostart,
                                             GCancellable            *cancellable,
                                             GAsyncReadyCallback      callback,
                                             gpointer                 user_data);
gboolean domus_libvirt_set_autostart_finish (DomusLibvirtConnection  *connection,
                                             GAsyncResult            *result,
                                             GError                 **error);

/* The domain's tags, kept in its <metadata> (live and persistent), so they travel with it. */
void     domus_libvirt_set_tags_async       (DomusLibvirtConnection  *connection,
                                             const char              *name,
                                             const char * const      *tags,
                                             GCancellable            *cancellable,
                                             GAsyncReadyCallback      callback,
                                             gpointer                 user_data);
gboolean domus_libvirt_set_tags_finish      (DomusLibvirtConnection  *connection,
                                             GAsyncResult            *result,
                                             GError                 **error);

/* < private > For the other libvirt pieces, on the connection's thread: what dom is now. */
DomusLibvirtDomainInfo *domus_libvirt_describe_domain (virDomainPtr   dom,
                                                       GError       **error);

G_END_DECLS
