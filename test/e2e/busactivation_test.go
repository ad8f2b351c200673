package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// busService is a D-Bus service for the tests, run by the capsule's
// python3: it exports /bm org.bm.Test.Hello, then after argv[2] seconds
// takes the name argv[1].
const busService = `import sys, time, dbus, dbus.service
from dbus.mainloop.glib import DBusGMainLoop
from gi.repository import GLib
DBusGMainLoop(set_as_default=True)
bus = dbus.SessionBus()
class O(dbus.service.Object):
    @dbus.service.method("org.bm.Test", in_signature="s", out_signature="s")
    def Hello(self, s):
        return "hi " + s
o = O(bus, "/bm")
time.sleep(float(sys.argv[2]))
n = dbus.service.BusName(sys.argv[1], bus, do_not_queue=True)
GLib.MainLoop().run()
`

// busClient calls org.bm.Test.Hello on each name given and prints the
// reply or the error's name and text. The call's own timeout (20 s) is
// below the broker's 25 s, so a hang shows as NoReply.
const busClient = `import sys, dbus
bus = dbus.SessionBus()
for name in sys.argv[1:]:
    try:
        o = bus.get_object(name, "/bm", introspect=False)
        print(name, "reply", o.Hello("x", dbus_interface="org.bm.Test", timeout=20))
    except dbus.exceptions.DBusException as e:
        print(name, "error", e.get_dbus_name(), e.get_dbus_message())
print("activatable", " ".join(sorted(str(n) for n in bus.list_activatable_names())))
`

