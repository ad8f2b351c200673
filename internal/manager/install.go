package manager

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/capsuled/capsuled/internal/unit"
)

// Change is one file system change made by Enable or Disable.
type Change struct {
	Type   string // symlink or unlink
	Path   string
	Source string // a symlink's target
}

// Enable adds the symlinks the unit's [Install] section asks for to the
// manager's configuration directory, as systemctl enable does. Every unit
// of the Also= chain is checked before any link is made: as systemctl 257,
// an Also= naming a missing unit leaves the unit asked for disabled.
func (m *Manager) Enable(name string) ([]Change, error) {
	var links []installLink
	if err := m.planEnable(name, false, map[string]bool{}, &links); err != nil {
		return nil, err
	}
	changes, err := m.makeLinks(links)
	if err == nil || len(changes) > 0 {
		m.Reload()
	}
	return changes, err
}

// installLink is one symlink enable makes: dir (relative to the
// configuration directory) holds name, which points to target.
type installLink struct {
	unit, dir, name, target string
}

// planEnable adds the links of one unit and of the units its Also= names
// to links; done holds the units already planned, so that units naming
// each other in Also= end. A static unit named by Also= (no [Install]
// section) is skipped, as systemctl 257 skips it without a word; only the
// unit asked for must have something to install.
func (m *Manager) planEnable(name string, byAlso bool, done map[string]bool, links *[]installLink) error {
	f, n, err := m.installable(name)
	if err != nil {
		return err
	}
	if done[n.String()] {
		return nil
	}
	done[n.String()] = true
	wantedBy, requiredBy, also := f.Install()
	if len(wantedBy)+len(requiredBy)+len(f.Aliases())+len(also) == 0 {
		if byAlso {
			return nil
		}
		return fmt.Errorf("%w: %s", errNoInstallInfo, name)
	}
	exp := m.specifiers(n).Expand
	// Every name is checked before any link is made: a name is a file
	// name in the configuration directory, and one with a '/' (a unit
	// file is its writer's input) would put a link, or remove a file,
	// outside it.
	wantedBy, err = installTargets(wantedBy, exp)
	if err != nil {
		return fmt.Errorf("enable %s: %w", name, err)
	}
	requiredBy, err = installTargets(requiredBy, exp)
	if err != nil {
		return fmt.Errorf("enable %s: %w", name, err)
	}
	aliases, err := installAliases(n, f.Aliases(), exp)
	if err != nil {
		return fmt.Errorf("enable %s: %w", name, err)
	}
	target := f.Fragment
	if strings.HasPrefix(target, unit.BuiltinPrefix) {
		target = n.String() // built-in: the link's name is what counts
	}
	for _, t := range wantedBy {
		*links = append(*links, installLink{name, t + ".wants", n.String(), target})
	}
	for _, t := range requiredBy {
		*links = append(*links, installLink{name, t + ".requires", n.String(), target})
	}
	for _, a := range aliases {
		*links = append(*links, installLink{name, ".", a, target})
	}
	for _, a := range also {
		if err := m.planEnable(a, true, done, links); err != nil {
			return err
		}
	}
	return nil
}

// makeLinks makes the planned links, leaving alone those already there.
func (m *Manager) makeLinks(links []installLink) ([]Change, error) {
	var changes []Change
	for _, l := range links {
		d := filepath.Join(m.cfg.ConfigDir, l.dir)
		if err := os.MkdirAll(d, 0o755); err != nil {
			return changes, fmt.Errorf("enable %s: %w", l.unit, notWritable(d, err))
		}
		p := filepath.Join(d, l.name)
		if cur, err := os.Readlink(p); err == nil && cur == l.target {
			continue
		}
		os.Remove(p)
		if err := os.Symlink(l.target, p); err != nil {
			return changes, fmt.Errorf("enable %s: %w", l.unit, notWritable(d, err))
		}
		changes = append(changes, Change{Type: "symlink", Path: p, Source: l.target})
	}
	return changes, nil
}

// installTargets expands the units of WantedBy= or RequiredBy= and checks
// that each is a unit name, as systemctl 257 does ("Invalid unit name X").
func installTargets(names []string, exp func(string) (string, error)) ([]string, error) {
	out := make([]string, 0, len(names))
	for _, t := range names {
		x, err := exp(t)
		if err != nil {
			return nil, err
		}
		if _, err := unit.ParseName(x); err != nil {
			return nil, fmt.Errorf("%w: Invalid unit name %s", errInvalid, x)
		}
		out = append(out, x)
	}
	return out, nil
}

// installAliases expands Alias= and checks each as systemctl 257 does: a
// unit name ("Invalid unit reference X") of n's type ("Cannot alias N as
// X").
func installAliases(n unit.Name, names []string, exp func(string) (string, error)) ([]string, error) {
	out := make([]string, 0, len(names))
	for _, a := range names {
		x, err := exp(a)
		if err != nil {
			return nil, err
		}
		an, err := unit.ParseName(x)
		if err != nil {
			return nil, fmt.Errorf("%w: Invalid unit reference %s", errInvalid, x)
		}
		if an.Type != n.Type || an.IsTemplate() != n.IsTemplate() {
			return nil, fmt.Errorf("%w: Cannot alias %s as %s", errInvalid, n, x)
		}
		out = append(out, x)
	}
	return out, nil
}

