package e2e

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// argvScript makes an Exec*= line print the words it was given, as
// [w1][w2]..., on one line.
const argvScript = `/bin/sh -c 'printf "[%%s]" "$$0" "$$@"; echo'`

// TestExecLineExpansion: Exec*= lines expand $VAR into words and ${VAR}
// in place, as systemd.service(5)'s examples show and systemd 257 runs
// them, and the unit's log names what was unset.
func TestExecLineExpansion(t *testing.T) {
	unit := fmt.Sprintf("evexp%d.service", os.Getpid())
	systemUnit(t, unit, "[Service]\nType=oneshot\n"+
		"Environment=ONE='one' \"TWO='two two' too\" THREE=\n"+
		"ExecStart="+argvScript+" ${ONE} ${TWO} ${THREE}\n"+
		"ExecStart="+argvScript+" $ONE $TWO $THREE\n"+
		"ExecStart="+argvScript+" $$ONE x${UNSET}y $UNSET ${ONE:-d}\n"+
		"ExecStart=:/bin/echo $ONE ${ONE} $$\n")
	ctl(t, 0, "start", unit)
	logs := ctl(t, 0, "logs", "-u", unit).stdout
	for _, want := range []string{
		"[one]['two two' too][]",
		"[one][two two][too]",
		"[$ONE][xy][${ONE:-d}]",
		"$ONE ${ONE} $$",
		unit + ": Referenced but unset environment variable evaluates to an empty string: UNSET",
	} {
		if !strings.Contains(logs, want+"\n") {
			t.Errorf("log of %s lacks %q:\n%s", unit, want, logs)
		}
	}
}
