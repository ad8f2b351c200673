package e2e

import (
	"os"
	osexec "os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// privateSystemBus runs a dbus-daemon of the test's own with a system
// bus's kind of configuration (EXTERNAL auth, no activation) and returns
// its address; it is stopped when the test ends.
func privateSystemBus(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	sock := filepath.Join(dir, "system_bus_socket")
	conf := `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=` + sock + `</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
`
	if err := os.WriteFile(filepath.Join(dir, "bus.conf"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := osexec.Command("dbus-daemon", "--config-file="+filepath.Join(dir, "bus.conf"), "--nofork", "--nopidfile")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	})
	for i := 0; i < 500; i++ {
		if _, err := os.Stat(sock); err == nil {
			return "unix:path=" + sock
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("the private system bus did not come up")
	return ""
}

// TestBusTypeDbusSystem: the system manager tracks bus names on the host's
// system bus (here a private one it is pointed at through
// CAPSULED_SYSTEM_BUS_ADDRESS): a Type=dbus service is activating until it
// takes its name, then active. With no system bus listening, such a start
// fails at once, saying why.
func TestBusTypeDbusSystem(t *testing.T) {
	addr := privateSystemBus(t)
	m := newManager(t, "bmsys", nil, func(c *osexec.Cmd) error {
		c.Env = append(os.Environ(), "CAPSULED_SYSTEM_BUS_ADDRESS="+addr)
		return c.Start()
	})
	dir := filepath.Join(m.rt, "system")
	svc := filepath.Join(t.TempDir(), "svc.py")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for path, text := range map[string]string{
		svc: busService,
		filepath.Join(dir, "bmsys.service"): "[Service]\nType=dbus\nBusName=org.bm.Sys\nEnvironment=DBUS_SESSION_BUS_ADDRESS=" + addr +
			"\nExecStart=/usr/bin/python3 " + svc + " org.bm.Sys 1\n",
	} {
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if r := ctlRunEnv(m.env, "start", "--no-block", "bmsys.service"); r.code != 0 {
		t.Fatalf("start: %s", r)
	}
	waitFor(10*time.Second, func() bool {
		return ctlRunEnv(m.env, "show", "-p", "ActiveState,SubState", "bmsys.service").stdout != "ActiveState=inactive\nSubState=dead\n"
	})
	if got := ctlRunEnv(m.env, "show", "-p", "ActiveState,SubState", "bmsys.service").stdout; got != "ActiveState=activating\nSubState=start\n" {
		t.Errorf("before it takes its name: %q", got)
	}
	if !waitFor(10*time.Second, func() bool { return ctlRunEnv(m.env, "is-active", "bmsys.service").stdout == "active\n" }) {
		t.Errorf("not active: %s", ctlRunEnv(m.env, "status", "bmsys.service"))
	}
	ctlRunEnv(m.env, "stop", "bmsys.service")

	// BusName= requires and follows dbus.socket in the system manager too
	// (systemd 257: Requires=dbus.socket system.slice sysinit.target,
	// After=dbus.socket ...): here only once the manager has such a unit,
	// which the start then starts first; the host's bus is no unit.
	deps := func() string {
		return ctlRunEnv(m.env, "show", "-p", "Requires,After", "bmsys.service").stdout
	}
	if got := deps(); !strings.Contains(got, "After=") || !strings.Contains(strings.SplitN(got, "After=", 2)[1], "dbus.socket") ||
		strings.Contains(strings.SplitN(got, "After=", 2)[0], "dbus.socket") {
		t.Errorf("without a dbus.socket unit (After= only):\n%s", got)
	}
	sock := filepath.Join(t.TempDir(), "bus")
	if err := os.WriteFile(filepath.Join(dir, "dbus.socket"), []byte("[Socket]\nListenStream="+sock+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A socket whose service does not load is refused at start.
	if err := os.WriteFile(filepath.Join(dir, "dbus.service"), []byte("[Service]\nExecStart=/bin/sleep 60\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctlRunEnv(m.env, "daemon-reload")
	if got := deps(); !strings.Contains(got, "Requires=") || !strings.Contains(strings.SplitN(got, "After=", 2)[0], "dbus.socket") ||
		!strings.Contains(strings.SplitN(got, "After=", 2)[1], "dbus.socket") {
		t.Errorf("with a dbus.socket unit (Requires= and After=):\n%s", got)
	}
	if r := ctlRunEnv(m.env, "start", "bmsys.service"); r.code != 0 {
		t.Errorf("start with dbus.socket: %s", r)
	}
	if got := ctlRunEnv(m.env, "is-active", "dbus.socket").stdout; got != "active\n" {
		t.Errorf("dbus.socket after the start: %q", got)
	}
	ctlRunEnv(m.env, "stop", "bmsys.service", "dbus.socket")

	// The shared manager has no bus: none listens at the default path here.
	if _, err := os.Stat("/run/dbus/system_bus_socket"); err == nil {
		t.Skip("this host has a system bus")
	}
	systemUnit(t, "bmnobus.service", "[Service]\nType=dbus\nBusName=org.bm.NoBus\nExecStart=/bin/sleep infinity\n")
	r := ctl(t, 1, "start", "bmnobus.service")
	logs := ctl(t, 0, "logs", "-u", "bmnobus.service").stdout
	if !strings.Contains(r.stderr, "Job for bmnobus.service failed because of unavailable resources") ||
		!strings.Contains(logs, "start bmnobus.service: Type=dbus needs a bus to see org.bm.NoBus on: no system bus at /run/dbus/system_bus_socket") {
		t.Errorf("start without a system bus: %s\nlogs:\n%s", r, logs)
	}
	if got := ctl(t, 0, "show", "-p", "ActiveState,Result", "bmnobus.service").stdout; got != "Result=resources\nActiveState=failed\n" {
		t.Errorf("after: %q", got)
	}
}
