package manager

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/capsuled/capsuled/internal/unit"
	"github.com/capsuled/capsuled/internal/unitconf"
)

// envBlock is the manager's environment, which every process it starts
// gets first: the one it started with (Config.Env, in its order) and what
// set-environment added (kept sorted by name, as systemd keeps it).
type envBlock struct {
	mu  sync.Mutex
	set []string // set-environment assignments, sorted
	// unset are names of Config.Env removed by unset-environment: set
	// again, they come with the sorted ones, as in systemd.
	unset []string
}

// Environment returns the manager's environment block.
func (m *Manager) Environment() []string {
	b := &m.envBlock
	b.mu.Lock()
	defer b.mu.Unlock()
	return m.environmentLocked()
}

func (m *Manager) environmentLocked() []string {
	b := &m.envBlock
	var out []string
	for _, kv := range m.cfg.Env {
		name, _, _ := strings.Cut(kv, "=")
		if !slices.Contains(b.unset, name) {
			out = unitconf.SetEnv(out, kv)
		}
	}
	for _, kv := range b.set {
		out = unitconf.SetEnv(out, kv)
	}
	return out
}

// SetEnvironment adds NAME=VALUE assignments to the block, replacing
// earlier values; nothing changes if one is invalid.
func (m *Manager) SetEnvironment(assignments []string) error {
	for _, kv := range assignments {
		if !unit.ValidEnvAssignment(kv) {
			return fmt.Errorf("%w: Invalid environment assignments", errInvalid)
		}
	}
	b := &m.envBlock
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, kv := range assignments {
		b.set = unitconf.SetEnv(b.set, kv)
	}
	slices.Sort(b.set)
	return nil
}

// UnsetEnvironment removes variables from the block: a NAME removes it
// whatever its value, NAME=VALUE only with that value; nothing changes if
// one is invalid.
func (m *Manager) UnsetEnvironment(names []string) error {
	for _, n := range names {
		if !unit.ValidEnvName(n) && !unit.ValidEnvAssignment(n) {
			return fmt.Errorf("%w: Invalid environment variable names or assignments", errInvalid)
		}
	}
	b := &m.envBlock
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, kv := range m.environmentLocked() {
		if !envMatches(kv, names) {
			continue
		}
		name, _, _ := strings.Cut(kv, "=")
		b.set = slices.DeleteFunc(b.set, func(s string) bool { return strings.HasPrefix(s, name+"=") })
		if !slices.Contains(b.unset, name) {
			b.unset = append(b.unset, name)
		}
	}
	return nil
}

// envMatches reports whether the assignment kv is named by one of
// patterns: a NAME, or the whole NAME=VALUE.
func envMatches(kv string, patterns []string) bool {
	name, _, _ := strings.Cut(kv, "=")
	for _, p := range patterns {
		if p == name || p == kv {
			return true
		}
	}
	return false
}
