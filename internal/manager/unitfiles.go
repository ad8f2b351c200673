package manager

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/capsuled/capsuled/internal/unit"
)

// maxUnitFileSize bounds what cat and edit read of one unit file: in a
// capsule the files are the capsule's, and a reply is at most 16 MiB.
const maxUnitFileSize = 1 << 20

// wordedError is an error of a kind whose message is systemctl's own
// sentence for it, final period included.
type wordedError struct {
	kind error
	msg  string
}

func (e *wordedError) Error() string { return e.kind.Error() + ": " + e.msg }
func (e *wordedError) Unwrap() error { return e.kind }

// worded makes a wordedError.
func worded(kind error, format string, args ...any) error {
	return &wordedError{kind: kind, msg: fmt.Sprintf(format, args...)}
}

// UnitFileText is one file of a unit's configuration and its text.
type UnitFileText struct {
	Path, Content string
}

// Cat returns the fragment and drop-ins of name as they are on disk now,
// read by this manager (in a capsule: as the capsule's user, so a link in
// the capsule's directories reaches nothing its user cannot read); masked
// says the unit is masked (no files then).
func (m *Manager) Cat(name string) (files []UnitFileText, masked bool, err error) {
	if _, err := unit.ParseName(name); err != nil {
		return nil, false, fmt.Errorf("%w: %v", errInvalid, err)
	}
	if target, ok := m.loader.Alias(name); ok {
		// An alias shows the unit's own files under their own paths, as
		// systemctl cat shows a loaded unit's fragment.
		name = target
	}
	f, err := m.loader.Load(name)
	switch {
	case errors.Is(err, unit.ErrNotFound):
		return nil, false, worded(errNoSuchUnit, "No files found for %s.", name)
	case errors.Is(err, unit.ErrMasked):
		return nil, true, nil
	case err != nil:
		return nil, false, fmt.Errorf("cat %s: %w", name, err)
	}
	for _, p := range append([]string{f.Fragment}, f.DropIns...) {
		text, err := m.readUnitFile(p)
		if err != nil {
			return nil, false, fmt.Errorf("cat %s: %w", name, err)
		}
		files = append(files, UnitFileText{Path: p, Content: text})
	}
	return files, false, nil
}

// readUnitFile reads a unit file found by the loader (a path or a
// built-in), at most maxUnitFileSize bytes of it.
func (m *Manager) readUnitFile(p string) (string, error) {
	var r io.Reader
	if rel, ok := strings.CutPrefix(p, unit.BuiltinPrefix); ok {
		f, err := m.cfg.Builtin.Open(rel)
		if err != nil {
			return "", err
		}
		defer f.Close()
		r = f
	} else {
		f, err := openUnitFile(p)
		if err != nil {
			return "", err
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, maxUnitFileSize+1))
	if err != nil {
		return "", fmt.Errorf("read %s: %w", p, err)
	}
	if len(b) > maxUnitFileSize {
		return "", fmt.Errorf("%s is larger than %d bytes", p, maxUnitFileSize)
	}
	return string(b), nil
}

// openUnitFile opens a regular file for reading without blocking on a
// FIFO or device a capsule may have put (or linked) there.
func openUnitFile(p string) (*os.File, error) {
	fd, err := unix.Open(p, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC|unix.O_NOCTTY, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: p, Err: err}
	}
	f := os.NewFile(uintptr(fd), p)
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("%s is not a regular file", p)
	}
	return f, nil
}

// UnitFileEntry is one line of list-unit-files.
type UnitFileEntry struct {
	Name, State, Preset string
}

// unitTypes are the unit file suffixes list-unit-files shows.
var unitTypes = []string{".service", ".socket", ".target", ".slice", ".timer", ".path", ".scope", ".mount"}

