package e2e

import (
	"strings"
	"testing"
)

// TestListPaths checks list-paths prints the path units' watched paths as
// systemctl 257 does: one row per condition, sorted by path, inactive
// units only with --all.
func TestListPaths(t *testing.T) {
	c := startCapsule(t, "lp")
	h := "/var/lib/capsules/" + c
	writeUnits(t, c, map[string]string{
		"lpa.path":    "[Path]\nPathModified=%h/pz\nDirectoryNotEmpty=%h/pa\n",
		"lpa.service": "[Service]\nExecStart=/bin/true\n",
		"lpi.path":    "[Path]\nPathExists=%h/pi\nUnit=lpa.service\n",
	})
	ctl(t, 0, "-C", c, "start", "lpa.path", "lpi.path")
	ctl(t, 0, "-C", c, "stop", "lpi.path") // loaded, inactive
	pad := strings.Repeat(" ", len(h)-len("PATH")+4)
	want := "PATH" + pad + "CONDITION         UNIT     ACTIVATES\n" +
		h + "/pa DirectoryNotEmpty lpa.path lpa.service\n" +
		h + "/pz PathModified      lpa.path lpa.service\n" +
		"\n2 paths listed.\nPass --all to see loaded but inactive paths, too.\n"
	if r := ctl(t, 0, "-C", c, "list-paths"); r.stdout != want {
		t.Errorf("list-paths:\n%s\nwant\n%s", r.stdout, want)
	}
	r := ctl(t, 0, "-C", c, "list-paths", "--all")
	if !strings.Contains(r.stdout, h+"/pi PathExists        lpi.path lpa.service\n") || !strings.HasSuffix(r.stdout, "\n3 paths listed.\n") {
		t.Errorf("list-paths --all:\n%s", r.stdout)
	}
}
