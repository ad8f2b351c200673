package unitconf

import (
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/capsuled/capsuled/internal/executor"
	"github.com/capsuled/capsuled/internal/unit"
)

// Sandbox is the sandboxing part of systemd.exec(5) beyond ProtectSystem=,
// ProtectHome=, PrivateTmp= and the Restrict* settings of Service.
type Sandbox struct {
	// Path lists as written, each path possibly prefixed with "-"
	// (missing is fine) and "+" (relative to the unit's root).
	ReadWritePaths, ReadOnlyPaths, InaccessiblePaths []string
	BindPaths, BindReadOnlyPaths                     []BindPath
	TemporaryFileSystem                              []TmpfsPath

	CapabilityBoundingSet uint64 // default: every capability
	AmbientCapabilities   uint64
	boundingSet, ambient  bool // a line came before

	// SyscallFilter maps system calls to the errno they fail with (-1:
	// SyscallErrorNumber); SyscallAllow makes it an allow-list.
	SyscallFilter      map[string]int
	SyscallAllow       bool
	SyscallErrorNumber int // -1: kill the process
	SyscallArchs       []string

	LockPersonality, MemoryDenyWriteExecute, RestrictRealtime bool

	// AddressFamilies, when RestrictFamilies, are the families socket(2)
	// takes (FamiliesAllow) or refuses.
	AddressFamilies  []int
	FamiliesAllow    bool
	RestrictFamilies bool

	ProcSubset string // all or pid

	// TmpDisconnected: PrivateTmp=disconnected (capsuled's private /tmp
	// is always a tmpfs of its own, so only show tells the two apart).
	TmpDisconnected bool

	PrivateDevices, PrivateNetwork                                 bool
	ProtectKernelTunables, ProtectKernelModules, ProtectKernelLogs bool
	ProtectControlGroups, ProtectClock, ProtectHostname            bool
}

// BindPath is one BindPaths= or BindReadOnlyPaths= entry.
type BindPath struct {
	Source, Target string
	Optional       bool // "-": a missing source is skipped
	Recursive      bool // rbind (the default) or norbind
}

// TmpfsPath is one TemporaryFileSystem= entry.
type TmpfsPath struct {
	Path, Options string
}

func defaultSandbox() Sandbox {
	return Sandbox{CapabilityBoundingSet: executor.CapAll, SyscallErrorNumber: -1, ProcSubset: "all"}
}

func sbx(c *parseCtx) *Sandbox { return &svc(c).Sandbox }

// words splits a value into words as systemd does, quotes and escapes
// taken.
func words(v string) ([]string, error) {
	cmd, err := unit.ParseCommand("x " + v)
	if err != nil {
		return nil, err
	}
	return cmd.Argv[1:], nil
}

// simplifyAbs checks an absolute path without ".." and returns it
// simplified (no trailing, double or "." components), as systemd takes
// "/etc/freeradius/" for "/etc/freeradius".
func simplifyAbs(p string) (string, bool) {
	if !strings.HasPrefix(p, "/") || slices.Contains(strings.Split(p, "/"), "..") {
		return "", false
	}
	return filepath.Clean(p), true
}

// pathList returns the parser of ReadWritePaths= and its siblings.
func pathList(field func(*Sandbox) *[]string) func(c *parseCtx, v string) error {
	return func(c *parseCtx, v string) error {
		dst := field(sbx(c))
		if v == "" {
			*dst = nil
			return nil
		}
		ws, err := words(v)
		if err != nil {
			return err
		}
		for _, w := range ws {
			p := strings.TrimLeft(w, "-+")
			if len(w)-len(p) > 2 || strings.Count(w[:len(w)-len(p)], "-") > 1 || strings.Count(w[:len(w)-len(p)], "+") > 1 {
				c.warn("Invalid path, ignoring: %s", w)
				continue
			}
			clean, ok := simplifyAbs(p)
			if !ok {
				c.warn("Not an absolute path, ignoring: %s", w)
				continue
			}
			*dst = append(*dst, w[:len(w)-len(p)]+clean)
		}
		return nil
	}
}

