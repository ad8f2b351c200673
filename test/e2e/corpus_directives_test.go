package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The directives below are frequent in the unit files Debian ships (see
// internal/unitconf/corpus_test.go); each is checked from inside a
// service, with the values systemd 257 gives.

// TestOldPathDirectiveNames: ReadWriteDirectories=, ReadOnlyDirectories=
// and InaccessibleDirectories= are the old names of the *Paths= settings,
// and a trailing slash (freeradius writes "/var/log/freeradius/") names
// the same directory, as systemd simplifies the path.
func TestOldPathDirectiveNames(t *testing.T) {
	dir := t.TempDir()
	for _, d := range []string{"rw", "ro", "hide"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "hide", "secret"), []byte("secret\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	script := `d=` + dir + `
touch $d/rw/a 2>/dev/null && echo rw-writable
touch $d/ro/a 2>/dev/null || echo ro-refused
cat $d/hide/secret 2>/dev/null || echo hide-empty
touch $d/other 2>/dev/null || echo strict-refused
`
	r := ctlRun(nil, "run", "-q", "-P", "-p", "ProtectSystem=strict", "-p", "ReadWriteDirectories="+dir+"/rw/",
		"-p", "ReadOnlyDirectories=-"+dir+"/ro/", "-p", "InaccessibleDirectories="+dir+"/hide/ -/nonexistent",
		"sh", "-c", script)
	if want := "rw-writable\nro-refused\nhide-empty\nstrict-refused\n"; r.code != 0 || r.stdout != want {
		t.Errorf("old path directive names:\n%s\nwant stdout:\n%s", r, want)
	}
	if _, err := os.Stat(filepath.Join(dir, "rw", "a")); err != nil {
		t.Errorf("ReadWriteDirectories= write did not reach the host: %v", err)
	}
}

// TestLimitsCapsuleAndSystem: Limit*= in a capsule and in the system
// manager. A manager that cannot raise a hard limit (a capsule's; root
// without CAP_SYS_RESOURCE) sets the closest it can, as systemd 257 does
// (observed in a capsule: LimitMEMLOCK=64M gives 8388608, the manager's
// own), and the service still starts; lower ones apply as written.
func TestLimitsCapsuleAndSystem(t *testing.T) {
	name := startCapsule(t, "lim")
	hard := limitOf(t, fmt.Sprintf("/proc/%d/limits", managerPID(t, name)), "Max locked memory")
	const show = `grep -E "^Max (processes|locked memory|realtime priority|realtime timeout) " /proc/self/limits | sed 's/^Max [a-z]* [a-z]* *//; s/  *$//' | tr -s ' '`
	r := ctl(t, 0, "run", "-q", "-C", name, "-P", "-p", "LimitMEMLOCK=64M", "-p", "LimitNPROC=100", "-p", "LimitRTPRIO=0",
		"-p", "LimitRTTIME=5000", "sh", "-c", show)
	want := "100 100 processes\n" + fmt.Sprintf("%d %d bytes\n", min(hard, 64<<20), min(hard, 64<<20)) + "0 0\n5000 5000 us\n"
	if hard >= 64<<20 {
		t.Logf("capsule manager's MEMLOCK hard limit %d: nothing to clamp", hard)
	}
	if r.stdout != want {
		t.Errorf("limits in a capsule: %s\nwant stdout:\n%s", r, want)
	}
	r = ctl(t, 0, "run", "-q", "-P", "-p", "LimitMEMLOCK=64M", "-p", "LimitNPROC=100:200", "-p", "LimitRTPRIO=5",
		"-p", "LimitRTTIME=5000", "sh", "-c", show)
	// The system manager's hard limits are the test's (it started it).
	mem := min(limitOf(t, "/proc/self/limits", "Max locked memory"), 64<<20)
	rt := min(limitOf(t, "/proc/self/limits", "Max realtime priority"), 5)
	if want := fmt.Sprintf("100 200 processes\n%d %d bytes\n%d %d\n5000 5000 us\n", mem, mem, rt, rt); r.stdout != want {
		t.Errorf("limits in the system manager: %s\nwant stdout:\n%s", r, want)
	}
}

// limitOf reads a hard limit from a /proc/PID/limits file.
func limitOf(t *testing.T, file, row string) int {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(l, row); ok {
			f := strings.Fields(rest)
			var n int
			if len(f) < 2 || f[1] == "unlimited" {
				return 1 << 62
			}
			fmt.Sscan(f[1], &n)
			return n
		}
	}
	t.Fatalf("no %q in %s", row, file)
	return 0
}

// TestTimeoutSecBoth: TimeoutSec= sets the start and the stop timeout; a
// start that overruns it fails with result timeout, as systemd's does.
func TestTimeoutSecBoth(t *testing.T) {
	unit := fmt.Sprintf("cp-timeout-%d.service", os.Getpid())
	systemUnit(t, unit, "[Service]\nType=oneshot\nTimeoutSec=300ms\nExecStart=/bin/sleep 30\n")
	r := ctlRun(nil, "start", unit)
	if r.code == 0 || !strings.Contains(r.stderr, "Job for "+unit+" failed") {
		t.Errorf("start with a 300ms TimeoutSec=: want failure, got %s", r)
	}
	r = ctl(t, 0, "show", "-p", "Result,ActiveState,TimeoutStartUSec,TimeoutStopUSec", unit)
	if want := "TimeoutStartUSec=300ms\nTimeoutStopUSec=300ms\nResult=timeout\nActiveState=failed\n"; r.stdout != want {
		t.Errorf("show:\n%s\nwant:\n%s", r.stdout, want)
	}
	ctlRun(nil, "reset-failed", unit)
}

// TestProtectProcAndDelegate: ProtectProc=invisible hides other users'
// processes from a service; Delegate=yes hands a dynamic user's service
// its cgroup, so it can make sub-cgroups, which it cannot without.
func TestProtectProcAndDelegate(t *testing.T) {
	r := ctl(t, 0, "run", "-q", "-P", "-p", "DynamicUser=yes", "-p", "ProtectProc=invisible", "sh", "-c",
		"test -e /proc/1 && echo pid1-visible || echo pid1-hidden; test -e /proc/$$ && echo self-visible")
	if r.stdout != "pid1-hidden\nself-visible\n" {
		t.Errorf("ProtectProc=invisible: %s", r)
	}
	mp := strings.TrimSuffix(e.h.Path(""), "/")
	script := `cg=` + mp + `$(sed -n "s/^0:://p" /proc/self/cgroup); mkdir $cg/sub 2>/dev/null && echo delegated && rmdir $cg/sub || echo refused`
	for _, tt := range []struct{ delegate, want string }{{"yes", "delegated\n"}, {"no", "refused\n"}} {
		r := ctl(t, 0, "run", "-q", "-P", "-p", "DynamicUser=yes", "-p", "Delegate="+tt.delegate, "sh", "-c", script)
		if r.stdout != tt.want {
			t.Errorf("Delegate=%s: %s, want %q", tt.delegate, r, tt.want)
		}
	}
}

// TestStartLimitOldName: StartLimitInterval= (the old name, also in
// [Service], as some packages still write it) sets the start limit's
// interval: a second start within it fails with start-limit-hit.
func TestStartLimitOldName(t *testing.T) {
	unit := fmt.Sprintf("cp-sl-%d.service", os.Getpid())
	systemUnit(t, unit, "[Service]\nStartLimitInterval=60\nStartLimitBurst=1\nType=oneshot\nExecStart=/bin/true\n")
	if r := ctl(t, 0, "show", "-p", "StartLimitIntervalUSec,StartLimitBurst", unit); r.stdout != "StartLimitIntervalUSec=1min\nStartLimitBurst=1\n" {
		t.Errorf("show: %s", r)
	}
	ctl(t, 0, "start", unit)
	ctl(t, 1, "start", unit)
	if r := ctl(t, 0, "show", "-p", "Result", unit); r.stdout != "Result=start-limit-hit\n" {
		t.Errorf("after the second start: %s", r)
	}
	ctl(t, 0, "reset-failed", unit)
}

// TestExecDirectoryModes: RuntimeDirectoryMode= and its siblings set the
// mode of the directories, setgid bit included (redis-server has 2755),
// in the system manager and in a capsule.
func TestExecDirectoryModes(t *testing.T) {
	n := fmt.Sprintf("cp-dm-%d", os.Getpid())
	t.Cleanup(func() {
		os.RemoveAll("/var/lib/" + n)
		os.RemoveAll("/var/cache/" + n)
		os.RemoveAll("/var/log/" + n)
	})
	const show = `stat -c %a "$RUNTIME_DIRECTORY" "$STATE_DIRECTORY" "$CACHE_DIRECTORY"`
	r := ctl(t, 0, "run", "-q", "-P", "-p", "RuntimeDirectory="+n, "-p", "RuntimeDirectoryMode=2750",
		"-p", "StateDirectory="+n, "-p", "StateDirectoryMode=0700", "-p", "CacheDirectory="+n,
		"-p", "LogsDirectory="+n, "-p", "LogsDirectoryMode=0750", "sh", "-c", show+` "$LOGS_DIRECTORY"`)
	if r.stdout != "2750\n700\n755\n750\n" {
		t.Errorf("system manager: %s, want 2750 700 755 750", r)
	}
	c := startCapsule(t, "dm")
	r = ctl(t, 0, "run", "-q", "-C", c, "-P", "-p", "RuntimeDirectory=dm", "-p", "RuntimeDirectoryMode=0750",
		"-p", "StateDirectory=dm", "-p", "StateDirectoryMode=0700", "-p", "CacheDirectory=dm", "sh", "-c", show)
	if r.stdout != "750\n700\n755\n" {
		t.Errorf("capsule: %s, want 750 700 755", r)
	}
}

// TestIgnoreSIGPIPE: a service starts with SIGPIPE ignored unless
// IgnoreSIGPIPE=no, as under systemd 257 (observed: SigIgn 0x1000 by
// default, 0 with IgnoreSIGPIPE=no), whether or not its start needs the
// executor, in the system manager and in a capsule.
func TestIgnoreSIGPIPE(t *testing.T) {
	const show = `sed -n 's/^SigIgn:\t//p' /proc/self/status`
	c := startCapsule(t, "sp")
	for _, tt := range []struct {
		args []string
		want string
	}{
		{nil, "0000000000001000\n"},
		{[]string{"-p", "NoNewPrivileges=yes"}, "0000000000001000\n"},
		{[]string{"-p", "IgnoreSIGPIPE=no"}, "0000000000000000\n"},
		{[]string{"-C", c}, "0000000000001000\n"},
		{[]string{"-C", c, "-p", "IgnoreSIGPIPE=no"}, "0000000000000000\n"},
	} {
		r := ctl(t, 0, append(append([]string{"run", "-q", "-P"}, tt.args...), "sh", "-c", show)...)
		if r.stdout != tt.want {
			t.Errorf("%v: %s, want %q", tt.args, r, tt.want)
		}
	}
}

// TestPrivateUsersNo: PrivateUsers=no (NetworkManager, util-linux write
// it) is the default, acted on without a warning: the service runs in the
// manager's user namespace. A namespace of its own still warns.
func TestPrivateUsersNo(t *testing.T) {
	host, err := os.Readlink("/proc/self/ns/user")
	if err != nil {
		t.Fatal(err)
	}
	unit := fmt.Sprintf("cp-pu-%d.service", os.Getpid())
	systemUnit(t, unit, "[Service]\nType=oneshot\nRemainAfterExit=yes\nPrivateUsers=no\nExecStart=/bin/sh -c 'readlink /proc/self/ns/user'\n")
	ctl(t, 0, "start", unit)
	r := ctl(t, 0, "status", unit)
	if !strings.Contains(r.stdout, ": "+host+"\n") || strings.Contains(r.stdout, "PrivateUsers=") {
		t.Errorf("status (want the host's user namespace %s, no warning): %s", host, r)
	}
	if r := ctl(t, 0, "show", "-p", "PrivateUsers,PrivateUsersEx", unit); r.stdout != "PrivateUsers=no\nPrivateUsersEx=no\n" {
		t.Errorf("show: %s", r)
	}
}

// TestForkingGuessMainPIDNo: a forking service without PIDFile= and with
// GuessMainPID=no (postfix@ writes it) runs without a main PID, as under
// systemd 257 (observed: MainPID=0, active/running), and stops.
func TestForkingGuessMainPIDNo(t *testing.T) {
	unit := fmt.Sprintf("cp-gm-%d.service", os.Getpid())
	systemUnit(t, unit, "[Service]\nType=forking\nGuessMainPID=no\nExecStart=/bin/sh -c 'sleep 100 & exit 0'\n")
	ctl(t, 0, "start", unit)
	if r := ctl(t, 0, "show", "-p", "MainPID,ActiveState,SubState,GuessMainPID", unit); r.stdout != "GuessMainPID=no\nMainPID=0\nActiveState=active\nSubState=running\n" {
		t.Errorf("show: %s", r)
	}
	ctl(t, 0, "stop", unit)
}
