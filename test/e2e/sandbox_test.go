package e2e

import (
	"fmt"
	"os"
	osexec "os/exec"
	"strings"
	"syscall"
	"testing"

	"github.com/capsuled/capsuled/internal/dynuser"
)

// TestSandboxWrites tries to write everywhere a capsule should not.
func TestSandboxWrites(t *testing.T) {
	name := startCapsule(t, "sbx")
	uid, _ := capsuleUID(t, name)
	marker := fmt.Sprintf("capsuled-e2e-%d-%s", os.Getpid(), name)
	t.Cleanup(func() {
		for _, d := range []string{"/etc", "/usr", "/home", "/root", "/tmp", "/var/tmp", "/var/lib", "/run"} {
			os.Remove(d + "/" + marker)
		}
	})
	tests := []struct {
		dir      string
		writable bool
	}{
		{"/etc", false},
		{"/usr", false},
		{"/home", false},
		{"/root", false},
		{"/var/lib", false},
		{"/run", false},
		{"/var/lib/capsules/" + name, true},
		{"/var/lib/private/capsules/" + name, true},
		{"/run/capsules/" + name, true},
		{"/tmp", true},
		{"/var/tmp", true},
	}
	for _, tt := range tests {
		r := ctlRun(nil, "run", "-q", "-C", name, "-P", "touch", tt.dir+"/"+marker)
		if got := r.code == 0; got != tt.writable {
			t.Errorf("touch %s/%s inside the capsule: exit %d, want writable=%v\n%s", tt.dir, marker, r.code, tt.writable, r.stderr)
		}
		if !tt.writable && !strings.Contains(r.stderr, "Read-only file system") && !strings.Contains(r.stderr, "Permission denied") {
			t.Errorf("touch %s: unexpected error %q", tt.dir, r.stderr)
		}
	}
	// Files written to the private /tmp and /var/tmp never reach the host.
	for _, d := range []string{"/tmp", "/var/tmp"} {
		if _, err := os.Stat(d + "/" + marker); err == nil {
			t.Errorf("%s/%s written inside the capsule is visible on the host", d, marker)
		}
	}
	// The home is written through the ID mapping (or owned by the UID).
	var st = statOwner(t, "/var/lib/private/capsules/"+name+"/"+marker)
	if st != uid && st != 65534 {
		t.Errorf("file written in the home is owned by %d, want %d or 65534", st, uid)
	}
	r := inCapsule(t, name, 0, "id -u; id -g; id -G; grep ^CapPrm /proc/self/status; grep ^CapEff /proc/self/status; grep ^NoNewPrivs /proc/self/status")
	want := fmt.Sprintf("%d\n%d\n%d\nCapPrm:\t0000000000000000\nCapEff:\t0000000000000000\nNoNewPrivs:\t1\n", uid, uid, uid)
	if !sameLines(r.stdout, want) {
		t.Errorf("identity inside the capsule:\n%s\nwant:\n%s", r.stdout, want)
	}
}

func statOwner(t *testing.T, path string) int {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatalf("stat %s: %v", path, err)
	}
	return int(fi.Sys().(*syscall.Stat_t).Uid)
}

func sameLines(a, b string) bool {
	la, lb := strings.Fields(a), strings.Fields(b)
	if len(la) != len(lb) {
		return false
	}
	for i := range la {
		if la[i] != lb[i] {
			return false
		}
	}
	return true
}

