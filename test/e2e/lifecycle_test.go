package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/capsuled/capsuled/internal/cgroup"
	"github.com/capsuled/capsuled/internal/dynuser"
)

func TestCapsuleLifecycle(t *testing.T) {
	name := newCapsule(t, "life")
	unit := "capsule@" + name + ".service"
	hashUID := dynuser.HashUID("c-" + name)
	_, hashTaken := os.Stat(fmt.Sprintf("/run/systemd/dynamic-uid/%d", hashUID))

	ctl(t, 0, "start", unit)

	// Identity: resolvable through NSS, in range, the hashed UID when free.
	uid, ok := capsuleUID(t, name)
	if !ok {
		t.Fatalf("getent passwd c-%s failed while the capsule runs", name)
	}
	if uid < 61184 || uid > 65519 {
		t.Errorf("UID %d outside 61184-65519", uid)
	}
	if hashTaken != nil && uid != int(hashUID) {
		t.Errorf("UID %d, want the hashed candidate %d (it was free)", uid, hashUID)
	}
	lock, err := os.ReadFile(fmt.Sprintf("/run/systemd/dynamic-uid/%d", uid))
	if err != nil || string(lock) != "c-"+name+"\n" {
		t.Errorf("lock file: %q, %v", lock, err)
	}
	// The UID is claimed with flock, as systemd does: nobody else can take it.
	if f, err := os.Open(fmt.Sprintf("/run/systemd/dynamic-uid/%d", uid)); err == nil {
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != syscall.EWOULDBLOCK {
			t.Errorf("lock file of UID %d is not held: flock gave %v", uid, err)
		}
		f.Close()
	}

	// Directories.
	var st syscall.Stat_t
	if err := syscall.Lstat("/run/capsules/"+name, &st); err != nil || st.Mode&syscall.S_IFMT != syscall.S_IFDIR || int(st.Uid) != uid {
		t.Errorf("/run/capsules/%s: want a directory owned by %d, got uid %d mode %o (%v)", name, uid, st.Uid, st.Mode, err)
	}
	if target, err := os.Readlink("/var/lib/capsules/" + name); err != nil || target != "../private/capsules/"+name {
		t.Errorf("/var/lib/capsules/%s -> %q (%v), want ../private/capsules/%s", name, target, err, name)
	}
	if err := syscall.Stat("/var/lib/private", &st); err != nil || st.Mode&0o7777 != 0o700 || st.Uid != 0 {
		t.Errorf("/var/lib/private: mode %o uid %d (%v), want 0700 root", st.Mode&0o7777, st.Uid, err)
	}

	// The manager process: UID, no new privileges, environment, cgroup.
	pid := managerPID(t, name)
	status, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for _, want := range []string{fmt.Sprintf("Uid:\t%d\t%d\t%d\t%d", uid, uid, uid, uid), "NoNewPrivs:\t1", "CapEff:\t0000000000000000"} {
		if !strings.Contains(string(status), want) {
			t.Errorf("manager /proc/%d/status lacks %q", pid, want)
		}
	}
	environ, _ := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
	for _, want := range []string{"HOME=/var/lib/capsules/" + name, "XDG_RUNTIME_DIR=/run/capsules/" + name} {
		if !strings.Contains(string(environ), want+"\x00") {
			t.Errorf("manager environment lacks %s", want)
		}
	}
	cg, err := cgroup.OfPID(pid)
	if err != nil || !strings.HasSuffix(cg, "/capsule.slice/capsule@"+name+".service/init.scope") {
		t.Errorf("manager cgroup %q (%v)", cg, err)
	}

	// Manager verbs.
	waitRunning(t, name)
	if r := ctl(t, 0, "-C", name, "list-units"); !strings.Contains(r.stdout, "capsule@"+name+".target") {
		t.Errorf("list-units lacks capsule@%s.target:\n%s", name, r.stdout)
	}
	if r := ctl(t, 0, "-C", name, "is-active", "capsule@"+name+".target"); strings.TrimSpace(r.stdout) != "active" {
		t.Errorf("is-active printed %q", r.stdout)
	}
	ctl(t, 0, "status", unit)

	// A second start is a no-op; clean is refused while it runs.
	ctl(t, 0, "start", unit)
	if pid2 := managerPID(t, name); pid2 != pid {
		t.Errorf("second start replaced the manager: PID %d -> %d", pid, pid2)
	}
	os.WriteFile("/var/lib/capsules/"+name+"/keep", []byte("x"), 0o644)
	r := ctl(t, 1, "clean", "--what=all", unit)
	if !strings.Contains(r.stderr, "not inactive") || !strings.HasSuffix(r.stderr, "stop it first (capsulectl stop "+unit+")\n") {
		t.Errorf("clean while running: %q", r.stderr)
	}
	if _, err := os.Stat("/var/lib/private/capsules/" + name + "/keep"); err != nil {
		t.Errorf("refused clean removed files: %v", err)
	}

	// Stop: everything of the capsule ends, the identity is released.
	ctl(t, 0, "run", "-q", "-C", name, "--unit=daemons", "sh", "-c", "setsid sleep 1000 & setsid sleep 1000 & exec sleep 1000")
	deadline := time.Now().Add(2 * time.Second)
	for len(processesOf(uid)) < 4 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := len(processesOf(uid)); n < 4 {
		t.Errorf("expected the manager, a service and two daemonized sleeps as UID %d, found %d", uid, n)
	}
	ctl(t, 0, "stop", unit)
	if left := waitNoProcesses(uid, 2*time.Second); len(left) > 0 {
		t.Errorf("processes of UID %d outlived the capsule: %v", uid, left)
	}
	if _, ok := capsuleUID(t, name); ok {
		t.Errorf("c-%s still resolves after stop", name)
	}
	for _, p := range []string{fmt.Sprintf("/run/systemd/dynamic-uid/%d", uid), "/run/capsules/" + name,
		"/run/userdb/c-" + name + ".user", fmt.Sprintf("/run/userdb/%d.user", uid),
		"/run/userdb/c-" + name + ".group", fmt.Sprintf("/run/userdb/%d.group", uid)} {
		if _, err := os.Lstat(p); err == nil {
			t.Errorf("%s still exists after stop", p)
		}
	}
	if _, err := os.Stat(e.h.Path(filepath.Dir(cg))); err == nil {
		t.Errorf("cgroup %s still exists after stop", filepath.Dir(cg))
	}
	if _, err := os.Stat("/var/lib/private/capsules/" + name + "/keep"); err != nil {
		t.Errorf("home lost at stop: %v", err)
	}
	if r := ctl(t, 3, "status", unit); !strings.Contains(r.stdout, "inactive (dead)") {
		t.Errorf("status after stop:\n%s", r.stdout)
	}

	// Start again: same files, same UID.
	ctl(t, 0, "start", unit)
	if uid2, _ := capsuleUID(t, name); uid2 != uid {
		t.Errorf("UID changed across restart: %d -> %d", uid, uid2)
	}
	inCapsule(t, name, 0, "test -f $HOME/keep")
	ctl(t, 0, "stop", unit)

	// Clean removes the home and its link, and nothing else.
	ctl(t, 0, "clean", "--what=all", unit)
	for _, p := range []string{"/var/lib/capsules/" + name, "/var/lib/private/capsules/" + name} {
		if _, err := os.Lstat(p); err == nil {
			t.Errorf("%s survived clean --what=all", p)
		}
	}
	for _, p := range []string{"/var/lib/capsules", "/var/lib/private/capsules", "/run/capsules"} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("clean removed the parent %s: %v", p, err)
		}
	}
}

