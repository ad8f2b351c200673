package manager

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/capsuled/capsuled/internal/process/processtest"
)

// jobEngine is a fake engine whose processes behave by name: /bin/true and
// /bin/false end at once (0 and 1), /bin/hold runs until the test ends it
// (it is sent on held), anything else runs until it is signalled. Every
// state change is recorded in order.
type jobEngine struct {
	m    *Manager
	fake *processtest.Fake
	held chan *processtest.Proc
	log  *syncBuffer

	mu     sync.Mutex
	events []Event
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newJobEngine(t *testing.T, files map[string]string) *jobEngine {
	t.Helper()
	for name, text := range files {
		if strings.HasSuffix(name, ".service") && !strings.Contains(text, "KillMode=") {
			// The fake cgroup tree delivers no signals; the handle does.
			files[name] = text + "KillMode=mixed\n"
		}
	}
	m, fake, _ := fakeEngine(t, files)
	e := &jobEngine{m: m, fake: fake, held: make(chan *processtest.Proc, 64), log: &syncBuffer{}}
	m.cfg.Log = e.log
	ctx, cancel := context.WithCancel(context.Background())
	sub := m.events.subscribe()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		for {
			ev, ok := sub.next(ctx)
			if !ok {
				return
			}
			e.mu.Lock()
			e.events = append(e.events, ev)
			e.mu.Unlock()
		}
	}()
	go func() {
		defer wg.Done()
		for {
			select {
			case p := <-fake.Spawned:
				switch p.Spec.Argv[0] {
				case "/bin/true":
					p.ExitCode(0)
				case "/bin/false":
					p.ExitCode(1)
				case "/bin/hold":
					e.held <- p
				default:
					go func() {
						for len(p.Signals()) == 0 && !p.HasExited() {
							if ctx.Err() != nil {
								return
							}
							time.Sleep(time.Millisecond)
						}
						p.Kill(syscall.SIGTERM)
					}()
				}
			case <-ctx.Done():
				return
			}
		}
	}()
	t.Cleanup(func() {
		sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer scancel()
		for {
			select {
			case p := <-e.held:
				p.ExitCode(0)
				continue
			default:
			}
			break
		}
		go func() {
			for p := range e.held {
				p.ExitCode(0)
			}
		}()
		m.Shutdown(sctx)
		cancel()
		sub.close()
		wg.Wait()
	})
	return e
}

// waitLog waits for a line the runner logs after the job's end.
func (e *jobEngine) waitLog(t *testing.T, line string) {
	t.Helper()
	for i := 0; i < 1000 && !strings.Contains(e.log.String(), line); i++ {
		time.Sleep(5 * time.Millisecond)
	}
	if !strings.Contains(e.log.String(), line) {
		t.Errorf("log lacks %q:\n%s", line, e.log)
	}
}

func (e *jobEngine) state(name string) (ActiveState, Result) {
	e.m.mu.Lock()
	defer e.m.mu.Unlock()
	u := e.m.units[name]
	if u == nil {
		return stateInactive, resultSuccess
	}
	return u.active, u.result
}