// TestCapsulesAreIsolated checks that one capsule cannot see or touch
// another's files.
func TestCapsulesAreIsolated(t *testing.T) {
	a := startCapsule(t, "isoa")
	b := startCapsule(t, "isob")
	uidA, _ := capsuleUID(t, a)
	uidB, _ := capsuleUID(t, b)
	if uidA == uidB {
		t.Fatalf("two capsules share UID %d", uidA)
	}
	inCapsule(t, a, 0, "echo secret > $HOME/secret; echo rt > $XDG_RUNTIME_DIR/secret")
	r := inCapsule(t, b, 0, "ls /var/lib/private/capsules; echo --; ls /run/capsules")
	if want := b + "\n--\n" + b + "\n"; r.stdout != want {
		t.Errorf("capsule %s sees:\n%s\nwant only itself:\n%s", b, r.stdout, want)
	}
	for _, p := range []string{"/var/lib/capsules/" + a + "/secret", "/var/lib/private/capsules/" + a + "/secret",
		"/run/capsules/" + a + "/secret"} {
		if r := ctlRun(nil, "run", "-q", "-C", b, "-P", "cat", p); r.code == 0 {
			t.Errorf("capsule %s read %s of capsule %s: %q", b, p, a, r.stdout)
		}
		if r := ctlRun(nil, "run", "-q", "-C", b, "-P", "sh", "-c", "echo x >> "+p); r.code == 0 {
			t.Errorf("capsule %s wrote %s of capsule %s", b, p, a)
		}
	}
}

// TestNoPrivilegeGain tries the classic ways up: a set-user-ID copy of a
// shell in the home, su, and writing the manager's cgroup parents.
func TestNoPrivilegeGain(t *testing.T) {
	name := startCapsule(t, "priv")
	uid, _ := capsuleUID(t, name)
	// The home is mounted nosuid and the process has no_new_privs: even a
	// set-user-ID file, if one could be made, gives nothing.
	r := inCapsule(t, name, 0, "cp /bin/sh $HOME/sh && chmod 4755 $HOME/sh; $HOME/sh -c 'id -u' 2>&1; "+
		"su -c 'id -u' root </dev/null 2>&1 || echo su-failed")
	lines := strings.Fields(r.stdout)
	if len(lines) == 0 || lines[0] != fmt.Sprint(uid) {
		t.Errorf("set-user-ID shell in the home ran as %q, want %d", r.stdout, uid)
	}
	if !strings.Contains(r.stdout, "su-failed") {
		t.Errorf("su did not fail:\n%s", r.stdout)
	}
	// RestrictSUIDSGID: set-user/group-ID bits cannot even be set.
	r = inCapsule(t, name, 0, "touch $HOME/f; chmod u+s $HOME/f 2>/dev/null && echo setuid-allowed; chmod g+s $HOME/f 2>/dev/null && echo setgid-allowed; "+
		"mkdir $HOME/d; chmod g+s $HOME/d 2>/dev/null && echo setgid-dir-allowed; echo checked")
	if strings.Contains(r.stdout, "allowed") || !strings.Contains(r.stdout, "checked") {
		t.Errorf("set-user/group-ID bits could be set inside the capsule: %s", r.stdout)
	}
	// The delegated cgroup is writable, the ones above it are not.
	r = inCapsule(t, name, 0, `cg=$(sed -n 's/^0:://p' /proc/self/cgroup); root=$(awk '$9=="cgroup2"{print $5; exit}' /proc/self/mountinfo);
		mkdir $root${cg%/capsule@*}/escape 2>/dev/null && echo escaped-parent;
		echo $$ > $root/cgroup.procs 2>/dev/null && echo escaped-root; echo done`)
	if strings.Contains(r.stdout, "escaped") {
		t.Errorf("capsule escaped its cgroup: %s", r.stdout)
	}
}

