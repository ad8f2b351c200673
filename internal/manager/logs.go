package manager

import (
	"context"
	"fmt"

	"github.com/capsuled/capsuled/internal/logstore"
)

// Logs sends the newest lines (-1: all held) of a unit's log, or of the
// manager's when name is empty, to emit as one batch; with follow, it then
// sends each batch of new lines until ctx ends or emit fails.
func (m *Manager) Logs(ctx context.Context, name string, lines int, follow bool, emit func([]string) error) error {
	ring := m.log
	if name != "" {
		m.mu.Lock()
		u, ok := m.units[name]
		m.mu.Unlock()
		if !ok {
			return fmt.Errorf("%w: unit %s is not loaded, so it has no log", errNoSuchUnit, name)
		}
		ring = u.log
	}
	format := func(lines []logstore.Line) []string {
		out := []string{}
		for _, l := range lines {
			out = append(out, l.Format(m.cfg.Hostname))
		}
		return out
	}
	got, seq, added := ring.Follow(lines)
	if err := emit(format(got)); err != nil || !follow {
		return err
	}
	for {
		select {
		case <-added:
			got, seq, added = ring.Since(seq)
			if err := emit(format(got)); err != nil {
				return err
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
