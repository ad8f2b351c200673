// Package unit implements systemd unit-file syntax: unit names, the
// INI-like file format, drop-in merging, ExecStart= command lines,
// %-specifiers and loading units from search directories.
package unit

import (
	"errors"
	"fmt"
	"strings"
)

// MaxNameLength is the longest unit name accepted, matching systemd's
// limit (256 bytes including the terminating NUL).
const MaxNameLength = 255

// ErrInvalidName is wrapped by every name validation error.
var ErrInvalidName = errors.New("invalid unit name")

// unitTypes lists the type suffixes a unit name may carry.
var unitTypes = map[string]bool{
	"service":   true,
	"socket":    true,
	"target":    true,
	"slice":     true,
	"scope":     true,
	"mount":     true,
	"timer":     true,
	"path":      true,
	"device":    true,
	"swap":      true,
	"automount": true,
}

// IsValidType reports whether t is a known unit type suffix (without dot).
func IsValidType(t string) bool { return unitTypes[t] }

// Name is a parsed unit name.
//
//	"capsule@tatze.service" -> {Prefix: "capsule", Instance: "tatze", Type: "service"}
//	"basic.target"          -> {Prefix: "basic", Type: "target"}
//	"capsule@.service"      -> {Prefix: "capsule", Type: "service"}, IsTemplate() == true
type Name struct {
	Prefix, Instance, Type string

	// template records the '@' of a template name, which is otherwise
	// indistinguishable from a plain name because its instance is empty.
	template bool
}

// nameChar reports whether c may appear in a unit name (excluding '@',
// which is handled separately because of its structural meaning).
func nameChar(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	case c == ':', c == '_', c == '.', c == '-', c == '\\':
		return true
	}
	return false
}

func invalidName(s, format string, args ...any) error {
	return fmt.Errorf("%w %q: %s", ErrInvalidName, s, fmt.Sprintf(format, args...))
}

// ParseName validates s as a unit name and splits it into its parts.
func ParseName(s string) (Name, error) {
	if s == "" {
		return Name{}, fmt.Errorf("%w: empty name", ErrInvalidName)
	}
	if len(s) > MaxNameLength {
		return Name{}, invalidName(s[:20]+"...", "name is %d characters long, maximum is %d", len(s), MaxNameLength)
	}
	dot := strings.LastIndexByte(s, '.')
	if dot < 0 {
		return Name{}, invalidName(s, "missing type suffix (e.g. \".service\")")
	}
	typ := s[dot+1:]
	if !unitTypes[typ] {
		return Name{}, invalidName(s, "unknown unit type %q", typ)
	}
	base := s[:dot]
	at := -1
	for i := 0; i < len(base); i++ {
		c := base[i]
		if c == '@' {
			if at >= 0 {
				return Name{}, invalidName(s, "more than one '@'")
			}
			at = i
			continue
		}
		if !nameChar(c) {
			return Name{}, invalidName(s, "character %q at offset %d is not allowed", c, i)
		}
	}
	if at < 0 {
		if base == "" {
			return Name{}, invalidName(s, "empty name before type suffix")
		}
		return Name{Prefix: base, Type: typ}, nil
	}
	n := Name{Prefix: base[:at], Instance: base[at+1:], Type: typ}
	if n.Prefix == "" {
		return Name{}, invalidName(s, "empty prefix before '@'")
	}
	n.template = n.Instance == ""
	return n, nil
}

// String formats the name back into its canonical form.
func (n Name) String() string {
	switch {
	case n.Instance != "":
		return n.Prefix + "@" + n.Instance + "." + n.Type
	case n.template:
		return n.Prefix + "@." + n.Type
	default:
		return n.Prefix + "." + n.Type
	}
}

// IsTemplate reports whether the name is a template such as "foo@.service".
func (n Name) IsTemplate() bool { return n.template && n.Instance == "" }

// IsInstance reports whether the name is an instance such as "foo@bar.service".
func (n Name) IsInstance() bool { return n.Instance != "" }

// Template returns the template a name belongs to ("foo@.service" for
// "foo@bar.service" and for "foo@.service"), or "" for plain names.
func (n Name) Template() string {
	if !n.IsInstance() && !n.IsTemplate() {
		return ""
	}
	return n.Prefix + "@." + n.Type
}

// Instantiate fills instance into a template name such as "foo@.service".
// The instance must already be escaped (see Escape).
func Instantiate(template, instance string) (string, error) {
	n, err := ParseName(template)
	if err != nil {
		return "", fmt.Errorf("instantiate: %w", err)
	}
	if !n.IsTemplate() {
		return "", fmt.Errorf("instantiate: %q is not a template name", template)
	}
	if instance == "" {
		return "", fmt.Errorf("instantiate %q: empty instance", template)
	}
	n.Instance = instance
	n.template = false
	s := n.String()
	// Re-validating covers bad characters, a second '@' and the length limit.
	if _, err := ParseName(s); err != nil {
		return "", fmt.Errorf("instantiate %q with %q: %w", template, instance, err)
	}
	return s, nil
}

// escapeKeep reports whether Escape may leave c unchanged.
func escapeKeep(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	case c == ':', c == '_', c == '.':
		return true
	}
	return false
}

const hexDigits = "0123456789abcdef"

// Escape encodes an arbitrary string for use in a unit name the way
// systemd-escape does: '/' becomes '-', a leading '.' and every byte
// outside [A-Za-z0-9:_.] become \xNN.
func Escape(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '/':
			b.WriteByte('-')
		case escapeKeep(c) && (c != '.' || i > 0):
			b.WriteByte(c)
		default:
			b.WriteString(`\x`)
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&0xf])
		}
	}
	return b.String()
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// Unescape reverses Escape: '-' becomes '/' and \xNN becomes the byte NN.
func Unescape(s string) (string, error) {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '-':
			b.WriteByte('/')
		case '\\':
			if i+3 >= len(s) || s[i+1] != 'x' {
				return "", fmt.Errorf("unescape %q: invalid escape at offset %d", s, i)
			}
			hi, ok1 := unhex(s[i+2])
			lo, ok2 := unhex(s[i+3])
			if !ok1 || !ok2 {
				return "", fmt.Errorf("unescape %q: invalid hex escape at offset %d", s, i)
			}
			b.WriteByte(hi<<4 | lo)
			i += 3
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}
