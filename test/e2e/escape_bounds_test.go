package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/capsuled/capsuled/internal/cgroup"
)

// capsuleDropin adds a drop-in to capsule@NAME.service where only the
// system manager under test finds it.
func capsuleDropin(t *testing.T, capsule, text string) {
	t.Helper()
	dir := filepath.Join(e.runtimeDir, "system", "capsule@"+capsule+".service.d")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "bounds.conf"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
}

// mountOf returns the mountinfo line of the mount at path, "" if none.
func mountOf(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	found := ""
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) > 4 && f[4] == path {
			found = line // the last one is on top
		}
	}
	return found
}

func ramBytes(t *testing.T) uint64 {
	var si syscall.Sysinfo_t
	if err := syscall.Sysinfo(&si); err != nil {
		t.Fatal(err)
	}
	return uint64(si.Totalram) * uint64(si.Unit)
}

// TestEscapeFillTmp fills every tmpfs a capsule can write to. Each must end
// at its configured size with ENOSPC, not at half of the host's RAM.
func TestEscapeFillTmp(t *testing.T) {
	name := newCapsule(t, "fill")
	capsuleDropin(t, name, "[Service]\nTmpfsSize=8M\n")
	ctl(t, 0, "start", "capsule@"+name+".service")
	waitRunning(t, name)
	for _, d := range []string{"/tmp", "/var/tmp", "/dev/shm", "$XDG_RUNTIME_DIR"} {
		// 32 MiB: four times the limit, and small enough to be harmless
		// if the limit is missing.
		r := inCapsule(t, name, 0, fmt.Sprintf(`d=%s
dd if=/dev/zero of=$d/fill bs=1M count=32 2>&1; echo "rc=$?"
stat -c 'bytes=%%s' $d/fill; df -B1 --output=size $d | tail -n 1; rm -f $d/fill`, d))
		if !strings.Contains(r.stdout, "No space left on device") || strings.Contains(r.stdout, "rc=0") {
			t.Errorf("filling %s in the capsule did not stop with ENOSPC:\n%s", d, r.stdout)
		}
		lines := strings.Fields(r.stdout)
		size, _ := strconv.ParseUint(lines[len(lines)-1], 10, 64)
		if size == 0 || size > 8<<20 {
			t.Errorf("%s in the capsule has size %d, want at most 8 MiB (TmpfsSize=8M):\n%s", d, size, r.stdout)
		}
	}
}

// TestEscapeRuntimeDirOnHostDisk checks that a capsule's runtime directory
// is a tmpfs of its own with a size (10% of RAM by default), not a
// directory on whatever holds /run, and that the capsule cannot unmount it
// or remount it bigger.
func TestEscapeRuntimeDirOnHostDisk(t *testing.T) {
	name := startCapsule(t, "rtfs")
	uid, _ := capsuleUID(t, name)
	rt := "/run/capsules/" + name
	mi := mountOf(t, rt)
	if mi == "" {
		t.Fatalf("%s is not a mount point", rt)
	}
	if !strings.Contains(mi, " - tmpfs ") || !strings.Contains(mi, "nosuid") || !strings.Contains(mi, "nodev") {
		t.Errorf("%s is not a nosuid,nodev tmpfs: %s", rt, mi)
	}
	var st syscall.Statfs_t
	if err := syscall.Statfs(rt, &st); err != nil {
		t.Fatal(err)
	}
	size := st.Blocks * uint64(st.Bsize)
	ram := ramBytes(t)
	if size < ram/10-ram/100 || size > ram/10+ram/100 {
		t.Errorf("%s has %d bytes, want about 10%% of %d", rt, size, ram)
	}
	fi, err := os.Stat(rt)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o700 || int(fi.Sys().(*syscall.Stat_t).Uid) != uid {
		t.Errorf("%s has mode %o owner %d, want 0700 owned by %d", rt, fi.Mode().Perm(), fi.Sys().(*syscall.Stat_t).Uid, uid)
	}
	// The private /tmp has the same default size.
	r := inCapsule(t, name, 0, "df -B1 --output=size /tmp | tail -n 1")
	if tmp, _ := strconv.ParseUint(strings.TrimSpace(r.stdout), 10, 64); tmp != size {
		t.Errorf("/tmp in the capsule has %d bytes, want %d", tmp, size)
	}
	// Try to lift the bound from inside, directly and from a user
	// namespace of the capsule's own.
	inCapsule(t, name, -1+1, `d=$XDG_RUNTIME_DIR
mount -o remount,size=50% $d 2>&1; umount -l $d 2>&1
unshare -rm sh -c "mount -o remount,size=50% $d; umount -l $d; mount -t tmpfs -o size=50% x $d" 2>&1
true`)
	if err := syscall.Statfs(rt, &st); err != nil || st.Blocks*uint64(st.Bsize) != size {
		t.Errorf("%s changed size from inside the capsule: %d blocks, err %v", rt, st.Blocks, err)
	}
	r = inCapsule(t, name, 0, "df -B1 --output=size $XDG_RUNTIME_DIR | tail -n 1")
	if got, _ := strconv.ParseUint(strings.TrimSpace(r.stdout), 10, 64); got != size {
		t.Errorf("runtime dir seen from a new process in the capsule has %d bytes, want %d", got, size)
	}
	ctl(t, 0, "stop", "capsule@"+name+".service")
	if mi := mountOf(t, rt); mi != "" {
		t.Errorf("%s still mounted after stop: %s", rt, mi)
	}
	if _, err := os.Lstat(rt); err == nil {
		t.Errorf("%s still exists after stop", rt)
	}
}

