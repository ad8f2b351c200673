package e2e

import (
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestBusFaceOneConnection: the capsule's manager holds one connection to
// its bus whatever happens to it: each daemon-reload makes the broker
// reread its configuration (dbus.service goes reloading, then active
// again), reloads come one after another and several at once, and the
// broker is restarted. Before, each reload left one more connection and
// one more fd in the manager.
func TestBusFaceOneConnection(t *testing.T) {
	c := startCapsule(t, "bmc")
	pid := strings.TrimSpace(ctl(t, 0, "show", "--value", "-p", "MainPID", "capsule@"+c+".service").stdout)
	if n, err := strconv.Atoi(pid); err != nil || n <= 0 {
		t.Fatalf("MainPID %q", pid)
	}
	// How many connections of the bus the manager has, as the capsule's
	// busctl lists them, once org.freedesktop.systemd1 is owned.
	conns := func() string {
		r := inCapsule(t, c, 0, "for i in $(seq 250); do busctl --user status org.freedesktop.systemd1 >/dev/null 2>&1 && break; sleep 0.02; done; "+
			"busctl --user list --unique --no-legend | awk '$2 == "+pid+"' | wc -l")
		return strings.TrimSpace(r.stdout)
	}
	fds := func() int {
		entries, err := os.ReadDir("/proc/" + pid + "/fd")
		if err != nil {
			t.Fatalf("the manager's fds: %v", err)
		}
		return len(entries)
	}
	if got := conns(); got != "1" {
		t.Fatalf("connections of the manager after the broker started: %s", got)
	}
	before := fds()
	for i := 0; i < 3; i++ {
		ctl(t, 0, "-C", c, "daemon-reload")
	}
	var wg sync.WaitGroup
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctlRun(nil, "-C", c, "daemon-reload")
		}()
	}
	wg.Wait()
	waitFor(5*time.Second, func() bool { return showValue(t, c, "dbus.service", "ActiveState") == "active" })
	if got := conns(); got != "1" {
		t.Errorf("connections of the manager after 6 reloads: %s", got)
	}
	// Settled: a reload's own control connection may still be closing.
	waitFor(5*time.Second, func() bool { return fds() <= before })
	if after := fds(); after > before {
		t.Errorf("the manager's fds: %d before the reloads, %d after", before, after)
	}
	ctl(t, 0, "-C", c, "restart", "dbus.service")
	if got := conns(); got != "1" {
		t.Errorf("connections of the manager after the broker's restart: %s", got)
	}
}

// TestBusFaceIntrospect: the manager's objects answer Introspect and Peer,
// so busctl's tree and introspect work on org.freedesktop.systemd1 (they
// failed with "Failed to introspect" before), listing what is implemented;
// GetMachineId gives the machine's ID, as systemd's does.
func TestBusFaceIntrospect(t *testing.T) {
	c := startCapsule(t, "bmi")
	id, err := os.ReadFile("/etc/machine-id")
	if err != nil {
		t.Skip("no machine ID here")
	}
	r := inCapsule(t, c, 0, "for i in $(seq 250); do busctl --user status org.freedesktop.systemd1 >/dev/null 2>&1 && break; sleep 0.02; done; "+
		"busctl --user tree --list org.freedesktop.systemd1; busctl --user introspect --no-pager org.freedesktop.systemd1 /org/freedesktop/systemd1 | awk '{print $1, $2, $3, $4}'; "+
		"busctl --user call org.freedesktop.systemd1 /org/freedesktop/systemd1 org.freedesktop.DBus.Peer GetMachineId; "+
		"busctl --user call org.freedesktop.systemd1 /org/freedesktop/systemd1 org.freedesktop.DBus.Peer Ping && echo pong")
	want := "/\n/org\n/org/freedesktop\n/org/freedesktop/systemd1\n" +
		"NAME TYPE SIGNATURE RESULT/VALUE\n" +
		"org.freedesktop.DBus.Introspectable interface - -\n" +
		".Introspect method - s\n" +
		"org.freedesktop.DBus.Peer interface - -\n" +
		".GetMachineId method - s\n" +
		".Ping method - -\n" +
		"org.freedesktop.systemd1.Manager interface - -\n" +
		".SetEnvironment method as -\n" +
		"s \"" + strings.TrimSpace(string(id)) + "\"\npong\n"
	if r.stdout != want {
		t.Errorf("got:\n%s\nwant:\n%s", r, want)
	}
}
