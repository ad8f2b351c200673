package e2e

import (
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
)

// TestCapsuleBus checks the capsule's own D-Bus broker: a socket at
// /run/capsules/NAME/bus owned by the capsule, activated on first use,
// reachable by the capsule's programs and by capsulectl -C NAME bus.
func TestCapsuleBus(t *testing.T) {
	name := startCapsule(t, "bus")
	uid, _ := capsuleUID(t, name)
	var st syscall.Stat_t
	path := "/run/capsules/" + name + "/bus"
	if err := syscall.Lstat(path, &st); err != nil || st.Mode&syscall.S_IFMT != syscall.S_IFSOCK || int(st.Uid) != uid {
		t.Fatalf("%s: want a socket owned by %d, got mode %o uid %d (%v)", path, uid, st.Mode, st.Uid, err)
	}
	// Listening, not yet running: the first client starts the broker.
	if r := ctl(t, 0, "-C", name, "is-active", "dbus.socket"); strings.TrimSpace(r.stdout) != "active" {
		t.Errorf("dbus.socket: %q", r.stdout)
	}
	ctl(t, 3, "-C", name, "is-active", "dbus.service")
	r := inCapsule(t, name, 0, "echo $DBUS_SESSION_BUS_ADDRESS; busctl --user list --no-pager --no-legend | cut -d' ' -f1")
	if !strings.HasPrefix(r.stdout, "unix:path="+path+"\n") || !strings.Contains(r.stdout, "org.freedesktop.DBus") {
		t.Errorf("inside the capsule:\n%s", r.stdout)
	}
	ctl(t, 0, "-C", name, "is-active", "dbus.service")
	r = ctl(t, 0, "-C", name, "bus")
	if !strings.Contains(r.stdout, "org.freedesktop.DBus") || !strings.Contains(r.stdout, "dbus-daemon") {
		t.Errorf("capsulectl bus:\n%s", r.stdout)
	}
	// The broker runs as the capsule, in its cgroup, and admits nobody else.
	pid := mainPID(t, name, "dbus.service")
	if pid == 0 || statOwner(t, fmt.Sprintf("/proc/%d", pid)) != uid {
		t.Errorf("dbus-daemon (pid %d) does not run as %d", pid, uid)
	}
	other := startCapsule(t, "busx")
	if r := inCapsule(t, other, 0, "ls "+path+" 2>&1 || echo hidden"); !strings.Contains(r.stdout, "hidden") {
		t.Errorf("capsule %s sees %s: %s", other, path, r.stdout)
	}
	ctl(t, 0, "stop", "capsule@"+name+".service")
	if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); err == nil {
		if statOwner(t, fmt.Sprintf("/proc/%d", pid)) == uid {
			t.Errorf("dbus-daemon %d outlived its capsule", pid)
		}
	}
}
