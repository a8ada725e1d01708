/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A guest the host builds for the create assistant (key file, build or clone, vCPUs, start). */

#pragma once

#include <gio/gio.h>

#include "domus-host.h"

G_BEGIN_DECLS

/* Where a run stopped, for the assistant to show the error on the right page. */
typedef enum {
  DOMUS_GUEST_BUILD_STEP_KEY,     /* the SSH key file could not be read or is no public key */
  DOMUS_GUEST_BUILD_STEP_BUILD,   /* the host refused or failed the build */
  DOMUS_GUEST_BUILD_STEP_START,   /* built and defined, but not started */
} DomusGuestBuildStep;

#define DOMUS_TYPE_GUEST_BUILD (domus_guest_build_get_type ())
G_DECLARE_FINAL_TYPE (DomusGuestBuild, domus_guest_build, DOMUS, GUEST_BUILD, GObject)

/*
 * One guest for host, named name: a Debian build or a cloud image's guest (the request is
 * taken; its ssh_keys are filled from key_file, nullable, when the run reads it), then
 * vcpus set in its configuration when above 1, then started. A Debian request's password
 * is overwritten as soon as the request has been sent.
 *
 * Signal "progress" (const char *text, double fraction): what the host is doing, in words,
 * and how far (0 to 1; negative when the host gives no figure).
 */
DomusGuestBuild *domus_guest_build_new_debian (DomusHost           *host,
                                               const char          *name,
                                               DomusDebianRequest  *request,
                                               const char          *key_file,
                                               gint64               vcpus);
DomusGuestBuild *domus_guest_build_new_cloud  (DomusHost           *host,
                                               const char          *name,
                                               DomusCloudRequest   *request,
                                               const char          *key_file,
                                               gint64               vcpus);
/* A copy of the template domain template (linked: qcow2 overlays on its disks), then started.
 * The template's configuration gives the memory and vCPUs. */
DomusGuestBuild *domus_guest_build_new_clone  (DomusHost           *host,
                                               const char          *name,
                                               const char          *template,
                                               gboolean             linked);
/* Runs the steps not yet done: after a failed start, a second run only starts the guest. */
void             domus_guest_build_run_async  (DomusGuestBuild     *self,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data);
/* The new domain's name, or NULL with the error and the step it stopped at. */
char            *domus_guest_build_run_finish (DomusGuestBuild     *self,
                                               GAsyncResult        *result,
                                               DomusGuestBuildStep *failed_step,
                                               GError             **error);

G_END_DECLS
