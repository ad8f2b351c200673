package manager

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestTimerStampFIFONeverBlocks: a FIFO put where a Persistent= timer keeps
// its stamp neither blocks the timer's start or trigger nor counts as a
// last trigger; a regular stamp is read back and moved forward.
func TestTimerStampFIFONeverBlocks(t *testing.T) {
	m, fake, _ := fakeEngine(t, map[string]string{
		"ff.timer":   "[Timer]\nOnActiveSec=1us\nAccuracySec=1us\nPersistent=yes\nOnCalendar=2099-01-01\n",
		"ff.service": "[Service]\nType=oneshot\nExecStart=/bin/true\n",
		"ok.timer":   "[Timer]\nOnCalendar=2099-01-01\nPersistent=yes\nUnit=ff.service\n",
	})
	stamps := filepath.Join(m.cfg.Home, ".local/share/systemd/timers")
	if err := os.MkdirAll(stamps, 0o755); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(stamps, "stamp-ff.timer")
	if err := unix.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	old := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := os.Chtimes(fifo, old, old); err != nil {
		t.Fatal(err)
	}
	// A writer blocked on the FIFO is released by opening it for reading.
	t.Cleanup(func() {
		if fd, err := unix.Open(fifo, unix.O_RDONLY|unix.O_NONBLOCK, 0); err == nil {
			time.Sleep(10 * time.Millisecond)
			unix.Close(fd)
		}
	})
	done := make(chan error, 1)
	go func() {
		_, err := m.Start(context.Background(), "ff.timer")
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("starting the timer blocks on the FIFO stamp")
	}
	// It fires at once; the trigger must not block on the stamp either.
	p := spawned(t, fake)
	p.ExitCode(0)
	u := m.units["ff.timer"]
	for i := 0; ; i++ {
		m.mu.Lock()
		last := u.timer.lastTrigger.wall
		m.mu.Unlock()
		if !last.IsZero() && !last.Equal(old) {
			break
		}
		if i == 500 {
			t.Fatalf("last trigger %v: the FIFO's time was taken as a stamp or the trigger never came", last)
		}
		time.Sleep(10 * time.Millisecond)
	}
	for range 500 {
		if n := threadsBlockedOnFIFO(t); n == 0 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if n := threadsBlockedOnFIFO(t); n != 0 {
		t.Fatalf("%d threads blocked opening the FIFO stamp", n)
	}
	if fi, err := os.Lstat(fifo); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Fatalf("the FIFO was replaced: %v %v", fi, err)
	}

	// A regular stamp: created at the first start, then read back.
	if _, err := m.Start(context.Background(), "ok.timer"); err != nil {
		t.Fatal(err)
	}
	st := filepath.Join(stamps, "stamp-ok.timer")
	if fi, err := os.Lstat(st); err != nil || !fi.Mode().IsRegular() {
		t.Fatalf("stamp not created: %v %v", fi, err)
	}
	if err := touchStamp(st, old); err != nil {
		t.Fatal(err)
	}
	if got := m.loadTimerStamp(m.units["ok.timer"]); !got.Equal(old) {
		t.Fatalf("stamp read back as %v, want %v", got, old)
	}
}

// threadsBlockedOnFIFO counts this process's threads waiting for a FIFO's
// other end.
func threadsBlockedOnFIFO(t *testing.T) int {
	t.Helper()
	tasks, _ := filepath.Glob("/proc/self/task/*/wchan")
	n := 0
	for _, w := range tasks {
		if b, err := os.ReadFile(w); err == nil && string(b) == "wait_for_partner" {
			n++
		}
	}
	return n
}

// TestTimerCleanState: a Persistent= timer shows CanClean=state (others
// nothing), clean --what=state is refused while it runs, removes the stamp
// once stopped, and other kinds find nothing to clean.
func TestTimerCleanState(t *testing.T) {
	m, _, _ := fakeEngine(t, map[string]string{
		"p.timer":   "[Timer]\nOnCalendar=2099-01-01\nPersistent=yes\n",
		"p.service": "[Service]\nType=oneshot\nExecStart=/bin/true\n",
		"n.timer":   "[Timer]\nOnCalendar=2099-01-01\nUnit=p.service\n",
	})
	ctx := context.Background()
	canClean := func(name string) string {
		ps, err := m.Properties(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range ps {
			if p.Name == "CanClean" {
				return p.Value
			}
		}
		return ""
	}
	if got := canClean("p.timer"); got != "state" {
		t.Errorf("Persistent timer: CanClean=%q, want state", got)
	}
	if got := canClean("n.timer"); got != "" {
		t.Errorf("plain timer: CanClean=%q, want none", got)
	}
	if _, err := m.Clean(ctx, "n.timer", []string{"state"}); err == nil {
		t.Error("cleaning a timer without Persistent= succeeded")
	}
	if _, err := m.Start(ctx, "p.timer"); err != nil {
		t.Fatal(err)
	}
	stamp := m.timerStampPath(m.units["p.timer"])
	if _, err := os.Lstat(stamp); err != nil {
		t.Fatalf("no stamp after start: %v", err)
	}
	if _, err := m.Clean(ctx, "p.timer", []string{"state"}); err == nil {
		t.Error("cleaning an active timer succeeded")
	}
	if _, err := m.Stop(ctx, "p.timer"); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Clean(ctx, "p.timer", []string{"cache"}); err == nil {
		t.Error("clean --what=cache of a timer succeeded")
	}
	if _, err := os.Lstat(stamp); err != nil {
		t.Fatalf("clean --what=cache removed the stamp: %v", err)
	}
	removed, err := m.Clean(ctx, "p.timer", []string{"state"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(stamp); !os.IsNotExist(err) || len(removed) != 1 || removed[0] != stamp {
		t.Fatalf("after clean: stamp %v, removed %q", err, removed)
	}
	if _, err := m.Clean(ctx, "p.timer", []string{"all"}); err != nil {
		t.Fatalf("clean --what=all without a stamp: %v", err)
	}
}
