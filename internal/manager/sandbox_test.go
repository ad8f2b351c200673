package manager

import (
	"reflect"
	"testing"

	"github.com/capsuled/capsuled/internal/executor"
	"github.com/capsuled/capsuled/internal/unitconf"
)

func sandboxUnit(t *testing.T, body string) *Unit {
	t.Helper()
	conf, w, err := unitconf.Parse("x.service", options(t, "x.service", "[Service]\nExecStart=/bin/true\n"+body), func(s string) (string, error) { return s, nil })
	if err != nil || len(w) > 0 {
		t.Fatalf("%q: %v %v", body, err, w)
	}
	return &Unit{name: "x.service", svc: conf.Service}
}

// TestSandboxPathsOrder: parents are mounted before what lies below them,
// "-" makes a path optional, "+" changes nothing without a root directory.
func TestSandboxPathsOrder(t *testing.T) {
	u := sandboxUnit(t, "InaccessiblePaths=/srv/a/secret\nReadWritePaths=-/srv/a +/var/x\nReadOnlyPaths=/srv\n"+
		"TemporaryFileSystem=/opt:ro\nBindReadOnlyPaths=/etc/hostname:/opt/hostname\n")
	m := &Manager{cfg: Config{Mode: System}}
	p := &executor.MountPlan{}
	m.sandboxPaths(u, p)
	var got []string
	for _, pm := range p.Paths {
		s := pm.Kind + " " + pm.Target
		if pm.Optional {
			s += " optional"
		}
		got = append(got, s)
	}
	want := []string{"tmpfs /opt", "readonly /srv", "bind /opt/hostname", "readwrite /srv/a optional",
		"readwrite /var/x", "inaccessible /srv/a/secret"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("mounts %q, want %q", got, want)
	}
}

// TestSyscallAndCapsPlans: what the settings ask of the executor, and
// what a capsule's manager leaves out.
func TestSyscallAndCapsPlans(t *testing.T) {
	sys := &Manager{cfg: Config{Mode: System}}
	user := &Manager{cfg: Config{Mode: User}}
	if p := sys.syscallPlan(sandboxUnit(t, "")); p != nil {
		t.Errorf("no settings: plan %+v", p)
	}
	if c := sys.capsPlan(sandboxUnit(t, "")); c != nil {
		t.Errorf("no settings: caps %+v", c)
	}
	p := sys.syscallPlan(sandboxUnit(t, "ProtectClock=yes\nProtectHostname=yes\n"))
	if p == nil || p.Deny["@clock"] != 1 || p.Deny["sethostname"] != 1 || p.Names != nil {
		t.Errorf("ProtectClock= ProtectHostname=: plan %+v", p)
	}
	u := sandboxUnit(t, "ProtectClock=yes\nPrivateDevices=yes\n")
	c := sys.capsPlan(u)
	drop := uint64(1)<<25 | 1<<35 | 1<<27 | 1<<17 // sys_time wake_alarm mknod sys_rawio
	if c == nil || c.Bounding == nil || *c.Bounding != executor.CapAll&^drop {
		t.Errorf("system manager: caps %+v", c)
	}
	if c := user.capsPlan(u); c != nil {
		t.Errorf("capsule: implied drops tried: %+v", c)
	}
	if w := user.sandboxWarnings(sandboxUnit(t, "ProtectSystem=strict\nProtectClock=yes\n")); len(w) != 1 {
		t.Errorf("capsule warnings %q", w)
	}
	if w := sys.sandboxWarnings(sandboxUnit(t, "ProtectSystem=strict\n")); w != nil {
		t.Errorf("system manager warns %q", w)
	}
}
