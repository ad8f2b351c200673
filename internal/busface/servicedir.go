package busface

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/capsuled/capsuled/internal/unitconf"
)

// serviceFile is one D-Bus service file's [D-BUS Service] section.
type serviceFile struct {
	Name, Exec, SystemdService string
}

// maxServiceFile bounds what is read of one service file: the capsule
// writes them, and the manager reads them.
const maxServiceFile = 16 << 10

// parseServiceFile reads the keys of a D-Bus service file that activation
// uses; ok is false for a file that names no valid bus name.
func parseServiceFile(r io.Reader) (serviceFile, bool) {
	var f serviceFile
	section := ""
	sc := bufio.NewScanner(io.LimitReader(r, maxServiceFile))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || line[0] == '#':
			continue
		case line[0] == '[':
			section = line
			continue
		case section != "[D-BUS Service]":
			continue
		}
		k, v, found := strings.Cut(line, "=")
		if !found {
			continue
		}
		switch strings.TrimSpace(k) {
		case "Name":
			f.Name = strings.TrimSpace(v)
		case "Exec":
			f.Exec = strings.TrimSpace(v)
		case "SystemdService":
			f.SystemdService = strings.TrimSpace(v)
		}
	}
	return f, unitconf.ValidBusName(f.Name)
}

// serviceDirs are where the capsule's broker would look for service files
// (dbus-daemon's <standard_session_servicedirs/> after the runtime
// directory's): XDG_DATA_HOME, else ~/.local/share, then each of
// XDG_DATA_DIRS, else /usr/local/share and /usr/share; earlier wins.
func serviceDirs(getenv func(string) string) []string {
	var dirs []string
	home := getenv("XDG_DATA_HOME")
	if home == "" && getenv("HOME") != "" {
		home = filepath.Join(getenv("HOME"), ".local/share")
	}
	if home != "" {
		dirs = append(dirs, filepath.Join(home, "dbus-1/services"))
	}
	data := getenv("XDG_DATA_DIRS")
	if data == "" {
		data = "/usr/local/share:/usr/share"
	}
	for _, d := range strings.Split(data, ":") {
		if filepath.IsAbs(d) {
			dirs = append(dirs, filepath.Join(d, "dbus-1/services"))
		}
	}
	return dirs
}

// activatable decides which service files the broker gets: a name is
// activatable when its SystemdService= unit loads here or its Exec=
// program exists. A file that names a unit keeps SystemdService= either
// way, so the broker always asks the manager, which fails the callers at
// once ("activation request failed: unknown unit", as systemd 257's
// broker does) when the unit does not load: the broker never runs Exec=
// outside any unit for such a file. Only a file without SystemdService=
// is run by the broker itself. The bus's own names are never listed.
type activatable struct {
	unitLoads  func(string) bool
	executable func(string) bool
}

func (a activatable) filter(f serviceFile) (serviceFile, bool) {
	if f.Name == "org.freedesktop.DBus" || f.Name == "org.freedesktop.systemd1" {
		return f, false
	}
	if f.SystemdService != "" && a.unitLoads(f.SystemdService) {
		return f, true
	}
	prog, _, _ := strings.Cut(f.Exec, " ")
	return f, filepath.IsAbs(prog) && a.executable(prog)
}

func executable(path string) bool {
	var st unix.Stat_t
	if unix.Stat(path, &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFREG {
		return false
	}
	return unix.Access(path, unix.X_OK) == nil
}

// collect reads the service files of dirs in order, the first file of a
// name winning, and keeps the activatable ones.
func (a activatable) collect(dirs []string) map[string]serviceFile {
	out := map[string]serviceFile{}
	seen := map[string]bool{}
	for _, dir := range dirs {
		entries, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, e := range entries {
			if !strings.HasSuffix(e.Name(), ".service") || !(e.Type().IsRegular() || e.Type()&os.ModeSymlink != 0) {
				continue
			}
			fh, err := openRegular(filepath.Join(dir, e.Name()))
			if err != nil {
				continue
			}
			f, ok := parseServiceFile(fh)
			fh.Close()
			if !ok || seen[f.Name] {
				continue
			}
			seen[f.Name] = true
			if f, ok := a.filter(f); ok {
				out[f.Name] = f
			}
		}
	}
	return out
}

// text is the service file the broker reads for f.
func (f serviceFile) text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "[D-BUS Service]\nName=%s\n", f.Name)
	// dbus-daemon skips a file without Exec=, which systemd's broker
	// does not need; with SystemdService= it is never run.
	exec := f.Exec
	if exec == "" {
		exec = "/bin/false"
	}
	fmt.Fprintf(&b, "Exec=%s\n", exec)
	if f.SystemdService != "" {
		fmt.Fprintf(&b, "SystemdService=%s\n", f.SystemdService)
	}
	return b.String()
}

// writeServiceDir makes dir hold exactly the files for names, each
// written whole before it replaces the old one.
func writeServiceDir(dir string, files map[string]serviceFile) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("make %s: %w", dir, err)
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if err := writeFile(filepath.Join(dir, n+".service"), files[n].text()); err != nil {
			return err
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("read %s: %w", dir, err)
	}
	for _, e := range entries {
		if _, keep := files[strings.TrimSuffix(e.Name(), ".service")]; !keep || !strings.HasSuffix(e.Name(), ".service") {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
	return nil
}

func writeFile(path, text string) error {
	if old, err := os.ReadFile(path); err == nil && string(old) == text {
		return nil // unchanged: no inotify event for the broker
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(text), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("rename %s: %w", tmp, err)
	}
	return nil
}

// brokerConfig is the capsule broker's configuration: Debian's session
// bus settings, with the filtered service directory as the only one.
func brokerConfig(servicedir string) string {
	return `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<!-- Written by the capsule's manager at start and on daemon-reload. -->
<busconfig>
  <type>session</type>
  <keep_umask/>
  <listen>unix:tmpdir=/tmp</listen>
  <auth>EXTERNAL</auth>
  <servicedir>` + servicedir + `</servicedir>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
  <includedir>/usr/share/dbus-1/session.d</includedir>
  <includedir>/etc/dbus-1/session.d</includedir>
  <limit name="service_start_timeout">120000</limit>
  <limit name="auth_timeout">240000</limit>
  <limit name="max_completed_connections">100000</limit>
  <limit name="max_incomplete_connections">10000</limit>
  <limit name="max_connections_per_user">100000</limit>
  <limit name="max_pending_service_starts">10000</limit>
  <limit name="max_names_per_connection">50000</limit>
  <limit name="max_match_rules_per_connection">50000</limit>
  <limit name="max_replies_per_connection">50000</limit>
</busconfig>
`
}

// openRegular opens a service file (a link is followed, as the broker
// follows it) only if it is a regular file: a capsule's FIFO or device in
// its service directory must not block or feed the manager. O_NONBLOCK
// keeps the open itself from waiting for a FIFO's writer.
func openRegular(path string) (*os.File, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NONBLOCK|unix.O_NOCTTY, 0)
	if err != nil {
		return nil, err
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFREG {
		unix.Close(fd)
		return nil, fmt.Errorf("%s: not a regular file", path)
	}
	return os.NewFile(uintptr(fd), path), nil
}
