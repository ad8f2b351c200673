package cli

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/capsuled/capsuled/internal/api"
)

// parseArgs runs the global option parsing the way run does for a
// non-run verb.
func parseArgs(args []string) (string, []string, *options, error) {
	o := &options{lines: 10}
	verb, rest, err := splitVerb(args, o)
	if err != nil {
		return "", nil, o, err
	}
	pos, err := parseInterleaved(rest, o)
	return verb, pos, o, err
}

func exitCode(err error) int {
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return -1
}

func TestParseArgs(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		verb       string
		pos        []string
		capsule    string
		capsuleSet bool
		lines      int
		what       []string
		all, quiet bool
		output     string
	}{
		{name: "no args", args: nil, verb: "list-units", lines: 10},
		{name: "option before verb", args: []string{"-C", "x", "status", "foo"}, verb: "status", pos: []string{"foo"},
			capsule: "x", capsuleSet: true, lines: 10},
		{name: "option after verb", args: []string{"status", "-C", "x", "foo"}, verb: "status", pos: []string{"foo"},
			capsule: "x", capsuleSet: true, lines: 10},
		{name: "option after unit", args: []string{"status", "foo", "--capsule=x", "bar"}, verb: "status",
			pos: []string{"foo", "bar"}, capsule: "x", capsuleSet: true, lines: 10},
		{name: "empty capsule", args: []string{"--capsule=", "list-units"}, verb: "list-units", capsuleSet: true, lines: 10},
		{name: "lines", args: []string{"status", "-n", "5", "foo"}, verb: "status", pos: []string{"foo"}, lines: 5},
		{name: "lines long", args: []string{"--lines=0", "status"}, verb: "status", lines: 0},
		{name: "what repeated", args: []string{"clean", "--what=state,cache", "foo", "--what=logs"}, verb: "clean",
			pos: []string{"foo"}, lines: 10, what: []string{"state", "cache", "logs"}},
		{name: "bools", args: []string{"-a", "list-units", "-q", "-o", "json"}, verb: "list-units", lines: 10,
			all: true, quiet: true, output: "json"},
		{name: "double dash", args: []string{"status", "foo", "--", "bar"}, verb: "status", pos: []string{"foo", "bar"}, lines: 10},
		{name: "compat flags", args: []string{"--no-pager", "start", "--no-block", "foo"}, verb: "start", pos: []string{"foo"}, lines: 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			verb, pos, o, err := parseArgs(tt.args)
			if err != nil {
				t.Fatalf("error: %v", err)
			}
			if verb != tt.verb || !reflect.DeepEqual(pos, tt.pos) {
				t.Errorf("verb %q pos %q, want %q %q", verb, pos, tt.verb, tt.pos)
			}
			if o.capsule != tt.capsule || o.capsuleSet != tt.capsuleSet || o.lines != tt.lines ||
				!reflect.DeepEqual(o.what, tt.what) || o.all != tt.all || o.quiet != tt.quiet || o.output != tt.output {
				t.Errorf("options %+v", *o)
			}
		})
	}
}

func TestParseArgsErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"empty what", []string{"clean", "--what=", "foo"}, "--what= requires arguments"},
		{"empty what before verb", []string{"--what=", "clean"}, "--what= requires arguments"},
		{"missing value", []string{"status", "foo", "-C"}, "needs an argument"},
		{"bad lines", []string{"status", "-n", "many"}, "invalid value"},
	}
	for _, tt := range tests {
		_, _, _, err := parseArgs(tt.args)
		if err == nil || exitCode(err) != exitUsage || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v (code %d), want usage error containing %q", tt.name, err, exitCode(err), tt.want)
		}
	}
}

func TestParseArgsAfterDoubleDash(t *testing.T) {
	_, pos, _, err := parseArgs([]string{"status", "--", "a", "-b"})
	if err != nil || !reflect.DeepEqual(pos, []string{"a", "-b"}) {
		t.Errorf("pos %q, err %v; want [a -b]", pos, err)
	}
}

