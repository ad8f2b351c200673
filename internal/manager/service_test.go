package manager

import (
	"testing"

	"github.com/capsuled/capsuled/internal/process"
)

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
		uid, gid, err := lookupUser(process.NewLocal("").Output, tt.name)
		if (err == nil) != tt.ok || (tt.ok && (uid != tt.uid || gid != tt.gid)) {
			t.Errorf("lookupUser(%q) = %d, %d, %v; want %d, %d, ok=%v", tt.name, uid, gid, err, tt.uid, tt.gid, tt.ok)
		}
	}
}
