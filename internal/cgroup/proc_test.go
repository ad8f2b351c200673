package cgroup

import (
	"bufio"
	"os"
	"strings"
	"testing"
)

func TestParseMountinfo(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    string
		wantErr bool
	}{
		{
			name: "hybrid",
			in: `22 1 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw
28 22 0:25 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755
29 28 0:26 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:10 - cgroup2 cgroup2 rw,nsdelegate
30 28 0:27 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:11 - cgroup cgroup rw,xattr,name=systemd
33 28 0:30 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:15 - cgroup cgroup rw,memory
`,
			want: "/sys/fs/cgroup/unified",
		},
		{
			name: "unified without optional fields",
			in:   "41 31 0:38 / /sys/fs/cgroup rw,relatime - cgroup2 cgroup2 rw\n",
			want: "/sys/fs/cgroup",
		},
		{
			name: "several optional fields",
			in:   "41 31 0:38 / /cg rw shared:5 master:3 propagate_from:2 - cgroup2 none rw\n",
			want: "/cg",
		},
		{
			name: "escaped mount point",
			in:   `41 31 0:38 / /mnt/my\040cgroups\011x\134y rw shared:5 - cgroup2 cgroup2 rw` + "\n",
			want: "/mnt/my cgroups\tx\\y",
		},
		{
			name: "first of two",
			in: "41 31 0:38 / /a rw - cgroup2 cgroup2 rw\n" +
				"42 31 0:38 / /b rw - cgroup2 cgroup2 rw\n",
			want: "/a",
		},
		{
			name:    "cgroup2 as source of another type is not a match",
			in:      "41 31 0:38 / /x rw - tmpfs cgroup2 rw\n",
			wantErr: true,
		},
		{
			name: "only v1",
			in: "30 28 0:27 / /sys/fs/cgroup/systemd rw shared:11 - cgroup cgroup rw,name=systemd\n" +
				"33 28 0:30 / /sys/fs/cgroup/memory rw shared:15 - cgroup cgroup rw,memory\n",
			wantErr: true,
		},
		{
			name:    "empty",
			in:      "",
			wantErr: true,
		},
		{
			name:    "malformed",
			in:      "41 31 0:38 / /x rw cgroup2\n",
			wantErr: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseMountinfo(strings.NewReader(tt.in))
			if tt.wantErr {
				if err == nil {
					t.Fatalf("got %q, want error", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestUnescapeOctal(t *testing.T) {
	tests := []struct{ in, want string }{
		{"/plain", "/plain"},
		{`/a\040b`, "/a b"},
		{`/a\012`, "/a\n"},
		{`/trailing\04`, `/trailing\04`},
		{`/not\08x`, `/not\08x`},
		{`/high\777`, `/high\777`},
		{`\134\134`, `\\`},
	}
	for _, tt := range tests {
		if got := unescapeOctal(tt.in); got != tt.want {
			t.Errorf("unescapeOctal(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseProcCgroup(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    string
		wantErr bool
	}{
		{name: "unified root", in: "0::/\n", want: "/"},
		{name: "unified nested", in: "0::/system.slice/foo.service\n", want: "/system.slice/foo.service"},
		{
			name: "hybrid",
			in:   "9:name=systemd:/x\n4:memory:/m/n\n1:cpu:/\n0::/a/b\n",
			want: "/a/b",
		},
		{name: "v1 only", in: "4:memory:/m\n1:cpu,cpuacct:/\n", wantErr: true},
		{name: "empty path", in: "0::\n", wantErr: true},
		{name: "empty", in: "", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseProcCgroup(strings.NewReader(tt.in))
			if tt.wantErr {
				if err == nil {
					t.Fatalf("got %q, want error", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// unifiedLine reads the "0::" entry of a /proc/<pid>/cgroup file directly.
func unifiedLine(t *testing.T, file string) string {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if p, ok := strings.CutPrefix(sc.Text(), "0::"); ok {
			return p
		}
	}
	t.Skipf("%s has no cgroup2 entry", file)
	return ""
}

func TestSelf(t *testing.T) {
	want := unifiedLine(t, "/proc/self/cgroup")
	got, err := Self()
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("Self() = %q, want %q", got, want)
	}
	got, err = OfPID(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("OfPID(self) = %q, want %q", got, want)
	}
}

func TestOfPIDInvalid(t *testing.T) {
	for _, pid := range []int{0, -1} {
		if _, err := OfPID(pid); err == nil {
			t.Errorf("OfPID(%d): want error", pid)
		}
	}
	// Linux limits pids to 2^22, so this one cannot exist.
	if _, err := OfPID(1 << 23); err == nil {
		t.Errorf("OfPID(%d): want error", 1<<23)
	}
}

func TestPath(t *testing.T) {
	h := Hierarchy{Root: "/sys/fs/cgroup"}
	tests := []struct{ in, want string }{
		{"/", "/sys/fs/cgroup"},
		{"", "/sys/fs/cgroup"},
		{"/a/b", "/sys/fs/cgroup/a/b"},
		{"a/b/", "/sys/fs/cgroup/a/b"},
		{"/../../etc", "/sys/fs/cgroup/etc"},
	}
	for _, tt := range tests {
		if got := h.Path(tt.in); got != tt.want {
			t.Errorf("Path(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
