package cgroup

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestDriverMajors(t *testing.T) {
	file := filepath.Join(t.TempDir(), "devices")
	data := "Character devices:\n  1 mem\n  4 /dev/vc/0\n  4 tty\n136 pts\n202 cpu/msr\n203 cpu/cpuid\n\nBlock devices:\n  7 loop\n  8 sd\n259 blkext\n"
	if err := os.WriteFile(file, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		section, pattern string
		want             []string
	}{
		{"Character devices:", "pts", []string{"136"}},
		{"Character devices:", "cpu/*", []string{"202", "203"}},
		{"Character devices:", "loop", nil},
		{"Block devices:", "loop", []string{"7"}},
		{"Block devices:", "nosuch", nil},
	} {
		got, err := driverMajors(file, tt.section, tt.pattern)
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s %s: %v, %v; want %v", tt.section, tt.pattern, got, err, tt.want)
		}
	}
}

func TestDeviceLines(t *testing.T) {
	for _, tt := range []struct {
		spec, access string
		want         []string
		err          bool
	}{
		{"/dev/null", "rw", []string{"c 1:3 rw"}, false},
		{"/dev/nonexistent-device", "rw", nil, false},
		{"/etc/passwd", "r", nil, true},
	} {
		got, err := DeviceLines(tt.spec, tt.access)
		if (err != nil) != tt.err || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("DeviceLines(%s, %s) = %v, %v; want %v (error %v)", tt.spec, tt.access, got, err, tt.want, tt.err)
		}
	}
}
