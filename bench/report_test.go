package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestABRowFlag(t *testing.T) {
	tests := []struct {
		name string
		row  abRow
		want string
	}{
		{"equal", abRow{unit: "ms", base: 10, current: 10, hasBase: true, hasCurrent: true}, ""},
		{"15% slower is tolerated", abRow{unit: "ms", base: 100, current: 115, hasBase: true, hasCurrent: true}, ""},
		{"16% slower", abRow{unit: "ms", base: 100, current: 116, hasBase: true, hasCurrent: true}, "SLOWER"},
		{"faster", abRow{unit: "ms", base: 100, current: 50, hasBase: true, hasCurrent: true}, ""},
		{"more memory", abRow{unit: "KiB", base: 1000, current: 1200, hasBase: true, hasCurrent: true}, "LARGER"},
		{"lost starts from none", abRow{unit: "count", base: 0, current: 3, hasBase: true, hasCurrent: true}, "LARGER"},
		{"none lost on either", abRow{unit: "count", base: 0, current: 0, hasBase: true, hasCurrent: true}, ""},
		{"only current", abRow{unit: "ms", current: 5, hasCurrent: true}, ""},
		{"only base", abRow{unit: "ms", base: 5, hasBase: true}, ""},
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
		{name: "new", unit: "KiB", current: 4, hasCurrent: true},
		{name: "a", unit: "ms", base: 2, current: 4.5, hasBase: true, hasCurrent: true},
		{name: "old", unit: "ms", base: 7, hasBase: true},
	}
	if len(got) != len(want) {
		t.Fatalf("abRows = %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("row %d = %+v, want %+v", i, got[i], want[i])
		}
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
