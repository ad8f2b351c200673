package condition

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestParse(t *testing.T) {
	tests := []struct {
		key, value string
		want       Condition
		err        error // nil: accepted
	}{
		{"ConditionPathExists", "/etc", Condition{Type: PathExists, Param: "/etc"}, nil},
		{"AssertPathExists", "|!/etc//foo/./bar/", Condition{Type: PathExists, Assert: true, Trigger: true, Negate: true, Param: "/etc/foo/bar"}, nil},
		{"ConditionPathIsDirectory", "!/", Condition{Type: PathIsDirectory, Negate: true, Param: "/"}, nil},
		{"ConditionNeedsUpdate", "/etc", Condition{Type: NeedsUpdate, Param: "/etc"}, nil},
		{"ConditionHost", "| ! foo", Condition{Type: Host, Trigger: true, Negate: true, Param: "foo"}, nil},
		{"ConditionHost", "!", Condition{Type: Host, Negate: true}, nil},
		{"AssertMemory", ">=1G", Condition{Type: Memory, Assert: true, Param: ">=1G"}, nil},
		// Bad parameters of non-path checks load, and fail when evaluated.
		{"ConditionACPower", "maybe", Condition{Type: ACPower, Param: "maybe"}, nil},
		{"ConditionCapability", "CAP_NOPE", Condition{Type: Capability, Param: "CAP_NOPE"}, nil},
		{"ConditionPathExists", "", Condition{}, ErrEmpty},
		{"ConditionPathExists", "etc", Condition{}, errAny},
		{"ConditionPathExists", "| !/etc", Condition{}, errAny}, // no blanks after path prefixes
		{"ConditionPathExists", "/etc/../x", Condition{}, errAny},
		{"ConditionPathExists", "|", Condition{}, errAny},
		{"ConditionFoo", "bar", Condition{}, ErrUnknown},
		{"ConditionVersion", "5", Condition{}, ErrUnknown}, // added after 257
		{"ConditionPathIsSocket", "/x", Condition{}, ErrUnknown},
		{"Description", "x", Condition{}, ErrUnknown},
	}
	for _, tt := range tests {
		got, err := Parse(tt.key, tt.value)
		switch {
		case tt.err == nil && err != nil:
			t.Errorf("Parse(%s=%s): %v", tt.key, tt.value, err)
		case tt.err == errAny && err == nil, tt.err != nil && tt.err != errAny && !errors.Is(err, tt.err):
			t.Errorf("Parse(%s=%s) = %v, want error %v", tt.key, tt.value, err, tt.err)
		case tt.err == nil && got != tt.want:
			t.Errorf("Parse(%s=%s) = %+v, want %+v", tt.key, tt.value, got, tt.want)
		}
	}
}

var errAny = errors.New("any error")

func TestNames(t *testing.T) {
	for typ := Type(0); typ < numTypes; typ++ {
		for _, a := range []bool{false, true} {
			c := Condition{Type: typ, Assert: a}
			got, assert, ok := Lookup(c.Name())
			if !ok || got != typ || assert != a {
				t.Errorf("Lookup(%s) = %v %v %v", c.Name(), got, assert, ok)
			}
		}
	}
	c := Condition{Type: PathExists, Trigger: true, Negate: true, Param: "/x"}
	if s := c.String(); s != "ConditionPathExists=|!/x" {
		t.Errorf("String() = %q", s)
	}
}