func TestWithSuffix(t *testing.T) {
	tests := []struct{ in, want string }{
		{"foo", "foo.service"},
		{"foo.service", "foo.service"},
		{"multi-user.target", "multi-user.target"},
		{"capsule.slice", "capsule.slice"},
		{"x.socket", "x.socket"},
		{"capsule@a", "capsule@a.service"},
		{"foo.bar", "foo.bar.service"},
	}
	for _, tt := range tests {
		if got := withSuffix(tt.in); got != tt.want {
			t.Errorf("withSuffix(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCheckCapsuleUnit(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
	}{
		{"capsule@good.service", true},
		{"capsule@a_b-1.service", true},
		{"capsule@.service", true}, // the template; the manager answers
		{"other@a.b.service", true},
		{"capsule@a.b.target", true},
		{"foo.service", true},
		{"capsule@a.b.service", false},
		{"capsule@a b.service", false},
		{"capsule@" + strings.Repeat("x", 100) + ".service", false},
	}
	for _, tt := range tests {
		err := checkCapsuleUnit(tt.name)
		if (err == nil) != tt.ok {
			t.Errorf("checkCapsuleUnit(%q) = %v, want ok=%v", tt.name, err, tt.ok)
			continue
		}
		if err != nil && (exitCode(err) != exitFailure || !strings.HasPrefix(err.Error(), "Invalid capsule name")) {
			t.Errorf("checkCapsuleUnit(%q) = %q (code %d)", tt.name, err, exitCode(err))
		}
	}
}

func TestExitStatusOf(t *testing.T) {
	tests := []struct {
		name string
		r    api.RunReply
		code int // 0: nil error
		msg  string
	}{
		{"exited 0", api.RunReply{Result: "success", ExitCode: "exited", ExitStatus: 0}, 0, ""},
		{"exited 3", api.RunReply{Result: "exit-code", ExitCode: "exited", ExitStatus: 3}, 3, ""},
		{"killed 15", api.RunReply{Result: "success", ExitCode: "killed", ExitStatus: 15}, 143, ""},
		{"killed 9", api.RunReply{Result: "signal", ExitCode: "killed", ExitStatus: 9}, 137, ""},
		{"dumped 6", api.RunReply{Result: "core-dump", ExitCode: "dumped", ExitStatus: 6}, 134, ""},
		{"success without exit", api.RunReply{Result: "success"}, 0, ""},
		{"resources", api.RunReply{Result: "resources"}, exitFailure, "Command failed with result resources."},
		{"failure", api.RunReply{Result: "failure"}, exitFailure, "Command failed with result failure."},
	}
	for _, tt := range tests {
		err := exitStatusOf(tt.r)
		if tt.code == 0 {
			if err != nil {
				t.Errorf("%s: %v, want nil", tt.name, err)
			}
			continue
		}
		if exitCode(err) != tt.code || err.Error() != tt.msg {
			t.Errorf("%s: code %d msg %q, want %d %q", tt.name, exitCode(err), err, tt.code, tt.msg)
		}
	}
}

func TestCapitalize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"failed to connect", "Failed to connect"},
		{"Already", "Already"},
		{"x", "X"},
		{"1 unit", "1 unit"},
		{"ünicode", "ünicode"},
	}
	for _, tt := range tests {
		if got := capitalize(tt.in); got != tt.want {
			t.Errorf("capitalize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// runMain calls Main with temp sockets paths that have no managers.
func runMain(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	dir := t.TempDir()
	paths := Paths{SystemRuntime: filepath.Join(dir, "system"), CapsulesRuntime: filepath.Join(dir, "capsules")}
	var out, errb bytes.Buffer
	code := Main(args, IO{Stdin: os.Stdin, Stdout: &out, Stderr: &errb}, paths)
	return code, out.String(), errb.String()
}

func TestMainUsageErrors(t *testing.T) {
	tests := []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"frobnicate"}, exitUsage, "Unknown command verb 'frobnicate'"},
		{[]string{"run"}, exitUsage, "Command line to execute required."},
		{[]string{"-C", "x", "run", "--wait"}, exitUsage, "Command line to execute required."},
		{[]string{"start"}, exitUsage, "Too few arguments"},
		// systemctl 257: "systemctl: unrecognized option '--foo'", exit 1.
		{[]string{"status", "--bogus"}, exitFailure, "capsulectl: unrecognized option '--bogus'\nSee 'capsulectl --help'"},
		{[]string{"--failed-x", "list-units"}, exitFailure, "capsulectl: unrecognized option '--failed-x'\n"},
		{[]string{"-Z", "status"}, exitFailure, "capsulectl: invalid option -- 'Z'\n"},
		{[]string{"run", "--bogus", "true"}, exitFailure, "capsulectl: unrecognized option '--bogus'\n"},
		{[]string{"list-units", "--user"}, exitFailure, "capsulectl has no --user: it talks to capsuled's system manager, or with -C NAME"},
		{[]string{"--user", "run", "true"}, exitFailure, "capsulectl has no --user"},
		{[]string{"list-units", "--type=bogus"}, exitFailure, "Unknown unit type or load state 'bogus'.\nUse -t help to see a list of allowed values.\n"},
		{[]string{"-o", "yaml", "list-units"}, exitUsage, "Unknown output mode"},
	}
	for _, tt := range tests {
		code, _, stderr := runMain(t, tt.args...)
		if code != tt.code || !strings.Contains(stderr, tt.stderr) {
			t.Errorf("Main(%q) = %d, stderr %q; want %d and %q", tt.args, code, stderr, tt.code, tt.stderr)
		}
	}
}

