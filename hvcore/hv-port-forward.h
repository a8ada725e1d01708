/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Host port forwards of a user-mode `vif` (Domus's `forward=` item): parsed, checked, chosen. */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  HV_PORT_FORWARD_TCP,
  HV_PORT_FORWARD_UDP,
} HvPortForwardProtocol;

typedef struct {
  char                  *text;           /* the item's value as written, for messages */
  HvPortForwardProtocol  protocol;
  char                  *host_address;   /* numeric IPv4; "127.0.0.1" when the item names none */
  guint                  host_port;      /* 1..65535 */
  char                  *guest_address;  /* numeric IPv4; NULL: the address the guest gets by DHCP */
  guint                  guest_port;     /* 1..65535 */
} HvPortForward;

/* Where the SSH forward of a guest Domus makes starts looking for a free host port. */
#define HV_PORT_FORWARD_FIRST_SSH_PORT 2222

/*
 * Reads `[tcp:|udp:][HOSTADDRESS:]HOSTPORT-[[GUESTADDRESS]:]GUESTPORT` ("2222-22",
 * "tcp:127.0.0.1:2222-:22"). NULL with *message set (a sentence about `text`, translated) when
 * it is not one.
 */
HvPortForward *hv_port_forward_parse        (const char           *text,
                                             char                **message);
void           hv_port_forward_free         (HvPortForward        *forward);

const char    *hv_port_forward_protocol_name (HvPortForwardProtocol protocol);

/* The address is in 127.0.0.0/8: only this host can reach the port. */
gboolean       hv_port_forward_is_loopback  (const HvPortForward  *forward);

/* The item's value written out whole: "tcp:127.0.0.1:2222-:22". */
char          *hv_port_forward_to_string    (const HvPortForward  *forward);

/* QEMU's user-mode netdev option: "hostfwd=tcp:127.0.0.1:2222-:22". */
char          *hv_port_forward_to_hostfwd   (const HvPortForward  *forward);

/* Both bind the same host port (same protocol, and the same or a wildcard address). */
gboolean       hv_port_forward_clash        (const HvPortForward  *a,
                                             const HvPortForward  *b);

/*
 * The host ports that `forward=` items of the .cfg files in `config_dir` name,
 * for a new guest's forward to avoid (files that cannot be read are skipped).
 */
GHashTable    *hv_port_forward_ports_in_configs (const char       *config_dir);

/*
 * A port from `first` up that no config in `config_dirs` forwards, that nothing listens
 * on now (TCP on 127.0.0.1) and that this process has not handed out before; 0 when none is
 * left below first + 1000.
 */
guint          hv_port_forward_pick_free_port (const char * const *config_dirs,
                                               guint               first);

/*
 * The host port of a new guest's SSH forward: `requested` when it is a port, none (0) for -1,
 * else (0) the first free one from HV_PORT_FORWARD_FIRST_SSH_PORT as above.
 */
guint          hv_port_forward_choose_ssh_port (gint                requested,
                                                const char * const *config_dirs);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HvPortForward, hv_port_forward_free)

G_END_DECLS
