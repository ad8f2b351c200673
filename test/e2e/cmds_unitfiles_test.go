package e2e

import (
	"errors"
	"io/fs"
	"os"
	osexec "os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// capsuleUnitDir is a capsule's ~/.config/systemd/user on the host.
func capsuleUnitDir(capsule string) string {
	return "/var/lib/private/capsules/" + capsule + "/.config/systemd/user"
}

// writeCapsuleFiles writes files (relative to the capsule's unit
// directory), hands them to the capsule's user and reloads.
func writeCapsuleFiles(t *testing.T, capsule string, files map[string]string) {
	t.Helper()
	for name, text := range files {
		p := filepath.Join(capsuleUnitDir(capsule), name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ownByCapsule(t, capsule)
	ctl(t, 0, "-C", capsule, "daemon-reload")
}

// TestCatListMaskInCapsule: cat, list-unit-files, mask and unmask in a
// capsule print what systemctl 257 prints (observed), and the links are
// made by the capsule's manager (owned by the capsule's user on disk).
func TestCatListMaskInCapsule(t *testing.T) {
	c := startCapsule(t, "cm")
	cfg := "/var/lib/capsules/" + c + "/.config/systemd/user/"
	writeCapsuleFiles(t, c, map[string]string{
		"cmc.service":          "[Unit]\nDescription=cm one\n[Service]\nExecStart=/bin/sleep 1000\n[Install]\nWantedBy=default.target\n",
		"cmc.service.d/z.conf": "[Service]\nEnvironment=A=1\n",
		"cmc.service.d/a.conf": "[Service]\nEnvironment=B=1",
		"cms.service":          "[Service]\nExecStart=/bin/sleep 1000\n",
	})
	r := ctl(t, 0, "-C", c, "cat", "cmc", "cms.service")
	want := "# " + cfg + "cmc.service\n[Unit]\nDescription=cm one\n[Service]\nExecStart=/bin/sleep 1000\n[Install]\nWantedBy=default.target\n\n" +
		"# " + cfg + "cmc.service.d/a.conf\n[Service]\nEnvironment=B=1\n\n" +
		"# " + cfg + "cmc.service.d/z.conf\n[Service]\nEnvironment=A=1\n\n" +
		"# " + cfg + "cms.service\n[Service]\nExecStart=/bin/sleep 1000\n"
	if r.stdout != want {
		t.Errorf("cat:\n%s\nwant stdout:\n%s", r, want)
	}
	if r := ctl(t, 1, "-C", c, "cat", "cmnone"); r.stderr != "No files found for cmnone.service.\n" {
		t.Errorf("cat of a unit without files: %s", r)
	}

	r = ctl(t, 0, "-C", c, "list-unit-files", "cm*")
	want = "UNIT FILE   STATE    PRESET\ncmc.service disabled enabled\ncms.service static   -\n\n2 unit files listed.\n"
	if r.stdout != want {
		t.Errorf("list-unit-files:\n%s\nwant stdout:\n%s", r, want)
	}
	r = ctl(t, 0, "-C", c, "list-unit-files", "--state=disabled", "--type=service", "cm*")
	if want := "UNIT FILE   STATE    PRESET\ncmc.service disabled enabled\n\n1 unit files listed.\n"; r.stdout != want {
		t.Errorf("list-unit-files --state=disabled:\n%s\nwant stdout:\n%s", r, want)
	}
	if r := ctl(t, 1, "-C", c, "list-unit-files", "--type=timer", "cm*"); r.stdout != "UNIT FILE STATE PRESET\n\n0 unit files listed.\n" {
		t.Errorf("list-unit-files with no match: %s", r)
	}

	r = ctl(t, 1, "-C", c, "mask", "cmc")
	if want := "Failed to mask unit: File '" + cfg + "cmc.service' already exists\n"; r.stderr != want {
		t.Errorf("mask of a unit whose file is in the configuration directory: %s\nwant stderr %q", r, want)
	}
	r = ctl(t, 0, "-C", c, "mask", "cmnone.service")
	if want := "Unit cmnone.service does not exist, proceeding anyway.\nCreated symlink '" + cfg + "cmnone.service' → '/dev/null'.\n"; r.stderr != want {
		t.Errorf("mask of a unit without a file: %s\nwant stderr %q", r, want)
	}
	var st syscall.Stat_t
	if err := syscall.Lstat(filepath.Join(capsuleUnitDir(c), "cmnone.service"), &st); err != nil || st.Uid != 65534 {
		t.Errorf("the mask link is not the capsule's (uid %d on disk, want 65534): %v", st.Uid, err)
	}
	if r := ctl(t, 0, "-C", c, "unmask", "cmnone.service"); r.stderr != "Removed '"+cfg+"cmnone.service'.\n" {
		t.Errorf("unmask: %s", r)
	}
	if r := ctl(t, 0, "-C", c, "unmask", "cmnone.service"); r.stderr != "" {
		t.Errorf("unmask of a unit that is not masked: %s", r)
	}

	// A running unit whose file is in the runtime directory (searched
	// after ~/.config) and is triggered by an active timer: mask links it
	// in ~/.config, warns about the timer, and it keeps running, masked.
	rt := "/run/capsules/" + c + "/systemd/user"
	if err := os.MkdirAll(rt, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, text := range map[string]string{"cmr.service": "[Service]\nExecStart=/bin/sleep 1000\n", "cmr.timer": "[Timer]\nOnActiveSec=1h\n"} {
		if err := os.WriteFile(filepath.Join(rt, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	uid, ok := capsuleUID(t, c)
	if !ok {
		t.Fatalf("c-%s does not resolve", c)
	}
	for _, p := range []string{filepath.Dir(rt), rt} {
		if err := os.Chown(p, uid, uid); err != nil {
			t.Fatal(err)
		}
	}
	ctl(t, 0, "-C", c, "daemon-reload")
	ctl(t, 0, "-C", c, "start", "cmr.timer", "cmr.service")
	r = ctl(t, 0, "-C", c, "mask", "cmr")
	if want := "Created symlink '" + cfg + "cmr.service' → '/dev/null'.\nMasking 'cmr.service', but its triggering units are still active:\ncmr.timer\n"; r.stderr != want {
		t.Errorf("mask of a running, triggered unit: %s\nwant stderr %q", r, want)
	}
	for prop, want := range map[string]string{"LoadState": "masked", "ActiveState": "active", "UnitFileState": "masked", "NeedDaemonReload": "no"} {
		if got := showValue(t, c, "cmr.service", prop); got != want {
			t.Errorf("%s of a masked running unit: %q, want %q", prop, got, want)
		}
	}
	if r := ctl(t, 0, "-C", c, "list-unit-files", "cmr*"); !strings.Contains(r.stdout, "cmr.service masked enabled\n") {
		t.Errorf("list-unit-files of a masked unit: %s", r)
	}
	ctl(t, 0, "-C", c, "stop", "cmr.timer", "cmr.service")
	ctl(t, 1, "-C", c, "start", "cmr.service")
	ctl(t, 0, "-C", c, "unmask", "cmr")
	ctl(t, 0, "-C", c, "mask", "--runtime", "cms")
	if got := showValue(t, c, "cms.service", "LoadState"); got != "loaded" {
		t.Errorf("a runtime mask overrode the file in ~/.config: LoadState=%s", got)
	}
	if r := ctl(t, 0, "-C", c, "unmask", "--runtime", "cms"); r.stderr != "Removed '/run/capsules/"+c+"/systemd/user/cms.service'.\n" {
		t.Errorf("unmask --runtime: %s", r)
	}
	// A unit with no file in ~/.config masked in the runtime directory is
	// masked-runtime, as systemctl 257 shows it (observed with dbus.socket
	// in a capsule).
	ctl(t, 0, "-C", c, "mask", "--runtime", "dbus.socket")
	if r := ctlRun(nil, "-C", c, "is-enabled", "dbus.socket"); r.stdout != "masked-runtime\n" {
		t.Errorf("is-enabled of a runtime-masked unit: %s", r)
	}
	if r := ctl(t, 0, "-C", c, "list-unit-files", "dbus.socket"); !strings.Contains(r.stdout, "dbus.socket masked-runtime") {
		t.Errorf("list-unit-files of a runtime-masked unit: %s", r)
	}
	ctl(t, 0, "-C", c, "unmask", "--runtime", "dbus.socket")
}

// TestKillInCapsule: kill sends the chosen signal to the main process or
// to all processes of a unit, with systemctl 257's errors and exit codes.
func TestKillInCapsule(t *testing.T) {
	c := startCapsule(t, "cm")
	writeCapsuleFiles(t, c, map[string]string{
		"cmk.service": "[Service]\nExecStart=/bin/sh -c 'trap \"echo got-USR1\" USR1; echo cm-trapped; sleep 1000 & while :; do wait; done'\n",
	})
	ctl(t, 0, "-C", c, "start", "cmk")
	waitCapsuleLog(t, c, "cmk", "cm-trapped")
	ctl(t, 0, "-C", c, "kill", "-s", "USR1", "--kill-whom=main", "cmk")
	// A second SIGUSR1 still pending with the first would be merged.
	waitCapsuleLog(t, c, "cmk", "got-USR1")
	ctl(t, 0, "-C", c, "kill", "--signal=SIGUSR1", "--kill-who=main", "cmk")
	deadline := time.Now().Add(10 * time.Second)
	var logs string
	for time.Now().Before(deadline) && strings.Count(logs, "got-USR1") < 2 {
		time.Sleep(10 * time.Millisecond)
		logs = ctl(t, 0, "-C", c, "logs", "-u", "cmk").stdout
	}
	if n := strings.Count(logs, "got-USR1"); n != 2 {
		t.Errorf("the main process got SIGUSR1 %d times, want 2:\n%s", n, logs)
	}
	if got := showValue(t, c, "cmk.service", "ActiveState"); got != "active" {
		t.Errorf("ActiveState after SIGUSR1 to the main process: %s", got)
	}
	for _, k := range []struct {
		args   []string
		stderr string
	}{
		{[]string{"-s", "BOGUS", "cmk"}, "Failed to parse signal string \"BOGUS\".\n"},
		{[]string{"--kill-whom=control", "cmk"}, "Failed to kill unit cmk.service: No control process to kill\n"},
		{[]string{"--kill-whom=bogus", "cmk"}, "Failed to kill unit cmk.service: Invalid whom argument: bogus\n"},
		{[]string{"cmnotloaded"}, "Failed to kill unit cmnotloaded.service: Unit cmnotloaded.service not loaded.\n"},
	} {
		if r := ctl(t, 1, append([]string{"-C", c, "kill"}, k.args...)...); r.stderr != k.stderr {
			t.Errorf("kill %v: %s\nwant stderr %q", k.args, r, k.stderr)
		}
	}
	ctl(t, 0, "-C", c, "kill", "-s", "USR2", "cmk")
	waitProperty(t, c, "cmk.service", "ActiveState", "failed")
	if got := showValue(t, c, "cmk.service", "Result"); got != "signal" {
		t.Errorf("Result after SIGUSR2 to all: %s", got)
	}
	ctl(t, 0, "-C", c, "kill", "cmk")
}

// TestEditInCapsule: edit --stdin and an interactive edit (root's editor
// on a private copy) write the drop-in through the capsule's manager (the
// file is the capsule user's on disk) and reload, as systemctl 257 does.
func TestEditInCapsule(t *testing.T) {
	c := startCapsule(t, "cm")
	cfg := "/var/lib/capsules/" + c + "/.config/systemd/user/"
	writeCapsuleFiles(t, c, map[string]string{"cme.service": "[Service]\nExecStart=/bin/sleep 1000\n"})
	r := ctlWithStdin(t, "\n[Service]\nEnvironment=CMX=1\n\n", "-C", c, "edit", "--stdin", "cme")
	if want := "Successfully installed edited file '" + cfg + "cme.service.d/override.conf'.\n"; r.code != 0 || r.stderr != want {
		t.Errorf("edit --stdin: %s\nwant stderr %q", r, want)
	}
	p := filepath.Join(capsuleUnitDir(c), "cme.service.d/override.conf")
	var st syscall.Stat_t
	if b, err := os.ReadFile(p); err != nil || string(b) != "[Service]\nEnvironment=CMX=1\n" {
		t.Errorf("override.conf: %q, %v", b, err)
	}
	if err := syscall.Lstat(p, &st); err != nil || st.Uid != 65534 {
		t.Errorf("override.conf is not the capsule's (uid %d on disk, want 65534): %v", st.Uid, err)
	}
	if got := showValue(t, c, "cme.service", "Environment"); got != "CMX=1" {
		t.Errorf("Environment after edit: %q", got)
	}
	r = ctlWithStdin(t, "[Service]\nEnvironment=CMY=1\n", "-C", c, "edit", "--stdin", "--runtime", "cme")
	if want := "Failed to edit cme.service: Refusing to create \"/run/capsules/" + c + "/systemd/user/cme.service.d/override.conf\" because it would be overridden by \"" +
		cfg + "cme.service.d/override.conf\" anyway.\n"; r.code != 1 || r.stderr != want {
		t.Errorf("edit --runtime under a persistent drop-in: %s\nwant stderr %q", r, want)
	}
	if r := ctlWithStdin(t, " \n\n", "-C", c, "edit", "--stdin", "cme"); r.code != 0 || r.stderr != "Stripped stdin content is empty, not writing file.\n" {
		t.Errorf("edit --stdin of nothing: %s", r)
	}
	if want := "No files found for cmnone.service.\nRun 'capsulectl -C " + c + " edit --force --full cmnone.service' to create a new unit.\n"; true {
		if r := ctlWithStdin(t, "x", "-C", c, "edit", "--stdin", "cmnone"); r.code != 1 || r.stderr != want {
			t.Errorf("edit of a unit without files: %s\nwant stderr %q", r, want)
		}
	}
	if r := ctlWithStdin(t, "", "-C", c, "edit", "cme"); r.code != 1 || r.stderr != "Cannot edit units interactively if not on a tty.\n" {
		t.Errorf("edit without a tty: %s", r)
	}

	// Interactive, on a terminal (script(1) gives it one): the editor
	// adds a line between the markers; the text below them is dropped.
	editor := filepath.Join(t.TempDir(), "ed.sh")
	// systemctl 257 starts the editor as "EDITOR +4 FILE" for a drop-in.
	if err := os.WriteFile(editor, []byte("#!/bin/sh\n[ \"$1\" = +4 ] || exit 1\nsed -i '/^### Anything between here/a [Service]\\nEnvironment=CMED=1' \"$2\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := osexec.Command("script", "-qec", filepath.Join(e.bin, "capsulectl")+" -C "+c+" edit --drop-in=ed cme", "/dev/null")
	cmd.Env = append(os.Environ(), "CAPSULED_RUNTIME_DIR="+e.runtimeDir, "EDITOR="+editor, "SYSTEMD_EDITOR=", "VISUAL=")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Successfully installed edited file '"+cfg+"cme.service.d/ed.conf'.") {
		t.Fatalf("interactive edit: %v\n%s", err, out)
	}
	if b, err := os.ReadFile(filepath.Join(capsuleUnitDir(c), "cme.service.d/ed.conf")); err != nil || string(b) != "[Service]\nEnvironment=CMED=1\n" {
		t.Errorf("ed.conf after the interactive edit: %q, %v", b, err)
	}
	// ed.conf sorts before override.conf.
	if got := showValue(t, c, "cme.service", "Environment"); got != "CMED=1 CMX=1" {
		t.Errorf("Environment after the interactive edit: %q", got)
	}
	testEditForce(t, c)
}

// testEditForce: edit --force creates a unit that has no file yet, as
// systemctl 257 does: --stdin --full writes the unit file, an interactive
// --drop-in= edit starts from an empty file without markers, and an
// editor that leaves the file empty writes nothing.
func testEditForce(t *testing.T, c string) {
	cfg := "/var/lib/capsules/" + c + "/.config/systemd/user/"
	r := ctlWithStdin(t, "[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/true\n", "-C", c, "edit", "--stdin", "--force", "--full", "cmnew")
	if want := "Successfully installed edited file '" + cfg + "cmnew.service'.\n"; r.code != 0 || r.stderr != want {
		t.Errorf("edit --stdin --force --full: %s\nwant stderr %q", r, want)
	}
	ctl(t, 0, "-C", c, "start", "cmnew")
	if got := showValue(t, c, "cmnew.service", "ActiveState"); got != "active" {
		t.Errorf("ActiveState of the unit edit --force created: %s", got)
	}

	dir := t.TempDir()
	seen := filepath.Join(dir, "seen")
	editor := filepath.Join(dir, "ed.sh")
	script := "#!/bin/sh\ncp \"$1\" " + seen + "\nprintf '[Service]\\nExecStart=/bin/true\\n' > \"$1\"\n"
	empty := filepath.Join(dir, "ed0.sh")
	if err := errors.Join(os.WriteFile(editor, []byte(script), 0o755), os.WriteFile(empty, []byte("#!/bin/sh\n: > \"$1\"\n"), 0o755)); err != nil {
		t.Fatal(err)
	}
	interactive := func(ed, args string) string {
		cmd := osexec.Command("script", "-qec", filepath.Join(e.bin, "capsulectl")+" -C "+c+" "+args+"; echo rc=$?", "/dev/null")
		cmd.Env = append(os.Environ(), "CAPSULED_RUNTIME_DIR="+e.runtimeDir, "EDITOR="+ed, "SYSTEMD_EDITOR=", "VISUAL=")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", args, err, out)
		}
		return strings.ReplaceAll(string(out), "\r\n", "\n")
	}
	if out, want := interactive(editor, "edit --force --drop-in=new cmnew2"),
		"Successfully installed edited file '"+cfg+"cmnew2.service.d/new.conf'.\nrc=0\n"; out != want {
		t.Errorf("edit --force --drop-in=new: %q, want %q", out, want)
	}
	if b, err := os.ReadFile(seen); err != nil || len(b) != 0 {
		t.Errorf("the editor got %q for a new drop-in (%v), want an empty file", b, err)
	}
	if b, err := os.ReadFile(filepath.Join(capsuleUnitDir(c), "cmnew2.service.d/new.conf")); err != nil || string(b) != "[Service]\nExecStart=/bin/true\n" {
		t.Errorf("new.conf: %q, %v", b, err)
	}
	if out, want := interactive(empty, "edit --force --full cmnew3"),
		cfg+"cmnew3.service: after editing, new contents are empty, not writing file.\nrc=0\n"; out != want {
		t.Errorf("edit --force --full left empty: %q, want %q", out, want)
	}
	if _, err := os.Lstat(filepath.Join(capsuleUnitDir(c), "cmnew3.service")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("cmnew3.service written from an empty edit: %v", err)
	}
}

// waitCapsuleLog waits until the log of unit in capsule holds s.
func waitCapsuleLog(t *testing.T, capsule, unit, s string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	var r result
	for time.Now().Before(deadline) {
		if r = ctlRun(nil, "-C", capsule, "logs", "-u", unit); strings.Contains(r.stdout, s) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%q never reached the log of %s: %s", s, unit, r)
}
