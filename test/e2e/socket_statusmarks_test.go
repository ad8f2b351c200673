package e2e

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"
)

// status of a service triggered by a failed and a listening socket marks
// them × and ●, as systemctl 257 does; an Accept=yes socket's status
// adds "Refused: N" once a connection was refused (MaxConnections=).
func TestSocketStatusMarksAndRefused(t *testing.T) {
	name := startCapsule(t, "fskt")
	port := freePort(t)
	writeUnits(t, name, map[string]string{
		"fskt.service":    "[Service]\nExecStart=/bin/sleep 60\n",
		"fskt-a.socket":   "[Socket]\nListenStream=%t/a.sock\nService=fskt.service\n",
		"fskt-b.socket":   "[Socket]\nListenStream=127.0.0.1:1\nService=fskt.service\n",
		"fskt-c.socket":   fmt.Sprintf("[Socket]\nListenStream=127.0.0.1:%d\nAccept=yes\nMaxConnections=1\n", port),
		"fskt-c@.service": "[Service]\nExecStart=/bin/sleep 60\nStandardInput=socket\n",
	})
	ctl(t, 0, "-C", name, "start", "fskt-a.socket")
	ctl(t, 1, "-C", name, "start", "fskt-b.socket")
	st := ctl(t, 3, "-C", name, "status", "fskt.service").stdout
	for _, want := range []string{" × fskt-b.socket\n", " ● fskt-a.socket\n"} {
		if !strings.Contains(st, want) {
			t.Errorf("status fskt.service: want %q in\n%s", want, st)
		}
	}

	ctl(t, 0, "-C", name, "start", "fskt-c.socket")
	c1, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Fatal(err)
	}
	defer c1.Close()
	waitProperty(t, name, "fskt-c.socket", "NConnections", "1")
	if st := ctl(t, 0, "-C", name, "status", "fskt-c.socket").stdout; !strings.Contains(st, "   Accepted: 1; Connected: 1;\n") {
		t.Errorf("status before a refusal: want Accepted: 1; Connected: 1; alone in\n%s", st)
	}
	c2, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	c2.SetReadDeadline(time.Now().Add(5 * time.Second))
	c2.Read(make([]byte, 1)) // reset by the manager
	waitProperty(t, name, "fskt-c.socket", "NRefused", "1")
	if st := ctl(t, 0, "-C", name, "status", "fskt-c.socket").stdout; !strings.Contains(st, "   Accepted: 1; Connected: 1;   Refused: 1\n") {
		t.Errorf("status after a refusal: want Refused: 1 in\n%s", st)
	}
}
