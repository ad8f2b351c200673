package dynuser

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func readJSON(t *testing.T, path string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return m
}

func TestPublishAndRelease(t *testing.T) {
	a := newTestAllocator(t, testMin, testMax)
	u := mustAcquire(t, a, "c-pub")
	if err := a.Publish(u, "/var/lib/capsules/pub&more"); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	uid := float64(u.UID)
	wantUser := map[string]any{
		"userName": "c-pub", "uid": uid, "gid": uid, "realName": "Dynamic User",
		"homeDirectory": "/var/lib/capsules/pub&more", "shell": "/usr/sbin/nologin",
		"disposition": "dynamic", "locked": true, "service": "io.capsuled.DynamicUser",
	}
	wantGroup := map[string]any{
		"groupName": "c-pub", "gid": uid, "description": "Dynamic Group",
		"disposition": "dynamic", "service": "io.capsuled.DynamicUser",
	}
	for file, want := range map[string]map[string]any{"c-pub.user": wantUser, "c-pub.group": wantGroup} {
		p := filepath.Join(a.UserDB, file)
		if got := readJSON(t, p); !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %v, want %v", file, got, want)
		}
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o644 {
			t.Errorf("%s mode %v %v", file, fi.Mode(), err)
		}
	}
	for ext, target := range map[string]string{".user": "c-pub.user", ".group": "c-pub.group"} {
		link := filepath.Join(a.UserDB, fmt.Sprintf("%d%s", u.UID, ext))
		if got, err := os.Readlink(link); err != nil || got != target {
			t.Errorf("symlink %s -> %q, %v; want %q", link, got, err, target)
		}
	}
	entries, _ := os.ReadDir(a.UserDB)
	if len(entries) != 4 {
		t.Errorf("userdb holds %d entries, want 4 (temporary files left?)", len(entries))
	}
	if got, ok := a.Lookup("c-pub"); !ok || got != u.UID {
		t.Errorf("Lookup = %d, %v; want %d", got, ok, u.UID)
	}

	// Publishing again (a new home) replaces the records in place.
	if err := a.Publish(u, "/home/pub"); err != nil {
		t.Fatalf("second Publish: %v", err)
	}
	if got := readJSON(t, filepath.Join(a.UserDB, "c-pub.user"))["homeDirectory"]; got != "/home/pub" {
		t.Errorf("homeDirectory after republish = %v", got)
	}

	if err := u.Release(); err != nil {
		t.Fatalf("Release: %v", err)
	}
	if entries, _ := os.ReadDir(a.UserDB); len(entries) != 0 {
		t.Errorf("records left after Release: %v", entries)
	}
	if _, ok := a.Lookup("c-pub"); ok {
		t.Error("Lookup succeeds after Release")
	}
	if err := a.Publish(u, "/"); err == nil {
		t.Error("Publish after Release succeeded")
	}
}

func TestPublishRejectsBadHome(t *testing.T) {
	a := newTestAllocator(t, testMin, testMax)
	u := mustAcquire(t, a, "c-home")
	for _, home := range []string{"", "relative", "/a:b", "/a\nb"} {
		if err := a.Publish(u, home); err == nil {
			t.Errorf("Publish with home %q succeeded", home)
		}
	}
}

func TestReleaseLeavesForeignRecords(t *testing.T) {
	a := newTestAllocator(t, testMin, testMax)
	u := mustAcquire(t, a, "c-mine")
	if err := a.Publish(u, "/"); err != nil {
		t.Fatal(err)
	}
	// Someone else republished the name with another UID.
	other := u.UID + 1
	writeFile(t, filepath.Join(a.UserDB, "c-mine.user"), fmt.Sprintf(`{"userName":"c-mine","uid":%d}`, other))
	if err := u.Release(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(a.UserDB, "c-mine.user")); err != nil {
		t.Errorf("foreign record removed: %v", err)
	}
	for _, f := range []string{"c-mine.group", fmt.Sprintf("%d.user", u.UID), fmt.Sprintf("%d.group", u.UID)} {
		if _, err := os.Lstat(filepath.Join(a.UserDB, f)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s not removed: %v", f, err)
		}
	}
}

