package cgroup

import (
	"os"
	"path/filepath"
	"testing"
)

// TestEnableController checks which subtree_control files get the
// controller, on a plain directory tree standing in for cgroupfs.
func TestEnableController(t *testing.T) {
	tests := []struct {
		name, base, cg string
		want           map[string]string // subtree_control contents after
		ok             bool
	}{
		{"two levels", "/b", "/b/s.slice/u.service",
			map[string]string{"b": "+memory", "b/s.slice": "+memory", "b/s.slice/u.service": ""}, true},
		{"direct child", "/b", "/b/u.service",
			map[string]string{"b": "+memory", "b/s.slice": "", "b/u.service": ""}, true},
		{"already on", "/b", "/b/x.slice/u.service",
			map[string]string{"b": "+memory", "b/x.slice": "memory pids", "b/x.slice/u.service": ""}, true},
		{"not below", "/b", "/c/u.service", nil, false},
		{"itself", "/b", "/b", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			for _, d := range []string{"b", "b/s.slice", "b/s.slice/u.service", "b/u.service", "b/x.slice", "b/x.slice/u.service", "c/u.service"} {
				os.MkdirAll(filepath.Join(root, d), 0o755)
				content := ""
				if d == "b/x.slice" {
					content = "memory pids"
				}
				os.WriteFile(filepath.Join(root, d, "cgroup.subtree_control"), []byte(content), 0o644)
			}
			err := Hierarchy{Root: root}.EnableController(tt.base, tt.cg, "memory")
			if (err == nil) != tt.ok {
				t.Fatalf("EnableController(%s, %s): %v, want ok=%v", tt.base, tt.cg, err, tt.ok)
			}
			for d, want := range tt.want {
				b, _ := os.ReadFile(filepath.Join(root, d, "cgroup.subtree_control"))
				if string(b) != want {
					t.Errorf("%s/cgroup.subtree_control = %q, want %q", d, b, want)
				}
			}
		})
	}
}
