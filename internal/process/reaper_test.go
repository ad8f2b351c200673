package process

import (
	"sync"
	"testing"
)

// TestOutputSurvivesReaping runs helper programs while the reaper reaps
// orphans without pause, as it does on every SIGCHLD of a busy manager. A
// helper child that is not registered gets reaped under its own Wait,
// which then fails with ECHILD (a user lookup reported "no such user").
func TestOutputSurvivesReaping(t *testing.T) {
	r := newReaper()
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-done:
				return
			default:
				r.reap()
			}
		}
	}()
	defer func() { close(done); wg.Wait() }()
	for i := 0; i < 200; i++ {
		out, err := r.output("echo", "ok")
		if err != nil || string(out) != "ok\n" {
			t.Fatalf("run %d: output %q, %v", i, out, err)
		}
	}
}
