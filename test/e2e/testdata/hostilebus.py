# A hostile broker a capsule puts in place of its bus socket, for
# capsulectl bus's tests: it authenticates anyone, answers Hello, and
# answers a call by its member name: Big with an "ay" of argv[1] bytes,
# Flood with 40 MiB of signals before the reply, Err with an error whose
# text forges a line and carries terminal controls, Ping with "pong";
# Introspect of "/" lists one child with a 1 MiB name, whose Introspect
# lists 2,000 children (2 GB of object paths if all were kept).
import os
import socket
import struct
import sys

size = int(sys.argv[1])
path = os.environ['XDG_RUNTIME_DIR'] + '/bus'


def pad(b, n):
    return b + b'\0' * (-len(b) % n)


def string(x):
    x = x.encode()
    return struct.pack('<I', len(x)) + x + b'\0'


def sig(s):
    return bytes([len(s)]) + s.encode() + b'\0'


def message(mtype, serial, reply_serial, body_sig, body, error=None):
    fields = [pad(bytes([5]) + sig('u'), 4) + struct.pack('<I', reply_serial)] if reply_serial else []
    if error:
        fields.append(pad(bytes([4]) + sig('s'), 4) + string(error))
    if body_sig:
        fields.append(bytes([8]) + sig('g') + sig(body_sig))
    if mtype == 4:
        fields.append(pad(bytes([1]) + sig('o'), 4) + string('/x'))
        fields.append(pad(bytes([2]) + sig('s'), 4) + string('org.x'))
        fields.append(pad(bytes([3]) + sig('s'), 4) + string('S'))
    arr = b''
    for f in fields:
        arr = pad(arr, 8) + f
    head = struct.pack('<BBBBIII', ord('l'), mtype, 1, 1, len(body), serial, len(arr)) + arr
    return pad(head, 8) + body


def read_exact(c, n):
    b = b''
    while len(b) < n:
        d = c.recv(n - len(b))
        if not d:
            raise EOFError
        b += d
    return b


def serve(c):
    line = b''
    while not line.endswith(b'BEGIN\r\n'):
        line += read_exact(c, 1)
        if line.endswith(b'\r\n') and b'AUTH' in line and b'OK' not in line:
            c.sendall(b'OK 0123456789abcdef0123456789abcdef\r\n')
            line = b''
    n = 100
    while True:
        head = read_exact(c, 16)
        body_len, fields_len = struct.unpack('<I', head[4:8])[0], struct.unpack('<I', head[12:16])[0]
        raw = head + read_exact(c, (fields_len + 7) // 8 * 8 + body_len)
        serial = struct.unpack('<I', head[8:12])[0]
        n += 1
        if b'Hello' in raw:
            c.sendall(message(2, n, serial, 's', string(':1.7')))
        elif b'Big' in raw:
            c.sendall(message(2, n, serial, 'ay', struct.pack('<I', size) + b'A' * size))
        elif b'Flood' in raw:
            signal = message(4, 1, 0, 'ay', struct.pack('<I', 1 << 20) + b'B' * (1 << 20))
            for _ in range(40):
                c.sendall(signal)
            c.sendall(message(2, n, serial, 's', string('late')))
        elif b'Introspect' in raw:
            if b'L' * 64 in raw:
                xml = '<node>' + ''.join('<node name="c%d"/>' % i for i in range(2000)) + '</node>'
            else:
                xml = '<node><node name="%s"/></node>' % ('L' * (1 << 20))
            c.sendall(message(2, n, serial, 's', string(xml)))
        elif b'Err' in raw:
            c.sendall(message(3, n, serial, 's', string('denied\nfake: line\x1b[31m'), error='org.x.Error'))
        else:
            c.sendall(message(2, n, serial, 's', string('pong')))


try:
    os.unlink(path)
except FileNotFoundError:
    pass
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(path)
s.listen(16)
open(os.environ['XDG_RUNTIME_DIR'] + '/fbc-ready', 'w').close()
while True:
    conn, _ = s.accept()
    try:
        serve(conn)
    except (EOFError, OSError):
        pass
    conn.close()