func TestDefaultCleanKeepsHome(t *testing.T) {
	name := startCapsule(t, "keep")
	unit := "capsule@" + name + ".service"
	ctl(t, 0, "stop", unit)
	ctl(t, 0, "clean", unit)
	if _, err := os.Stat("/var/lib/private/capsules/" + name); err != nil {
		t.Errorf("clean without --what removed the home: %v", err)
	}
}

func TestUnitFilesInHomeStartWithCapsule(t *testing.T) {
	name := startCapsule(t, "units")
	unit := "capsule@" + name + ".service"
	ctl(t, 0, "stop", unit)
	bootUnit(t, name, "hello.service", "[Unit]\nDescription=Hello from %i\n\n[Service]\n"+
		"ExecStart=/bin/sh -c 'echo hello from $HOME; exec sleep 1000'\n\n[Install]\nWantedBy=capsule@.target\n")
	ctl(t, 0, "start", unit)
	waitRunning(t, name)
	// The unit's first line may still be on its way to the log.
	want := "hello from /var/lib/capsules/" + name
	r := ctl(t, 0, "-C", name, "status", "hello.service")
	for deadline := time.Now().Add(5 * time.Second); !strings.Contains(r.stdout, want) && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
		r = ctl(t, 0, "-C", name, "status", "hello.service")
	}
	for _, want := range []string{"active (running)", want, "app.slice/hello.service"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("status of hello.service lacks %q:\n%s", want, r.stdout)
		}
	}
}

