package manager

import "testing"

func TestParentSlice(t *testing.T) {
	tests := []struct{ in, want string }{
		{"a-b-c.slice", "a-b.slice"},
		{"a-b.slice", "a.slice"},
		{"a.slice", ""},
		{"capsule.slice", ""},
		{"system.slice", ""},
		{"-.slice", ""},
	}
	for _, tt := range tests {
		if got := parentSlice(tt.in); got != tt.want {
			t.Errorf("parentSlice(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSlicePath(t *testing.T) {
	tests := []struct{ in, want string }{
		{"a-b-c.slice", "a.slice/a-b.slice/a-b-c.slice"},
		{"a-b.slice", "a.slice/a-b.slice"},
		{"capsule.slice", "capsule.slice"},
		{"-.slice", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := slicePath(tt.in); got != tt.want {
			t.Errorf("slicePath(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
