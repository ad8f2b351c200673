// Package condition parses and evaluates the Condition…= and Assert…=
// settings of units as systemd.unit(5) describes them (systemd 257).
//
// A Condition is parsed once when the unit is loaded; a List is evaluated
// each time the unit is about to start, against Facts about the host and
// the manager (its hostname, kernel, credentials, environment, …). Paths are
// looked up directly, in the caller's own view of the file system: a
// capsule's manager, which runs inside its sandbox, sees the sandbox.
package condition

import (
	"errors"
	"fmt"
	"strings"
)

// Type is the kind of a check; a condition and its assert twin share it.
type Type int

// The checks systemd 257 knows, in the order of its own table.
const (
	Architecture Type = iota
	Firmware
	Virtualization
	Host
	KernelCommandLine
	KernelVersion
	Credential
	Security
	Capability
	ACPower
	Memory
	CPUs
	Environment
	CPUFeature
	OSRelease
	MemoryPressure
	CPUPressure
	IOPressure
	NeedsUpdate
	FirstBoot
	PathExists
	PathExistsGlob
	PathIsDirectory
	PathIsSymbolicLink
	PathIsMountPoint
	PathIsReadWrite
	PathIsEncrypted
	DirectoryNotEmpty
	FileNotEmpty
	FileIsExecutable
	User
	Group
	ControlGroupController
	numTypes
)

// suffixes are the names after "Condition"/"Assert", indexed by Type.
var suffixes = [numTypes]string{
	Architecture:           "Architecture",
	Firmware:               "Firmware",
	Virtualization:         "Virtualization",
	Host:                   "Host",
	KernelCommandLine:      "KernelCommandLine",
	KernelVersion:          "KernelVersion",
	Credential:             "Credential",
	Security:               "Security",
	Capability:             "Capability",
	ACPower:                "ACPower",
	Memory:                 "Memory",
	CPUs:                   "CPUs",
	Environment:            "Environment",
	CPUFeature:             "CPUFeature",
	OSRelease:              "OSRelease",
	MemoryPressure:         "MemoryPressure",
	CPUPressure:            "CPUPressure",
	IOPressure:             "IOPressure",
	NeedsUpdate:            "NeedsUpdate",
	FirstBoot:              "FirstBoot",
	PathExists:             "PathExists",
	PathExistsGlob:         "PathExistsGlob",
	PathIsDirectory:        "PathIsDirectory",
	PathIsSymbolicLink:     "PathIsSymbolicLink",
	PathIsMountPoint:       "PathIsMountPoint",
	PathIsReadWrite:        "PathIsReadWrite",
	PathIsEncrypted:        "PathIsEncrypted",
	DirectoryNotEmpty:      "DirectoryNotEmpty",
	FileNotEmpty:           "FileNotEmpty",
	FileIsExecutable:       "FileIsExecutable",
	User:                   "User",
	Group:                  "Group",
	ControlGroupController: "ControlGroupController",
}

// String returns the name without its Condition/Assert prefix.
func (t Type) String() string {
	if t < 0 || t >= numTypes {
		return fmt.Sprintf("Type(%d)", int(t))
	}
	return suffixes[t]
}

// TakesPath reports whether the parameter is an absolute path, which systemd
// checks (and simplifies) when the unit is loaded.
func (t Type) TakesPath() bool {
	switch t {
	case PathExists, PathExistsGlob, PathIsDirectory, PathIsSymbolicLink, PathIsMountPoint,
		PathIsReadWrite, PathIsEncrypted, DirectoryNotEmpty, FileNotEmpty, FileIsExecutable,
		NeedsUpdate:
		return true
	}
	return false
}

// Condition is one Condition…= or Assert…= assignment.
type Condition struct {
	Type    Type
	Assert  bool // an Assert…= setting: failing it fails the start job
	Trigger bool // "|": at least one of the triggering checks of a list must hold
	Negate  bool // "!": the check must not hold
	Param   string
}

