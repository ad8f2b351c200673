package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/capsuled/capsuled/internal/cgroup"
)

// capsuleCgroup is the delegated cgroup of capsule@NAME.service of the
// manager working in base, as a path. The sandbox mounts it writable at
// the same path, so it also names it inside the capsule.
func capsuleCgroup(base, name string) string {
	return filepath.Join(e.h.Root, base, "capsule.slice", "capsule@"+name+".service")
}

// parkDeep is run in a capsule as its user: below the cgroup given as
// argv[1] it nests argv[2] levels of sub-cgroups named by argv[3]
// repetitions of "x", working with relative names so the path may exceed
// PATH_MAX, and moves a detached sleep into the deepest one.
const parkDeep = `
import os, subprocess, sys
os.chdir(sys.argv[1])
os.mkdir("evil")
os.chdir("evil")
name = "x" * int(sys.argv[3])
for i in range(int(sys.argv[2])):
    os.mkdir(name)
    os.chdir(name)
p = subprocess.Popen(["/bin/sleep", "1000"], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                     stderr=subprocess.DEVNULL, start_new_session=True)
with open("cgroup.procs", "w") as f:
    f.write(str(p.pid))
print(p.pid)
`

// parkDeepSleeper runs parkDeep in capsule name (with ctl's environment
// env) below its delegated cgroup cg, 17 levels of 250-character names,
// and returns the sleeper's PID, which is killed after the test whatever
// happens.
func parkDeepSleeper(t *testing.T, env []string, name, cg string) int {
	t.Helper()
	r := ctlRunEnv(env, "run", "-q", "-C", name, "-P", "/usr/bin/python3", "-c", parkDeep, cg, "17", "250")
	if r.code != 0 {
		t.Fatalf("parking a process deep in the capsule's cgroup: %s", r)
	}
	var pid int
	if _, err := fmt.Sscan(r.stdout, &pid); err != nil || pid <= 0 {
		t.Fatalf("no PID from the capsule: %q", r.stdout)
	}
	t.Cleanup(func() { syscall.Kill(pid, syscall.SIGKILL) })
	if cmd := cmdlineOf(pid); cmd != "/bin/sleep 1000" {
		t.Fatalf("parked process %d runs %q", pid, cmd)
	}
	return pid
}

// cmdlineOf returns the command line of a live (not zombie) process, or
// "" if it is gone.
func cmdlineOf(pid int) string {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ""
	}
	if i := strings.LastIndexByte(string(stat), ')'); i < 0 || strings.HasPrefix(string(stat[i+1:]), " Z") {
		return ""
	}
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	return strings.TrimRight(strings.ReplaceAll(string(b), "\x00", " "), " ")
}

// TestEscapeDeepCgroupSurvivesCrash: a capsule parks a process below a
// cgroup path longer than PATH_MAX and the system manager is killed. The
// next manager must end that process before it releases the capsule's UID,
// lock file and user record.
func TestEscapeDeepCgroupSurvivesCrash(t *testing.T) {
	m := newManager(t, "deepcrash", nil, nil)
	env := m.env
	name := newCapsuleOn(t, env, "deepcrash")
	unit := "capsule@" + name + ".service"
	if r := ctlRunEnv(env, "start", unit); r.code != 0 {
		t.Fatalf("start: %s", r)
	}
	uid, _ := capsuleUID(t, name)
	waitRunningOn(t, env, name)
	sleeper := parkDeepSleeper(t, env, name, capsuleCgroup(m.cg, name))

	m.crash()
	// Recovery is done before the new manager answers: the sleeper must
	// be dead by then (a zombie at most), since the UID is free now.
	if c := cmdlineOf(sleeper); c != "" {
		t.Errorf("process %d (%s) parked beyond PATH_MAX survived the recovery that released UID %d", sleeper, c, uid)
	}
	if left := waitNoProcesses(uid, 2*time.Second); len(left) > 0 {
		t.Errorf("processes of UID %d survive the new manager: %v", uid, left)
	}
	for _, p := range []string{fmt.Sprintf("/run/systemd/dynamic-uid/%d", uid), "/run/capsules/" + name, "/run/userdb/c-" + name + ".user"} {
		if _, err := os.Lstat(p); err == nil {
			t.Errorf("%s left after recovery", p)
		}
	}
	if _, err := os.Stat(capsuleCgroup(m.cg, name)); !os.IsNotExist(err) {
		t.Errorf("the capsule's cgroup is left after recovery: %v", err)
	}
}

