module github.com/capsuled/capsuled

go 1.26.8

require (
	github.com/coreos/go-systemd/v22 v22.7.0
	github.com/creack/pty v1.1.24
	github.com/dchest/siphash v1.2.3
	golang.org/x/sys v0.49.0
	golang.org/x/term v0.47.0
)

require github.com/godbus/dbus/v5 v5.2.4
