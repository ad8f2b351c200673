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