func TestMainHelp(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"status", "-h"}, {"run", "--help"}} {
		code, out, _ := runMain(t, args...)
		if code != 0 || !strings.HasPrefix(out, "capsulectl [OPTIONS...] COMMAND") {
			t.Errorf("Main(%q) = %d, stdout %.40q", args, code, out)
		}
	}
	code, out, _ := runMain(t, "clean", "--what=help", "foo")
	if code != 0 || !strings.Contains(out, "configuration\nfdstore\nall") {
		t.Errorf("--what=help: %d %q", code, out)
	}
}

func TestMainInvalidCapsule(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: capsulectl refuses other users before checking the name")
	}
	code, _, stderr := runMain(t, "-C", "a.b", "status")
	if code != exitFailure || !strings.HasPrefix(stderr, `Invalid capsule name "a.b"`) {
		t.Errorf("code %d, stderr %q", code, stderr)
	}
	// Without a running manager, the message says so.
	code, _, stderr = runMain(t, "status")
	if code != exitFailure || !strings.Contains(stderr, "not running") {
		t.Errorf("no manager: code %d, stderr %q", code, stderr)
	}
	code, _, stderr = runMain(t, "-C", "nope", "status")
	if code != exitFailure || !strings.Contains(stderr, "capsule is not running") {
		t.Errorf("no capsule: code %d, stderr %q", code, stderr)
	}
}

func TestMainNotRoot(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("runs only as non-root")
	}
	code, _, stderr := runMain(t, "status")
	if code != exitFailure || !strings.Contains(stderr, "must run as root") {
		t.Errorf("code %d, stderr %q", code, stderr)
	}
}

// show's property options are parsed as systemctl's getopt parses them.
func TestParseShowProperties(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		props []string
		value bool
		pos   []string
	}{
		{"attached", []string{"show", "-pMainPID", "a"}, []string{"MainPID"}, false, []string{"a"}},
		{"separate list", []string{"show", "-p", "Id,MainPID", "a"}, []string{"Id", "MainPID"}, false, []string{"a"}},
		{"repeated", []string{"show", "-p", "Id", "--property=MainPID", "-pSubState", "a"},
			[]string{"Id", "MainPID", "SubState"}, false, []string{"a"}},
		{"-P", []string{"show", "-P", "MainPID", "a"}, []string{"MainPID"}, true, []string{"a"}},
		{"-P attached", []string{"show", "a", "-PMainPID"}, []string{"MainPID"}, true, []string{"a"}},
		{"after --", []string{"show", "--", "-pX"}, nil, false, []string{"-pX"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, pos, o, err := parseArgs(tt.args)
			if err != nil {
				t.Fatalf("error: %v", err)
			}
			if !reflect.DeepEqual(o.props, tt.props) || o.value != tt.value || !reflect.DeepEqual(pos, tt.pos) {
				t.Errorf("props %q value %v pos %q, want %q %v %q", o.props, o.value, pos, tt.props, tt.value, tt.pos)
			}
		})
	}
}