func bindList(field func(*Sandbox) *[]BindPath) func(c *parseCtx, v string) error {
	return func(c *parseCtx, v string) error {
		dst := field(sbx(c))
		if v == "" {
			*dst = nil
			return nil
		}
		ws, err := words(v)
		if err != nil {
			return err
		}
		for _, w := range ws {
			b := BindPath{Recursive: true}
			rest := w
			if r, ok := strings.CutPrefix(rest, "-"); ok {
				b.Optional, rest = true, r
			}
			parts := strings.SplitN(rest, ":", 3)
			b.Source, b.Target = parts[0], parts[0]
			if len(parts) > 1 {
				b.Target = parts[1]
			}
			if len(parts) > 2 {
				switch parts[2] {
				case "rbind", "":
				case "norbind":
					b.Recursive = false
				default:
					c.warn("Invalid option string, ignoring setting: %s", parts[2])
					continue
				}
			}
			src, ok1 := simplifyAbs(b.Source)
			dst2, ok2 := simplifyAbs(b.Target)
			if !ok1 || !ok2 {
				c.warn("Not an absolute path, ignoring: %s", w)
				continue
			}
			b.Source, b.Target = src, dst2
			*dst = append(*dst, b)
		}
		return nil
	}
}

func parseTemporaryFileSystem(c *parseCtx, v string) error {
	s := sbx(c)
	if v == "" {
		s.TemporaryFileSystem = nil
		return nil
	}
	ws, err := words(v)
	if err != nil {
		return err
	}
	for _, w := range ws {
		p, opts, _ := strings.Cut(w, ":")
		p, ok := simplifyAbs(p)
		if !ok {
			c.warn("Not an absolute path, ignoring: %s", w)
			continue
		}
		for _, o := range strings.Split(opts, ",") {
			if o != "" && !tmpfsOption(o) {
				return unsupportedf("TemporaryFileSystem= option %q (capsuled takes ro, rw, size=, nr_inodes=, mode=, nosuid, nodev, noexec)", o)
			}
		}
		s.TemporaryFileSystem = append(s.TemporaryFileSystem, TmpfsPath{Path: p, Options: opts})
	}
	return nil
}

func tmpfsOption(o string) bool {
	k, _, _ := strings.Cut(o, "=")
	return slices.Contains([]string{"ro", "rw", "size", "nr_inodes", "mode", "nosuid", "nodev", "noexec", "suid", "dev", "exec"}, k)
}

// capabilityList returns the parser of CapabilityBoundingSet= or
// AmbientCapabilities=: lines merge by OR, "~" lines by AND NOT; the first
// line replaces the default; an empty value empties the set.
func capabilityList(field func(*Sandbox) (*uint64, *bool)) func(c *parseCtx, v string) error {
	return func(c *parseCtx, v string) error {
		dst, set := field(sbx(c))
		if v == "" {
			*dst, *set = 0, true
			return nil
		}
		rest, invert := strings.CutPrefix(v, "~")
		var sum uint64
		for _, w := range strings.Fields(rest) {
			n, ok := executor.ParseCapability(w)
			if !ok {
				c.warn("Failed to parse capability in bounding/ambient set, ignoring: %s", w)
				continue
			}
			sum |= 1 << n
		}
		switch {
		case !*set && invert:
			*dst = executor.CapAll &^ sum
		case !*set:
			*dst = sum
		case invert:
			*dst &^= sum
		default:
			*dst |= sum
		}
		*set = true
		return nil
	}
}