// TestEscapeDeepCgroupHiddenFromStatus: a process parked below a cgroup
// path longer than PATH_MAX still shows up in the system manager's status
// of the capsule, and dies with the capsule.
func TestEscapeDeepCgroupHiddenFromStatus(t *testing.T) {
	name := startCapsule(t, "deepstatus")
	unit := "capsule@" + name + ".service"
	sleeper := parkDeepSleeper(t, nil, name, capsuleCgroup(e.cgroup, name))
	r := ctl(t, 0, "status", "-n", "0", unit)
	if !strings.Contains(r.stdout, fmt.Sprintf("─%d /bin/sleep 1000\n", sleeper)) {
		t.Errorf("status does not show process %d parked beyond PATH_MAX:\n%.2000s", sleeper, r.stdout)
	}
	if pid := managerPID(t, name); !strings.Contains(r.stdout, fmt.Sprintf("─%d ", pid)) {
		t.Errorf("status does not show the capsule's manager %d:\n%.2000s", pid, r.stdout)
	}
	ctl(t, 0, "stop", unit)
	if c := cmdlineOf(sleeper); c != "" {
		t.Errorf("process %d (%s) survived the capsule's stop", sleeper, c)
	}
	if _, err := os.Stat(capsuleCgroup(e.cgroup, name)); !os.IsNotExist(err) {
		t.Errorf("the capsule's cgroup is left after stop: %v", err)
	}
}

// nestMany is run in a capsule as its user: below the cgroup argv[1] it
// nests up to 300 levels of sub-cgroups, then creates up to 1100 sibling
// sub-cgroups, and reports how far each got and why it stopped.
const nestMany = `
import errno, os, sys
def attempt(n, step):
    for i in range(n):
        try:
            step(i)
        except OSError as e:
            return "%d %s" % (i, errno.errorcode[e.errno])
    return "%d done" % n
def deeper(i):
    os.mkdir("d")
    os.chdir("d")
os.chdir(sys.argv[1])
os.mkdir("deep")
os.chdir("deep")
print(attempt(300, deeper))
os.chdir(sys.argv[1])
os.mkdir("wide")
print(attempt(1100, lambda i: os.mkdir("wide/w%d" % i)))
`

// TestEscapeCgroupTreeLeftBehind: a capsule nests its delegated cgroup
// deeper than 256 levels and creates thousands of sub-cgroups, so that
// removal would give up and leave a tree owned by its UID. The delegated
// cgroup's limits refuse both, and stop leaves nothing behind.
func TestEscapeCgroupTreeLeftBehind(t *testing.T) {
	name := startCapsule(t, "cgtree")
	cg := capsuleCgroup(e.cgroup, name)
	r := ctl(t, 0, "run", "-q", "-C", name, "-P", "/usr/bin/python3", "-c", nestMany, cg)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 2 {
		t.Fatalf("unexpected output from the capsule: %q", r.stdout)
	}
	var depth, width int
	var why string
	fmt.Sscan(lines[0], &depth, &why)
	// "deep" itself is one level below the delegated cgroup.
	if depth+1 > cgroup.DefaultMaxDepth || why != "EAGAIN" {
		t.Errorf("capsule nested %d levels (stopped by %s), want at most %d, then EAGAIN", depth+1, why, cgroup.DefaultMaxDepth)
	}
	fmt.Sscan(lines[1], &width, &why)
	if width >= cgroup.DefaultMaxDescendants || why != "EAGAIN" {
		t.Errorf("capsule created %d sibling cgroups (stopped by %s), want fewer than %d, then EAGAIN", width, why, cgroup.DefaultMaxDescendants)
	}
	ctl(t, 0, "stop", "capsule@"+name+".service")
	if _, err := os.Stat(cg); !os.IsNotExist(err) {
		t.Errorf("the capsule's cgroup is left after stop: %v", err)
	}
}