func TestPrintChanges(t *testing.T) {
	var b bytes.Buffer
	printChanges(&b, []api.Change{
		{Type: "symlink", Path: "/h/.config/systemd/user/timers.target.wants/a.timer", Source: "/h/.config/systemd/user/a.timer"},
		{Type: "unlink", Path: "/h/.config/systemd/user/timers.target.wants/b.timer"},
	})
	want := "Created symlink '/h/.config/systemd/user/timers.target.wants/a.timer' → '/h/.config/systemd/user/a.timer'.\n" +
		"Removed '/h/.config/systemd/user/timers.target.wants/b.timer'.\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}

func TestListOptions(t *testing.T) {
	tests := []struct {
		name          string
		args          []string
		states, types []string
		full          bool
	}{
		{"failed", []string{"list-units", "--failed"}, []string{"failed"}, nil, false},
		{"failed and state", []string{"--state=active,sub", "list-units", "--failed"}, []string{"active", "sub", "failed"}, nil, false},
		{"type with load state", []string{"list-units", "-t", "service,masked", "--type=.timer"}, []string{"masked"}, []string{"service", "timer"}, false},
		{"full short", []string{"status", "-l", "x"}, nil, nil, true},
		{"full long", []string{"--full", "status", "x"}, nil, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, o, err := parseArgs(tt.args)
			if err != nil {
				t.Fatal(err)
			}
			if help, err := o.sortTypes(io.Discard); help || err != nil {
				t.Fatalf("sortTypes: %v %v", help, err)
			}
			if !reflect.DeepEqual(o.states, tt.states) || !reflect.DeepEqual(o.types, tt.types) || o.full != tt.full {
				t.Errorf("states %q types %q full %v; want %q %q %v", o.states, o.types, o.full, tt.states, tt.types, tt.full)
			}
		})
	}
}

func TestListedUnit(t *testing.T) {
	units := []api.Unit{
		{Name: "a.service", LoadState: "loaded", ActiveState: "active", SubState: "running"},
		{Name: "b.service", LoadState: "loaded", ActiveState: "failed", SubState: "failed"},
		{Name: "c.timer", LoadState: "loaded", ActiveState: "active", SubState: "waiting"},
		{Name: "d.service", LoadState: "masked", ActiveState: "inactive", SubState: "dead"},
		{Name: "e.socket", LoadState: "loaded", ActiveState: "inactive", SubState: "dead"},
	}
	tests := []struct {
		name          string
		all           bool
		states, types []string
		patterns      []string
		want          []string
	}{
		{name: "default hides inactive", want: []string{"a.service", "b.service", "c.timer"}},
		{name: "all", all: true, want: []string{"a.service", "b.service", "c.timer", "d.service", "e.socket"}},
		{name: "failed", states: []string{"failed"}, want: []string{"b.service"}},
		{name: "state matches sub state", states: []string{"waiting"}, want: []string{"c.timer"}},
		{name: "state inactive shows inactive", states: []string{"inactive"}, want: []string{"d.service", "e.socket"}},
		{name: "load state", states: []string{"masked"}, want: []string{"d.service"}},
		{name: "type", types: []string{"service"}, want: []string{"a.service", "b.service"}},
		{name: "type and state", types: []string{"service"}, states: []string{"failed", "waiting"}, want: []string{"b.service"}},
		{name: "pattern", patterns: []string{"*.timer"}, all: true, want: []string{"c.timer"}},
		{name: "bogus state", states: []string{"bogus"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := &options{all: tt.all, states: tt.states, types: tt.types}
			var got []string
			for _, u := range units {
				if o.listedUnit(u, tt.patterns) {
					got = append(got, u.Name)
				}
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestListFooter(t *testing.T) {
	// As systemctl 257 ends list-units in its three cases.
	tests := []struct {
		o    options
		want string
	}{
		{options{}, "3 loaded units listed. Pass --all to see loaded but inactive units, too.\nTo show all installed unit files use 'capsulectl list-unit-files'.\n"},
		{options{all: true}, "3 loaded units listed.\nTo show all installed unit files use 'capsulectl list-unit-files'.\n"},
		{options{states: []string{"inactive"}}, "3 loaded units listed.\nTo show all installed unit files use 'capsulectl list-unit-files'.\n"},
		{options{states: []string{"failed"}}, "3 loaded units listed.\n"},
	}
	for _, tt := range tests {
		if got := tt.o.listFooter(3); got != tt.want {
			t.Errorf("%+v: got %q, want %q", tt.o, got, tt.want)
		}
	}
}
