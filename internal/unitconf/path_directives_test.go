package unitconf

import (
	"maps"
	"strings"
	"testing"
	"time"
)

// pathSamples are the [Path] directives' samples, joined to the table's.
var pathSamples = map[string]sample{
	"Path.PathExists":              {unit: "x.path", lines: "PathExists=/run/%N//flag/", prop: "Paths", want: "/run/x/flag (PathExists)"},
	"Path.PathExistsGlob":          {unit: "x.path", lines: "PathExistsGlob=/run/q/*.job", prop: "Paths", want: "/run/q/*.job (PathExistsGlob)"},
	"Path.PathChanged":             {unit: "x.path", lines: "PathChanged=/etc/a\nPathChanged=/etc/b", prop: "Paths", want: "/etc/a (PathChanged)\n/etc/b (PathChanged)"},
	"Path.PathModified":            {unit: "x.path", lines: "PathModified=/etc/a\nPathModified=\nPathModified=/etc/c", prop: "Paths", want: "/etc/c (PathModified)"},
	"Path.DirectoryNotEmpty":       {unit: "x.path", lines: "DirectoryNotEmpty=/var/spool/x", prop: "Paths", want: "/var/spool/x (DirectoryNotEmpty)"},
	"Path.Unit":                    {unit: "x.path", lines: "PathExists=/a\nUnit=y.target", prop: "Unit", want: "y.target"},
	"Path.MakeDirectory":           {unit: "x.path", lines: "PathExists=/a\nMakeDirectory=yes", prop: "MakeDirectory", want: "yes"},
	"Path.DirectoryMode":           {unit: "x.path", lines: "PathExists=/a\nDirectoryMode=0700", prop: "DirectoryMode", want: "0700"},
	"Path.TriggerLimitIntervalSec": {unit: "x.path", lines: "PathExists=/a\nTriggerLimitIntervalSec=1min 30s", prop: "TriggerLimitIntervalUSec", want: "1min 30s"},
	"Path.TriggerLimitBurst":       {unit: "x.path", lines: "PathExists=/a\nTriggerLimitBurst=7", prop: "TriggerLimitBurst", want: "7"},
}

func init() { maps.Copy(samples, pathSamples) }

func TestPathUnitParse(t *testing.T) {
	tests := []struct {
		name, text string
		refused    string   // the refusal's message, "" when the unit loads
		warnings   []string // each warning's text after "file:line: "
		check      func(p *Path) bool
	}{
		{"defaults", "[Path]\nPathExists=/a\n", "", nil, func(p *Path) bool {
			return p.Unit == "x.service" && p.DirectoryMode == 0o755 && !p.MakeDirectory &&
				p.TriggerLimitInterval == 2*time.Second && p.TriggerLimitBurst == 200
		}},
		{"no condition", "[Path]\nUnit=y.service\n", "Path unit lacks path setting. Refusing.", nil, nil},
		{"only bad conditions", "[Path]\nPathExists=rel\n", "Path unit lacks path setting. Refusing.",
			[]string{"PathExists= path is not absolute, ignoring: rel"}, nil},
		{"dot-dot", "[Path]\nPathChanged=/a/./../b//\nPathChanged=/c/./d\n", "",
			[]string{"PathChanged= path is not normalized, ignoring: /a/../b"},
			func(p *Path) bool { return len(p.Specs) == 1 && p.Specs[0].Path == "/c/d" }},
		{"all types in order", "[Path]\nDirectoryNotEmpty=/d\nPathExists=/e\nPathModified=/m\n", "", nil,
			func(p *Path) bool {
				return len(p.Specs) == 3 && p.Specs[0].Type == "DirectoryNotEmpty" && p.Specs[2].Type == "PathModified"
			}},
		{"path triggers path", "[Path]\nPathExists=/a\nUnit=y.path\n", "",
			[]string{"Failed to parse Unit= value, ignoring: y.path (a path unit cannot trigger a path unit)"},
			func(p *Path) bool { return p.Unit == "x.service" }},
		{"bad values", "[Path]\nPathExists=/a\nDirectoryMode=8\nTriggerLimitBurst=-1\nTriggerLimitIntervalSec=soon\nMakeDirectory=maybe\n", "",
			[]string{"Failed to parse DirectoryMode= value, ignoring: 8 (not an octal mode)",
				"Failed to parse TriggerLimitBurst= value", "Failed to parse TriggerLimitIntervalSec= value",
				"Failed to parse MakeDirectory= value"}, nil},
		{"reset", "[Path]\nPathExists=/a\nUnit=y.service\nUnit=\nDirectoryMode=0700\nDirectoryMode=\n", "", nil,
			func(p *Path) bool { return p.Unit == "x.service" && p.DirectoryMode == 0o755 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, w, err := parse(t, "x.path", tt.text)
			if tt.refused != "" {
				if err == nil || err.Error() != tt.refused {
					t.Fatalf("want refusal %q, got %v", tt.refused, err)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if len(w) != len(tt.warnings) {
				t.Fatalf("warnings %v, want %v", w, tt.warnings)
			}
			for i, want := range tt.warnings {
				if !strings.HasPrefix(w[i].String(), "/u/x.path:") || !strings.Contains(w[i].Msg, want) {
					t.Errorf("warning %d: %v, want %q", i, w[i], want)
				}
			}
			if tt.check != nil && !tt.check(u.Path) {
				t.Errorf("configuration %+v", u.Path)
			}
		})
	}
}
