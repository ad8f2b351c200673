package e2e

import (
	"bufio"
	"net"
	"os"
	osexec "os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSocketGoSystemdActivation: a server written against go-systemd's
// activation package (ListenersWithNames) runs unchanged when two socket
// units feed it: it finds every socket under its FileDescriptorName= (or
// the unit's name) and serves each, and the package's check of
// LISTEN_PID holds.
func TestSocketGoSystemdActivation(t *testing.T) {
	c := startCapsule(t, "smgo")
	bin := homeOf(c) + "/sm-act"
	build := osexec.Command("go", "build", "-o", bin, "./testdata/activation")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	writeUnits(t, c, map[string]string{
		"sm-g.socket":  "[Socket]\nListenStream=%t/sm-g.sock\nFileDescriptorName=api\n",
		"sm-g2.socket": "[Socket]\nListenStream=%t/sm-g2a.sock\nListenStream=%t/sm-g2b.sock\nService=sm-g.service\n",
		"sm-g.service": "[Service]\nExecStart=%h/sm-act\n",
	})
	ctl(t, 0, "-C", c, "start", "sm-g.socket", "sm-g2.socket")
	ask := func(sock, want string) {
		t.Helper()
		conn, err := net.Dial("unix", "/run/capsules/"+c+"/"+sock)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(5 * time.Second))
		got, err := bufio.NewReader(conn).ReadString('\n')
		if got != want {
			t.Errorf("%s answered %q (%v), want %q", sock, got, err, want)
		}
	}
	ask("sm-g2b.sock", "hello from sm-g2.socket\n")
	ask("sm-g.sock", "hello from api\n")
	ask("sm-g2a.sock", "hello from sm-g2.socket\n")
	logs := waitLogN(t, c, `env LISTEN_PID="" LISTEN_FDS="" LISTEN_FDNAMES=""`, 1)
	for _, l := range []string{"listener api sm-g.sock", "listener sm-g2.socket sm-g2a.sock", "listener sm-g2.socket sm-g2b.sock"} {
		if !strings.Contains(logs, l+"\n") {
			t.Errorf("no %q in the log:\n%s", l, logs)
		}
	}
	ctl(t, 0, "-C", c, "stop", "sm-g.socket", "sm-g2.socket", "sm-g.service")
}

// TestSocketLibsystemdListenFDs: a program reading its sockets through
// libsystemd's own sd_listen_fds_with_names(3) (as programs run by
// systemd or systemd-socket-activate do), started by hand while its two
// socket units listen, gets all three with their names, every one a
// listening stream socket by sd_is_socket_unix(3).
func TestSocketLibsystemdListenFDs(t *testing.T) {
	lib := "/usr/lib/x86_64-linux-gnu/libsystemd.so.0"
	if _, err := os.Stat(lib); err != nil {
		t.Skipf("no libsystemd: %v", err)
	}
	c := startCapsule(t, "smsd")
	src := filepath.Join(t.TempDir(), "sdlisten.c")
	if err := os.WriteFile(src, []byte(sdListenSource), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := osexec.Command("gcc", "-O2", "-o", homeOf(c)+"/sm-sdl", src, lib).CombinedOutput(); err != nil {
		t.Fatalf("gcc: %v\n%s", err, out)
	}
	writeUnits(t, c, map[string]string{
		"sm-c.socket":  "[Socket]\nListenStream=%t/sm-c.sock\nFileDescriptorName=ctl\n",
		"sm-c2.socket": "[Socket]\nListenStream=%t/sm-c2a.sock\nListenStream=%t/sm-c2b.sock\nService=sm-c.service\n",
		"sm-c.service": "[Service]\nExecStart=%h/sm-sdl\n",
	})
	// One at a time: the order they load in is the TriggeredBy= order.
	ctl(t, 0, "-C", c, "start", "sm-c.socket")
	ctl(t, 0, "-C", c, "start", "sm-c2.socket")
	ctl(t, 0, "-C", c, "start", "sm-c.service")
	waitLogN(t, c, "sd_listen_fds_with_names=3 3:ctl:1 4:sm-c2.socket:1 5:sm-c2.socket:1 LISTEN_FDS=(unset)\n", 1)
	ctl(t, 0, "-C", c, "stop", "sm-c.service", "sm-c.socket", "sm-c2.socket")
}

// sdListenSource declares the two libsystemd functions it calls, so no
// development headers are needed.
const sdListenSource = `#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

int sd_listen_fds_with_names(int unset_environment, char ***names);
int sd_is_socket_unix(int fd, int type, int listening, const char *path, size_t length);

int main(void) {
	char **names = NULL;
	int n = sd_listen_fds_with_names(1, &names);
	printf("sd_listen_fds_with_names=%d", n);
	for (int i = 0; i < n; i++)
		printf(" %d:%s:%d", 3 + i, names[i], sd_is_socket_unix(3 + i, SOCK_STREAM, 1, NULL, 0));
	printf(" LISTEN_FDS=%s\n", getenv("LISTEN_FDS") ? getenv("LISTEN_FDS") : "(unset)");
	fflush(stdout);
	pause();
	return 0;
}
`
