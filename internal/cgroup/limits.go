package cgroup

import (
	"fmt"
	"path/filepath"
	"strconv"
)

// Defaults for TreeLimits. A capsule's manager nests its units a few
// levels deep (app.slice/app-x.slice/x.service) and runs some dozens of
// them; these leave ample room for that while keeping every tree small
// enough to list and remove quickly.
const (
	DefaultMaxDepth       = 32
	DefaultMaxDescendants = 1024
)

// TreeLimits bound the sub-cgroups below a cgroup. Zero or less means no
// limit ("max").
type TreeLimits struct {
	Depth       int // levels of sub-cgroups
	Descendants int // sub-cgroups in all
}

// DefaultTreeLimits returns the limits delegated cgroups get unless
// configured otherwise.
func DefaultTreeLimits() TreeLimits {
	return TreeLimits{Depth: DefaultMaxDepth, Descendants: DefaultMaxDescendants}
}

// SetTreeLimits writes l to cgroup.max.depth and cgroup.max.descendants of
// cg. The kernel checks these of every ancestor when a sub-cgroup is
// created, so they bound the whole subtree; written as root before cg is
// delegated, the files stay root's and the delegate cannot raise them.
func (h Hierarchy) SetTreeLimits(cg string, l TreeLimits) error {
	dir := h.Path(cg)
	for _, v := range []struct {
		file string
		n    int
	}{{"cgroup.max.depth", l.Depth}, {"cgroup.max.descendants", l.Descendants}} {
		s := "max"
		if v.n > 0 {
			s = strconv.Itoa(v.n)
		}
		if err := writeFile(filepath.Join(dir, v.file), s); err != nil {
			return fmt.Errorf("limit cgroup %s: %w", cg, err)
		}
	}
	return nil
}
