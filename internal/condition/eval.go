package condition

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strconv"
	"strings"
)

// test reports whether the check of c holds, before negation.
func test(c Condition, f Facts) (bool, error) {
	p := c.Param
	switch c.Type {
	case PathExists, PathExistsGlob, PathIsDirectory, PathIsSymbolicLink, PathIsMountPoint,
		PathIsReadWrite, PathIsEncrypted, DirectoryNotEmpty, FileNotEmpty, FileIsExecutable:
		return testPath(c.Type, p), nil
	case NeedsUpdate:
		return needsUpdate(p, f), nil
	case KernelCommandLine:
		words, err := f.KernelCommandLine()
		if err != nil {
			return false, err
		}
		return matchAssignment(words, p), nil
	case Environment:
		return matchAssignment(f.Environment(), p), nil
	case KernelVersion:
		rel, err := f.KernelRelease()
		if err != nil {
			return false, err
		}
		return kernelVersion(p, rel)
	case Credential:
		return credential(p, f), nil
	case Virtualization:
		return virtualization(p, f)
	case Host:
		return host(p, f)
	case Architecture:
		return architecture(p, f)
	case Firmware:
		return firmware(p, f)
	case ACPower:
		want, err := parseBool(p)
		if err != nil {
			return false, err
		}
		on, err := f.OnACPower()
		if err != nil {
			return false, err
		}
		return on == want, nil
	case Security:
		switch p {
		case "selinux", "smack", "apparmor", "audit", "ima", "tomoyo", "uefi-secureboot", "tpm2", "cvm", "measured-uki":
			return f.Security(p)
		}
		return false, nil
	case Capability:
		n, ok := capabilityNumber(p)
		if !ok {
			return false, fmt.Errorf("unknown capability %q", p)
		}
		set, err := f.BoundingSet()
		if err != nil {
			return false, err
		}
		return set&(1<<n) != 0, nil
	case Memory:
		return memory(p, f)
	case CPUs:
		return cpus(p, f)
	case CPUFeature:
		flags, err := f.CPUFlags()
		if err != nil {
			return false, err
		}
		want := strings.ToLower(p)
		for _, fl := range flags {
			if fl == want {
				return true, nil
			}
		}
		return false, nil
	case OSRelease:
		return osRelease(p, f)
	case MemoryPressure, CPUPressure, IOPressure:
		return pressure(c.Type, p, f)
	case FirstBoot:
		want, err := parseBool(p)
		if err != nil {
			return false, err
		}
		return f.FirstBoot() == want, nil
	case User:
		return testUser(p, f), nil
	case Group:
		return testGroup(p, f), nil
	case ControlGroupController:
		return controllers(p, f)
	}
	return false, fmt.Errorf("unsupported check %s", c.Type)
}

// matchAssignment finds p among "NAME=value" words: the whole word when p
// has a "=", else a word that is p or starts with "p=".
func matchAssignment(words []string, p string) bool {
	exact := strings.Contains(p, "=")
	for _, w := range words {
		if w == p || !exact && strings.HasPrefix(w, p+"=") {
			return true
		}
	}
	return false
}

// splitWords splits s at blanks, honouring single and double quotes and
// backslash escapes, as systemd's extract_first_word() with unquoting.
func splitWords(s string, unquote bool) ([]string, error) {
	var words []string
	var b strings.Builder
	in := false
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			switch {
			case c == quote:
				quote = 0
				if !unquote {
					b.WriteByte(c)
				}
			case c == '\\' && unquote && i+1 < len(s):
				i++
				b.WriteByte(s[i])
			default:
				b.WriteByte(c)
			}
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			if in {
				words = append(words, b.String())
				b.Reset()
				in = false
			}
		case (c == '\'' || c == '"') && unquote:
			quote, in = c, true
		case c == '\\' && unquote:
			if i+1 >= len(s) {
				return nil, fmt.Errorf("trailing backslash in %q", s)
			}
			i++
			b.WriteByte(s[i])
			in = true
		default:
			b.WriteByte(c)
			in = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("unterminated quote in %q", s)
	}
	if in {
		words = append(words, b.String())
	}
	return words, nil
}

