package e2e

import (
	"fmt"
	"os"
	osexec "os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// hostileBuild compiles testdata/hostile.c once per test process.
var hostileBuild = sync.OnceValues(func() (string, error) {
	out := filepath.Join(e.bin, "hostile")
	b, err := osexec.Command("gcc", "-static", "-O2", "-o", out, "testdata/hostile.c").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("gcc: %v\n%s", err, b)
	}
	return out, nil
})

// hostileIn puts the hostile program into a capsule's home and returns its
// path as the capsule sees it.
func hostileIn(t *testing.T, capsule string) string {
	t.Helper()
	bin, err := hostileBuild()
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("/var/lib/private/capsules/"+capsule+"/hostile", data, 0o755); err != nil {
		t.Fatal(err)
	}
	return "/var/lib/capsules/" + capsule + "/hostile"
}

// secondManager runs another capsuled --system with its own runtime
// directory and cgroup and returns the environment that points capsulectl
// at it. start, if not nil, starts the prepared command (from a thread of
// its choice); it is stopped when the test ends.
func secondManager(t *testing.T, tag string, args []string, start func(*osexec.Cmd) error) []string {
	t.Helper()
	rt := fmt.Sprintf("/run/capsuled-e2e-%s-%d", tag, os.Getpid())
	cg := e.cgroup + "-" + tag
	logf, err := os.Create(filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatal(err)
	}
	args = append([]string{"--system", "--runtime-dir=" + rt, "--cgroup=" + cg}, args...)
	cmd := osexec.Command(filepath.Join(e.bin, "capsuled"), args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if start == nil {
		start = (*osexec.Cmd).Start
	}
	if err := start(cmd); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
		if err := removeCgroup(cg); err != nil {
			t.Errorf("cleanup: %v", err)
		}
		os.RemoveAll(rt)
		if t.Failed() {
			b, _ := os.ReadFile(logf.Name())
			t.Logf("second manager's log:\n%s", tail(b, 4096))
		}
	})
	env := []string{"CAPSULED_RUNTIME_DIR=" + rt}
	for i := 0; i < 500 && ctlRunEnv(env, "is-system-running").code != 0; i++ {
		time.Sleep(10 * time.Millisecond)
	}
	return env
}

// newCapsuleOn returns a capsule name whose capsule is stopped and cleaned
// through the manager env points at when the test ends.
func newCapsuleOn(t *testing.T, env []string, prefix string) string {
	t.Helper()
	name := newCapsule(t, prefix)
	t.Cleanup(func() {
		ctlRunEnv(env, "stop", "capsule@"+name+".service")
		ctlRunEnv(env, "clean", "--what=all", "capsule@"+name+".service")
	})
	return name
}

// msgQueues returns the System V message queues of the host: id to
// "uid gid cuid cgid".
func msgQueues(t *testing.T) map[int]string {
	t.Helper()
	b, err := os.ReadFile("/proc/sysvipc/msg")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	col := map[string]int{}
	for i, f := range strings.Fields(lines[0]) {
		col[f] = i
	}
	q := map[int]string{}
	for _, l := range lines[1:] {
		f := strings.Fields(l)
		id, _ := strconv.Atoi(f[col["msqid"]])
		q[id] = strings.Join([]string{f[col["uid"]], f[col["gid"]], f[col["cuid"]], f[col["cgid"]]}, " ")
	}
	return q
}

// TestEscapeSysVHandOverBlocksUIDs: a capsule gives System V queues to
// another dynamic UID (IPC_SET). That UID must stay allocatable, and the
// queues must go when the capsule that made them stops.
func TestEscapeSysVHandOverBlocksUIDs(t *testing.T) {
	target := freeUID(t)
	env := secondManager(t, "sysv", []string{fmt.Sprintf("--uid-range=%d-%d", target, target)}, nil)
	a := startCapsule(t, "sysv")
	aUID, _ := capsuleUID(t, a)
	out := inCapsule(t, a, 0, fmt.Sprintf("%s msg-handover %d 3", hostileIn(t, a), target)).stdout
	var ids []int
	for _, f := range strings.Fields(out) {
		id, err := strconv.Atoi(f)
		if err != nil {
			t.Fatalf("hostile printed %q", out)
		}
		ids = append(ids, id)
	}
	t.Cleanup(func() {
		for _, id := range ids {
			syscall.Syscall(syscall.SYS_MSGCTL, uintptr(id), unix.IPC_RMID, 0)
		}
	})
	q := msgQueues(t)
	for _, id := range ids {
		if want := fmt.Sprintf("%d %d %d %d", target, target, aUID, aUID); q[id] != want {
			t.Fatalf("queue %d: uid gid cuid cgid = %q, want %q", id, q[id], want)
		}
	}

	b := newCapsuleOn(t, env, "sysvb")
	if r := ctlRunEnv(env, "start", "capsule@"+b+".service"); r.code != 0 {
		t.Fatalf("UID %d holds queues handed over by capsule %s and cannot be allocated: %s", target, a, r)
	}
	if got, _ := capsuleUID(t, b); got != target {
		t.Errorf("capsule %s got UID %d, want %d", b, got, target)
	}
	ctl(t, 0, "stop", "capsule@"+a+".service")
	q = msgQueues(t)
	for _, id := range ids {
		if s, ok := q[id]; ok {
			t.Errorf("queue %d (uid gid cuid cgid %s) made by capsule %s survives its stop", id, s, a)
		}
	}
}