// capsuleCgroupFile reads a number from an interface file of capsule@NAME's
// cgroup: in the controller's v1 hierarchy on a hybrid host (v1File), else
// in the unified one (v2File). ok is false if neither exists.
func capsuleCgroupFile(t *testing.T, capsule, controller, v1File, v2File string) (uint64, string, bool) {
	t.Helper()
	return cgroupFile(t, filepath.Join("capsule.slice", "capsule@"+capsule+".service"), controller, v1File, v2File)
}

// cgroupFile reads a number from an interface file of cgroup cg (relative
// to the manager's base) of the manager under test.
func cgroupFile(t *testing.T, cg, controller, v1File, v2File string) (uint64, string, bool) {
	t.Helper()
	var path string
	if v, ok, err := cgroup.FindV1(controller); err == nil && ok {
		path = filepath.Join(v.Path(filepath.Join(v.ManagerBase(e.cgroup), cg)), v1File)
	} else {
		path = filepath.Join(e.h.Path(filepath.Join(e.cgroup, cg)), v2File)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, path, false
	}
	s := strings.TrimSpace(string(b))
	if s == "max" {
		return Unlimited, path, true
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		t.Fatalf("%s: %q", path, s)
	}
	return n, path, true
}

// Unlimited is how capsuleCgroupFile reports "max".
const Unlimited = ^uint64(0)

