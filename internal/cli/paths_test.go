package cli

import (
	"bytes"
	"testing"

	"github.com/capsuled/capsuled/internal/api"
)

// list-paths prints what systemctl 257 prints for the same units
// (observed on the reference systemd, a capsule's path units).
func TestPrintPaths(t *testing.T) {
	var rows []pathRow
	rows = append(rows, pathRowsOf("pmk2.path", []api.Property{
		{Name: "Unit", Value: "pmk2.service"},
		{Name: "Paths", Value: "/var/lib/capsules/obs7/pt/mkc/x (PathChanged)"},
		{Name: "Paths", Value: "/var/lib/capsules/obs7/pt/mke/y (PathExists)"},
		{Name: "MakeDirectory", Value: "yes"},
	})...)
	var b bytes.Buffer
	printPaths(&b, rows, false, true)
	want := "PATH                            CONDITION   UNIT      ACTIVATES\n" +
		"/var/lib/capsules/obs7/pt/mkc/x PathChanged pmk2.path pmk2.service\n" +
		"/var/lib/capsules/obs7/pt/mke/y PathExists  pmk2.path pmk2.service\n" +
		"\n2 paths listed.\nPass --all to see loaded but inactive paths, too.\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
	b.Reset()
	printPaths(&b, nil, true, true)
	if want := "PATH CONDITION UNIT ACTIVATES\n\n0 paths listed.\n"; b.String() != want {
		t.Errorf("empty, --all: got\n%s\nwant\n%s", b.String(), want)
	}
}
