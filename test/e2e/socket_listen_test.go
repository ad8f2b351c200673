package e2e

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// freePort picks a port of the ephemeral range that is free for TCP and
// UDP on 127.0.0.1 and ::1 just now.
func freePort(t *testing.T) int {
	t.Helper()
	for range 100 {
		p := 32768 + rand.IntN(28000)
		ok := true
		for _, a := range []string{"127.0.0.1", "[::1]", "[::]"} {
			l, err := net.Listen("tcp", fmt.Sprintf("%s:%d", a, p))
			if err != nil {
				ok = false
				break
			}
			l.Close()
			c, err := net.ListenPacket("udp", fmt.Sprintf("%s:%d", a, p))
			if err != nil {
				ok = false
				break
			}
			c.Close()
		}
		if ok {
			return p
		}
	}
	t.Fatal("no free port")
	return 0
}

// fdReport is run by a socket-activated service: one line per passed
// descriptor, what the service sees of it (family, type, address, the
// options the unit set, read back with getsockopt), written to a file.
const fdReport = `
import fcntl, os, socket, sys
out = [os.environ["LISTEN_FDNAMES"]]
for fd in range(3, 3 + int(os.environ["LISTEN_FDS"])):
    try:
        s = socket.socket(fileno=fd)
    except OSError:
        acc = "rw" if fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE == os.O_RDWR else "ro"
        out.append("%d file %s %s" % (fd, os.readlink("/proc/self/fd/%d" % fd), acc))
        continue
    name = s.getsockname()
    if isinstance(name, tuple) and s.family != socket.AF_NETLINK:
        name = "%s:%d" % name[:2]
    elif isinstance(name, bytes):
        name = "@" + name[1:].decode()
    elif isinstance(name, tuple):
        name = "groups=%d" % name[1]
    opts = []
    g = lambda lvl, o: s.getsockopt(lvl, o)
    if s.family in (socket.AF_INET, socket.AF_INET6):
        opts += ["dev=%s" % s.getsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, 16).rstrip(b"\0").decode(),
                 "reuseport=%d" % g(socket.SOL_SOCKET, socket.SO_REUSEPORT),
                 "freebind=%d" % (g(socket.IPPROTO_IPV6, 78) if s.family == socket.AF_INET6 else g(socket.IPPROTO_IP, 15))]
        opts += ["keepalive=%d" % g(socket.SOL_SOCKET, socket.SO_KEEPALIVE), "prio=%d" % g(socket.SOL_SOCKET, socket.SO_PRIORITY),
                 "rcvbuf=%d" % g(socket.SOL_SOCKET, socket.SO_RCVBUF),
                 "sndbuf=%d" % g(socket.SOL_SOCKET, socket.SO_SNDBUF), "mark=%d" % g(socket.SOL_SOCKET, socket.SO_MARK)]
        if s.type == socket.SOCK_STREAM:
            opts += ["nodelay=%d" % g(socket.IPPROTO_TCP, socket.TCP_NODELAY), "keepidle=%d" % g(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE),
                     "keepintvl=%d" % g(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL), "keepcnt=%d" % g(socket.IPPROTO_TCP, socket.TCP_KEEPCNT),
                     "defer=%d" % g(socket.IPPROTO_TCP, socket.TCP_DEFER_ACCEPT),
                     "cc=%s" % s.getsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, 16).rstrip(b"\0").decode()]
        if s.family == socket.AF_INET6:
            opts += ["v6only=%d" % g(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY), "tclass=%d" % g(socket.IPPROTO_IPV6, socket.IPV6_TCLASS),
                     "hops=%d" % g(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS)]
        else:
            opts += ["tos=%d" % g(socket.IPPROTO_IP, socket.IP_TOS), "ttl=%d" % g(socket.IPPROTO_IP, socket.IP_TTL)]
    if s.family == socket.AF_UNIX:
        opts += ["passcred=%d" % g(socket.SOL_SOCKET, socket.SO_PASSCRED), "passsec=%d" % g(socket.SOL_SOCKET, 34)]
    if s.family == socket.AF_INET and os.environ.get("SYSTEM"):
        opts += ["transparent=%d" % g(socket.IPPROTO_IP, 19)]
    if s.type == socket.SOCK_DGRAM and s.family == socket.AF_INET:
        opts += ["broadcast=%d" % g(socket.SOL_SOCKET, socket.SO_BROADCAST), "timestamp=%d" % g(socket.SOL_SOCKET, 29),
                 "pktinfo=%d" % g(socket.IPPROTO_IP, 8)]
    out.append("%d %s %s %s %s" % (fd, socket.AddressFamily(s.family).name, socket.SocketKind(s.type).name, name, " ".join(opts)))
    s.detach()
open(sys.argv[1] + ".tmp", "w").write("\n".join(out) + "\n")
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
os.execv("/bin/sleep", ["sleep", "600"])
`

