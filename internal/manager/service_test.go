package manager

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestEnvOrdering(t *testing.T) {
	tests := []struct {
		name string
		base []string
		set  [][2]string
		want []string
	}{
		{"empty", nil, nil, []string{}},
		{"order kept", []string{"B=2", "A=1"}, nil, []string{"B=2", "A=1"}},
		{"later wins in place", []string{"A=1", "B=2", "A=3"}, nil, []string{"A=3", "B=2"}},
		{"set appends new", []string{"A=1"}, [][2]string{{"C", "x"}, {"A", "y"}}, []string{"A=y", "C=x"}},
		{"value with =", []string{"A=b=c"}, nil, []string{"A=b=c"}},
		{"no =", []string{"A"}, nil, []string{"A="}},
	}
	for _, tt := range tests {
		e := newEnv(tt.base)
		for _, kv := range tt.set {
			e.set(kv[0], kv[1])
		}
		if got := e.list(); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: list() = %q, want %q", tt.name, got, tt.want)
		}
	}
	e := newEnv([]string{"PATH=/bin"})
	if e.get("PATH") != "/bin" || e.get("NOPE") != "" {
		t.Errorf("get: PATH=%q NOPE=%q", e.get("PATH"), e.get("NOPE"))
	}
}

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
		got, err := lookPath(tt.name, tt.path)
		if tt.err == "" {
			if err != nil || got != tt.want {
				t.Errorf("lookPath(%q) = %q, %v; want %q", tt.name, got, err, tt.want)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("lookPath(%q) = %q, %v; want error containing %q", tt.name, got, err, tt.err)
		}
	}
}

func TestLookupUser(t *testing.T) {
	tests := []struct {
		name     string
		uid, gid int
		ok       bool
	}{
		{"root", 0, 0, true},
		{"0", 0, 0, true},
		{"nobody", 65534, 65534, true},
		{"no-such-user-capsuled", 0, 0, false},
	}
	for _, tt := range tests {
		uid, gid, err := lookupUser(newReaper().output, tt.name)
		if (err == nil) != tt.ok || (tt.ok && (uid != tt.uid || gid != tt.gid)) {
			t.Errorf("lookupUser(%q) = %d, %d, %v; want %d, %d, ok=%v", tt.name, uid, gid, err, tt.uid, tt.gid, tt.ok)
		}
	}
}
