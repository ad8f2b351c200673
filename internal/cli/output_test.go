package cli

import (
	"bytes"
	"strings"
	"testing"

	"github.com/capsuled/capsuled/internal/api"
)

func TestPrintStatus(t *testing.T) {
	tests := []struct {
		name string
		u    api.Unit
		want []string // lines that must appear, in order
		not  []string
	}{
		{
			name: "running",
			u: api.Unit{Name: "web.service", Description: "Web server", LoadState: "loaded", ActiveState: "active",
				SubState: "running", Fragment: "/etc/capsuled/web.service", UnitFileState: "static",
				DropIns: []string{"/etc/a.conf", "/etc/b.conf"}, InvocationID: "abc123", MainPID: 12,
				StatusText: "Ready", ControlGroup: "/capsuled/system.slice/web.service",
				Processes: []api.Process{{PID: 12, Command: "/usr/bin/sleep 100"}, {PID: 13, Command: "/bin/child"}}},
			want: []string{
				"● web.service - Web server",
				"     Loaded: loaded (/etc/capsuled/web.service; static)",
				"    Drop-In: /etc",
				"             └─a.conf, b.conf",
				"     Active: active (running)",
				" Invocation: abc123",
				"   Main PID: 12 (sleep)",
				`     Status: "Ready"`,
				"     CGroup: /capsuled/system.slice/web.service",
				"             ├─12 /usr/bin/sleep 100",
				"             └─13 /bin/child",
			},
			not: []string{"Transient"},
		},
		{
			name: "failed",
			u: api.Unit{Name: "job.service", Description: "A job", LoadState: "loaded", ActiveState: "failed",
				SubState: "failed", Result: "exit-code", ExitCode: "exited", ExitStatus: 3, Transient: true,
				ExecMainPID: 4711, InvocationID: "def", Log: []string{"line one", "line two"}},
			want: []string{
				"× job.service - A job",
				"     Loaded: loaded",
				"  Transient: yes",
				"     Active: failed (Result: exit-code)",
				" Invocation: def",
				"   Main PID: 4711 (code=exited, status=3/NOTIMPLEMENTED)",
				"",
				"line one",
				"line two",
			},
			not: []string{"CGroup:", "Status:"},
		},
		{
			name: "inactive",
			u: api.Unit{Name: "idle.service", Description: "Idle", LoadState: "loaded", ActiveState: "inactive",
				SubState: "dead", InvocationID: "old"},
			want: []string{"○ idle.service - Idle", "     Active: inactive (dead)"},
			not:  []string{"Invocation:", "Main PID:"},
		},
		{
			name: "condition unmet",
			u: api.Unit{Name: "c.service", LoadState: "loaded", ActiveState: "inactive", SubState: "dead",
				ConditionFailed: 1, Unmet: []string{"ConditionPathExists=|/a was not met", "ConditionPathExists=|/b was not met"}},
			want: []string{"     Active: inactive (dead)",
				"             ├─ ConditionPathExists=|/a was not met",
				"             └─ ConditionPathExists=|/b was not met"},
			not: []string{"Assert:"},
		},
		{
			name: "assert failed",
			u: api.Unit{Name: "a.service", LoadState: "loaded", ActiveState: "inactive", SubState: "dead",
				AssertFailed: 1, AssertUnmet: "AssertPathExists=/x was not met"},
			want: []string{"     Active: inactive (dead)", "             AssertPathExists=/x was not met"},
			not:  []string{"Condition:", "└─"},
		},
		{
			name: "exited",
			u: api.Unit{Name: "once.service", LoadState: "loaded", ActiveState: "active", SubState: "exited",
				ExecMainPID: 32273, ExitCode: "exited"},
			want: []string{"   Main PID: 32273 (code=exited, status=0/SUCCESS)"},
		},
		{
			name: "killed",
			u: api.Unit{Name: "k.service", LoadState: "loaded", ActiveState: "failed", SubState: "failed",
				ExecMainPID: 7, ExitCode: "killed", ExitStatus: 9},
			want: []string{"   Main PID: 7 (code=killed, signal=KILL)"},
		},
		{
			name: "unnamed status",
			u: api.Unit{Name: "u.service", LoadState: "loaded", ActiveState: "failed", SubState: "failed",
				ExecMainPID: 8, ExitCode: "exited", ExitStatus: 42},
			want: []string{"   Main PID: 8 (code=exited, status=42)"},
		},
		{
			// As systemd 257 shows it (observed): ended commands, then
			// the running main process.
			name: "process lines",
			u: api.Unit{Name: "uxproc.service", LoadState: "loaded", ActiveState: "active", SubState: "running",
				InvocationID: "aca4", MainPID: 29571, Execs: []api.ExecRun{
					{Kind: "ExecCondition", Argv: "/bin/true", PID: 29554, Code: "exited"},
					{Kind: "ExecStartPre", Argv: "/bin/false", PID: 29566, Code: "exited", Status: 1},
					{Kind: "ExecStartPre", Argv: "/bin/sh -c exit 0", PID: 29570, Code: "exited"},
					{Kind: "ExecStartPost", Argv: "/bin/echo post", PID: 29572, Code: "exited"},
					{Kind: "ExecStop", Argv: "/bin/kill $MAINPID", PID: 3, Code: "killed", Status: 15}}},
			want: []string{
				" Invocation: aca4",
				"    Process: 29554 ExecCondition=/bin/true (code=exited, status=0/SUCCESS)",
				"    Process: 29566 ExecStartPre=/bin/false (code=exited, status=1/FAILURE)",
				"    Process: 29570 ExecStartPre=/bin/sh -c exit 0 (code=exited, status=0/SUCCESS)",
				"    Process: 29572 ExecStartPost=/bin/echo post (code=exited, status=0/SUCCESS)",
				"    Process: 3 ExecStop=/bin/kill $MAINPID (code=killed, signal=TERM)",
				"   Main PID: 29571",
			},
		},
		{
			name: "main pid without process",
			u: api.Unit{Name: "x.service", LoadState: "loaded", ActiveState: "active", SubState: "running",
				MainPID: 99},
			want: []string{"   Main PID: 99"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			printStatus(&b, &tt.u)
			out := b.String()
			lines := strings.Split(out, "\n")
			i := 0
			for _, w := range tt.want {
				for i < len(lines) && lines[i] != w {
					i++
				}
				if i == len(lines) {
					t.Fatalf("line %q missing or out of order in\n%s", w, out)
				}
				i++
			}
			for _, n := range tt.not {
				if strings.Contains(out, n) {
					t.Errorf("output contains %q:\n%s", n, out)
				}
			}
		})
	}
}