// fake is a host with something of everything.
func fake() *Fake {
	return &Fake{
		NodeName:       "Tatze.example",
		MachineIDHex:   "0123456789abcdef0123456789abcdef",
		BootIDHex:      "fedcba9876543210fedcba9876543210",
		ProductUUIDHex: "",
		Cmdline:        []string{"BOOT_IMAGE=/vmlinuz", "ro", "quiet", "console=ttyS0"},
		Release:        "6.18.0-1-amd64",
		Arch:           "x86_64",
		Virt:           "kvm",
		AC:             true,
		Mem:            24 << 30,
		NCPUs:          2,
		Bounding:       1<<21 | 1<<12, // CAP_SYS_ADMIN, CAP_NET_ADMIN
		SecurityOn:     map[string]bool{"apparmor": true, "audit": true},
		Creds:          Credentials{UID: 61184, EUID: 61184, GID: 61184, EGID: 61184, Groups: []uint32{100}, UserName: "c-tatze"},
		Users:          map[string]uint32{"c-tatze": 61184, "root": 0, "daemon": 1},
		Groups:         map[string]uint32{"c-tatze": 61184, "users": 100, "root": 0},
		Env:            []string{"HOME=/var/lib/capsules/tatze", "LANG=C.UTF-8", "EMPTY="},
		OS:             map[string]string{"ID": "debian", "VERSION_ID": "12", "PRETTY_NAME": "Debian GNU/Linux 12 (bookworm)"},
		Flags:          []string{"fpu", "sse2", "avx2", "hypervisor"},
		Controllers:    []string{"memory", "pids", "cpu"},
		EFI:            true,
		SMBIOS:         map[string]string{"sys_vendor": "QEMU", "bios_version": "1.16.2"},
		PSI:            map[string][3]float64{"memory": {0, 1.5, 3}, "cpu": {20, 10, 5}, "io": {0, 0, 0}},
	}
}

// check is one condition expected to hold (and, negated, not to) on fake().
type check struct {
	key, value string
	want       bool
}

