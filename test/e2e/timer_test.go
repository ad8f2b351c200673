package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// countingService is a oneshot that appends a line to FILE each time it runs.
func countingService(file, extra string) string {
	return "[Service]\nType=oneshot\nExecStart=/bin/sh -c 'echo run >> " + file + extra + "'\n"
}

func runCount(path string) int {
	b, _ := os.ReadFile(path)
	return strings.Count(string(b), "run\n")
}

// waitFor polls cond every 50 ms until it holds or d passes.
func waitFor(d time.Duration, cond func() bool) bool {
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		if cond() {
			return true
		}
	}
	return cond()
}

// TestTimers runs one timer per directive in one capsule, the waits side
// by side: each starts its service when and as often as systemd.timer(5)
// says, and show reports it as systemd 257 does.
func TestTimers(t *testing.T) {
	c := newCapsule(t, "tmr")
	home := "/var/lib/private/capsules/" + c
	// te.timer is enabled (timers.target.wants) and starts with the capsule.
	bootDir := home + "/.config/systemd/user/timers.target.wants"
	if err := os.MkdirAll(bootDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../te.timer", filepath.Join(bootDir, "te.timer")); err != nil {
		t.Fatal(err)
	}
	fast := "AccuracySec=1ms\n"
	units := map[string]string{
		"te.timer":    "[Timer]\nOnStartupSec=1s\n" + fast + "[Install]\nWantedBy=timers.target\n",
		"te.service":  countingService("%h/te", ""),
		"ta.timer":    "[Unit]\nDescription=Active timer\n[Timer]\nOnActiveSec=1s\n" + fast,
		"ta.service":  countingService("%h/ta", "; env > %h/ta.env"),
		"tu.timer":    "[Timer]\nOnActiveSec=100ms\nOnUnitActiveSec=600ms\n" + fast,
		"tu.service":  countingService("%h/tu", ""),
		"ti.timer":    "[Timer]\nOnActiveSec=100ms\nOnUnitInactiveSec=300ms\n" + fast,
		"ti.service":  countingService("%h/ti", "; sleep 0.3"),
		"tb.timer":    "[Timer]\nOnBootSec=1s\n" + fast + "Unit=tbx.service\n",
		"tbx.service": countingService("%h/tb", ""),
		"tr.timer":    "[Timer]\nOnActiveSec=300ms\nRemainAfterElapse=no\n" + fast,
		"tr.service":  countingService("%h/tr", ""),
		"tp.timer":    "[Timer]\nOnActiveSec=300ms\nPersistent=yes\n" + fast,
		"tp.service":  countingService("%h/tp", ""),
		"tm.timer":    "[Timer]\nOnActiveSec=1s\nOnUnitInactiveSec=1s\n" + fast,
		"tm.service":  countingService("%h/tm", ""),
		"tc.timer":    "[Timer]\nOnCalendar=*:*:0/2\n" + fast,
		"tc.service":  countingService("%h/tc", ""),
		"tq.timer":    "[Timer]\nOnCalendar=daily\nPersistent=yes\n" + fast,
		"tq.service":  countingService("%h/tq", ""),
		"tl.timer":    "[Timer]\nOnActiveSec=1h\nPersistent=yes\n",
		"tl.service":  countingService("%h/tl", ""),
		"tn.timer":    "[Timer]\nPersistent=yes\n",
		"ty.timer":    "[Timer]\nOnCalendar=dialy\n",
		"tf.timer":    "[Timer]\nOnActiveSec=300y\nOnActiveSec=infinity\nOnActiveSec=9223372036854775807us\n",
		"tf.service":  countingService("%h/tf", ""),
		"tg.timer":    "[Timer]\nOnActiveSec=1h\nAccuracySec=300y\n",
		"tg.service":  countingService("%h/tg", ""),
		"tx.timer":    "[Timer]\nOnActiveSec=1s\nUnit=nosuch.service\n",
	}
	for name, text := range units {
		if err := os.MkdirAll(home+"/.config/systemd/user", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(home, ".config/systemd/user", name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// tq.timer last ran two days ago: Persistent= catches up on the
	// daily run it missed as soon as it starts.
	stamps := home + "/.local/share/systemd/timers"
	if err := os.MkdirAll(stamps, 0o755); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-48 * time.Hour)
	if err := os.WriteFile(stamps+"/stamp-tq.timer", nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(stamps+"/stamp-tq.timer", old, old); err != nil {
		t.Fatal(err)
	}
	// tl.timer last ran at old too: show reads that back from the stamp.
	if err := os.WriteFile(stamps+"/stamp-tl.timer", nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(stamps+"/stamp-tl.timer", old, old); err != nil {
		t.Fatal(err)
	}
	ctl(t, 0, "start", "capsule@"+c+".service")
	waitRunning(t, c)
	// The home is the capsule's: its files are owned as the home is.
	if fi, err := os.Stat(home); err == nil {
		st := fi.Sys().(*syscall.Stat_t)
		for _, p := range []string{home + "/.local", home + "/.local/share", home + "/.local/share/systemd", stamps, stamps + "/stamp-tq.timer", stamps + "/stamp-tl.timer"} {
			os.Lchown(p, int(st.Uid), int(st.Gid))
		}
	}
	ctl(t, 0, "-C", c, "start", "tf.timer", "tg.timer", "ta.timer", "tu.timer", "ti.timer", "tb.timer", "tr.timer", "tp.timer", "tm.timer", "tc.timer", "tq.timer", "tl.timer")
	// tm.service goes away before tm.timer elapses: starting it fails.
	if err := os.Remove(filepath.Join(home, ".config/systemd/user/tm.service")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/dev/null", filepath.Join(home, ".config/systemd/user/tm.service")); err != nil {
		t.Fatal(err)
	}
	ctl(t, 0, "-C", c, "daemon-reload")

	t.Run("refused", func(t *testing.T) {
		t.Parallel()
		if r := ctlRun(nil, "-C", c, "start", "tn.timer"); r.code == 0 || !strings.Contains(r.stderr, "Timer unit lacks value setting. Refusing.") {
			t.Errorf("a timer without any trigger: %s", r)
		}
		if got := showValue(t, c, "tn.timer", "LoadState"); got != "bad-setting" {
			t.Errorf("LoadState=%q, want bad-setting (as systemd 257)", got)
		}
		if got, want := showValue(t, c, "tn.timer", "LoadError"), `org.freedesktop.systemd1.BadUnitSetting "Unit tn.timer has a bad unit file setting."`; got != want {
			t.Errorf("LoadError=%q, want %q (as systemd 257)", got, want)
		}
		// Its only trigger had a typo: the refusal points at the line.
		r := ctlRun(nil, "-C", c, "start", "ty.timer")
		if r.code == 0 || !strings.Contains(r.stderr, "Timer unit lacks value setting. Refusing.; 1 line(s) ignored before it: see capsulectl -C "+c+" status ty.timer") {
			t.Errorf("a timer whose only trigger has a typo: %s", r)
		}
		if st := ctlRun(nil, "-C", c, "status", "ty.timer").stdout; !strings.Contains(st, "ty.timer:2: ") || !strings.Contains(st, "dialy") {
			t.Errorf("status does not show the line ignored:\n%s", st)
		}
		// systemd 257: 'Job failed. See "journalctl -xe" for details.', exit 1.
		want := `Job failed. See "capsulectl -C ` + c + ` status tx.timer" and "capsulectl -C ` + c + ` logs -u tx.timer" for details.` + "\n"
		if r := ctlRun(nil, "-C", c, "start", "tx.timer"); r.code != 1 || r.stderr != want {
			t.Errorf("a timer of a unit that does not exist: %s", r)
		}
	})
	t.Run("far future", func(t *testing.T) {
		t.Parallel()
		// Spans beyond 292 years (and infinity) are never reached, as in
		// systemd's saturating µs counter; they must not wrap to "now".
		time.Sleep(time.Second)
		for _, n := range []string{"tf", "tg"} {
			if got := runCount(home + "/" + n); got != 0 {
				t.Errorf("%s.timer with a span beyond 292 years fired %d times", n, got)
			}
			if got := showValue(t, c, n+".timer", "SubState"); got != "waiting" {
				t.Errorf("%s.timer SubState=%s, want waiting", n, got)
			}
		}
		if got := showValue(t, c, "tf.timer", "TimersMonotonic"); !strings.Contains(got, "OnActiveUSec=infinity") {
			t.Errorf("tf.timer TimersMonotonic=%q, want OnActiveUSec=infinity in it", got)
		}
	})
	t.Run("OnStartupSec", func(t *testing.T) {
		t.Parallel()
		if !waitFor(15*time.Second, func() bool { return runCount(home+"/te") == 1 && showValue(t, c, "te.timer", "SubState") == "elapsed" }) {
			t.Errorf("enabled OnStartupSec=1s timer: ran %d times, %s", runCount(home+"/te"), showValue(t, c, "te.timer", "SubState"))
		}
	})
	t.Run("OnActiveSec", func(t *testing.T) {
		t.Parallel()
		if !waitFor(15*time.Second, func() bool { return runCount(home+"/ta") == 1 && showValue(t, c, "ta.timer", "SubState") == "elapsed" }) {
			t.Fatalf("OnActiveSec=1s: ran %d times, %s", runCount(home+"/ta"), showValue(t, c, "ta.timer", "SubState"))
		}
		for prop, want := range map[string]string{"Unit": "ta.service", "Triggers": "ta.service", "Result": "success",
			"TimersMonotonic": "{ OnActiveUSec=1s ; next_elapse=", "Before": "timers.target", "AccuracyUSec": "1ms",
			"RemainAfterElapse": "yes", "ActiveState": "active", "Conflicts": "shutdown.target"} {
			if got := showValue(t, c, "ta.timer", prop); !strings.Contains(got, want) {
				t.Errorf("%s=%q, want %q in it", prop, got, want)
			}
		}
		if got := showValue(t, c, "ta.timer", "InvocationID"); len(got) != 32 {
			t.Errorf("a started timer has InvocationID=%q, want an ID as systemd 257 gives it", got)
		}
		if got := showValue(t, c, "ta.timer", "LastTriggerUSec"); got == "" {
			t.Error("LastTriggerUSec is empty after the timer elapsed")
		}
		st := ctlRun(nil, "-C", c, "status", "ta.timer", "ta.service").stdout
		for _, want := range []string{"Active: active (elapsed)", "    Trigger: n/a\n   Triggers: ● ta.service\n", "TriggeredBy: ● ta.timer\n"} {
			if !strings.Contains(st, want) {
				t.Errorf("status lacks %q:\n%s", want, st)
			}
		}
		env, _ := os.ReadFile(home + "/ta.env")
		for _, want := range []string{"TRIGGER_UNIT=ta.timer\n", "TRIGGER_TIMER_REALTIME_USEC=", "TRIGGER_TIMER_MONOTONIC_USEC="} {
			if !strings.Contains(string(env), want) {
				t.Errorf("ta.service's environment lacks %q:\n%s", want, env)
			}
		}
		if got := showValue(t, c, "ta.service", "TriggeredBy"); got != "ta.timer" {
			t.Errorf("ta.service TriggeredBy=%q", got)
		}
	})
	t.Run("OnBootSec", func(t *testing.T) {
		t.Parallel()
		// Boot was long ago: the value has passed and elapses once at start.
		if !waitFor(15*time.Second, func() bool { return runCount(home+"/tb") == 1 && showValue(t, c, "tb.timer", "SubState") == "elapsed" }) {
			t.Errorf("OnBootSec=1s: ran %d times, %s", runCount(home+"/tb"), showValue(t, c, "tb.timer", "SubState"))
		}
	})
	t.Run("OnUnitActiveSec", func(t *testing.T) {
		t.Parallel()
		if !waitFor(15*time.Second, func() bool { return runCount(home+"/tu") >= 3 }) {
			t.Errorf("OnUnitActiveSec=600ms: ran %d times", runCount(home+"/tu"))
		}
		// It runs tu.service every 600 ms, and is "running" meanwhile:
		// read it between two runs.
		var st, sub string
		if !waitFor(15*time.Second, func() bool {
			sub = showValue(t, c, "tu.timer", "SubState")
			st = ctlRun(nil, "-C", c, "status", "tu.timer").stdout
			return sub == "waiting" && strings.Contains(st, " left\n   Triggers: ● tu.service\n")
		}) {
			t.Errorf("SubState=%s, want waiting; status of a waiting timer:\n%s", sub, st)
		}
	})
	t.Run("OnUnitInactiveSec", func(t *testing.T) {
		t.Parallel()
		if !waitFor(15*time.Second, func() bool { return runCount(home+"/ti") >= 3 }) {
			t.Errorf("OnUnitInactiveSec=300ms: ran %d times", runCount(home+"/ti"))
		}
	})
	t.Run("RemainAfterElapse", func(t *testing.T) {
		t.Parallel()
		if !waitFor(15*time.Second, func() bool {
			return runCount(home+"/tr") == 1 && showValue(t, c, "tr.timer", "ActiveState") == "inactive"
		}) {
			t.Errorf("RemainAfterElapse=no: ran %d times, %s", runCount(home+"/tr"), showValue(t, c, "tr.timer", "ActiveState"))
		}
	})
	t.Run("Persistent", func(t *testing.T) {
		t.Parallel()
		stampFile := home + "/.local/share/systemd/timers/stamp-tp.timer"
		if !waitFor(15*time.Second, func() bool { return runCount(home+"/tp") == 1 }) {
			t.Fatalf("Persistent timer ran %d times", runCount(home+"/tp"))
		}
		var fi os.FileInfo
		if !waitFor(15*time.Second, func() bool {
			var err error
			fi, err = os.Stat(stampFile)
			return err == nil && time.Since(fi.ModTime()) < time.Minute
		}) {
			t.Fatalf("no fresh stamp file %s", stampFile)
		}
		// A start reads the last trigger back from the stamp.
		if got, want := showValue(t, c, "tl.timer", "LastTriggerUSec"), old.UTC().Format("Mon 2006-01-02 15:04:05 MST"); got != want {
			t.Errorf("LastTriggerUSec=%q, want %q from the stamp", got, want)
		}
	})
	t.Run("list-timers", func(t *testing.T) {
		t.Parallel()
		// A timer running its unit has no next elapse (NEXT "-"): list
		// it between two runs of tu.service.
		var out string
		waitFor(15*time.Second, func() bool {
			out = ctl(t, 0, "-C", c, "list-timers", "tu.timer").stdout
			return runCount(home+"/tu") >= 1 && showValue(t, c, "tu.timer", "SubState") == "waiting" &&
				!strings.HasPrefix(strings.SplitN(out+"\n\n", "\n", 3)[1], "- ")
		})
		lines := strings.Split(out, "\n")
		if len(lines) < 2 || !strings.HasPrefix(lines[0], "NEXT ") || !strings.HasSuffix(lines[0], " UNIT     ACTIVATES") {
			t.Fatalf("list-timers:\n%s", out)
		}
		f := strings.Fields(lines[1])
		// NEXT (4 fields), LEFT, LAST (4), PASSED ("1s ago"), UNIT, ACTIVATES
		if len(f) < 4 || f[len(f)-2] != "tu.timer" || f[len(f)-1] != "tu.service" || f[0] == "-" || !strings.Contains(lines[1], " ago ") {
			t.Errorf("list-timers row %q", lines[1])
		}
		if !strings.Contains(out, "\n1 timers listed.\nPass --all") {
			t.Errorf("list-timers footer:\n%s", out)
		}
	})
	t.Run("OnCalendar", func(t *testing.T) {
		t.Parallel()
		if !waitFor(15*time.Second, func() bool { return runCount(home+"/tc") >= 1 }) {
			t.Errorf("OnCalendar=*:*:0/2 ran %d times", runCount(home+"/tc"))
		}
		// While it runs tc.service a timer has no next elapse, as in
		// systemd: read it waiting.
		var cal, next string
		waitFor(15*time.Second, func() bool {
			cal = showValue(t, c, "tc.timer", "TimersCalendar")
			next = showValue(t, c, "tc.timer", "NextElapseUSecRealtime")
			return strings.HasPrefix(cal, "{ OnCalendar=*-*-* *:*:00/2 ; next_elapse=") && !strings.Contains(cal, "n/a") && next != ""
		})
		if !strings.HasPrefix(cal, "{ OnCalendar=*-*-* *:*:00/2 ; next_elapse=") || strings.Contains(cal, "n/a") {
			t.Errorf("TimersCalendar=%q", cal)
		}
		if next == "" {
			t.Error("NextElapseUSecRealtime is empty")
		}
	})
	t.Run("Persistent catch-up", func(t *testing.T) {
		t.Parallel()
		if !waitFor(15*time.Second, func() bool { return runCount(home+"/tq") == 1 }) {
			t.Errorf("Persistent daily timer that missed a run ran %d times at start", runCount(home+"/tq"))
		}
	})
	t.Run("failed activation", func(t *testing.T) {
		t.Parallel()
		if !waitFor(15*time.Second, func() bool { return showValue(t, c, "tm.timer", "Result") == "resources" }) {
			t.Errorf("timer of a masked unit: Result=%s", showValue(t, c, "tm.timer", "Result"))
		}
		if got := showValue(t, c, "tm.timer", "ActiveState"); got != "failed" {
			t.Errorf("ActiveState=%s, want failed", got)
		}
	})
}

// TestSystemTimer: the system manager runs timers too.
func TestSystemTimer(t *testing.T) {
	out := filepath.Join(t.TempDir(), "count")
	name := "e2etimer" + strings.TrimPrefix(filepath.Base(filepath.Dir(out)), "TestSystemTimer")
	systemUnit(t, name+".service", countingService(out, ""))
	systemUnit(t, name+".timer", "[Timer]\nOnActiveSec=500ms\nAccuracySec=1ms\n")
	ctl(t, 0, "daemon-reload")
	ctl(t, 0, "start", name+".timer")
	if !waitFor(15*time.Second, func() bool { return runCount(out) == 1 }) {
		t.Errorf("system timer ran %d times", runCount(out))
	}
	if got := strings.TrimSpace(ctl(t, 0, "show", "-p", "Requires", "--value", name+".timer").stdout); !strings.Contains(got, "sysinit.target") {
		t.Errorf("system timer Requires=%q", got)
	}
	// Stopping the service while its timer is active warns, as systemctl
	// 257 does (also when the service is inactive already); not with -q,
	// --no-block, or once the timer is stopped in the same call.
	want := "Stopping '" + name + ".service', but its triggering units are still active:\n" + name + ".timer\n"
	if r := ctl(t, 0, "stop", name+".service"); r.stderr != want {
		t.Errorf("stop of a timer's service printed %q, want %q", r.stderr, want)
	}
	for _, args := range [][]string{{"-q", "stop", name + ".service"}, {"stop", "--no-block", name + ".service"}, {"stop", name + ".timer", name + ".service"}} {
		if r := ctl(t, 0, args...); r.stderr != "" {
			t.Errorf("%v printed %q", args, r.stderr)
		}
	}
}

// TestRunOnTimer: capsulectl run --on-* creates a transient timer and
// service, as systemd-run does; a bad calendar event is refused up front.
func TestRunOnTimer(t *testing.T) {
	c := startCapsule(t, "rtm")
	home := "/var/lib/private/capsules/" + c
	r := ctl(t, 0, "run", "-C", c, "--unit=tick", "--on-active=300ms", "--on-unit-active=500ms",
		"--timer-property=AccuracySec=1ms", "sh", "-c", "echo run >> $HOME/tick")
	if want := "Running timer as unit: tick.timer\nWill run service as unit: tick.service\n"; r.stderr != want {
		t.Errorf("run printed %q, want %q", r.stderr, want)
	}
	if !waitFor(15*time.Second, func() bool { return runCount(home+"/tick") >= 3 }) {
		t.Errorf("transient timer ran its service %d times", runCount(home+"/tick"))
	}
	if got := showValue(t, c, "tick.timer", "Transient"); got != "yes" {
		t.Errorf("tick.timer Transient=%s", got)
	}
	ctl(t, 0, "-C", c, "stop", "tick.timer")

	// A timer with nothing left to fire goes away, and its service with it.
	ctl(t, 0, "run", "-q", "-C", c, "--unit=once", "--on-active=200ms", "--timer-property=AccuracySec=1ms", "sh", "-c", "echo run >> $HOME/once")
	if !waitFor(15*time.Second, func() bool {
		return runCount(home+"/once") == 1 && showValue(t, c, "once.timer", "LoadState") == "not-found" &&
			showValue(t, c, "once.service", "LoadState") == "not-found"
	}) {
		t.Errorf("elapsed transient timer: ran %d times, timer %s, service %s", runCount(home+"/once"),
			showValue(t, c, "once.timer", "LoadState"), showValue(t, c, "once.service", "LoadState"))
	}

	// --unit= may name the timer; a clash names the timer (systemd-run 257).
	r = ctl(t, 0, "run", "-C", c, "--unit=named.timer", "--on-active=1h", "true")
	if want := "Running timer as unit: named.timer\nWill run service as unit: named.service\n"; r.stderr != want {
		t.Errorf("run --unit=named.timer printed %q, want %q", r.stderr, want)
	}
	r = ctlRun(nil, "run", "-C", c, "--unit=named", "--on-active=1h", "true")
	if r.code != 1 || !strings.Contains(r.stderr, "Failed to start transient timer unit: unit named.timer was already loaded or has a fragment file") {
		t.Errorf("second run --unit=named: %s", r)
	}
	ctl(t, 0, "-C", c, "stop", "named.timer")

	r = ctlRun(nil, "run", "-C", c, "--on-calendar=Mon 25:00", "true")
	if r.code != 1 || !strings.Contains(r.stderr, "Failed to parse calendar event specification: Invalid argument\n") {
		t.Errorf("bad --on-calendar: %s", r)
	}
	if r := ctlRun(nil, "run", "-C", c, "--on-active=1s", "--wait", "true"); r.code != 1 || !strings.Contains(r.stderr, "--wait may not be combined with path, socket or timer operations.") {
		t.Errorf("--wait with a timer: %s", r)
	}
}
