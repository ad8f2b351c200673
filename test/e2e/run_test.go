package e2e

import (
	"bufio"
	"fmt"
	"os"
	osexec "os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestTransientService(t *testing.T) {
	name := startCapsule(t, "run")
	uid, _ := capsuleUID(t, name)
	// A property the unit is refused for: there is no file to fix.
	if r := ctlRun(nil, "run", "--capsule="+name, "-p", "RestrictNamespaces=bogus", "true"); r.code != 1 ||
		!strings.Contains(r.stderr, "was refused") || !strings.Contains(r.stderr, "change the options given to run") || strings.Contains(r.stderr, "daemon-reload") {
		t.Errorf("run -p RestrictNamespaces=bogus: %s", r)
	}
	r := ctl(t, 0, "run", "--capsule="+name, "--unit=sleeptest.service", "sh", "-c", "echo started-$((40+2)); exec sleep 999")
	if !strings.Contains(r.stderr, "Running as unit: sleeptest.service; invocation ID: ") {
		t.Errorf("run printed %q", r.stderr)
	}
	var st result
	for i := 0; i < 100; i++ { // the echo reaches the log asynchronously
		st = ctl(t, 0, "--capsule="+name, "status", "sleeptest.service")
		if strings.Contains(st.stdout, "started-42") {
			break
		}
	}
	for _, want := range []string{"● sleeptest.service", "Active: active (running)", "Main PID: ", "Transient: yes",
		"/capsule.slice/capsule@" + name + ".service/app.slice/sleeptest.service", "sleep 999", "started-42"} {
		if !strings.Contains(st.stdout, want) {
			t.Errorf("status lacks %q:\n%s", want, st.stdout)
		}
	}
	pid := 0
	for _, line := range strings.Split(st.stdout, "\n") {
		if s, ok := strings.CutPrefix(strings.TrimSpace(line), "Main PID: "); ok {
			fmt.Sscan(s, &pid)
		}
	}
	if pid == 0 || statOwner(t, fmt.Sprintf("/proc/%d", pid)) != uid {
		t.Errorf("main PID %d does not run as the capsule UID %d", pid, uid)
	}
	// Same name again while it runs: refused.
	if r := ctlRun(nil, "run", "-C", name, "-u", "sleeptest", "true"); r.code == 0 || !strings.Contains(r.stderr, "already") {
		t.Errorf("second run with the same unit name: %s", r)
	}
	ctl(t, 0, "-C", name, "stop", "sleeptest.service")
	if r := ctl(t, 4, "-C", name, "status", "sleeptest.service"); !strings.Contains(r.stderr, "could not be found") {
		t.Errorf("status after stop: %s", r)
	}
	ctl(t, 5, "-C", name, "stop", "nosuch.service")
	ctl(t, 4, "-C", name, "status", "nosuch.service")
}

func TestRunExitStatus(t *testing.T) {
	name := startCapsule(t, "wait")
	tests := []struct {
		args []string
		code int
		out  string
	}{
		{[]string{"--wait", "true"}, 0, ""},
		{[]string{"--wait", "false"}, 1, ""},
		{[]string{"--wait", "sh", "-c", "exit 3"}, 3, ""},
		{[]string{"-P", "sh", "-c", "echo out; echo err >&2; exit 4"}, 4, "out\n"},
		{[]string{"-P", "sh", "-c", "kill -TERM $$"}, 128 + 15, ""},
		{[]string{"-P", "--working-directory=/tmp", "-E", "GREETING=hi there", "sh", "-c", "echo $GREETING in $(pwd)"}, 0, "hi there in /tmp\n"},
		{[]string{"-P", "sh", "-c", `printf '%s|' "$@"`, "x", "a b", "%i", "$HOME", `"q"`}, 0, `a b|%i|$HOME|"q"|`},
	}
	for _, tt := range tests {
		args := append([]string{"run", "-q", "-C", name}, tt.args...)
		r := ctl(t, tt.code, args...)
		if r.stdout != tt.out {
			t.Errorf("%v: stdout %q, want %q", tt.args, r.stdout, tt.out)
		}
	}
	// Piped stdin reaches the command.
	r := ctlWithStdin(t, "hello stdin\n", "run", "-q", "-C", name, "-P", "cat")
	if r.stdout != "hello stdin\n" || r.code != 0 {
		t.Errorf("stdin not passed: %s", r)
	}
	// A missing program fails with 203/EXEC, which run --wait exits
	// with, as systemd-run 257 does.
	r = ctl(t, 203, "run", "-C", name, "--wait", "/nonexistent/program")
	if !strings.Contains(r.stderr, "status=203") {
		t.Errorf("missing program: %s", r)
	}
}

