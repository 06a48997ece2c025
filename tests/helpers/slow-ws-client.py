"""A WebSocket client that stops reading: the tap tests' deliberately slow client.

Node cannot shrink a TCP socket's receive buffer, and an unread loopback connection soaks up about
4 MB before the sender sees any backpressure; this client sets SO_RCVBUF before connecting, so the
tap's own queue limits are what a few hundred KB of records run into.

Usage: slow-ws-client.py <host> <port> <token> <subscription JSON>
Prints "subscribed" once the tap confirms the subscription, then reads nothing until a line arrives
on stdin; then reads to the end and prints one JSON summary line: records, dropped notices, close code.
"""

import base64
import json
import os
import socket
import struct
import sys


def frame(text: str) -> bytes:
    payload = text.encode()
    mask = os.urandom(4)
    head = bytes([0x81])
    n = len(payload)
    if n < 126:
        head += bytes([0x80 | n])
    elif n < 65536:
        head += bytes([0x80 | 126]) + struct.pack("!H", n)
    else:
        head += bytes([0x80 | 127]) + struct.pack("!Q", n)
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


class Reader:
    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.buf = b""

    def take(self, n: int) -> bytes:
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def line(self) -> bytes:
        while b"\r\n\r\n" not in self.buf:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise EOFError
            self.buf += chunk
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        return head

    def message(self) -> tuple[int, bytes]:
        b0, b1 = self.take(2)
        n = b1 & 0x7F
        if n == 126:
            (n,) = struct.unpack("!H", self.take(2))
        elif n == 127:
            (n,) = struct.unpack("!Q", self.take(8))
        return b0 & 0x0F, self.take(n)


def main() -> None:
    host, port, token, subscription = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect((host, port))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        (
            f"GET /stream HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer {token}\r\n\r\n"
        ).encode()
    )
    reader = Reader(sock)
    status = reader.line().split(b"\r\n", 1)[0]
    if b" 101 " not in status:
        print(json.dumps({"refused": status.decode()}), flush=True)
        return
    sock.sendall(frame(subscription))
    records, notices, close = 0, [], None

    def handle(opcode: int, payload: bytes) -> bool:
        nonlocal records, close
        if opcode == 8:
            close = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
            return False
        if opcode == 1:
            if payload.startswith(b'{"type":"record"'):
                records += 1
            else:
                message = json.loads(payload)
                if message["type"] == "dropped":
                    notices.append(message)
                elif message["type"] == "subscribed":
                    print("subscribed", flush=True)
                    return False
        return True

    while handle(*reader.message()):
        pass
    sys.stdin.readline()  # stuck until the test says otherwise
    try:
        while handle(*reader.message()):
            pass
    except (EOFError, ConnectionResetError):
        close = close or 1006
    print(json.dumps({"records": records, "notices": notices, "close": close}), flush=True)


main()