func parseSyscallFilter(c *parseCtx, v string) error {
	s := sbx(c)
	if v == "" {
		s.SyscallFilter, s.SyscallAllow = nil, false
		return nil
	}
	rest, invert := strings.CutPrefix(v, "~")
	if s.SyscallFilter == nil {
		s.SyscallFilter = map[string]int{}
		s.SyscallAllow = !invert
		if s.SyscallAllow {
			// What every program needs is always allowed.
			names, _ := executor.ExpandSyscalls("@default")
			for _, n := range names {
				s.SyscallFilter[n] = -1
			}
		}
	}
	for _, w := range strings.Fields(rest) {
		name, errName, hasErrno := strings.Cut(w, ":")
		errno := -1
		if hasErrno {
			if !invert {
				c.warn("Allow-listed system calls cannot take error number, ignoring: %s", w)
				continue
			}
			n, ok := executor.ParseErrno(errName)
			if !ok {
				c.warn("Failed to parse errno, ignoring: %s", w)
				continue
			}
			errno = n
		}
		names, ok := executor.ExpandSyscalls(name)
		if !ok {
			c.warn("Failed to parse system call, ignoring: %s", name)
			continue
		}
		for _, n := range names {
			if invert != s.SyscallAllow {
				s.SyscallFilter[n] = errno
			} else {
				delete(s.SyscallFilter, n)
			}
		}
	}
	return nil
}

func parseSyscallErrorNumber(c *parseCtx, v string) error {
	switch v {
	case "", "kill":
		sbx(c).SyscallErrorNumber = -1
		return nil
	case "log":
		return unsupportedf("SystemCallErrorNumber=log (refused system calls are not logged)")
	}
	n, ok := executor.ParseErrno(v)
	if !ok {
		return fmt.Errorf("not an errno name or number")
	}
	sbx(c).SyscallErrorNumber = n
	return nil
}

// archNames are the SystemCallArchitectures= values of the ABIs capsuled's
// filters know.
var archNames = []string{"native", "x86", "x86-64", "x32", "arm", "arm64"}

func parseSyscallArchs(c *parseCtx, v string) error {
	s := sbx(c)
	if v == "" {
		s.SyscallArchs = nil
		return nil
	}
	for _, w := range strings.Fields(v) {
		if !slices.Contains(archNames, w) {
			c.warn("Failed to parse system call architecture, ignoring: %s", w)
			continue
		}
		if !slices.Contains(s.SyscallArchs, w) {
			s.SyscallArchs = append(s.SyscallArchs, w)
		}
	}
	slices.Sort(s.SyscallArchs)
	return nil
}

// NativeOnly reports whether SystemCallArchitectures= leaves only the
// kernel's own ABI (for goarch, as GOARCH).
func (s *Sandbox) NativeOnly(goarch string) bool {
	if len(s.SyscallArchs) == 0 {
		return false
	}
	native := map[string]string{"amd64": "x86-64", "386": "x86", "arm64": "arm64", "arm": "arm"}[goarch]
	for _, a := range s.SyscallArchs {
		if a != "native" && a != native {
			return false
		}
	}
	return true
}

func parseAddressFamilies(c *parseCtx, v string) error {
	s := sbx(c)
	if v == "" {
		s.AddressFamilies, s.FamiliesAllow, s.RestrictFamilies = nil, false, false
		return nil
	}
	if v == "none" {
		s.AddressFamilies, s.FamiliesAllow, s.RestrictFamilies = nil, true, true
		return nil
	}
	rest, invert := strings.CutPrefix(v, "~")
	if !s.RestrictFamilies {
		s.RestrictFamilies, s.FamiliesAllow = true, !invert
	}
	for _, w := range strings.Fields(rest) {
		n, ok := executor.ParseAddressFamily(w)
		if !ok {
			c.warn("Failed to parse address family, ignoring: %s", w)
			continue
		}
		has := slices.Contains(s.AddressFamilies, n)
		switch {
		case invert != s.FamiliesAllow && !has:
			s.AddressFamilies = append(s.AddressFamilies, n)
		case invert == s.FamiliesAllow && has:
			s.AddressFamilies = slices.DeleteFunc(s.AddressFamilies, func(x int) bool { return x == n })
		}
	}
	return nil
}

func parsePrivateTmp(c *parseCtx, v string) error {
	s := svc(c)
	if v == "disconnected" {
		s.PrivateTmp, s.TmpDisconnected = true, true
		return nil
	}
	s.TmpDisconnected = false
	return parseBoolInto(&s.PrivateTmp, v, false)
}

func sbxBool(field func(*Sandbox) *bool) func(c *parseCtx, v string) error {
	return func(c *parseCtx, v string) error { return parseBoolInto(field(sbx(c)), v, false) }
}