// Name is the setting's name, e.g. "ConditionPathExists".
func (c Condition) Name() string {
	if c.Assert {
		return "Assert" + c.Type.String()
	}
	return "Condition" + c.Type.String()
}

// String is the assignment as systemd prints it, e.g.
// "ConditionPathExists=|!/x".
func (c Condition) String() string {
	return c.Name() + "=" + c.prefixes() + c.Param
}

func (c Condition) prefixes() string {
	s := ""
	if c.Trigger {
		s += "|"
	}
	if c.Negate {
		s += "!"
	}
	return s
}

// ErrUnknown is returned by Parse for a key that names no condition or assert.
var ErrUnknown = errors.New("unknown condition or assert")

// ErrEmpty is returned by Parse for an empty value: in a unit file it resets
// the list (see List.Set).
var ErrEmpty = errors.New("empty assignment")

// Lookup resolves a setting name such as "AssertHost" to its type.
func Lookup(key string) (t Type, assert bool, ok bool) {
	var rest string
	switch {
	case strings.HasPrefix(key, "Condition"):
		rest = key[len("Condition"):]
	case strings.HasPrefix(key, "Assert"):
		rest, assert = key[len("Assert"):], true
	default:
		return 0, false, false
	}
	for i, s := range suffixes {
		if s == rest {
			return Type(i), assert, true
		}
	}
	return 0, false, false
}

// IsKey reports whether key is a Condition…= or Assert…= setting.
func IsKey(key string) bool {
	_, _, ok := Lookup(key)
	return ok
}

// Parse parses one assignment whose specifiers the caller has expanded.
// Like systemd it refuses only what systemd drops when it loads a unit (an
// unknown key, a path that is not absolute or not normal); a parameter that
// cannot be understood is accepted and makes the check fail when it is
// evaluated, with Result.Err saying why.
func Parse(key, value string) (Condition, error) {
	t, assert, ok := Lookup(key)
	if !ok {
		return Condition{}, fmt.Errorf("%s: %w", key, ErrUnknown)
	}
	c := Condition{Type: t, Assert: assert}
	if value == "" {
		return c, fmt.Errorf("%s: %w", key, ErrEmpty)
	}
	if t.TakesPath() {
		// Path settings take the prefixes with no blanks after them.
		if strings.HasPrefix(value, "|") {
			c.Trigger, value = true, value[1:]
		}
		if strings.HasPrefix(value, "!") {
			c.Negate, value = true, value[1:]
		}
		p, err := simplifyPath(value)
		if err != nil {
			return Condition{}, fmt.Errorf("%s= %w", key, err)
		}
		c.Param = p
		return c, nil
	}
	if strings.HasPrefix(value, "|") {
		c.Trigger, value = true, strings.TrimLeft(value[1:], " \t\n\r")
	}
	if strings.HasPrefix(value, "!") {
		c.Negate, value = true, strings.TrimLeft(value[1:], " \t\n\r")
	}
	c.Param = value
	return c, nil
}

// simplifyPath checks and normalises a path parameter as systemd does when it
// loads a unit: absolute, no "..", at most PATH_MAX; duplicate slashes, "."
// and a trailing slash are dropped.
func simplifyPath(p string) (string, error) {
	if !strings.HasPrefix(p, "/") {
		return "", fmt.Errorf("path is not absolute, ignoring: %s", p)
	}
	var parts []string
	for _, e := range strings.Split(p, "/") {
		switch e {
		case "", ".":
			continue
		case "..":
			return "", fmt.Errorf("path is not normalized, ignoring: %s", p)
		}
		if len(e) > 255 {
			return "", fmt.Errorf("path has invalid length (%d bytes), ignoring", len(p))
		}
		parts = append(parts, e)
	}
	s := "/" + strings.Join(parts, "/")
	if len(s) >= 4096 {
		return "", fmt.Errorf("path has invalid length (%d bytes), ignoring", len(s))
	}
	return s, nil
}

// Names lists the checks by their names without the Condition/Assert
// prefix ("PathExists", …), in systemd's order.
func Names() []string { return append([]string(nil), suffixes[:]...) }
