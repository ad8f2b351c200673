package e2e

import (
	"fmt"
	"io/fs"
	"os"
	osexec "os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// uringBuild compiles testdata/uring_suid.c once per test process.
var uringBuild = sync.OnceValues(func() (string, error) {
	out := filepath.Join(e.bin, "uring_suid")
	b, err := osexec.Command("gcc", "-static", "-O2", "-o", out, "testdata/uring_suid.c").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("gcc: %v\n%s", err, b)
	}
	return out, nil
})

// setIDFiles lists what below dir has a set-user-ID or set-group-ID bit.
func setIDFiles(t *testing.T, dir string) []string {
	t.Helper()
	var found []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		if fi.Mode()&(fs.ModeSetuid|fs.ModeSetgid) != 0 {
			found = append(found, fmt.Sprintf("%s %v", p, fi.Mode()))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

// TestEscapeSetuidViaIOUring: open(O_CREAT, 04755) is refused by the
// RestrictSUIDSGID= filter, but io_uring's IORING_OP_OPENAT and MKDIRAT
// never pass through it. A capsule must not get io_uring at all, and no
// set-ID file may appear in its home.
func TestEscapeSetuidViaIOUring(t *testing.T) {
	bin, err := uringBuild()
	if err != nil {
		t.Fatal(err)
	}
	name := startCapsule(t, "uring")
	home := "/var/lib/private/capsules/" + name
	data, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, "uring_suid"), data, 0o755); err != nil {
		t.Fatal(err)
	}
	r := inCapsule(t, name, 0, `cd "$HOME" && ./uring_suid suid-file sgid-dir`)
	// ENOSYS, as on a kernel without io_uring, so programs fall back.
	if !strings.Contains(r.stdout, "setup: errno 38\n") {
		t.Errorf("io_uring_setup in the capsule did not fail with ENOSYS:\n%s", r.stdout)
	}
	if found := setIDFiles(t, home); len(found) > 0 {
		t.Errorf("set-ID files made through io_uring in the capsule's home:\n%s", strings.Join(found, "\n"))
	}
}

// TestEscapeUserNamespace: in a user namespace of its own a capsule would
// have every capability, and with it network, netfilter and mount code of
// the kernel to attack. capsule@.service has RestrictNamespaces=yes.
func TestEscapeUserNamespace(t *testing.T) {
	name := startCapsule(t, "userns")
	r := inCapsule(t, name, 0, `unshare -U true 2>&1; echo "unshare-U=$?"
/usr/bin/python3 - <<'EOF'
import ctypes, errno, threading
libc = ctypes.CDLL(None, use_errno=True)
for name, flags in (("user", 0x10000000), ("net", 0x40000000), ("mnt", 0x00020000)):
    r = libc.unshare(flags)
    print("unshare-%s=%s" % (name, "ok" if r == 0 else errno.errorcode[ctypes.get_errno()]))
# clone3 fails with ENOSYS, so libc makes threads with clone.
t = threading.Thread(target=print, args=("thread=ok",))
t.start()
t.join()
EOF`)
	for _, want := range []string{"unshare-U=1", "unshare-user=EPERM", "unshare-net=EPERM",
		"unshare-mnt=EPERM", "thread=ok", "unshare failed: Operation not permitted"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("no %q in the capsule's output:\n%s", want, r.stdout)
		}
	}
	// Units of the capsule are still started (its manager has no clone3
	// either) and keep working.
	if out := inCapsule(t, name, 0, "echo fine").stdout; out != "fine\n" {
		t.Errorf("command in the capsule printed %q", out)
	}

	// A system unit gets what systemd gives it: only the listed types are
	// refused (root keeps the others).
	unit := name + "-ns.service"
	systemUnit(t, unit, "[Service]\nType=oneshot\nRemainAfterExit=yes\nRestrictNamespaces=~user\n"+
		"ExecStart=/bin/sh -c 'unshare -U true; echo user=$?; unshare -n true; echo net=$?; unshare -m true; echo mnt=$?'\n")
	ctl(t, 0, "start", unit)
	logs := ctl(t, 0, "logs", "-u", unit).stdout
	for _, want := range []string{"user=1", "net=0", "mnt=0"} {
		if !strings.Contains(logs, want) {
			t.Errorf("RestrictNamespaces=~user: no %q in the unit's log:\n%s", want, logs)
		}
	}
}
