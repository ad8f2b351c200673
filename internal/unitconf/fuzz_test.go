package unitconf

import (
	"strings"
	"testing"

	"github.com/capsuled/capsuled/internal/unit"
)

// FuzzParse: no unit file, however hostile, crashes the manager that turns
// it into configuration (Environment= quoting, Exec*= splitting, every
// directive's parser), and a refusal always says why.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"[Service]\nEnvironment=\"A=1 2\" B=3 'C=x\\ y'\nExecStart=/bin/echo $A ${B}\n",
		"[Service]\nType=oneshot\nExecStart=-/bin/false\nExecStart=@/bin/sh sh -c 'exit 3'\nRestart=on-failure\n",
		"[Timer]\nOnCalendar=Mon..Fri *-*-* 09:00\nOnActiveSec=1h 30min\n",
		"[Path]\nPathChanged=/tmp/x\nMakeDirectory=yes\nDirectoryMode=0700\n",
		"[Unit]\nAfter=a.service b.service\nConditionPathExists=!/x\n[Install]\nWantedBy=multi-user.target\n",
	} {
		f.Add("x.service", s)
	}
	f.Add("x.timer", "[Timer]\nOnCalendar=*-02-31\n")
	f.Add("x.path", "[Path]\nPathExists=relative\n")
	f.Fuzz(func(t *testing.T, name, text string) {
		if _, err := unit.ParseName(name); err != nil {
			return
		}
		file, err := unit.Parse(strings.NewReader(text), name)
		if err != nil {
			return
		}
		sp := unit.Specifiers{Name: name, User: "u", Home: "/h", RuntimeDir: "/run/u"}
		u, _, err := Parse(name, unit.NewOptions(file), sp.Expand)
		if err == nil && u == nil {
			t.Fatal("no unit and no error")
		}
		if err != nil && err.Error() == "" {
			t.Fatal("a refusal without a reason")
		}
	})
}
