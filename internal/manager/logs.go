package manager

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"slices"

	"github.com/capsuled/capsuled/internal/logstore"
)

// openStore opens the manager's log store. A directory that cannot be
// used (a full or read-only home) costs the log its persistence, not the
// manager its start.
func (m *Manager) openStore() error {
	opts := logstore.Options{MaxFileSize: m.cfg.LogMaxFileSize, MaxFiles: m.cfg.LogMaxFiles}
	if p := m.cfg.JournalSocket; p != "" {
		if _, err := os.Stat(p); err == nil {
			j, err := logstore.DialJournal(p)
			if err != nil {
				return err
			}
			opts.Forward = j.Send
		}
	}
	warn := func(err error) { m.printLog(fmt.Sprintf("log store %s: %v", m.cfg.LogDir, err)) }
	s, err := logstore.Open(m.cfg.LogDir, opts, warn)
	if err != nil {
		warn(fmt.Errorf("%w; keeping the log in memory only", err))
		if s, err = logstore.Open("", opts, nil); err != nil {
			return err
		}
	}
	m.store = s
	return nil
}

// CloseLog closes the log store's file once the manager is done.
func (m *Manager) CloseLog() error { return m.store.Close() }

// LogQuery selects the lines Logs sends.
type LogQuery = logstore.Query

// Logs sends the lines q selects (of the units named, or of the whole
// manager without any) to emit as one batch; with follow, it then sends
// each batch of new lines until ctx ends or emit fails. A unit need not be
// loaded to have a log (a transient unit that ended); a name without lines
// gets an empty batch, as journalctl finds no entries. Invocation "0" is
// the newest invocation of the units named, an error if they have none.
func (m *Manager) Logs(ctx context.Context, q LogQuery, follow bool, emit func([]logstore.Line) error) error {
	var mem []*logstore.Ring // memory-only lines of dynamic-user units
	newest := ""
	m.mu.Lock()
	for _, n := range q.Units {
		var us []*Unit
		if logstore.IsPattern(n) {
			// journalctl -u "cr*": every loaded unit matching it.
			for name, u := range m.units {
				if ok, _ := path.Match(n, name); ok {
					us = append(us, u)
				}
			}
		} else if u, ok := m.units[n]; ok {
			us = append(us, u)
		}
		for _, u := range us {
			if newest == "" {
				newest = u.invocation
			}
			mem = append(mem, u.log)
		}
	}
	m.mu.Unlock()
	if q.Invocation == "0" {
		if newest == "" {
			newest = m.loggedInvocation(q, mem)
		}
		if newest == "" {
			return worded(errNoSuchUnit, "No journal entry found for the invocation (+0).")
		}
		q.Invocation = newest
	}
	got, pos, err := m.store.Read(q)
	if err != nil {
		return fmt.Errorf("read log: %w", err)
	}
	if len(mem) > 0 {
		got = mergeLines(got, mem, q)
	}
	if err := emit(got); err != nil || !follow {
		return err
	}
	// Followers see what reaches the store; a dynamic user's output is
	// kept in its unit's memory, followed here too.
	var seqs []uint64
	var waits []<-chan struct{}
	for _, r := range mem {
		_, seq, ch := r.Follow(0)
		seqs, waits = append(seqs, seq), append(waits, ch)
	}
	wake := make(chan struct{}, 1)
	armed := make([]<-chan struct{}, len(waits)) // one waiter per channel
	for {
		for i, w := range waits {
			if armed[i] == w {
				continue
			}
			armed[i] = w
			go func(w <-chan struct{}) {
				select {
				case <-w:
				case <-ctx.Done():
				}
				select {
				case wake <- struct{}{}:
				default:
				}
			}(w)
		}
		select {
		case <-pos.Added:
		case <-wake:
		case <-ctx.Done():
			return ctx.Err()
		}
		var batch []logstore.Line
		batch, pos = m.store.Since(pos, q)
		for i, r := range mem {
			var lines []logstore.Line
			lines, seqs[i], waits[i] = r.Since(seqs[i])
			for _, l := range lines {
				if q.Match(l) {
					batch = append(batch, l)
				}
			}
		}
		if len(batch) == 0 {
			continue
		}
		slices.SortStableFunc(batch, func(a, b logstore.Line) int { return a.Time.Compare(b.Time) })
		if err := emit(batch); err != nil {
			return err
		}
	}
}

// loggedInvocation is the invocation ID of the newest line of q's units
// that has one (a unit that is no longer loaded), or "".
func (m *Manager) loggedInvocation(q LogQuery, mem []*logstore.Ring) string {
	all := logstore.NewQuery(-1)
	all.Units = q.Units
	got, _, err := m.store.Read(all)
	if err != nil {
		return ""
	}
	got = mergeLines(got, mem, all)
	for i := len(got) - 1; i >= 0; i-- {
		if got[i].Invoc != "" {
			return got[i].Invoc
		}
	}
	return ""
}

// mergeLines adds the lines of rings q selects to got, in time order,
// keeping the newest q.N.
func mergeLines(got []logstore.Line, rings []*logstore.Ring, q LogQuery) []logstore.Line {
	for _, r := range rings {
		for _, l := range r.Tail(-1) {
			if q.Match(l) {
				got = append(got, l)
			}
		}
	}
	slices.SortStableFunc(got, func(a, b logstore.Line) int { return a.Time.Compare(b.Time) })
	if q.N >= 0 && len(got) > q.N {
		got = got[len(got)-q.N:]
	}
	return got
}

// unitTail is the newest n lines of u's log, for status.
func (m *Manager) unitTail(u *Unit, n int) []logstore.Line {
	q := logstore.NewQuery(n)
	q.Units = []string{u.name}
	got, _, err := m.store.Read(q)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		m.printLog(fmt.Sprintf("status %s: %v", u.name, err))
	}
	return mergeLines(got, []*logstore.Ring{u.log}, q)
}

// Hostname is the name log lines carry.
func (m *Manager) Hostname() string { return m.cfg.Hostname }
