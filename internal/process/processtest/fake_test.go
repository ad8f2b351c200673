package processtest

import (
	"syscall"
	"testing"

	"github.com/capsuled/capsuled/internal/process"
)

func TestFakeExitStatus(t *testing.T) {
	tests := []struct {
		name string
		end  func(*Proc)
		want func(syscall.WaitStatus) bool
	}{
		{"exit 0", func(p *Proc) { p.ExitCode(0) }, func(ws syscall.WaitStatus) bool { return ws.Exited() && ws.ExitStatus() == 0 }},
		{"exit 3", func(p *Proc) { p.ExitCode(3) }, func(ws syscall.WaitStatus) bool { return ws.Exited() && ws.ExitStatus() == 3 }},
		{"SIGTERM", func(p *Proc) { p.Kill(syscall.SIGTERM) }, func(ws syscall.WaitStatus) bool { return ws.Signaled() && ws.Signal() == syscall.SIGTERM }},
	}
	f := New()
	for _, tt := range tests {
		h, err := f.Spawn(&process.Spec{Path: "/bin/true", Argv: []string{"true"}})
		if err != nil {
			t.Fatal(err)
		}
		p := <-f.Spawned
		if p.Process != h || h.PID < firstPID {
			t.Fatalf("%s: spawned %v, handle %v", tt.name, p.Process, h)
		}
		if err := h.Signal(syscall.SIGHUP); err != nil || len(p.Signals()) != 1 {
			t.Errorf("%s: signal not recorded: %v %v", tt.name, err, p.Signals())
		}
		tt.end(p)
		<-h.Exited()
		if !tt.want(h.Status()) {
			t.Errorf("%s: status %#x", tt.name, h.Status())
		}
		// An ended process gets no more signals.
		h.Signal(syscall.SIGKILL)
		if len(p.Signals()) != 1 {
			t.Errorf("%s: signal after exit recorded", tt.name)
		}
	}
}
