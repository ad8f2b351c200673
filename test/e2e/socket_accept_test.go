package e2e

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// acceptScript is an Accept=yes instance: it tells who it is, echoes a
// line back and holds the connection until the peer closes it. Without
// StandardInput=socket it finds the connection at fd 3 (LISTEN_FDS).
const acceptScript = `#!/bin/sh
if [ -n "$LISTEN_FDS" ]; then exec <&3 >&3; fi
echo "uid=$(id -u) remote=${REMOTE_ADDR-none}:${REMOTE_PORT-none} fds=${LISTEN_FDS-none} names=${LISTEN_FDNAMES-none} inst=$1"
read x
echo "got $x"
read x && echo "got $x"
cat >/dev/null
`

// acceptConn is one client connection to an Accept=yes socket.
type acceptConn struct {
	c net.Conn
	r *bufio.Reader
}

func dialAccept(t *testing.T, network, addr string) *acceptConn {
	t.Helper()
	c, err := net.DialTimeout(network, addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(10 * time.Second))
	return &acceptConn{c: c, r: bufio.NewReader(c)}
}

// hello reads the instance's first line and has it echo a line back.
func (a *acceptConn) hello(t *testing.T) string {
	t.Helper()
	first, err := a.r.ReadString('\n')
	if err != nil {
		t.Fatalf("read the instance's first line: %v (got %q)", err, first)
	}
	fmt.Fprintf(a.c, "ping\n")
	if got, err := a.r.ReadString('\n'); err != nil || got != "got ping\n" {
		t.Fatalf("echo: got %q, %v", got, err)
	}
	return strings.TrimSpace(first)
}

func showSocket(t *testing.T, capsule, unit string) string {
	t.Helper()
	args := []string{"show", "-p", "Accept,MaxConnections,MaxConnectionsPerSource,NConnections,NAccepted,NRefused", unit}
	if capsule != "" {
		args = append([]string{"-C", capsule}, args...)
	}
	return ctl(t, 0, args...).stdout
}

