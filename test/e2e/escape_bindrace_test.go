package e2e

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// TestEscapeSocketBindRaceSwapsDirForLink: a capsule's process swaps a
// directory of its runtime directory, where a system manager socket unit
// listens, with a link to a directory of root's (renameat2
// RENAME_EXCHANGE in a loop) while the socket is restarted. Resolving
// the path again at bind(2), after the safe walk, root would make its
// socket in root's directory; binding through the held directory, it
// never does.
func TestEscapeSocketBindRaceSwapsDirForLink(t *testing.T) {
	name := startCapsule(t, "fskr")
	victim := t.TempDir()
	data, err := os.ReadFile(staticProgram(t, "swapdir"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("/var/lib/private/capsules/"+name+"/swapdir", data, 0o755); err != nil {
		t.Fatal(err)
	}
	var listen strings.Builder
	for i := range 8 {
		fmt.Fprintf(&listen, "ListenStream=/run/capsules/%s/sub/s%d.sock\n", name, i)
	}
	unit := name + "-r.socket"
	systemUnit(t, unit, "[Socket]\n"+listen.String()+"Service="+name+"-r.service\n")
	systemUnit(t, name+"-r.service", "[Service]\nExecStart=/bin/sleep 60\n")
	ctl(t, 0, "run", "-q", "-C", name, "-u", "fskr-swap", "/var/lib/capsules/"+name+"/swapdir", "/run/capsules/"+name, victim)
	defer ctlRun(nil, "-C", name, "stop", "fskr-swap.service")

	started := 0
	deadline := time.Now().Add(1500 * time.Millisecond)
	for i := 0; i < 150 && time.Now().Before(deadline); i++ {
		if ctlRun(nil, "restart", unit).code == 0 {
			started++
		}
		if es, _ := os.ReadDir(victim); len(es) > 0 {
			t.Fatalf("after %d restarts root made %s in its own directory, through the capsule's link", i+1, es[0].Name())
		}
		ctlRun(nil, "reset-failed", unit)
	}
	t.Logf("%d starts succeeded", started)
}
