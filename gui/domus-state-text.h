/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What the window calls each state of a host or a domain, and each domain state's icon. */

#pragma once

#include "domus-host.h"

G_BEGIN_DECLS

/* Translated, lower case: "connected", "shut off". */
const char *domus_host_state_label           (DomusHostState   state);
const char *domus_domain_state_label         (DomusDomainState state);
/* The state icon's resource path (an SVG). */
const char *domus_domain_state_icon_resource (DomusDomainState state);

G_END_DECLS
