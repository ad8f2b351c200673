package manager

import (
	"errors"
	"reflect"
	"testing"
)

// TestEnvironmentBlock: set-environment and unset-environment as systemd
// 257 did them (observed): the start block keeps its order, what is set
// comes after it sorted, a NAME=VALUE unset matches that value only, and
// an invalid argument changes nothing.
func TestEnvironmentBlock(t *testing.T) {
	steps := []struct {
		set, unset []string
		err        bool
		want       []string
	}{
		{nil, nil, false, []string{"PATH=/bin", "LANG=C.UTF-8", "HOME=/h"}},
		{[]string{"Z=1", "B=2", "LANG=de"}, nil, false, []string{"PATH=/bin", "LANG=de", "HOME=/h", "B=2", "Z=1"}},
		{[]string{"OK=1", "BAD NAME=x"}, nil, true, []string{"PATH=/bin", "LANG=de", "HOME=/h", "B=2", "Z=1"}},
		{[]string{"NOEQ"}, nil, true, []string{"PATH=/bin", "LANG=de", "HOME=/h", "B=2", "Z=1"}},
		{nil, []string{"HOME", "B=3", "Z=1", "NONE"}, false, []string{"PATH=/bin", "LANG=de", "B=2"}},
		{nil, []string{"1x"}, true, []string{"PATH=/bin", "LANG=de", "B=2"}},
		{nil, []string{"LANG"}, false, []string{"PATH=/bin", "B=2"}},
		{[]string{"HOME=/new"}, nil, false, []string{"PATH=/bin", "B=2", "HOME=/new"}},
	}
	m := &Manager{cfg: Config{Env: []string{"PATH=/bin", "LANG=C.UTF-8", "HOME=/h"}}}
	for i, s := range steps {
		var err error
		if s.set != nil {
			err = m.SetEnvironment(s.set)
		}
		if s.unset != nil {
			err = m.UnsetEnvironment(s.unset)
		}
		if (err != nil) != s.err || (err != nil && !errors.Is(err, ErrInvalid)) {
			t.Errorf("step %d: err %v, want error %v", i, err, s.err)
		}
		if got := m.Environment(); !reflect.DeepEqual(got, s.want) {
			t.Errorf("step %d: block %q, want %q", i, got, s.want)
		}
	}
}
