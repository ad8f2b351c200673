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
	// Units sit in slices, a few levels down; what a unit nests below its
	// own cgroup is not looked at.
	found, findErr := h.Find(base, func(name string) bool { return strings.HasSuffix(name, ".service") })
	if errors.Is(findErr, fs.ErrNotExist) {
		findErr = nil
	}
	// Whether anything runs is the kernel's populated flag of the whole
	// tree; a list of processes can miss some (a unit's owner can nest
	// its cgroups beyond what any path reaches), and an error counts as
	// "populated".
	pop, err := h.Populated(base)
	if errors.Is(err, fs.ErrNotExist) {
		pop, err = false, nil
	}
	if len(found) == 0 && findErr == nil && err == nil && !pop {
		m.removeV1Bases()
		return nil
	}
	m.logf(nil, "Found %d units of a previous instance (processes running: %v); stopping them.", len(found), pop || err != nil)
	if pop || err != nil {
		if err := h.Kill(base); err != nil {
			return fmt.Errorf("kill processes of a previous instance: %w", err)
		}
		wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		// Until this succeeds nothing is released: the UIDs stay locked.
		if err := h.WaitEmpty(wctx, base); err != nil {
			return fmt.Errorf("processes of a previous instance did not end: %w", err)
		}
		m.cfg.Spawner.Reap()
	}
	if findErr != nil {
		// Which users to release is not known; leave them allocated.
		return fmt.Errorf("look for units of a previous instance: %w", findErr)
	}
	// Nothing of the previous instance runs any more, so what is left is
	// only clutter: report it, but do not refuse to start over it.
	for _, cg := range found {
		// A cgroup left behind would stay owned by the unit's UID.
		if err := h.RemoveTree(cg); err != nil {
			m.logf(nil, "Warning: %s not released: %v", filepath.Base(cg), err)
			continue
		}
		if err := m.releaseStale(filepath.Base(cg)); err != nil {
			m.logf(nil, "Warning: %v", err)
		}
	}
	entries, _ := os.ReadDir(h.Path(base))
	for _, e := range entries {
		if e.IsDir() {
			if err := h.RemoveTree(filepath.Join(base, e.Name())); err != nil {
				m.logf(nil, "Warning: %v", err)
			}
		}
	}
	// Nothing of the previous instance runs, so its v1 cgroups can go.
	m.removeV1Bases()
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
		if err := removeRuntimeDir(filepath.Join(m.cfg.Roots[dirRuntime], p)); err != nil {
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
