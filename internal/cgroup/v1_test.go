package cgroup

import (
	"strings"
	"testing"
)

func TestParseV1Mount(t *testing.T) {
	mi := `31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime shared:9 - cgroup cgroup rw,memory
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
`
	tests := map[string]string{"memory": "/sys/fs/cgroup/memory", "pids": "/sys/fs/cgroup/pids",
		"cpuacct": "/sys/fs/cgroup/cpu,cpuacct", "hugetlb": ""}
	for c, want := range tests {
		got, err := parseV1Mount(strings.NewReader(mi), c)
		if err != nil || got != want {
			t.Errorf("parseV1Mount(%s) = %q, %v; want %q", c, got, err, want)
		}
	}
}

func TestParseV1Cgroup(t *testing.T) {
	pc := "9:name=systemd:/\n8:pids:/a\n4:memory:/process_api/x\n2:cpu,cpuacct:/c\n0::/\n"
	tests := []struct{ c, want string }{{"pids", "/a"}, {"memory", "/process_api/x"}, {"cpuacct", "/c"}}
	for _, tt := range tests {
		got, err := parseV1Cgroup(strings.NewReader(pc), tt.c)
		if err != nil || got != tt.want {
			t.Errorf("parseV1Cgroup(%s) = %q, %v; want %q", tt.c, got, err, tt.want)
		}
	}
	if _, err := parseV1Cgroup(strings.NewReader(pc), "hugetlb"); err == nil {
		t.Error("parseV1Cgroup(hugetlb): want error")
	}
}

func TestManagerBase(t *testing.T) {
	v := V1{Self: "/process_api/x"}
	tests := []struct{ a, b string }{
		{"/a/capsuled", "/b/capsuled"}, // same last name
		{"/a-b", "/a/b"},
		{"/capsuled", "/capsuled/x"},
	}
	for _, tt := range tests {
		ba, bb := v.ManagerBase(tt.a), v.ManagerBase(tt.b)
		if ba == bb || strings.HasPrefix(bb, ba+"/") || strings.HasPrefix(ba, bb+"/") {
			t.Errorf("ManagerBase(%q) = %q and ManagerBase(%q) = %q overlap", tt.a, ba, tt.b, bb)
		}
	}
	if a, b := v.ManagerBase("/x/y"), v.ManagerBase("x//y/"); a != b {
		t.Errorf("one cgroup spelled two ways: %q, %q", a, b)
	}
}
