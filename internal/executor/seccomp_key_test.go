package executor

import (
	"testing"

	"golang.org/x/sys/unix"
)

// TestKeyUpcallRule checks that every ABI refuses its own request_key
// number, and only when asked to.
func TestKeyUpcallRule(t *testing.T) {
	want := map[uint32]uint32{unix.AUDIT_ARCH_X86_64: 249, unix.AUDIT_ARCH_I386: 287,
		unix.AUDIT_ARCH_AARCH64: 218, unix.AUDIT_ARCH_ARM: 310}
	for _, a := range abis() {
		found := false
		for _, r := range (restrictions{keyUpcalls: true}).rules(a) {
			if r.nr == a.requestKey && r.kind == errnoRule && r.errno == unix.ENOSYS {
				found = true
			}
		}
		if !found || a.requestKey != want[a.audit] {
			t.Errorf("ABI %#x: request_key %d refused: %v, want number %d", a.audit, a.requestKey, found, want[a.audit])
		}
		if n := len((restrictions{}).rules(a)); n != 0 {
			t.Errorf("ABI %#x: %d rules without restrictions", a.audit, n)
		}
	}
	if _, err := (restrictions{keyUpcalls: true}).program(); err != nil {
		t.Fatal(err)
	}
}