// TestEscapeMemoryBomb allocates far beyond the capsule's MemoryMax=. The
// allocating process must be killed by the capsule's own memory limit
// while the capsule, its manager and the host go on.
func TestEscapeMemoryBomb(t *testing.T) {
	name := newCapsule(t, "mbomb")
	capsuleDropin(t, name, "[Service]\nMemoryMax=96M\n")
	ctl(t, 0, "start", "capsule@"+name+".service")
	waitRunning(t, name)
	limit, path, ok := capsuleCgroupFile(t, name, "memory", "memory.limit_in_bytes", "memory.max")
	if !ok || limit != 96<<20 {
		t.Errorf("memory limit of the capsule: %d at %s (found %v), want %d", limit, path, ok, 96<<20)
	}
	// All capsules together are bounded by capsule.slice.
	ram := ramBytes(t)
	if all, path, ok := cgroupFile(t, "capsule.slice", "memory", "memory.limit_in_bytes", "memory.max"); !ok || all > ram*3/4 || all < ram*3/4-1<<20 {
		t.Errorf("memory limit of capsule.slice: %d at %s (found %v), want 75%% of %d", all, path, ok, ram)
	}
	// 512 MiB in touched 1 MiB pieces: five times the limit, harmless to
	// this machine if the limit were missing.
	r := ctlRun(nil, "run", "-q", "-C", name, "-P", "python3", "-c",
		"b = []\nfor i in range(512):\n    b.append(b'x' * (1 << 20))\nprint('survived', flush=True)")
	if strings.Contains(r.stdout, "survived") || r.code != 128+9 {
		t.Errorf("allocating 512 MiB in a capsule with MemoryMax=96M: want SIGKILL (exit 137), got %s", r)
	}
	// What the capsule writes to a tmpfs is charged to it as well.
	before, _, _ := capsuleCgroupFile(t, name, "memory", "memory.usage_in_bytes", "memory.current")
	inCapsule(t, name, 0, "dd if=/dev/zero of=/dev/shm/fill bs=1M count=48 2>/dev/null")
	after, _, _ := capsuleCgroupFile(t, name, "memory", "memory.usage_in_bytes", "memory.current")
	if after < before+40<<20 {
		t.Errorf("48 MiB written to /dev/shm raised the capsule's memory use from %d only to %d", before, after)
	}
	inCapsule(t, name, 0, "rm /dev/shm/fill")
	// Only the bomb was hit: the capsule and the system manager still work.
	// (degraded: the bomb's unit failed)
	if r := ctlRun(nil, "-C", name, "is-system-running"); strings.TrimSpace(r.stdout) != "degraded" {
		t.Errorf("capsule manager after the bomb: %s", r)
	}
	ctl(t, 0, "is-active", "capsule@"+name+".service")
	ctl(t, 0, "stop", "capsule@"+name+".service")
	if _, path, ok := capsuleCgroupFile(t, name, "memory", "memory.limit_in_bytes", "memory.max"); ok {
		t.Errorf("memory cgroup %s left after stop", path)
	}
}

// TestEscapeForkBomb forks until the kernel refuses. TasksMax= of the
// capsule must refuse early, and nothing may be left after stop.
func TestEscapeForkBomb(t *testing.T) {
	name := newCapsule(t, "fbomb")
	capsuleDropin(t, name, "[Service]\nTasksMax=48\n")
	ctl(t, 0, "start", "capsule@"+name+".service")
	waitRunning(t, name)
	uid, _ := capsuleUID(t, name)
	if max, path, ok := capsuleCgroupFile(t, name, "pids", "pids.max", "pids.max"); !ok || max != 48 {
		t.Errorf("task limit of the capsule: %d at %s (found %v), want 48", max, path, ok)
	}
	// (Checked before the bomb: the capsule's manager shares the limit, and
	// needs tasks of its own to start a unit.)
	// A unit inside the capsule gets TasksMax= only from a delegated pids
	// controller; without one it is told so, not silently ignored.
	ctl(t, 0, "run", "-q", "-C", name, "-u", "tmax", "-p", "TasksMax=8", "--wait", "true")
	logs := ctl(t, 0, "-C", name, "logs", "-n", "1000").stdout
	ctrls, _ := e.h.Controllers(filepath.Join(e.cgroup, "capsule.slice", "capsule@"+name+".service"))
	if !slices.Contains(ctrls, "pids") && !strings.Contains(logs, "TasksMax= of tmax.service is not enforced: no pids controller is delegated") {
		t.Errorf("TasksMax= in a capsule without a delegated pids controller drew no warning:\n%s", logs)
	}
	// At most 300 children, so a missing limit cannot hurt the machine.
	// Once refused, all but four end, so that the capsule's manager (which
	// shares the limit) has room again on a loaded machine; those four stay
	// behind when the command ends, for stop to end.
	r := ctlRun(nil, "run", "-q", "-C", name, "-P", "python3", "-c", `
import os, time
n = 0
kids = []
for i in range(300):
    try:
        p = os.fork()
    except OSError as e:
        print("fork failed", e.errno, flush=True)
        break
    if p == 0:
        os.closerange(0, 1024)
        time.sleep(60)
        os._exit(0)
    n += 1
    kids.append(p)
for p in kids[4:]:
    os.kill(p, 9)
    os.waitpid(p, 0)
print("forked", n, flush=True)
`)
	var forked int
	if i := strings.Index(r.stdout, "forked"); i >= 0 {
		fmt.Sscanf(r.stdout[i:], "forked %d", &forked)
	}
	if !strings.Contains(r.stdout, "fork failed 11") || forked == 0 || forked >= 48 {
		t.Errorf("fork bomb in a capsule with TasksMax=48: want EAGAIN before 48 forks, got %s", r)
	}
	if cur, path, ok := capsuleCgroupFile(t, name, "pids", "pids.current", "pids.current"); !ok || cur > 48 {
		t.Errorf("tasks in the capsule: %d at %s (found %v), want at most 48", cur, path, ok)
	}
	ctl(t, 0, "stop", "capsule@"+name+".service")
	if left := waitNoProcesses(uid, 5*time.Second); len(left) > 0 {
		t.Errorf("processes of the capsule left after stop: %v", left)
	}
	if _, path, ok := capsuleCgroupFile(t, name, "pids", "pids.max", "pids.max"); ok {
		t.Errorf("pids cgroup %s left after stop", path)
	}
}

