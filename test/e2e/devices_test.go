package e2e

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestEscapeDevicePolicyClosed: a system service with DevicePolicy= or
// DeviceAllow= cannot open device nodes it was not given, even as root
// and even through a node it makes itself (the v1 devices controller
// checks the device number, not the path); the standard pseudo devices
// stay open under closed, only the listed ones under strict.
func TestEscapeDevicePolicyClosed(t *testing.T) {
	if _, err := os.Stat("/dev/kmsg"); err != nil {
		t.Skip("no /dev/kmsg to try")
	}
	dir := t.TempDir()
	// Each open is tried in a subshell: a failed redirection ends it.
	script := `d=` + dir + `
for n in /dev/null /dev/zero /dev/kmsg; do (exec 3<$n) 2>/dev/null && echo "$n open" || echo "$n denied"; done
mknod $d/km c 1 11 2>/dev/null && { (exec 3<$d/km) 2>/dev/null && echo "own node open" || echo "own node denied"; rm -f $d/km; } || echo "mknod denied"
`
	for _, tt := range []struct {
		props []string
		want  string
	}{
		{nil, "/dev/null open\n/dev/zero open\n/dev/kmsg open\nown node open\n"},
		{[]string{"DevicePolicy=closed"}, "/dev/null open\n/dev/zero open\n/dev/kmsg denied\nmknod denied\n"},
		// auto with DeviceAllow= is closed plus the list.
		{[]string{"DeviceAllow=/dev/kmsg r"}, "/dev/null open\n/dev/zero open\n/dev/kmsg open\nmknod denied\n"},
		{[]string{"DeviceAllow=char-mem rm"}, "/dev/null open\n/dev/zero open\n/dev/kmsg open\nown node open\n"},
		{[]string{"DevicePolicy=strict", "DeviceAllow=/dev/null rw"}, "/dev/null open\n/dev/zero denied\n/dev/kmsg denied\nmknod denied\n"},
	} {
		args := []string{"run", "-q", "-P"}
		for _, p := range tt.props {
			args = append(args, "-p", p)
		}
		r := ctl(t, 0, append(args, "sh", "-c", script)...)
		if r.stdout != tt.want {
			t.Errorf("%v:\n%s\nwant stdout:\n%s", tt.props, r, tt.want)
		}
	}
	// The properties, as systemd 257 shows them (observed).
	unit := fmt.Sprintf("cp-dev-%d.service", os.Getpid())
	systemUnit(t, unit, "[Service]\nExecStart=/bin/true\nDeviceAllow=/dev/null rw\nDeviceAllow=char-pts\nDeviceAllow=block-loop r\nDevicePolicy=closed\n")
	if r := ctl(t, 0, "show", "-p", "DeviceAllow,DevicePolicy", unit); r.stdout != "DevicePolicy=closed\nDeviceAllow=block-loop r\nDeviceAllow=char-pts rwm\nDeviceAllow=/dev/null rw\n" {
		t.Errorf("show: %s", r)
	}
}

// TestDeviceAllowInCapsuleWarns: a capsule's manager cannot restrict
// device access; it says so rather than ignoring the settings silently.
func TestDeviceAllowInCapsuleWarns(t *testing.T) {
	c := startCapsule(t, "dev")
	writeUnits(t, c, map[string]string{"cpdev.service": "[Service]\nType=oneshot\nExecStart=/bin/true\nDevicePolicy=closed\nDeviceAllow=/dev/null rw\n"})
	ctl(t, 0, "-C", c, "start", "cpdev.service")
	r := ctl(t, 3, "-C", c, "status", "cpdev.service")
	if !strings.Contains(r.stdout, "cpdev.service: DeviceAllow= and DevicePolicy= need the system manager") {
		t.Errorf("no warning in status: %s", r)
	}
}

