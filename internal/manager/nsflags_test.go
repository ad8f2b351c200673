package manager

import (
	"testing"

	"golang.org/x/sys/unix"
)

func TestParseRestrictNamespaces(t *testing.T) {
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
		err    bool
	}{
		{"unset", nil, 0, false},
		{"yes", []string{"yes"}, all, false},
		{"true", []string{"true"}, all, false},
		{"no", []string{"no"}, 0, false},
		{"allow list", []string{"cgroup ipc"}, all &^ (cgroup | ipc), false},
		{"deny list", []string{"~user"}, user, false},
		{"deny list of two", []string{"~user net"}, user | net, false},
		{"every name", []string{"cgroup ipc net mnt pid user uts time"}, 0, false},
		{"tilde alone denies nothing", []string{"~"}, 0, false},
		// The examples of systemd.exec(5).
		{"lists merge by OR", []string{"cgroup ipc", "cgroup net"}, all &^ (cgroup | ipc | net), false},
		{"~ line removes", []string{"cgroup ipc", "~cgroup net"}, all &^ ipc, false},
		{"boolean replaces earlier lines", []string{"~user", "yes"}, all, false},
		{"no after yes", []string{"yes", "no"}, 0, false},
		{"list after yes adds", []string{"yes", "net"}, all &^ net, false},
		{"deny after no", []string{"no", "~mnt"}, mnt, false},
		{"unknown type", []string{"user bogus"}, 0, true},
		{"unknown type inverted", []string{"~mount"}, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseRestrictNamespaces(tt.values)
			if (err != nil) != tt.err {
				t.Fatalf("error %v, want error: %t", err, tt.err)
			}
			if err == nil && got != tt.deny {
				t.Errorf("denied %#x, want %#x", got, tt.deny)
			}
		})
	}
}
