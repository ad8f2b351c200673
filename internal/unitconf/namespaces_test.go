package unitconf

import (
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestRestrictNamespaces(t *testing.T) {
	const (
		cgroup = unix.CLONE_NEWCGROUP
		ipc    = unix.CLONE_NEWIPC
		net    = unix.CLONE_NEWNET
		mnt    = unix.CLONE_NEWNS
		pid    = unix.CLONE_NEWPID
		user   = unix.CLONE_NEWUSER
		uts    = unix.CLONE_NEWUTS
		time   = unix.CLONE_NEWTIME
		all    = cgroup | ipc | net | mnt | pid | user | uts | time
	)
	tests := []struct {
		name   string
		values []string
		deny   uint32
		show   string
		err    bool
	}{
		{"unset", nil, 0, "no", false},
		{"yes", []string{"yes"}, all, "yes", false},
		{"true", []string{"true"}, all, "yes", false},
		{"no", []string{"no"}, 0, "no", false},
		{"allow list", []string{"cgroup ipc"}, all &^ (cgroup | ipc), "cgroup ipc", false},
		{"deny list", []string{"~user"}, user, "cgroup ipc net mnt pid uts time", false},
		{"deny list of two", []string{"~user net"}, user | net, "cgroup ipc mnt pid uts time", false},
		{"every name", []string{"cgroup ipc net mnt pid user uts time"}, 0, "no", false},
		{"tilde alone denies nothing", []string{"~"}, 0, "no", false},
		// The examples of systemd.exec(5).
		{"lists merge by OR", []string{"cgroup ipc", "cgroup net"}, all &^ (cgroup | ipc | net), "cgroup ipc net", false},
		{"~ line removes", []string{"cgroup ipc", "~cgroup net"}, all &^ ipc, "ipc", false},
		{"boolean replaces earlier lines", []string{"~user", "yes"}, all, "yes", false},
		{"no after yes", []string{"yes", "no"}, 0, "no", false},
		{"list after yes adds", []string{"yes", "net"}, all &^ net, "net", false},
		{"deny after no", []string{"no", "~mnt"}, mnt, "cgroup ipc net pid user uts time", false},
		{"empty resets", []string{"yes", "", "~net"}, net, "cgroup ipc mnt pid user uts time", false},
		// An unknown type refuses the unit (systemd ignores the line).
		{"unknown type", []string{"user bogus"}, 0, "", true},
		{"unknown type inverted", []string{"~mount"}, 0, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := "[Service]\nExecStart=/bin/true\n"
			for _, v := range tt.values {
				text += "RestrictNamespaces=" + v + "\n"
			}
			u, _, err := parse(t, "x.service", text)
			if (err != nil) != tt.err {
				t.Fatalf("error %v, want error: %t", err, tt.err)
			}
			if err != nil {
				if !strings.Contains(err.Error(), "invalid RestrictNamespaces=") {
					t.Errorf("error %q does not name the directive", err)
				}
				return
			}
			if got := u.Service.RestrictNamespaces; got != tt.deny {
				t.Errorf("denied %#x, want %#x", got, tt.deny)
			}
			if got := property(t, u, "RestrictNamespaces"); got != tt.show {
				t.Errorf("RestrictNamespaces=%s, want %s", got, tt.show)
			}
		})
	}
}