// dialWrite connects (or addresses a datagram) to addr and sends a byte.
func dialWrite(network, addr string) error {
	c, err := net.DialTimeout(network, addr, 5*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	_, err = c.Write([]byte("x"))
	return err
}

// readWhenThere waits for a file a service writes and returns its content.
func readWhenThere(t *testing.T, path string, why func() string) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(path); err == nil {
			return string(b)
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%s never written:\n%s", path, why())
	return ""
}

// TestSocketListenKinds has a capsule's socket unit listen on every kind
// a capsule may (a port, IPv4 and IPv6 addresses, an abstract name, stream,
// datagram and sequential-packet sockets on paths, a FIFO, netlink, a
// message queue), with socket options; a TCP connection starts the
// service, which checks each descriptor's family, type, address and
// options from its side. show -p Listen and status print them as
// systemd 257 does.
func TestSocketListenKinds(t *testing.T) {
	name := startCapsule(t, "sl")
	port := freePort(t)
	home := homeOf(name)
	rt := "/run/capsules/" + name
	writeUnits(t, name, map[string]string{
		"sl-k.socket": fmt.Sprintf(`[Unit]
StartLimitIntervalSec=0
[Socket]
ListenStream=127.0.0.1:%[1]d
ListenStream=[::1]:%[1]d
ListenStream=%[2]d
ListenStream=@sl-%[3]s
ListenStream=%%t/sl/stream.sock
ListenDatagram=%%t/sl/dgram.sock
ListenDatagram=127.0.0.1:%[1]d
ListenSequentialPacket=%%t/sl/seq.sock
ListenFIFO=%%t/sl/fifo
ListenNetlink=route 1
ListenMessageQueue=/sl-%[3]s
BindIPv6Only=ipv6-only
Backlog=7
KeepAlive=yes
KeepAliveTimeSec=77
KeepAliveIntervalSec=8
KeepAliveProbes=5
NoDelay=yes
DeferAcceptSec=3
Priority=4
ReceiveBuffer=48K
SendBuffer=24K
IPTOS=low-delay
IPTTL=33
TCPCongestion=reno
PassCredentials=yes
PassSecurity=yes
PassPacketInfo=yes
Broadcast=yes
Timestamping=us
SocketMode=0600
DirectoryMode=0700
PipeSize=128K
ReusePort=yes
FreeBind=yes
BindToDevice=lo
FileDescriptorName=sl-web
Service=sl-k.service
`, port, port+1, name),
		"sl-k.service": "[Unit]\nStartLimitIntervalSec=0\n[Service]\nExecStart=/usr/bin/python3 %h/report.py %h/report\n",
	})
	if port+1 > 60999 {
		t.Skip("port range")
	}
	if err := os.WriteFile(filepath.Join(home, "report.py"), []byte(fdReport), 0o644); err != nil {
		t.Fatal(err)
	}
	ctl(t, 0, "-C", name, "start", "sl-k.socket")
	want := fmt.Sprintf(`Listen=127.0.0.1:%[1]d (Stream)
Listen=[::1]:%[1]d (Stream)
Listen=[::]:%[2]d (Stream)
Listen=@sl-%[3]s (Stream)
Listen=%[4]s/sl/stream.sock (Stream)
Listen=%[4]s/sl/dgram.sock (Datagram)
Listen=127.0.0.1:%[1]d (Datagram)
Listen=%[4]s/sl/seq.sock (SequentialPacket)
Listen=%[4]s/sl/fifo (FIFO)
Listen=route 1 (Netlink)
Listen=/sl-%[3]s (MessageQueue)
`, port, port+1, name, rt)
	wantOutput(t, 0, want, "-C", name, "show", "-p", "Listen", "sl-k.socket")
	st := ctl(t, 0, "-C", name, "status", "sl-k.socket").stdout
	wantStatus := strings.ReplaceAll(strings.TrimSuffix(want, "\n"), "Listen=", "             ")
	wantStatus = "     Listen: " + strings.TrimPrefix(wantStatus, "             ")
	if !strings.Contains(st, "   Triggers: ● sl-k.service\n"+wantStatus+"\n") {
		t.Errorf("status: want Listen: lines\n%s\ngot\n%s", wantStatus, st)
	}

	// The nodes on disk, as the capsule's user, with SocketMode= and
	// DirectoryMode=.
	for p, mode := range map[string]os.FileMode{rt + "/sl": os.ModeDir | 0o700, rt + "/sl/stream.sock": os.ModeSocket | 0o600,
		rt + "/sl/dgram.sock": os.ModeSocket | 0o600, rt + "/sl/seq.sock": os.ModeSocket | 0o600, rt + "/sl/fifo": os.ModeNamedPipe | 0o600} {
		if fi, err := os.Lstat(p); err != nil || fi.Mode() != mode {
			t.Errorf("%s: %v %v, want %v", p, fi.Mode(), err, mode)
		}
	}

	// Backlog=: a listening socket's Send-Q in ss is its backlog.
	if out, err := exec.Command("ss", "-Hltn", fmt.Sprintf("sport = :%d", port)).Output(); err != nil || len(strings.Fields(string(out))) < 3 || strings.Fields(string(out))[2] != "7" {
		t.Errorf("Backlog=7: ss shows %q (%v)", out, err)
	}
	c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	got := readWhenThere(t, filepath.Join(home, "report"), func() string { return ctlRun(nil, "-C", name, "logs").stdout })
	// IP_TOS=low-delay sets an IPv4 socket's priority to 6 (interactive)
	// after SO_PRIORITY, as it does after systemd's.
	tcp4 := "dev=lo reuseport=1 freebind=1 keepalive=1 prio=6 rcvbuf=98304 sndbuf=49152 mark=0 nodelay=1 keepidle=77 keepintvl=8 keepcnt=5 defer=3 cc=reno tos=16 ttl=33"
	tcp6 := "dev=lo reuseport=1 freebind=1 keepalive=1 prio=4 rcvbuf=98304 sndbuf=49152 mark=0 nodelay=1 keepidle=77 keepintvl=8 keepcnt=5 defer=3 cc=reno v6only=1 tclass=16 hops=33"
	wantReport := strings.Repeat("sl-web:", 10) + "sl-web\n" + fmt.Sprintf(`3 AF_INET SOCK_STREAM 127.0.0.1:%[1]d %[5]s
4 AF_INET6 SOCK_STREAM ::1:%[1]d %[6]s
5 AF_INET6 SOCK_STREAM :::%[2]d %[6]s
6 AF_UNIX SOCK_STREAM @sl-%[3]s passcred=1 passsec=1
7 AF_UNIX SOCK_STREAM %[4]s/sl/stream.sock passcred=1 passsec=1
8 AF_UNIX SOCK_DGRAM %[4]s/sl/dgram.sock passcred=1 passsec=1
9 AF_INET SOCK_DGRAM 127.0.0.1:%[1]d dev=lo reuseport=1 freebind=1 keepalive=1 prio=6 rcvbuf=98304 sndbuf=49152 mark=0 tos=16 ttl=33 broadcast=1 timestamp=1 pktinfo=1
10 AF_UNIX SOCK_SEQPACKET %[4]s/sl/seq.sock passcred=1 passsec=1
11 file %[4]s/sl/fifo rw
12 AF_NETLINK SOCK_RAW groups=1 
13 file /sl-%[3]s ro
`, port, port+1, name, rt, tcp4, tcp6)
	if got != wantReport {
		t.Errorf("the service's descriptors:\n%s\nwant\n%s", got, wantReport)
	}

	// A port below 1024 and SocketUser= fail in a capsule as in systemd
	// 257's: EACCES and Result=resources; (sd-chown)'s 235/CHOWN and
	// Result=exit-code.
	writeUnits(t, name, map[string]string{
		"sl-low.socket":  "[Socket]\nListenStream=1023\nService=sl-k.service\n",
		"sl-user.socket": "[Socket]\nListenStream=%t/sl/u.sock\nSocketUser=nobody\nService=sl-k.service\n",
	})
	ctl(t, 1, "-C", name, "start", "sl-low.socket")
	wantOutput(t, 0, "Listen=[::]:1023 (Stream)\nResult=resources\nActiveState=failed\n", "-C", name, "show", "-p", "Listen,Result,ActiveState", "sl-low.socket")
	waitCapsuleLog(t, name, "sl-low.socket", "sl-low.socket: Failed to create listening socket ([::]:1023): Permission denied")
	waitCapsuleLog(t, name, "sl-low.socket", "sl-low.socket: Failed to listen on sockets: Permission denied")
	waitCapsuleLog(t, name, "sl-low.socket", "sl-low.socket: Failed with result 'resources'.")
	ctl(t, 1, "-C", name, "start", "sl-user.socket")
	wantOutput(t, 0, "Result=exit-code\nActiveState=failed\n", "-C", name, "show", "-p", "Result,ActiveState", "sl-user.socket")
	waitCapsuleLog(t, name, "sl-user.socket", "sl-user.socket: Failed to chown(): Operation not permitted")
	waitCapsuleLog(t, name, "sl-user.socket", "sl-user.socket: Control process exited, code=exited, status=235/CHOWN")
	waitCapsuleLog(t, name, "sl-user.socket", "sl-user.socket: Failed with result 'exit-code'.")

	// The capsule's manager binds and links only where the capsule may
	// write: a socket in the host's /etc fails the start, a link there is
	// skipped with systemd's warning while the one in %t is made.
	etc := "/etc/sl-" + name
	t.Cleanup(func() { os.Remove(etc + ".sock"); os.Remove(etc) })
	writeUnits(t, name, map[string]string{
		"sl-etc.socket": "[Socket]\nListenStream=" + etc + ".sock\nService=sl-k.service\n",
		"sl-sym.socket": "[Socket]\nListenStream=%t/sym.sock\nSymlinks=%t/sl/link " + etc + "\nService=sl-k.service\n",
	})
	ctl(t, 1, "-C", name, "start", "sl-etc.socket")
	wantOutput(t, 0, "Result=resources\n", "-C", name, "show", "-p", "Result", "sl-etc.socket")
	if _, err := os.Lstat(etc + ".sock"); err == nil {
		t.Errorf("the capsule's manager bound %s.sock", etc)
	}
	ctl(t, 0, "-C", name, "start", "sl-sym.socket")
	if got, err := os.Readlink(rt + "/sl/link"); err != nil || got != rt+"/sym.sock" {
		t.Errorf("Symlinks= in the capsule's runtime directory: %q %v", got, err)
	}
	if _, err := os.Lstat(etc); err == nil {
		t.Errorf("the capsule's manager made the link %s", etc)
	}
	waitCapsuleLog(t, name, "sl-sym.socket", "sl-sym.socket: Failed to create symlink "+etc+" → "+rt+"/sym.sock, ignoring: ")
	ctl(t, 0, "-C", name, "stop", "sl-sym.socket")
	if _, err := os.Lstat(rt + "/sl/link"); err == nil {
		t.Error("Symlinks= left after stop")
	}

	// Each kind activates the service on its own: a connection, a
	// datagram, a write to the FIFO. The socket is started afresh each
	// time, so nothing is left queued from the one before.
	for _, tr := range []struct {
		what    string
		trigger func() error
	}{
		{"IPv6 stream", func() error { return dialWrite("tcp", fmt.Sprintf("[::1]:%d", port)) }},
		{"bare port", func() error { return dialWrite("tcp", fmt.Sprintf("[::1]:%d", port+1)) }},
		{"abstract", func() error { return dialWrite("unix", "@sl-"+name) }},
		{"unix stream", func() error { return dialWrite("unix", rt+"/sl/stream.sock") }},
		{"unix datagram", func() error { return dialWrite("unixgram", rt+"/sl/dgram.sock") }},
		{"UDP", func() error { return dialWrite("udp", fmt.Sprintf("127.0.0.1:%d", port)) }},
		{"sequential packet", func() error { return dialWrite("unixpacket", rt+"/sl/seq.sock") }},
		{"FIFO", func() error {
			f, err := os.OpenFile(rt+"/sl/fifo", os.O_WRONLY|syscall.O_NONBLOCK, 0)
			if err == nil {
				_, err = f.Write([]byte("x"))
				f.Close()
			}
			return err
		}},
	} {
		ctl(t, 0, "-C", name, "stop", "sl-k.socket", "sl-k.service")
		os.Remove(filepath.Join(home, "report"))
		if r := ctlRun(nil, "-C", name, "start", "sl-k.socket"); r.code != 0 {
			t.Fatalf("%s: start: %s\n%s", tr.what, r, ctlRun(nil, "-C", name, "logs", "-u", "sl-k.socket").stdout)
		}
		if err := tr.trigger(); err != nil {
			t.Errorf("%s: %v", tr.what, err)
			continue
		}
		if got := readWhenThere(t, filepath.Join(home, "report"), func() string { return tr.what }); got != wantReport {
			t.Errorf("%s: the service's descriptors:\n%s", tr.what, got)
		}
	}

	// Stopped, the nodes go (RemoveOnStop= is capsuled's default).
	ctl(t, 0, "-C", name, "stop", "sl-k.socket", "sl-k.service")
	for _, p := range []string{"stream.sock", "dgram.sock", "seq.sock", "fifo"} {
		if _, err := os.Lstat(rt + "/sl/" + p); err == nil {
			t.Errorf("%s left after stop", p)
		}
	}
}
