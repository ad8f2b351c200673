package logstore

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"slices"
	"strings"
	"time"
)

// Query selects lines of a store.
type Query struct {
	Units []string // any of them, each a name or a pattern ("cr*"); none: every line
	// Since and Until bound the time (inclusive); zero: unbounded.
	Since, Until time.Time
	MaxPriority  int    // lines at this level or more important
	Invocation   string // only this invocation ID, if set
	N            int    // the newest N that match; -1: all
}

// NewQuery is a query for the newest n lines of every priority.
func NewQuery(n int) Query { return Query{N: n, MaxPriority: 7} }

// Match reports whether l is selected by q (N aside).
func (q Query) Match(l Line) bool {
	if len(q.Units) > 0 && !q.unitMatches(l.Unit) {
		return false
	}
	if !q.Since.IsZero() && l.Time.Before(q.Since) || !q.Until.IsZero() && l.Time.After(q.Until) {
		return false
	}
	return l.Priority <= q.MaxPriority && (q.Invocation == "" || l.Invoc == q.Invocation)
}

// unitMatches reports whether unit is one of q.Units or matches one of
// them that is a pattern, as journalctl -u matches (fnmatch).
func (q Query) unitMatches(unit string) bool {
	for _, u := range q.Units {
		if u == unit {
			return true
		}
		if IsPattern(u) {
			if ok, _ := path.Match(u, unit); ok {
				return true
			}
		}
	}
	return false
}

// IsPattern reports whether a unit name given to a query is a pattern: it
// has "*", "?" or "[", as systemd's string_is_glob.
func IsPattern(s string) bool { return strings.ContainsAny(s, "*?[") }

// needles are byte strings one of which a stored line must contain to
// match q: each unit's name as JSON writes it. A line without any cannot
// match, so most are skipped without being decoded.
func (q Query) needles() [][]byte {
	var out [][]byte
	for _, u := range q.Units {
		if IsPattern(u) {
			return nil // a pattern has no fixed bytes to look for
		}
		b, _ := json.Marshal(u)
		out = append(out, b)
	}
	return out
}

// Follow is a position in a store's stream of new lines.
type Follow struct {
	Seq   uint64
	Added <-chan struct{} // closed when a line is appended after Seq
}

// Read returns the lines q selects, oldest first, and the position after
// them to follow the store from. On disk it reads backwards from the
// newest line and stops at N lines or the first line before Since, so
// "the last 10 lines" costs what they take, not what the log holds.
func (s *Store) Read(q Query) ([]Line, Follow, error) {
	s.mu.Lock()
	// Lines in memory are on disk too once the queue is written; mu
	// keeps more from being queued until the files are open.
	for s.written < s.queued {
		s.syncLocked(s.queued)
	}
	_, seq, added := s.recent.Follow(0)
	pos := Follow{Seq: seq, Added: added}
	if q.N == 0 {
		// journalctl -n 0 (-f): no old line, only what comes next.
		s.mu.Unlock()
		return nil, pos, nil
	}
	if s.dir == "" {
		all := s.recent.Tail(-1)
		s.mu.Unlock()
		var out []Line
		for i := len(all) - 1; i >= 0 && (q.N < 0 || len(out) < q.N); i-- {
			if q.Match(all[i]) {
				out = append(out, all[i])
			}
		}
		slices.Reverse(out)
		return out, pos, nil
	}
	// The files are opened while no line is written, the newest first,
	// so a rotation meanwhile changes nothing of what is read. One that
	// cannot be (a capsule may put anything in its own log directory) is
	// left out, with a warning.
	s.fmu.Lock()
	var files []*os.File
	for i := 0; i < s.opts.MaxFiles; i++ {
		f, err := openFile(s.name(i), os.O_RDONLY)
		if err != nil {
			if !errors.Is(err, os.ErrNotExist) {
				s.warnOnce(fmt.Errorf("read log: %w", err))
			}
			continue
		}
		files = append(files, f)
	}
	s.fmu.Unlock()
	s.mu.Unlock()
	defer func() {
		for _, f := range files {
			f.Close()
		}
	}()
	var out []Line
	needles := q.needles()
	done := false
	for _, f := range files {
		if done {
			break
		}
		// Up to the end as it is now: a line being written is left
		// out by scanBack, and whoever else wrote to the file (the
		// capsule) changes nothing of how the manager's lines are found.
		st, err := f.Stat()
		if err != nil {
			return nil, pos, fmt.Errorf("read log: %w", err)
		}
		err = scanBack(f, st.Size(), func(b []byte) bool {
			if len(needles) > 0 && !containsAny(b, needles) {
				return true
			}
			var l Line
			if json.Unmarshal(b, &l) != nil {
				// Not a record of ours (a capsule may write its own
				// files): skipped, never shown as one.
				return true
			}
			if !q.Since.IsZero() && l.Time.Before(q.Since) {
				done = true
				return false
			}
			if q.Match(l) {
				out = append(out, l)
				if q.N >= 0 && len(out) >= q.N {
					done = true
					return false
				}
			}
			return true
		})
		if err != nil {
			return nil, pos, err
		}
	}
	slices.Reverse(out)
	return out, pos, nil
}

// Since returns the lines appended after p that q selects (those still
// held in memory), oldest first, and the position after them.
func (s *Store) Since(p Follow, q Query) ([]Line, Follow) {
	lines, seq, added := s.recent.Since(p.Seq)
	var out []Line
	for _, l := range lines {
		if q.Match(l) {
			out = append(out, l)
		}
	}
	return out, Follow{Seq: seq, Added: added}
}

func containsAny(b []byte, needles [][]byte) bool {
	for _, n := range needles {
		if bytes.Contains(b, n) {
			return true
		}
	}
	return false
}

// maxRecord bounds a line the reader assembles; a longer one (which the
// store never writes) is skipped whole.
const maxRecord = 1 << 20

// scanBack calls fn with each complete line of f's first size bytes,
// newest first, until fn returns false. The last line counts only if it
// ends in a newline (one may be half written).
func scanBack(f io.ReaderAt, size int64, fn func([]byte) bool) error {
	const block = 64 << 10
	buf := make([]byte, block)
	var carry []byte // start of the line the later block began inside
	skipping := false
	first := true
	for pos := size; pos > 0; {
		n := int64(block)
		if pos < n {
			n = pos
		}
		pos -= n
		if _, err := f.ReadAt(buf[:n], pos); err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		// The last piece is a partial line at the end of the file, or
		// part of a line too long to keep.
		dropLast := first || skipping
		first = false
		data := append(buf[:n:n], carry...)
		if skipping {
			data = buf[:n]
		}
		carry = nil
		if pos > 0 {
			i := bytes.IndexByte(data, '\n')
			if i < 0 {
				if dropLast {
					skipping = true
					continue
				}
				carry, skipping = append([]byte(nil), data...), len(data) > maxRecord
				if skipping {
					carry = nil
				}
				continue
			}
			carry = append([]byte(nil), data[:i]...)
			data = data[i+1:]
			skipping = len(carry) > maxRecord
			if skipping {
				carry = nil
			}
		}
		lines := bytes.Split(data, []byte{'\n'})
		if dropLast {
			lines = lines[:len(lines)-1]
		}
		for i := len(lines) - 1; i >= 0; i-- {
			if len(lines[i]) > 0 && !fn(lines[i]) {
				return nil
			}
		}
	}
	return nil
}
