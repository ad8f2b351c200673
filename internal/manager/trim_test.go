package manager

import (
	"sync/atomic"
	"testing"
	"time"
)

// TestTrimWhenLastClientHangsUp: the last client hanging up trims an idle
// manager (a second later) that ran a job since, not one that runs a job,
// nor while clients remain, nor after clients that only asked.
func TestTrimWhenLastClientHangsUp(t *testing.T) {
	for _, tc := range []struct {
		name    string
		jobs    int
		clients int
		jobRan  bool
		want    int32
	}{
		{"idle, last client gone", 0, 0, true, 1},
		{"idle, a client left", 0, 1, true, 0},
		{"running a job", 1, 0, true, 0},
		{"idle, no job since", 0, 0, false, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m, _, _ := fakeEngine(t, map[string]string{})
			var trims atomic.Int32
			m.freeOSMemory = func() { trims.Add(1) }
			m.mu.Lock()
			m.jobs = tc.jobs
			m.jobSinceHangup = tc.jobRan
			m.mu.Unlock()
			m.SetClients(tc.clients)
			// A trim that is due comes within the deadline; one that is
			// not would have come by half a second after its delay.
			deadline := time.Now().Add(idleTrimDelay + 500*time.Millisecond)
			if tc.want > 0 {
				deadline = time.Now().Add(10 * time.Second)
			}
			for time.Now().Before(deadline) && (tc.want == 0 || trims.Load() < tc.want) {
				time.Sleep(10 * time.Millisecond)
			}
			m.mu.Lock()
			m.jobs = 0
			m.mu.Unlock()
			if got := trims.Load(); got != tc.want {
				t.Errorf("%d trims, want %d", got, tc.want)
			}
		})
	}
}