// TestConcurrentStarts starts several capsules at once while status
// queries run, then checks each got its own UID and is fully up.
func TestConcurrentStarts(t *testing.T) {
	const n = 6
	names := make([]string, n)
	for i := range names {
		names[i] = newCapsule(t, "par")
	}
	stop := make(chan struct{})
	go func() {
		for {
			select {
			case <-stop:
				return
			default:
				ctlRun(nil, "list-units", "-a")
			}
		}
	}()
	errs := make(chan string, n)
	for _, name := range names {
		go func(name string) {
			if r := ctlRun(nil, "start", "capsule@"+name+".service"); r.code != 0 {
				errs <- fmt.Sprintf("start %s: %s", name, r)
				return
			}
			errs <- ""
		}(name)
	}
	for range names {
		if msg := <-errs; msg != "" {
			t.Error(msg)
		}
	}
	close(stop)
	seen := map[int]string{}
	for _, name := range names {
		uid, ok := capsuleUID(t, name)
		if !ok {
			t.Errorf("c-%s does not resolve", name)
			continue
		}
		if other, dup := seen[uid]; dup {
			t.Errorf("capsules %s and %s share UID %d", name, other, uid)
		}
		seen[uid] = name
		waitRunning(t, name)
	}
}

// TestSystemManagerCrash kills a system manager with SIGKILL while a
// capsule runs: the next instance must end the orphaned capsule and free
// its UID before anything else can be given that UID.
func TestSystemManagerCrash(t *testing.T) {
	m := newManager(t, "crash", nil, nil)
	env := m.env
	name := newCapsuleOn(t, env, "crash")
	unit := "capsule@" + name + ".service"
	if r := ctlRunEnv(env, "start", unit); r.code != 0 {
		t.Fatalf("start: %s", r)
	}
	uid, _ := capsuleUID(t, name)
	transient := "crashrun" + name + ".service"
	if r := ctlRunEnv(m.env, "run", "-q", "-u", transient, "sleep", "1000"); r.code != 0 {
		t.Fatalf("transient unit: %s", r)
	}
	m.kill()
	if len(processesOf(uid)) == 0 {
		t.Fatalf("capsule died with its manager; nothing to recover")
	}
	m.run()
	if left := waitNoProcesses(uid, 2*time.Second); len(left) > 0 {
		t.Errorf("processes of the orphaned capsule survive the new manager: %v", left)
	}
	for _, p := range []string{fmt.Sprintf("/run/systemd/dynamic-uid/%d", uid), "/run/capsules/" + name, "/run/userdb/c-" + name + ".user"} {
		if _, err := os.Lstat(p); err == nil {
			t.Errorf("%s left after recovery", p)
		}
	}
	if _, ok := capsuleUID(t, name); ok {
		t.Errorf("c-%s still resolves after recovery", name)
	}
	// Transient units end with the manager that made them.
	if r := ctlRunEnv(m.env, "status", transient); r.code != 4 {
		t.Errorf("transient unit of the crashed manager after recovery: %s", r)
	}
	if r := ctlRunEnv(env, "start", unit); r.code != 0 {
		t.Fatalf("start after recovery: %s", r)
	}
	if got, _ := capsuleUID(t, name); got != uid {
		t.Errorf("UID after recovery %d, want %d again", got, uid)
	}
}

