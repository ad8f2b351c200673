package process

import (
	"slices"
	"strings"
)

// Env is an ordered environment where later assignments win.
type Env struct {
	keys []string
	vals map[string]string
}

// NewEnv returns an environment holding base (KEY=VALUE entries).
func NewEnv(base []string) *Env {
	e := &Env{vals: map[string]string{}}
	for _, kv := range base {
		e.Add(kv)
	}
	return e
}

// Add sets a KEY=VALUE entry.
func (e *Env) Add(kv string) {
	k, v, _ := strings.Cut(kv, "=")
	e.Set(k, v)
}

// Set sets k, keeping its place if it is already set.
func (e *Env) Set(k, v string) {
	if _, ok := e.vals[k]; !ok {
		e.keys = append(e.keys, k)
	}
	e.vals[k] = v
}

// Get returns the value of k, empty if unset.
func (e *Env) Get(k string) string { return e.vals[k] }

// List returns the entries in the order they were first set.
func (e *Env) List() []string {
	out := make([]string, 0, len(e.keys))
	for _, k := range e.keys {
		out = append(out, k+"="+e.vals[k])
	}
	return out
}

// Unset removes the variables patterns name: a NAME removes it whatever
// its value, NAME=VALUE only with that value (UnsetEnvironment=).
func (e *Env) Unset(patterns []string) {
	if len(patterns) == 0 {
		return
	}
	keys := e.keys[:0]
	for _, k := range e.keys {
		if slices.Contains(patterns, k) || slices.Contains(patterns, k+"="+e.vals[k]) {
			delete(e.vals, k)
			continue
		}
		keys = append(keys, k)
	}
	e.keys = keys
}
