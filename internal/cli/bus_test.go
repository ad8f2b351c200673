package cli

import (
	"bytes"
	"io"
	"os"
	"reflect"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/capsuled/capsuled/internal/busctl"
)

func TestParseBusArgs(t *testing.T) {
	tests := []struct {
		args    []string
		pos     []string
		check   func(busctl.Options) bool
		capsule string
		err     string
	}{
		{args: []string{"list", "--no-legend", "--acquired"}, pos: []string{"list"},
			check: func(o busctl.Options) bool { return o.NoLegend && o.Acquired && !o.Unique }},
		{args: []string{"--json=pretty", "call", "a.b", "/", "a.b", "M", "s", "-x"}, pos: []string{"call", "a.b", "/", "a.b", "M", "s", "-x"},
			err: "unrecognized option '-x'"},
		{args: []string{"-j", "call", "a.b", "/", "a.b", "M", "i", "--", "-5"}, pos: []string{"call", "a.b", "/", "a.b", "M", "i", "-5"},
			check: func(o busctl.Options) bool { return o.JSON == jsonAuto }},
		{args: []string{"-j", "--json=short"}, check: func(o busctl.Options) bool { return o.JSON == "short" }},
		{args: []string{"--json=pretty", "-j"}, check: func(o busctl.Options) bool { return o.JSON == jsonAuto }},
		{args: []string{"wait", "--timeout=1", "/x", "a.b", "S"}, pos: []string{"wait", "/x", "a.b", "S"},
			check: func(o busctl.Options) bool { return o.Timeout == time.Second }},
		{args: []string{"--timeout", "500ms", "-N", "3", "monitor"}, pos: []string{"monitor"},
			check: func(o busctl.Options) bool { return o.Timeout == 500*time.Millisecond && o.Limit == 3 }},
		{args: []string{"--expect-reply=no", "--auto-start=false", "call"}, pos: []string{"call"},
			check: func(o busctl.Options) bool { return !o.ExpectReply && !o.AutoStart }},
		{args: []string{"-Cother", "status"}, pos: []string{"status"}, capsule: "other"},
		{args: []string{"--json=yaml"}, err: "Unknown argument to --json= switch: yaml"},
		{args: []string{"--address=unix:path=/x"}, err: "--address is not supported: capsulectl bus talks to one capsule's bus (-C NAME)"},
		{args: []string{"--limit-messages=0"}, err: "--limit-messages= parameter cannot be 0"},
	}
	for _, tt := range tests {
		opt := busctl.DefaultOptions()
		capsule, help := "", false
		pos, err := parseBusArgs(tt.args, &opt, &capsule, &help)
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("%v: error %v, want %q", tt.args, err, tt.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(pos, tt.pos) || tt.check != nil && !tt.check(opt) || capsule != tt.capsule {
			t.Errorf("%v: pos %q opt %+v capsule %q err %v", tt.args, pos, opt, capsule, err)
		}
	}
}

// busctl 257's -j is pretty on a terminal and short otherwise; --json=
// is what it says either way.
func TestJSONMode(t *testing.T) {
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer ptmx.Close()
	defer tty.Close()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	tests := []struct {
		mode string
		out  io.Writer
		want string
	}{
		{jsonAuto, tty, "pretty"},
		{jsonAuto, w, "short"},
		{jsonAuto, &bytes.Buffer{}, "short"},
		{"short", tty, "short"},
		{"pretty", w, "pretty"},
		{"", tty, ""},
	}
	for _, tt := range tests {
		if got := jsonMode(tt.mode, tt.out); got != tt.want {
			t.Errorf("jsonMode(%q, %T) = %q, want %q", tt.mode, tt.out, got, tt.want)
		}
	}
}