func TestEvaluateFake(t *testing.T) {
	dir := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.WriteFile(dir+"/full", []byte("x"), 0o644))
	must(os.WriteFile(dir+"/empty", nil, 0o644))
	must(os.WriteFile(dir+"/exe", []byte("#!/bin/sh\n"), 0o755))
	must(os.Mkdir(dir+"/emptydir", 0o755))
	must(os.Mkdir(dir+"/hiddenonly", 0o755))
	must(os.WriteFile(dir+"/hiddenonly/.x", nil, 0o644))
	must(os.WriteFile(dir+"/hiddenonly/y~", nil, 0o644))
	must(os.WriteFile(dir+"/hiddenonly/z.dpkg-old", nil, 0o644))
	must(os.Mkdir(dir+"/fulldir", 0o755))
	must(os.WriteFile(dir+"/fulldir/a", nil, 0o644))
	must(os.Symlink("full", dir+"/link"))
	must(unix.Mkfifo(dir+"/fifo", 0o644))
	must(os.Symlink("nowhere", dir+"/dangling"))
	must(os.Mkdir(dir+"/etc", 0o755))
	must(os.WriteFile(dir+"/etc/.updated", []byte("TIMESTAMP_NSEC=0\n"), 0o644))
	must(os.Chtimes(dir+"/etc/.updated", time.Unix(1, 0), time.Unix(1, 0)))
	must(os.Mkdir(dir+"/var", 0o755))
	must(os.WriteFile(dir+"/var/.updated", nil, 0o644))

	checks := []check{
		{"ConditionPathExists", dir + "/full", true},
		{"ConditionPathExists", dir + "/missing", false},
		{"ConditionPathExists", dir + "/dangling", false},
		{"ConditionPathExistsGlob", dir + "/fu*", true},
		{"ConditionPathExistsGlob", dir + "/nope*", false},
		{"ConditionPathIsDirectory", dir + "/fulldir", true},
		{"ConditionPathIsDirectory", dir + "/full", false},
		{"ConditionPathIsSymbolicLink", dir + "/link", true},
		{"ConditionPathIsSymbolicLink", dir + "/full", false},
		{"ConditionPathIsMountPoint", "/", true},
		{"ConditionPathIsMountPoint", "/proc", true},
		{"ConditionPathIsMountPoint", dir + "/fulldir", false},
		{"ConditionPathIsMountPoint", dir + "/missing", false},
		{"ConditionPathIsReadWrite", dir, true},
		{"ConditionPathIsReadWrite", dir + "/missing", false},
		{"ConditionPathIsEncrypted", "/proc", false},
		{"ConditionPathIsEncrypted", dir + "/missing", false},
		{"ConditionDirectoryNotEmpty", dir + "/fulldir", true},
		{"ConditionDirectoryNotEmpty", dir + "/emptydir", false},
		{"ConditionDirectoryNotEmpty", dir + "/hiddenonly", false},
		{"ConditionDirectoryNotEmpty", dir + "/full", false},
		{"ConditionDirectoryNotEmpty", dir + "/missing", false},
		{"ConditionDirectoryNotEmpty", dir + "/fifo", false}, // not opened: no writer would come
		{"ConditionFileNotEmpty", dir + "/full", true},
		{"ConditionFileNotEmpty", dir + "/link", true},
		{"ConditionFileNotEmpty", dir + "/empty", false},
		{"ConditionFileNotEmpty", dir + "/fulldir", false},
		{"ConditionFileIsExecutable", dir + "/exe", true},
		{"ConditionFileIsExecutable", dir + "/full", false},
		{"ConditionFileIsExecutable", dir + "/fulldir", false},
		{"ConditionNeedsUpdate", dir + "/etc", true}, // stamp older than /usr
		{"ConditionNeedsUpdate", dir + "/var", false},
		{"ConditionNeedsUpdate", dir + "/missing", true},
		{"ConditionEnvironment", "LANG", true},
		{"ConditionEnvironment", "LANG=C.UTF-8", true},
		{"ConditionEnvironment", "LANG=C", false},
		{"ConditionEnvironment", "LAN", false},
		{"ConditionEnvironment", "EMPTY=", true},
		{"ConditionEnvironment", "NOPE", false},
		{"ConditionUser", "c-tatze", true},
		{"ConditionUser", "61184", true},
		{"ConditionUser", "root", false},
		{"ConditionUser", "0", false},
		{"ConditionUser", "@system", false},
		{"ConditionUser", "daemon", false},
		{"ConditionUser", "nosuchuser", false},
		{"ConditionGroup", "c-tatze", true},
		{"ConditionGroup", "users", true},
		{"ConditionGroup", "100", true},
		{"ConditionGroup", "root", false},
		{"ConditionGroup", "nosuchgroup", false},
		{"ConditionHost", "tatze.example", true},
		{"ConditionHost", "T*", true},
		{"ConditionHost", "other", false},
		{"ConditionHost", "0123456789abcdef0123456789abcdef", true},
		{"ConditionHost", "01234567-89ab-cdef-0123-456789abcdef", true},
		{"ConditionHost", "fedcba9876543210fedcba9876543210", true},
		{"ConditionHost", "00000000000000000000000000000000", false},
		{"ConditionKernelCommandLine", "quiet", true},
		{"ConditionKernelCommandLine", "console", true},
		{"ConditionKernelCommandLine", "console=ttyS0", true},
		{"ConditionKernelCommandLine", "console=tty0", false},
		{"ConditionKernelCommandLine", "consol", false},
		{"ConditionKernelVersion", ">=6.1", true},
		{"ConditionKernelVersion", "<6.1", false},
		{"ConditionKernelVersion", "6.18.*", true},
		{"ConditionKernelVersion", "5.*", false},
		{"ConditionKernelVersion", ">= 6.0 <7", true},
		{"ConditionKernelVersion", `">=6" "<6.18"`, false},
		{"ConditionKernelVersion", "=6.18.0-1-amd64", true},
		{"ConditionVirtualization", "yes", true},
		{"ConditionVirtualization", "no", false},
		{"ConditionVirtualization", "vm", true},
		{"ConditionVirtualization", "container", false},
		{"ConditionVirtualization", "kvm", true},
		{"ConditionVirtualization", "qemu", false},
		{"ConditionVirtualization", "private-users", false},
		{"ConditionACPower", "true", true},
		{"ConditionACPower", "false", false},
		{"ConditionArchitecture", "x86-64", true},
		{"ConditionArchitecture", "arm64", false},
		{"ConditionArchitecture", "nonsense", false},
		{"ConditionCapability", "CAP_SYS_ADMIN", true},
		{"ConditionCapability", "cap_net_admin", true},
		{"ConditionCapability", "CAP_MKNOD", false},
		{"ConditionSecurity", "apparmor", true},
		{"ConditionSecurity", "audit", true},
		{"ConditionSecurity", "selinux", false},
		{"ConditionSecurity", "bogus", false},
		{"ConditionMemory", "1M", true},
		{"ConditionMemory", ">=24G", true},
		{"ConditionMemory", ">24G", false},
		{"ConditionMemory", "<1.5T", true},
		{"ConditionMemory", "=24G", true},
		{"ConditionMemory", "!=24G", false},
		{"ConditionMemory", "64G", false},
		{"ConditionCPUs", ">=1", true},
		{"ConditionCPUs", "2", true},
		{"ConditionCPUs", ">2", false},
		{"ConditionCPUs", "<>2", false},
		{"ConditionCPUFeature", "AVX2", true},
		{"ConditionCPUFeature", "avx512f", false},
		{"ConditionOSRelease", "ID=debian", true},
		{"ConditionOSRelease", "ID!=debian", false},
		{"ConditionOSRelease", "VERSION_ID>=11", true},
		{"ConditionOSRelease", "VERSION_ID>=13", false},
		{"ConditionOSRelease", "ID$=deb*", true},
		{"ConditionOSRelease", "ID!$=deb*", false},
		{"ConditionOSRelease", `PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"`, true},
		{"ConditionOSRelease", "ID=debian VERSION_ID=13", false},
		{"ConditionOSRelease", "MISSING!=x", true},
		{"ConditionFirstBoot", "no", true},
		{"ConditionFirstBoot", "yes", false},
		{"ConditionControlGroupController", "memory", true},
		{"ConditionControlGroupController", "memory pids", true},
		{"ConditionControlGroupController", "memory io", false},
		{"ConditionControlGroupController", "nonsense", true},
		{"ConditionControlGroupController", "v1", true},
		{"ConditionControlGroupController", "v2", false},
		{"ConditionFirmware", "uefi", true},
		{"ConditionFirmware", "device-tree", false},
		{"ConditionFirmware", "device-tree-compatible(foo)", false},
		{"ConditionFirmware", "smbios-field(sys_vendor = QEMU)", true},
		{"ConditionFirmware", "smbios-field(sys_vendor $= Q*)", true},
		{"ConditionFirmware", "smbios-field(bios_version >= 1.17)", false},
		{"ConditionFirmware", "smbios-field(board_name = x)", false},
		{"ConditionFirmware", "bios", false},
		{"ConditionMemoryPressure", "10%", true},
		{"ConditionMemoryPressure", "1%/1min", false},
		{"ConditionCPUPressure", "10%/10sec", false},
		{"ConditionIOPressure", "0%", true},
		{"ConditionCredential", "nothing", false},
	}
	for _, c := range checks {
		for _, neg := range []bool{false, true} {
			for _, assert := range []bool{false, true} {
				key, value := c.key, c.value
				if assert {
					key = "Assert" + strings.TrimPrefix(key, "Condition")
				}
				if neg {
					value = "!" + value
				}
				var l List
				if err := l.Set(key, value); err != nil {
					t.Fatalf("%s=%s: %v", key, value, err)
				}
				out := l.Evaluate(fake())
				if out.OK != (c.want != neg) {
					t.Errorf("%s=%s: OK %v, want %v (%v)", key, value, out.OK, c.want != neg, out.Results[0].Err)
				}
				if out.Results[0].State == Error {
					t.Errorf("%s=%s: error %v", key, value, out.Results[0].Err)
				}
			}
		}
	}
}

