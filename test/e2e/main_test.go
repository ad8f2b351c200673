// Package e2e runs the real capsuled and capsulectl binaries, as root, the
// way a user would, and checks what they do to the machine.
package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	osexec "os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/capsuled/capsuled/internal/cgroup"
)

// env is the test environment set up by TestMain.
type env struct {
	bin        string // directory with capsuled and capsulectl
	runtimeDir string // of the system manager under test
	cgroup     string // its cgroup, relative to the hierarchy root
	h          cgroup.Hierarchy
	log        string
	logDir     string // the system manager's log store
	journal    string // where it looks for journald's socket
}

var (
	// e is set once by TestMain and only read afterwards.
	e       *env
	counter atomic.Int64
)

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	if os.Geteuid() != 0 {
		fmt.Fprintln(os.Stderr, "e2e: skipped, needs root")
		return 0
	}
	root, err := cgroup.Mountpoint()
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: skipped:", err)
		return 0
	}
	tmp, err := os.MkdirTemp("", "capsuled-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(tmp)
	// Non-root callers must reach capsulectl to be refused by it.
	if err := os.Chmod(tmp, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	args := []string{"build", "-o", tmp + "/"}
	cgo := "CGO_ENABLED=0" // as make build does
	// CAPSULED_E2E_RACE=1 runs the daemons under the race detector.
	if os.Getenv("CAPSULED_E2E_RACE") == "1" {
		args, cgo = append(args, "-race"), "CGO_ENABLED=1"
	}
	build := osexec.Command("go", append(args, "../../cmd/capsuled", "../../cmd/capsulectl")...)
	build.Env = append(os.Environ(), cgo)
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: build:", err)
		return 1
	}
	self, err := cgroup.Self()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	e = &env{bin: tmp, runtimeDir: fmt.Sprintf("/run/capsuled-e2e-%d", os.Getpid()),
		cgroup: filepath.Join(self, fmt.Sprintf("capsuled-e2e-%d", os.Getpid())),
		h:      cgroup.Hierarchy{Root: root}, log: filepath.Join(tmp, "capsuled.log"),
		logDir: filepath.Join(tmp, "log"), journal: filepath.Join(tmp, "journal.socket")}
	defer os.RemoveAll(e.runtimeDir)
	stop, err := startDaemon()
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	code := m.Run()
	if err := stop(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: stopping capsuled:", err)
		code = 1
	}
	if code != 0 {
		if b, err := os.ReadFile(e.log); err == nil {
			fmt.Fprintf(os.Stderr, "--- capsuled log (last 4 KiB) ---\n%s\n", tail(b, 4096))
		}
	}
	return code
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

// startDaemon runs capsuled --system and waits until it answers.
func startDaemon() (func() error, error) {
	logf, err := os.Create(e.log)
	if err != nil {
		return nil, err
	}
	cmd := osexec.Command(filepath.Join(e.bin, "capsuled"), "--system", "--runtime-dir="+e.runtimeDir, "--cgroup="+e.cgroup,
		"--log-dir="+e.logDir, "--journal-socket="+e.journal)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	stop := func() error {
		defer logf.Close()
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		var err error
		select {
		case err = <-done:
		case <-time.After(60 * time.Second):
			cmd.Process.Kill()
			<-done
			err = errors.New("capsuled did not exit within 60s of SIGTERM")
		}
		// Whatever the outcome, leave no cgroup behind.
		if rerr := removeCgroup(e.cgroup); rerr != nil && err == nil {
			err = rerr
		}
		return err
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if r := ctlRun(nil, "is-system-running"); r.code == 0 {
			return stop, nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	stop()
	return nil, errors.New("capsuled did not come up within 10s")
}

// result is what one capsulectl invocation did.
type result struct {
	stdout, stderr string
	code           int
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
}

// ctlRun runs capsulectl with args; attr may change its credentials.
func ctlRun(attr *syscall.SysProcAttr, args ...string) result {
	return ctlRunAs(attr, nil, args...)
}

// ctlRunEnv runs capsulectl with extra environment variables.
func ctlRunEnv(env []string, args ...string) result { return ctlRunAs(nil, env, args...) }

func ctlRunAs(attr *syscall.SysProcAttr, env []string, args ...string) result {
	cmd := osexec.Command(filepath.Join(e.bin, "capsulectl"), args...)
	cmd.Env = append(append(os.Environ(), "CAPSULED_RUNTIME_DIR="+e.runtimeDir), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.SysProcAttr = attr
	err := cmd.Run()
	code := 0
	if err != nil {
		var ee *osexec.ExitError
		if !errors.As(err, &ee) {
			return result{stderr: err.Error(), code: -1}
		}
		code = ee.ExitCode()
	}
	return result{stdout: out.String(), stderr: errb.String(), code: code}
}

// ctl runs capsulectl and fails the test unless it exits with want.
func ctl(t *testing.T, want int, args ...string) result {
	t.Helper()
	r := ctlRun(nil, args...)
	if r.code != want {
		t.Fatalf("capsulectl %s: want exit %d, got %s", strings.Join(args, " "), want, r)
	}
	return r
}

// newCapsule returns a unique capsule name and registers its removal.
func newCapsule(t *testing.T, prefix string) string {
	t.Helper()
	name := fmt.Sprintf("%s%d-%d", prefix, os.Getpid()%100000, counter.Add(1))
	if len(name) > 29 {
		t.Fatalf("capsule name %q too long", name)
	}
	t.Cleanup(func() { removeCapsule(t, name) })
	return name
}

// removeCapsule stops and wipes a capsule, whatever state it is in.
func removeCapsule(t *testing.T, name string) {
	unit := "capsule@" + name + ".service"
	if r := ctlRun(nil, "stop", unit); r.code != 0 && r.code != 5 {
		t.Errorf("cleanup: stop %s: %s", unit, r)
	}
	if r := ctlRun(nil, "clean", "--what=all", unit); r.code != 0 {
		t.Errorf("cleanup: clean %s: %s", unit, r)
	}
	for _, p := range []string{"/run/capsules/" + name, "/var/lib/capsules/" + name, "/var/lib/private/capsules/" + name} {
		if _, err := os.Lstat(p); err == nil {
			t.Errorf("cleanup: %s still exists", p)
			os.RemoveAll(p)
		}
	}
}

// startCapsule starts a fresh capsule, waits until its boot is done and
// returns its name.
func startCapsule(t *testing.T, prefix string) string {
	t.Helper()
	name := newCapsule(t, prefix)
	ctl(t, 0, "start", "capsule@"+name+".service")
	waitRunning(t, name)
	return name
}

// waitRunning waits until a capsule's manager says "running": start
// returns once basic.target is reached, as systemd's does, and the rest of
// the boot (capsule@.target and what it wants) may still be going on.
func waitRunning(t *testing.T, capsule string) {
	t.Helper()
	waitRunningOn(t, nil, capsule)
}

// waitRunningOn is waitRunning for a capsule of the system manager env
// names (capsulectl checks with it that the capsule's socket is served by
// the capsule's manager).
func waitRunningOn(t *testing.T, env []string, capsule string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	var r result
	for time.Now().Before(deadline) {
		if r = ctlRunEnv(env, "-C", capsule, "is-system-running"); r.code == 0 && strings.TrimSpace(r.stdout) == "running" {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("capsule %s not running after 10s: %s", capsule, r)
}

// inCapsule runs a shell script in the capsule with its stdio piped back.
func inCapsule(t *testing.T, capsule string, want int, script string) result {
	t.Helper()
	return ctl(t, want, "run", "-q", "-C", capsule, "-P", "sh", "-c", script)
}

// capsuleUID resolves c-NAME through NSS, as any program would.
func capsuleUID(t *testing.T, capsule string) (int, bool) {
	t.Helper()
	out, err := osexec.Command("getent", "passwd", "c-"+capsule).Output()
	if err != nil {
		return 0, false
	}
	var uid int
	f := strings.Split(strings.TrimSpace(string(out)), ":")
	if len(f) < 4 {
		t.Fatalf("odd passwd entry %q", out)
	}
	fmt.Sscan(f[2], &uid)
	if f[3] != f[2] {
		t.Errorf("GID %s differs from UID %s", f[3], f[2])
	}
	return uid, true
}

// processesOf lists PIDs running with the given real UID.
func processesOf(uid int) []int {
	var pids []int
	entries, _ := os.ReadDir("/proc")
	for _, d := range entries {
		var pid int
		if _, err := fmt.Sscan(d.Name(), &pid); err != nil {
			continue
		}
		var st syscall.Stat_t
		if err := syscall.Stat("/proc/"+d.Name(), &st); err == nil && int(st.Uid) == uid {
			pids = append(pids, pid)
		}
	}
	return pids
}

// managerPID returns the main PID of a running capsule.
func managerPID(t *testing.T, capsule string) int {
	t.Helper()
	r := ctl(t, 0, "status", "-n", "0", "capsule@"+capsule+".service")
	for _, line := range strings.Split(r.stdout, "\n") {
		if s, ok := strings.CutPrefix(strings.TrimSpace(line), "Main PID: "); ok {
			var pid int
			fmt.Sscan(s, &pid)
			return pid
		}
	}
	t.Fatalf("no Main PID in status:\n%s", r.stdout)
	return 0
}

// ctlWithStdin runs capsulectl with stdin from a temporary file.
func ctlWithStdin(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "stdin")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f.WriteString(stdin)
	f.Seek(0, 0)
	cmd := osexec.Command(filepath.Join(e.bin, "capsulectl"), args...)
	cmd.Env = append(os.Environ(), "CAPSULED_RUNTIME_DIR="+e.runtimeDir)
	var out, errb bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = f, &out, &errb
	err = cmd.Run()
	code := 0
	var ee *osexec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return result{stdout: out.String(), stderr: errb.String(), code: code}
}

// waitNoProcesses waits until no process runs as uid. Killed processes can
// linger as zombies for a moment until their new parent reaps them.
func waitNoProcesses(uid int, d time.Duration) []int {
	deadline := time.Now().Add(d)
	for {
		left := processesOf(uid)
		if len(left) == 0 || time.Now().After(deadline) {
			return left
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// removeCgroup kills whatever is left in cg, waits until it is empty and
// removes it.
func removeCgroup(cg string) error {
	e.h.Kill(cg)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	e.h.WaitEmpty(ctx, cg)
	return e.h.RemoveTree(cg)
}

// systemUnit writes a unit file where only the system manager under test
// finds it, and stops and removes it when the test ends.
func systemUnit(t *testing.T, name, text string) {
	t.Helper()
	dir := filepath.Join(e.runtimeDir, "system")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, name)
	if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctlRun(nil, "stop", name)
		// A unit left failed leaves the manager degraded for the tests
		// after (and for the next round of -count).
		ctlRun(nil, "reset-failed", name)
		os.Remove(file)
	})
}

// bootUnit puts a unit into a capsule's home and links it into
// capsule@.target.wants, so it starts with the capsule.
func bootUnit(t *testing.T, capsule, name, text string) {
	t.Helper()
	dir := "/var/lib/private/capsules/" + capsule + "/.config/systemd/user"
	if err := os.MkdirAll(filepath.Join(dir, "capsule@.target.wants"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../"+name, filepath.Join(dir, "capsule@.target.wants", name)); err != nil {
		t.Fatal(err)
	}
}
