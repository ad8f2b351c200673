// Package logstore keeps a manager's log: records on disk in journald's
// JSON format, one per line, in size-bounded rotated files (store.go), and
// the newest in memory for followers (ring.go).
package logstore

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"sync"
	"time"
)

// Line is one log record.
type Line struct {
	Time     time.Time // kept to the microsecond on disk
	Unit     string    // the unit it belongs to; empty for the manager's own
	Ident    string    // SYSLOG_IDENTIFIER
	PID      int
	Priority int    // syslog level, 0 (emerg) to 7 (debug)
	Invoc    string // invocation ID of the unit's run
	// Manager marks the manager's lines about Unit (stored as UNIT=, as
	// systemd's own messages are), not the unit's output (_SYSTEMD_UNIT=).
	Manager bool
	Message string
}

// Syslog levels of lines; PriorityInfo is also the level of a unit's
// output lines without a prefix.
const (
	PriorityErr     = 3
	PriorityWarning = 4
	PriorityNotice  = 5
	PriorityInfo    = 6
)

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
	total uint64        // lines ever added: the sequence number of the newest
	added chan struct{} // closed and replaced by every Add, for followers
}

// NewRing returns a ring of n lines.
func NewRing(n int) *Ring { return &Ring{size: n} }

// Add appends a line, dropping the oldest when full.
func (r *Ring) Add(l Line) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.total++
	if r.added != nil {
		close(r.added)
		r.added = nil
	}
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

// Clear drops every line held and returns how many there were. Followers
// keep their place: lines added later still reach them.
func (r *Ring) Clear() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := len(r.lines)
	r.lines, r.next, r.full = nil, 0, false
	return n
}

// Tail returns up to n of the newest lines (all for n < 0), oldest first.
func (r *Ring) Tail(n int) []Line {
	lines, _, _ := r.Follow(n)
	return lines
}

// Follow is Tail that also returns the sequence number of the newest line
// and a channel that is closed when a line is added, for Since.
func (r *Ring) Follow(n int) ([]Line, uint64, <-chan struct{}) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.tailLocked(n), r.total, r.waitLocked()
}

// Since returns the lines added after sequence number seq (those still
// held), the new sequence number and a channel closed on the next Add.
func (r *Ring) Since(seq uint64) ([]Line, uint64, <-chan struct{}) {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := r.total - seq
	if n > uint64(len(r.lines)) {
		n = uint64(len(r.lines))
	}
	return r.tailLocked(int(n)), r.total, r.waitLocked()
}

func (r *Ring) waitLocked() <-chan struct{} {
	if r.added == nil {
		r.added = make(chan struct{})
	}
	return r.added
}

func (r *Ring) tailLocked(n int) []Line {
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

// Copy reads lines from rd until EOF and hands them to add, all those
// one read brought in at once: a unit that writes many lines at a time
// costs one store write and one echo per batch, not per line. add must not
// keep the slice. Over-long lines are split rather than dropped.
func Copy(rd io.Reader, add func([]string)) {
	br := bufio.NewReaderSize(rd, 4096)
	var batch []string
	for {
		line, err := br.ReadSlice('\n')
		if len(line) > 0 {
			batch = append(batch, string(bytes.TrimSuffix(line, []byte{'\n'})))
		}
		if len(batch) > 0 && (err != nil || !lineBuffered(br)) {
			add(batch)
			batch = batch[:0]
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil {
			return
		}
	}
}

// lineBuffered reports whether br holds a whole line, which the next
// ReadSlice returns without reading (and so without blocking).
func lineBuffered(br *bufio.Reader) bool {
	b, _ := br.Peek(br.Buffered())
	return bytes.IndexByte(b, '\n') >= 0
}