// TestEvaluateErrors: checks that cannot be determined fail, negated or not.
func TestEvaluateErrors(t *testing.T) {
	for _, kv := range [][2]string{
		{"ConditionACPower", "maybe"},
		{"ConditionFirstBoot", "perhaps"},
		{"ConditionCapability", "CAP_NOPE"},
		{"ConditionMemory", "lots"},
		{"ConditionMemory", ">-1"},
		{"ConditionCPUs", "many"},
		{"ConditionOSRelease", "ID"},
		{"ConditionOSRelease", "ID= debian"},
		{"ConditionOSRelease", "ID="},
		{"ConditionKernelVersion", ">="},
		{"ConditionFirmware", "smbios-field(sys_vendor)"},
		{"ConditionMemoryPressure", "lots"},
	} {
		for _, neg := range []string{"", "!"} {
			var l List
			if err := l.Set(kv[0], neg+kv[1]); err != nil {
				t.Fatal(err)
			}
			out := l.Evaluate(fake())
			if out.OK {
				t.Errorf("%s=%s%s holds, want failure", kv[0], neg, kv[1])
			}
			if out.Results[0].State != Error {
				t.Errorf("%s=%s%s: state %v, want error", kv[0], neg, kv[1], out.Results[0].State)
			}
		}
	}
	// A fact that cannot be read makes its check fail with the reason.
	f := fake()
	f.Err = errors.New("no /proc")
	var l List
	_ = l.Set("ConditionCPUs", "!>=64")
	out := l.Evaluate(f)
	if out.OK || out.Results[0].State != Error || !strings.Contains(out.Results[0].LogLine(), "Couldn't determine result for ConditionCPUs=!>=64, assuming failed: ") {
		t.Errorf("unreadable fact: %+v %q", out, out.Results[0].LogLine())
	}
}