// Disable removes every symlink to the unit from the manager's
// configuration directory.
func (m *Manager) Disable(name string) ([]Change, error) {
	changes, err := m.disable(name, map[string]bool{})
	if err == nil || len(changes) > 0 {
		m.Reload()
	}
	return changes, err
}

// disable removes the links of one unit and of the units its Also=
// names, each once.
func (m *Manager) disable(name string, done map[string]bool) ([]Change, error) {
	f, n, err := m.installable(name)
	if err != nil {
		return nil, err
	}
	if done[n.String()] {
		return nil, nil
	}
	done[n.String()] = true
	if wantedBy, requiredBy, also := f.Install(); len(wantedBy)+len(requiredBy)+len(f.Aliases())+len(also) == 0 {
		return nil, fmt.Errorf("%w: %s", errNoInstallInfo, name)
	}
	names := map[string]bool{n.String(): true}
	for _, a := range f.Aliases() {
		names[a] = true
	}
	var changes []Change
	err = filepath.WalkDir(m.cfg.ConfigDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if d.Type()&fs.ModeSymlink == 0 || !names[d.Name()] {
			return nil
		}
		if err := os.Remove(p); err != nil {
			return err
		}
		changes = append(changes, Change{Type: "unlink", Path: p})
		return nil
	})
	if err != nil {
		return changes, fmt.Errorf("disable %s: %w", name, err)
	}
	_, _, also := f.Install()
	for _, a := range also {
		more, err := m.disable(a, done)
		changes = append(changes, more...)
		if err != nil {
			return changes, err
		}
	}
	return changes, nil
}

// UnitFileState says whether a unit is enabled, disabled or static, or
// an alias of another unit.
func (m *Manager) UnitFileState(name string) (string, error) {
	if _, ok := m.loader.Alias(name); ok {
		return "alias", nil
	}
	f, n, err := m.installable(name)
	if err != nil {
		if errors.Is(err, unit.ErrMasked) {
			return m.maskedState(name), nil
		}
		return "", err
	}
	if strings.HasPrefix(f.Fragment, filepath.Join(m.cfg.RuntimeDir, "transient")+"/") {
		return "transient", nil
	}
	wantedBy, requiredBy, _ := f.Install()
	if len(wantedBy)+len(requiredBy)+len(f.Aliases()) == 0 {
		return "static", nil
	}
	// A link named after the unit or one of its aliases enables it, as
	// systemctl 257 counts an Alias= link alone. Links in the runtime
	// directory last until the next boot, as systemd's in /run.
	names := []string{n.String()}
	if aliases, err := installAliases(n, f.Aliases(), m.specifiers(n).Expand); err == nil {
		names = append(names, aliases...)
	}
	switch {
	case linkedIn(m.cfg.ConfigDir, names):
		return "enabled", nil
	case m.cfg.RuntimeConfigDir != "" && linkedIn(m.cfg.RuntimeConfigDir, names):
		return "enabled-runtime", nil
	}
	return "disabled", nil
}

// maskedState says masked-runtime for a unit masked in the runtime
// directory (mask --runtime), as systemd's masks in /run, else masked. A
// mask or file in the configuration directory comes first.
func (m *Manager) maskedState(name string) string {
	if m.cfg.RuntimeConfigDir == "" {
		return "masked"
	}
	if _, err := os.Lstat(filepath.Join(m.cfg.ConfigDir, name)); err == nil {
		return "masked"
	}
	if fi, err := os.Lstat(filepath.Join(m.cfg.RuntimeConfigDir, name)); err == nil && (fi.Mode()&fs.ModeSymlink != 0 || fi.Size() == 0) {
		return "masked-runtime"
	}
	return "masked"
}

// linkedIn reports whether a symbolic link with one of names is in dir or
// below.
func linkedIn(dir string, names []string) bool {
	found := false
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type()&fs.ModeSymlink != 0 && slices.Contains(names, d.Name()) {
			found = true
			return filepath.SkipAll
		}
		return nil
	})
	return found
}

// Canonical returns the unit name answers to: the unit it is an alias of
// (a link made for Alias=), else name itself.
func (m *Manager) Canonical(name string) string {
	if t, ok := m.loader.Alias(name); ok {
		return t
	}
	return name
}

// installable loads the file of a unit for install operations.
func (m *Manager) installable(name string) (*unit.Unit, unit.Name, error) {
	n, err := unit.ParseName(name)
	if err != nil {
		return nil, n, fmt.Errorf("%w: %v", errInvalid, err)
	}
	if m.cfg.ConfigDir == "" {
		return nil, n, fmt.Errorf("%w: this manager has no configuration directory", errInvalid)
	}
	f, err := m.loader.Load(name)
	switch {
	case errors.Is(err, unit.ErrNotFound):
		return nil, n, fmt.Errorf("%w: Unit %s does not exist", errNoSuchUnit, name)
	case err != nil:
		return nil, n, err
	}
	return f, n, nil
}

// notWritable names the directory a permission error is about: in a
// capsule it is typically one root created, which the capsule's user
// cannot change.
func notWritable(dir string, err error) error {
	if errors.Is(err, fs.ErrPermission) {
		return fmt.Errorf("%s is not writable by this manager's user: %w", dir, err)
	}
	return err
}
