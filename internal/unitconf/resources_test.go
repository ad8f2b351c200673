package unitconf

import (
	"strings"
	"testing"
	"time"
)

func TestParseBytes(t *testing.T) {
	const ram = 8 << 30
	tests := []struct {
		in   string
		want uint64
		ok   bool
	}{
		{"1024", 1024, true},
		{"64M", 64 << 20, true},
		{"1.5G", 3 << 29, true},
		{"2T", 2 << 40, true},
		{"10K", 10 << 10, true},
		{"25%", 2 << 30, true},
		{"12.5%", 1 << 30, true},
		{"infinity", Unlimited, true},
		{" 8M ", 8 << 20, true},
		{"", 0, false},
		{"-1", 0, false},
		{"10X", 0, false},
		{"M", 0, false},
		{"101%", 0, false},
		{"abc%", 0, false},
		{"1MB", 0, false},
	}
	for _, tt := range tests {
		got, err := ParseBytes(tt.in, ram)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseBytes(%q) = %d, %v; want %d, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestParseTasks(t *testing.T) {
	tests := []struct {
		in   string
		want uint64
		ok   bool
	}{
		{"4096", 4096, true},
		{"15%", 15000, true},
		{"infinity", Unlimited, true},
		{"0", 0, false},
		{"-3", 0, false},
		{"1K", 0, false},
	}
	for _, tt := range tests {
		got, err := ParseTasks(tt.in, 100000)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseTasks(%q) = %d, %v; want %d, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestResources(t *testing.T) {
	tests := []struct {
		body string
		want Resources
		ok   bool
	}{
		{"", Resources{LogRateInterval: 30 * time.Second, LogRateBurst: 10000}, true},
		{"MemoryMax=64M\nTasksMax=32\nTmpfsSize=8M\nLogRateLimitIntervalSec=1s\nLogRateLimitBurst=5",
			Resources{MemoryMax: 64 << 20, TasksMax: 32, TmpfsSize: 8 << 20, LogRateInterval: time.Second, LogRateBurst: 5}, true},
		{"LogRateLimitIntervalSec=0", Resources{LogRateBurst: 10000}, true},
		{"MemoryMax=64M\nMemoryMax=", Resources{LogRateInterval: 30 * time.Second, LogRateBurst: 10000}, true},
		// Limits refuse the unit when invalid; the log rate falls back.
		{"MemoryMax=lots", Resources{}, false},
		{"TasksMax=0", Resources{}, false},
		{"TmpfsSize=infinity", Resources{}, false},
		{"TmpfsSize=4K", Resources{}, false},
		{"LogRateLimitBurst=-1", Resources{LogRateInterval: 30 * time.Second, LogRateBurst: 10000}, true},
	}
	for _, tt := range tests {
		u, _, err := parse(t, "x.service", "[Service]\nExecStart=/bin/true\n"+tt.body+"\n")
		if (err == nil) != tt.ok {
			t.Errorf("%q: error %v, want ok=%v", tt.body, err, tt.ok)
			continue
		}
		if err == nil && u.Service.Resources != tt.want {
			t.Errorf("%q: got %+v, want %+v", tt.body, u.Service.Resources, tt.want)
		}
	}
	// A slice has the limits too, refused alike.
	u := mustParse(t, "a-b.slice", "[Slice]\nMemoryMax=1G\nTasksMax=infinity\n")
	if u.Slice.MemoryMax != 1<<30 || u.Slice.TasksMax != Unlimited {
		t.Errorf("slice limits %+v", u.Slice.Resources)
	}
	if _, _, err := parse(t, "a.slice", "[Slice]\nTasksMax=lots\n"); err == nil || !strings.Contains(err.Error(), "/u/a.slice:2: invalid TasksMax=lots") {
		t.Errorf("bad TasksMax= of a slice: %v", err)
	}
}