// ListUnitFiles lists the unit files in the search paths (the first of a
// name wins) with their state, as systemctl list-unit-files does. capsuled
// has no preset files: every unit that can be enabled is preset
// "enabled", systemd's default without a preset rule.
func (m *Manager) ListUnitFiles() ([]UnitFileEntry, error) {
	type found struct {
		link string // a symbolic link's target
		dir  string
	}
	files := map[string]found{}
	for _, dir := range m.cfg.UnitPaths {
		ents, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, e := range ents {
			name := e.Name()
			if _, seen := files[name]; seen || !hasUnitType(name) || e.IsDir() {
				continue
			}
			f := found{dir: dir}
			if e.Type()&fs.ModeSymlink != 0 {
				f.link, _ = os.Readlink(filepath.Join(dir, name))
			}
			files[name] = f
		}
	}
	if m.cfg.Builtin != nil {
		ents, _ := fs.ReadDir(m.cfg.Builtin, ".")
		for _, e := range ents {
			if _, seen := files[e.Name()]; !seen && hasUnitType(e.Name()) && !e.IsDir() {
				files[e.Name()] = found{}
			}
		}
	}
	out := make([]UnitFileEntry, 0, len(files))
	for name, f := range files {
		st := ""
		switch {
		case f.link == "/dev/null" && f.dir == m.cfg.RuntimeConfigDir:
			st = "masked-runtime"
		case f.link == "/dev/null":
			st = "masked"
		case f.link != "" && filepath.Base(f.link) != name:
			// A link to a file of another name makes an alias; one the
			// manager cannot read is bad.
			if r, err := openUnitFile(filepath.Join(f.dir, name)); err == nil {
				r.Close()
				st = "alias"
			}
		}
		if st == "" {
			s, err := m.UnitFileState(name)
			switch {
			case err == nil:
				st = s
			default:
				st = "bad"
			}
		}
		preset := "enabled"
		switch st {
		case "static", "alias", "transient", "generated":
			preset = "-"
		}
		out = append(out, UnitFileEntry{Name: name, State: st, Preset: preset})
	}
	slices.SortFunc(out, func(a, b UnitFileEntry) int {
		if c := strings.Compare(filepath.Ext(a.Name), filepath.Ext(b.Name)); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	return out, nil
}

func hasUnitType(name string) bool {
	if strings.HasPrefix(name, ".") {
		return false
	}
	for _, t := range unitTypes {
		if strings.HasSuffix(name, t) && len(name) > len(t) {
			return true
		}
	}
	return false
}

// configDir is where mask and edit write: the manager's configuration
// directory or, with runtime, its runtime one (searched after it, so what
// is there does not survive a reboot and the persistent one overrides it).
func (m *Manager) configDir(runtime bool) (string, error) {
	d := m.cfg.ConfigDir
	if runtime {
		d = m.cfg.RuntimeConfigDir
	}
	if d == "" {
		return "", fmt.Errorf("%w: this manager has no configuration directory", errInvalid)
	}
	return d, nil
}

// Mask links name to /dev/null in the configuration directory, as
// systemctl mask does, and reloads. missing says that no unit file of that
// name was found (systemctl proceeds anyway). A file already there is
// left alone: the manager writes as its own user (in a capsule, the
// capsule's), and never replaces what it did not make.
func (m *Manager) Mask(name string, runtime bool) (changes []Change, missing bool, err error) {
	if _, err := unit.ParseName(name); err != nil {
		return nil, false, fmt.Errorf("%w: %v", errInvalid, err)
	}
	dir, err := m.configDir(runtime)
	if err != nil {
		return nil, false, err
	}
	if _, err := m.loader.Load(name); err != nil && !errors.Is(err, unit.ErrMasked) {
		missing = true
	}
	p := filepath.Join(dir, name)
	if fi, err := os.Lstat(p); err == nil {
		target, _ := os.Readlink(p)
		switch {
		case fi.Mode()&fs.ModeSymlink != 0 && target == "/dev/null":
			return nil, missing, nil
		case fi.Mode()&fs.ModeSymlink != 0:
			return nil, missing, fmt.Errorf("%w: File '%s' already exists and is a symlink to %s", errExists, p, target)
		}
		return nil, missing, fmt.Errorf("%w: File '%s' already exists", errExists, p)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, missing, fmt.Errorf("mask %s: %w", name, notWritable(dir, err))
	}
	if err := os.Symlink("/dev/null", p); err != nil {
		return nil, missing, fmt.Errorf("mask %s: %w", name, notWritable(dir, err))
	}
	m.Reload()
	return []Change{{Type: "symlink", Path: p, Source: "/dev/null"}}, missing, nil
}

// Unmask removes a mask of name from the configuration directory and
// reloads; a unit that is not masked there is left as it is.
func (m *Manager) Unmask(name string, runtime bool) ([]Change, error) {
	if _, err := unit.ParseName(name); err != nil {
		return nil, fmt.Errorf("%w: %v", errInvalid, err)
	}
	dir, err := m.configDir(runtime)
	if err != nil {
		return nil, err
	}
	p := filepath.Join(dir, name)
	fi, err := os.Lstat(p)
	if err != nil {
		return nil, nil
	}
	if target, _ := os.Readlink(p); fi.Mode()&fs.ModeSymlink == 0 || target != "/dev/null" {
		return nil, nil
	}
	if err := os.Remove(p); err != nil {
		return nil, fmt.Errorf("unmask %s: %w", name, notWritable(dir, err))
	}
	m.Reload()
	return []Change{{Type: "unlink", Path: p}}, nil
}
