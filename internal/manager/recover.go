package manager

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// RecoverStale cleans up after a previous instance of this manager that
// died without stopping its units. Their processes would otherwise keep
// running while the UIDs they use look free (the lock files were held by
// the dead manager), so they are killed, and what their invocations
// allocated is released, before anything new starts.
func (m *Manager) RecoverStale(ctx context.Context) error {
	h := m.cfg.Cgroups
	base := m.cfg.CgroupBase
	var units []string
	root := h.Path(base)
	// Units sit in slices, a few levels down; what a unit nests below its
	// own cgroup is not looked at.
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return filepath.SkipDir
			}
			return err
		}
		if d.IsDir() && strings.HasSuffix(d.Name(), ".service") {
			units = append(units, d.Name())
			return filepath.SkipDir
		}
		return nil
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("look for units of a previous instance: %w", err)
	}
	pids, _ := h.PIDs(base, true)
	if len(units) == 0 && len(pids) == 0 {
		return nil
	}
	m.logf(nil, "Found %d processes and %d units of a previous instance; stopping them.", len(pids), len(units))
	if len(pids) > 0 {
		if err := h.Kill(base); err != nil {
			return fmt.Errorf("kill processes of a previous instance: %w", err)
		}
		wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if err := h.WaitEmpty(wctx, base); err != nil {
			return fmt.Errorf("processes of a previous instance did not end: %w", err)
		}
		m.reaper.reap()
	}
	// Nothing of the previous instance runs any more, so what is left is
	// only clutter: report it, but do not refuse to start over it.
	for _, name := range units {
		if err := m.releaseStale(name); err != nil {
			m.logf(nil, "Warning: %v", err)
		}
	}
	entries, _ := os.ReadDir(root)
	for _, e := range entries {
		if e.IsDir() {
			if err := h.RemoveTree(filepath.Join(base, e.Name())); err != nil {
				m.logf(nil, "Warning: %v", err)
			}
		}
	}
	return nil
}

// releaseStale frees the dynamic user and runtime directories of a unit
// whose manager died.
func (m *Manager) releaseStale(name string) error {
	u, err := m.load(name)
	if err != nil {
		return nil // gone or renamed since; nothing we can attribute
	}
	defer m.unload(u)
	if u.svc == nil {
		return nil
	}
	for _, p := range u.svc.Dirs[dirRuntime] {
		if err := os.RemoveAll(filepath.Join(m.cfg.Roots[dirRuntime], p)); err != nil {
			return err
		}
	}
	if u.svc.DynamicUser && m.cfg.Users != nil {
		if err := m.cfg.Users.ReleaseStale(u.svc.User); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	m.logf(u, "%s: released what a previous instance left behind.", name)
	return nil
}
