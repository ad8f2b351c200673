package manager

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// TestRequiresMountsForWaitsForFstabMount: a unit whose
// RequiresMountsFor= path needs a file system fstab lists does not start
// while it is not mounted (the job fails as a dependency), and starts once
// it is; a path no listed file system covers does not hold a start up.
func TestRequiresMountsForWaitsForFstabMount(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounts a tmpfs")
	}
	dir := t.TempDir()
	mnt := filepath.Join(dir, "data dir") // fstab writes the space as \040
	if err := os.Mkdir(mnt, 0o755); err != nil {
		t.Fatal(err)
	}
	fstab := filepath.Join(dir, "fstab")
	tab := "# comment\n/dev/sda1 / ext4 defaults 0 1\nnone none swap sw 0 0\ntmpfs " + filepath.Join(dir, `data\040dir`) + " tmpfs noauto 0 0\n"
	if err := os.WriteFile(fstab, []byte(tab), 0o644); err != nil {
		t.Fatal(err)
	}
	oneshot := "[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/true\n"
	m, fake, _ := fakeEngine(t, map[string]string{
		"needs.service": "[Unit]\nRequiresMountsFor=\"" + mnt + "/sub\"\n" + oneshot,
		"other.service": "[Unit]\nRequiresMountsFor=" + dir + "/elsewhere\n" + oneshot,
	})
	m.cfg.Fstab = fstab
	ctx := context.Background()
	go func() {
		for p := range fake.Spawned {
			p.ExitCode(0)
		}
	}()
	if _, err := m.Start(ctx, "other.service"); err != nil {
		t.Errorf("start of a unit whose path no fstab entry covers: %v", err)
	}
	u, err := m.Start(ctx, "needs.service")
	if err == nil {
		t.Fatalf("needs.service started with %s not mounted", mnt)
	}
	if a, _, _ := unitState(m, u); a != stateInactive {
		t.Errorf("needs.service after the failed dependency: %s", a)
	}
	if err := unix.Mount("tmpfs", mnt, "tmpfs", 0, "size=64k"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Unmount(mnt, unix.MNT_DETACH) })
	if _, err := m.Start(ctx, "needs.service"); err != nil {
		t.Errorf("start with %s mounted: %v", mnt, err)
	}
}