// TestEnableInCapsule follows systemd's persistence scenario: a unit the
// capsule writes into its own home, enabled with --now, comes back when
// the capsule is restarted.
func TestEnableInCapsule(t *testing.T) {
	name := startCapsule(t, "enable")
	unit := "capsule@" + name + ".service"
	inCapsule(t, name, 0, `mkdir -p ~/.config/systemd/user && cat > ~/.config/systemd/user/hello.service <<'EOF2'
[Unit]
Description=Hello

[Service]
ExecStart=/bin/sleep 1000

[Install]
WantedBy=capsule@.target
EOF2`)
	ctl(t, 0, "-C", name, "daemon-reload")
	if r := ctl(t, 1, "-C", name, "is-enabled", "hello.service"); strings.TrimSpace(r.stdout) != "disabled" {
		t.Errorf("is-enabled before enable: %q", r.stdout)
	}
	r := ctl(t, 0, "-C", name, "enable", "--now", "hello.service")
	link := "/var/lib/capsules/" + name + "/.config/systemd/user/capsule@.target.wants/hello.service"
	if !strings.Contains(r.stderr, "Created symlink '"+link+"' → ") {
		t.Errorf("enable printed %q", r.stderr)
	}
	if _, err := os.Lstat("/var/lib/private/capsules/" + name + "/.config/systemd/user/capsule@.target.wants/hello.service"); err != nil {
		t.Errorf("no link after enable: %v", err)
	}
	ctl(t, 0, "-C", name, "is-active", "hello.service")
	if r := ctl(t, 0, "-C", name, "is-enabled", "hello.service"); strings.TrimSpace(r.stdout) != "enabled" {
		t.Errorf("is-enabled: %q", r.stdout)
	}
	ctl(t, 0, "stop", unit)
	ctl(t, 0, "start", unit)
	waitRunning(t, name)
	if r := ctl(t, 0, "-C", name, "status", "hello.service"); !strings.Contains(r.stdout, "; enabled)") || !strings.Contains(r.stdout, "active (running)") {
		t.Errorf("hello.service after restart:\n%s", r.stdout)
	}
	ctl(t, 0, "-C", name, "disable", "--now", "hello.service")
	ctl(t, 3, "-C", name, "is-active", "hello.service")
	if _, err := os.Lstat("/var/lib/private/capsules/" + name + "/.config/systemd/user/capsule@.target.wants/hello.service"); err == nil {
		t.Error("link still there after disable")
	}
	// A unit without [Install] has nothing to enable or disable: as
	// systemctl 257, exit 0 with a hint, which a unit with something to
	// install beside it silences.
	const hint = "The unit files have no installation config (WantedBy=, RequiredBy=, UpheldBy=,\n"
	for _, verb := range []string{"enable", "disable"} {
		if r := ctlRun(nil, "-C", name, verb, "basic.target"); r.code != 0 || !strings.HasPrefix(r.stderr, hint) ||
			!strings.HasSuffix(r.stderr, "  instance name specified.\n") || r.stdout != "" {
			t.Errorf("%s of a static unit: %s", verb, r)
		}
	}
	if r := ctlRun(nil, "-C", name, "enable", "basic.target", "hello.service"); r.code != 0 || strings.Contains(r.stderr, "installation config") {
		t.Errorf("enable of a static and an installable unit: %s", r)
	}
	ctl(t, 0, "-C", name, "disable", "hello.service")
	// A .wants/ directory root made is not the capsule's: enable says how
	// to hand it over, and works once that is done.
	wants := "/var/lib/private/capsules/" + name + "/.config/systemd/user/capsule@.target.wants"
	if err := os.Mkdir(wants, 0o755); err != nil && !os.IsExist(err) {
		t.Fatal(err)
	}
	if err := os.Chown(wants, 0, 0); err != nil {
		t.Fatal(err)
	}
	r = ctlRun(nil, "-C", name, "enable", "hello.service")
	if r.code != 1 || !strings.Contains(r.stderr, "not writable by this manager's user") ||
		!strings.Contains(r.stderr, "chown -R 65534:65534 /var/lib/capsules/"+name+"/.config/systemd") {
		t.Errorf("enable into a root-owned .wants/: %s", r)
	}
	if err := exec.Command("chown", "-R", "65534:65534", "/var/lib/capsules/"+name+"/.config/systemd").Run(); err != nil {
		t.Fatal(err)
	}
	ctl(t, 0, "-C", name, "enable", "hello.service")
}