// kernelVersion checks the release against space-separated expressions that
// must all hold: an operator and a version, or a glob ("5.*").
func kernelVersion(p, release string) (bool, error) {
	words, err := splitWords(p, true)
	if err != nil {
		return false, err
	}
	for i := 0; i < len(words); i++ {
		s := strings.TrimSpace(words[i])
		o, rest, err := parseOp(s, allowGlob|equalString)
		if err != nil {
			return false, err
		}
		if o == opNone {
			o = opGlobEq
		}
		rest = strings.TrimLeft(rest, " \t\n\r")
		if rest == "" {
			// Only the first expression may have its value after a blank.
			if i != 0 || i+1 >= len(words) {
				return false, fmt.Errorf("unexpected end of expression %q", p)
			}
			i++
			rest = words[i]
		}
		ok, err := versionOrGlob(o, release, rest)
		if err != nil || !ok {
			return false, err
		}
	}
	return true, nil
}

// credential reports whether the manager was passed a credential of that
// name (in $CREDENTIALS_DIRECTORY or $ENCRYPTED_CREDENTIALS_DIRECTORY).
func credential(name string, f Facts) bool {
	if name == "" || name == "." || name == ".." || strings.Contains(name, "/") || len(name) > 255 {
		return false
	}
	for _, v := range []string{"CREDENTIALS_DIRECTORY", "ENCRYPTED_CREDENTIALS_DIRECTORY"} {
		dir := lookupEnv(f.Environment(), v)
		if dir == "" || !strings.HasPrefix(dir, "/") {
			continue
		}
		if _, err := os.Lstat(dir + "/" + name); err == nil {
			return true
		}
	}
	return false
}

func lookupEnv(env []string, name string) string {
	for _, e := range env {
		if v, ok := strings.CutPrefix(e, name+"="); ok {
			return v
		}
	}
	return ""
}

var vmIDs = []string{
	"kvm", "amazon", "qemu", "bochs", "xen", "uml", "vmware", "oracle", "microsoft", "zvm",
	"parallels", "bhyve", "qnx", "acrn", "powervm", "apple", "sre", "google", "vm-other",
}

// IsVM and IsContainer classify a virtualization ID.
func IsVM(id string) bool { return slices.Contains(vmIDs, id) }

// IsContainer reports whether id names a container manager.
func IsContainer(id string) bool { return id != "" && id != "none" && !slices.Contains(vmIDs, id) }

func virtualization(p string, f Facts) (bool, error) {
	if p == "private-users" {
		return f.InUserNamespace()
	}
	v, err := f.Virtualization()
	if err != nil {
		return false, err
	}
	if b, err := parseBool(p); err == nil {
		return b == (v != "none"), nil
	}
	switch p {
	case "vm":
		return IsVM(v), nil
	case "container":
		return IsContainer(v), nil
	}
	return v != "none" && p == v, nil
}

// isHexID reports whether s is a 128-bit ID as systemd writes them: 32 hex
// digits, or the same in the 8-4-4-4-12 UUID form.
func isHexID(s string) bool {
	isHex := func(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }
	switch len(s) {
	case 32:
		for i := 0; i < len(s); i++ {
			if !isHex(s[i]) {
				return false
			}
		}
		return true
	case 36:
		for i := 0; i < len(s); i++ {
			if i == 8 || i == 13 || i == 18 || i == 23 {
				if s[i] != '-' {
					return false
				}
			} else if !isHex(s[i]) {
				return false
			}
		}
		return true
	}
	return false
}

// host matches the hostname against a glob (case-insensitively), or a
// machine ID, boot ID or product UUID.
func host(p string, f Facts) (bool, error) {
	if isHexID(p) {
		want := strings.ToLower(strings.ReplaceAll(p, "-", ""))
		for _, get := range []func() (string, error){f.MachineID, f.BootID, f.ProductUUID} {
			if id, err := get(); err == nil && id == want {
				return true, nil
			}
		}
	}
	h, err := f.Hostname()
	if err != nil {
		return false, err
	}
	return fnmatch(p, h, true)
}

