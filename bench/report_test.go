package main

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
)

func v(values ...float64) []float64 { return values }

func TestABRowFlag(t *testing.T) {
	tests := []struct {
		name string
		row  abRow
		want string
	}{
		{"equal", abRow{unit: "ms", base: v(10), current: v(10)}, ""},
		{"15% slower is tolerated", abRow{unit: "ms", base: v(100), current: v(115)}, ""},
		{"16% slower", abRow{unit: "ms", base: v(100), current: v(116)}, "SLOWER"},
		{"slower by median only", abRow{unit: "ms", base: v(100, 100, 200), current: v(120, 120, 50)}, "SLOWER"},
		{"faster", abRow{unit: "ms", base: v(100), current: v(50)}, ""},
		{"more memory", abRow{unit: "KiB", base: v(1000), current: v(1200)}, "LARGER"},
		{"lost starts from none", abRow{unit: "count", base: v(0), current: v(3)}, "LARGER"},
		{"none lost on either", abRow{unit: "count", base: v(0), current: v(0)}, ""},
		{"only current", abRow{unit: "ms", current: v(5)}, ""},
		{"only base", abRow{unit: "ms", base: v(5)}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.row.flag(); got != tt.want {
				t.Errorf("flag() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestABRowsPairsByName(t *testing.T) {
	base := []result{{name: "a", unit: "ms", values: []float64{1, 2, 3}}, {name: "old", unit: "ms", values: []float64{7}}}
	current := []result{{name: "new", unit: "KiB", values: []float64{4}}, {name: "a", unit: "ms", values: []float64{4, 5}}}
	got := abRows(base, current)
	want := []abRow{
		{name: "new", unit: "KiB", current: v(4)},
		{name: "a", unit: "ms", base: v(1, 2, 3), current: v(4, 5)},
		{name: "old", unit: "ms", base: v(7)},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("abRows = %+v, want %+v", got, want)
	}
}

func TestPrintABCountsFlaggedRows(t *testing.T) {
	base := &bench{label: "base x", bin: "/b", results: []result{
		{name: "start", unit: "ms", values: []float64{100}},
		{name: "stop", unit: "ms", values: []float64{100}},
	}}
	current := &bench{label: "current", bin: "/c", results: []result{
		{name: "start", unit: "ms", values: []float64{130}},
		{name: "stop", unit: "ms", values: []float64{90}},
	}}
	var out bytes.Buffer
	printAB(&out, base, current)
	lines := strings.Split(out.String(), "\n")
	var startLine string
	for _, l := range lines {
		if strings.HasPrefix(l, "start ") {
			startLine = l
		}
	}
	if !strings.Contains(startLine, "1.30") || !strings.HasSuffix(startLine, "SLOWER") {
		t.Errorf("start row = %q, want ratio 1.30 flagged SLOWER", startLine)
	}
	if !strings.Contains(out.String(), "1 of 2 rows flagged") {
		t.Errorf("output lacks the flagged count:\n%s", out.String())
	}
}
