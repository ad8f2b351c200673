package manager

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/capsuled/capsuled/internal/unit"
)

// EditRequest names what edit changes: a drop-in (DropIn, default
// "override") or, with Full, a whole copy of the unit file, in the
// configuration directory or, with Runtime, the runtime one. With Force,
// a unit without files may be edited: the edit creates its first file.
type EditRequest struct {
	Name    string
	Runtime bool
	DropIn  string
	Full    bool
	Force   bool
}

// EditTarget is the file an edit writes and what it holds now (for a new
// full copy: the unit's fragment).
type EditTarget struct {
	Path, Content string
	// Sources are the unit's files as cat shows them, for the editor's
	// comments.
	Sources []UnitFileText
}

// EditTarget finds the file an edit of r changes (for a new unit: no
// Sources). It is read by this
// manager, as its own user (in a capsule, the capsule's).
func (m *Manager) EditTarget(r EditRequest) (*EditTarget, error) {
	p, err := m.editPath(r)
	if err != nil {
		return nil, err
	}
	files, masked, err := m.Cat(r.Name)
	if err != nil && !(r.Force && errors.Is(err, errNoSuchUnit)) {
		return nil, err
	}
	if masked {
		return nil, worded(errInvalid, "Cannot edit %s: unit is masked.", r.Name)
	}
	t := &EditTarget{Path: p, Sources: files}
	switch cur, err := m.readUnitFile(p); {
	case err == nil:
		t.Content = cur
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("edit %s: %w", r.Name, err)
	case r.Full && len(files) > 0:
		t.Content = files[0].Content
	}
	return t, nil
}

// Edit writes content to the file an edit of r changes (replacing it as
// a whole, never writing through a link) and reloads, as systemctl edit
// does. It returns the file's path.
func (m *Manager) Edit(r EditRequest, content string) (string, error) {
	if len(content) > maxUnitFileSize {
		return "", fmt.Errorf("%w: the new text is larger than %d bytes", errInvalid, maxUnitFileSize)
	}
	if _, err := m.EditTarget(r); err != nil {
		return "", err
	}
	p, err := m.editPath(r)
	if err != nil {
		return "", err
	}
	dir := filepath.Dir(p)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("edit %s: %w", r.Name, notWritable(dir, err))
	}
	tmp, err := os.CreateTemp(dir, ".#"+filepath.Base(p)+".")
	if err != nil {
		return "", fmt.Errorf("edit %s: %w", r.Name, notWritable(dir, err))
	}
	_, werr := tmp.WriteString(content)
	if err := errors.Join(werr, tmp.Chmod(0o644), tmp.Close()); err != nil {
		os.Remove(tmp.Name())
		return "", fmt.Errorf("edit %s: write %s: %w", r.Name, tmp.Name(), err)
	}
	// rename replaces a link at p itself, never what it points to.
	if err := os.Rename(tmp.Name(), p); err != nil {
		os.Remove(tmp.Name())
		return "", fmt.Errorf("edit %s: %w", r.Name, err)
	}
	m.Reload()
	return p, nil
}

// editPath is the file an edit of r writes. An edit in the runtime
// directory that the configuration directory would override is refused,
// as systemctl refuses it.
func (m *Manager) editPath(r EditRequest) (string, error) {
	if _, err := unit.ParseName(r.Name); err != nil {
		return "", fmt.Errorf("%w: %v", errInvalid, err)
	}
	rel := r.Name
	if !r.Full {
		d := r.DropIn
		if d == "" {
			d = "override"
		}
		if !strings.HasSuffix(d, ".conf") {
			d += ".conf"
		}
		if strings.ContainsRune(d, '/') || d == ".conf" || strings.HasPrefix(d, ".") {
			return "", worded(errInvalid, "Invalid drop-in file name '%s'.", r.DropIn)
		}
		rel = filepath.Join(r.Name+".d", d)
	}
	dir, err := m.configDir(r.Runtime)
	if err != nil {
		return "", err
	}
	p := filepath.Join(dir, rel)
	if r.Runtime {
		persistent := filepath.Join(m.cfg.ConfigDir, rel)
		if _, err := os.Lstat(persistent); err == nil {
			return "", worded(errInvalid, "Refusing to create \"%s\" because it would be overridden by \"%s\" anyway.", p, persistent)
		}
	}
	return p, nil
}