func TestLists(t *testing.T) {
	tests := []struct {
		name   string
		sets   [][2]string
		ok     bool
		failed string // Outcome.Failed's condition, "" for none
		skip   string
	}{
		{"empty", nil, true, "", ""},
		{"all hold", [][2]string{{"ConditionHost", "tatze*"}, {"ConditionCPUs", ">=1"}}, true, "", ""},
		{"one fails", [][2]string{{"ConditionHost", "tatze*"}, {"ConditionPathExists", "/nonexistent"}}, false,
			"ConditionPathExists=/nonexistent",
			"Foo skipped, unmet condition check ConditionPathExists=/nonexistent"},
		{"negated fails", [][2]string{{"ConditionPathExists", "!/"}}, false, "ConditionPathExists=!/",
			"Foo skipped, unmet condition check ConditionPathExists=!/"},
		{"one trigger of two holds", [][2]string{{"ConditionHost", "|other"}, {"ConditionHost", "|tatze*"}}, true, "", ""},
		{"no trigger holds", [][2]string{{"ConditionHost", "|other"}, {"ConditionHost", "|!tatze*"}}, false,
			"ConditionHost=|!tatze*", "Foo skipped, no trigger condition checks were met."},
		{"triggers hold, plain fails", [][2]string{{"ConditionHost", "|tatze*"}, {"ConditionCPUs", ">64"}}, false,
			"ConditionCPUs=>64", "Foo skipped, unmet condition check ConditionCPUs=>64"},
		{"plain holds, trigger fails", [][2]string{{"ConditionHost", "|other"}, {"ConditionCPUs", ">=1"}}, false,
			"ConditionHost=|other", "Foo skipped, no trigger condition checks were met."},
		{"|! trigger holds", [][2]string{{"ConditionHost", "|!other"}, {"ConditionPathExists", "|/nonexistent"}}, true, "", ""},
		{"reset drops earlier", [][2]string{{"ConditionPathExists", "/nonexistent"}, {"ConditionHost", ""}, {"ConditionCPUs", ">=1"}}, true, "", ""},
		{"reset drops all kinds", [][2]string{{"ConditionPathExists", "/nonexistent"}, {"ConditionHost", "other"}, {"ConditionPathExists", ""}}, true, "", ""},
	}
	for _, tt := range tests {
		var l List
		for _, kv := range tt.sets {
			if err := l.Set(kv[0], kv[1]); err != nil {
				t.Fatalf("%s: %v", tt.name, err)
			}
		}
		out := l.Evaluate(fake())
		if out.OK != tt.ok {
			t.Errorf("%s: OK = %v, want %v", tt.name, out.OK, tt.ok)
		}
		r, failed := out.Failed()
		if got := map[bool]string{true: r.String(), false: ""}[failed]; got != tt.failed {
			t.Errorf("%s: Failed() = %q, want %q", tt.name, got, tt.failed)
		}
		if tt.skip != "" {
			if got := out.SkipMessage("Foo"); got != tt.skip {
				t.Errorf("%s: SkipMessage = %q, want %q", tt.name, got, tt.skip)
			}
		}
	}
}

