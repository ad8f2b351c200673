package unit

import (
	"fmt"
	"strings"
)

// Options is the merged view of a unit fragment and its drop-ins. Entries
// keep their application order, so later assignments override earlier ones.
// The zero value is empty and ready to use.
type Options struct {
	entries []Entry
}

// NewOptions returns Options holding the entries of files, in order.
func NewOptions(files ...*File) *Options {
	o := &Options{}
	for _, f := range files {
		o.Add(f)
	}
	return o
}

// Add appends all entries of f after the ones already present.
func (o *Options) Add(f *File) {
	if f == nil {
		return
	}
	o.entries = append(o.entries, f.Entries...)
}

// AddEntry appends a single entry, e.g. for settings made programmatically.
func (o *Options) AddEntry(e Entry) {
	o.entries = append(o.entries, e)
}

// Entries returns a copy of all entries in application order.
func (o *Options) Entries() []Entry {
	if o == nil {
		return nil
	}
	return append([]Entry(nil), o.entries...)
}

// Section returns the entries of one section in application order.
func (o *Options) Section(section string) []Entry {
	if o == nil {
		return nil
	}
	var out []Entry
	for _, e := range o.entries {
		if e.Section == section {
			out = append(out, e)
		}
	}
	return out
}

// HasSection reports whether any entry belongs to section.
func (o *Options) HasSection(section string) bool {
	if o == nil {
		return false
	}
	for _, e := range o.entries {
		if e.Section == section {
			return true
		}
	}
	return false
}

// Lookup returns the last assignment of key in section, which is the one
// that takes effect for single-valued settings. The entry carries file and
// line for error messages.
func (o *Options) Lookup(section, key string) (Entry, bool) {
	if o == nil {
		return Entry{}, false
	}
	for i := len(o.entries) - 1; i >= 0; i-- {
		if e := o.entries[i]; e.Section == section && e.Key == key {
			return e, true
		}
	}
	return Entry{}, false
}

// Get returns the value of the last assignment of key in section. An empty
// assignment counts as set, returning ("", true).
func (o *Options) Get(section, key string) (string, bool) {
	e, ok := o.Lookup(section, key)
	return e.Value, ok
}

// List returns the values of all assignments of key in section in order.
// An empty assignment discards everything assigned before it, which is how
// unit files reset list settings inherited from earlier files.
func (o *Options) List(section, key string) []string {
	if o == nil {
		return nil
	}
	var out []string
	for _, e := range o.entries {
		if e.Section != section || e.Key != key {
			continue
		}
		if e.Value == "" {
			out = out[:0]
			continue
		}
		out = append(out, e.Value)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// ListFields is List with every value split into whitespace-separated
// words, for settings such as After= or Wants= that take several names per
// line.
func (o *Options) ListFields(section, key string) []string {
	var out []string
	for _, v := range o.List(section, key) {
		out = append(out, strings.Fields(v)...)
	}
	return out
}

// Bool returns the boolean value of key in section, or def when the key is
// unset or assigned the empty string (which resets it to the default).
func (o *Options) Bool(section, key string, def bool) (bool, error) {
	e, ok := o.Lookup(section, key)
	if !ok || e.Value == "" {
		return def, nil
	}
	b, err := ParseBool(e.Value)
	if err != nil {
		return def, fmt.Errorf("%s:%d: [%s] %s=: %w", e.File, e.Line, section, key, err)
	}
	return b, nil
}

// ParseBool accepts the boolean spellings systemd accepts, ignoring case.
func ParseBool(s string) (bool, error) {
	switch strings.ToLower(s) {
	case "1", "yes", "y", "true", "t", "on":
		return true, nil
	case "0", "no", "n", "false", "f", "off":
		return false, nil
	}
	return false, fmt.Errorf("invalid boolean %q", s)
}
