package unit

import (
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Alias returns the unit that name is an alias of: the first file called
// name along the search paths (or, for an instance, its template's) is a
// symlink to a unit file of another name of the same type, as enable
// makes for Alias=. The unit answers to both names, under the target's.
func (l *Loader) Alias(name string) (string, bool) {
	n, err := ParseName(name)
	if err != nil || n.IsTemplate() {
		return "", false
	}
	cands := []string{name}
	if n.IsInstance() {
		cands = append(cands, n.Template())
	}
	for _, cand := range cands {
		for _, dir := range l.Paths {
			if es := l.entries(dir); es != nil && !es[cand] {
				continue
			}
			target, found, link := l.linkTarget(filepath.Join(dir, cand))
			if !found {
				continue
			}
			if !link || target == cand {
				return "", false
			}
			tn, err := ParseName(target)
			if err != nil || tn.Type != n.Type {
				return "", false
			}
			switch {
			case cand == name && !tn.IsTemplate():
				return target, true
			case cand != name && tn.IsTemplate():
				// foo@.service -> bar@.service: foo@x is bar@x.
				inst, err := Instantiate(target, n.Instance)
				return inst, err == nil
			}
			return "", false
		}
	}
	return "", false
}

// linkTarget says whether file exists and is a symlink, and the base name
// of the file its chain of links ends at ("" if it dangles).
func (l *Loader) linkTarget(file string) (target string, found, link bool) {
	fi, err := os.Lstat(file)
	if err != nil {
		return "", false, false
	}
	if fi.Mode()&fs.ModeSymlink == 0 {
		return "", true, false
	}
	end, err := filepath.EvalSymlinks(file)
	if err != nil {
		return "", true, true
	}
	return filepath.Base(end), true, true
}

// Names returns name and, sorted, the aliases that lead to it in the
// search paths, as systemd's Names= property lists them.
func (l *Loader) Names(name string) []string {
	n, err := ParseName(name)
	if err != nil {
		return []string{name}
	}
	seen := map[string]bool{name: true}
	var aliases []string
	for _, dir := range l.Paths {
		for e := range l.entries(dir) {
			if seen[e] || !strings.HasSuffix(e, "."+n.Type) {
				continue
			}
			if t, ok := l.Alias(e); ok && t == name {
				seen[e] = true
				aliases = append(aliases, e)
			}
		}
	}
	sort.Strings(aliases)
	return append([]string{name}, aliases...)
}