func TestReleaseStale(t *testing.T) {
	a := newTestAllocator(t, testMin, testMax)
	u := mustAcquire(t, a, "c-crash")
	if err := a.Publish(u, "/"); err != nil {
		t.Fatal(err)
	}
	bystander := mustAcquire(t, a, "c-bystander")
	lock := lockPath(a, u.UID)

	// While the lock is held nothing is touched.
	if err := a.ReleaseStale("c-crash"); err != nil {
		t.Fatalf("ReleaseStale while held: %v", err)
	}
	if _, err := os.Stat(lock); err != nil {
		t.Fatalf("held lock file removed: %v", err)
	}
	if _, ok := a.Lookup("c-crash"); !ok {
		t.Fatal("records of held user removed")
	}

	// Simulate a crash: the lock goes away with the process, files stay.
	u.mu.Lock()
	u.lock.Close()
	u.lock, u.records = nil, ""
	u.mu.Unlock()

	if err := a.ReleaseStale("c-crash"); err != nil {
		t.Fatalf("ReleaseStale: %v", err)
	}
	if _, err := os.Lstat(lock); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stale lock file not removed: %v", err)
	}
	if _, ok := a.Lookup("c-crash"); ok {
		t.Error("stale records not removed")
	}
	for _, ext := range []string{".user", ".group"} {
		if _, err := os.Lstat(filepath.Join(a.UserDB, fmt.Sprintf("%d%s", u.UID, ext))); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("stale %s symlink not removed: %v", ext, err)
		}
	}
	if _, err := os.Stat(lockPath(a, bystander.UID)); err != nil {
		t.Errorf("other user's lock file removed: %v", err)
	}
}

func TestReleaseStaleOrphanRecords(t *testing.T) {
	a := newTestAllocator(t, testMin, testMax)
	u := mustAcquire(t, a, "c-orphan")
	if err := a.Publish(u, "/"); err != nil {
		t.Fatal(err)
	}
	// The lock file vanished but the records survived.
	u.mu.Lock()
	os.Remove(u.lockPath)
	u.lock.Close()
	u.lock, u.records = nil, ""
	u.mu.Unlock()

	if err := a.ReleaseStale("c-orphan"); err != nil {
		t.Fatalf("ReleaseStale: %v", err)
	}
	if entries, _ := os.ReadDir(a.UserDB); len(entries) != 0 {
		t.Errorf("orphan records left: %v", entries)
	}
	if err := a.ReleaseStale("bad/name"); err == nil {
		t.Error("ReleaseStale accepted an invalid name")
	}
}

func TestLookup(t *testing.T) {
	a := newTestAllocator(t, testMin, testMax)
	appendFile(t, filepath.Join(a.Etc, "passwd"), "c-etc:x:4242:4242::/:/bin/false\n")
	if err := os.MkdirAll(a.UserDB, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(a.UserDB, "c-db.user"), `{"userName":"c-db","uid":62001}`)
	writeFile(t, filepath.Join(a.UserDB, "c-mismatch.user"), `{"userName":"c-other","uid":62002}`)
	writeFile(t, filepath.Join(a.UserDB, "c-broken.user"), `{`)
	tests := []struct {
		name string
		uid  uint32
		ok   bool
	}{
		{"c-etc", 4242, true},
		{"root", 0, true},
		{"c-db", 62001, true},
		{"c-mismatch", 0, false},
		{"c-broken", 0, false},
		{"c-none", 0, false},
		{"../etc/passwd", 0, false},
	}
	for _, tt := range tests {
		uid, ok := a.Lookup(tt.name)
		if uid != tt.uid || ok != tt.ok {
			t.Errorf("Lookup(%q) = %d, %v; want %d, %v", tt.name, uid, ok, tt.uid, tt.ok)
		}
	}
}