// TestSocketAcceptUnix runs an Accept=yes socket on a unix path in the
// system manager: each connection starts NAME@N-PID-UID.service (systemd
// 257's name for a unix peer) with the connection on its standard input
// and output, MaxConnections= accepts and drops the connection over the
// limit and counts it in NRefused, and an instance that ended well is
// gone from list-units while a template without StandardInput=socket gets
// the connection at fd 3 with LISTEN_FDNAMES=connection.
func TestSocketAcceptUnix(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "acc.sh")
	if err := os.WriteFile(script, []byte(acceptScript), 0o755); err != nil {
		t.Fatal(err)
	}
	id := strconv.Itoa(os.Getpid()%100000) + "-" + strconv.FormatInt(counter.Add(1), 10)
	sock, tmpl := "sa-u"+id+".socket", "sa-u"+id+"@.service"
	path := filepath.Join(dir, "s.sock")
	systemUnit(t, sock, "[Socket]\nListenStream="+path+"\nAccept=yes\nMaxConnections=2\n")
	systemUnit(t, tmpl, "[Unit]\nDescription=Echo\n[Service]\nStandardInput=socket\nExecStart="+script+" %i\n")
	ctl(t, 0, "daemon-reload")
	ctl(t, 0, "start", sock)

	want := "Accept=yes\nMaxConnections=2\nMaxConnectionsPerSource=0\nNConnections=0\nNAccepted=0\nNRefused=0\n"
	if got := showSocket(t, "", sock); got != want {
		t.Errorf("show before: got\n%s\nwant\n%s", got, want)
	}
	self := strconv.Itoa(os.Getpid())
	a := dialAccept(t, "unix", path)
	if got, want := a.hello(t), "uid=0 remote=none:none fds=none names=none inst=0-"+self+"-0"; got != want {
		t.Errorf("first instance: got %q, want %q", got, want)
	}
	b := dialAccept(t, "unix", path)
	if got, want := b.hello(t), "inst=1-"+self+"-0"; !strings.HasSuffix(got, want) {
		t.Errorf("second instance: got %q, want it to end in %q", got, want)
	}
	inst0 := "sa-u" + id + "@0-" + self + "-0.service"
	r := ctl(t, 0, "show", "-p", "Description,ActiveState,TriggeredBy", inst0)
	if want := "TriggeredBy=" + sock + "\nDescription=Echo (PID " + self + "/UID 0)\nActiveState=active\n"; r.stdout != want {
		t.Errorf("instance: got\n%s\nwant\n%s", r.stdout, want)
	}

	// Over MaxConnections=2: accepted, then closed unread.
	c := dialAccept(t, "unix", path)
	fmt.Fprintf(c.c, "ping\n")
	if got, err := io.ReadAll(c.r); len(got) != 0 {
		t.Errorf("third connection: want it dropped, read %q (%v)", got, err)
	}
	want = "Accept=yes\nMaxConnections=2\nMaxConnectionsPerSource=0\nNConnections=2\nNAccepted=2\nNRefused=1\n"
	if got := showSocket(t, "", sock); got != want {
		t.Errorf("show with two held and one refused: got\n%s\nwant\n%s", got, want)
	}
	if r := ctl(t, 0, "status", "-n", "0", sock); !strings.Contains(r.stdout, "\n   Accepted: 2; Connected: 2;   Refused: 1\n") ||
		!strings.Contains(r.stdout, "\n   Triggers: ● "+inst0+"\n") {
		t.Errorf("status: want systemd 257's Triggers: and Accepted: 2; Connected: 2;   Refused: 1 lines, got\n%s", r.stdout)
	}
	if r := ctl(t, 0, "logs", "-u", sock); !strings.Contains(r.stdout, sock+": Too many incoming connections (2), dropping connection.") {
		t.Errorf("no refusal line in the socket's log:\n%s", r.stdout)
	}

	// The instances end with their connections and are forgotten.
	a.c.Close()
	b.c.Close()
	if !waitFor(5*time.Second, func() bool {
		return strings.Contains(showSocket(t, "", sock), "NConnections=0\n")
	}) {
		t.Errorf("connections still counted after both closed:\n%s", showSocket(t, "", sock))
	}
	if r := ctl(t, 0, "list-units", "--all", "sa-u"+id+"@*"); strings.Contains(r.stdout, "sa-u"+id+"@") {
		t.Errorf("instances still listed after they ended well:\n%s", r.stdout)
	}

	// The next one is number 2: the refused connection took no number.
	// Without StandardInput=socket, the connection is fd 3.
	systemUnit(t, tmpl, "[Service]\nExecStart="+script+" %i\n")
	ctl(t, 0, "daemon-reload")
	d := dialAccept(t, "unix", path)
	if got, want := d.hello(t), "uid=0 remote=none:none fds=1 names=connection inst=2-"+self+"-0"; got != want {
		t.Errorf("LISTEN_FDS instance: got %q, want %q", got, want)
	}
}

// TestSocketAcceptCapsule runs an Accept=yes socket in a capsule: the
// instance runs as the capsule's user, under its manager, with the
// connection on its standard streams; stopping the socket leaves the
// running instance and its connection alone, as systemd 257 does.
func TestSocketAcceptCapsule(t *testing.T) {
	name := startCapsule(t, "sa")
	uid, ok := capsuleUID(t, name)
	if !ok {
		t.Fatalf("no user for capsule %s", name)
	}
	if err := os.WriteFile(homeOf(name)+"/acc.sh", []byte(acceptScript), 0o755); err != nil {
		t.Fatal(err)
	}
	writeUnits(t, name, map[string]string{
		"sa.socket":   "[Socket]\nListenStream=%t/sa.sock\nAccept=yes\n",
		"sa@.service": "[Service]\nStandardInput=socket\nExecStart=/bin/sh %h/acc.sh %i\n",
	})
	ctl(t, 0, "-C", name, "start", "sa.socket")
	self := strconv.Itoa(os.Getpid())
	a := dialAccept(t, "unix", "/run/capsules/"+name+"/sa.sock")
	if got, want := a.hello(t), "uid="+strconv.Itoa(uid)+" remote=none:none fds=none names=none inst=0-"+self+"-0"; got != want {
		t.Errorf("instance: got %q, want %q", got, want)
	}
	inst := "sa@0-" + self + "-0.service"
	ctl(t, 0, "-C", name, "stop", "sa.socket")
	r := ctl(t, 0, "-C", name, "show", "-p", "ActiveState,Description", inst)
	if want := "Description=PID " + self + "/UID 0\nActiveState=active\n"; r.stdout != want {
		t.Errorf("instance after the socket stopped: got\n%s\nwant\n%s", r.stdout, want)
	}
	fmt.Fprintf(a.c, "still\n")
	if got, err := a.r.ReadString('\n'); err != nil || got != "got still\n" {
		t.Errorf("connection after the socket stopped: got %q, %v", got, err)
	}
	if got := showSocket(t, name, "sa.socket"); got != "Accept=yes\nMaxConnections=64\nMaxConnectionsPerSource=0\nNConnections=1\nNAccepted=1\nNRefused=0\n" {
		t.Errorf("show after the socket stopped:\n%s", got)
	}
	// A reload forgets the link to the socket and the peer in the
	// description, as systemd 257's does.
	ctl(t, 0, "-C", name, "daemon-reload")
	r = ctl(t, 0, "-C", name, "show", "-p", "ActiveState,Description,TriggeredBy", inst)
	if want := "TriggeredBy=\nDescription=" + inst + "\nActiveState=active\n"; r.stdout != want {
		t.Errorf("instance after a reload: got\n%s\nwant\n%s", r.stdout, want)
	}
}

