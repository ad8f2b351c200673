package e2e

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

// pathWait polls cond until it holds, failing the test after 10 s.
func pathWait(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after 10s: %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// countLines counts the lines of a file, 0 when it does not exist.
func countLines(p string) int {
	b, _ := os.ReadFile(p)
	return strings.Count(string(b), "\n")
}

// capsuleDir makes directories owned by the capsule's user, as if it had
// made them.
func capsuleDir(t *testing.T, uid int, dirs ...string) {
	t.Helper()
	for _, d := range dirs {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(d, uid, uid); err != nil {
			t.Fatal(err)
		}
	}
}

// TestPathUnits runs each [Path] directive in one capsule: conditions
// watched with inotify (also below directories that do not exist yet), the
// triggered unit started again while a condition holds, the trigger and
// start limits, and what show prints.
func TestPathUnits(t *testing.T) {
	c := startCapsule(t, "path")
	rt := "/run/capsules/" + c
	uid, _ := capsuleUID(t, c)
	// The service a path unit starts: it counts its runs in a file, runs
	// the script given, and is done.
	svc := func(script string) string {
		return "[Service]\nType=oneshot\nExecStart=/bin/sh -c '" + script + "'\n"
	}
	t.Run("group", func(t *testing.T) {
		t.Run("Show", func(t *testing.T) {
			t.Parallel()
			writeUnits(t, c, map[string]string{
				"pshow.path":     "[Path]\nPathExists=" + rt + "/nonexistent\nUnit=pshowx.service\n",
				"pshowx.service": svc("true"),
			})
			if r := ctlRun(nil, "-C", c, "start", "pshow.path"); r.code != 0 {
				t.Fatalf("start: %s\n%s", r, ctlRun(nil, "-C", c, "status", "pshow.path"))
			}
			want := "Unit=pshowx.service\nPaths=" + rt + "/nonexistent (PathExists)\nMakeDirectory=no\nDirectoryMode=0755\n" +
				"Result=success\nTriggerLimitIntervalUSec=2s\nTriggerLimitBurst=200\nTriggers=pshowx.service\n" +
				"ActiveState=active\nSubState=waiting\n"
			r := ctl(t, 0, "-C", c, "show", "-p", "Unit,Paths,MakeDirectory,DirectoryMode,Result,TriggerLimitIntervalUSec,TriggerLimitBurst,Triggers,ActiveState,SubState", "pshow.path")
			if r.stdout != want {
				t.Errorf("show:\n%s\nwant:\n%s", r.stdout, want)
			}
			st := ctlRun(nil, "-C", c, "status", "pshow.path")
			if !strings.Contains(st.stdout, "Active: active (waiting) since ") || !strings.Contains(st.stdout, " Invocation: ") {
				t.Errorf("status:\n%s", st)
			}
			if v := showValue(t, c, "pshowx.service", "TriggeredBy"); v != "pshow.path" {
				t.Errorf("TriggeredBy=%s", v)
			}
			ctl(t, 0, "-C", c, "stop", "pshow.path")
			if v := showValue(t, c, "pshow.path", "ActiveState"); v != "inactive" {
				t.Errorf("after stop: %s", v)
			}
		})
		t.Run("PathExists", func(t *testing.T) {
			t.Parallel()
			d := rt + "/ex"
			capsuleDir(t, uid, d)
			// The directory does not exist yet: its parent is watched.
			writeUnits(t, c, map[string]string{
				"pex.path":    "[Path]\nPathExists=" + d + "/a/flag\n",
				"pex.service": svc("echo >>" + d + "/count; rm " + d + "/a/flag"),
			})
			ctl(t, 0, "-C", c, "start", "pex.path")
			if v := showValue(t, c, "pex.path", "SubState"); v != "waiting" {
				t.Fatalf("SubState=%s", v)
			}
			capsuleDir(t, uid, d+"/a")
			os.WriteFile(d+"/a/flag", nil, 0o644)
			pathWait(t, "pex.service ran", func() bool { return countLines(d+"/count") == 1 })
			waitProperty(t, c, "pex.path", "SubState", "waiting")
			os.WriteFile(d+"/a/flag", nil, 0o644)
			pathWait(t, "pex.service ran again", func() bool { return countLines(d+"/count") == 2 })
		})
		t.Run("TriggerLimit", func(t *testing.T) {
			t.Parallel()
			// The condition keeps holding: the service is started again
			// each time it is done, until the trigger limit fails the path.
			d := rt + "/tl"
			capsuleDir(t, uid, d)
			os.WriteFile(d+"/flag", nil, 0o644)
			writeUnits(t, c, map[string]string{
				"ptl.path":    "[Path]\nPathExists=" + d + "/flag\nTriggerLimitBurst=3\nTriggerLimitIntervalSec=1h\n",
				"ptl.service": svc("echo >>" + d + "/count"),
			})
			ctl(t, 0, "-C", c, "start", "ptl.path")
			waitProperty(t, c, "ptl.path", "ActiveState", "failed")
			if v := showValue(t, c, "ptl.path", "Result"); v != "trigger-limit-hit" {
				t.Errorf("Result=%s", v)
			}
			waitProperty(t, c, "ptl.service", "ActiveState", "inactive")
			if n := countLines(d + "/count"); n != 3 {
				t.Errorf("ran %d times, want 3", n)
			}
			// A new start clears the result. The condition is gone first:
			// else the new start triggers again, and the service soon
			// hits its own start limit (5 in 10 s), which would fail the
			// path by the time show asks.
			os.Remove(d + "/flag")
			ctl(t, 0, "-C", c, "start", "ptl.path")
			if v := showValue(t, c, "ptl.path", "Result"); v != "success" {
				t.Errorf("Result after restart=%s", v)
			}
		})
		t.Run("UnitStartLimit", func(t *testing.T) {
			t.Parallel()
			// The triggered service fails each time: it is started again
			// until its start limit, which fails the path unit.
			d := rt + "/sl"
			capsuleDir(t, uid, d)
			os.WriteFile(d+"/flag", nil, 0o644)
			writeUnits(t, c, map[string]string{
				"psl.path":     "[Path]\nPathExists=" + d + "/flag\nUnit=pslx.service\n",
				"pslx.service": svc("exit 3"),
			})
			ctl(t, 0, "-C", c, "start", "psl.path")
			waitProperty(t, c, "psl.path", "ActiveState", "failed")
			if v := showValue(t, c, "psl.path", "Result"); v != "unit-start-limit-hit" {
				t.Errorf("path Result=%s", v)
			}
			if v := showValue(t, c, "pslx.service", "Result"); v != "exit-code" {
				t.Errorf("service Result=%s", v)
			}
		})
		t.Run("PathExistsGlob", func(t *testing.T) {
			t.Parallel()
			d := rt + "/gl"
			capsuleDir(t, uid, d)
			writeUnits(t, c, map[string]string{
				"pgl.path":    "[Path]\nPathExistsGlob=" + d + "/q/*.job\n",
				"pgl.service": svc("echo $$TRIGGER_UNIT $$TRIGGER_PATH >>" + d + "/count; rm " + d + "/q/*.job"),
			})
			ctl(t, 0, "-C", c, "start", "pgl.path")
			capsuleDir(t, uid, d+"/q")
			os.WriteFile(d+"/q/other", nil, 0o644)
			os.WriteFile(d+"/q/1.job", nil, 0o644)
			pathWait(t, "pgl.service ran", func() bool { return countLines(d+"/count") == 1 })
			waitProperty(t, c, "pgl.path", "SubState", "waiting")
			if _, err := os.Stat(d + "/q/other"); err != nil {
				t.Error(err)
			}
			// The service is told what triggered it: the match of the glob.
			if b, _ := os.ReadFile(d + "/count"); string(b) != "pgl.path "+d+"/q/1.job\n" {
				t.Errorf("TRIGGER_UNIT and TRIGGER_PATH: %q", b)
			}
		})
		t.Run("PathChanged", func(t *testing.T) {
			t.Parallel()
			d := rt + "/ch"
			capsuleDir(t, uid, d)
			os.WriteFile(d+"/f", nil, 0o644)
			writeUnits(t, c, map[string]string{
				"pch.path":    "[Path]\nPathChanged=" + d + "/f\n",
				"pch.service": svc("echo >>" + d + "/count"),
			})
			ctl(t, 0, "-C", c, "start", "pch.path")
			// Existing at the start is no change; a write closed is.
			if v := showValue(t, c, "pch.path", "SubState"); v != "waiting" {
				t.Fatalf("SubState=%s", v)
			}
			os.WriteFile(d+"/f", []byte("x"), 0o644)
			pathWait(t, "pch.service ran", func() bool { return countLines(d+"/count") == 1 })
			waitProperty(t, c, "pch.path", "SubState", "waiting")
			// Deleting it is a change, too.
			os.Remove(d + "/f")
			pathWait(t, "pch.service ran on delete", func() bool { return countLines(d+"/count") == 2 })
			waitProperty(t, c, "pch.path", "SubState", "waiting")
			os.WriteFile(d+"/f", nil, 0o644)
			pathWait(t, "pch.service ran on create", func() bool { return countLines(d+"/count") == 3 })
		})
		t.Run("PathModified", func(t *testing.T) {
			t.Parallel()
			d := rt + "/mo"
			capsuleDir(t, uid, d)
			os.WriteFile(d+"/f", nil, 0o666)
			writeUnits(t, c, map[string]string{
				"pmo.path":    "[Path]\nPathModified=" + d + "/f\n",
				"pmo.service": svc("echo >>" + d + "/count"),
			})
			ctl(t, 0, "-C", c, "start", "pmo.path")
			// A write fires before the file is closed.
			f, err := os.OpenFile(d+"/f", os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			f.Write([]byte("x"))
			pathWait(t, "pmo.service ran on a write", func() bool { return countLines(d+"/count") == 1 })
		})
		t.Run("DirectoryNotEmpty", func(t *testing.T) {
			t.Parallel()
			d := rt + "/ne/spool"
			capsuleDir(t, uid, rt+"/ne")
			writeUnits(t, c, map[string]string{
				"pne.path":    "[Path]\nDirectoryNotEmpty=" + d + "\nMakeDirectory=yes\nDirectoryMode=0710\n",
				"pne.service": svc("ls -A " + d + " >>" + rt + "/ne/seen; rm -f " + d + "/*"),
			})
			ctl(t, 0, "-C", c, "start", "pne.path")
			fi, err := os.Stat(d)
			if err != nil || fi.Mode().Perm() != 0o710 || !fi.IsDir() {
				t.Fatalf("MakeDirectory=yes DirectoryMode=0710: %v %v", fi, err)
			}
			// Hidden and backup files do not count.
			os.WriteFile(d+"/.hidden", nil, 0o644)
			os.WriteFile(d+"/old~", nil, 0o644)
			os.WriteFile(d+"/job", nil, 0o644)
			pathWait(t, "pne.service ran", func() bool { return countLines(rt+"/ne/seen") >= 1 })
			waitProperty(t, c, "pne.path", "SubState", "waiting")
			b, _ := os.ReadFile(rt + "/ne/seen")
			if !strings.Contains(string(b), "job") {
				t.Errorf("seen: %q", b)
			}
		})
		t.Run("Reload", func(t *testing.T) {
			t.Parallel()
			d := rt + "/rl"
			capsuleDir(t, uid, d)
			writeUnits(t, c, map[string]string{
				"prl.path":    "[Path]\nPathExists=" + d + "/one\n",
				"prl.service": svc("echo $$TRIGGER_PATH >>" + d + "/count; rm -f " + d + "/one " + d + "/two"),
			})
			ctl(t, 0, "-C", c, "start", "prl.path")
			// A daemon-reload puts the new file's watches in place.
			writeUnits(t, c, map[string]string{"prl.path": "[Path]\nPathExists=" + d + "/two\n"})
			os.WriteFile(d+"/two", nil, 0o644)
			pathWait(t, "prl.service ran", func() bool { return countLines(d+"/count") == 1 })
			waitProperty(t, c, "prl.path", "SubState", "waiting")
			os.WriteFile(d+"/one", nil, 0o644)
			os.WriteFile(d+"/two", nil, 0o644)
			pathWait(t, "prl.service ran again", func() bool { return countLines(d+"/count") == 2 })
			if b, _ := os.ReadFile(d + "/count"); string(b) != d+"/two\n"+d+"/two\n" {
				t.Errorf("triggered by %q", b)
			}
		})
		t.Run("SharedFile", func(t *testing.T) {
			t.Parallel()
			// Two units watch one file: a write not yet closed fires the
			// PathModified= one only, though the file has one watch.
			d := rt + "/sh"
			capsuleDir(t, uid, d)
			os.WriteFile(d+"/f", nil, 0o666)
			writeUnits(t, c, map[string]string{
				"pshm.path":    "[Path]\nPathModified=" + d + "/f\nUnit=psh.service\n",
				"pshc.path":    "[Path]\nPathChanged=" + d + "/f\nUnit=psh2.service\n",
				"psh.service":  svc("echo $$TRIGGER_UNIT >>" + d + "/count"),
				"psh2.service": svc("echo $$TRIGGER_UNIT >>" + d + "/count"),
			})
			ctl(t, 0, "-C", c, "start", "pshm.path", "pshc.path")
			f, err := os.OpenFile(d+"/f", os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			f.Write([]byte("x"))
			pathWait(t, "psh.service ran", func() bool { return countLines(d+"/count") == 1 })
			waitProperty(t, c, "pshm.path", "SubState", "waiting")
			f.Close()
			pathWait(t, "both ran", func() bool { return countLines(d+"/count") == 3 })
			b, _ := os.ReadFile(d + "/count")
			if l := strings.Split(string(b), "\n"); l[0] != "pshm.path" || !slices.Contains(l[1:], "pshc.path") {
				t.Errorf("runs: %q", b)
			}
		})
		t.Run("BadInput", func(t *testing.T) {
			t.Parallel()
			writeUnits(t, c, map[string]string{
				"pbad.path":     "[Path]\nPathExists=relative\nPathChanged=/a/../b\nDirectoryMode=9\nPathExists=" + rt + "/bad\n",
				"pbad.service":  svc("true"),
				"pnone.path":    "[Path]\nUnit=pbad.service\n",
				"poutside.path": "[Path]\nPathExists=/etc/hostname\nUnit=pbad.service\n",
			})
			st := ctlRun(nil, "-C", c, "status", "pbad.path")
			for _, w := range []string{
				"pbad.path:2: PathExists= path is not absolute, ignoring: relative",
				"pbad.path:3: PathChanged= path is not normalized, ignoring: /a/../b",
				"pbad.path:4: Failed to parse DirectoryMode= value, ignoring: 9",
			} {
				if !strings.Contains(st.stdout, w) {
					t.Errorf("status lacks %q:\n%s", w, st)
				}
			}
			if v := showValue(t, c, "pbad.path", "Paths"); v != rt+"/bad (PathExists)" {
				t.Errorf("Paths=%s", v)
			}
			// Without a condition, the unit is refused, as systemd does.
			r := ctlRun(nil, "-C", c, "start", "pnone.path")
			if r.code == 0 || !strings.Contains(r.stderr+ctlRun(nil, "-C", c, "status", "pnone.path").stdout, "lacks path setting") {
				t.Errorf("start pnone.path: %s", r)
			}
			if v := showValue(t, c, "pnone.path", "LoadState"); v != "bad-setting" && v != "error" {
				t.Errorf("LoadState=%s", v)
			}
			// A capsule's path unit watches only what the capsule may write.
			if r := ctlRun(nil, "-C", c, "start", "poutside.path"); r.code == 0 {
				t.Errorf("start poutside.path: %s", r)
			}
		})
	})
	t.Run("Many", func(t *testing.T) {
		// Not beside the parallel ones: their daemon-reloads would
		// race the start of 150 units (a start and a reload of the
		// engine can meet: "Unit pmany.target not found").
		// More path units than the kernel allows inotify instances
		// per user (128): they share the manager's one.
		d := rt + "/many"
		capsuleDir(t, uid, d)
		files := map[string]string{"pmany.service": svc("echo $$TRIGGER_UNIT >>" + d + "/count")}
		var wants []string
		for i := range 150 {
			n := fmt.Sprintf("pmany%d.path", i)
			files[n] = fmt.Sprintf("[Path]\nPathExists=%s/f%d\nUnit=pmany.service\n", d, i)
			wants = append(wants, n)
		}
		files["pmany.target"] = "[Unit]\nWants=" + strings.Join(wants, " ") + "\n"
		writeUnits(t, c, files)
		ctl(t, 0, "-C", c, "start", "pmany.target")
		if r := ctl(t, 0, "-C", c, "list-units", "--all", "pmany*.path"); strings.Count(r.stdout, " active waiting ") != 150 {
			t.Errorf("not all 150 path units wait:\n%s", r.stdout)
		}
		os.WriteFile(d+"/f149", nil, 0o644)
		pathWait(t, "pmany.service ran", func() bool { return countLines(d+"/count") >= 1 })
		if b, _ := os.ReadFile(d + "/count"); !strings.HasPrefix(string(b), "pmany149.path\n") {
			t.Errorf("runs: %q", b)
		}
		os.Remove(d + "/f149")
	})
}

// TestPathUnitSystem triggers a service of the system manager.
func TestPathUnitSystem(t *testing.T) {
	d := t.TempDir()
	name := fmt.Sprintf("psys%d-%d", os.Getpid(), counter.Add(1))
	systemUnit(t, name+".service", "[Service]\nType=oneshot\nExecStart=/bin/sh -c 'echo >>"+d+"/count; rm "+d+"/flag'\n")
	systemUnit(t, name+".path", "[Path]\nPathExists="+d+"/flag\n")
	ctl(t, 0, "start", name+".path")
	if r := ctl(t, 0, "show", "-p", "Requires,After,SubState", name+".path"); !strings.Contains(r.stdout, "Requires=sysinit.target\n") || !strings.Contains(r.stdout, "SubState=waiting\n") {
		t.Errorf("show:\n%s", r.stdout)
	}
	os.WriteFile(d+"/flag", nil, 0o644)
	pathWait(t, "service ran", func() bool { return countLines(d+"/count") == 1 })
}

// TestEscapePathUnitSymlinkToRoot: a capsule swaps the paths its path unit
// watches for symbolic links to /root and /etc. Its manager must not look
// through them: /root (unreadable, which DirectoryNotEmpty= would take for
// not empty) and /etc/hostname are outside what the capsule may write, so
// neither condition holds and nothing is triggered.
func TestEscapePathUnitSymlinkToRoot(t *testing.T) {
	c := startCapsule(t, "pesc")
	uid, _ := capsuleUID(t, c)
	d := "/run/capsules/" + c + "/esc"
	capsuleDir(t, uid, d)
	for link, target := range map[string]string{"spool": "/root", "etc": "/etc", "rel": "../../../etc"} {
		if err := os.Symlink(target, d+"/"+link); err != nil {
			t.Fatal(err)
		}
		os.Lchown(d+"/"+link, uid, uid)
	}
	writeUnits(t, c, map[string]string{
		"pesc.path": "[Path]\nDirectoryNotEmpty=" + d + "/spool\nPathExists=" + d + "/etc/hostname\n" +
			"PathExistsGlob=" + d + "/rel/host*\nPathChanged=" + d + "/spool/x\n",
		"pesc.service": "[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/true\n",
	})
	ctl(t, 0, "-C", c, "start", "pesc.path")
	if v := showValue(t, c, "pesc.path", "SubState"); v != "waiting" {
		t.Errorf("path unit %s: it looked through a link out of the capsule", v)
	}
	if v := showValue(t, c, "pesc.service", "ActiveState"); v != "inactive" {
		t.Errorf("pesc.service %s", v)
	}
	// Replaced by a real directory with a file, the condition holds.
	os.Remove(d + "/spool")
	capsuleDir(t, uid, d+"/spool")
	os.WriteFile(d+"/spool/job", nil, 0o644)
	waitProperty(t, c, "pesc.service", "ActiveState", "active")
}