// TestOrder: systemd tests the last assignment first and stops at the first
// failing non-trigger check; status lists the unmet ones in that order.
func TestOrder(t *testing.T) {
	var l List
	for _, kv := range [][2]string{
		{"ConditionPathExists", "/nonexistent/a"},
		{"ConditionCPUs", ">=1"},
		{"ConditionPathExists", "/nonexistent/b"},
	} {
		if err := l.Set(kv[0], kv[1]); err != nil {
			t.Fatal(err)
		}
	}
	out := l.Evaluate(fake())
	states := []State{out.Results[0].State, out.Results[1].State, out.Results[2].State}
	if states[0] != Failed || states[1] != Untested || states[2] != Untested {
		t.Fatalf("states %v", states)
	}
	if got := out.Unmet(); len(got) != 1 || got[0] != "ConditionPathExists=/nonexistent/b was not met" {
		t.Errorf("Unmet() = %q", got)
	}
	if got := out.Results[0].LogLine(); got != "ConditionPathExists=/nonexistent/b failed." {
		t.Errorf("LogLine() = %q", got)
	}

	// Two failed triggers are listed as assigned (systemd 257, observed).
	var tr List
	_ = tr.Set("ConditionHost", "|nope")
	_ = tr.Set("ConditionHost", "|!*")
	to := tr.Evaluate(fake())
	if got := to.Unmet(); len(got) != 2 || got[0] != "ConditionHost=|nope was not met" || got[1] != "ConditionHost=|!* was not met" {
		t.Errorf("Unmet() = %q", got)
	}
	if got := Ident("a1.service", "Assert one"); got != "a1.service - Assert one" {
		t.Errorf("Ident = %q", got)
	}

	var a List
	_ = a.Set("AssertPathExists", "!/")
	_ = a.Set("AssertHost", "|other")
	ao := a.Evaluate(fake())
	if ao.OK || ao.AssertUnmet() != "AssertPathExists=!/ was not met" {
		t.Errorf("AssertUnmet() = %q", ao.AssertUnmet())
	}
}

func TestVersionCompare(t *testing.T) {
	// Each is older than the next, as systemd sorts them.
	order := []string{"122.1", "123~rc1-1", "123", "123-a", "123-a.1", "123-1", "123-1.1", "123^post1", "123.a-1", "123.1-1", "123a-1", "124-1"}
	for i := range order {
		for j := range order {
			got := versionCompare(order[i], order[j])
			want := cmp(i, j)
			if got != want {
				t.Errorf("versionCompare(%q, %q) = %d, want %d", order[i], order[j], got, want)
			}
		}
	}
	if versionCompare("6.18.0-1-amd64", "6.18") <= 0 || versionCompare("00123", "123") != 0 {
		t.Error("versionCompare of kernel releases")
	}
}

func TestParseSize(t *testing.T) {
	for s, want := range map[string]uint64{"1": 1, "1K": 1024, "1.5G": 3 << 29, "1G 512M": 3 << 29, "2 M": 2 << 20, "7B": 7} {
		if got, err := parseSize(s); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", s, got, err, want)
		}
	}
	for _, s := range []string{"", "x", "-1", "1X", "1M 2G", "99999999999E"} {
		if _, err := parseSize(s); err == nil {
			t.Errorf("parseSize(%q) accepted", s)
		}
	}
}

func TestFnmatch(t *testing.T) {
	for _, tt := range []struct {
		p, n string
		fold bool
		want bool
	}{
		{"*", "a/b", false, true},
		{"a?c", "abc", false, true},
		{"[a-c]x", "bx", false, true},
		{"[!a-c]x", "bx", false, false},
		{"[^a]x", "zx", false, true},
		{`\*`, "*", false, true},
		{`\*`, "a", false, false},
		{"HOST*", "host1", true, true},
		{"HOST*", "host1", false, false},
		{"[]]", "]", false, true},
	} {
		got, err := fnmatch(tt.p, tt.n, tt.fold)
		if err != nil || got != tt.want {
			t.Errorf("fnmatch(%q, %q) = %v, %v", tt.p, tt.n, got, err)
		}
	}
}

func TestParseOSRelease(t *testing.T) {
	m := ParseOSRelease([]byte("# c\nID=debian\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME='x y'\nbad line\n"))
	if m["ID"] != "debian" || m["PRETTY_NAME"] != "Debian GNU/Linux 12 (bookworm)" || m["NAME"] != "x y" || len(m) != 3 {
		t.Errorf("ParseOSRelease = %q", m)
	}
}

func TestCredential(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "token"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	f := fake()
	f.Env = append(f.Env, "CREDENTIALS_DIRECTORY="+dir)
	for v, want := range map[string]bool{"token": true, "other": false, "../token": false} {
		var l List
		_ = l.Set("ConditionCredential", v)
		if got := l.Evaluate(f).OK; got != want {
			t.Errorf("ConditionCredential=%s: %v, want %v", v, got, want)
		}
	}
}
