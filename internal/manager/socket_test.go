package manager

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestWaitReadable(t *testing.T) {
	dir := t.TempDir()
	var ls []*os.File
	var uls []*net.UnixListener
	for _, n := range []string{"a", "b"} {
		l, err := net.ListenUnix("unix", &net.UnixAddr{Name: filepath.Join(dir, n), Net: "unix"})
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		f, err := l.File()
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		uls = append(uls, l)
		ls = append(ls, f)
	}
	for round := 0; round < 2; round++ {
		done := make(chan error, 1)
		go func() { done <- waitReadable(context.Background(), ls) }()
		select {
		case err := <-done:
			t.Fatalf("round %d: returned before a connection: %v", round, err)
		case <-time.After(50 * time.Millisecond):
		}
		c, err := net.Dial("unix", filepath.Join(dir, "b"))
		if err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
		case <-time.After(2 * time.Second):
			t.Fatalf("round %d: a pending connection did not wake the waiter", round)
		}
		// Accept it, so the next round waits for a new one.
		a, err := uls[1].Accept()
		if err != nil {
			t.Fatal(err)
		}
		a.Close()
		c.Close()
	}
}

func TestWaitReadableCancel(t *testing.T) {
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: filepath.Join(t.TempDir(), "s"), Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	f, err := l.File()
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- waitReadable(ctx, []*os.File{f}) }()
	time.Sleep(20 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if err == nil {
			t.Error("cancelled wait reported a connection")
		}
	case <-time.After(2 * time.Second):
		t.Fatal("cancel did not end the wait")
	}
}
