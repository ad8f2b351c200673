package cgroup

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Controllers lists the controllers cgroup cg can use (cgroup.controllers),
// that is, those its parent enabled for its children.
func (h Hierarchy) Controllers(cg string) ([]string, error) {
	b, err := os.ReadFile(filepath.Join(h.Path(cg), "cgroup.controllers"))
	if err != nil {
		return nil, fmt.Errorf("controllers of cgroup %s: %w", cg, err)
	}
	return strings.Fields(string(b)), nil
}

// EnableController enables controller for the children of base and of each
// cgroup between base and cg, so that cg gets its interface files. cg must
// be below base.
func (h Hierarchy) EnableController(base, cg, controller string) error {
	rel, err := filepath.Rel(filepath.Clean("/"+base), filepath.Clean("/"+cg))
	if err != nil || rel == "." || strings.HasPrefix(rel, "..") {
		return fmt.Errorf("enable %s: cgroup %s is not below %s", controller, cg, base)
	}
	parts := strings.Split(rel, "/")
	parent := base
	for i := 0; ; i++ {
		if err := h.enableIn(parent, controller); err != nil {
			return err
		}
		if i == len(parts)-1 {
			return nil
		}
		parent = filepath.Join(parent, parts[i])
	}
}

func (h Hierarchy) enableIn(cg, controller string) error {
	file := filepath.Join(h.Path(cg), "cgroup.subtree_control")
	b, err := os.ReadFile(file)
	if err == nil && slices.Contains(strings.Fields(string(b)), controller) {
		return nil
	}
	if err := writeFile(file, "+"+controller); err != nil {
		return fmt.Errorf("enable %s in cgroup %s: %w", controller, cg, err)
	}
	return nil
}

// Set writes value to an interface file (e.g. memory.max) of cgroup cg.
func (h Hierarchy) Set(cg, file, value string) error {
	if err := writeFile(filepath.Join(h.Path(cg), file), value); err != nil {
		return fmt.Errorf("set %s of cgroup %s to %s: %w", file, cg, value, err)
	}
	return nil
}
