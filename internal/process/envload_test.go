package process

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestOpenEnvFileAsRoot(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root")
	}
	d := t.TempDir()
	secret := filepath.Join(d, "secret")
	if err := os.WriteFile(secret, []byte("S=1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	user := filepath.Join(d, "user")
	os.Mkdir(user, 0o755)
	link := func(target, name string, uid int) string {
		p := filepath.Join(user, name)
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
		if err := os.Lchown(p, uid, uid); err != nil {
			t.Fatal(err)
		}
		return p
	}
	if err := os.Chown(user, 61999, 61999); err != nil {
		t.Fatal(err)
	}
	// A hard link in the user's directory to root's file (made here as
	// root; the kernel keeps users from it where protected_hardlinks=1).
	hard := filepath.Join(user, "hardlink")
	if err := os.Link(secret, hard); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path string
		ok   bool
	}{
		{hard, false},
		{secret, true},
		{d + "/./user/../secret", true},
		{link(secret, "rootlink", 0), true},
		{link("../secret", "relrootlink", 0), true},
		{link(secret, "userlink", 61999), false},
		{link("../secret", "reluserlink", 61999), false},
		{link("userlink", "rootlink2user", 0), false},
		{filepath.Join(user, "rootlink") + "/x", false},
		{filepath.Join(d, "none"), false},
	}
	for _, tc := range tests {
		f, err := OpenEnvFileAsRoot(tc.path)
		if err == nil {
			f.Close()
		}
		if (err == nil) != tc.ok {
			t.Errorf("OpenEnvFileAsRoot(%s): err %v, want ok=%v", strings.TrimPrefix(tc.path, d), err, tc.ok)
		}
	}
}

func TestLoadEnvFiles(t *testing.T) {
	d := t.TempDir()
	os.WriteFile(filepath.Join(d, "a1"), []byte("A=1\nB=1\nexport C=1\n"), 0o644)
	os.WriteFile(filepath.Join(d, "a2"), []byte("A=2\n"), 0o644)
	env, bad, err := LoadEnvFiles([]EnvFileRef{{Path: d + "/a[12]"}, {Path: d + "/none", IgnoreErrors: true}}, OpenEnvFile)
	if err != nil || !reflect.DeepEqual(env, []string{"A=2", "B=1"}) || !reflect.DeepEqual(bad, []InvalidAssignment{{"export C=1", d + "/a1"}}) {
		t.Errorf("got %q %q %v", env, bad, err)
	}
	if _, _, err := LoadEnvFiles([]EnvFileRef{{Path: d + "/none"}}, OpenEnvFile); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: err %v", err)
	}
	if _, _, err := LoadEnvFiles([]EnvFileRef{{Path: d}}, OpenEnvFile); err == nil {
		t.Errorf("directory: no error")
	}
}
