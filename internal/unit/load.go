package unit

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"
)

// ErrNotFound is wrapped when no fragment exists for a unit.
var ErrNotFound = errors.New("unit not found")

// ErrMasked is wrapped when a unit's fragment is masked (a symlink to
// /dev/null or an empty file).
var ErrMasked = errors.New("unit is masked")

// BuiltinPrefix marks Unit.Fragment and Unit.DropIns paths that come from
// Loader.Builtin rather than the file system.
const BuiltinPrefix = "builtin:"

// Loader finds unit files and their drop-ins in a list of directories.
type Loader struct {
	// Paths are search directories in priority order: a fragment in an
	// earlier directory wins, and a drop-in file name in an earlier
	// directory shadows the same name in later ones.
	Paths []string
	// Builtin, if set, is searched after Paths, with units at its root.
	Builtin fs.FS

	// listings caches the entries of each search directory, so most
	// probes for files that do not exist cost no system call.
	mu       sync.Mutex
	listings map[string]listing
}

// Unit is a loaded unit: its fragment and drop-ins merged into Options.
type Unit struct {
	Name     string   // requested name, e.g. "capsule@tatze.service"
	Fragment string   // file the unit was loaded from; BuiltinPrefix+file name for Builtin
	DropIns  []string // drop-ins applied, in application order
	Options  *Options // fragment then drop-ins; specifiers are not expanded

	// Wants, Requires and Upholds list the units named in NAME.wants/,
	// NAME.requires/ and NAME.upholds/ directories (and the template's,
	// prefix and type-wide ones, as for drop-ins). Template entries are
	// instantiated with this unit's instance.
	Wants, Requires, Upholds []string
}

// Load finds and parses the unit called name.
//
// The fragment is the first file named name found along the search
// directories; for an instance such as "foo@bar.service" an instance file
// in any directory beats the template "foo@.service", which is only looked
// up when no instance file exists anywhere.
func (l *Loader) Load(name string) (*Unit, error) {
	n, err := ParseName(name)
	if err != nil {
		return nil, fmt.Errorf("load unit: %w", err)
	}
	srcs := l.sources()

	candidates := []string{name}
	if n.IsInstance() {
		candidates = append(candidates, n.Template())
	}
	var (
		frag  source
		fname string
	)
search:
	for _, cand := range candidates {
		for _, s := range srcs {
			k, err := s.stat(cand)
			if err != nil {
				return nil, fmt.Errorf("load %s: %w", name, err)
			}
			switch k {
			case kindMissing, kindDangling, kindOther:
				continue
			case kindDir:
				return nil, fmt.Errorf("load %s: %s is a directory", name, s.label(cand))
			case kindMasked, kindEmpty:
				return nil, fmt.Errorf("load %s: %s: %w", name, s.label(cand), ErrMasked)
			}
			frag, fname = s, cand
			break search
		}
	}
	if frag == nil {
		return nil, fmt.Errorf("load %s: %w", name, ErrNotFound)
	}

	u := &Unit{Name: name, Fragment: frag.label(fname), Options: &Options{}}
	f, err := parseFrom(frag, fname)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", name, err)
	}
	u.Options.Add(f)

	dirNames := dropinDirNames(n)
	dropins, err := collectDropins(srcs, dirNames, n.Type, ".d")
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", name, err)
	}
	for _, d := range dropins {
		f, err := parseFrom(d.src, d.rel)
		if err != nil {
			return nil, fmt.Errorf("load %s: %w", name, err)
		}
		u.Options.Add(f)
		u.DropIns = append(u.DropIns, d.src.label(d.rel))
	}

	if u.Wants, err = collectDeps(srcs, dirNames, n, ".wants"); err != nil {
		return nil, fmt.Errorf("load %s: %w", name, err)
	}
	if u.Requires, err = collectDeps(srcs, dirNames, n, ".requires"); err != nil {
		return nil, fmt.Errorf("load %s: %w", name, err)
	}
	if u.Upholds, err = collectDeps(srcs, dirNames, n, ".upholds"); err != nil {
		return nil, fmt.Errorf("load %s: %w", name, err)
	}
	return u, nil
}

func (l *Loader) sources() []source {
	srcs := make([]source, 0, len(l.Paths)+1)
	for _, p := range l.Paths {
		srcs = append(srcs, osSource{dir: p, entries: l.entries(p)})
	}
	if l.Builtin != nil {
		srcs = append(srcs, fsSource{fsys: l.Builtin})
	}
	return srcs
}

func parseFrom(s source, rel string) (*File, error) {
	data, err := s.readFile(rel)
	if err != nil {
		return nil, err
	}
	return Parse(bytes.NewReader(data), s.label(rel))
}

