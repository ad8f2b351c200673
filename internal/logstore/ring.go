// Package logstore keeps the recent log lines of each unit in memory, the
// way status output shows them.
package logstore

import (
	"bufio"
	"fmt"
	"io"
	"sync"
	"time"
)

// Line is one log record.
type Line struct {
	Time    time.Time
	Ident   string
	PID     int
	Message string
}

// Format renders l like a classic syslog line.
func (l Line) Format(host string) string {
	if l.PID > 0 {
		return fmt.Sprintf("%s %s %s[%d]: %s", l.Time.Format(time.Stamp), host, l.Ident, l.PID, l.Message)
	}
	return fmt.Sprintf("%s %s %s: %s", l.Time.Format(time.Stamp), host, l.Ident, l.Message)
}

// Ring holds the last Size lines; use NewRing.
type Ring struct {
	mu    sync.Mutex
	size  int
	lines []Line // grows up to size, so quiet units cost little
	next  int
	full  bool
}

// NewRing returns a ring of n lines.
func NewRing(n int) *Ring { return &Ring{size: n} }

// Add appends a line, dropping the oldest when full.
func (r *Ring) Add(l Line) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.full && len(r.lines) < r.size {
		r.lines = append(r.lines, l)
		if len(r.lines) == r.size {
			r.full = true
		}
		return
	}
	r.lines[r.next] = l
	r.next = (r.next + 1) % r.size
}

// Tail returns up to n of the newest lines, oldest first.
func (r *Ring) Tail(n int) []Line {
	r.mu.Lock()
	defer r.mu.Unlock()
	var all []Line
	if r.full {
		all = append(all, r.lines[r.next:]...)
		all = append(all, r.lines[:r.next]...)
	} else {
		all = append(all, r.lines...)
	}
	if n >= 0 && len(all) > n {
		all = all[len(all)-n:]
	}
	return all
}

// Copy reads lines from rd until EOF and hands each to add. Over-long lines
// are split rather than dropped.
func Copy(rd io.Reader, add func(string)) {
	br := bufio.NewReaderSize(rd, 4096)
	for {
		line, err := br.ReadSlice('\n')
		if len(line) > 0 {
			s := string(line)
			if s[len(s)-1] == '\n' {
				s = s[:len(s)-1]
			}
			add(s)
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil {
			return
		}
	}
}
