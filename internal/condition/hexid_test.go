package condition

import "testing"

func TestIsHexID(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{"0123456789abcdef0123456789ABCDEF", true},
		{"01234567-89ab-cdef-0123-456789abcdef", true},
		{"0123456789abcdef0123456789abcde", false},  // 31 digits
		{"0123456789abcdef0123456789abcdeg", false}, // not hex
		{"01234567-89ab-cdef-0123-456789abcdeg", false},
		{"0123456789-ab-cdef-0123-456789abcdef", false}, // dash misplaced
		{"012345678-9ab-cdef-0123-456789abcdef", false},
		{"", false},
		{"myhost", false},
	} {
		if got := isHexID(tc.in); got != tc.want {
			t.Errorf("isHexID(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}