// TestCannotReachOtherManagers checks that a capsule can neither call the
// system manager nor forge its readiness messages, nor signal another
// capsule's processes.
func TestCannotReachOtherManagers(t *testing.T) {
	a := startCapsule(t, "reacha")
	b := startCapsule(t, "reachb")
	sock := e.runtimeDir + "/io.capsuled.Manager"
	script := `perl -MIO::Socket::UNIX -e '$s = IO::Socket::UNIX->new(Peer => $ARGV[0]) or die "refused: $!\n";
		print $s "{\"method\":\"io.capsuled.Manager.StopUnit\",\"parameters\":{\"name\":\"capsule@` + b + `.service\"}}\0";
		local $/ = "\0"; my $r = <$s>; print "reply: $r\n"' ` + sock
	r := ctlRun(nil, "run", "-q", "-C", a, "-P", "sh", "-c", script)
	if r.code == 0 || !strings.Contains(r.stderr, "refused") {
		t.Errorf("capsule %s reached the system manager: %s", a, r)
	}
	waitRunning(t, b)

	// Readiness and status come only from a unit's main process.
	inCapsule(t, a, 0, "NOTIFY_SOCKET="+e.runtimeDir+"/notify systemd-notify --status=forged-by-capsule STOPPING=1 || true")
	if r := ctl(t, 0, "status", "-n", "0", "capsule@"+a+".service"); strings.Contains(r.stdout, "forged-by-capsule") || !strings.Contains(r.stdout, "active (running)") {
		t.Errorf("a forged notify message changed the capsule's state:\n%s", r.stdout)
	}

	pidB := managerPID(t, b)
	if r := ctlRun(nil, "run", "-q", "-C", a, "-P", "kill", "-TERM", fmt.Sprint(pidB)); r.code == 0 {
		t.Errorf("capsule %s could signal capsule %s's manager", a, b)
	}
	waitRunning(t, b)
}

// TestRemoveIPC: System V IPC objects a capsule creates are gone when it
// stops, so a later owner of its UID cannot find them.
func TestRemoveIPC(t *testing.T) {
	if _, err := osexec.LookPath("ipcmk"); err != nil {
		t.Skip("ipcmk (util-linux) not installed")
	}
	name := startSharedIPCCapsule(t, "ipc")
	uid, _ := capsuleUID(t, name)
	t.Cleanup(func() { dynuser.RemoveIPC(uint32(uid), uint32(uid)) })
	inCapsule(t, name, 0, "ipcmk -M 4096 && ipcmk -Q && ipcmk -S 1")
	owned := func() int {
		n := 0
		for _, table := range []string{"shm", "msg", "sem"} {
			b, _ := os.ReadFile("/proc/sysvipc/" + table)
			for _, line := range strings.Split(string(b), "\n")[1:] {
				f := strings.Fields(line)
				for _, v := range f {
					if v == fmt.Sprint(uid) {
						n++
						break
					}
				}
			}
		}
		return n
	}
	if n := owned(); n != 3 {
		t.Fatalf("found %d IPC objects of UID %d, want the 3 just made", n, uid)
	}
	ctl(t, 0, "stop", "capsule@"+name+".service")
	if n := owned(); n != 0 {
		t.Errorf("%d IPC objects of UID %d survive the capsule", n, uid)
	}
}

// TestNoTraceAfterClean is the capsule promise in one test: after stop
// and clean --what=all, no file anywhere on the machine belongs to the
// capsule's UID or carries what it wrote.
func TestNoTraceAfterClean(t *testing.T) {
	if testing.Short() {
		t.Skip("scans the whole file system")
	}
	name := startCapsule(t, "trace")
	uid, _ := capsuleUID(t, name)
	marker := fmt.Sprintf("capsuled-trace-%d-%s", os.Getpid(), name)
	inCapsule(t, name, 0, `for d in "$HOME" "$XDG_RUNTIME_DIR" /tmp /var/tmp /dev/shm; do
		mkdir -p "$d/`+marker+`.d" && echo x > "$d/`+marker+`" && echo y > "$d/`+marker+`.d/f" || exit 1; done`)
	ctl(t, 0, "-C", name, "run", "-u", "writer", "sh", "-c", "echo z > $HOME/"+marker+".svc; sleep 1000")
	ctl(t, 0, "stop", "capsule@"+name+".service")
	ctl(t, 0, "clean", "--what=all", "capsule@"+name+".service")
	args := []string{"/", "/run", "/dev/shm", "-xdev", "(", "-uid", fmt.Sprint(uid), "-o", "-gid", fmt.Sprint(uid),
		"-o", "-name", marker + "*", ")", "-print"}
	out, _ := osexec.Command("find", args...).Output()
	if s := strings.TrimSpace(string(out)); s != "" {
		t.Errorf("traces of capsule %s (UID %d) after clean:\n%s", name, uid, s)
	}
}
