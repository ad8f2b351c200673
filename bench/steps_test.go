package main

import "testing"

func TestAlternate(t *testing.T) {
	a, b := &bench{label: "a"}, &bench{label: "b"}
	tests := []struct {
		sides []*bench
		k     int
		want  string
	}{
		{[]*bench{a, b}, 0, "ab"},
		{[]*bench{a, b}, 1, "ba"},
		{[]*bench{a, b}, 2, "ab"},
		{[]*bench{a}, 1, "a"},
	}
	for _, tt := range tests {
		got := ""
		for _, s := range alternate(tt.sides, tt.k) {
			got += s.label
		}
		if got != tt.want {
			t.Errorf("alternate(%d sides, %d) = %s, want %s", len(tt.sides), tt.k, got, tt.want)
		}
	}
	sides := []*bench{a, b}
	alternate(sides, 1)
	if sides[0] != a || sides[1] != b {
		t.Error("alternate reordered its argument")
	}
}
