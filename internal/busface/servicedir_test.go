package busface

import (
	"golang.org/x/sys/unix"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseServiceFile(t *testing.T) {
	for name, tt := range map[string]struct {
		text string
		want serviceFile
		ok   bool
	}{
		"systemd":    {"[D-BUS Service]\nName=org.a.B\nSystemdService=b.service\n", serviceFile{Name: "org.a.B", SystemdService: "b.service"}, true},
		"exec":       {"# c\n[D-BUS Service]\nName = org.a.B\nExec=/usr/bin/b --x\nUser=root\n", serviceFile{Name: "org.a.B", Exec: "/usr/bin/b --x"}, true},
		"other":      {"[Other]\nName=org.a.B\n", serviceFile{}, false},
		"bad name":   {"[D-BUS Service]\nName=nodots\nExec=/bin/b\n", serviceFile{Name: "nodots", Exec: "/bin/b"}, false},
		"no name":    {"[D-BUS Service]\nExec=/bin/b\n", serviceFile{Exec: "/bin/b"}, false},
		"later wins": {"[D-BUS Service]\nName=org.a.B\nName=org.a.C\n", serviceFile{Name: "org.a.C"}, true},
	} {
		t.Run(name, func(t *testing.T) {
			got, ok := parseServiceFile(strings.NewReader(tt.text))
			if got != tt.want || ok != tt.ok {
				t.Errorf("got %+v %v, want %+v %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestActivatableFilter(t *testing.T) {
	a := activatable{
		unitLoads:  func(u string) bool { return u == "loads.service" },
		executable: func(p string) bool { return p == "/bin/there" },
	}
	for name, tt := range map[string]struct {
		in   serviceFile
		want serviceFile
		ok   bool
	}{
		"unit loads":   {serviceFile{Name: "org.a.B", SystemdService: "loads.service"}, serviceFile{Name: "org.a.B", SystemdService: "loads.service"}, true},
		"unit missing": {serviceFile{Name: "org.a.B", SystemdService: "missing.service"}, serviceFile{Name: "org.a.B", SystemdService: "missing.service"}, false},
		// Kept with its unit: the broker asks the manager, which answers
		// "unknown unit"; it never runs /bin/there outside any unit.
		"unit missing, exec": {serviceFile{Name: "org.a.B", SystemdService: "missing.service", Exec: "/bin/there -x"}, serviceFile{Name: "org.a.B", SystemdService: "missing.service", Exec: "/bin/there -x"}, true},
		"exec only":          {serviceFile{Name: "org.a.B", Exec: "/bin/there"}, serviceFile{Name: "org.a.B", Exec: "/bin/there"}, true},
		"exec missing":       {serviceFile{Name: "org.a.B", Exec: "/bin/gone"}, serviceFile{Name: "org.a.B", Exec: "/bin/gone"}, false},
		"exec relative":      {serviceFile{Name: "org.a.B", Exec: "there"}, serviceFile{Name: "org.a.B", Exec: "there"}, false},
		"the manager's name": {serviceFile{Name: "org.freedesktop.systemd1", Exec: "/bin/there"}, serviceFile{Name: "org.freedesktop.systemd1", Exec: "/bin/there"}, false},
		"the driver's name":  {serviceFile{Name: "org.freedesktop.DBus", SystemdService: "loads.service"}, serviceFile{Name: "org.freedesktop.DBus", SystemdService: "loads.service"}, false},
	} {
		t.Run(name, func(t *testing.T) {
			got, ok := a.filter(tt.in)
			if ok != tt.ok || (ok && got != tt.want) {
				t.Errorf("got %+v %v, want %+v %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

// TestCollectAndWrite: the first directory's file of a name wins, only
// activatable names are written, a file left from before is removed, and
// every written file has the Exec= dbus-daemon needs.
func TestCollectAndWrite(t *testing.T) {
	root := t.TempDir()
	home, share, out := filepath.Join(root, "home"), filepath.Join(root, "share"), filepath.Join(root, "out")
	for path, text := range map[string]string{
		filepath.Join(home, "dbus-1/services/a.service"):   "[D-BUS Service]\nName=org.x.A\nSystemdService=loads.service\n",
		filepath.Join(share, "dbus-1/services/a2.service"): "[D-BUS Service]\nName=org.x.A\nExec=/bin/there\n",
		filepath.Join(share, "dbus-1/services/b.service"):  "[D-BUS Service]\nName=org.x.B\nSystemdService=missing.service\n",
		filepath.Join(share, "dbus-1/services/c.service"):  "[D-BUS Service]\nName=org.x.C\nExec=/bin/there\nSystemdService=missing.service\n",
		filepath.Join(share, "dbus-1/services/notes.txt"):  "[D-BUS Service]\nName=org.x.D\nExec=/bin/there\n",
		filepath.Join(out, "org.x.Old.service"):            "old",
	} {
		os.MkdirAll(filepath.Dir(path), 0o755)
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	env := map[string]string{"HOME": home, "XDG_DATA_HOME": home, "XDG_DATA_DIRS": share + ":relative"}
	dirs := serviceDirs(func(k string) string { return env[k] })
	if want := []string{filepath.Join(home, "dbus-1/services"), filepath.Join(share, "dbus-1/services")}; !reflect.DeepEqual(dirs, want) {
		t.Fatalf("dirs %q, want %q", dirs, want)
	}
	a := activatable{unitLoads: func(u string) bool { return u == "loads.service" }, executable: func(p string) bool { return p == "/bin/there" }}
	if err := writeServiceDir(out, a.collect(dirs)); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	entries, _ := os.ReadDir(out)
	for _, e := range entries {
		b, _ := os.ReadFile(filepath.Join(out, e.Name()))
		got[e.Name()] = string(b)
	}
	want := map[string]string{
		"org.x.A.service": "[D-BUS Service]\nName=org.x.A\nExec=/bin/false\nSystemdService=loads.service\n",
		"org.x.C.service": "[D-BUS Service]\nName=org.x.C\nExec=/bin/there\nSystemdService=missing.service\n",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("written:\n%q\nwant:\n%q", got, want)
	}
}

func TestServiceDirsDefaults(t *testing.T) {
	env := map[string]string{"HOME": "/h"}
	got := serviceDirs(func(k string) string { return env[k] })
	want := []string{"/h/.local/share/dbus-1/services", "/usr/local/share/dbus-1/services", "/usr/share/dbus-1/services"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestCollectSkipsFIFO: a FIFO in a service directory, also behind a link
// (a capsule controls its own), is skipped at once; opening it blocked the
// manager's refresh for good, and every reload after it queued behind.
func TestCollectSkipsFIFO(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "dbus-1/services")
	os.MkdirAll(dir, 0o755)
	fifo := filepath.Join(t.TempDir(), "ff")
	if err := unix.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(fifo, filepath.Join(dir, "a.service")); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mkfifo(filepath.Join(dir, "b.service"), 0o644); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "c.service"), []byte("[D-BUS Service]\nName=org.x.C\nExec=/bin/there\n"), 0o644)
	a := activatable{unitLoads: func(string) bool { return false }, executable: func(p string) bool { return p == "/bin/there" }}
	done := make(chan map[string]serviceFile, 1)
	go func() { done <- a.collect([]string{dir}) }()
	select {
	case got := <-done:
		if len(got) != 1 || got["org.x.C"].Name != "org.x.C" {
			t.Errorf("collected %v, want org.x.C alone", got)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("collect blocked on a FIFO")
	}
}
