package unit

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
)

// ErrUnknownSpecifier is wrapped when a value uses an unsupported %-specifier.
var ErrUnknownSpecifier = errors.New("unknown specifier")

// Specifiers holds the values %-specifiers in unit files expand to.
// Fields left empty expand to the empty string, except TempDir and
// VarTempDir, which default to "/tmp" and "/var/tmp".
type Specifiers struct {
	// Name is the full unit name. It provides %n, %N (name without type
	// suffix), %p / %P (prefix, unescaped), %i / %I (instance, unescaped),
	// %j / %J (last dash-separated component of the prefix, unescaped) and
	// %f ("/" plus the unescaped instance, or prefix if there is none).
	Name string

	User, UID, Home, Shell string // %u %U %h %s
	Group, GID             string // %g %G

	RuntimeDir, StateDir, CacheDir, LogsDir, ConfigDir string // %t %S %C %L %E

	Hostname, MachineID, BootID string // %H (%l is its first label) %m %b

	TempDir    string // %T, default "/tmp"
	VarTempDir string // %V, default "/var/tmp"

	DataDir        string // %D
	CredentialsDir string // %d is this directory, then the unit's name
	Fragment       string // %y, its directory %Y

	// Host gives %a %A %B %M %o %q %v %w %W, and %m and %b where
	// MachineID and BootID are empty; called only when one is used.
	Host func() *HostInfo
}

// Expand replaces %-specifiers in v. "%%" yields a single "%"; a lone "%"
// at the very end is kept. Unknown specifiers are an error naming them.
func (s Specifiers) Expand(v string) (string, error) {
	if !strings.Contains(v, "%") {
		return v, nil
	}
	var (
		b      strings.Builder
		name   Name
		parsed bool
	)
	// unitName parses Name only if a name-based specifier is used, so
	// callers without a unit name can still expand the other specifiers.
	unitName := func() (Name, error) {
		if !parsed {
			n, err := ParseName(s.Name)
			if err != nil {
				return Name{}, err
			}
			name, parsed = n, true
		}
		return name, nil
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c != '%' || i+1 == len(v) {
			b.WriteByte(c)
			continue
		}
		i++
		spec := v[i]
		r, err := s.expandOne(spec, unitName)
		if err != nil {
			return "", fmt.Errorf("expand %%%c in %q: %w", spec, v, err)
		}
		b.WriteString(r)
	}
	return b.String(), nil
}

func (s Specifiers) expandOne(spec byte, unitName func() (Name, error)) (string, error) {
	switch spec {
	case '%':
		return "%", nil
	case 'u':
		return s.User, nil
	case 'U':
		return s.UID, nil
	case 'h':
		return s.Home, nil
	case 's':
		return s.Shell, nil
	case 'g':
		return s.Group, nil
	case 'G':
		return s.GID, nil
	case 't':
		return s.RuntimeDir, nil
	case 'S':
		return s.StateDir, nil
	case 'C':
		return s.CacheDir, nil
	case 'L':
		return s.LogsDir, nil
	case 'E':
		return s.ConfigDir, nil
	case 'H':
		return s.Hostname, nil
	case 'l':
		short, _, _ := strings.Cut(s.Hostname, ".")
		return short, nil
	case 'm':
		if s.MachineID == "" {
			return s.hostSpecifier(spec), nil
		}
		return s.MachineID, nil
	case 'b':
		if s.BootID == "" {
			return s.hostSpecifier(spec), nil
		}
		return s.BootID, nil
	case 'T':
		if s.TempDir == "" {
			return "/tmp", nil
		}
		return s.TempDir, nil
	case 'V':
		if s.VarTempDir == "" {
			return "/var/tmp", nil
		}
		return s.VarTempDir, nil
	case 'D':
		return s.DataDir, nil
	case 'd':
		if s.CredentialsDir == "" {
			return "", nil
		}
		n, err := unitName()
		if err != nil {
			return "", err
		}
		return s.CredentialsDir + "/" + n.String(), nil
	case 'y':
		return s.Fragment, nil
	case 'Y':
		if s.Fragment == "" {
			return "", nil
		}
		return filepath.Dir(s.Fragment), nil
	case 'a', 'A', 'B', 'M', 'o', 'q', 'v', 'w', 'W':
		return s.hostSpecifier(spec), nil
	case 'n', 'N', 'p', 'P', 'i', 'I', 'j', 'J', 'f':
		n, err := unitName()
		if err != nil {
			return "", err
		}
		return nameSpecifier(spec, n)
	}
	return "", fmt.Errorf("%w %%%c", ErrUnknownSpecifier, spec)
}

// hostSpecifier expands the specifiers from Host; the pretty host name
// falls back to the host name, as in systemd.
func (s Specifiers) hostSpecifier(spec byte) string {
	if s.Host == nil {
		if spec == 'q' {
			return s.Hostname
		}
		return ""
	}
	h := s.Host()
	switch spec {
	case 'a':
		return h.Arch
	case 'v':
		return h.KernelRelease
	case 'm':
		return h.MachineID
	case 'b':
		return h.BootID
	case 'q':
		if h.PrettyHostname != "" {
			return h.PrettyHostname
		}
		return s.Hostname
	}
	key := map[byte]string{'A': "IMAGE_VERSION", 'B': "BUILD_ID", 'M': "IMAGE_ID", 'o': "ID", 'w': "VERSION_ID", 'W': "VARIANT_ID"}[spec]
	return h.OSRelease[key]
}

func nameSpecifier(spec byte, n Name) (string, error) {
	switch spec {
	case 'n':
		return n.String(), nil
	case 'N':
		s := n.String()
		return s[:len(s)-len(n.Type)-1], nil
	case 'p':
		return n.Prefix, nil
	case 'P':
		return Unescape(n.Prefix)
	case 'i':
		return n.Instance, nil
	case 'I':
		return Unescape(n.Instance)
	case 'j':
		return lastComponent(n.Prefix), nil
	case 'J':
		return Unescape(lastComponent(n.Prefix))
	case 'f':
		src := n.Prefix
		if n.Instance != "" {
			src = n.Instance
		}
		p, err := Unescape(src)
		if err != nil {
			return "", err
		}
		return "/" + strings.TrimPrefix(p, "/"), nil
	}
	return "", fmt.Errorf("%w %%%c", ErrUnknownSpecifier, spec)
}

// lastComponent returns the part of prefix after its last '-', or the
// whole prefix if it has no dash.
func lastComponent(prefix string) string {
	if i := strings.LastIndexByte(prefix, '-'); i >= 0 {
		return prefix[i+1:]
	}
	return prefix
}
