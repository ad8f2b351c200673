package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestTxScriptWritesChains runs the unit generator in a scratch home and
// checks the dependencies of units at the chain boundaries.
func TestTxScriptWritesChains(t *testing.T) {
	home := t.TempDir()
	cmd := exec.Command("sh", "-c", txScript())
	cmd.Env = []string{"HOME=" + home, "PATH=" + os.Getenv("PATH")}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("txScript: %v: %s", err, out)
	}
	dir := filepath.Join(home, ".config/systemd/user")
	units, _ := filepath.Glob(filepath.Join(dir, txPrefix+"*.service"))
	links, _ := filepath.Glob(filepath.Join(dir, "capsule@.target.wants", txPrefix+"*.service"))
	if len(units) != txUnits || len(links) != txUnits {
		t.Fatalf("%d units and %d links in capsule@.target.wants, want %d each", len(units), len(links), txUnits)
	}
	deps := func(i string) []string {
		b, err := os.ReadFile(filepath.Join(dir, txPrefix+i+".service"))
		if err != nil {
			t.Fatal(err)
		}
		var d []string
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "Requires=") || strings.HasPrefix(l, "Wants=") || strings.HasPrefix(l, "After=") {
				d = append(d, l)
			}
		}
		return d
	}
	tests := []struct {
		unit string
		want []string
	}{
		{"0", nil},
		{"1", []string{"Wants=bt-0.service", "After=bt-0.service"}},
		{"2", []string{"Requires=bt-1.service", "After=bt-1.service"}},
		{"25", []string{"Wants=bt-0.service"}},
		{"26", []string{"Wants=bt-25.service", "After=bt-25.service", "Wants=bt-1.service"}},
		{"499", []string{"Requires=bt-498.service", "After=bt-498.service", "Wants=bt-474.service"}},
	}
	for _, tt := range tests {
		if got := deps(tt.unit); strings.Join(got, " ") != strings.Join(tt.want, " ") {
			t.Errorf("%s%s.service: %q, want %q", txPrefix, tt.unit, got, tt.want)
		}
	}
	target, err := os.Readlink(filepath.Join(dir, "capsule@.target.wants", txPrefix+"7.service"))
	if err != nil || target != "../"+txPrefix+"7.service" {
		t.Errorf("link of %s7.service: %q, %v", txPrefix, target, err)
	}
}

func TestParseUnitStates(t *testing.T) {
	out := `  UNIT            LOAD   ACTIVE     SUB     DESCRIPTION
  bt-0.service    loaded active     exited  transaction benchmark unit 0
● bt-1.service    loaded failed     failed  transaction benchmark unit 1
  bt-2.service    loaded activating start   transaction benchmark unit 2
  other.service   loaded active     running other

Legend: LOAD   → Reflects whether the unit definition was properly loaded.

3 loaded units listed.
`
	got, err := parseUnitStates([]byte(out), "bt-")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"bt-0.service": "active", "bt-1.service": "failed", "bt-2.service": "activating"}
	if len(got) != len(want) {
		t.Fatalf("parseUnitStates = %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %q, want %q", k, got[k], v)
		}
	}
}