func TestPrintUnitTable(t *testing.T) {
	var b bytes.Buffer
	printUnitTable(&b, []api.Unit{
		{Name: "a.service", LoadState: "loaded", ActiveState: "active", SubState: "running", Description: "A"},
		{Name: "long-name.service", LoadState: "loaded", ActiveState: "failed", SubState: "failed", Description: "B"},
	}, "2 loaded units listed.\n", true)
	want := "" +
		"  UNIT              LOAD   ACTIVE SUB     DESCRIPTION\n" +
		"  a.service         loaded active running A\n" +
		"● long-name.service loaded failed failed  B\n"
	if !strings.HasPrefix(b.String(), want) {
		t.Errorf("got\n%s\nwant prefix\n%s", b.String(), want)
	}
	if !strings.HasSuffix(b.String(), "\n2 loaded units listed.\n") {
		t.Errorf("missing count line:\n%s", b.String())
	}

	// --no-legend: the rows alone (observed in systemctl 257).
	b.Reset()
	printUnitTable(&b, []api.Unit{{Name: "b.service", LoadState: "loaded", ActiveState: "failed", SubState: "failed", Description: "B"}}, "1 loaded units listed.\n", false)
	if got := b.String(); got != "● b.service loaded failed failed B\n" {
		t.Errorf("--no-legend: %q", got)
	}

	b.Reset()
	printUnitTable(&b, nil, "0 loaded units listed.\n", true)
	// systemctl 257 prints no legend under an empty table.
	if b.String() != "  UNIT LOAD ACTIVE SUB DESCRIPTION\n\n0 loaded units listed.\n" {
		t.Errorf("empty table:\n%s", b.String())
	}
}

func TestPrintTree(t *testing.T) {
	tests := []struct {
		name  string
		procs []api.Process
		want  string
	}{
		{"none", nil, ""},
		{"one", []api.Process{{PID: 1, Command: "init"}}, "" +
			"             └─1 init\n"},
		{"flat", []api.Process{{PID: 1, Command: "a"}, {PID: 2, Command: "b"}, {PID: 3, Command: "c"}}, "" +
			"             ├─1 a\n" +
			"             ├─2 b\n" +
			"             └─3 c\n"},
		{"subgroups only", []api.Process{{PID: 5, Command: "w", Cgroup: "worker"}, {PID: 4, Command: "s", Cgroup: "supervisor"},
			{PID: 6, Command: "w2", Cgroup: "worker"}}, "" +
			"             ├─supervisor\n" +
			"             │ └─4 s\n" +
			"             └─worker\n" +
			"               ├─5 w\n" +
			"               └─6 w2\n"},
	}
	for _, tt := range tests {
		var b bytes.Buffer
		printTree(&b, tt.procs)
		if b.String() != tt.want {
			t.Errorf("%s: got\n%s\nwant\n%s", tt.name, b.String(), tt.want)
		}
	}
}