func memory(p string, f Facts) (bool, error) {
	have, err := f.PhysicalMemory()
	if err != nil {
		return false, err
	}
	o, rest, _ := parseOp(p, 0)
	if o == opNone {
		o = opGe
	}
	want, err := parseSize(rest)
	if err != nil {
		return false, err
	}
	return order(cmp(have, want), o)
}

func cpus(p string, f Facts) (bool, error) {
	n, err := f.CPUs()
	if err != nil {
		return false, fmt.Errorf("CPUs in affinity mask: %w", err)
	}
	o, rest, _ := parseOp(p, 0)
	if o == opNone {
		o = opGe
	}
	want, err := strconv.ParseUint(strings.TrimLeft(rest, " \t\n\r"), 10, 32)
	if err != nil {
		return false, fmt.Errorf("number of CPUs %q: %w", rest, err)
	}
	return order(cmp(uint64(n), want), o)
}

func validEnvName(s string) bool {
	if s == "" || isDigit(s[0]) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isDigit(c) && !isAlpha(c) && c != '_' {
			return false
		}
	}
	return true
}

// osRelease checks KEY<op>VALUE expressions, all of which must hold, against
// os-release; a missing key compares as "".
func osRelease(p string, f Facts) (bool, error) {
	words, err := splitWords(p, true)
	if err != nil {
		return false, err
	}
	var rel map[string]string
	for _, w := range words {
		k := strings.IndexAny(w, "!<=>$")
		if k <= 0 || !validEnvName(w[:k]) {
			return false, fmt.Errorf("%q: key/value format expected", w)
		}
		o, val, err := parseOp(w[k:], allowGlob|equalString)
		if err != nil || o == opNone || val == "" || strings.ContainsAny(val[:1], " \t\n\r") {
			return false, fmt.Errorf("%q: key/value format expected", w)
		}
		if rel == nil {
			if rel, err = f.OSRelease(); err != nil {
				return false, fmt.Errorf("os-release: %w", err)
			}
		}
		ok, err := versionOrGlob(o, rel[w[:k]], val)
		if err != nil || !ok {
			return false, err
		}
	}
	return true, nil
}

func firmware(p string, f Facts) (bool, error) {
	switch {
	case p == "device-tree":
		return f.DeviceTree(), nil
	case p == "uefi":
		return f.EFIBoot(), nil
	case strings.HasPrefix(p, "device-tree-compatible("):
		arg := p[len("device-tree-compatible("):]
		end := strings.LastIndexByte(arg, ')')
		if end < 0 || end != len(arg)-1 {
			return false, nil
		}
		list, err := f.DeviceTreeCompatible()
		if err != nil {
			return false, nil
		}
		for _, s := range list {
			if s == arg[:end] {
				return true, nil
			}
		}
		return false, nil
	case strings.HasPrefix(p, "smbios-field("):
		arg := p[len("smbios-field("):]
		end := strings.LastIndexByte(arg, ')')
		if end < 0 || end != len(arg)-1 {
			return false, fmt.Errorf("malformed ConditionFirmware=%s", p)
		}
		return smbiosField(arg[:end], f)
	}
	return false, nil
}

func smbiosField(expr string, f Facts) (bool, error) {
	k := strings.IndexAny(expr, "!<=>$")
	if k <= 0 {
		return false, fmt.Errorf("smbios-field(%s): malformed", expr)
	}
	field := strings.TrimRight(expr[:k], " \t\n\r")
	o, rest, err := parseOp(expr[k:], allowGlob|equalString)
	if err != nil || o == opNone {
		return false, fmt.Errorf("smbios-field(%s): bad operator", expr)
	}
	words, err := splitWords(rest, true)
	if err != nil || len(words) != 1 {
		return false, fmt.Errorf("smbios-field(%s): one value expected", expr)
	}
	if field == "" || field == "." || field == ".." || strings.Contains(field, "/") {
		return false, fmt.Errorf("smbios-field(%s): invalid field name", expr)
	}
	v, err := f.SMBIOSField(field)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return versionOrGlob(o, strings.TrimRight(v, " \t\n\r"), words[0])
}

