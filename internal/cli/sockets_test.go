package cli

import (
	"bytes"
	"testing"

	"github.com/capsuled/capsuled/internal/api"
)

// list-sockets prints what systemctl 257 prints (observed on the reference
// systemd: the order, the widths, "-" for an Accept=yes socket, the
// footers, --show-types, --no-legend).
func TestPrintSockets(t *testing.T) {
	var rows []socketRow
	rows = append(rows, socketRowsOf("systemd-journald.socket", []api.Property{
		{Name: "Listen", Value: "/run/systemd/journal/stdout (Stream)"},
		{Name: "Listen", Value: "/run/systemd/journal/socket (Datagram)"},
		{Name: "Triggers", Value: "systemd-journald.service"},
	})...)
	rows = append(rows, socketRowsOf("sa-d.socket", []api.Property{
		{Name: "Listen", Value: "/run/sa-d.sock (Stream)"},
		{Name: "Listen", Value: "127.0.0.1:8200 (Stream)"},
	})...)
	rows = append(rows, socketRowsOf("dbus.socket", []api.Property{
		{Name: "Listen", Value: "/run/dbus/system_bus_socket (Stream)"},
		{Name: "Triggers", Value: "dbus-broker.service"},
	})...)
	sortRows := func() {
		for i := range rows {
			for j := i + 1; j < len(rows); j++ {
				if comparePaths(rows[j].listen, rows[i].listen) < 0 {
					rows[i], rows[j] = rows[j], rows[i]
				}
			}
		}
	}
	sortRows()
	var b bytes.Buffer
	printSockets(&b, rows, false, false, true)
	want := "LISTEN                      UNIT                    ACTIVATES\n" +
		"127.0.0.1:8200              sa-d.socket             -\n" +
		"/run/dbus/system_bus_socket dbus.socket             dbus-broker.service\n" +
		"/run/sa-d.sock              sa-d.socket             -\n" +
		"/run/systemd/journal/socket systemd-journald.socket systemd-journald.service\n" +
		"/run/systemd/journal/stdout systemd-journald.socket systemd-journald.service\n" +
		"\n5 sockets listed.\nPass --all to see loaded but inactive sockets, too.\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
	b.Reset()
	printSockets(&b, rows[:1], true, true, true)
	if want := "LISTEN         TYPE   UNIT        ACTIVATES\n127.0.0.1:8200 Stream sa-d.socket -\n\n1 sockets listed.\n"; b.String() != want {
		t.Errorf("--show-types --all: got\n%s\nwant\n%s", b.String(), want)
	}
	b.Reset()
	printSockets(&b, rows[:2], false, false, false)
	if want := "127.0.0.1:8200              sa-d.socket -\n/run/dbus/system_bus_socket dbus.socket dbus-broker.service\n"; b.String() != want {
		t.Errorf("--no-legend: got\n%s\nwant\n%s", b.String(), want)
	}
	b.Reset()
	printSockets(&b, nil, false, false, true)
	if want := "LISTEN UNIT ACTIVATES\n\n0 sockets listed.\nPass --all to see loaded but inactive sockets, too.\n"; b.String() != want {
		t.Errorf("empty: got\n%s\nwant\n%s", b.String(), want)
	}
}

func TestComparePaths(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		less bool
	}{
		{"127.0.0.1:8200", "/run/x", true},
		{"/run/a/b", "/run/a-b", true},
		{"/run/a", "/run/a/b", true},
		{"[::]:80", "127.0.0.1:80", false},
	} {
		if got := comparePaths(tc.a, tc.b) < 0; got != tc.less {
			t.Errorf("comparePaths(%q, %q) < 0 = %v, want %v", tc.a, tc.b, got, tc.less)
		}
	}
}
