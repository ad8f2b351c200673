package process

import (
	"reflect"
	"slices"
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
		e := NewEnv(tt.base)
		for _, kv := range tt.set {
			e.Set(kv[0], kv[1])
		}
		if got := e.List(); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: List() = %q, want %q", tt.name, got, tt.want)
		}
	}
	e := NewEnv([]string{"PATH=/bin"})
	if e.Get("PATH") != "/bin" || e.Get("NOPE") != "" {
		t.Errorf("Get: PATH=%q NOPE=%q", e.Get("PATH"), e.Get("NOPE"))
	}
}

func TestEnvUnset(t *testing.T) {
	tests := []struct {
		patterns []string
		want     []string
	}{
		{nil, []string{"A=1", "B=2", "C=3"}},
		{[]string{"A"}, []string{"B=2", "C=3"}},
		{[]string{"B=2", "C=4"}, []string{"A=1", "C=3"}},
		{[]string{"A", "B", "C"}, []string{}},
	}
	for _, tc := range tests {
		e := NewEnv([]string{"A=1", "B=2", "C=3"})
		e.Unset(tc.patterns)
		if got := e.List(); !slices.Equal(got, tc.want) {
			t.Errorf("Unset(%q) left %q, want %q", tc.patterns, got, tc.want)
		}
	}
}