// TestFailedStartLeavesNothingRunning: a capsule whose boot kills its own
// manager dies, and what it spawned does not survive with a released UID.
func TestFailedStartLeavesNothingRunning(t *testing.T) {
	name := newCapsule(t, "evil")
	ctl(t, 0, "start", "capsule@"+name+".service")
	uid, _ := capsuleUID(t, name)
	ctl(t, 0, "stop", "capsule@"+name+".service")
	bootUnit(t, name, "evil.service",
		"[Service]\nType=oneshot\nExecStart=/bin/sh -c \"setsid sleep 1000 </dev/null >/dev/null 2>&1 & sleep 0.3; kill -9 $PPID\"\n")
	// The manager reports ready before its boot units run, so the start
	// may succeed; either way the capsule dies when evil.service kills it.
	ctlRun(nil, "start", "capsule@"+name+".service")
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		st := strings.TrimSpace(ctlRun(nil, "is-active", "capsule@"+name+".service").stdout)
		if st == "failed" || st == "inactive" {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if left := waitNoProcesses(uid, 3*time.Second); len(left) > 0 {
		t.Errorf("processes of UID %d survive the failed start: %v", uid, left)
	}
	if _, err := os.Lstat(fmt.Sprintf("/run/systemd/dynamic-uid/%d", uid)); err == nil {
		t.Errorf("UID %d still locked after the failed start", uid)
	}
}

// TestStartWhileStopping: a start that arrives while the capsule manager is
// shutting down by itself waits for the old instance to end instead of
// starting a second one beside it.
func TestStartWhileStopping(t *testing.T) {
	name := startCapsule(t, "rest")
	uid, _ := capsuleUID(t, name)
	ctl(t, 0, "run", "-q", "-C", name, "-u", "stubborn", "-p", "TimeoutStopSec=1s", "sh", "-c", "trap '' TERM; while :; do sleep 0.1; done")
	pid := managerPID(t, name)
	// The manager's shutdown may end this very command first: ignore how
	// it exits.
	ctlRun(nil, "run", "-q", "-C", name, "-P", "kill", "-TERM", fmt.Sprint(pid))
	oldRuns := func() bool {
		var st syscall.Stat_t
		return syscall.Stat(fmt.Sprintf("/proc/%d", pid), &st) == nil && int(st.Uid) == uid
	}
	// The manager takes the signal in its own time: the start must come
	// once the system manager knows it is stopping (STOPPING=1), else it
	// is a start of a running unit, which does nothing.
	if !waitFor(10*time.Second, func() bool {
		return strings.TrimSpace(ctlRun(nil, "is-active", "capsule@"+name+".service").stdout) != "active" || !oldRuns()
	}) {
		t.Fatalf("capsule@%s.service still active 10 s after its manager got SIGTERM", name)
	}
	ctl(t, 0, "start", "capsule@"+name+".service")
	if oldRuns() {
		t.Errorf("old manager %d still running after the new start", pid)
	}
	waitRunning(t, name)
	n := 0
	for _, p := range processesOf(uid) {
		if cmd, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", p)); strings.Contains(string(cmd), "--unit=capsule@"+name+".target") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d capsule managers running, want 1", n)
	}
}

