package e2e

import (
	"net"
	"os"
	"strings"
	"testing"
	"time"
)

// Socket activation's semantics and limits, with the values systemd 257
// showed (the socket units' own listeners are file system sockets here).

// connectHeld connects to a capsule's socket and keeps the connection,
// never accepted, until the test ends: the listener stays readable.
func connectHeld(t *testing.T, path string) net.Conn {
	t.Helper()
	c, err := net.Dial("unix", path)
	if err != nil {
		t.Fatalf("connect to %s: %v", path, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// waitLogN waits until the capsule's log holds want n times and returns it.
func waitLogN(t *testing.T, c, want string, n int) string {
	t.Helper()
	var logs string
	if !waitFor(5*time.Second, func() bool {
		logs = ctl(t, 0, "-C", c, "logs", "-n", "1000").stdout
		return strings.Count(logs, want) >= n
	}) {
		t.Fatalf("no %q (%d times) in the log:\n%s", want, n, logs)
	}
	return logs
}

// fdsScript prints what a socket-activated service got: LISTEN_FDS,
// LISTEN_FDNAMES and the address each passed socket listens on, then
// accepts and closes connections.
const fdsScript = `import os, select, socket, time
n = int(os.environ.get("LISTEN_FDS", "0"))
socks = [socket.socket(fileno=3 + i) for i in range(n)]
print("got LISTEN_FDS=%s LISTEN_FDNAMES=%s" % (os.environ.get("LISTEN_FDS", ""), os.environ.get("LISTEN_FDNAMES", "")),
      " ".join(os.path.basename(s.getsockname()) for s in socks), flush=True)
while socks:
    for s in select.select(socks, [], [])[0]:
        s.accept()[0].close()
time.sleep(3600)
`

// TestSocketSeveralUnitsOneService: two socket units name one service;
// it gets every listening socket of both, the units in TriggeredBy= order
// and each one's in Listen order, named as systemd 257 names them
// (observed: LISTEN_FDNAMES=rk-cm.socket:web:web), also when started by
// hand while the sockets listen, and none once they are stopped.
func TestSocketSeveralUnitsOneService(t *testing.T) {
	c := startCapsule(t, "smfd")
	writeUnits(t, c, map[string]string{
		"sm-m.socket":  "[Socket]\nListenStream=%t/sm-m.sock\n",
		"sm-m1.socket": "[Socket]\nListenStream=%t/sm-m1a.sock\nListenStream=%t/sm-m1b.sock\nFileDescriptorName=web\nService=sm-m.service\n",
		"sm-m.service": "[Service]\nExecStart=/usr/bin/python3 %h/sm-fds.py\n",
	})
	if err := os.WriteFile(homeOf(c)+"/sm-fds.py", []byte(fdsScript), 0o644); err != nil {
		t.Fatal(err)
	}
	ctl(t, 0, "-C", c, "start", "sm-m.socket")
	ctl(t, 0, "-C", c, "start", "sm-m1.socket")
	if got := ctl(t, 0, "-C", c, "show", "-p", "TriggeredBy", "sm-m.service").stdout; got != "TriggeredBy=sm-m.socket sm-m1.socket\n" {
		t.Errorf("show -p TriggeredBy sm-m.service: %q", got)
	}
	if got := ctl(t, 0, "-C", c, "show", "-p", "Triggers", "sm-m1.socket").stdout; got != "Triggers=sm-m.service\n" {
		t.Errorf("show -p Triggers sm-m1.socket: %q", got)
	}
	const want = "got LISTEN_FDS=3 LISTEN_FDNAMES=sm-m.socket:web:web sm-m.sock sm-m1a.sock sm-m1b.sock"
	connectHeld(t, "/run/capsules/"+c+"/sm-m1b.sock")
	waitLogN(t, c, want, 1)
	if got := states(t, c, "sm-m1.socket"); got != "Result=success\nActiveState=active\nSubState=running\n" {
		t.Errorf("sm-m1.socket while its service runs:\n%s", got)
	}

	// By hand, the sockets listening.
	ctl(t, 0, "-C", c, "stop", "sm-m.service")
	if got := states(t, c, "sm-m1.socket"); got != "Result=success\nActiveState=active\nSubState=listening\n" {
		t.Errorf("sm-m1.socket once its service stopped:\n%s", got)
	}
	ctl(t, 0, "-C", c, "start", "sm-m.service")
	waitLogN(t, c, want, 2)

	// By hand, the sockets stopped: nothing is passed.
	ctl(t, 0, "-C", c, "stop", "sm-m.socket", "sm-m1.socket")
	ctl(t, 0, "-C", c, "stop", "sm-m.service")
	ctl(t, 0, "-C", c, "start", "sm-m.service")
	waitLogN(t, c, "got LISTEN_FDS= LISTEN_FDNAMES= \n", 1)
	ctl(t, 0, "-C", c, "stop", "sm-m.service")
}

// TestSocketServiceStartLimit: a service that exits at once without
// accepting is started again while the connection waits, five times, until
// its start limit refuses it; the socket then fails with
// service-start-limit-hit and stops listening, running its ExecStopPost=,
// as in systemd 257. Before,
// such a service was started again as fast as it exited.
func TestSocketServiceStartLimit(t *testing.T) {
	c := startCapsule(t, "smsl")
	writeUnits(t, c, map[string]string{
		"sm-x.socket":  "[Socket]\nListenStream=%t/sm-x.sock\nExecStopPost=/bin/echo sm-x StopPost\n",
		"sm-x.service": "[Service]\nExecStart=/bin/true\n",
	})
	ctl(t, 0, "-C", c, "start", "sm-x.socket")
	path := "/run/capsules/" + c + "/sm-x.sock"
	connectHeld(t, path)
	waitLogN(t, c, "sm-x.socket: Failed with result 'service-start-limit-hit'.", 1)
	time.Sleep(200 * time.Millisecond)
	logs := ctl(t, 0, "-C", c, "logs", "-n", "1000").stdout
	if n := strings.Count(logs, "Started sm-x.service."); n != 5 {
		t.Errorf("sm-x.service started %d times, want 5:\n%s", n, logs)
	}
	for _, l := range []string{"sm-x.service: Start request repeated too quickly.", "sm-x.service: Failed with result 'start-limit-hit'.",
		"Failed to start sm-x.service."} {
		if !strings.Contains(logs, l+"\n") {
			t.Errorf("no %q in the log:\n%s", l, logs)
		}
	}
	// The failing socket runs its ExecStopPost=, as in systemd 257's
	// capsule (its output may reach the log after the manager's lines).
	waitLogN(t, c, "sm-x StopPost\n", 1)
	if got := states(t, c, "sm-x.socket"); got != "Result=service-start-limit-hit\nActiveState=failed\nSubState=failed\n" {
		t.Errorf("sm-x.socket:\n%s", got)
	}
	if got := states(t, c, "sm-x.service"); got != "Result=start-limit-hit\nActiveState=failed\nSubState=failed\n" {
		t.Errorf("sm-x.service:\n%s", got)
	}
	if conn, err := net.Dial("unix", path); err == nil {
		conn.Close()
		t.Errorf("the failed socket still listens")
	}

	// A service that fails keeps its own result (exit-code, as systemd
	// 257's); the socket still fails with service-start-limit-hit.
	writeUnits(t, c, map[string]string{
		"sm-y.socket":  "[Socket]\nListenStream=%t/sm-y.sock\n",
		"sm-y.service": "[Service]\nExecStart=/bin/false\n",
	})
	ctl(t, 0, "-C", c, "start", "sm-y.socket")
	connectHeld(t, "/run/capsules/"+c+"/sm-y.sock")
	logs = waitLogN(t, c, "sm-y.socket: Failed with result 'service-start-limit-hit'.", 1)
	if n := strings.Count(logs, "sm-y.service: Main process exited, code=exited, status=1/FAILURE"); n != 5 {
		t.Errorf("sm-y.service failed %d times, want 5:\n%s", n, logs)
	}
	if got := states(t, c, "sm-y.service"); got != "Result=exit-code\nActiveState=failed\nSubState=failed\n" {
		t.Errorf("sm-y.service:\n%s", got)
	}
	if got := states(t, c, "sm-y.socket"); got != "Result=service-start-limit-hit\nActiveState=failed\nSubState=failed\n" {
		t.Errorf("sm-y.socket:\n%s", got)
	}
}

// TestSocketTriggerLimit: with TriggerLimitBurst=3 (and no start limit on
// the service, which exits without accepting) the fourth wake-up fails
// the socket with trigger-limit-hit and systemd 257's line; the defaults
// are shown as systemd shows them.
func TestSocketTriggerLimit(t *testing.T) {
	c := startCapsule(t, "smtl")
	writeUnits(t, c, map[string]string{
		"sm-t.socket":  "[Socket]\nListenStream=%t/sm-t.sock\nTriggerLimitIntervalSec=10s\nTriggerLimitBurst=3\n",
		"sm-t.service": "[Unit]\nStartLimitIntervalSec=0\n[Service]\nExecStart=/bin/true\n",
		"sm-d.socket":  "[Socket]\nListenStream=%t/sm-d.sock\n",
	})
	if got := ctl(t, 0, "-C", c, "show", "-p", "TriggerLimitIntervalUSec,TriggerLimitBurst,PollLimitIntervalUSec,PollLimitBurst", "sm-d.socket").stdout; got != "TriggerLimitIntervalUSec=2s\nTriggerLimitBurst=20\nPollLimitIntervalUSec=2s\nPollLimitBurst=15\n" {
		t.Errorf("defaults:\n%s", got)
	}
	ctl(t, 0, "-C", c, "start", "sm-t.socket")
	connectHeld(t, "/run/capsules/"+c+"/sm-t.sock")
	waitLogN(t, c, "sm-t.socket: Failed with result 'trigger-limit-hit'.", 1)
	time.Sleep(200 * time.Millisecond)
	logs := ctl(t, 0, "-C", c, "logs", "-n", "1000").stdout
	if n := strings.Count(logs, "Started sm-t.service."); n != 3 {
		t.Errorf("sm-t.service started %d times, want 3:\n%s", n, logs)
	}
	if !strings.Contains(logs, "sm-t.socket: Trigger limit hit, refusing further activation.\n") {
		t.Errorf("no trigger limit line:\n%s", logs)
	}
	if got := states(t, c, "sm-t.socket"); got != "Result=trigger-limit-hit\nActiveState=failed\nSubState=failed\n" {
		t.Errorf("sm-t.socket:\n%s", got)
	}
	if got := states(t, c, "sm-t.service"); got != "Result=success\nActiveState=inactive\nSubState=dead\n" {
		t.Errorf("sm-t.service:\n%s", got)
	}
}