// dropinDirNames lists, most specific first, the unit names whose ".d",
// ".wants" and ".requires" directories apply to n: the name itself, its
// template, and names built from each dash-terminated prefix, so
// "a-b-c.service" also uses "a-b-.service" and "a-.service". The type-wide
// directory ("service.d") is handled separately because it applies last
// across all search directories.
func dropinDirNames(n Name) []string {
	var out []string
	seen := map[string]bool{}
	var walk func(n Name)
	walk = func(n Name) {
		s := n.String()
		if seen[s] {
			return
		}
		seen[s] = true
		out = append(out, s)
		if n.IsInstance() {
			t := n
			t.Instance, t.template = "", true
			walk(t)
		}
		if p, ok := shorterPrefix(n.Prefix); ok {
			// Like systemd, the prefix of a template yields a plain name
			// ("a-b@.service" -> "a-.service"), while an instance keeps its
			// instance ("a-b@x.service" -> "a-@x.service").
			walk(Name{Prefix: p, Instance: n.Instance, Type: n.Type})
		}
	}
	walk(n)
	return out
}

// shorterPrefix returns the next more generic dash prefix: "a-b-c" gives
// "a-b-", and "a-b-" gives "a-". A leading dash does not count.
func shorterPrefix(p string) (string, bool) {
	p = strings.TrimSuffix(p, "-")
	i := strings.LastIndexByte(p, '-')
	if i <= 0 {
		return "", false
	}
	return p[:i+1], true
}

type dirRef struct {
	src source
	rel string
}

// searchDirs returns the directories to read for the given suffix, highest
// priority first: every search directory's specific directories in
// dirNames order, then every search directory's type-wide one.
func searchDirs(srcs []source, dirNames []string, typ, suffix string) []dirRef {
	dirs := make([]dirRef, 0, len(srcs)*(len(dirNames)+1))
	for _, s := range srcs {
		for _, d := range dirNames {
			dirs = append(dirs, dirRef{s, d + suffix})
		}
	}
	for _, s := range srcs {
		dirs = append(dirs, dirRef{s, typ + suffix})
	}
	return dirs
}

// collectDropins returns the *.conf files to apply, sorted by file name. A
// file name found in a higher-priority directory shadows the same name in
// lower-priority ones; a masked file (symlink to /dev/null) shadows without
// being applied.
func collectDropins(srcs []source, dirNames []string, typ, suffix string) ([]dirRef, error) {
	type pick struct {
		ref    dirRef
		masked bool
	}
	picked := map[string]pick{}
	for _, d := range searchDirs(srcs, dirNames, typ, suffix) {
		names, err := d.src.list(d.rel)
		if err != nil {
			return nil, err
		}
		for _, fn := range names {
			if !strings.HasSuffix(fn, ".conf") || strings.HasPrefix(fn, ".") {
				continue
			}
			if _, ok := picked[fn]; ok {
				continue
			}
			rel := path.Join(d.rel, fn)
			k, err := d.src.stat(rel)
			if err != nil {
				return nil, err
			}
			switch k {
			case kindFile, kindEmpty:
				picked[fn] = pick{ref: dirRef{d.src, rel}}
			case kindMasked:
				picked[fn] = pick{masked: true}
			}
		}
	}
	names := make([]string, 0, len(picked))
	for fn, p := range picked {
		if !p.masked {
			names = append(names, fn)
		}
	}
	sort.Strings(names)
	out := make([]dirRef, len(names))
	for i, fn := range names {
		out[i] = picked[fn].ref
	}
	return out, nil
}

// collectDeps returns the unit names listed in the suffix (".wants" or
// ".requires" or ".upholds") directories applying to n, sorted and de-duplicated.
// Entries are usually symlinks; only their names matter. Template entries
// are instantiated with n's instance and skipped if n has none.
func collectDeps(srcs []source, dirNames []string, n Name, suffix string) ([]string, error) {
	masked := map[string]bool{}
	seen := map[string]bool{}
	var entries []string
	for _, d := range searchDirs(srcs, dirNames, n.Type, suffix) {
		names, err := d.src.list(d.rel)
		if err != nil {
			return nil, err
		}
		for _, fn := range names {
			if strings.HasPrefix(fn, ".") || seen[fn] {
				continue
			}
			if _, err := ParseName(fn); err != nil {
				continue
			}
			k, err := d.src.stat(path.Join(d.rel, fn))
			if err != nil {
				return nil, err
			}
			switch k {
			case kindMasked:
				seen[fn], masked[fn] = true, true
			case kindFile, kindEmpty, kindDangling:
				seen[fn] = true
				entries = append(entries, fn)
			}
		}
	}
	sort.Strings(entries)

	var out []string
	added := map[string]bool{}
	for _, e := range entries {
		en, _ := ParseName(e)
		if en.IsTemplate() {
			if !n.IsInstance() {
				continue
			}
			inst, err := Instantiate(e, n.Instance)
			if err != nil {
				continue
			}
			e = inst
		}
		if !added[e] {
			added[e] = true
			out = append(out, e)
		}
	}
	return out, nil
}

type kind int

const (
	kindMissing  kind = iota
	kindDangling      // symlink whose target does not exist
	kindMasked        // /dev/null or another device
	kindEmpty         // empty regular file
	kindFile          // non-empty regular file
	kindDir
	kindOther // fifo, socket, ...
)