// TestStopCancelsSlowStart: a stop while a start still waits for the
// service to be ready cancels that start instead of waiting for it.
func TestStopCancelsSlowStart(t *testing.T) {
	name := fmt.Sprintf("neverready%d", os.Getpid()%100000)
	systemUnit(t, name+".service", "[Service]\nType=notify\nExecStart=/bin/sleep 60\n")
	started := make(chan result, 1)
	go func() { started <- ctlRun(nil, "start", name+".service") }()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if st := strings.TrimSpace(ctlRun(nil, "is-active", name+".service").stdout); st == "activating" {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	begin := time.Now()
	ctl(t, 0, "stop", name+".service")
	if d := time.Since(begin); d > 10*time.Second {
		t.Errorf("stop took %v: it waited for the start instead of cancelling it", d)
	}
	select {
	case r := <-started:
		if r.code == 0 {
			t.Errorf("the cancelled start reported success: %s", r)
		}
	case <-time.After(10 * time.Second):
		t.Error("the cancelled start did not return")
	}
	ctl(t, 3, "is-active", name+".service")
}

// TestStopDuringSlowBoot: a capsule whose boot units are slow stops at once.
func TestStopDuringSlowBoot(t *testing.T) {
	name := newCapsule(t, "slow")
	ctl(t, 0, "start", "capsule@"+name+".service")
	uid, _ := capsuleUID(t, name)
	ctl(t, 0, "stop", "capsule@"+name+".service")
	bootUnit(t, name, "slow.service", "[Service]\nType=oneshot\nExecStart=/bin/sleep 30\n")
	ctl(t, 0, "start", "capsule@"+name+".service")
	begin := time.Now()
	ctl(t, 0, "stop", "capsule@"+name+".service")
	if d := time.Since(begin); d > 10*time.Second {
		t.Errorf("stop took %v: the capsule waited for its boot", d)
	}
	if left := waitNoProcesses(uid, 3*time.Second); len(left) > 0 {
		t.Errorf("processes left after stop: %v", left)
	}
}

// TestOneshotLeftoversDie: a system oneshot with DynamicUser= that leaves a
// daemon behind must not leave it running once its UID is released.
func TestOneshotLeftoversDie(t *testing.T) {
	name := fmt.Sprintf("dynone%d", os.Getpid()%100000)
	systemUnit(t, name+".service", "[Service]\nType=oneshot\nDynamicUser=yes\nUser="+name+"\n"+
		"ExecStart=/bin/sh -c \"id -u; setsid sleep 1000 </dev/null >/dev/null 2>&1 &\"\n")
	ctl(t, 0, "start", name+".service")
	r := ctl(t, 3, "status", name+".service")
	var uid int
	for _, line := range strings.Split(r.stdout, "\n") {
		if i := strings.Index(line, "]: "); i > 0 {
			fmt.Sscan(line[i+3:], &uid)
		}
	}
	if uid < 61184 || uid > 65519 {
		t.Fatalf("no dynamic UID in the unit's log:\n%s", r.stdout)
	}
	if left := waitNoProcesses(uid, 3*time.Second); len(left) > 0 {
		t.Errorf("processes of released UID %d still run: %v", uid, left)
	}
	if _, err := os.Lstat(fmt.Sprintf("/run/systemd/dynamic-uid/%d", uid)); err == nil {
		t.Errorf("UID %d still locked", uid)
	}
}

// TestStartSeveralInOneCall starts and stops capsules named together.
func TestStartSeveralInOneCall(t *testing.T) {
	a, b, c := newCapsule(t, "onea"), newCapsule(t, "oneb"), newCapsule(t, "onec")
	units := []string{"capsule@" + a + ".service", "capsule@" + b + ".service", "capsule@" + c + ".service"}
	ctl(t, 0, append([]string{"start"}, units...)...)
	r := ctl(t, 0, append([]string{"is-active"}, units...)...)
	if strings.Count(r.stdout, "active\n") != 3 {
		t.Errorf("is-active after one start call:\n%s", r.stdout)
	}
	ctl(t, 0, append([]string{"stop"}, units...)...)
	r = ctl(t, 3, append([]string{"is-active"}, units...)...)
	if strings.Count(r.stdout, "inactive\n") != 3 {
		t.Errorf("is-active after one stop call:\n%s", r.stdout)
	}
	// A bad name among good ones is refused before anything starts.
	r = ctl(t, 1, "start", units[0], "capsule@a.b.service")
	if !strings.Contains(r.stderr, "nvalid capsule name") {
		t.Errorf("mixed start: %s", r)
	}
	ctl(t, 3, "is-active", units[0])
}