// busHome writes files into a capsule's home, relative to it.
func busHome(t *testing.T, capsule string, files map[string]string) {
	t.Helper()
	home := "/var/lib/private/capsules/" + capsule
	for name, text := range files {
		p := filepath.Join(home, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func dbusServiceFile(name, unit string) string {
	return "[D-BUS Service]\nName=" + name + "\nSystemdService=" + unit + "\n"
}

// TestBusActivation: a client's call to a name whose service file names a
// unit starts the unit and gets the reply; a unit that fails fails the
// caller at once with the error systemd 257's capsule broker gives
// (NameHasNoOwner, "Could not activate remote peer 'N': unit failed", or
// "activation request failed: unknown unit" for a unit gone since the
// last reload), not after the broker's 25 s; a name whose unit does not
// load is not activatable at all. A second capsule's bus is another bus.
func TestBusActivation(t *testing.T) {
	c := startCapsule(t, "bma")
	busHome(t, c, map[string]string{
		"svc.py":    busService,
		"client.py": busClient,
		".local/share/dbus-1/services/org.bm.Ok.service":      dbusServiceFile("org.bm.Ok", "bmok.service"),
		".local/share/dbus-1/services/org.bm.Fail.service":    dbusServiceFile("org.bm.Fail", "bmfail.service"),
		".local/share/dbus-1/services/org.bm.Missing.service": dbusServiceFile("org.bm.Missing", "bmmissing.service"),
		".local/share/dbus-1/services/org.bm.Gone.service":    dbusServiceFile("org.bm.Gone", "bmgone.service"),
		// Its unit does not load but its Exec= exists: listed, and the
		// broker asks the manager, never running Exec= itself.
		".local/share/dbus-1/services/org.bm.NoUnit.service": "[D-BUS Service]\nName=org.bm.NoUnit\nExec=/bin/touch /var/lib/capsules/" + c +
			"/execran\nSystemdService=bmnounit.service\n",
	})
	writeUnits(t, c, map[string]string{
		"bmok.service":   "[Service]\nType=dbus\nBusName=org.bm.Ok\nExecStart=/usr/bin/python3 %h/svc.py org.bm.Ok 0\n",
		"bmfail.service": "[Service]\nExecStart=/bin/false\n",
		"bmgone.service": "[Service]\nExecStart=/bin/sleep infinity\n",
	})
	// Listed at the reload, removed since: the activation finds no unit.
	// The listing is written just after the reload: wait for it.
	if !waitFor(5*time.Second, func() bool {
		_, err := os.Stat("/run/capsules/" + c + "/dbus-1/activatable/org.bm.Gone.service")
		return err == nil
	}) {
		t.Fatal("org.bm.Gone not listed after the reload")
	}
	if err := os.Remove("/var/lib/private/capsules/" + c + "/.config/systemd/user/bmgone.service"); err != nil {
		t.Fatal(err)
	}
	r := inCapsule(t, c, 0, "/usr/bin/python3 ~/client.py org.bm.Ok org.bm.Fail org.bm.Missing org.bm.Gone org.bm.NoUnit")
	for _, want := range []string{
		"org.bm.Ok reply hi x\n",
		"org.bm.Fail error org.freedesktop.DBus.Error.NameHasNoOwner Could not activate remote peer 'org.bm.Fail': unit failed\n",
		"org.bm.Missing error org.freedesktop.DBus.Error.ServiceUnknown The name org.bm.Missing was not provided by any .service files\n",
		"org.bm.Gone error org.freedesktop.DBus.Error.NameHasNoOwner Could not activate remote peer 'org.bm.Gone': activation request failed: unknown unit\n",
		"org.bm.NoUnit error org.freedesktop.DBus.Error.NameHasNoOwner Could not activate remote peer 'org.bm.NoUnit': activation request failed: unknown unit\n",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("want %q in:\n%s", want, r.stdout)
		}
	}
	if !strings.Contains(r.stdout, " org.bm.Fail org.bm.Gone org.bm.NoUnit org.bm.Ok org.freedesktop.DBus\n") || strings.Contains(r.stdout, "activatable org.bm.Missing") {
		t.Errorf("activatable names (only those whose unit loads):\n%s", r.stdout)
	}
	if _, err := os.Stat("/var/lib/private/capsules/" + c + "/execran"); err == nil {
		t.Errorf("the broker ran org.bm.NoUnit's Exec= outside any unit")
	}
	if got := states(t, c, "bmok.service"); got != "Result=success\nActiveState=active\nSubState=running\n" {
		t.Errorf("bmok.service:\n%s", got)
	}
	if got := states(t, c, "bmfail.service"); got != "Result=exit-code\nActiveState=failed\nSubState=failed\n" {
		t.Errorf("bmfail.service:\n%s", got)
	}
	// UpdateActivationEnvironment reaches the manager's environment; a
	// program calling SetEnvironment itself is refused.
	r = inCapsule(t, c, 0, "busctl --user call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus UpdateActivationEnvironment 'a{ss}' 1 BMVAR bmval; "+
		"busctl --user call org.freedesktop.systemd1 /org/freedesktop/systemd1 org.freedesktop.systemd1.Manager SetEnvironment as 1 BMBAD=1 2>&1; true")
	if !strings.Contains(r.stdout, "Call failed: Access denied") { // org.freedesktop.DBus.Error.AccessDenied
		t.Errorf("direct SetEnvironment: %s", r)
	}
	waitFor(5*time.Second, func() bool { return strings.Contains(ctl(t, 0, "-C", c, "show-environment").stdout, "BMVAR=bmval\n") })
	if env := ctl(t, 0, "-C", c, "show-environment").stdout; !strings.Contains(env, "BMVAR=bmval\n") || strings.Contains(env, "BMBAD") {
		t.Errorf("show-environment:\n%s", env)
	}
	// The broker restarted: the manager joins it again and answers.
	ctl(t, 0, "-C", c, "restart", "dbus.service")
	// bmok.service's program ends with its connection.
	waitFor(10*time.Second, func() bool { return showValue(t, c, "bmok.service", "ActiveState") != "active" })
	r = inCapsule(t, c, 0, "/usr/bin/python3 ~/client.py org.bm.Ok")
	if !strings.Contains(r.stdout, "org.bm.Ok reply hi x\n") {
		t.Errorf("activation after the broker's restart:\n%s", r.stdout)
	}
	// Another capsule: its own bus, where nothing of the first is seen.
	o := startCapsule(t, "bmb")
	busHome(t, o, map[string]string{"client.py": busClient})
	r = inCapsule(t, o, 0, "/usr/bin/python3 ~/client.py org.bm.Ok; busctl --user list --no-pager --no-legend --acquired | cut -d' ' -f1")
	if !strings.Contains(r.stdout, "org.bm.Ok error org.freedesktop.DBus.Error.ServiceUnknown") || strings.Contains(r.stdout, "org.bm.Ok\n") {
		t.Errorf("the second capsule's bus:\n%s", r.stdout)
	}
}

// TestBusTypeDbus: a Type=dbus service is activating until it takes its
// BusName= (here 1 s after it starts), then active; it requires and is
// ordered after dbus.socket (observed in systemd 257: Requires=app.slice
// basic.target dbus.socket); one that never takes its name fails when
// its start times out, with systemd 257's result and log line, and the
// caller that activated it gets "startup job failed".
func TestBusTypeDbus(t *testing.T) {
	c := startCapsule(t, "bmt")
	busHome(t, c, map[string]string{"svc.py": busService, "client.py": busClient,
		".local/share/dbus-1/services/org.bm.NoName.service": dbusServiceFile("org.bm.NoName", "bmnoname.service")})
	writeUnits(t, c, map[string]string{
		"bmslow.service":   "[Service]\nType=dbus\nBusName=org.bm.Slow\nExecStart=/usr/bin/python3 %h/svc.py org.bm.Slow 1\n",
		"bmnoname.service": "[Service]\nType=dbus\nBusName=org.bm.NoName\nExecStart=/bin/sleep infinity\nTimeoutStartSec=1s\n",
		"bmgone.service":   "[Service]\nType=dbus\nBusName=org.bm.Gone\nExecStart=/bin/true\n",
	})
	// Observed in systemd 257: a main process that ends cleanly before it
	// takes its name lets the start succeed; the unit is inactive then.
	ctl(t, 0, "-C", c, "start", "bmgone.service")
	waitState(t, c, "bmgone.service", "Result=success\nActiveState=inactive\nSubState=dead\n")
	r := ctl(t, 0, "-C", c, "show", "-p", "Type,BusName,Requires,After", "bmslow.service")
	if r.stdout != "Type=dbus\nBusName=org.bm.Slow\nRequires=app.slice basic.target dbus.socket\nAfter=app.slice basic.target dbus.socket\n" {
		t.Errorf("show:\n%s", r.stdout)
	}
	ctl(t, 0, "-C", c, "start", "--no-block", "bmslow.service")
	waitState(t, c, "bmslow.service", "Result=success\nActiveState=activating\nSubState=start\n")
	waitState(t, c, "bmslow.service", "Result=success\nActiveState=active\nSubState=running\n")
	if r := inCapsule(t, c, 0, "busctl --user call org.bm.Slow /bm org.bm.Test Hello s y"); r.stdout != "s \"hi y\"\n" {
		t.Errorf("call: %s", r)
	}
	// Activated by a call: the start job's timeout fails the caller with
	// systemd 257's broker's words.
	r = inCapsule(t, c, 0, "/usr/bin/python3 ~/client.py org.bm.NoName")
	if want := "org.bm.NoName error org.freedesktop.DBus.Error.NameHasNoOwner Could not activate remote peer 'org.bm.NoName': startup job failed\n"; !strings.Contains(r.stdout, want) {
		t.Errorf("want %q in:\n%s", want, r.stdout)
	}
	if got := states(t, c, "bmnoname.service"); got != "Result=timeout\nActiveState=failed\nSubState=failed\n" {
		t.Errorf("bmnoname.service:\n%s", got)
	}
	if logs := ctl(t, 0, "-C", c, "logs", "-u", "bmnoname.service").stdout; !strings.Contains(logs, "bmnoname.service: start operation timed out. Terminating.") {
		t.Errorf("logs:\n%s", logs)
	}
}

// TestEscapeForgedActivationRequest: a program of the capsule sends the
// manager 2000 ActivationRequest signals of its own, naming a unit that
// would leave a mark. Only the bus driver's requests count (the broker
// stamps each message with its sender's unique name, so none can pass for
// org.freedesktop.DBus), so the unit never starts, and a real activation
// is still answered after the flood.
func TestEscapeForgedActivationRequest(t *testing.T) {
	c := startCapsule(t, "bmx")
	busHome(t, c, map[string]string{
		"svc.py":    busService,
		"client.py": busClient,
		".local/share/dbus-1/services/org.bm.Ok.service": dbusServiceFile("org.bm.Ok", "bmok.service"),
		"forge.py": `import dbus, dbus.lowlevel
bus = dbus.SessionBus()
for i in range(2000):
    m = dbus.lowlevel.SignalMessage("/org/freedesktop/DBus", "org.freedesktop.systemd1.Activator", "ActivationRequest")
    m.set_destination("org.freedesktop.systemd1")
    m.append("bmmark.service", signature="s")
    bus.send_message(m)
bus.flush()
print("sent")
`,
	})
	writeUnits(t, c, map[string]string{
		"bmok.service":   "[Service]\nType=dbus\nBusName=org.bm.Ok\nExecStart=/usr/bin/python3 %h/svc.py org.bm.Ok 0\n",
		"bmmark.service": "[Service]\nType=oneshot\nExecStart=/bin/touch %h/marked\n",
	})
	// The broker is up and the manager on it before the flood.
	inCapsule(t, c, 0, "for i in $(seq 200); do busctl --user status org.freedesktop.systemd1 >/dev/null 2>&1 && exit 0; sleep 0.02; done; exit 1")
	if r := inCapsule(t, c, 0, "/usr/bin/python3 ~/forge.py"); r.stdout != "sent\n" {
		t.Fatalf("forge: %s", r)
	}
	r := inCapsule(t, c, 0, "/usr/bin/python3 ~/client.py org.bm.Ok")
	if !strings.Contains(r.stdout, "org.bm.Ok reply hi x\n") {
		t.Errorf("activation after the flood:\n%s", r.stdout)
	}
	if got := showValue(t, c, "bmmark.service", "ActiveState") + " " + showValue(t, c, "bmmark.service", "InactiveExitTimestampMonotonic"); got != "inactive 0" {
		t.Errorf("bmmark.service was started by a forged request: %s", got)
	}
	if _, err := os.Stat("/var/lib/private/capsules/" + c + "/marked"); err == nil {
		t.Errorf("bmmark.service ran")
	}
}
