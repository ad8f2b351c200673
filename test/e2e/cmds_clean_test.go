package e2e

import (
	"os"
	"path/filepath"
	"testing"
)

// TestCleanCapsuleUnitDirs: clean of a unit in a capsule removes its
// StateDirectory=, CacheDirectory=, LogsDirectory= and
// ConfigurationDirectory= below the capsule's home (where the unit's
// manager made them), only the kinds --what= names; a unit without such
// directories gets systemd's "No matching resources found." (exit 1).
func TestCleanCapsuleUnitDirs(t *testing.T) {
	c := startCapsule(t, "cm")
	home := "/var/lib/private/capsules/" + c
	writeUnits(t, c, map[string]string{
		"cmdirs.service": "[Service]\nType=oneshot\nStateDirectory=cmst\nCacheDirectory=cmca\nLogsDirectory=cmlo\nConfigurationDirectory=cmco\n" +
			"ExecStart=/bin/sh -c 'for d in $STATE_DIRECTORY $CACHE_DIRECTORY $LOGS_DIRECTORY $CONFIGURATION_DIRECTORY; do echo x >$d/f; done'\n",
		"cmnodirs.service": "[Service]\nType=oneshot\nExecStart=/bin/true\n",
	})
	ownByCapsule(t, c)
	ctl(t, 0, "-C", c, "start", "cmdirs.service")
	dirs := map[string]string{
		"state":         filepath.Join(home, ".local/state/cmst"),
		"cache":         filepath.Join(home, ".cache/cmca"),
		"logs":          filepath.Join(home, ".local/state/log/cmlo"),
		"configuration": filepath.Join(home, ".config/cmco"),
	}
	for kind, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "f")); err != nil {
			t.Fatalf("%s directory was not made where expected: %v", kind, err)
		}
	}
	ctl(t, 0, "-C", c, "clean", "--what=state", "cmdirs.service")
	if _, err := os.Lstat(dirs["state"]); err == nil {
		t.Errorf("clean --what=state left %s", dirs["state"])
	}
	for _, kind := range []string{"cache", "logs", "configuration"} {
		if _, err := os.Stat(filepath.Join(dirs[kind], "f")); err != nil {
			t.Errorf("clean --what=state removed the %s directory: %v", kind, err)
		}
	}
	ctl(t, 0, "-C", c, "clean", "--what=all", "cmdirs.service")
	for kind, d := range dirs {
		if _, err := os.Lstat(d); err == nil {
			t.Errorf("clean --what=all left the %s directory %s", kind, d)
		}
	}
	r := ctl(t, 1, "-C", c, "clean", "--what=state", "cmnodirs.service")
	if want := "Failed to clean unit cmnodirs.service: No matching resources found.\n"; r.stderr != want {
		t.Errorf("clean of a unit without directories: stderr %q, want %q", r.stderr, want)
	}
}

// ownByCapsule gives what root wrote into a capsule's ~/.config to nobody
// (65534), which the ID-mapped home shows as the capsule's user.
func ownByCapsule(t *testing.T, capsule string) {
	t.Helper()
	root := "/var/lib/private/capsules/" + capsule + "/.config"
	err := filepath.Walk(root, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, 65534, 65534)
	})
	if err != nil {
		t.Fatal(err)
	}
}