// suppressedIn sums the "Suppressed N messages from UNIT" lines of a log.
func suppressedIn(log, unit string) (total, lines int) {
	for _, l := range strings.Split(log, "\n") {
		i := strings.Index(l, "Suppressed ")
		if i < 0 || !strings.HasSuffix(l, " messages from "+unit) {
			continue
		}
		var n int
		if _, err := fmt.Sscanf(l[i:], "Suppressed %d messages", &n); err == nil {
			total += n
			lines++
		}
	}
	return total, lines
}

// TestEscapeLogFlood floods the system manager with output from a capsule:
// a unit in the capsule turns its own rate limit off, so its capsule
// manager passes every line on. The system manager must keep at most the
// burst of capsule@NAME.service per interval and report how many lines it
// dropped; the capsule manager holds its own units to their limits alike.
func TestEscapeLogFlood(t *testing.T) {
	name := newCapsule(t, "flood")
	capsuleDropin(t, name, "[Service]\nLogRateLimitIntervalSec=500ms\nLogRateLimitBurst=40\n")
	unit := "capsule@" + name + ".service"
	ctl(t, 0, "start", unit)
	waitRunning(t, name)
	mgr := fmt.Sprintf("capsuled[%d]: ", managerPID(t, name))
	start := time.Now()
	const lines = 5000
	ctl(t, 0, "run", "-q", "-C", name, "-u", "flood", "-p", "LogRateLimitIntervalSec=0", "--wait",
		"sh", "-c", fmt.Sprintf("seq 1 %d | sed s/^/flood-/", lines))
	// What the system manager kept of capsule@NAME.service's output is in
	// its log store (a capsule's output is not copied to its own log).
	var kept, suppressed, reports int
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		b := []byte(ctl(t, 0, "logs", "-u", unit).stdout)
		kept = 0
		for _, l := range strings.Split(string(b), "\n") {
			if strings.Contains(l, mgr) && strings.Contains(l, "flood-") {
				kept++
			}
		}
		// Done once the report of the window with the last line is in.
		if suppressed, reports = suppressedIn(string(b), unit); reports > 0 && kept+suppressed >= lines {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if reports == 0 || kept+suppressed < lines {
		t.Fatalf("flood of %d lines from a capsule: the system manager kept %d and reported %d suppressed in %d reports", lines, kept, suppressed, reports)
	}
	t.Logf("%d lines: %d kept, %d suppressed in %d reports", lines, kept, suppressed, reports)
	if max := 40 * (int(time.Since(start)/(500*time.Millisecond)) + 1); kept > max {
		t.Errorf("%d of %d flood lines reached the system manager's log, want at most %d (40 per 500 ms)", kept, lines, max)
	}
	ctl(t, 0, "run", "-q", "-C", name, "-u", "inner", "-p", "LogRateLimitIntervalSec=300ms", "-p", "LogRateLimitBurst=10",
		"--wait", "sh", "-c", "seq 1 1000 | sed s/^/inner-/")
	var inner string
	n := 0
	for time.Now().Before(deadline) {
		inner = ctl(t, 0, "-C", name, "logs", "-n", "1000").stdout
		if n, reports = suppressedIn(inner, "inner.service"); n+10*reports >= 1000 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if n == 0 || n+10*reports < 1000 {
		t.Errorf("inner.service (burst 10) wrote 1000 lines; its capsule manager reported %d suppressed in %d reports:\n%s", n, reports, tail([]byte(inner), 2000))
	}
}

// TestEscapeNotifyFlood sends datagrams to the notify socket a capsule's
// processes can see, as fast as the kernel takes them, while another
// capsule starts. The socket must be the capsule's own, not the system
// manager's shared one (so the flood cannot delay anyone else's READY=1),
// and it must be read at a bounded rate (so the flood costs the sender,
// not the manager).
func TestEscapeNotifyFlood(t *testing.T) {
	a := startCapsule(t, "nfla")
	shared := filepath.Join(e.runtimeDir, "notify")
	var host syscall.Stat_t
	if err := syscall.Stat(shared, &host); err != nil {
		t.Fatal(err)
	}
	r := inCapsule(t, a, 0, fmt.Sprintf("stat -c %%i %s; ls -A %s", shared, e.runtimeDir))
	if f := strings.Fields(r.stdout); len(f) != 2 || f[0] == fmt.Sprint(host.Ino) || f[1] != "notify" {
		t.Errorf("inside the capsule, %s is inode %v and %s holds %v; want another inode than the host's %d, and only notify",
			shared, f[:1], e.runtimeDir, f[1:], host.Ino)
	}
	b := newCapsule(t, "nflb")
	started := make(chan result, 1)
	go func() {
		time.Sleep(300 * time.Millisecond) // into the flood
		started <- ctlRun(nil, "start", "capsule@"+b+".service")
	}()
	r = inCapsule(t, a, 0, fmt.Sprintf(`python3 -c '
import socket, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
start = time.monotonic()
sent = 0
while time.monotonic() < start + 1:
    try:
        s.sendto(b"STATUS=flood", socket.MSG_DONTWAIT, "%s")
        sent += 1
    except BlockingIOError:
        pass
print(sent, time.monotonic() - start)
'`, shared))
	var sent int
	var secs float64
	fmt.Sscan(r.stdout, &sent, &secs)
	// 100 at once, 20 a second after that, and the socket's queue.
	qlen := 512
	if b, err := os.ReadFile("/proc/sys/net/unix/max_dgram_qlen"); err == nil {
		fmt.Sscan(string(b), &qlen)
	}
	if max := 100 + int(20*(secs+1)) + qlen + 1; sent == 0 || sent > max {
		t.Errorf("a capsule sent %d notify datagrams in %.1f s; want at most %d", sent, secs, max)
	}
	if r := <-started; r.code != 0 {
		t.Errorf("capsule %s did not start during the flood: %s", b, r)
	}
}

// TestEscapeBoundsLeftByCrash kills the system manager while a bounded
// capsule runs. What bounded it (the runtime directory's tmpfs, the v1
// memory and pids cgroups, its notify socket) must not outlive the next
// manager's recovery.
func TestEscapeBoundsLeftByCrash(t *testing.T) {
	m := newManager(t, "bcrash", nil, nil)
	env, cg, rt := m.env, m.cg, m.rt
	name := newCapsuleOn(t, env, "bcrash")
	unit := "capsule@" + name + ".service"
	if r := ctlRunEnv(env, "start", unit); r.code != 0 {
		t.Fatalf("start: %s", r)
	}
	var left []string
	for _, c := range []string{"memory", "pids"} {
		if v, ok, err := cgroup.FindV1(c); err == nil && ok {
			left = append(left, v.Path(v.ManagerBase(cg)))
		}
	}
	sockets, _ := filepath.Glob(filepath.Join(rt, "notify.d", "*"))
	left = append(left, sockets...)
	m.kill()
	rtDir := "/run/capsules/" + name
	if mountOf(t, rtDir) == "" {
		t.Errorf("%s is not a mount point", rtDir)
	}
	for _, p := range left {
		if _, err := os.Lstat(p); err != nil {
			t.Errorf("%s missing before recovery: %v", p, err)
		}
	}
	m.run()
	if mi := mountOf(t, rtDir); mi != "" {
		t.Errorf("%s still mounted after recovery: %s", rtDir, mi)
	}
	for _, p := range left {
		if _, err := os.Lstat(p); err == nil {
			t.Errorf("%s left after recovery", p)
		}
	}
}
