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

// phaseScript reports a socket unit's command: its phase, whether the
// socket file exists and is bound, LISTEN_FDS, whether it has an
// invocation ID, its cgroup's last component and its UID; then exits
// with $3.
const phaseScript = `echo "== $1 file=$(test -S "$2" && echo y || echo n) bound=$(grep -c " $2\$" /proc/net/unix) lf=${LISTEN_FDS-unset} inv=${INVOCATION_ID:+set} cg=$(grep '^0::' /proc/self/cgroup | sed 's|.*/||') uid=$(id -u)"
exit ${3:-0}
`

// socketExecUnit is a socket unit running phaseScript in each phase, the
// one named by fail exiting 3.
func socketExecUnit(script, sock, fail string) string {
	u := "[Socket]\nListenStream=" + sock + "\n"
	for _, p := range []string{"StartPre", "StartPost", "StopPre", "StopPost"} {
		code := ""
		if p == fail {
			code = " 3"
		}
		u += "Exec" + p + "=/bin/sh " + script + " " + p + " " + sock + code + "\n"
	}
	return u
}

var phaseLine = regexp.MustCompile(`== .*`)

var processLines = regexp.MustCompile(`(?s)Process: \d+ ExecStartPre=/bin/sh \S+ StartPre \S+ \(code=exited, status=0/SUCCESS\)
 *Process: \d+ ExecStartPost=/bin/sh \S+ StartPost .*
 *Process: \d+ ExecStopPre=/bin/sh \S+ StopPre .*
 *Process: \d+ ExecStopPost=/bin/sh \S+ StopPost `)

// phases lists the phase lines of unit's log, with its cgroup and UID
// fields checked and cut off.
func phases(t *testing.T, logs, cg string, uid int) []string {
	t.Helper()
	var out []string
	for _, l := range phaseLine.FindAllString(logs, -1) {
		want := " cg=" + cg + " uid=" + strconv.Itoa(uid)
		if !strings.HasSuffix(l, want) {
			t.Errorf("%q: want it to end %q", l, want)
		}
		out = append(out, strings.TrimSuffix(l, want))
	}
	return out
}

// socketExecCases runs the observed cases of systemd 257 (section 5 of
// the notes): the order relative to binding, the states, and one phase at
// a time failing; start and stop run ctlArgs with the unit.
func socketExecCases(t *testing.T, write func(name, text string), logsOf func(name string) string, ctlArgs []string,
	script, sockDir string, uid int) {
	all := []string{
		"== StartPre file=n bound=0 lf=unset inv=set",
		"== StartPost file=y bound=1 lf=unset inv=set",
		"== StopPre file=y bound=1 lf=unset inv=set",
		"== StopPost file=n bound=0 lf=unset inv=set",
	}
	tests := []struct {
		fail          string
		startRC       int
		afterStart    string
		afterStop     string
		ran           []string
		wantLog, deny []string
	}{
		{"", 0, "Result=success\nActiveState=active\nSubState=listening\n", "Result=success\nActiveState=inactive\nSubState=dead\n", all,
			[]string{"Starting %s...", "Listening on %s.", "Stopping %s...", "Closed %s."}, []string{"Failed"}},
		{"StartPre", 1, "Result=exit-code\nActiveState=failed\nSubState=failed\n", "Result=exit-code\nActiveState=failed\nSubState=failed\n", all[:1],
			[]string{"%s: Control process exited, code=exited, status=3/NOTIMPLEMENTED", "%s: Failed with result 'exit-code'.", "Failed to listen on %s."},
			[]string{"Listening on"}},
		{"StartPost", 1, "Result=exit-code\nActiveState=failed\nSubState=failed\n", "Result=exit-code\nActiveState=failed\nSubState=failed\n", all,
			[]string{"%s: Control process exited, code=exited, status=3/NOTIMPLEMENTED", "%s: Failed with result 'exit-code'.", "Failed to listen on %s."},
			[]string{"Listening on"}},
		{"StopPre", 0, "Result=success\nActiveState=active\nSubState=listening\n", "Result=exit-code\nActiveState=failed\nSubState=failed\n", all,
			[]string{"Stopping %s...", "%s: Control process exited, code=exited, status=3/NOTIMPLEMENTED", "%s: Failed with result 'exit-code'.", "Closed %s."}, nil},
		{"StopPost", 0, "Result=success\nActiveState=active\nSubState=listening\n", "Result=exit-code\nActiveState=failed\nSubState=failed\n", all,
			[]string{"Stopping %s...", "%s: Control process exited, code=exited, status=3/NOTIMPLEMENTED", "%s: Failed with result 'exit-code'.", "Closed %s."}, nil},
	}
	for _, tt := range tests {
		name := "sm-e" + strings.ToLower(tt.fail) + ".socket"
		sock := filepath.Join(sockDir, "sm-e"+strings.ToLower(tt.fail)+".sock")
		// A socket whose service does not load is refused at start.
		write(strings.TrimSuffix(name, ".socket")+".service", "[Service]\nExecStart=/bin/sleep 60\n")
		write(name, socketExecUnit(script, sock, tt.fail))
		show := func() string {
			return ctl(t, 0, append(append([]string{}, ctlArgs...), "show", "-p", "ActiveState,SubState,Result", name)...).stdout
		}
		ctl(t, tt.startRC, append(append([]string{}, ctlArgs...), "start", name)...)
		if got := show(); got != tt.afterStart {
			t.Errorf("%s after start:\n%s\nwant:\n%s", name, got, tt.afterStart)
		}
		ctl(t, 0, append(append([]string{}, ctlArgs...), "stop", name)...)
		if got := show(); got != tt.afterStop {
			t.Errorf("%s after stop:\n%s\nwant:\n%s", name, got, tt.afterStop)
		}
		var logs string
		if !waitFor(2*time.Second, func() bool {
			logs = logsOf(name)
			return len(phaseLine.FindAllString(logs, -1)) >= len(tt.ran)
		}) {
			t.Errorf("%s: not every command's line in the log:\n%s", name, logs)
		}
		got := phases(t, logs, name, uid)
		if strings.Join(got, "\n") != strings.Join(tt.ran, "\n") {
			t.Errorf("%s: commands ran:\n%s\nwant:\n%s", name, strings.Join(got, "\n"), strings.Join(tt.ran, "\n"))
		}
		last := -1
		for _, l := range tt.wantLog {
			l = strings.ReplaceAll(l, "%s", name)
			i := strings.Index(logs, l+"\n")
			if i < 0 {
				t.Errorf("%s: no %q in the log:\n%s", name, l, logs)
				continue
			}
			if i < last {
				t.Errorf("%s: %q out of order in the log:\n%s", name, l, logs)
			}
			last = i
		}
		for _, l := range tt.deny {
			if strings.Contains(logs, l) {
				t.Errorf("%s: %q in the log:\n%s", name, l, logs)
			}
		}
		if tt.fail == "" {
			// status lists each command's run, show its PID, as
			// systemctl 257 does for a socket.
			st := ctl(t, 3, append(append([]string{}, ctlArgs...), "status", name)...).stdout
			if !processLines.MatchString(st) {
				t.Errorf("%s: status without the commands' Process: lines:\n%s", name, st)
			}
			sh := ctl(t, 0, append(append([]string{}, ctlArgs...), "show", "-p", "ExecStopPre,Slice", name)...).stdout
			if !strings.Contains(sh, " ; pid=") || strings.Contains(sh, "pid=0 ;") || !strings.Contains(sh, "\nSlice=") {
				t.Errorf("%s: show after the run:\n%s", name, sh)
			}
		} else {
			ctl(t, 0, append(append([]string{}, ctlArgs...), "reset-failed", name)...)
		}
	}
}