// TestSocketStdinWithoutSocket starts a service with StandardInput=socket
// that no socket activates: as in systemd 257, the executor logs "Got no
// socket." and fails the exec at its step SUCCESS, so the command never
// runs and the unit ends as if it had exited 0.
func TestSocketStdinWithoutSocket(t *testing.T) {
	name := fmt.Sprintf("sa-h%d.service", os.Getpid())
	out := filepath.Join(t.TempDir(), "ran")
	systemUnit(t, name, "[Service]\nStandardInput=socket\nExecStart=/bin/touch "+out+"\n")
	ctl(t, 0, "daemon-reload")
	ctl(t, 0, "start", name)
	if !waitFor(5*time.Second, func() bool {
		return ctl(t, 0, "show", "-p", "ActiveState", name).stdout == "ActiveState=inactive\n"
	}) {
		t.Fatalf("still running:\n%s", ctl(t, 0, "status", name).stdout)
	}
	r := ctl(t, 0, "show", "-p", "Result,ExecMainStatus", name)
	if r.stdout != "Result=success\nExecMainStatus=0\n" {
		t.Errorf("show: got\n%s", r.stdout)
	}
	logs := ctl(t, 0, "logs", "-u", name).stdout
	for _, l := range []string{name + ": Got no socket.", name + ": Failed at step SUCCESS spawning /bin/touch: Invalid argument"} {
		if !strings.Contains(logs, l) {
			t.Errorf("log lacks %q:\n%s", l, logs)
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("the command ran with no socket on its standard input")
	}
}

// TestSocketAcceptTCP runs an Accept=yes socket on 127.0.0.1 and ::1: the
// instance is NAME@N-127.0.0.1:PORT-127.0.0.1:PEERPORT.service, described
// by the peer, with REMOTE_ADDR and REMOTE_PORT; MaxConnectionsPerSource=1
// drops a second connection from 127.0.0.1 with systemd 257's log line;
// an IPv6 instance is named without brackets and described with them.
func TestSocketAcceptTCP(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "acc.sh")
	if err := os.WriteFile(script, []byte(acceptScript), 0o755); err != nil {
		t.Fatal(err)
	}
	id := strconv.Itoa(os.Getpid()%100000) + "-" + strconv.FormatInt(counter.Add(1), 10)
	sock, tmpl := "sa-t"+id+".socket", "sa-t"+id+"@.service"
	port := strconv.Itoa(freePort(t))
	systemUnit(t, sock, "[Socket]\nListenStream=127.0.0.1:"+port+"\nListenStream=[::1]:"+port+"\nAccept=yes\nMaxConnectionsPerSource=1\n")
	systemUnit(t, tmpl, "[Service]\nStandardInput=socket\nExecStart="+script+" %i\n")
	ctl(t, 0, "daemon-reload")
	ctl(t, 0, "start", sock)

	a := dialAccept(t, "tcp", "127.0.0.1:"+port)
	peer := strconv.Itoa(a.c.LocalAddr().(*net.TCPAddr).Port)
	inst := "0-127.0.0.1:" + port + "-127.0.0.1:" + peer
	if got, want := a.hello(t), "uid=0 remote=127.0.0.1:"+peer+" fds=none names=none inst="+inst; got != want {
		t.Errorf("instance: got %q, want %q", got, want)
	}
	r := ctl(t, 0, "show", "-p", "Description,ActiveState", "sa-t"+id+"@"+inst+".service")
	if want := "Description=127.0.0.1:" + peer + "\nActiveState=active\n"; r.stdout != want {
		t.Errorf("instance: got\n%s\nwant\n%s", r.stdout, want)
	}
	b := dialAccept(t, "tcp", "127.0.0.1:"+port)
	fmt.Fprintf(b.c, "ping\n")
	if got, err := io.ReadAll(b.r); len(got) != 0 {
		t.Errorf("second connection from 127.0.0.1: want it dropped, read %q (%v)", got, err)
	}
	if got, want := showSocket(t, "", sock), "Accept=yes\nMaxConnections=64\nMaxConnectionsPerSource=1\nNConnections=1\nNAccepted=1\nNRefused=1\n"; got != want {
		t.Errorf("show: got\n%s\nwant\n%s", got, want)
	}
	if r := ctl(t, 0, "logs", "-u", sock); !strings.Contains(r.stdout, sock+": Too many incoming connections (2) from source 127.0.0.1, dropping connection.") {
		t.Errorf("no refusal line in the socket's log:\n%s", r.stdout)
	}

	// IPv6: no brackets in the name, brackets in the description; the
	// refused connection took no number.
	c := dialAccept(t, "tcp", "[::1]:"+port)
	peer = strconv.Itoa(c.c.LocalAddr().(*net.TCPAddr).Port)
	inst = "1-::1:" + port + "-::1:" + peer
	if got, want := c.hello(t), "uid=0 remote=::1:"+peer+" fds=none names=none inst="+inst; got != want {
		t.Errorf("IPv6 instance: got %q, want %q", got, want)
	}
	r = ctl(t, 0, "show", "-p", "Description", "sa-t"+id+"@"+inst+".service")
	if want := "Description=[::1]:" + peer + "\n"; r.stdout != want {
		t.Errorf("IPv6 instance: got %s, want %s", r.stdout, want)
	}
}