func TestPrintTreeMixed(t *testing.T) {
	var b bytes.Buffer
	printTree(&b, []api.Process{{PID: 1, Command: "main"}, {PID: 2, Command: "child", Cgroup: "sub"}})
	want := "" +
		"             ├─1 main\n" +
		"             └─sub\n" +
		"               └─2 child\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}

func TestPrintManager(t *testing.T) {
	var b bytes.Buffer
	printManager(&b, &api.Manager{State: "running", Mode: "user", Capsule: "foo", Version: "0.1.0", PID: 7,
		ControlGroup: "/capsule.slice/capsule@foo.service", Units: 3, Jobs: 0, Failed: 1})
	for _, w := range []string{"● foo\n", "    State: running\n", "    Units: 3 loaded\n", "   Failed: 1 units\n",
		" capsuled: 0.1.0 (user mode, PID 7)\n", "   CGroup: /capsule.slice/capsule@foo.service\n"} {
		if !strings.Contains(b.String(), w) {
			t.Errorf("missing %q in\n%s", w, b.String())
		}
	}
}

func TestPrintableEscapesControls(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain text\twith tab", "plain text\twith tab"},
		{"\x1b[2J\x1b]0;pwned\x07", `\x1b[2J\x1b]0;pwned\x07`},
		{"bell\x07 and del\x7f", `bell\x07 and del\u007f`},
		{"ümlaut ok", "ümlaut ok"},
		{"c1 \u009b csi", `c1 \u009b csi`},
		{"raw c1 \x9b csi", `raw c1 \x9b csi`},
		{"bidi \u202e", `bidi \u202e`},
	}
	for _, tt := range tests {
		if got := printable(tt.in); got != tt.want {
			t.Errorf("printable(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	var b bytes.Buffer
	printStatus(&b, &api.Unit{Name: "x.service", Description: "evil\x1b[31m", ActiveState: "active", SubState: "running",
		Log: []string{"line \x1b]0;title\x07"}})
	if strings.ContainsRune(b.String(), 0x1b) || strings.ContainsRune(b.String(), 0x07) {
		t.Errorf("status output carries control characters: %q", b.String())
	}
}

// evil carries every kind of character a terminal could act on.
const evil = "e\x1b[2J\x9b1m\u009b2m\u202e\u2066\n"

func assertClean(t *testing.T, what, out string) {
	t.Helper()
	for _, c := range []string{"\x1b", "\x9b", "\u009b", "\u202e", "\u2066"} {
		if strings.Contains(out, c) {
			t.Errorf("%s carries %q raw:\n%q", what, c, out)
		}
	}
	if strings.Contains(out, "\u2066\n") {
		t.Errorf("%s lets a value break the line:\n%q", what, out)
	}
}

func TestEveryFieldEscaped(t *testing.T) {
	u := api.Unit{Name: evil, Description: evil, LoadState: evil, LoadError: "", ActiveState: evil, SubState: evil,
		Fragment: evil, DropIns: []string{evil, evil}, UnitFileState: evil, InvocationID: evil, StatusText: evil,
		ControlGroup: evil, MainPID: 5, Processes: []api.Process{{PID: 5, Command: evil}, {PID: 6, Command: evil, Cgroup: evil}},
		Result: evil, ExitCode: evil, Log: []string{evil}}
	tests := []struct {
		name  string
		print func(*bytes.Buffer)
	}{
		{"status", func(b *bytes.Buffer) { printStatus(b, &u) }},
		{"status of a failed unit", func(b *bytes.Buffer) {
			f := u
			f.ActiveState, f.MainPID, f.LoadError = "failed", 0, evil
			printStatus(b, &f)
		}},
		{"list-units", func(b *bytes.Buffer) { printUnitTable(b, []api.Unit{u, u}, "", true) }},
		{"manager", func(b *bytes.Buffer) {
			printManager(b, &api.Manager{State: evil, Mode: evil, Capsule: evil, Version: evil, ControlGroup: evil})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			tt.print(&b)
			assertClean(t, tt.name, b.String())
		})
	}
}

func TestPrintDropIns(t *testing.T) {
	// As systemctl 257 status prints them (observed): a directory, then
	// its files after "└─", comma-separated.
	tests := []struct {
		paths []string
		want  string
	}{
		{nil, ""},
		{[]string{"/etc/d/a.service.d/override.conf"},
			"    Drop-In: /etc/d/a.service.d\n             └─override.conf\n"},
		{[]string{"/etc/d/a.service.d/override.conf", "/etc/d/a.service.d/zz.conf"},
			"    Drop-In: /etc/d/a.service.d\n             └─override.conf, zz.conf\n"},
		{[]string{"/etc/d/service.d/10-x.conf", "/etc/d/a.service.d/override.conf", "/run/d/a.service.d/y.conf"},
			"    Drop-In: /etc/d/service.d\n             └─10-x.conf\n" +
				"             /etc/d/a.service.d\n             └─override.conf\n" +
				"             /run/d/a.service.d\n             └─y.conf\n"},
	}
	for _, tt := range tests {
		var b bytes.Buffer
		printDropIns(&b, tt.paths)
		if b.String() != tt.want {
			t.Errorf("%q:\ngot\n%s\nwant\n%s", tt.paths, b.String(), tt.want)
		}
	}
}