// boolOr returns the parser of a boolean setting whose other values
// capsuled does not act on.
func boolOr(field func(*Sandbox) *bool, others ...string) func(c *parseCtx, v string) error {
	return func(c *parseCtx, v string) error {
		if slices.Contains(others, v) {
			return unsupportedf("%s=%s (capsuled takes yes or no)", c.key, v)
		}
		return parseBoolInto(field(sbx(c)), v, false)
	}
}

func parseProcSubset(c *parseCtx, v string) error {
	switch v {
	case "", "all":
		sbx(c).ProcSubset = "all"
	case "pid":
		sbx(c).ProcSubset = "pid"
	default:
		return fmt.Errorf("use all or pid")
	}
	return nil
}

func sandboxDirectives() []Directive {
	paths := func(key, prop string, f func(*Sandbox) *[]string) Directive {
		return Directive{Key: key, Props: []string{prop}, Strict: true, List: true, Parse: pathList(f)}
	}
	b := func(key string, f func(*Sandbox) *bool) Directive {
		return Directive{Key: key, Props: []string{key}, Strict: true, Parse: sbxBool(f)}
	}
	return []Directive{
		paths("ReadWritePaths", "ReadWritePaths", func(s *Sandbox) *[]string { return &s.ReadWritePaths }),
		paths("ReadOnlyPaths", "ReadOnlyPaths", func(s *Sandbox) *[]string { return &s.ReadOnlyPaths }),
		paths("InaccessiblePaths", "InaccessiblePaths", func(s *Sandbox) *[]string { return &s.InaccessiblePaths }),
		paths("ReadWriteDirectories", "ReadWritePaths", func(s *Sandbox) *[]string { return &s.ReadWritePaths }),
		paths("ReadOnlyDirectories", "ReadOnlyPaths", func(s *Sandbox) *[]string { return &s.ReadOnlyPaths }),
		paths("InaccessibleDirectories", "InaccessiblePaths", func(s *Sandbox) *[]string { return &s.InaccessiblePaths }),
		{Key: "BindPaths", Props: []string{"BindPaths"}, Strict: true, List: true, Parse: bindList(func(s *Sandbox) *[]BindPath { return &s.BindPaths })},
		{Key: "BindReadOnlyPaths", Props: []string{"BindReadOnlyPaths"}, Strict: true, List: true, Parse: bindList(func(s *Sandbox) *[]BindPath { return &s.BindReadOnlyPaths })},
		{Key: "TemporaryFileSystem", Props: []string{"TemporaryFileSystem"}, Strict: true, List: true, Parse: parseTemporaryFileSystem},
		{Key: "ProcSubset", Props: []string{"ProcSubset"}, Strict: true, Parse: parseProcSubset},
		b("PrivateDevices", func(s *Sandbox) *bool { return &s.PrivateDevices }),
		b("PrivateNetwork", func(s *Sandbox) *bool { return &s.PrivateNetwork }),
		b("ProtectKernelTunables", func(s *Sandbox) *bool { return &s.ProtectKernelTunables }),
		b("ProtectKernelModules", func(s *Sandbox) *bool { return &s.ProtectKernelModules }),
		b("ProtectKernelLogs", func(s *Sandbox) *bool { return &s.ProtectKernelLogs }),
		{Key: "ProtectControlGroups", Props: []string{"ProtectControlGroups", "ProtectControlGroupsEx"}, Strict: true,
			Parse: boolOr(func(s *Sandbox) *bool { return &s.ProtectControlGroups }, "private", "strict")},
		{Key: "CapabilityBoundingSet", Props: []string{"CapabilityBoundingSet"}, Strict: true, List: true,
			Parse: capabilityList(func(s *Sandbox) (*uint64, *bool) { return &s.CapabilityBoundingSet, &s.boundingSet })},
		{Key: "AmbientCapabilities", Props: []string{"AmbientCapabilities"}, Strict: true, List: true,
			Parse: capabilityList(func(s *Sandbox) (*uint64, *bool) { return &s.AmbientCapabilities, &s.ambient })},
		{Key: "SystemCallFilter", Props: []string{"SystemCallFilter"}, Strict: true, List: true, Parse: parseSyscallFilter},
		{Key: "SystemCallErrorNumber", Props: []string{"SystemCallErrorNumber"}, Strict: true, Parse: parseSyscallErrorNumber},
		{Key: "SystemCallArchitectures", Props: []string{"SystemCallArchitectures"}, Strict: true, List: true, Parse: parseSyscallArchs},
		{Key: "RestrictAddressFamilies", Props: []string{"RestrictAddressFamilies"}, Strict: true, List: true, Parse: parseAddressFamilies},
		b("LockPersonality", func(s *Sandbox) *bool { return &s.LockPersonality }),
		b("MemoryDenyWriteExecute", func(s *Sandbox) *bool { return &s.MemoryDenyWriteExecute }),
		b("RestrictRealtime", func(s *Sandbox) *bool { return &s.RestrictRealtime }),
		b("ProtectClock", func(s *Sandbox) *bool { return &s.ProtectClock }),
		{Key: "ProtectHostname", Props: []string{"ProtectHostname"}, Strict: true,
			Parse: boolOr(func(s *Sandbox) *bool { return &s.ProtectHostname }, "private")},
	}
}

