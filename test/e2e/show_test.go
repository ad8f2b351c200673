package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// capsuleUnit writes a unit file into a capsule's own configuration,
// where its manager finds it on first use.
func capsuleUnit(t *testing.T, capsule, name, text string) {
	t.Helper()
	dir := "/var/lib/private/capsules/" + capsule + "/.config/systemd/user"
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// wantOutput runs capsulectl and checks its exit code and stdout exactly.
func wantOutput(t *testing.T, code int, stdout string, args ...string) result {
	t.Helper()
	r := ctlRun(nil, args...)
	if r.code != code || r.stdout != stdout {
		t.Errorf("capsulectl %s:\n%s\nwant exit %d, stdout:\n%s", strings.Join(args, " "), r, code, stdout)
	}
	return r
}

// waitProperty polls show -p until prop has value want.
func waitProperty(t *testing.T, capsule, unit, prop, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	var r result
	for time.Now().Before(deadline) {
		if r = ctlRun(nil, "-C", capsule, "show", "--value", "-p", prop, unit); r.stdout == want+"\n" {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%s of %s is not %q after 10s: %s", prop, unit, want, r)
}

// The units of a small dependency graph, as used with the real systemd
// 257 (in a capsule) for the expected outputs below.
func dependencyUnits(t *testing.T, capsule string) {
	capsuleUnit(t, capsule, "a.service", "[Unit]\nDescription=Ctl A\nRequires=b.service\nWants=c.service t.target\n[Service]\nExecStart=/bin/sleep infinity\n")
	capsuleUnit(t, capsule, "b.service", "[Service]\nExecStart=/bin/sleep infinity\n")
	capsuleUnit(t, capsule, "c.service", "[Service]\nType=oneshot\nExecStart=/bin/false\n")
	capsuleUnit(t, capsule, "t.target", "[Unit]\nDescription=Ctl T\nWants=d.service\n")
	capsuleUnit(t, capsule, "d.service", "[Service]\nExecStart=/bin/sleep infinity\n")
}

func TestShowProperties(t *testing.T) {
	c := startCapsule(t, "show")
	dependencyUnits(t, c)
	ctl(t, 0, "-C", c, "start", "a.service")

	// Properties print in the manager's order (the service's own first),
	// not in the order asked for.
	pid := strings.TrimSpace(ctl(t, 0, "-C", c, "show", "--value", "-p", "MainPID", "a.service").stdout)
	if n, _ := strconv.Atoi(pid); n <= 0 {
		t.Fatalf("MainPID of a running service = %q", pid)
	}
	// The main process may still be the executor, about to exec sleep.
	deadline := time.Now().Add(10 * time.Second)
	for {
		cmd, _ := os.ReadFile("/proc/" + pid + "/cmdline")
		if string(cmd) == "/bin/sleep\x00infinity\x00" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("MainPID %s runs %q, not the service's sleep", pid, cmd)
		}
		time.Sleep(5 * time.Millisecond)
	}
	wantOutput(t, 0, "MainPID="+pid+"\nId=a.service\nActiveState=active\nSubState=running\n",
		"-C", c, "show", "-p", "ActiveState,SubState,MainPID,Id", "a.service")
	wantOutput(t, 0, "ActiveState=active\nSubState=running\n", "-C", c, "show", "-p", "ActiveState", "-p", "SubState", "a.service")
	// An unknown property is left out, not an error.
	wantOutput(t, 0, "ActiveState=active\n", "-C", c, "show", "-p", "ActiveState,Nope", "a.service")
	wantOutput(t, 0, "active\nrunning\n", "-C", c, "show", "--value", "-p", "ActiveState,SubState", "a.service")
	// Several units: blocks separated by an empty line; no suffix means .service.
	wantOutput(t, 0, "a.service\n\nb.service\n", "-C", c, "show", "--value", "-p", "Id", "a", "b.service")
	wantOutput(t, 0, "Id=a.service\n\nId=b.service\n", "-C", c, "show", "-p", "Id", "a.service", "b.service")
	wantOutput(t, 0, "Id=none.service\nLoadState=not-found\nActiveState=inactive\n",
		"-C", c, "show", "-p", "Id,ActiveState,LoadState", "none.service")
	// A failed oneshot (/bin/false), as systemd 257 shows it, once its
	// start (a.service's Wants=, not waited for) has failed.
	waitProperty(t, c, "c.service", "ActiveState", "failed")
	wantOutput(t, 0, "Result=exit-code\nExecMainCode=1\nExecMainStatus=1\nActiveState=failed\nSubState=failed\n",
		"-C", c, "show", "-p", "ActiveState,SubState,Result,ExecMainStatus,ExecMainCode", "c.service")
	wantOutput(t, 0, "Description=Ctl A\nLoadState=loaded\n", "-C", c, "show", "-p", "LoadState,Description", "a.service")
	// Every unit, of each type, and one without a file, as systemd 257
	// shows them; run --collect's unit is collected when it failed too.
	ctl(t, 0, "-C", c, "run", "-q", "-u", "shwt", "--on-active=1h", "true")
	ctl(t, 0, "-C", c, "run", "-q", "-G", "-u", "shwg", "sleep", "1000")
	defer ctl(t, 0, "-C", c, "stop", "shwt.timer", "shwg.service")
	capsuleUnit(t, c, "shwp.path", "[Path]\nPathExists=%h/x\nUnit=b.service\n")
	wantOutput(t, 0, strings.Repeat("Perpetual=no\nCollectMode=inactive\n\n", 7)+"Perpetual=no\nCollectMode=inactive-or-failed\n",
		"-C", c, "show", "-p", "Perpetual,CollectMode", "a.service", "t.target", "none.service", "shwt.timer", "shwp.path", "paths.target", "app.slice", "shwg.service")

	// Timestamps in systemd's format; one never reached is empty, shown
	// only when asked for by name or with --all, its monotonic twin 0.
	r := ctl(t, 0, "-C", c, "show", "-p", "ActiveEnterTimestamp,ActiveExitTimestamp,ActiveExitTimestampMonotonic,InvocationID", "a.service")
	re := regexp.MustCompile(`^ActiveEnterTimestamp=(Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d{4}-\d\d-\d\d \d\d:\d\d:\d\d [A-Z]+\n` +
		`ActiveExitTimestamp=\nActiveExitTimestampMonotonic=0\nInvocationID=[0-9a-f]{32}\n$`)
	if !re.MatchString(r.stdout) {
		t.Errorf("timestamps and invocation ID:\n%s", r.stdout)
	}

	// Without -p: every property with a value, in systemd's order.
	all := ctl(t, 0, "-C", c, "show", "a.service").stdout
	order := []string{"Type=simple", "MainPID=" + pid, "Result=success", "ExecMainPID=" + pid, "ExecMainCode=0",
		"Slice=app.slice", "ControlGroup=/", "Id=a.service", "Names=a.service", "Requires=", "Wants=c.service t.target",
		"Description=Ctl A", "LoadState=loaded", "ActiveState=active", "SubState=running", "FragmentPath=/",
		"UnitFileState=static", "StateChangeTimestamp=", "ActiveEnterTimestampMonotonic=", "ActiveExitTimestampMonotonic=0",
		"CanStart=yes", "CanStop=yes", "CanReload=no", "Transient=no", "InvocationID="}
	at := -1
	for _, p := range order {
		i := strings.Index(all, "\n"+p)
		if i < 0 && strings.HasPrefix(all, p) {
			i = 0
		}
		if i <= at {
			t.Errorf("show a.service: %q missing or out of order:\n%s", p, all)
			break
		}
		at = i
	}
	if strings.Contains(all, "\nActiveExitTimestamp=\n") || strings.Contains(all, "\nStatusText=\n") {
		t.Errorf("show without --all printed empty properties:\n%s", all)
	}
	if all := ctl(t, 0, "-C", c, "show", "--all", "a.service").stdout; !strings.Contains(all, "\nActiveExitTimestamp=\n") {
		t.Errorf("show --all left out empty properties:\n%s", all)
	}
	// Reverse dependencies of loaded units.
	wantOutput(t, 0, "WantedBy=a.service\n", "-C", c, "show", "-p", "WantedBy", "t.target")

	// No unit: the manager's properties (c.service failed: degraded).
	wantOutput(t, 0, "degraded\n", "-C", c, "show", "--value", "-p", "SystemState")
	// The system manager's, and its view of the capsule's unit.
	wantOutput(t, 0, "Id=capsule@"+c+".service\nActiveState=active\n", "show", "-p", "Id,ActiveState", "capsule@"+c+".service")
	if r := ctl(t, 0, "show", "-p", "Architecture,SystemState"); !regexp.MustCompile(`^Architecture=\S+\nSystemState=\S+\n$`).MatchString(r.stdout) {
		t.Errorf("system manager properties:\n%s", r.stdout)
	}
	r = ctl(t, 0, "-C", c, "show", "-p", "SystemState,NFailedUnits,Version")
	if !regexp.MustCompile(`^Version=\S+\nNFailedUnits=1\nSystemState=degraded\n$`).MatchString(r.stdout) {
		t.Errorf("manager properties:\n%s", r.stdout)
	}
}

func TestIsFailed(t *testing.T) {
	c := startCapsule(t, "isf")
	capsuleUnit(t, c, "ok.service", "[Service]\nExecStart=/bin/sleep infinity\n")
	capsuleUnit(t, c, "bad.service", "[Service]\nType=oneshot\nExecStart=/bin/false\n")
	ctl(t, 0, "-C", c, "start", "ok.service")
	ctl(t, 1, "-C", c, "start", "bad.service")
	// Outputs and exit codes of systemctl is-failed (systemd 257).
	wantOutput(t, 1, "active\n", "-C", c, "is-failed", "ok.service")
	wantOutput(t, 1, "active\n", "-C", c, "is-failed", "ok")
	wantOutput(t, 0, "failed\n", "-C", c, "is-failed", "bad.service")
	wantOutput(t, 4, "inactive\n", "-C", c, "is-failed", "none.service")
	wantOutput(t, 4, "inactive\ninactive\n", "-C", c, "is-failed", "none.service", "none2.service")
	wantOutput(t, 1, "inactive\nactive\n", "-C", c, "is-failed", "none.service", "ok.service")
	wantOutput(t, 0, "inactive\nfailed\n", "-C", c, "is-failed", "none.service", "bad.service")
	wantOutput(t, 0, "active\nfailed\n", "-C", c, "is-failed", "ok.service", "bad.service")
	wantOutput(t, 0, "failed\nactive\n", "-C", c, "is-failed", "bad.service", "ok.service")
	wantOutput(t, 0, "", "-C", c, "is-failed", "-q", "bad.service")
	// Without units: is the manager degraded?
	wantOutput(t, 0, "degraded\n", "-C", c, "is-failed")
	wantOutput(t, 0, "", "-C", c, "is-failed", "--quiet")
	ctl(t, 0, "-C", c, "reset-failed", "bad.service")
	wantOutput(t, 1, "running\n", "-C", c, "is-failed")
	wantOutput(t, 1, "inactive\n", "-C", c, "is-failed", "bad.service")
}

func TestTryRestartAndReloadOrRestart(t *testing.T) {
	c := startCapsule(t, "tryr")
	capsuleUnit(t, c, "svc.service", "[Service]\nExecStart=/bin/sleep infinity\n")
	capsuleUnit(t, c, "bad.service", "[Service]\nType=oneshot\nExecStart=/bin/false\n")
	state := []string{"-C", c, "show", "-p", "ActiveState,SubState,Result"}

	// try-restart leaves a stopped unit stopped.
	ctl(t, 0, "-C", c, "try-restart", "svc.service")
	wantOutput(t, 0, "Result=success\nActiveState=inactive\nSubState=dead\n", append(state, "svc.service")...)
	// ... and restarts a running one: a new main process, a new invocation.
	ctl(t, 0, "-C", c, "start", "svc.service")
	before := ctl(t, 0, "-C", c, "show", "--value", "-p", "MainPID,InvocationID", "svc.service").stdout
	ctl(t, 0, "-C", c, "try-restart", "svc")
	after := ctl(t, 0, "-C", c, "show", "--value", "-p", "MainPID,InvocationID", "svc.service").stdout
	b, a := strings.Fields(before), strings.Fields(after)
	if len(b) != 2 || len(a) != 2 || b[0] == a[0] || b[1] == a[1] || a[0] == "0" {
		t.Errorf("try-restart of a running unit: MainPID and InvocationID before %q, after %q", before, after)
	}
	wantOutput(t, 0, "Result=success\nActiveState=active\nSubState=running\n", append(state, "svc.service")...)
	// A failed unit is not started, but its failure is reset (as systemd 257 does).
	ctl(t, 1, "-C", c, "start", "bad.service")
	ctl(t, 0, "-C", c, "try-restart", "bad.service")
	wantOutput(t, 0, "Result=success\nActiveState=inactive\nSubState=dead\n", append(state, "bad.service")...)
	r := ctl(t, 5, "-C", c, "try-restart", "none.service")
	if !strings.HasPrefix(r.stderr, "Failed to try-restart none.service: ") {
		t.Errorf("try-restart of a unit without a file: %s", r)
	}

	// reload-or-restart: no unit reloads yet, so it restarts; a stopped
	// unit is started.
	ctl(t, 0, "-C", c, "stop", "svc.service")
	ctl(t, 0, "-C", c, "reload-or-restart", "svc.service")
	wantOutput(t, 0, "Result=success\nActiveState=active\nSubState=running\n", append(state, "svc.service")...)
	before = ctl(t, 0, "-C", c, "show", "--value", "-p", "MainPID", "svc.service").stdout
	ctl(t, 0, "-C", c, "reload-or-restart", "svc.service")
	if after := ctl(t, 0, "-C", c, "show", "--value", "-p", "MainPID", "svc.service").stdout; after == before || after == "0\n" {
		t.Errorf("reload-or-restart kept main PID %s", before)
	}
	// try-reload-or-restart: a running unit restarted, a stopped one left alone.
	before = ctl(t, 0, "-C", c, "show", "--value", "-p", "MainPID", "svc.service").stdout
	ctl(t, 0, "-C", c, "try-reload-or-restart", "svc.service")
	if after := ctl(t, 0, "-C", c, "show", "--value", "-p", "MainPID", "svc.service").stdout; after == before || after == "0\n" {
		t.Errorf("try-reload-or-restart kept main PID %s", before)
	}
	ctl(t, 0, "-C", c, "stop", "svc.service")
	ctl(t, 0, "-C", c, "try-reload-or-restart", "svc.service")
	wantOutput(t, 0, "Result=success\nActiveState=inactive\nSubState=dead\n", append(state, "svc.service")...)
	r = ctl(t, 5, "-C", c, "reload-or-restart", "none.service")
	if !strings.HasPrefix(r.stderr, "Failed to reload-or-restart none.service: ") {
		t.Errorf("reload-or-restart of a unit without a file: %s", r)
	}
}

func TestStartNoBlock(t *testing.T) {
	c := startCapsule(t, "noblk")
	// A oneshot that runs until the test lets it finish.
	capsuleUnit(t, c, "slow.service", "[Service]\nType=oneshot\nExecStart=/bin/sh -c 'while [ ! -e %h/go ]; do sleep 0.02; done'\n")
	ctl(t, 0, "-C", c, "start", "--no-block", "slow.service")
	// start returned, and the job runs on: a blocking start could only
	// have returned once the oneshot had finished, which it cannot before
	// the file below exists.
	waitProperty(t, c, "slow.service", "SubState", "start")
	wantOutput(t, 0, "ActiveState=activating\nSubState=start\n", "-C", c, "show", "-p", "ActiveState,SubState", "slow.service")
	if err := os.WriteFile("/var/lib/private/capsules/"+c+"/go", nil, 0o644); err != nil {
		t.Fatal(err)
	}
	waitProperty(t, c, "slow.service", "SubState", "dead")
	wantOutput(t, 0, "Result=success\nActiveState=inactive\n", "-C", c, "show", "-p", "ActiveState,Result", "slow.service")
	// What can be checked before the job runs still fails at once.
	r := ctl(t, 5, "-C", c, "start", "--no-block", "none.service")
	if !strings.HasPrefix(r.stderr, "Failed to start none.service: ") {
		t.Errorf("start --no-block of a unit without a file: %s", r)
	}
	capsuleUnit(t, c, "syntax.service", "[Service]\nExecStart=/bin/true\nthis line has no equals sign\n")
	r = ctl(t, 1, "-C", c, "start", "--no-block", "syntax.service")
	if !strings.Contains(r.stderr, "syntax.service:3") {
		t.Errorf("start --no-block of a unit with a bad file: %s", r)
	}
	// A job that fails later does not fail the call.
	capsuleUnit(t, c, "bad.service", "[Service]\nType=oneshot\nExecStart=/bin/false\n")
	ctl(t, 0, "-C", c, "start", "--no-block", "bad.service")
	waitProperty(t, c, "bad.service", "ActiveState", "failed")
}

func TestJobMode(t *testing.T) {
	c := startCapsule(t, "jmode")
	capsuleUnit(t, c, "svc.service", "[Service]\nExecStart=/bin/sleep infinity\n")
	r := ctl(t, 1, "-C", c, "start", "--job-mode=bogus", "svc.service")
	if !strings.Contains(r.stderr, `Failed to start svc.service: invalid job mode "bogus"`) ||
		!strings.Contains(r.stderr, "replace, fail, replace-irreversibly, isolate, flush, ignore-dependencies, ignore-requirements, triggering, restart-dependencies") {
		t.Errorf("unknown job mode: %s", r)
	}
	wantOutput(t, 0, "inactive\n", "-C", c, "show", "--value", "-p", "ActiveState", "svc.service")
	// As systemd 257 (observed): ignore-dependencies starts the unit
	// alone, fail starts it like replace, isolate needs AllowIsolate=,
	// triggering is only for stop.
	capsuleUnit(t, c, "req.service", "[Service]\nExecStart=/bin/sleep infinity\n")
	capsuleUnit(t, c, "dep.service", "[Unit]\nRequires=req.service\nAfter=req.service\n[Service]\nExecStart=/bin/sleep infinity\n")
	ctl(t, 0, "-C", c, "start", "--job-mode=ignore-dependencies", "dep.service")
	wantOutput(t, 0, "inactive\n", "-C", c, "show", "--value", "-p", "ActiveState", "req.service")
	r = ctlRun(nil, "-C", c, "start", "--job-mode=isolate", "dep.service")
	if r.code == 0 || !strings.Contains(r.stderr, "Operation refused, unit may not be isolated.") {
		t.Errorf("start --job-mode=isolate: %s", r)
	}
	r = ctlRun(nil, "-C", c, "start", "--job-mode=triggering", "dep.service")
	if r.code == 0 || !strings.Contains(r.stderr, "--job-mode=triggering is only valid for stop.") {
		t.Errorf("start --job-mode=triggering: %s", r)
	}
	ctl(t, 0, "-C", c, "start", "--job-mode=fail", "svc.service")
	wantOutput(t, 0, "active\n", "-C", c, "show", "--value", "-p", "ActiveState", "svc.service")
	ctl(t, 0, "-C", c, "stop", "--job-mode=ignore-dependencies", "svc.service")
	wantOutput(t, 0, "inactive\n", "-C", c, "show", "--value", "-p", "ActiveState", "svc.service")
	ctl(t, 0, "-C", c, "start", "--job-mode=replace", "svc.service")
	wantOutput(t, 0, "active\n", "-C", c, "show", "--value", "-p", "ActiveState", "svc.service")
	ctl(t, 0, "-C", c, "restart", "--job-mode=replace", "svc.service")
	ctl(t, 0, "-C", c, "stop", "--job-mode=replace", "svc.service")
}

func TestListDependencies(t *testing.T) {
	c := startCapsule(t, "ldep")
	dependencyUnits(t, c)
	ctl(t, 0, "-C", c, "start", "a.service")
	// The wanted c.service fails after a.service's start job is done.
	waitProperty(t, c, "c.service", "ActiveState", "failed")
	// Services have the default dependency on basic.target (whose own
	// dependencies include the host's shipped user units: taken from the
	// capsule itself), and its subtree is nested as systemd 257 nests it.
	basic := subtree(t, c, "basic.target")
	for _, want := range []string{"─paths.target\n", "─sockets.target\n", "─timers.target\n"} {
		if !strings.Contains(basic, want) {
			t.Errorf("list-dependencies basic.target lacks %q:\n%s", want, basic)
		}
	}
	basicAll := subtree(t, c, "--all", "basic.target")
	wantOutput(t, 0, "a.service\n"+
		"● ├─app.slice\n"+
		"● ├─b.service\n"+
		"× ├─c.service\n"+
		"● ├─basic.target\n"+nest(basic, "│ ")+
		"● └─t.target\n"+
		"●   └─d.service\n",
		"-C", c, "list-dependencies", "a.service")
	wantOutput(t, 0, "a.service\n"+
		"● ├─app.slice\n"+
		"● ├─b.service\n"+
		"● │ ├─app.slice\n"+
		"● │ └─basic.target\n"+nest(basicAll, "│   ")+
		"× ├─c.service\n"+
		"● │ ├─app.slice\n"+
		"● │ └─basic.target\n"+nest(basicAll, "│   ")+
		"● ├─basic.target\n"+nest(basicAll, "│ ")+
		"● └─t.target\n"+
		"●   └─d.service\n"+
		"●     ├─app.slice\n"+
		"●     └─basic.target\n"+nest(basicAll, "      "),
		"-C", c, "list-dependencies", "--all", "a.service")
	wantOutput(t, 0, "b.service\n● └─a.service\n", "-C", c, "list-dependencies", "--reverse", "b.service")
	wantOutput(t, 0, "d.service\n● └─t.target\n●   └─a.service\n", "-C", c, "list-dependencies", "--reverse", "--all", "d.service")
	wantOutput(t, 0, "t.target\n● └─d.service\n\nb.service\n● ├─app.slice\n● └─basic.target\n"+nest(basic, "  "),
		"-C", c, "list-dependencies", "t.target", "b")
	wantOutput(t, 0, "none.service\n", "-C", c, "list-dependencies", "none.service")
	// --plain: two spaces, no marks, a unit expanded once (systemd 257's
	// ld6.target example in observed.md has the same shape).
	wantOutput(t, 0, "a.service\n  app.slice\n  b.service\n  c.service\n  basic.target\n"+
		subtree(t, c, "--plain", "basic.target")+"  t.target\n  d.service\n",
		"-C", c, "list-dependencies", "--plain", "a.service")
	// Ordering dependencies instead of requirements.
	capsuleUnit(t, c, "o.service", "[Unit]\nAfter=b.service t.target\nBefore=d.service\n[Service]\nExecStart=/bin/sleep infinity\n")
	// The default ones included: After= the slice and basic.target,
	// Before= shutdown.target; a target is After= what it wants.
	wantOutput(t, 0, "o.service\n● ├─app.slice\n● ├─b.service\n● ├─basic.target\n"+
		nest(subtree(t, c, "--after", "basic.target"), "│ ")+"● └─t.target\n●   └─d.service\n",
		"-C", c, "list-dependencies", "--after", "o.service")
	wantOutput(t, 0, "o.service\n● ├─d.service\n○ └─shutdown.target\n", "-C", c, "list-dependencies", "--before", "o.service")

	// A cycle ends in "...", and stopped units are marked ○.
	capsuleUnit(t, c, "x.service", "[Unit]\nRequires=y.service\n[Service]\nExecStart=/bin/sleep infinity\n")
	capsuleUnit(t, c, "y.service", "[Unit]\nRequires=x.service\n[Service]\nExecStart=/bin/sleep infinity\n")
	ctl(t, 0, "-C", c, "start", "x.service")
	// y.service is not ordered before x.service: its start may still run
	// when x.service's is done (on a loaded machine), and the stop below is
	// about the marks, not about a stop replacing a running start.
	waitProperty(t, c, "y.service", "ActiveState", "active")
	ctl(t, 0, "-C", c, "stop", "y.service")
	wantOutput(t, 0, "x.service\n"+
		"● ├─app.slice\n"+
		"○ ├─y.service\n"+
		"● │ ├─app.slice\n"+
		"● │ ├─basic.target\n"+nest(basicAll, "│ │ ")+
		"  │ └─...\n"+
		"● └─basic.target\n"+nest(basicAll, "  "),
		"-C", c, "list-dependencies", "--all", "x.service")
}

// subtree is what list-dependencies ARGS prints below its root, from the
// capsule itself.
func subtree(t *testing.T, capsule string, args ...string) string {
	t.Helper()
	out := ctl(t, 0, append([]string{"-C", capsule, "list-dependencies"}, args...)...).stdout
	_, rest, _ := strings.Cut(out, "\n")
	return rest
}

// nest puts a subtree's lines one level down, behind prefix, as
// list-dependencies does below a unit it expands.
func nest(tree, prefix string) string {
	var b strings.Builder
	for _, line := range strings.SplitAfter(tree, "\n") {
		if line == "" {
			continue
		}
		mark, rest, _ := strings.Cut(line, " ")
		b.WriteString(mark + " " + prefix + rest)
	}
	return b.String()
}
