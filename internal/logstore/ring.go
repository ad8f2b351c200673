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

// Ring holds the last Size lines; the zero value is not usable, use NewRing.
type Ring struct {
	mu    sync.Mutex
	lines []Line
	next  int
	full  bool
}

// NewRing returns a ring of n lines.
func NewRing(n int) *Ring { return &Ring{lines: make([]Line, n)} }

// Add appends a line, dropping the oldest when full.
func (r *Ring) Add(l Line) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines[r.next] = l
	r.next = (r.next + 1) % len(r.lines)
	if r.next == 0 {
		r.full = true
	}
}

// Tail returns up to n of the newest lines, oldest first.
func (r *Ring) Tail(n int) []Line {
	r.mu.Lock()
	defer r.mu.Unlock()
	var all []Line
	if r.full {
		all = append(all, r.lines[r.next:]...)
	}
	all = append(all, r.lines[:r.next]...)
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