// TestSocketNodeOwnerAndModes: a socket unit's node gets SocketMode=, its
// new parent directory DirectoryMode=, and its owner SocketUser= (with
// that user's group) or SocketGroup=.
func TestSocketNodeOwnerAndModes(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct {
		owner    string
		uid, gid uint32
	}{
		{"SocketUser=nobody\n", 65534, 65534},
		{"SocketUser=nobody\nSocketGroup=daemon\n", 65534, 1},
		{"SocketGroup=2\n", 0, 2},
	} {
		n := counter.Add(1)
		path := fmt.Sprintf("%s/d%d/s.sock", dir, n)
		unit := fmt.Sprintf("cp-sock-%d-%d.socket", os.Getpid(), n)
		systemUnit(t, strings.TrimSuffix(unit, ".socket")+".service", "[Service]\nExecStart=/bin/sleep 60\n")
		systemUnit(t, unit, "[Socket]\nListenStream="+path+"\nSocketMode=0600\nDirectoryMode=0750\n"+tt.owner)
		ctl(t, 0, "start", unit)
		var st, dst syscall.Stat_t
		if err := syscall.Lstat(path, &st); err != nil {
			t.Fatal(err)
		}
		if err := syscall.Lstat(filepath.Dir(path), &dst); err != nil {
			t.Fatal(err)
		}
		if st.Mode&0o7777 != 0o600 || st.Mode&syscall.S_IFMT != syscall.S_IFSOCK || st.Uid != tt.uid || st.Gid != tt.gid {
			t.Errorf("%q: socket mode %o owner %d:%d, want socket 0600 %d:%d", tt.owner, st.Mode, st.Uid, st.Gid, tt.uid, tt.gid)
		}
		if dst.Mode&0o7777 != 0o750 {
			t.Errorf("DirectoryMode=0750: directory has %o", dst.Mode&0o7777)
		}
		ctl(t, 0, "stop", unit)
	}
}

// TestNonBlockingSockets: the listening socket a socket-activated service
// gets is blocking unless NonBlocking=yes, as systemd passes it.
func TestNonBlockingSockets(t *testing.T) {
	if _, err := os.Stat("/usr/bin/python3"); err != nil {
		t.Skip("no python3")
	}
	dir := t.TempDir()
	const probe = `import fcntl, os, sys; print("nonblocking" if fcntl.fcntl(3, fcntl.F_GETFL) & os.O_NONBLOCK else "blocking", file=open(sys.argv[1], "w"))`
	if err := os.WriteFile(filepath.Join(dir, "probe.py"), []byte(probe), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, nb := range []string{"yes", "no"} {
		base := fmt.Sprintf("cp-nb%s-%d", nb, os.Getpid())
		sock, out := filepath.Join(dir, base+".sock"), filepath.Join(dir, base+".out")
		systemUnit(t, base+".service", "[Service]\nType=oneshot\nNonBlocking="+nb+"\nExecStart=/usr/bin/python3 "+dir+"/probe.py "+out+"\n")
		systemUnit(t, base+".socket", "[Socket]\nListenStream="+sock+"\n")
		ctl(t, 0, "start", base+".socket")
		c, err := net.Dial("unix", sock)
		if err != nil {
			t.Fatal(err)
		}
		c.Close()
		var got []byte
		for range 500 {
			if got, err = os.ReadFile(out); err == nil && len(got) > 0 {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		want := map[string]string{"yes": "nonblocking\n", "no": "blocking\n"}[nb]
		if string(got) != want {
			t.Errorf("NonBlocking=%s: the service saw %q, want %q", nb, got, want)
		}
		// The oneshot ends on its own; stopping it before would fail it.
		for range 500 {
			if r := ctlRun(nil, "is-active", base+".service"); strings.TrimSpace(r.stdout) != "activating" {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		ctl(t, 0, "stop", base+".socket", base+".service")
		ctlRun(nil, "reset-failed", base+".socket", base+".service")
	}
}

// TestSocketRemoveOnStop: a socket unit's node goes when it stops
// (capsuled's default, RemoveOnStop=yes as clamav, cups, libvirt and lvm2
// write it), and stays with RemoveOnStop=no, as systemd 257 leaves it
// (observed: srw-rw-rw- /run/cprm.sock after stop).
func TestSocketRemoveOnStop(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct {
		setting string
		stays   bool
	}{{"RemoveOnStop=yes\n", false}, {"RemoveOnStop=no\n", true}, {"", false}} {
		n := counter.Add(1)
		path := fmt.Sprintf("%s/r%d.sock", dir, n)
		unit := fmt.Sprintf("cp-rm-%d-%d.socket", os.Getpid(), n)
		systemUnit(t, strings.TrimSuffix(unit, ".socket")+".service", "[Service]\nExecStart=/bin/sleep 60\n")
		systemUnit(t, unit, "[Socket]\nListenStream="+path+"\n"+tt.setting)
		ctl(t, 0, "start", unit)
		want := map[bool]string{true: "RemoveOnStop=no\n", false: "RemoveOnStop=yes\n"}[tt.stays]
		if r := ctl(t, 0, "show", "-p", "RemoveOnStop", unit); r.stdout != want {
			t.Errorf("%q: show: %s", tt.setting, r)
		}
		ctl(t, 0, "stop", unit)
		_, err := os.Lstat(path)
		if stays := err == nil; stays != tt.stays {
			t.Errorf("%q: socket node there after stop: %v, want %v", tt.setting, stays, tt.stays)
		}
	}
}
