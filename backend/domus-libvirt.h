/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What every libvirt piece of the backend shares: the library's setup, URIs, errors. */

#pragma once

#include <glib.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "domus-error.h"

G_BEGIN_DECLS

/* The namespace of the domain metadata Domus keeps (tags), and its element's prefix. */
#define DOMUS_LIBVIRT_METADATA_URI    "https://domus.example.org/xmlns/libvirt/1.0"
#define DOMUS_LIBVIRT_METADATA_PREFIX "domus"

/*
 * Once per process, before any other libvirt call: initialises libvirt for threads,
 * runs its events on the GLib main context (libvirt-glib) and keeps libvirt from
 * printing its errors on stderr (each call turns them into GErrors instead). Call it
 * on the thread that runs the default main context.
 */
void         domus_libvirt_init                  (void);

/*
 * TRUE for the URIs libvirt owns: DRIVER[+TRANSPORT]:… with a driver libvirt has
 * (qemu, xen, test, lxc, …). Domus's own addresses ("local", "unix:", "ssh://") are not.
 */
gboolean     domus_libvirt_uri_is_libvirt        (const char *uri);

/*
 * Turns the calling thread's last libvirt error into a GError of DOMUS_ERROR (the
 * code from what libvirt says went wrong, the message libvirt's own, translated by
 * libvirt) and resets it. `fallback` is the code when libvirt has no better one.
 * Call it on the thread whose libvirt call failed, at once.
 */
void         domus_libvirt_set_error             (GError    **error,
                                                  DomusError  fallback);
/*
 * The domain a Domus command names (on the connection's thread): digits alone are a
 * running domain's id, as xm took them and as a domusd host takes them; anything else is
 * a name. NULL with libvirt's error set when there is none.
 */
virDomainPtr domus_libvirt_lookup_domain         (virConnectPtr conn,
                                                  const char   *name);

/* The DomusError for a libvirt error number (virErrorNumber), or fallback. */
DomusError   domus_libvirt_error_code            (int         vir_error,
                                                  DomusError  fallback);

G_END_DECLS
