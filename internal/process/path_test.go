package process

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLookPath(t *testing.T) {
	dir := t.TempDir()
	empty := t.TempDir()
	write := func(name string, mode os.FileMode) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"), mode); err != nil {
			t.Fatal(err)
		}
	}
	write("tool", 0o755)
	write("data", 0o644)
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	search := empty + ":" + dir

	tests := []struct {
		name, path, want, err string
	}{
		{"/usr/bin/anything", search, "/usr/bin/anything", ""},
		{"tool", search, filepath.Join(dir, "tool"), ""},
		{"bin/tool", search, "", "not absolute"},
		{"./tool", search, "", "not absolute"},
		{"data", search, "", "not found in " + search},
		{"sub", search, "", "not found"},
		{"missing", search, "", `"missing" not found in ` + search},
		{"tool", empty, "", "not found in " + empty},
	}
	for _, tt := range tests {
		got, err := LookPath(tt.name, tt.path)
		if tt.err == "" {
			if err != nil || got != tt.want {
				t.Errorf("LookPath(%q) = %q, %v; want %q", tt.name, got, err, tt.want)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("LookPath(%q) = %q, %v; want error containing %q", tt.name, got, err, tt.err)
		}
	}
}

func TestSearchPath(t *testing.T) {
	for _, tt := range []struct{ bin, path, want string }{
		{"", "", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin"},
		{"/opt/c", "", "/opt/c:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin"},
		{"/opt/c", "/x:/y", "/opt/c:/x:/y"},
		{"", "/x", "/x"},
	} {
		if got := SearchPath(tt.bin, tt.path); got != tt.want {
			t.Errorf("SearchPath(%q, %q) = %q, want %q", tt.bin, tt.path, got, tt.want)
		}
	}
}