// pressure checks "[SLICE:]PERCENT[/TIMESPAN]" against the system's PSI
// averages (300 s by default). Without PSI the check holds, as in systemd.
func pressure(t Type, p string, f Facts) (bool, error) {
	res := map[Type]string{MemoryPressure: "memory", CPUPressure: "cpu", IOPressure: "io"}[t]
	if strings.Contains(p, ":") {
		return false, fmt.Errorf("pressure of a slice (%q) is not supported", p)
	}
	val, span, hasSpan := strings.Cut(p, "/")
	idx := 2
	if hasSpan {
		switch s := strings.TrimLeft(span, " \t\n\r"); {
		case strings.HasPrefix(s, "10sec"):
			idx = 0
		case strings.HasPrefix(s, "1min"):
			idx = 1
		case strings.HasPrefix(s, "5min"):
			idx = 2
		default:
			return false, fmt.Errorf("%q: unknown time span", p)
		}
	}
	val = strings.TrimSpace(val)
	num, ok := strings.CutSuffix(val, "%")
	if !ok {
		return false, fmt.Errorf("%q: percentage expected", p)
	}
	limit, err := strconv.ParseFloat(num, 64)
	if err != nil || limit < 0 || limit > 100 {
		return false, fmt.Errorf("%q: percentage expected", p)
	}
	avg, ok, err := f.Pressure(res)
	if err != nil {
		return false, err
	}
	if !ok {
		return true, nil
	}
	return avg[idx] <= limit, nil
}

func isSystemUID(u uint32) bool { return u <= 999 }

func testUser(p string, f Facts) bool {
	c := f.Credentials()
	switch p {
	case "root":
		return c.UID == 0 || c.EUID == 0
	case "nobody":
		return c.UID == 65534 || c.EUID == 65534
	case "@system":
		return isSystemUID(c.UID) || isSystemUID(c.EUID)
	}
	if id, err := strconv.ParseUint(p, 10, 32); err == nil && id != 0xffffffff {
		return uint32(id) == c.UID || uint32(id) == c.EUID
	}
	if c.UserName != "" && c.UserName == p {
		return true
	}
	id, ok := f.LookupUser(p)
	return ok && (id == c.UID || id == c.EUID)
}

func inGroup(gid uint32, c Credentials) bool {
	if gid == c.GID || gid == c.EGID {
		return true
	}
	for _, g := range c.Groups {
		if g == gid {
			return true
		}
	}
	return false
}

func testGroup(p string, f Facts) bool {
	c := f.Credentials()
	if id, err := strconv.ParseUint(p, 10, 32); err == nil && id != 0xffffffff {
		return inGroup(uint32(id), c)
	}
	id, ok := f.LookupGroup(p)
	return ok && inGroup(id, c)
}

// knownControllers are the names systemd's cgroup masks know.
var knownControllers = []string{
	"cpu", "cpuacct", "cpuset", "io", "blkio", "memory", "devices", "pids", "bpf-firewall",
	"bpf-devices", "bpf-foreign", "bpf-socket-bind", "bpf-restrict-network-interfaces",
}

func controllers(p string, f Facts) (bool, error) {
	switch p {
	case "v2", "v1":
		unified, err := f.CgroupUnified()
		if err != nil {
			return false, err
		}
		return unified == (p == "v2"), nil
	}
	have, err := f.CgroupControllers()
	if err != nil {
		return false, fmt.Errorf("supported controllers: %w", err)
	}
	var want []string
	for _, w := range strings.Fields(p) {
		if slices.Contains(knownControllers, w) {
			want = append(want, w)
		}
	}
	if len(want) == 0 {
		// Nothing systemd knows: it lets the check pass.
		return true, nil
	}
	set := map[string]bool{}
	for _, c := range have {
		set[c] = true
	}
	for _, w := range want {
		if !set[w] {
			return false, nil
		}
	}
	return true, nil
}
