package logstore

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestLimiterWindow(t *testing.T) {
	var mu sync.Mutex
	var reports []int
	// A window long enough that a loaded machine still drops the 10 lines
	// before it ends (its end reports all the window dropped).
	l := NewLimiter(time.Second, 3, func(n int) { mu.Lock(); reports = append(reports, n); mu.Unlock() })
	now := time.Now()
	var got []bool
	for i := 0; i < 5; i++ {
		got = append(got, l.Allow(now))
	}
	if fmt.Sprint(got) != "[true true true false false]" {
		t.Errorf("first window: %v", got)
	}
	if !l.Suppressing(now) {
		t.Error("not suppressing after the burst")
	}
	l.Drop(10)
	// The report comes from a timer at the window's end; a loaded machine
	// may run it late, so wait for it rather than for a fixed time.
	var got12 string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		mu.Lock()
		got12 = fmt.Sprint(reports)
		mu.Unlock()
		if got12 != "[]" {
			break
		}
	}
	if got12 != "[12]" {
		t.Errorf("reports after the window: %v, want [12]", got12)
	}
	if l.Suppressing(time.Now()) || !l.Allow(time.Now()) {
		t.Error("a new window does not let lines through")
	}
}

func TestNewLimiterOff(t *testing.T) {
	for _, c := range []struct {
		d time.Duration
		n int
	}{{0, 10}, {time.Second, 0}} {
		if NewLimiter(c.d, c.n, nil) != nil {
			t.Errorf("NewLimiter(%v, %d) is not nil", c.d, c.n)
		}
	}
}

func TestCopyLimited(t *testing.T) {
	tests := []struct {
		name  string
		input string
		burst int
		kept  []string
		drops int
	}{
		{"under", "a\nb\n", 5, []string{"a", "b"}, 0},
		{"over", "a\nb\nc\nd\n", 2, []string{"a", "b"}, 2},
		{"unterminated", "a\nb\nc", 2, []string{"a", "b"}, 1},
		{"long", strings.Repeat("y\n", 100000), 10, []string{"y", "y", "y", "y", "y", "y", "y", "y", "y", "y"}, 99990},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mu sync.Mutex
			dropped := 0
			done := make(chan struct{})
			l := NewLimiter(time.Second, tt.burst, func(n int) { mu.Lock(); dropped += n; mu.Unlock() })
			l.pause = time.Millisecond
			var kept []string
			go func() {
				CopyLimited(strings.NewReader(tt.input), func(s []string) { kept = append(kept, s...) }, l)
				close(done)
			}()
			<-done
			l.flush() // rather than wait for the end of the window
			mu.Lock()
			defer mu.Unlock()
			if fmt.Sprint(kept) != fmt.Sprint(tt.kept) || dropped != tt.drops {
				t.Errorf("kept %d lines %q, dropped %d; want %q, %d", len(kept), trim(kept), dropped, tt.kept, tt.drops)
			}
		})
	}
}

func trim(s []string) []string {
	if len(s) > 12 {
		return s[:12]
	}
	return s
}
