package job

import (
	"testing"
	"time"
)

// TestDispatch covers the jobs the engine queues by itself once events are processed:
// StopWhenUnneeded=, Upholds= and BindsTo= (systemd's stop-when-unneeded,
// start-when-upheld and stop-when-bound queues).
func TestDispatch(t *testing.T) {
	for _, c := range []struct {
		name  string
		graph string
		steps []step
	}{
		{"stop-when-unneeded stops a unit nothing needs", "a Wants=b state=active\nb StopWhenUnneeded state=active", []step{
			{do: "dispatch", want: ""},
			{do: "state a inactive", want: ""},
			{do: "dispatch", want: "installed: b/stop"},
			{do: "dispatch", want: ""}}},
		{"stop-when-unneeded waits for a dependent about to restart", "a Wants=b state=active WillRestart\nb StopWhenUnneeded state=active", []step{
			{do: "state a inactive", want: ""},
			{do: "dispatch", want: ""}}},
		{"stop-when-unneeded waits for a dependent's job", "a Requires=b state=active\nb StopWhenUnneeded state=active", []step{
			{do: "enqueue restart a", want: "a/restart"},
			{do: "run a", want: "stop"},
			{do: "state a inactive", want: ""},
			{do: "dispatch", want: ""}}},
		{"upholds restarts the unit when it goes down", "a Upholds=b state=active\nb state=active", []step{
			{do: "state b failed", want: ""},
			{do: "dispatch", want: "installed: b/start"}}},
		{"upholds only from an active unit", "a Upholds=b\nb state=active", []step{
			{do: "state b failed", want: ""},
			{do: "dispatch", want: ""}}},
		{"upholds starts the unit when the upholder comes up", "a Upholds=b\nb", []step{
			{do: "state a active", want: "installed: b/start"},
			{do: "jobs", want: "1:b/start:waiting"},
			{do: "dispatch", want: ""}}},
		// Without After=, a unit bound to a oneshot (no RemainAfterExit=) starts next to
		// it and is stopped once it is up, as the oneshot is inactive by then.
		{"binds-to a unit that went inactive stops the dependent", "a BindsTo=b\nb", []step{
			{do: "enqueue start a", want: "a/start b/start"},
			{do: "run a", want: "start"},
			{do: "run b", want: "start"},
			{do: "state b activating", want: ""},
			{do: "state b inactive", want: "finished: b/start=done"},
			{do: "state a active", want: "finished: a/start=done"},
			{do: "dispatch", want: "installed: a/stop"}}},
		// Observed (2g): even an explicit stop of an upheld unit is undone.
		{"upholds undoes a stop", "a Upholds=b state=active\nb state=active", []step{
			{do: "enqueue stop b", want: "b/stop"},
			{do: "run b", want: "stop"},
			{do: "state b inactive", want: "finished: b/stop=done"},
			{do: "dispatch", want: "installed: b/start"}}},
		// Observed (2j): a unit with StopWhenUnneeded= started by hand is stopped again.
		{"stop-when-unneeded stops a unit started by hand", "a StopWhenUnneeded", []step{
			{do: "enqueue start a", want: "a/start"},
			{do: "run a", want: "start"},
			{do: "state a active", want: "finished: a/start=done"},
			{do: "dispatch", want: "installed: a/stop"}}},
		{"submit checks a unit after its dependencies changed", "a BindsTo=b state=active\nb", []step{
			{do: "dispatch", want: ""},
			{do: "submit a", want: ""},
			{do: "dispatch", want: "installed: a/stop"}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			newHarness(t, c.graph).run(c.steps)
		})
	}
}

func TestDispatchRateLimit(t *testing.T) {
	h := newHarness(t, "a Upholds=b state=active\nb")
	for i := 0; i < 16; i++ {
		h.g.info["b"].State = UnitActive
		h.run([]step{
			{do: "state b failed", want: ""},
			{do: "dispatch", want: "installed: b/start"},
			{do: "cancel b", want: "finished: b/start=canceled"},
		})
	}
	h.run([]step{
		{do: "dispatch", want: "", log: []string{
			"b: Unit needs to be started because active unit a upholds it, but not starting since we tried this too often recently. Will retry later."}},
	})
	at, ok := h.q.NextDispatch()
	if !ok || at.Sub(h.now) != 10*time.Second {
		t.Fatalf("NextDispatch = %v, %v; want in 10s", at.Sub(h.now), ok)
	}
	h.run([]step{
		{do: "clock +9s", want: ""},
		{do: "dispatch", want: ""},
		{do: "clock +1s", want: ""},
		{do: "dispatch", want: "installed: b/start"},
	})
	if _, ok := h.q.NextDispatch(); ok {
		t.Error("still a retry pending")
	}
}
