package manager

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// TestStartLimitOnFailureLoop: two units naming each other in OnFailure=
// start each other until the start limit refuses one; that unit was failed
// already, so nothing triggers again and the loop ends.
func TestStartLimitOnFailureLoop(t *testing.T) {
	e := newJobEngine(t, map[string]string{
		"fa.service": "[Unit]\nOnFailure=fb.service\n[Service]\nExecStart=/bin/false\n",
		"fb.service": "[Unit]\nOnFailure=fa.service\n[Service]\nExecStart=/bin/false\n",
	})
	e.m.Start(context.Background(), "fa.service")
	e.waitLog(t, "fa.service: Start request repeated too quickly.")
	e.waitLog(t, "Failed to start fa.service.")
	e.wait(t, "fb.service", stateFailed)
	e.m.mu.Lock()
	jobs := len(e.m.q.Jobs())
	e.m.mu.Unlock()
	if jobs != 0 {
		t.Errorf("%d jobs left", jobs)
	}
	log := e.log.String()
	for _, u := range []string{"fa", "fb"} {
		if n := strings.Count(log, u+".service: Triggering OnFailure= dependencies."); n != startLimitBurst {
			t.Errorf("%s failed %d times, want %d:\n%s", u, n, startLimitBurst, log)
		}
	}
	if s, r := e.state("fa.service"); s != stateFailed || r != resultExitCode {
		t.Errorf("fa.service %s/%s, want failed/exit-code (kept)", s, r)
	}
}

// TestStartLimitManual: with StartLimitBurst=1 a second start fails with
// start-limit-hit and systemd's lines; reset-failed lets it start again;
// StartLimitIntervalSec=0 turns the limit off.
func TestStartLimitManual(t *testing.T) {
	e := newJobEngine(t, map[string]string{
		"s.service":   "[Unit]\nStartLimitBurst=1\nStartLimitIntervalSec=60\n[Service]\nType=oneshot\nExecStart=/bin/true\n",
		"off.service": "[Unit]\nStartLimitIntervalSec=0\n[Service]\nType=oneshot\nExecStart=/bin/true\n",
	})
	ctx := context.Background()
	if _, err := e.m.Start(ctx, "s.service"); err != nil {
		t.Fatal(err)
	}
	_, err := e.m.Start(ctx, "s.service")
	if !errors.Is(err, ErrStartLimitHit) {
		t.Fatalf("second start: %v, want the start limit", err)
	}
	if s, r := e.state("s.service"); s != stateFailed || r != resultStartLimitHit {
		t.Errorf("s.service %s/%s, want failed/start-limit-hit", s, r)
	}
	e.waitLog(t, "s.service: Start request repeated too quickly.\ns.service: Failed with result 'start-limit-hit'.\nFailed to start s.service.\n")
	e.m.ResetFailed("s.service")
	if _, err := e.m.Start(ctx, "s.service"); err != nil {
		t.Errorf("start after reset-failed: %v", err)
	}
	for i := 0; i < 2*startLimitBurst; i++ {
		if _, err := e.m.Start(ctx, "off.service"); err != nil {
			t.Fatalf("start %d without a limit: %v", i+1, err)
		}
	}
}

// TestStartLimitKeepsFailure: a unit whose result is a failure keeps it
// when the start limit refuses its next start, as systemd 257 does.
func TestStartLimitKeepsFailure(t *testing.T) {
	e := newJobEngine(t, map[string]string{
		"f.service": "[Service]\nStartLimitBurst=1\nType=oneshot\nExecStart=/bin/false\n",
	})
	ctx := context.Background()
	e.m.Start(ctx, "f.service")
	_, err := e.m.Start(ctx, "f.service")
	if err == nil || errors.Is(err, ErrStartLimitHit) {
		t.Fatalf("second start: %v, want a plain failure", err)
	}
	if s, r := e.state("f.service"); s != stateFailed || r != resultExitCode {
		t.Errorf("f.service %s/%s, want failed/exit-code", s, r)
	}
	e.waitLog(t, "f.service: Start request repeated too quickly.\nf.service: Failed with result 'exit-code'.\nFailed to start f.service.\n")
}

// TestStartLimitUpholds: a unit another active unit Upholds= is started
// again each time it fails, until its start limit refuses it; the refused
// starts count against the limit on automatic starts (16 in 10 s), after
// which the manager says it will retry later (as systemd 257 logged it:
// 5 real starts, then 12 refused ones).
func TestStartLimitUpholds(t *testing.T) {
	e := newJobEngine(t, map[string]string{
		"u2f.service": "[Service]\nExecStart=/bin/false\n",
		"u2g.service": "[Unit]\nUpholds=u2f.service\n[Service]\nExecStart=/bin/sleep infinity\n",
	})
	if _, err := e.m.Start(context.Background(), "u2g.service"); err != nil {
		t.Fatal(err)
	}
	e.waitLog(t, "u2f.service: Unit needs to be started because active unit u2g.service upholds it, "+
		"but not starting since we tried this too often recently. Will retry later.")
	log := e.log.String()
	if n := strings.Count(log, "u2f.service: Failed with result 'exit-code'."); n != 5+12 {
		t.Errorf("u2f.service failed %d times, want 17 (5 runs, 12 refused starts):\n%s", n, log)
	}
	if n := strings.Count(log, "u2f.service: Start request repeated too quickly."); n != 12 {
		t.Errorf("%d starts refused, want 12:\n%s", n, log)
	}
}
