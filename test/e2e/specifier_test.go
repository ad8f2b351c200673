package e2e

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// specLine is an ExecStart= printing every specifier of systemd.unit(5)
// as [X=value].
const specLine = `/bin/sh -c 'printf "[%%s]" "$$@"; echo' sh ` +
	"a=%a A=%A b=%b B=%B C=%C d=%d D=%D E=%E f=%f g=%g G=%G h=%h H=%H i=%i I=%I j=%j J=%J l=%l L=%L " +
	"m=%m M=%M n=%n N=%N o=%o p=%p P=%P q=%q s=%s S=%S t=%t T=%T u=%u U=%U v=%v V=%V w=%w W=%W y=%y Y=%Y pct=%%"

// hostFacts are the host-wide specifier values (%a %b %H %l %m %o %q %v %w
// and the empty %A %B %M %W where os-release has no such field), read here
// as systemd reads them.
func hostFacts(t *testing.T) map[string]string {
	read := func(p string) string {
		b, _ := os.ReadFile(p)
		line, _, _ := strings.Cut(string(b), "\n")
		return strings.TrimSpace(line)
	}
	osr := map[string]string{}
	b, err := os.ReadFile("/etc/os-release")
	if err != nil {
		b, _ = os.ReadFile("/usr/lib/os-release")
	}
	for _, l := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(l, "="); ok {
			osr[k] = strings.Trim(v, `"'`)
		}
	}
	host, _ := os.Hostname()
	short, _, _ := strings.Cut(host, ".")
	var u unix.Utsname
	unix.Uname(&u)
	if runtime.GOARCH != "amd64" {
		t.Skip("expected architecture name known for x86-64 only")
	}
	pretty := host
	if mi, err := os.ReadFile("/etc/machine-info"); err == nil && strings.Contains(string(mi), "PRETTY_HOSTNAME=") {
		t.Skip("host has a pretty host name")
	}
	return map[string]string{"a": "x86-64", "A": osr["IMAGE_VERSION"], "b": strings.ReplaceAll(read("/proc/sys/kernel/random/boot_id"), "-", ""),
		"B": osr["BUILD_ID"], "H": host, "l": short, "m": read("/etc/machine-id"), "M": osr["IMAGE_ID"], "o": osr["ID"],
		"q": pretty, "v": string(bytes.TrimRight(u.Release[:], "\x00")), "w": osr["VERSION_ID"], "W": osr["VARIANT_ID"],
		"T": "/tmp", "V": "/var/tmp", "pct": "%",
		"f": "/in/st-z", "i": `in-st\x2dz`, "I": "in/st-z", "j": "x", "J": "x", "p": "evsp-x", "P": "evsp/x"}
}

func checkSpecifiers(t *testing.T, where, logs string, want map[string]string) {
	t.Helper()
	for k, v := range want {
		if !strings.Contains(logs, "["+k+"="+v+"]") {
			t.Errorf("%s: no [%s=%s] in\n%s", where, k, v, logs)
		}
	}
}

// TestSpecifiers: every specifier of systemd.unit(5) expands to what
// systemd 257's user manager in a capsule and its system manager give
// (observed for the same instance name).
func TestSpecifiers(t *testing.T) {
	want := hostFacts(t)
	inst := `evsp-x@in-st\x2dz.service`

	systemUnit(t, "evsp-x@.service", "[Service]\nType=oneshot\nExecStart="+specLine+"\n")
	t.Cleanup(func() { ctlRun(nil, "stop", inst) })
	ctl(t, 0, "start", inst)
	sys := map[string]string{"C": "/var/cache", "d": "/run/credentials/" + inst, "D": "/usr/share", "E": "/etc",
		"g": "root", "G": "0", "h": "/root", "L": "/var/log", "n": inst, "N": strings.TrimSuffix(inst, ".service"),
		"s": "/bin/bash", "S": "/var/lib", "t": "/run", "u": "root", "U": "0",
		"y": filepath.Join(e.runtimeDir, "system", "evsp-x@.service"), "Y": filepath.Join(e.runtimeDir, "system")}
	for k, v := range want {
		sys[k] = v
	}
	checkSpecifiers(t, "system manager", ctl(t, 0, "logs", "-u", inst).stdout, sys)

	name := newCapsule(t, "evs")
	dir := "/var/lib/private/capsules/" + name + "/.config/systemd/user"
	if err := os.MkdirAll(filepath.Join(dir, "capsule@.target.wants"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "evsp-x@.service"), []byte("[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart="+specLine+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../evsp-x@.service", filepath.Join(dir, "capsule@.target.wants", inst)); err != nil {
		t.Fatal(err)
	}
	ctl(t, 0, "start", "capsule@"+name+".service")
	waitRunning(t, name)
	uid, _ := capsuleUID(t, name)
	home := "/var/lib/capsules/" + name
	user := map[string]string{"C": home + "/.cache", "d": "/run/capsules/" + name + "/credentials/" + inst, "D": home + "/.local/share",
		"E": home + "/.config", "g": "c-" + name, "G": fmt.Sprint(uid), "h": home, "L": home + "/.local/state/log",
		"n": inst, "N": strings.TrimSuffix(inst, ".service"), "s": "/usr/sbin/nologin", "S": home + "/.local/state",
		"t": "/run/capsules/" + name, "u": "c-" + name, "U": fmt.Sprint(uid),
		"y": home + "/.config/systemd/user/evsp-x@.service", "Y": home + "/.config/systemd/user"}
	for k, v := range want {
		user[k] = v
	}
	waitProperty(t, name, inst, "ActiveState", "active")
	checkSpecifiers(t, "capsule", ctl(t, 0, "-C", name, "logs", "-u", inst).stdout, user)
}