func TestRestart(t *testing.T) {
	name := startCapsule(t, "rst")
	// Restart=always brings a killed service back with a new main process.
	ctl(t, 0, "run", "-q", "-C", name, "-u", "always", "-p", "Restart=always", "-p", "RestartSec=20ms", "sleep", "1000")
	pid1 := mainPID(t, name, "always.service")
	if err := syscall.Kill(pid1, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	pid2 := 0
	for time.Now().Before(deadline) {
		if r := ctlRun(nil, "-C", name, "is-active", "always.service"); strings.TrimSpace(r.stdout) == "active" {
			if pid2 = mainPID(t, name, "always.service"); pid2 != pid1 && pid2 != 0 {
				break
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	if pid2 == pid1 || pid2 == 0 {
		t.Fatalf("service not restarted after SIGKILL (pid %d -> %d)", pid1, pid2)
	}
	// A stop is not a failure: no restart after it.
	ctl(t, 0, "-C", name, "stop", "always.service")
	time.Sleep(100 * time.Millisecond)
	ctl(t, 3, "-C", name, "is-active", "always.service")

	// A service that keeps failing is given up after five starts: the start
	// limit refuses the sixth, and the unit keeps its result (systemd 257).
	ctl(t, 0, "run", "-q", "-C", name, "-u", "flaky", "-p", "Restart=on-failure", "-p", "RestartSec=10ms",
		"sh", "-c", "echo attempt; exit 3")
	deadline = time.Now().Add(5 * time.Second)
	var r result
	for time.Now().Before(deadline) {
		r = ctlRun(nil, "-C", name, "status", "-n", "50", "flaky.service")
		if strings.Contains(r.stdout, "Start request repeated too quickly.") && strings.Contains(r.stdout, "failed (Result: ") {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(r.stdout, "failed (Result: exit-code)") || strings.Count(r.stdout, "]: attempt\n") != 5 {
		t.Errorf("flaky service, want 5 attempts then the start limit:\n%s", r.stdout)
	}
}

// mainPID reads a unit's main PID from its status.
func mainPID(t *testing.T, capsule, unit string) int {
	t.Helper()
	r := ctlRun(nil, "-C", capsule, "status", "-n", "0", unit)
	for _, line := range strings.Split(r.stdout, "\n") {
		if s, ok := strings.CutPrefix(strings.TrimSpace(line), "Main PID: "); ok {
			var pid int
			fmt.Sscan(s, &pid)
			return pid
		}
	}
	return 0
}

func TestLogs(t *testing.T) {
	name := startCapsule(t, "logs")
	ctl(t, 0, "run", "-q", "-C", name, "-u", "ticker", "sh", "-c", "i=0; while :; do i=$((i+1)); echo tick-$i; sleep 0.05; done")
	// Following shows new lines as they are written.
	cmd := osexec.Command(filepath.Join(e.bin, "capsulectl"), "-C", name, "logs", "-u", "ticker", "-f", "-n", "1")
	cmd.Env = append(os.Environ(), "CAPSULED_RUNTIME_DIR="+e.runtimeDir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	sc := bufio.NewScanner(out)
	seen := 0
	deadline := time.Now().Add(5 * time.Second)
	for seen < 5 && time.Now().Before(deadline) && sc.Scan() {
		if strings.Contains(sc.Text(), "]: tick-") {
			seen++
		}
	}
	if seen < 5 {
		t.Errorf("logs -f showed %d tick lines, want 5", seen)
	}
	cmd.Process.Kill()
	cmd.Wait()
	// -n limits the lines; the unit keeps running after the follower left.
	r := ctl(t, 0, "-C", name, "logs", "-u", "ticker", "-n", "2")
	if n := strings.Count(r.stdout, "\n"); n != 2 {
		t.Errorf("logs -n 2 printed %d lines:\n%s", n, r.stdout)
	}
	ctl(t, 0, "-C", name, "is-active", "ticker")
	if r := ctl(t, 0, "-C", name, "logs"); !strings.Contains(r.stdout, "Started ticker.service") {
		t.Errorf("manager log lacks the start of ticker.service:\n%s", r.stdout)
	}
	// A unit without lines has no entries, as journalctl 257 says (in the
	// short format only), and no newest invocation.
	for _, c := range []struct {
		args         []string
		code         int
		stdout, errs string
	}{
		{[]string{"-u", "nosuch"}, 0, "-- No entries --\n", ""},
		{[]string{"-u", "nosuch", "-n", "5", "-o", "short"}, 0, "-- No entries --\n", ""},
		{[]string{"-u", "nosuch", "-o", "cat"}, 0, "", ""},
		{[]string{"-u", "nosuch", "-o", "json"}, 0, "", ""},
		{[]string{"-u", "nosuch", "-q"}, 0, "", ""},
		{[]string{"-u", "nosuch", "--invocation=0"}, 1, "", "No journal entry found for the invocation (+0).\n"},
	} {
		r := ctlRun(nil, append([]string{"-C", name, "logs"}, c.args...)...)
		if r.code != c.code || r.stdout != c.stdout || r.stderr != c.errs {
			t.Errorf("logs %v: %s\nwant exit %d, stdout %q, stderr %q", c.args, r, c.code, c.stdout, c.errs)
		}
	}
}

// TestSystemRunAsUser runs a transient unit of the system manager under a
// static user resolved through NSS.
func TestSystemRunAsUser(t *testing.T) {
	r := ctl(t, 0, "run", "-q", "-P", "-p", "User=nobody", "sh", "-c", "id -u; id -g")
	if r.stdout != "65534\n65534\n" {
		t.Errorf("ran as %q, want nobody", r.stdout)
	}
	// The failed unit stays, as in systemd, until reset-failed.
	t.Cleanup(func() { ctlRun(nil, "reset-failed", "fanouser.service") })
	// As systemd-run 257 (observed): the start succeeds, the command
	// fails with 217/USER, which is run's exit status.
	r = ctl(t, 217, "run", "-q", "--wait", "-u", "fanouser", "-p", "User=no-such-user-capsuled", "true")
	if r.stderr != "" {
		t.Errorf("unknown user: %s", r)
	}
	if r := ctl(t, 0, "logs", "-u", "fanouser.service", "-o", "cat"); !strings.Contains(r.stdout, "fanouser.service: Failed at step USER spawning /usr/bin/true: No such process\n") {
		t.Errorf("the log of a start as an unknown user:\n%s", r.stdout)
	}
}

// TestRunPropertyWarnings: what the manager ignores of run's -p options
// reaches run's terminal, not only the manager's log, as systemd-run
// reports bad assignments on its own terminal.
func TestRunPropertyWarnings(t *testing.T) {
	r := ctl(t, 0, "run", "-q", "--wait", "-p", "Nice=abc", "-p", "StandardOutput=bogus", "true")
	want := "Failed to parse Nice= value, ignoring: abc (use a number from -20 to 19)\n" +
		"Failed to parse StandardOutput= value, ignoring: bogus (use journal, kmsg, null, inherit, tty, file:PATH, append:PATH, truncate:PATH, socket or fd:NAME)\n"
	if r.stderr != want {
		t.Errorf("run -p with bad values: %s\nwant stderr %q", r, want)
	}
}