func classify(fi fs.FileInfo) kind {
	m := fi.Mode()
	switch {
	case m&fs.ModeDevice != 0:
		return kindMasked
	case m.IsDir():
		return kindDir
	case m.IsRegular() && fi.Size() == 0:
		return kindEmpty
	case m.IsRegular():
		return kindFile
	}
	return kindOther
}

// source abstracts one search directory: a real directory or Builtin.
// rel paths are slash-separated and relative to the directory.
type source interface {
	label(rel string) string
	stat(rel string) (kind, error)
	readFile(rel string) ([]byte, error)
	list(rel string) ([]string, error) // nil without error if rel is no directory
}

type osSource struct {
	dir string
	// entries are the names in dir; nil means unknown (probe everything).
	entries map[string]bool
}

func (s osSource) label(rel string) string { return filepath.Join(s.dir, filepath.FromSlash(rel)) }

// absent reports whether rel cannot exist because its first component is
// not in the directory.
func (s osSource) absent(rel string) bool {
	if s.entries == nil {
		return false
	}
	first, _, _ := strings.Cut(rel, "/")
	return !s.entries[first]
}

func (s osSource) stat(rel string) (kind, error) {
	if s.absent(rel) {
		return kindMissing, nil
	}
	p := s.label(rel)
	fi, err := os.Lstat(p)
	if errors.Is(err, fs.ErrNotExist) || isNotDir(err) {
		return kindMissing, nil
	}
	if err != nil {
		return kindMissing, err
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		fi, err = os.Stat(p)
		if errors.Is(err, fs.ErrNotExist) {
			return kindDangling, nil
		}
		if err != nil {
			return kindMissing, err
		}
	}
	return classify(fi), nil
}

func (s osSource) readFile(rel string) ([]byte, error) { return os.ReadFile(s.label(rel)) }

func (s osSource) list(rel string) ([]string, error) {
	if s.absent(rel) {
		return nil, nil
	}
	ents, err := os.ReadDir(s.label(rel))
	if errors.Is(err, fs.ErrNotExist) || isNotDir(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	names := make([]string, len(ents))
	for i, e := range ents {
		names[i] = e.Name()
	}
	return names, nil
}

// isNotDir reports ENOTDIR-style failures, e.g. when a path component that
// should be a directory is a regular file; such paths simply do not exist.
func isNotDir(err error) bool { return errors.Is(err, syscall.ENOTDIR) }

type fsSource struct{ fsys fs.FS }

func (s fsSource) label(rel string) string { return BuiltinPrefix + rel }

func (s fsSource) stat(rel string) (kind, error) {
	if !fs.ValidPath(rel) {
		return kindMissing, nil
	}
	fi, err := fs.Stat(s.fsys, rel)
	if errors.Is(err, fs.ErrNotExist) {
		return kindMissing, nil
	}
	if err != nil {
		return kindMissing, fmt.Errorf("%s: %w", s.label(rel), err)
	}
	return classify(fi), nil
}

func (s fsSource) readFile(rel string) ([]byte, error) {
	data, err := fs.ReadFile(s.fsys, rel)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.label(rel), err)
	}
	return data, nil
}

func (s fsSource) list(rel string) ([]string, error) {
	if !fs.ValidPath(rel) {
		return nil, nil
	}
	ents, err := fs.ReadDir(s.fsys, rel)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		// A file where a directory was expected is treated as absent.
		if fi, serr := fs.Stat(s.fsys, rel); serr == nil && !fi.IsDir() {
			return nil, nil
		}
		return nil, fmt.Errorf("%s: %w", s.label(rel), err)
	}
	names := make([]string, len(ents))
	for i, e := range ents {
		names[i] = e.Name()
	}
	return names, nil
}

// listing is a cached directory listing, valid while the directory's
// change time and inode stay the same.
type listing struct {
	ctime time.Time
	ino   uint64
	names map[string]bool
}

// entries returns the names in dir, re-reading the directory only when it
// changed since the last call; nil if dir cannot be read.
func (l *Loader) entries(dir string) map[string]bool {
	var st syscall.Stat_t
	if err := syscall.Stat(dir, &st); err != nil {
		if errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.ENOTDIR) {
			return map[string]bool{}
		}
		return nil
	}
	ctime := time.Unix(st.Ctim.Sec, st.Ctim.Nsec)
	l.mu.Lock()
	c, ok := l.listings[dir]
	l.mu.Unlock()
	// A change within the same clock tick could go unnoticed; listings
	// younger than a second are therefore not trusted.
	if ok && c.ino == st.Ino && c.ctime.Equal(ctime) && time.Since(ctime) > time.Second {
		return c.names
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	names := make(map[string]bool, len(ents))
	for _, e := range ents {
		names[e.Name()] = true
	}
	l.mu.Lock()
	if l.listings == nil {
		l.listings = map[string]listing{}
	}
	l.listings[dir] = listing{ctime: ctime, ino: st.Ino, names: names}
	l.mu.Unlock()
	return names
}
