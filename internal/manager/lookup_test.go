package manager

import (
	"testing"

	"github.com/capsuled/capsuled/internal/process"
)

func TestNISCompatName(t *testing.T) {
	tests := []struct {
		name string
		want bool
	}{
		{"root", false},
		{"c--x", false},
		{"-x", true},
		{"+x", true},
		{"x-", false},
	}
	for _, tt := range tests {
		if got := nisCompatName(tt.name); got != tt.want {
			t.Errorf("nisCompatName(%q) = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestLookupIDs(t *testing.T) {
	tests := []struct {
		name     string
		uid, gid int
		ok       bool
	}{
		{"root", 0, 0, true},
		{"nobody", 65534, 65534, true},
		{"-no-such-user-capsuled", 0, 0, false},
		{"--help", 0, 0, false},
	}
	for _, tt := range tests {
		uid, gid, err := lookupIDs(process.NewLocal("").Output, tt.name)
		if (err == nil) != tt.ok || (tt.ok && (uid != tt.uid || gid != tt.gid)) {
			t.Errorf("lookupIDs(%q) = %d, %d, %v; want %d, %d, ok=%v", tt.name, uid, gid, err, tt.uid, tt.gid, tt.ok)
		}
		// getent gets the same names and must not take them for options.
		if _, _, err := lookupUser(process.NewLocal("").Output, tt.name); (err == nil) != tt.ok {
			t.Errorf("lookupUser(%q): %v, want ok=%v", tt.name, err, tt.ok)
		}
	}
}
