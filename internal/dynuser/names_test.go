package dynuser

import (
	"strings"
	"testing"
)

func TestValidCapsuleName(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
	}{
		{"tatze", true},
		{"a_b-C9", true},
		{"123", true},
		{"-x", true},
		{strings.Repeat("a", 29), true},
		{"", false},
		{"a.b", false},
		{"a b", false},
		{"..", false},
		{".", false},
		{"a/b", false},
		{strings.Repeat("a", 30), false},
		{"ä", false},
		{"x@y", false},
	}
	for _, tt := range tests {
		err := ValidCapsuleName(tt.name)
		if (err == nil) != tt.ok {
			t.Errorf("ValidCapsuleName(%q) = %v, want ok=%v", tt.name, err, tt.ok)
		}
		if err != nil && !strings.Contains(err.Error(), "A-Z a-z 0-9 _ -") {
			t.Errorf("ValidCapsuleName(%q) error %q does not state the rule", tt.name, err)
		}
		if tt.ok {
			if err := ValidUserName(CapsuleUserName(tt.name)); err != nil {
				t.Errorf("valid capsule %q gives invalid user name: %v", tt.name, err)
			}
		}
	}
	err := ValidCapsuleName("a.b")
	want := `invalid capsule name "a.b": use 1-29 characters from A-Z a-z 0-9 _ - (the user name c-NAME must be a valid POSIX user name)`
	if err == nil || err.Error() != want {
		t.Errorf("ValidCapsuleName(\"a.b\") = %v, want %s", err, want)
	}
}

func TestValidUserName(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
	}{
		{"c-tatze", true},
		{"_x", true},
		{"a", true},
		{"A9_-", true},
		{strings.Repeat("a", 31), true},
		{"", false},
		{"-x", false},
		{"9x", false},
		{"a.b", false},
		{"a b", false},
		{"a/b", false},
		{".", false},
		{strings.Repeat("a", 32), false},
		{"ä", false},
		{"x@y", false},
		{"x$", false},
	}
	for _, tt := range tests {
		if err := ValidUserName(tt.name); (err == nil) != tt.ok {
			t.Errorf("ValidUserName(%q) = %v, want ok=%v", tt.name, err, tt.ok)
		}
	}
}

func TestHashUID(t *testing.T) {
	tests := []struct {
		name string
		uid  uint32
	}{
		{"c-tatze", 61571},
		{"c-foobar", 63934},
		{"c-test", 62842},
	}
	for _, tt := range tests {
		if got := HashUID(tt.name); got != tt.uid {
			t.Errorf("HashUID(%q) = %d, want %d", tt.name, got, tt.uid)
		}
	}
}
