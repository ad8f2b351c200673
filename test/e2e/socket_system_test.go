package e2e

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// mqAttrs reads a POSIX message queue's size limits through libc.
const mqAttrs = `
import ctypes, os, sys
c = ctypes.CDLL(None, use_errno=True)
class A(ctypes.Structure):
    _fields_ = [("flags", ctypes.c_long), ("maxmsg", ctypes.c_long), ("msgsize", ctypes.c_long), ("cur", ctypes.c_long), ("pad", ctypes.c_long * 4)]
fd = c.mq_open(sys.argv[1].encode(), os.O_RDONLY)
if fd < 0:
    sys.exit("mq_open: " + os.strerror(ctypes.get_errno()))
a = A()
c.mq_getattr(fd, ctypes.byref(a))
print(a.maxmsg, a.msgsize)
`

// TestSocketListenSystem has the system manager open the kinds a capsule
// cannot own (a message queue with its sizes, a special file) and give
// the nodes SocketUser=/SocketGroup=, SocketMode= and DirectoryMode=; a
// FIFO gets PipeSize=; Symlinks= are made and removed with the unit; a
// special file that cannot be polled fails the start as in systemd 257.
func TestSocketListenSystem(t *testing.T) {
	dir := t.TempDir()
	name := fmt.Sprintf("sl%d", os.Getpid())
	unit := name + "-s.socket"
	mq := "/" + name
	t.Cleanup(func() {
		exec.Command("python3", "-c", "import ctypes,sys; ctypes.CDLL(None).mq_unlink(sys.argv[1].encode())", mq).Run()
	})
	systemUnit(t, unit, fmt.Sprintf(`[Socket]
ListenStream=%[1]s/sub/stream.sock
ListenFIFO=%[1]s/sub/fifo
ListenSpecial=/dev/random
ListenMessageQueue=%[2]s
MessageQueueMaxMessages=3
MessageQueueMessageSize=64
PipeSize=128K
SocketUser=nobody
SocketGroup=nogroup
SocketMode=0640
DirectoryMode=0750
Service=%[3]s.service
`, dir, mq, name))
	systemUnit(t, name+".service", "[Service]\nExecStart=/bin/sleep 60\n")
	systemUnit(t, name+"-l.socket", fmt.Sprintf("[Socket]\nListenStream=%[1]s/l.sock\nSymlinks=%[1]s/links/a %[1]s/b\nService=%[2]s.service\n", dir, name))
	systemUnit(t, name+"-n.socket", fmt.Sprintf("[Socket]\nListenSpecial=/dev/null\nService=%s.service\n", name))
	ctl(t, 0, "start", unit, name+"-l.socket")
	wantOutput(t, 0, fmt.Sprintf("Listen=%[1]s/sub/stream.sock (Stream)\nListen=%[1]s/sub/fifo (FIFO)\nListen=/dev/random (Special)\nListen=%[2]s (MessageQueue)\n", dir, mq),
		"show", "-p", "Listen", unit)

	for p, want := range map[string]string{"sub": "drwxr-x--- 0:0", "sub/stream.sock": "Srw-r----- 65534:65534", "sub/fifo": "prw-r----- 65534:65534"} {
		var st syscall.Stat_t
		fi, err := os.Lstat(filepath.Join(dir, p))
		if err == nil {
			syscall.Lstat(filepath.Join(dir, p), &st)
		}
		if got := fmt.Sprintf("%v %d:%d", fi.Mode(), st.Uid, st.Gid); err != nil || got != want {
			t.Errorf("%s: %s %v, want %s", p, got, err, want)
		}
	}
	// The pipe is the manager's (one pipe per FIFO while it is open).
	if fd, err := unix.Open(filepath.Join(dir, "sub/fifo"), unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0); err != nil {
		t.Error(err)
	} else {
		if n, err := unix.FcntlInt(uintptr(fd), unix.F_GETPIPE_SZ, 0); err != nil || n != 128<<10 {
			t.Errorf("PipeSize=128K: the FIFO's pipe holds %d (%v)", n, err)
		}
		unix.Close(fd)
	}
	if out, err := exec.Command("python3", "-c", mqAttrs, mq).CombinedOutput(); err != nil || string(out) != "3 64\n" {
		t.Errorf("message queue %s: %q %v, want maxmsg 3, msgsize 64", mq, out, err)
	}
	for _, l := range []string{"links/a", "b"} {
		if got, err := os.Readlink(filepath.Join(dir, l)); err != nil || got != dir+"/l.sock" {
			t.Errorf("Symlinks= %s: %q %v", l, got, err)
		}
	}

	// Options only root may set, read back by the activated service.
	port, port2 := freePort(t), freePort(t)
	for port2 == port {
		port2 = freePort(t)
	}
	if err := os.WriteFile(filepath.Join(dir, "report.py"), []byte(fdReport), 0o644); err != nil {
		t.Fatal(err)
	}
	systemUnit(t, name+"-r.socket", fmt.Sprintf("[Socket]\nListenStream=127.0.0.1:%[1]d\nListenStream=[::]:%[3]d\nListenSpecial=/dev/random\nWritable=yes\nBindIPv6Only=both\nMark=7\nPriority=7\nTransparent=yes\nService=%[2]s-r.service\n", port, name, port2))
	systemUnit(t, name+"-r.service", fmt.Sprintf("[Service]\nEnvironment=SYSTEM=1\nExecStart=/usr/bin/python3 %[1]s/report.py %[1]s/report\n", dir))
	ctl(t, 0, "start", name+"-r.socket")
	c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	report := readWhenThere(t, filepath.Join(dir, "report"), func() string { return ctlRun(nil, "logs", "-u", name+"-r.service").stdout })
	for _, want := range []string{fmt.Sprintf("3 AF_INET SOCK_STREAM 127.0.0.1:%d ", port), " prio=7 ", " mark=7 ", " transparent=1\n",
		fmt.Sprintf("4 AF_INET6 SOCK_STREAM :::%d ", port2), " v6only=0 ", "5 file /dev/random rw\n"} {
		if !strings.Contains(report, want) {
			t.Errorf("the service's socket: %q, want %q in it", report, want)
		}
	}
	ctl(t, 0, "stop", name+"-r.socket", name+"-r.service")

	// SocketProtocol=udplite: the datagram socket is a UDP-Lite one.
	systemUnit(t, name+"-p.socket", fmt.Sprintf("[Socket]\nListenDatagram=127.0.0.1:%d\nSocketProtocol=udplite\nService=%s.service\n", port, name))
	ctl(t, 0, "start", name+"-p.socket")
	if b, err := os.ReadFile("/proc/net/udplite"); err != nil || !strings.Contains(string(b), fmt.Sprintf("0100007F:%04X ", port)) {
		t.Errorf("SocketProtocol=udplite: no UDP-Lite socket on 127.0.0.1:%d in /proc/net/udplite (%v):\n%s", port, err, b)
	}
	ctl(t, 0, "stop", name+"-p.socket")

	ctl(t, 1, "start", name+"-n.socket")
	wantOutput(t, 0, "Result=resources\nActiveState=failed\n", "show", "-p", "Result,ActiveState", name+"-n.socket")
	waitLog(t, name+"-n.socket", name+"-n.socket: Failed to watch listening fds: Operation not permitted")
	waitLog(t, name+"-n.socket", name+"-n.socket: Failed to watch sockets: Operation not permitted")
	waitLog(t, name+"-n.socket", name+"-n.socket: Failed with result 'resources'.")

	ctl(t, 0, "stop", unit, name+"-l.socket")
	for _, p := range []string{"sub/stream.sock", "sub/fifo", "links/a", "b", "l.sock"} {
		if _, err := os.Lstat(filepath.Join(dir, p)); err == nil {
			t.Errorf("%s left after stop", p)
		}
	}
	if out, err := exec.Command("python3", "-c", mqAttrs, mq).CombinedOutput(); err == nil || !strings.Contains(string(out), "No such file") {
		t.Errorf("message queue %s after stop: %q %v", mq, out, err)
	}
}