// formatSyscallFilter prints SystemCallFilter= as systemctl show does:
// sorted, "name:ERRNO" where an entry has an errno, "~" first for a
// deny-list.
func formatSyscallFilter(s *Sandbox) string {
	var items []string
	for n, e := range s.SyscallFilter {
		if e >= 0 {
			n += ":" + executor.ErrnoName(e)
		}
		items = append(items, n)
	}
	slices.Sort(items)
	out := strings.Join(items, " ")
	if !s.SyscallAllow {
		out = "~" + out
	}
	return out
}

func formatFamilies(s *Sandbox) string {
	if !s.RestrictFamilies {
		return "~"
	}
	if s.FamiliesAllow && len(s.AddressFamilies) == 0 {
		return "none"
	}
	var names []string
	for _, f := range s.AddressFamilies {
		names = append(names, executor.AddressFamilyName(f))
	}
	slices.Sort(names)
	out := strings.Join(names, " ")
	if !s.FamiliesAllow {
		out = "~" + out
	}
	return out
}

func formatBinds(bs []BindPath) string {
	var out []string
	for _, b := range bs {
		s := b.Source + ":" + b.Target + ":rbind"
		if !b.Recursive {
			s = b.Source + ":" + b.Target + ":norbind"
		}
		if b.Optional {
			s = "-" + s
		}
		out = append(out, s)
	}
	return strings.Join(out, " ")
}

