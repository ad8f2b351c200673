package job

import (
	"errors"
	"testing"
	"time"
)

func TestErrors(t *testing.T) {
	h := newHarness(t, "a Requires=b\nb load=masked\nc RefuseManualStart\nd Requires=e After=e\ne After=d")
	for _, c := range []struct {
		r        Request
		sentinel error
		code     string
	}{
		{Request{Unit: "a", Type: Start}, ErrUnitMasked, "org.freedesktop.systemd1.UnitMasked"},
		{Request{Unit: "x", Type: Start}, ErrNoSuchUnit, "org.freedesktop.systemd1.NoSuchUnit"},
		{Request{Unit: "c", Type: Start, Manual: true}, ErrOnlyByDependency, "org.freedesktop.systemd1.OnlyByDependency"},
		{Request{Unit: "c", Type: Start, Mode: Isolate}, ErrNoIsolation, "org.freedesktop.systemd1.NoIsolation"},
		{Request{Unit: "c", Type: Reload}, ErrNotApplicable, "org.freedesktop.systemd1.JobTypeNotApplicable"},
		{Request{Unit: "d", Type: Start}, ErrOrderIsCyclic, "org.freedesktop.systemd1.TransactionOrderIsCyclic"},
	} {
		_, err := h.q.Enqueue(c.r)
		var e *Error
		if !errors.Is(err, c.sentinel) || !errors.As(err, &e) || e.Code.String() != c.code {
			t.Errorf("%v: error %v, want %s", c.r, err, c.code)
		}
		if errors.Is(err, ErrDestructive) {
			t.Errorf("%v: %v matches an unrelated sentinel", c.r, err)
		}
	}
	if _, err := h.q.Finish(99, ResultDone); !errors.Is(err, ErrNoSuchJob) {
		t.Errorf("Finish(99): %v", err)
	}
}

func TestDeadlines(t *testing.T) {
	h := newHarness(t, "a timeout=10s\nb\nc timeout=20s")
	h.run([]step{
		{do: "enqueue start a", want: "a/start"},
		{do: "enqueue start b", want: "b/start"},
		{do: "enqueue start c", want: "c/start"},
		{do: "next", want: "a/start@10s"},
	})
	if err := h.q.SetDeadline(2, h.now.Add(5*time.Second)); err != nil {
		t.Fatal(err)
	}
	h.run([]step{
		{do: "next", want: "b/start@5s"},
		{do: "clock +10s", want: ""},
		{do: "expire", want: "finished: a/start=timeout b/start=timeout", log: []string{
			"a: Job a/start timed out.", "a: Job a/start failed with result 'timeout'.",
			"b: Job b/start timed out.", "b: Job b/start failed with result 'timeout'."}},
		{do: "next", want: "c/start@20s"},
	})
	if err := h.q.SetDeadline(3, time.Time{}); err != nil {
		t.Fatal(err)
	}
	h.run([]step{{do: "next", want: "none"}})
}
