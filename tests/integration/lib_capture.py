# SPDX-License-Identifier: GPL-3.0-or-later
"""What crosses the loopback interface to one port: for tests that check a migration
stream is encrypted on the wire (root: an AF_PACKET socket of the test's own). Stdlib only."""

import socket
import struct
import threading

# The first bytes of QEMU's migration stream (QEMU_VM_FILE_MAGIC): in clear, it shows.
QEMU_STREAM_MAGIC = b"QEVM"


class LoopbackCapture:
    """The TCP payloads sent to one port of 127.0.0.1, as the loopback interface carries
    them: an AF_PACKET socket (root) with a classic BPF filter for that port, read on a
    thread. Keeps each connection's first bytes (up to KEEP) in the order they came."""

    KEEP = 65536
    PACKET_OUTGOING = 4        # each loopback packet shows twice: leaving and arriving

    def __init__(self, port):
        self.port = port
        self.flows = {}        # (source address, source port) -> bytearray
        self.total = 0         # payload bytes seen towards the port
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
        self._attach_filter()
        self.sock.setsockopt(socket.SOL_SOCKET, 33, 16 << 20)   # SO_RCVBUFFORCE: no drops under load
        self.sock.bind(("lo", 0))
        self.sock.settimeout(0.2)
        self.running = True
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _attach_filter(self):
        # IPv4, TCP, source or destination port == self.port; else dropped in the kernel.
        code = [(0x28, 0, 0, 12), (0x15, 0, 8, 0x0800), (0x30, 0, 0, 23), (0x15, 0, 6, 6),
                (0xb1, 0, 0, 14), (0x48, 0, 0, 14), (0x15, 2, 0, self.port), (0x48, 0, 0, 16),
                (0x15, 0, 1, self.port), (0x06, 0, 0, 0x40000), (0x06, 0, 0, 0)]
        import ctypes
        self._program = ctypes.create_string_buffer(b"".join(struct.pack("HBBI", *i) for i in code))
        fprog = struct.pack("HL", len(code), ctypes.addressof(self._program))
        self.sock.setsockopt(socket.SOL_SOCKET, 26, fprog)      # SO_ATTACH_FILTER

    def _read(self):
        while self.running:
            try:
                frame, address = self.sock.recvfrom(1 << 18)
            except socket.timeout:
                continue
            except OSError:
                return
            if address[2] == self.PACKET_OUTGOING:
                continue
            ip = frame[14:]
            if len(ip) < 20 or ip[9] != 6:
                continue
            ihl = (ip[0] & 0x0f) * 4
            total = struct.unpack("!H", ip[2:4])[0]
            tcp = ip[ihl:total]
            sport, dport = struct.unpack("!HH", tcp[:4])
            payload = tcp[(tcp[12] >> 4) * 4:]
            if dport != self.port or not payload:
                continue
            self.total += len(payload)
            kept = self.flows.setdefault((socket.inet_ntoa(ip[12:16]), sport), bytearray())
            if len(kept) < self.KEEP:
                kept += payload[:self.KEEP - len(kept)]

    def stop(self):
        self.running = False
        self.thread.join(5)
        self.sock.close()


def begins_as_tls(flows):
    """True when every connection in flows (LoopbackCapture.flows) began with a TLS
    handshake record (content type 22, version 3.x)."""
    return bool(flows) and all(len(v) >= 2 and v[0] == 0x16 and v[1] == 0x03 for v in flows.values())
