package manager

import (
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
		got, err := parseBytes(tt.in, ram)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("parseBytes(%q) = %d, %v; want %d, ok=%v", tt.in, got, err, tt.want, tt.ok)
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
		got, err := parseTasks(tt.in, 100000)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("parseTasks(%q) = %d, %v; want %d, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestParseResources(t *testing.T) {
	tests := []struct {
		body string
		want resources
		ok   bool
	}{
		{"", resources{LogRateInterval: 30 * time.Second, LogRateBurst: 10000}, true},
		{"MemoryMax=64M\nTasksMax=32\nTmpfsSize=8M\nLogRateLimitIntervalSec=1s\nLogRateLimitBurst=5",
			resources{MemoryMax: 64 << 20, TasksMax: 32, TmpfsSize: 8 << 20, LogRateInterval: time.Second, LogRateBurst: 5}, true},
		{"LogRateLimitIntervalSec=0", resources{LogRateBurst: 10000}, true},
		{"MemoryMax=lots", resources{}, false},
		{"TasksMax=0", resources{}, false},
		{"TmpfsSize=infinity", resources{}, false},
		{"TmpfsSize=4K", resources{}, false},
		{"LogRateLimitBurst=-1", resources{}, false},
	}
	for _, tt := range tests {
		c, err := service(t, "ExecStart=/bin/true\n"+tt.body)
		if (err == nil) != tt.ok {
			t.Errorf("%q: error %v, want ok=%v", tt.body, err, tt.ok)
			continue
		}
		if err == nil && c.resources != tt.want {
			t.Errorf("%q: got %+v, want %+v", tt.body, c.resources, tt.want)
		}
	}
}
