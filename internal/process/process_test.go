package process

import (
	"syscall"
	"testing"
	"time"
)

func TestAfterExit(t *testing.T) {
	for _, tc := range []struct {
		name       string
		beforeExit int // callbacks registered while the process runs
		afterExit  int // callbacks registered once it has ended
		exitTwice  bool
	}{
		{name: "registered while running", beforeExit: 2},
		{name: "registered after the end", afterExit: 2},
		{name: "both", beforeExit: 1, afterExit: 1},
		{name: "exit reported twice", beforeExit: 1, exitTwice: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := New(1, "x", nil)
			ran := make(chan struct{}, 8)
			f := func() {
				if !p.HasExited() {
					t.Error("callback ran before the process ended")
				}
				ran <- struct{}{}
			}
			for range tc.beforeExit {
				p.AfterExit(f)
			}
			select {
			case <-ran:
				t.Fatal("callback ran before Exit")
			case <-time.After(10 * time.Millisecond):
			}
			p.Exit(syscall.WaitStatus(3 << 8))
			if tc.exitTwice {
				p.Exit(0)
			}
			for range tc.afterExit {
				p.AfterExit(f)
			}
			want := tc.beforeExit + tc.afterExit
			for i := range want {
				select {
				case <-ran:
				case <-time.After(5 * time.Second):
					t.Fatalf("%d of %d callbacks ran", i, want)
				}
			}
			select {
			case <-ran:
				t.Fatal("a callback ran more than once")
			case <-time.After(10 * time.Millisecond):
			}
			if got := p.Status().ExitStatus(); got != 3 {
				t.Errorf("status %d, want the first Exit's 3", got)
			}
		})
	}
}
