package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"time"
)

// The socket step measures socket activation in a capsule: connections to
// an Accept=yes socket, each answered by an instance of its own (a cat
// echoing a line), one after another, from a client in the bench itself.
const (
	acceptConns = 100
	mAccept     = "100 Accept=yes connections to a capsule (echo round trip each)"
)

// acceptScript writes the echo socket (listening on port) and its
// template into the capsule's unit directory.
func acceptScript(port int) string {
	return fmt.Sprintf(`set -e
d="$HOME/.config/systemd/user"
mkdir -p "$d"
printf '[Socket]\nListenStream=127.0.0.1:%d\nAccept=yes\n' >"$d/bech.socket"
printf '[Service]\nExecStart=/bin/cat\nStandardInput=socket\n' >"$d/bech@.service"
`, port)
}

// sockets starts a fresh capsule with the echo socket, times the
// connections, then stops and cleans the capsule.
func (b *bench) sockets(ctx context.Context) error {
	name := b.caps.fresh("sk")
	if _, err := b.caps.start(ctx, name); err != nil {
		return err
	}
	port, err := freePort()
	if err != nil {
		return err
	}
	if _, err := b.ctl.run(ctx, "run", "-q", "-C", name, "-P", "sh", "-c", acceptScript(port)); err != nil {
		return fmt.Errorf("write the echo socket into capsule %s: %w", name, err)
	}
	if _, err := b.ctl.run(ctx, "-C", name, "daemon-reload"); err != nil {
		return err
	}
	if _, err := b.ctl.run(ctx, "-C", name, "start", "bech.socket"); err != nil {
		return err
	}
	start := time.Now()
	for i := 0; i < acceptConns; i++ {
		if err := echoOnce(ctx, port); err != nil {
			return fmt.Errorf("connection %d to capsule %s: %w", i, name, err)
		}
	}
	b.record(mAccept, "ms", ms(time.Since(start)))
	if _, err := b.caps.stop(ctx, name); err != nil {
		return err
	}
	_, err = b.caps.clean(ctx, name)
	return err
}

// echoOnce sends a line to 127.0.0.1:port and waits for it to come back.
func echoOnce(ctx context.Context, port int) error {
	d := net.Dialer{Timeout: 10 * time.Second}
	c, err := d.DialContext(ctx, "tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write([]byte("ping\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if line != "ping\n" {
		return fmt.Errorf("echo returned %q", line)
	}
	return nil
}

// freePort returns a TCP port of 127.0.0.1 that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