func sandboxProps() []Property {
	s := func(u *Unit) *Sandbox { return &u.Service.Sandbox }
	str := func(name string, f func(*Sandbox) string) Property {
		return Property{Name: name, Format: func(u *Unit) string { return f(s(u)) }}
	}
	boolean := func(name string, f func(*Sandbox) bool) Property {
		return Property{Name: name, Format: func(u *Unit) string { return FormatBool(f(s(u))) }}
	}
	return []Property{
		{Name: "PrivateTmpEx", Format: func(u *Unit) string {
			switch svc := u.Service; {
			case svc.TmpDisconnected || svc.DynamicUser:
				return "disconnected"
			case svc.PrivateTmp:
				return "connected"
			}
			return "no"
		}},
		str("CapabilityBoundingSet", func(s *Sandbox) string { return executor.FormatCapabilities(s.CapabilityBoundingSet) }),
		str("AmbientCapabilities", func(s *Sandbox) string { return executor.FormatCapabilities(s.AmbientCapabilities) }),
		str("ReadWritePaths", func(s *Sandbox) string { return strings.Join(s.ReadWritePaths, " ") }),
		str("ReadOnlyPaths", func(s *Sandbox) string { return strings.Join(s.ReadOnlyPaths, " ") }),
		str("InaccessiblePaths", func(s *Sandbox) string { return strings.Join(s.InaccessiblePaths, " ") }),
		boolean("PrivateDevices", func(s *Sandbox) bool { return s.PrivateDevices }),
		boolean("ProtectClock", func(s *Sandbox) bool { return s.ProtectClock }),
		boolean("ProtectKernelTunables", func(s *Sandbox) bool { return s.ProtectKernelTunables }),
		boolean("ProtectKernelModules", func(s *Sandbox) bool { return s.ProtectKernelModules }),
		boolean("ProtectKernelLogs", func(s *Sandbox) bool { return s.ProtectKernelLogs }),
		boolean("ProtectControlGroups", func(s *Sandbox) bool { return s.ProtectControlGroups }),
		boolean("ProtectControlGroupsEx", func(s *Sandbox) bool { return s.ProtectControlGroups }),
		boolean("PrivateNetwork", func(s *Sandbox) bool { return s.PrivateNetwork }),
		str("SystemCallFilter", formatSyscallFilter),
		str("SystemCallArchitectures", func(s *Sandbox) string { return strings.Join(s.SyscallArchs, " ") }),
		str("SystemCallErrorNumber", func(s *Sandbox) string {
			if s.SyscallErrorNumber < 0 {
				return "2147483646" // systemd's "kill"
			}
			return strconv.Itoa(s.SyscallErrorNumber)
		}),
		boolean("LockPersonality", func(s *Sandbox) bool { return s.LockPersonality }),
		str("RestrictAddressFamilies", formatFamilies),
		boolean("MemoryDenyWriteExecute", func(s *Sandbox) bool { return s.MemoryDenyWriteExecute }),
		boolean("RestrictRealtime", func(s *Sandbox) bool { return s.RestrictRealtime }),
		str("BindPaths", func(s *Sandbox) string { return formatBinds(s.BindPaths) }),
		str("BindReadOnlyPaths", func(s *Sandbox) string { return formatBinds(s.BindReadOnlyPaths) }),
		str("TemporaryFileSystem", func(s *Sandbox) string {
			var out []string
			for _, t := range s.TemporaryFileSystem {
				if t.Options != "" {
					out = append(out, t.Path+":"+t.Options)
				} else {
					out = append(out, t.Path)
				}
			}
			return strings.Join(out, " ")
		}),
		str("ProcSubset", func(s *Sandbox) string { return s.ProcSubset }),
		boolean("ProtectHostname", func(s *Sandbox) bool { return s.ProtectHostname }),
	}
}

// MountSettings lists the settings of s (and of svc's ProtectSystem=,
// ProtectHome=, PrivateTmp=) that need a mount or network namespace of
// the unit's own, by directive name. (ProtectHostname='s UTS namespace is
// skipped without privileges, as systemd does; its filter applies.)
func (svc *Service) MountSettings() []string {
	s := &svc.Sandbox
	var out []string
	add := func(on bool, name string) {
		if on {
			out = append(out, name)
		}
	}
	add(svc.ProtectSystem != "no", "ProtectSystem=")
	add(svc.ProtectHome != "no", "ProtectHome=")
	add(svc.PrivateTmp, "PrivateTmp=")
	add(len(s.ReadWritePaths) > 0, "ReadWritePaths=")
	add(len(s.ReadOnlyPaths) > 0, "ReadOnlyPaths=")
	add(len(s.InaccessiblePaths) > 0, "InaccessiblePaths=")
	add(len(s.BindPaths) > 0, "BindPaths=")
	add(len(s.BindReadOnlyPaths) > 0, "BindReadOnlyPaths=")
	add(len(s.TemporaryFileSystem) > 0, "TemporaryFileSystem=")
	add(s.PrivateDevices, "PrivateDevices=")
	add(s.PrivateNetwork, "PrivateNetwork=")
	add(s.ProtectKernelTunables, "ProtectKernelTunables=")
	add(s.ProtectKernelModules, "ProtectKernelModules=")
	add(s.ProtectKernelLogs, "ProtectKernelLogs=")
	add(s.ProtectControlGroups, "ProtectControlGroups=")
	add(s.ProcSubset == "pid", "ProcSubset=")
	return out
}