// TestEscapeAcceptFloodBounded opens more connections at once than an
// Accept=yes socket's default MaxConnections= (64, as in systemd 257) and
// holds them: the manager runs 64 instances, drops the rest, still
// answers, and once the peers close, every instance ends and is forgotten.
func TestEscapeAcceptFloodBounded(t *testing.T) {
	id := strconv.Itoa(os.Getpid()%100000) + "-" + strconv.FormatInt(counter.Add(1), 10)
	sock, tmpl := "sa-f"+id+".socket", "sa-f"+id+"@.service"
	path := filepath.Join(t.TempDir(), "f.sock")
	systemUnit(t, sock, "[Socket]\nListenStream="+path+"\nAccept=yes\n")
	systemUnit(t, tmpl, "[Service]\nStandardInput=socket\nExecStart=/bin/cat\n")
	ctl(t, 0, "daemon-reload")
	ctl(t, 0, "start", sock)
	const n = 72
	var conns []net.Conn
	for range n {
		c, err := net.DialTimeout("unix", path, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		conns = append(conns, c)
	}
	want := "Accept=yes\nMaxConnections=64\nMaxConnectionsPerSource=0\nNConnections=64\nNAccepted=64\nNRefused=8\n"
	if !waitFor(20*time.Second, func() bool { return showSocket(t, "", sock) == want }) {
		t.Fatalf("after %d connections: got\n%s\nwant\n%s", n, showSocket(t, "", sock), want)
	}
	if r := ctlRun(nil, "is-system-running"); r.code < 0 || r.code > 1 || r.stdout == "" {
		t.Errorf("the manager does not answer: %s", r)
	}
	for _, c := range conns {
		c.Close()
	}
	if !waitFor(20*time.Second, func() bool { return strings.Contains(showSocket(t, "", sock), "NConnections=0\n") }) {
		t.Errorf("connections still counted after every peer closed:\n%s", showSocket(t, "", sock))
	}
	// An instance is unloaded once it has ended, which may come just
	// after its connection stops counting.
	listed := func() string { return ctl(t, 0, "list-units", "--all", "sa-f"+id+"@*").stdout }
	if !waitFor(20*time.Second, func() bool { return !strings.Contains(listed(), "sa-f"+id+"@") }) {
		t.Errorf("instances still listed after they ended:\n%s", listed())
	}
}

// TestSocketStdinListening activates an Accept=no service with
// StandardInput=socket (inetd's "wait" style): its standard input is the
// listening socket itself, blocking, and no LISTEN_FDS is set, as systemd
// 257 passes it; the service accepts the connection from there.
func TestSocketStdinListening(t *testing.T) {
	dir := t.TempDir()
	id := strconv.Itoa(os.Getpid()%100000) + "-" + strconv.FormatInt(counter.Add(1), 10)
	sock, svc := "sa-w"+id+".socket", "sa-w"+id+".service"
	path := filepath.Join(dir, "w.sock")
	prog := `import os, socket, stat
s = socket.socket(fileno=0)
c, _ = s.accept()
c.sendall(("listening=%d blocking=%s fds=%s\n" % (s.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN), os.get_blocking(0), os.environ.get("LISTEN_FDS", "none"))).encode())
c.close()
`
	if err := os.WriteFile(filepath.Join(dir, "w.py"), []byte(prog), 0o644); err != nil {
		t.Fatal(err)
	}
	systemUnit(t, sock, "[Socket]\nListenStream="+path+"\n")
	systemUnit(t, svc, "[Service]\nStandardInput=socket\nStandardOutput=journal\nExecStart=/usr/bin/python3 "+filepath.Join(dir, "w.py")+"\n")
	ctl(t, 0, "daemon-reload")
	ctl(t, 0, "start", sock)
	c := dialAccept(t, "unix", path)
	got, err := io.ReadAll(c.r)
	if err != nil || string(got) != "listening=1 blocking=True fds=none\n" {
		t.Errorf("service: got %q, %v", got, err)
	}
}

// TestSocketAcceptInstanceNameTaken: two Accept=yes sockets with one
// prefix (X.socket and X@b.socket) name their instances alike, so one
// peer's connections to both make the same name. The second is refused
// and its socket fails with resources, as systemd's
// service_set_socket_fd() refuses a service that is not dead; the first
// instance goes on. Before, the second connection was counted and held,
// never answered, by the running instance of the other socket.
func TestSocketAcceptInstanceNameTaken(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "acc.sh")
	if err := os.WriteFile(script, []byte(acceptScript), 0o755); err != nil {
		t.Fatal(err)
	}
	id := strconv.Itoa(os.Getpid()%100000) + "-" + strconv.FormatInt(counter.Add(1), 10)
	sockA, sockB := "sa-c"+id+".socket", "sa-c"+id+"@b.socket"
	pathA, pathB := filepath.Join(dir, "a.sock"), filepath.Join(dir, "b.sock")
	systemUnit(t, sockA, "[Socket]\nListenStream="+pathA+"\nAccept=yes\n")
	systemUnit(t, sockB, "[Socket]\nListenStream="+pathB+"\nAccept=yes\n")
	systemUnit(t, "sa-c"+id+"@.service", "[Service]\nStandardInput=socket\nExecStart="+script+" %i\n")
	ctl(t, 0, "daemon-reload")
	ctl(t, 0, "start", sockA, sockB)
	self := strconv.Itoa(os.Getpid())
	a := dialAccept(t, "unix", pathA)
	if got, want := a.hello(t), "inst=0-"+self+"-0"; !strings.HasSuffix(got, want) {
		t.Fatalf("first instance: got %q, want it to end in %q", got, want)
	}
	b := dialAccept(t, "unix", pathB)
	if line, err := b.r.ReadString('\n'); err == nil {
		t.Errorf("the second socket's connection was answered: %q", line)
	}
	if !waitFor(10*time.Second, func() bool {
		return ctl(t, 0, "show", "-p", "ActiveState,Result", sockB).stdout == "Result=resources\nActiveState=failed\n"
	}) {
		t.Errorf("%s: %s", sockB, ctl(t, 0, "show", "-p", "ActiveState,Result", sockB).stdout)
	}
	fmt.Fprintf(a.c, "again\n")
	if got, err := a.r.ReadString('\n'); err != nil || got != "got again\n" {
		t.Errorf("the first instance after the refusal: %q, %v", got, err)
	}
}