// raiseLimits is run in a capsule as its user: it tries to raise or
// re-permit the limits of its delegated cgroup ($1) and of init.scope,
// then sets "max" on a sub-cgroup of its own and nests below that.
const raiseLimits = `
cd "$1" || exit 1
for f in cgroup.max.depth cgroup.max.descendants; do
	for d in . init.scope; do
		echo max 2>/dev/null >"$d/$f" && echo "raised $d/$f"
		chmod 666 "$d/$f" 2>/dev/null && echo "chmod $d/$f"
	done
done
echo "depth $(cat cgroup.max.depth) descendants $(cat cgroup.max.descendants)"
mkdir own && echo max >own/cgroup.max.depth && echo max >own/cgroup.max.descendants || echo "own limits not writable"
cd own
n=1
while [ $n -lt 40 ] && mkdir d 2>/dev/null; do cd d; n=$((n+1)); done
echo "nested $n"
`

// TestEscapeRaiseCgroupLimits: the limits are written on the delegated
// cgroup as root before the hand-over, so its new owner can neither
// rewrite them nor escape them through a sub-cgroup of its own.
func TestEscapeRaiseCgroupLimits(t *testing.T) {
	name := startCapsule(t, "cglimit")
	r := ctl(t, 0, "run", "-q", "-C", name, "-P", "sh", "-c", raiseLimits, "sh", capsuleCgroup(e.cgroup, name))
	out := r.stdout
	if strings.Contains(out, "raised") || strings.Contains(out, "chmod") {
		t.Errorf("capsule changed its cgroup limits:\n%s", out)
	}
	want := fmt.Sprintf("depth %d descendants %d\n", cgroup.DefaultMaxDepth, cgroup.DefaultMaxDescendants)
	if !strings.Contains(out, want) {
		t.Errorf("delegated cgroup's limits, want %q:\n%s", want, out)
	}
	var n int
	if i := strings.Index(out, "nested "); i >= 0 {
		fmt.Sscan(out[i+len("nested "):], &n)
	}
	if n == 0 || n > cgroup.DefaultMaxDepth {
		t.Errorf("capsule nested %d levels below a sub-cgroup with limits \"max\", want at most %d:\n%s", n, cgroup.DefaultMaxDepth, out)
	}
}

// TestEscapeKillModeProcessOutlivesUID: a DynamicUser= service with
// KillMode=process leaves a daemon behind at stop. Its UID is released
// at stop, so the daemon must not outlive it: the stop ends with
// cgroup.kill whatever KillMode= says.
func TestEscapeKillModeProcessOutlivesUID(t *testing.T) {
	name := fmt.Sprintf("killproc%d-%d", os.Getpid()%100000, counter.Add(1))
	systemUnit(t, name+".service", "[Service]\nDynamicUser=yes\nUser="+name+"\nKillMode=process\n"+
		"ExecStart=/bin/sh -c \"id -u; setsid sleep 1000 </dev/null >/dev/null 2>&1 & exec sleep 2000\"\n")
	ctl(t, 0, "start", name+".service")
	var uid int
	var left []int
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline) && len(left) < 2; {
		time.Sleep(10 * time.Millisecond)
		r := ctl(t, 0, "status", name+".service")
		for _, line := range strings.Split(r.stdout, "\n") {
			if i := strings.Index(line, "]: "); i > 0 {
				fmt.Sscan(line[i+3:], &uid)
			}
		}
		if uid != 0 {
			left = processesOf(uid)
		}
	}
	if uid < 61184 || uid > 65519 || len(left) < 2 {
		t.Fatalf("want the service and its daemon running as a dynamic UID, got UID %d, processes %v", uid, left)
	}
	t.Cleanup(func() {
		for _, pid := range left {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	})
	ctl(t, 0, "stop", name+".service")
	if _, err := os.Lstat(fmt.Sprintf("/run/systemd/dynamic-uid/%d", uid)); err == nil {
		t.Errorf("UID %d still locked after stop", uid)
	}
	if still := waitNoProcesses(uid, 2*time.Second); len(still) > 0 {
		t.Errorf("processes of released UID %d still run after stop with KillMode=process: %v", uid, still)
	}
}