func (e *jobEngine) wait(t *testing.T, name string, want ActiveState) {
	t.Helper()
	for i := 0; i < 1000; i++ {
		if s, _ := e.state(name); s == want {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	s, r := e.state(name)
	t.Fatalf("%s: %s (result %s), want %s", name, s, r, want)
}

// index is the position of the first event of unit reaching state, -1 if
// none.
func (e *jobEngine) index(unit string, state ActiveState) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	for i, ev := range e.events {
		if ev.Unit == unit && ev.New == state {
			return i
		}
	}
	return -1
}

func (e *jobEngine) spawnedFor(unit string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, ev := range e.events {
		if ev.Unit == unit && ev.New == stateActivating {
			return true
		}
	}
	return false
}

func TestJobRequiresAfterFailedDependency(t *testing.T) {
	e := newJobEngine(t, map[string]string{
		"b.service": "[Service]\nType=oneshot\nExecStart=/bin/false\n",
		"a.service": "[Unit]\nRequires=b.service\nAfter=b.service\n[Service]\nExecStart=/bin/sleep infinity\n",
	})
	_, err := e.m.Start(context.Background(), "a.service")
	if err == nil || !strings.Contains(err.Error(), "a dependency job for a.service failed") {
		t.Fatalf("start: %v, want the dependency failure", err)
	}
	if s, r := e.state("a.service"); s != stateInactive || r != resultSuccess {
		t.Errorf("a.service %s result %s, want inactive success (never started)", s, r)
	}
	if e.spawnedFor("a.service") {
		t.Error("a.service was started though it is ordered after its failed requirement")
	}
	if s, r := e.state("b.service"); s != stateFailed || r != resultExitCode {
		t.Errorf("b.service %s result %s, want failed exit-code", s, r)
	}
	e.waitLog(t, "Dependency failed for a.service.")
}

func TestJobRequiresWithoutAfterKeepsRunning(t *testing.T) {
	e := newJobEngine(t, map[string]string{
		"b.service": "[Service]\nType=oneshot\nExecStart=/bin/hold\n",
		"a.service": "[Unit]\nRequires=b.service\n[Service]\nType=oneshot\nExecStart=/bin/hold\n",
	})
	done := make(chan error, 1)
	go func() {
		_, err := e.m.Start(context.Background(), "a.service")
		done <- err
	}()
	// Both start at once: neither waits for the other.
	p1, p2 := <-e.held, <-e.held
	a, b := p1, p2
	if strings.Contains(p1.Spec.Cgroup, "b.service") {
		a, b = p2, p1
	}
	b.ExitCode(1)
	if err := <-done; err == nil || !strings.Contains(err.Error(), "dependency") {
		t.Fatalf("start: %v, want the dependency failure", err)
	}
	if s, _ := e.state("a.service"); s != stateActivating {
		t.Errorf("a.service %s after its job failed, want still activating", s)
	}
	if a.HasExited() {
		t.Error("a.service's process was stopped")
	}
	a.ExitCode(0)
	e.wait(t, "a.service", stateInactive)
	if _, r := e.state("a.service"); r != resultSuccess {
		t.Errorf("a.service result %s, want success", r)
	}
}

func TestJobRequisite(t *testing.T) {
	e := newJobEngine(t, map[string]string{
		"b.service": "[Service]\nExecStart=/bin/sleep infinity\n",
		"c.service": "[Unit]\nRequisite=b.service\nAfter=b.service\n[Service]\nExecStart=/bin/sleep infinity\n",
	})
	if _, err := e.m.Start(context.Background(), "c.service"); err == nil {
		t.Fatal("start of c.service succeeded though its requisite is inactive")
	}
	if s, _ := e.state("c.service"); s != stateInactive {
		t.Errorf("c.service %s, want inactive", s)
	}
	if s, _ := e.state("b.service"); s != stateInactive {
		t.Errorf("b.service %s: a requisite is not started", s)
	}
	e.waitLog(t, "b.service is inactive.")
	if _, err := e.m.Start(context.Background(), "b.service"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.m.Start(context.Background(), "c.service"); err != nil {
		t.Fatalf("start with the requisite active: %v", err)
	}
}

func TestJobWantsFailureIgnored(t *testing.T) {
	e := newJobEngine(t, map[string]string{
		"b.service": "[Service]\nType=oneshot\nExecStart=/bin/false\n",
		"a.service": "[Unit]\nWants=b.service\n[Service]\nExecStart=/bin/sleep infinity\n",
	})
	if _, err := e.m.Start(context.Background(), "a.service"); err != nil {
		t.Fatal(err)
	}
	e.wait(t, "b.service", stateFailed)
	if s, _ := e.state("a.service"); s != stateActive {
		t.Errorf("a.service %s, want active", s)
	}
}

func TestJobBindsToStopsWhenOtherDies(t *testing.T) {
	e := newJobEngine(t, map[string]string{
		"b.service": "[Service]\nExecStart=/bin/hold\n",
		"a.service": "[Unit]\nBindsTo=b.service\nAfter=b.service\n[Service]\nExecStart=/bin/sleep infinity\n",
	})
	go e.m.Start(context.Background(), "a.service")
	b := <-e.held
	e.wait(t, "a.service", stateActive)
	b.Kill(syscall.SIGKILL)
	e.wait(t, "b.service", stateFailed)
	e.wait(t, "a.service", stateInactive)
	if _, r := e.state("a.service"); r != resultSuccess {
		t.Errorf("a.service result %s, want success (stopped, not failed)", r)
	}
}

func TestJobPartOfStopAndRestart(t *testing.T) {
	e := newJobEngine(t, map[string]string{
		"b.service": "[Service]\nExecStart=/bin/sleep infinity\n",
		"a.service": "[Unit]\nPartOf=b.service\n[Service]\nExecStart=/bin/sleep infinity\n",
	})
	ctx := context.Background()
	if _, err := e.m.Start(ctx, "a.service"); err != nil {
		t.Fatal(err)
	}
	if s, _ := e.state("b.service"); s != stateInactive {
		t.Errorf("PartOf= pulled b.service in: %s", s)
	}
	if _, err := e.m.Start(ctx, "b.service"); err != nil {
		t.Fatal(err)
	}
	e.m.mu.Lock()
	inv := e.m.units["a.service"].invocation
	e.m.mu.Unlock()
	if _, err := e.m.Restart(ctx, "b.service"); err != nil {
		t.Fatal(err)
	}
	// The restart returns with b.service's job; a.service's runs beside
	// it and may not have begun yet: wait for a new invocation, active.
	restarted := false
	for i := 0; i < 1000 && !restarted; i++ {
		e.m.mu.Lock()
		u := e.m.units["a.service"]
		restarted = u.invocation != inv && u.active == stateActive
		e.m.mu.Unlock()
		time.Sleep(5 * time.Millisecond)
	}
	if !restarted {
		t.Error("restart of b.service did not restart a.service")
	}
	if _, err := e.m.Stop(ctx, "b.service"); err != nil {
		t.Fatal(err)
	}
	e.wait(t, "a.service", stateInactive)
}

func TestJobConflicts(t *testing.T) {
	e := newJobEngine(t, map[string]string{
		"b.service": "[Service]\nExecStart=/bin/sleep infinity\n",
		"a.service": "[Unit]\nConflicts=b.service\n[Service]\nExecStart=/bin/sleep infinity\n",
	})
	ctx := context.Background()
	for _, step := range []struct{ start, stopped string }{
		{"b.service", ""}, {"a.service", "b.service"}, {"b.service", "a.service"},
	} {
		if _, err := e.m.Start(ctx, step.start); err != nil {
			t.Fatal(err)
		}
		if step.stopped != "" {
			e.wait(t, step.stopped, stateInactive)
		}
		if s, _ := e.state(step.start); s != stateActive {
			t.Errorf("%s %s after its start", step.start, s)
		}
	}
}

func TestJobUpholdsRestarts(t *testing.T) {
	e := newJobEngine(t, map[string]string{
		"b.service": "[Service]\nExecStart=/bin/hold\n",
		"a.service": "[Unit]\nUpholds=b.service\n[Service]\nExecStart=/bin/sleep infinity\n",
	})
	go e.m.Start(context.Background(), "a.service")
	first := <-e.held
	e.wait(t, "b.service", stateActive)
	first.Kill(syscall.SIGKILL)
	select {
	case second := <-e.held:
		e.wait(t, "b.service", stateActive)
		second.ExitCode(0)
	case <-time.After(10 * time.Second):
		t.Fatal("b.service was not started again while a.service upholds it")
	}
}

func TestJobOnFailureAndOnSuccess(t *testing.T) {
	e := newJobEngine(t, map[string]string{
		"fh.service": "[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/true\n",
		"sh.service": "[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/true\n",
		"f.service":  "[Unit]\nOnFailure=fh.service\n[Service]\nType=oneshot\nExecStart=/bin/false\n",
		"s.service":  "[Unit]\nOnSuccess=sh.service\n[Service]\nType=oneshot\nExecStart=/bin/true\n",
	})
	ctx := context.Background()
	if _, err := e.m.Start(ctx, "f.service"); err == nil {
		t.Fatal("f.service started")
	}
	e.wait(t, "fh.service", stateActive)
	if _, err := e.m.Start(ctx, "s.service"); err != nil {
		t.Fatal(err)
	}
	e.wait(t, "sh.service", stateActive)
	e.waitLog(t, "f.service: Triggering OnFailure= dependencies.")
}

// TestJobOnFailureWaitsForRestarts: a unit whose Restart= restarts it
// does not trigger OnFailure= each time it dies, only when it fails for
// good (here: the start limit refuses the sixth start; the unit keeps its
// result, exit-code), as systemd 257 does.
func TestJobOnFailureWaitsForRestarts(t *testing.T) {
	e := newJobEngine(t, map[string]string{
		"fh.service": "[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/true\n",
		"r.service":  "[Unit]\nOnFailure=fh.service\n[Service]\nExecStart=/bin/hold\nRestart=on-failure\nRestartSec=20ms\n",
	})
	go e.m.Start(context.Background(), "r.service")
	p := <-e.held
	for i := 1; i < startLimitBurst; i++ {
		e.wait(t, "r.service", stateActive)
		p.ExitCode(1)
		p = <-e.held // restarted
		if s, _ := e.state("fh.service"); s != stateInactive {
			p.ExitCode(0) // a held process would hold up the shutdown
			t.Fatalf("after restart %d: fh.service is %s: OnFailure= triggered by a unit about to restart", i, s)
		}
	}
	e.wait(t, "r.service", stateActive)
	p.ExitCode(1)
	e.wait(t, "fh.service", stateActive)
	if s, r := e.state("r.service"); s != stateFailed || r != resultExitCode {
		t.Errorf("r.service %s/%s, want failed/exit-code", s, r)
	}
	if n := strings.Count(e.log.String(), "r.service: Triggering OnFailure= dependencies."); n != 1 {
		t.Errorf("OnFailure= triggered %d times, want once:\n%s", n, e.log)
	}
}

func TestJobStopWhenUnneeded(t *testing.T) {
	e := newJobEngine(t, map[string]string{
		"n.service": "[Unit]\nStopWhenUnneeded=yes\n[Service]\nExecStart=/bin/sleep infinity\n",
		"a.service": "[Unit]\nWants=n.service\n[Service]\nExecStart=/bin/sleep infinity\n",
	})
	ctx := context.Background()
	if _, err := e.m.Start(ctx, "a.service"); err != nil {
		t.Fatal(err)
	}
	e.wait(t, "n.service", stateActive)
	if _, err := e.m.Stop(ctx, "a.service"); err != nil {
		t.Fatal(err)
	}
	e.wait(t, "n.service", stateInactive)
}

// TestJobStopOrder stops x Before=y Before=z and the unordered p in one
// transaction: z first, then y, then x, and p at the same time as z.
func TestJobStopOrder(t *testing.T) {
	e := newJobEngine(t, map[string]string{
		"x.service": "[Unit]\nBefore=y.service\nPartOf=t.target\n[Service]\nExecStart=/bin/sleep infinity\n",
		"y.service": "[Unit]\nBefore=z.service\nPartOf=t.target\n[Service]\nExecStart=/bin/sleep infinity\n",
		"z.service": "[Unit]\nPartOf=t.target\n[Service]\nExecStart=/bin/hold\n",
		"p.service": "[Unit]\nPartOf=t.target\n[Service]\nExecStart=/bin/hold\n",
		"t.target":  "[Unit]\nWants=x.service y.service z.service p.service\n",
	})
	ctx := context.Background()
	go e.m.Start(ctx, "t.target")
	held := map[string]*processtest.Proc{}
	for range 2 {
		p := <-e.held
		held[p.Spec.Cgroup[strings.LastIndex(p.Spec.Cgroup, "/")+1:]] = p
	}
	e.wait(t, "t.target", stateActive)
	if s, _ := e.state("x.service"); s != stateActive {
		t.Fatalf("x.service %s", s)
	}
	stopped := make(chan error, 1)
	go func() {
		_, err := e.m.Stop(ctx, "t.target")
		stopped <- err
	}()
	// z and p stop in parallel; y and x wait for z.
	e.wait(t, "z.service", stateDeactivating)
	e.wait(t, "p.service", stateDeactivating)
	for _, n := range []string{"x.service", "y.service"} {
		if s, _ := e.state(n); s != stateActive {
			t.Errorf("%s %s while z.service still stops, want active", n, s)
		}
	}
	held["z.service"].ExitCode(0)
	held["p.service"].ExitCode(0)
	<-stopped
	for _, n := range []string{"x.service", "y.service", "z.service", "p.service"} {
		e.wait(t, n, stateInactive)
	}
	if !(e.index("z.service", stateInactive) < e.index("y.service", stateDeactivating) &&
		e.index("y.service", stateInactive) < e.index("x.service", stateDeactivating)) {
		t.Errorf("stop order not z, y, x: events %v", e.events)
	}
}

func TestJobOrderingCycleBroken(t *testing.T) {
	e := newJobEngine(t, map[string]string{
		"cy.target":   "[Unit]\nWants=cya.service cyb.service\n",
		"cya.service": "[Unit]\nAfter=cyb.service\n[Service]\nExecStart=/bin/sleep infinity\n",
		"cyb.service": "[Unit]\nAfter=cya.service\n[Service]\nExecStart=/bin/sleep infinity\n",
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := e.m.Start(ctx, "cy.target"); err != nil {
		t.Fatal(err)
	}
	a, _ := e.state("cya.service")
	b, _ := e.state("cyb.service")
	if (a == stateActive) == (b == stateActive) {
		t.Errorf("cya %s, cyb %s: want exactly one started", a, b)
	}
	e.waitLog(t, "deleted to break ordering cycle starting with")
	// Both essential: refused, nothing hangs.
	e2 := newJobEngine(t, map[string]string{
		"c.service": "[Unit]\nRequires=d.service\nAfter=d.service\n[Service]\nExecStart=/bin/sleep infinity\n",
		"d.service": "[Unit]\nRequires=c.service\nAfter=c.service\n[Service]\nExecStart=/bin/sleep infinity\n",
	})
	if _, err := e2.m.Start(ctx, "c.service"); err == nil || !strings.Contains(err.Error(), "cyclic") {
		t.Errorf("start of an unbreakable cycle: %v", err)
	}
}

// TestJobStartWhileStoppingByItself: a start that comes while the unit
// stops on its own (STOPPING=1) waits for the end, then starts it again.
func TestJobStartWhileStoppingByItself(t *testing.T) {
	e := newJobEngine(t, map[string]string{
		"s.service": "[Service]\nExecStart=/bin/hold\n",
	})
	ctx := context.Background()
	go e.m.Start(ctx, "s.service")
	first := <-e.held
	e.wait(t, "s.service", stateActive)
	e.m.mu.Lock()
	e.m.units["s.service"].setState(stateDeactivating, subStopSigterm)
	e.m.mu.Unlock()
	done := make(chan error, 1)
	go func() {
		_, err := e.m.Start(ctx, "s.service")
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("start returned (%v) while the old invocation still ran", err)
	case <-time.After(50 * time.Millisecond):
	}
	first.ExitCode(0)
	second := <-e.held
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	second.ExitCode(0)
}

// TestJobTimeout: JobTimeoutSec= ends the start job with "timeout" and
// leaves the unit starting (systemd 257: activating/start, Result=success).
func TestJobTimeout(t *testing.T) {
	e := newJobEngine(t, map[string]string{
		"jt.service": "[Unit]\nJobTimeoutSec=200ms\n[Service]\nType=oneshot\nExecStart=/bin/hold\n",
	})
	_, err := e.m.Start(context.Background(), "jt.service")
	if err == nil || !strings.Contains(err.Error(), "timed out") {
		t.Fatalf("start: %v, want the job timed out", err)
	}
	p := <-e.held
	if s, r := e.state("jt.service"); s != stateActivating || r != resultSuccess {
		t.Errorf("jt.service %s result %s, want activating success", s, r)
	}
	p.ExitCode(0)
	e.wait(t, "jt.service", stateInactive)
}

// TestJobRunningTimeout: JobRunningTimeoutSec= counts from when the job
// runs, not while it waits for the jobs it is ordered after.
func TestJobRunningTimeout(t *testing.T) {
	e := newJobEngine(t, map[string]string{
		"b.service":  "[Service]\nType=oneshot\nExecStart=/bin/hold\n",
		"jr.service": "[Unit]\nWants=b.service\nAfter=b.service\nJobRunningTimeoutSec=100ms\n[Service]\nType=oneshot\nExecStart=/bin/hold\n",
	})
	done := make(chan error, 1)
	go func() {
		_, err := e.m.Start(context.Background(), "jr.service")
		done <- err
	}()
	b := <-e.held
	// Waiting longer than the running timeout does not time the job out.
	select {
	case err := <-done:
		t.Fatalf("start ended while waiting for b.service: %v", err)
	case <-time.After(300 * time.Millisecond):
	}
	b.ExitCode(0)
	p := <-e.held
	defer p.ExitCode(0)
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "timed out") {
			t.Fatalf("start: %v, want the job timed out", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the running job did not time out")
	}
	if s, _ := e.state("jr.service"); s != stateActivating {
		t.Errorf("jr.service %s, want activating (a job timeout leaves the unit be)", s)
	}
}

func TestJobPropagatesStopToAndRefuseManual(t *testing.T) {
	e := newJobEngine(t, map[string]string{
		"ps2b.service": "[Service]\nExecStart=/bin/sleep infinity\n",
		"ps2a.service": "[Unit]\nPropagatesStopTo=ps2b.service\n[Service]\nExecStart=/bin/sleep infinity\n",
		"rm2s.service": "[Unit]\nRefuseManualStart=yes\n[Service]\nExecStart=/bin/sleep infinity\n",
		"rm2w.service": "[Unit]\nWants=rm2s.service\n[Service]\nExecStart=/bin/sleep infinity\n",
	})
	ctx := context.Background()
	for _, n := range []string{"ps2a.service", "ps2b.service"} {
		if _, err := e.m.Start(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.m.Stop(ctx, "ps2a.service"); err != nil {
		t.Fatal(err)
	}
	e.wait(t, "ps2b.service", stateInactive)

	if _, err := e.m.Queue(ctx, JobStart, "rm2s.service", ""); err == nil ||
		!strings.Contains(err.Error(), "may be requested by dependency only") {
		t.Errorf("manual start of a RefuseManualStart= unit: %v", err)
	}
	j, err := e.m.Queue(ctx, JobStart, "rm2w.service", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := j.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	e.wait(t, "rm2s.service", stateActive)
}

func TestJobIsolate(t *testing.T) {
	e := newJobEngine(t, map[string]string{
		"iso.target":   "[Unit]\nAllowIsolate=yes\nWants=isoa.service\n",
		"ison.target":  "[Unit]\nWants=isoa.service\n",
		"isoa.service": "[Service]\nExecStart=/bin/sleep infinity\n",
		"isob.service": "[Service]\nExecStart=/bin/sleep infinity\n",
		"isoi.service": "[Unit]\nIgnoreOnIsolate=yes\n[Service]\nExecStart=/bin/sleep infinity\n",
	})
	ctx := context.Background()
	for _, n := range []string{"isob.service", "isoi.service"} {
		if _, err := e.m.Start(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.m.Queue(ctx, JobStart, "ison.target", "isolate"); err == nil {
		t.Error("isolate of a target without AllowIsolate= was accepted")
	}
	j, err := e.m.Queue(ctx, JobStart, "iso.target", "isolate")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := j.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	e.wait(t, "isoa.service", stateActive)
	e.wait(t, "isob.service", stateInactive)
	if s, _ := e.state("isoi.service"); s != stateActive {
		t.Errorf("isoi.service (IgnoreOnIsolate=yes) %s, want active", s)
	}
}

// TestJobMonitorEnvironment: a handler started through OnFailure= or
// OnSuccess= gets the MONITOR_* variables of the unit that triggered it, as
// systemd 257 set them (observed: exited 7 -> exit-code, exited, 7).
func TestJobMonitorEnvironment(t *testing.T) {
	e := newJobEngine(t, map[string]string{
		"of2h.service": "[Service]\nType=oneshot\nExecStart=/bin/true of2h\n",
		"of2a.service": "[Unit]\nOnFailure=of2h.service\n[Service]\nType=oneshot\nExecStart=/bin/false\n",
	})
	if _, err := e.m.Start(context.Background(), "of2a.service"); err == nil {
		t.Fatal("of2a.service started")
	}
	var env []string
	for i := 0; i < 1000 && env == nil; i++ {
		for _, p := range e.fake.Procs() {
			if len(p.Spec.Argv) > 1 && p.Spec.Argv[1] == "of2h" {
				env = p.Spec.Env
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	e.m.mu.Lock()
	inv := e.m.units["of2a.service"].invocation
	e.m.mu.Unlock()
	for _, want := range []string{"MONITOR_SERVICE_RESULT=exit-code", "MONITOR_EXIT_CODE=exited", "MONITOR_EXIT_STATUS=1",
		"MONITOR_INVOCATION_ID=" + inv, "MONITOR_UNIT=of2a.service"} {
		if !slices.Contains(env, want) {
			t.Errorf("handler environment lacks %s: %q", want, env)
		}
	}
}
