package e2e

import (
	"bytes"
	"context"
	"os"
	osexec "os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestCtlLikeSystemctl: capsulectl filters, expands and words as
// systemctl 257 does (observed; values from /work/notes/observed-8-fb.md):
// list-units --failed/--state=/--type=, unit patterns for status, stop and
// logs -u, a masked (empty) unit file, status's Drop-In: lines, cat of an
// alias, the warning of a deprecated directive, logs -f -n 0.
func TestCtlLikeSystemctl(t *testing.T) {
	c := startCapsule(t, "fb")
	cfg := "/var/lib/capsules/" + c + "/.config/systemd/user/"
	if err := os.MkdirAll(capsuleUnitDir(c), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("fbold.service", filepath.Join(capsuleUnitDir(c), "fbalias.service")); err != nil {
		t.Fatal(err)
	}
	sleeper := "[Service]\nExecStart=/bin/sleep 1000\n"
	writeCapsuleFiles(t, c, map[string]string{
		"fbsvc.service":                 sleeper,
		"fbsvc.service.d/override.conf": "[Service]\nEnvironment=A=1\n",
		"fbsvc.service.d/zz.conf":       "[Service]\nEnvironment=B=1\n",
		"fbsv2.service":                 sleeper,
		"fbfail.service":                "[Service]\nExecStart=/bin/false\n",
		"fbempty.service":               "",
		"fbold.service":                 sleeper + "MemoryLimit=1M\n",
		"fbps.service":                  "[Service]\nType=oneshot\nExecStart=/bin/true\nProtectSystem=strict\n",
	})
	ctl(t, 0, "-C", c, "start", "fbsvc", "fbsv2", "fbfail")
	for deadline := time.Now().Add(5 * time.Second); ctlRun(nil, "-C", c, "is-failed", "-q", "fbfail").code != 0; {
		if time.Now().After(deadline) {
			t.Fatal("fbfail.service did not fail")
		}
		time.Sleep(20 * time.Millisecond)
	}

	// try runs capsulectl and reports an unexpected exit status without
	// stopping: each check below shows on its own.
	try := func(want int, args ...string) result {
		t.Helper()
		r := ctlRun(nil, args...)
		if r.code != want {
			t.Errorf("capsulectl %s: want exit %d, got %s", strings.Join(args, " "), want, r)
		}
		return r
	}

	failed := "  UNIT           LOAD   ACTIVE SUB    DESCRIPTION\n" +
		"● fbfail.service loaded failed failed fbfail.service\n\n" +
		"Legend: LOAD   → Reflects whether the unit definition was properly loaded.\n" +
		"        ACTIVE → The high-level unit activation state, i.e. generalization of SUB.\n" +
		"        SUB    → The low-level unit activation state, values depend on unit type.\n\n" +
		"1 loaded units listed.\n"
	for _, opt := range []string{"--failed", "--state=failed"} {
		if r := try(0, "-C", c, "list-units", opt); r.stdout != failed {
			t.Errorf("list-units %s:\n%s\nwant\n%s", opt, r.stdout, failed)
		}
	}
	if r := try(0, "-C", c, "list-units", "--type=service", "--state=running", "fb*"); !strings.Contains(r.stdout, "\n  fbsv2.service loaded active running fbsv2.service\n  fbsvc.service loaded active running fbsvc.service\n\n") ||
		!strings.HasSuffix(r.stdout, "\n2 loaded units listed.\n") {
		t.Errorf("list-units --type=service --state=running:\n%s", r.stdout)
	}
	if r := try(0, "-C", c, "list-units", "-t", "timer", "fb*"); r.stdout != "  UNIT LOAD ACTIVE SUB DESCRIPTION\n\n0 loaded units listed. Pass --all to see loaded but inactive units, too.\nTo show all installed unit files use 'capsulectl list-unit-files'.\n" {
		t.Errorf("list-units -t timer:\n%s", r.stdout)
	}
	if r := try(1, "-C", c, "list-units", "--foo"); r.stderr != "capsulectl: unrecognized option '--foo'\nSee 'capsulectl --help' for the options capsulectl knows.\n" {
		t.Errorf("unknown option: %q", r.stderr)
	}

	if r := try(0, "-C", c, "status", "fbsvc"); !strings.Contains(r.stdout, "\n    Drop-In: "+cfg+"fbsvc.service.d\n             └─override.conf, zz.conf\n     Active: active (running)") {
		t.Errorf("status of a unit with drop-ins:\n%s", r.stdout)
	}
	if r := try(0, "-C", c, "status", "fbsv*"); !strings.Contains(r.stdout, "● fbsv2.service\n") || !strings.Contains(r.stdout, "● fbsvc.service\n") {
		t.Errorf("status fbsv*:\n%s", r.stdout)
	}
	if r := try(0, "-C", c, "status", "zzq*"); r.stdout != "" || r.stderr != "" {
		t.Errorf("status of a pattern matching nothing: %s", r)
	}
	try(0, "-C", c, "stop", "fbsv*")
	for _, u := range []string{"fbsvc", "fbsv2"} {
		if r := ctlRun(nil, "-C", c, "is-active", u); r.stdout != "inactive\n" {
			t.Errorf("after stop fbsv*: %s is %s", u, r)
		}
	}
	if r := try(0, "-C", c, "logs", "-u", "fbsv*", "-o", "cat"); !strings.Contains(r.stdout, "Stopped fbsv2.service.\n") ||
		!strings.Contains(r.stdout, "Stopped fbsvc.service.\n") {
		t.Errorf("logs -u fbsv*:\n%s", r.stdout)
	}

	// journalctl -f -n 0 prints no old line, only new ones (here the
	// capsule manager's whole log, idle meanwhile).
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	cmd := osexec.CommandContext(ctx, filepath.Join(e.bin, "capsulectl"), "-C", c, "logs", "-f", "-n", "0")
	cmd.Env = append(os.Environ(), "CAPSULED_RUNTIME_DIR="+e.runtimeDir)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Run()
	if out.String() != "" {
		t.Errorf("logs -f -n 0 printed old lines:\n%s", out.String())
	}

	if r := try(1, "-C", c, "start", "fbempty"); r.stderr != "Failed to start fbempty.service: Unit fbempty.service is masked.\n" {
		t.Errorf("start of an empty unit file: %q", r.stderr)
	}
	if r := try(3, "-C", c, "status", "fbempty"); !strings.HasPrefix(r.stdout, "○ fbempty.service\n     Loaded: masked (Reason: Unit fbempty.service is masked.)\n     Active: inactive (dead)\n") ||
		strings.Contains(r.stdout, "fbempty.service: ") {
		t.Errorf("status of an empty unit file:\n%s", r.stdout)
	}
	if r := try(0, "-C", c, "cat", "fbalias"); !strings.HasPrefix(r.stdout, "# "+cfg+"fbold.service\n[Service]\n") {
		t.Errorf("cat of an alias:\n%s", r.stdout)
	}
	try(3, "-C", c, "status", "fbold")
	if r := try(0, "-C", c, "logs", "-u", "fbold", "-o", "cat"); !strings.Contains(r.stdout, cfg+"fbold.service:3: Unit uses MemoryLimit=; please use MemoryMax= instead. Support for MemoryLimit= will be removed soon. Ignoring.\n") {
		t.Errorf("MemoryLimit= warning:\n%s", r.stdout)
	}
	// One setting a capsule cannot act on: "needs", in the system
	// manager's log of the capsule.
	try(0, "-C", c, "start", "fbps")
	want := "fbps.service: ProtectSystem= needs the system manager;"
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		logs := try(0, "logs", "-u", "capsule@"+c+".service", "-o", "cat").stdout
		if strings.Contains(logs, want) {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("no %q in the capsule's log:\n%s", want, logs)
			break
		}
	}
}