// TestSocketExecCommands: a socket unit's ExecStartPre= runs before the
// socket is bound, ExecStartPost= once it listens, ExecStopPre= while it
// still listens, ExecStopPost= after it is closed, each in the socket's
// own cgroup as the manager's user with an invocation ID and no LISTEN_*,
// and a failing one ends as systemd 257's does (StartPre: nothing else
// runs; StartPost: the stop commands still run; StopPre/StopPost: the
// stop goes on, the unit fails with exit-code). capsuled removes the
// socket file at the stop, so StopPost finds none (systemd keeps it).
// TimeoutSec= ends a command that hangs (Result=timeout), the unit in
// start-pre meanwhile.
func TestSocketExecCommands(t *testing.T) {
	c := startCapsule(t, "smex")
	home := homeOf(c)
	if err := os.WriteFile(home+"/sm-ph.sh", []byte(phaseScript), 0o755); err != nil {
		t.Fatal(err)
	}
	uid, _ := capsuleUID(t, c)
	socketExecCases(t, func(name, text string) { writeUnits(t, c, map[string]string{name: text}) },
		func(name string) string { return ctl(t, 0, "-C", c, "logs", "-u", name).stdout },
		[]string{"-C", c}, "%h/sm-ph.sh", "/run/capsules/"+c, uid)

	writeUnits(t, c, map[string]string{
		"sm-w.socket":  "[Socket]\nListenStream=%t/sm-w.sock\nTimeoutSec=1\nExecStartPre=/bin/sleep 30\n",
		"sm-w.service": "[Service]\nExecStart=/bin/sleep 60\n",
	})
	ctl(t, 0, "-C", c, "start", "--no-block", "sm-w.socket")
	if !waitFor(2*time.Second, func() bool {
		return states(t, c, "sm-w.socket") == "Result=success\nActiveState=activating\nSubState=start-pre\n"
	}) {
		t.Errorf("sm-w.socket while its ExecStartPre= runs:\n%s", states(t, c, "sm-w.socket"))
	}
	if !waitFor(3*time.Second, func() bool {
		return states(t, c, "sm-w.socket") == "Result=timeout\nActiveState=failed\nSubState=failed\n"
	}) {
		t.Errorf("sm-w.socket after TimeoutSec=:\n%s", states(t, c, "sm-w.socket"))
	}
	// systemd 257's lines: the command gets SIGTERM.
	logs := ctl(t, 0, "-C", c, "logs", "-u", "sm-w.socket").stdout
	last := -1
	for _, l := range []string{"sm-w.socket: Starting timed out. Terminating.", "sm-w.socket: Control process exited, code=killed, status=15/TERM",
		"sm-w.socket: Failed with result 'timeout'.", "Failed to listen on sm-w.socket."} {
		i := strings.Index(logs, l+"\n")
		if i < 0 || i < last {
			t.Errorf("no %q after the lines before it in the log of sm-w.socket:\n%s", l, logs)
		}
		last = i
	}
}

// TestSocketExecCommandsSystem: the same in the system manager, the
// commands as root.
func TestSocketExecCommandsSystem(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "sm-ph.sh")
	if err := os.WriteFile(script, []byte(phaseScript), 0o755); err != nil {
		t.Fatal(err)
	}
	socketExecCases(t, func(name, text string) {
		systemUnit(t, name, text)
		ctl(t, 0, "daemon-reload")
	}, func(name string) string { return ctl(t, 0, "logs", "-u", name).stdout }, nil, script, dir, 0)
}
