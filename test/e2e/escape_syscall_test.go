package e2e

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

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
	bin := staticProgram(t, "uring_suid")
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

// TestEscapePtraceOwnManager: the capsule's manager runs as the capsule's
// user. A unit of the capsule that could trace it or read its memory could
// take it over and answer capsulectl in its place, which capsulectl's check
// of the listening PID would not notice.
func TestEscapePtraceOwnManager(t *testing.T) {
	name := startCapsule(t, "ptrace")
	pid := managerPID(t, name)
	r := inCapsule(t, name, 0, fmt.Sprintf(`/usr/bin/python3 - %d <<'EOF'
import ctypes, errno, os, sys
pid = int(sys.argv[1])
libc = ctypes.CDLL(None, use_errno=True)
libc.ptrace.restype = ctypes.c_long
libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
if libc.ptrace(16, pid, None, None) == 0:  # PTRACE_ATTACH
    os.waitpid(pid, 0x40000000)  # __WALL
    libc.ptrace(17, pid, None, None)  # PTRACE_DETACH
    print("attach=ok")
else:
    print("attach=" + errno.errorcode[ctypes.get_errno()])
try:
    with open("/proc/%%d/mem" %% pid, "rb"):
        print("mem=ok")
except OSError as e:
    print("mem=" + errno.errorcode[e.errno])
EOF`, pid))
	if !strings.Contains(r.stdout, "attach=EPERM") {
		t.Errorf("PTRACE_ATTACH to the capsule's manager (PID %d) was not refused:\n%s", pid, r.stdout)
	}
	// EACCES: /proc/PID/mem of a process that is not dumpable is root's;
	// ENOENT: a hidepid /proc does not show what the caller cannot trace.
	if !strings.Contains(r.stdout, "mem=EACCES") && !strings.Contains(r.stdout, "mem=ENOENT") {
		t.Errorf("the capsule read its manager's memory (PID %d):\n%s", pid, r.stdout)
	}
	// The manager still serves, and status still shows its command line.
	waitRunning(t, name)
	if st := ctl(t, 0, "status", "capsule@"+name+".service").stdout; !strings.Contains(st, "capsuled --user") {
		t.Errorf("status lost the manager's command line:\n%s", st)
	}
}
