package unit

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
)

// tree writes files below root; a value starting with "->" creates a
// symlink to the rest of the value instead.
func tree(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for rel, content := range files {
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if target, ok := strings.CutPrefix(content, "->"); ok {
			if err := os.Symlink(target, p); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// twoDirs returns a loader over a high-priority "etc" and a low-priority
// "lib" directory populated from the given maps.
func twoDirs(t *testing.T, etc, lib map[string]string) (*Loader, string, string) {
	t.Helper()
	root := t.TempDir()
	e, l := filepath.Join(root, "etc"), filepath.Join(root, "lib")
	if err := os.MkdirAll(e, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(l, 0o755); err != nil {
		t.Fatal(err)
	}
	tree(t, e, etc)
	tree(t, l, lib)
	return &Loader{Paths: []string{e, l}}, e, l
}

func mustLoad(t *testing.T, l *Loader, name string) *Unit {
	t.Helper()
	u, err := l.Load(name)
	if err != nil {
		t.Fatalf("Load(%s): %v", name, err)
	}
	return u
}

func get(t *testing.T, u *Unit, section, key string) string {
	t.Helper()
	v, ok := u.Options.Get(section, key)
	if !ok {
		t.Fatalf("%s: [%s] %s not set", u.Name, section, key)
	}
	return v
}

func TestLoadFragmentSelection(t *testing.T) {
	l, etc, lib := twoDirs(t,
		map[string]string{
			"foo.service":        "[Unit]\nDescription=etc foo\n",
			"tmpl@.service":      "[Unit]\nDescription=etc template %i\n",
			"alias.service":      "->../lib/real.service",
			"dangling.service":   "->/nonexistent/dangling.service",
			"both@x.service":     "[Unit]\nDescription=etc instance\n",
			"both@.service":      "[Unit]\nDescription=etc both template\n",
			"onlytmpl@.service":  "[Unit]\nDescription=only template\n",
			"sub/ignored.target": "[Unit]\n",
		},
		map[string]string{
			"foo.service":       "[Unit]\nDescription=lib foo\n",
			"bar.service":       "[Unit]\nDescription=lib bar\n",
			"tmpl@one.service":  "[Unit]\nDescription=lib instance one\n",
			"real.service":      "[Unit]\nDescription=the real one\n",
			"dangling.service":  "[Unit]\nDescription=lib dangling\n",
			"both@.service":     "[Unit]\nDescription=lib both template\n",
			"both@x.service":    "[Unit]\nDescription=lib instance\n",
			"ignored.target":    "[Unit]\nDescription=lib target\n",
			"onlytmpl@.service": "[Unit]\nDescription=lib only template\n",
		})

	tests := []struct {
		name, fragment, desc string
	}{
		// The first search directory wins.
		{"foo.service", filepath.Join(etc, "foo.service"), "etc foo"},
		{"bar.service", filepath.Join(lib, "bar.service"), "lib bar"},
		// Template fallback when no instance file exists.
		{"tmpl@two.service", filepath.Join(etc, "tmpl@.service"), "etc template %i"},
		{"onlytmpl@z.service", filepath.Join(etc, "onlytmpl@.service"), "only template"},
		// An instance file anywhere beats the template, even one in a
		// higher-priority directory.
		{"tmpl@one.service", filepath.Join(lib, "tmpl@one.service"), "lib instance one"},
		{"both@x.service", filepath.Join(etc, "both@x.service"), "etc instance"},
		{"both@y.service", filepath.Join(etc, "both@.service"), "etc both template"},
		// Aliases are read through the symlink; the fragment path is the link.
		{"alias.service", filepath.Join(etc, "alias.service"), "the real one"},
		// A dangling symlink does not shadow lower directories.
		{"dangling.service", filepath.Join(lib, "dangling.service"), "lib dangling"},
		{"ignored.target", filepath.Join(lib, "ignored.target"), "lib target"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u := mustLoad(t, l, tc.name)
			if u.Name != tc.name {
				t.Errorf("Name = %q", u.Name)
			}
			if u.Fragment != tc.fragment {
				t.Errorf("Fragment = %q, want %q", u.Fragment, tc.fragment)
			}
			if d := get(t, u, "Unit", "Description"); d != tc.desc {
				t.Errorf("Description = %q, want %q", d, tc.desc)
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	l, etc, lib := twoDirs(t,
		map[string]string{
			"masked.service":       "->/dev/null",
			"maskedtmpl@.service":  "->/dev/null",
			"empty.service":        "",
			"bad-dropin.service.d": "",
		},
		map[string]string{
			"masked.service":               "[Unit]\nDescription=hidden\n",
			"maskedtmpl@.service":          "[Unit]\n",
			"maskedtmpl@own.service":       "[Unit]\nDescription=own instance file\n",
			"broken.service":               "[Unit]\nDescription=ok\nthis is wrong\n",
			"bad-dropin.service":           "[Unit]\n",
			"ok.service":                   "[Unit]\n",
			"ok.service.d/50-broken.conf":  "Description=before section\n",
			"dir.service/placeholder.conf": "",
		})
	_ = etc

	tests := []struct {
		name   string
		is     error
		substr string
	}{
		{"masked.service", ErrMasked, filepath.Join(etc, "masked.service")},
		{"maskedtmpl@x.service", ErrMasked, "maskedtmpl@.service"},
		{"empty.service", ErrMasked, "empty.service"},
		{"missing.service", ErrNotFound, "missing.service"},
		{"missing@inst.service", ErrNotFound, "missing@inst.service"},
		{"not a name", ErrInvalidName, "not a name"},
		{"broken.service", nil, filepath.Join(lib, "broken.service") + ":3: missing '='"},
		{"ok.service", nil, filepath.Join(lib, "ok.service.d", "50-broken.conf") + ":1: assignment outside"},
		{"dir.service", nil, "is a directory"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u, err := l.Load(tc.name)
			if err == nil {
				t.Fatalf("expected error, got unit %+v", u)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %v is not %v", err, tc.is)
			}
			if !strings.Contains(err.Error(), tc.substr) {
				t.Errorf("error %q does not contain %q", err, tc.substr)
			}
		})
	}

	// An instance file still beats a masked template.
	u := mustLoad(t, l, "maskedtmpl@own.service")
	if d := get(t, u, "Unit", "Description"); d != "own instance file" {
		t.Errorf("Description = %q", d)
	}
	// A stray file where a drop-in directory is expected is ignored.
	if u := mustLoad(t, l, "bad-dropin.service"); len(u.DropIns) != 0 {
		t.Errorf("DropIns = %q", u.DropIns)
	}
}

func TestLoadDropIns(t *testing.T) {
	l, etc, lib := twoDirs(t,
		map[string]string{
			// Shadows lib/service.d/10-type.conf although that is a less
			// specific directory: file names are unique across all of them.
			"foo-bar-baz.service.d/10-type.conf":   "[Service]\nEnvironment=FROM_ETC=1\nX=etc-10\n",
			"foo-bar-baz.service.d/40-masked.conf": "->/dev/null",
			"service.d/90-global.conf":             "[Service]\nX=etc-global-90\n",
		},
		map[string]string{
			"foo-bar-baz.service":                  "[Service]\nX=fragment\nEnvironment=FRAG=1\n",
			"service.d/10-type.conf":               "[Service]\nX=lib-type-10\n",
			"service.d/95-late.conf":               "[Service]\nX=lib-type-95\n",
			"foo-.service.d/20-prefix.conf":        "[Service]\nX=prefix-20\nEnvironment=\n",
			"foo-bar-.service.d/30-prefix.conf":    "[Service]\nEnvironment=PREFIX2=1\n",
			"foo-bar-.service.d/20-prefix.conf":    "[Service]\nX=longer-prefix-20\n",
			"foo-bar-baz.service.d/05-early.conf":  "[Service]\nX=own-05\n",
			"foo-bar-baz.service.d/40-masked.conf": "[Service]\nX=must-not-apply\n",
			"foo-bar-baz.service.d/README":         "not a drop-in\n",
			"foo-bar-baz.service.d/.hidden.conf":   "[Service]\nX=hidden\n",
			"foo-bar-baz.service.d/empty.conf":     "",
			"other.service":                        "[Service]\n",
		})

	u := mustLoad(t, l, "foo-bar-baz.service")
	wantDropIns := []string{
		filepath.Join(lib, "foo-bar-baz.service.d/05-early.conf"),
		filepath.Join(etc, "foo-bar-baz.service.d/10-type.conf"),
		filepath.Join(lib, "foo-bar-.service.d/20-prefix.conf"),
		filepath.Join(lib, "foo-bar-.service.d/30-prefix.conf"),
		filepath.Join(etc, "service.d/90-global.conf"),
		filepath.Join(lib, "service.d/95-late.conf"),
		filepath.Join(lib, "foo-bar-baz.service.d/empty.conf"),
	}
	if !reflect.DeepEqual(u.DropIns, wantDropIns) {
		t.Errorf("DropIns =\n%q\nwant\n%q", u.DropIns, wantDropIns)
	}
	if x := get(t, u, "Service", "X"); x != "lib-type-95" {
		t.Errorf("X = %q, want value of the last drop-in", x)
	}
	// Environment= from fragment and 10-type, reset nowhere (foo-.service.d
	// is shadowed by foo-bar-.service.d/20-prefix.conf), then 30-prefix.
	wantEnv := []string{"FRAG=1", "FROM_ETC=1", "PREFIX2=1"}
	if env := u.Options.List("Service", "Environment"); !reflect.DeepEqual(env, wantEnv) {
		t.Errorf("Environment = %q, want %q", env, wantEnv)
	}

	// Only type-wide drop-ins apply to an unrelated unit.
	o := mustLoad(t, l, "other.service")
	wantOther := []string{
		filepath.Join(lib, "service.d/10-type.conf"),
		filepath.Join(etc, "service.d/90-global.conf"),
		filepath.Join(lib, "service.d/95-late.conf"),
	}
	if !reflect.DeepEqual(o.DropIns, wantOther) {
		t.Errorf("other DropIns = %q, want %q", o.DropIns, wantOther)
	}
}

func TestLoadTemplateDropIns(t *testing.T) {
	l, _, lib := twoDirs(t, nil, map[string]string{
		"capsule@.service":                  "[Service]\nExecStart=/bin/capsule %i\n",
		"capsule@.service.d/10-tmpl.conf":   "[Service]\nUser=template\nNice=5\n",
		"capsule@tatze.service.d/20-i.conf": "[Service]\nUser=tatze\n",
		"capsule-.service.d/30-p.conf":      "[Service]\nPrefix=plain\n",
	})
	u := mustLoad(t, l, "capsule@tatze.service")
	want := []string{
		filepath.Join(lib, "capsule@.service.d/10-tmpl.conf"),
		filepath.Join(lib, "capsule@tatze.service.d/20-i.conf"),
	}
	if !reflect.DeepEqual(u.DropIns, want) {
		t.Errorf("DropIns = %q, want %q", u.DropIns, want)
	}
	if v := get(t, u, "Service", "User"); v != "tatze" {
		t.Errorf("User = %q", v)
	}
	if v := get(t, u, "Service", "ExecStart"); v != "/bin/capsule %i" {
		t.Errorf("ExecStart = %q (specifiers must stay unexpanded)", v)
	}

	other := mustLoad(t, l, "capsule@other.service")
	if v := get(t, other, "Service", "User"); v != "template" {
		t.Errorf("other User = %q", v)
	}
	if len(other.DropIns) != 1 {
		t.Errorf("other DropIns = %q", other.DropIns)
	}
}

func TestDropinDirNames(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"foo.service", []string{"foo.service"}},
		{"a-b-c.service", []string{"a-b-c.service", "a-b-.service", "a-.service"}},
		{"a--b.service", []string{"a--b.service", "a--.service", "a-.service"}},
		{"-a.service", []string{"-a.service"}},
		{"a-b-.service", []string{"a-b-.service", "a-.service"}},
		{"foo@x.service", []string{"foo@x.service", "foo@.service"}},
		{"a-b@x.service", []string{"a-b@x.service", "a-b@.service", "a-.service", "a-@x.service", "a-@.service"}},
	}
	for _, tc := range tests {
		n, err := ParseName(tc.in)
		if err != nil {
			t.Fatal(err)
		}
		if got := dropinDirNames(n); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("dropinDirNames(%s) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestLoadWants(t *testing.T) {
	l, _, _ := twoDirs(t,
		map[string]string{
			"capsule@.service.wants/masked.service": "->/dev/null",
			"multi-user.target.wants/foo.service":   "->../foo.service",
		},
		map[string]string{
			"capsule@.service":                          "[Service]\n",
			"capsule@.service.wants/helper@.service":    "->../helper@.service",
			"capsule@.service.wants/plain.service":      "->../plain.service",
			"capsule@.service.wants/masked.service":     "->../masked.service",
			"capsule@.service.wants/fixed@x.service":    "->../fixed@.service",
			"capsule@.service.wants/not a unit":         "->../x",
			"capsule@tatze.service.wants/extra.service": "->../extra.service",
			"capsule@tatze.service.wants/plain.service": "->../plain.service",
			"capsule@tatze.service.requires/req.socket": "->../req.socket",
			"capsule@.service.upholds/keep@.service":    "->../keep@.service",
			"multi-user.target":                         "[Unit]\n",
			"multi-user.target.wants/bar.service":       "->../bar.service",
			"multi-user.target.wants/tmpl@.service":     "->../tmpl@.service",
			"multi-user.target.requires/basic.target":   "",
		})

	u := mustLoad(t, l, "capsule@tatze.service")
	wantWants := []string{"extra.service", "fixed@x.service", "helper@tatze.service", "plain.service"}
	if !reflect.DeepEqual(u.Wants, wantWants) {
		t.Errorf("Wants = %q, want %q", u.Wants, wantWants)
	}
	if want := []string{"req.socket"}; !reflect.DeepEqual(u.Requires, want) {
		t.Errorf("Requires = %q, want %q", u.Requires, want)
	}
	if want := []string{"keep@tatze.service"}; !reflect.DeepEqual(u.Upholds, want) {
		t.Errorf("Upholds = %q, want %q", u.Upholds, want)
	}

	// Another instance only sees the template's entries.
	o := mustLoad(t, l, "capsule@other.service")
	if want := []string{"fixed@x.service", "helper@other.service", "plain.service"}; !reflect.DeepEqual(o.Wants, want) {
		t.Errorf("other Wants = %q, want %q", o.Wants, want)
	}
	if o.Requires != nil {
		t.Errorf("other Requires = %q", o.Requires)
	}

	// Non-instance unit: entries merged across directories; a template
	// entry cannot be instantiated and is skipped.
	m := mustLoad(t, l, "multi-user.target")
	if want := []string{"bar.service", "foo.service"}; !reflect.DeepEqual(m.Wants, want) {
		t.Errorf("target Wants = %q, want %q", m.Wants, want)
	}
	if want := []string{"basic.target"}; !reflect.DeepEqual(m.Requires, want) {
		t.Errorf("target Requires = %q, want %q", m.Requires, want)
	}
}

func TestLoadBuiltin(t *testing.T) {
	builtin := fstest.MapFS{
		"capsuled.service":                    {Data: []byte("[Service]\nExecStart=/usr/bin/capsuled\nUser=builtin\n")},
		"capsuled.service.d/10-builtin.conf":  {Data: []byte("[Service]\nNice=1\n")},
		"capsuled.service.d/20-shadowed.conf": {Data: []byte("[Service]\nNice=2\n")},
		"service.d/50-global.conf":            {Data: []byte("[Service]\nGlobal=builtin\n")},
		"worker@.service":                     {Data: []byte("[Service]\nExecStart=/usr/bin/worker %i\n")},
		"worker@.service.wants/log@.service":  {Data: []byte{}},
		"masked.service":                      {Data: []byte{}},
		"default.target":                      {Data: []byte("[Unit]\nDescription=builtin default\n")},
	}
	dir := t.TempDir()
	tree(t, dir, map[string]string{
		"default.target":                      "[Unit]\nDescription=disk default\n",
		"capsuled.service.d/20-shadowed.conf": "[Service]\nNice=20\n",
	})
	l := &Loader{Paths: []string{dir}, Builtin: builtin}

	u := mustLoad(t, l, "capsuled.service")
	if u.Fragment != "builtin:capsuled.service" {
		t.Errorf("Fragment = %q", u.Fragment)
	}
	wantDropIns := []string{
		"builtin:capsuled.service.d/10-builtin.conf",
		filepath.Join(dir, "capsuled.service.d/20-shadowed.conf"),
		"builtin:service.d/50-global.conf",
	}
	if !reflect.DeepEqual(u.DropIns, wantDropIns) {
		t.Errorf("DropIns = %q, want %q", u.DropIns, wantDropIns)
	}
	if v := get(t, u, "Service", "Nice"); v != "20" {
		t.Errorf("Nice = %q, want the on-disk override", v)
	}
	if v := get(t, u, "Service", "Global"); v != "builtin" {
		t.Errorf("Global = %q", v)
	}

	w := mustLoad(t, l, "worker@7.service")
	if w.Fragment != "builtin:worker@.service" {
		t.Errorf("worker Fragment = %q", w.Fragment)
	}
	if want := []string{"log@7.service"}; !reflect.DeepEqual(w.Wants, want) {
		t.Errorf("worker Wants = %q, want %q", w.Wants, want)
	}

	d := mustLoad(t, l, "default.target")
	if d.Fragment != filepath.Join(dir, "default.target") || get(t, d, "Unit", "Description") != "disk default" {
		t.Errorf("search path must beat builtin: %q", d.Fragment)
	}

	if _, err := l.Load("masked.service"); !errors.Is(err, ErrMasked) {
		t.Errorf("empty builtin file: err = %v, want ErrMasked", err)
	}
	if _, err := l.Load("nope.service"); !errors.Is(err, ErrNotFound) {
		t.Errorf("err = %v, want ErrNotFound", err)
	}
}

func TestInstall(t *testing.T) {
	l, _, _ := twoDirs(t, nil, map[string]string{
		"foo.service": "[Service]\nExecStart=/bin/foo\n[Install]\nWantedBy=multi-user.target  default.target\n" +
			"RequiredBy=x.target\nAlso=foo.socket\nAlias=bar.service\nDefaultInstance=\n",
		"foo.service.d/override.conf": "[Install]\nWantedBy=\nWantedBy=graphical.target\nAlso=foo-helper.service\n",
		"bare.service":                "[Service]\nExecStart=/bin/bare\n",
		"t@.service":                  "[Install]\nDefaultInstance=main\n",
	})
	u := mustLoad(t, l, "foo.service")
	wantedBy, requiredBy, also := u.Install()
	if want := []string{"graphical.target"}; !reflect.DeepEqual(wantedBy, want) {
		t.Errorf("WantedBy = %q, want %q", wantedBy, want)
	}
	if want := []string{"x.target"}; !reflect.DeepEqual(requiredBy, want) {
		t.Errorf("RequiredBy = %q, want %q", requiredBy, want)
	}
	if want := []string{"foo.socket", "foo-helper.service"}; !reflect.DeepEqual(also, want) {
		t.Errorf("Also = %q, want %q", also, want)
	}
	if want := []string{"bar.service"}; !reflect.DeepEqual(u.Aliases(), want) {
		t.Errorf("Aliases = %q", u.Aliases())
	}

	b := mustLoad(t, l, "bare.service")
	if w, r, a := b.Install(); w != nil || r != nil || a != nil {
		t.Errorf("bare Install = %q %q %q", w, r, a)
	}
	if di := mustLoad(t, l, "t@.service").DefaultInstance(); di != "main" {
		t.Errorf("DefaultInstance = %q", di)
	}
}

func TestAlias(t *testing.T) {
	etc, usr := t.TempDir(), t.TempDir()
	write := func(dir, name, text string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	link := func(dir, name, target string) {
		if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	write(usr, "main.service", "[Service]\nExecStart=/bin/true\n")
	write(usr, "tmpl@.service", "[Service]\nExecStart=/bin/true\n")
	write(usr, "plain.service", "[Service]\nExecStart=/bin/true\n")
	link(etc, "alias.service", filepath.Join(usr, "main.service"))
	link(etc, "chain.service", filepath.Join(etc, "alias.service"))
	link(etc, "same.service", filepath.Join(usr, "main.service"))
	link(etc, "plain.service", filepath.Join(usr, "plain.service")) // linked, same name
	link(etc, "other.socket", filepath.Join(usr, "main.service"))   // another type
	link(etc, "masked.service", "/dev/null")
	link(etc, "dangling.service", filepath.Join(usr, "gone.service"))
	link(etc, "atmpl@.service", filepath.Join(usr, "tmpl@.service"))
	link(etc, "inst@a.service", filepath.Join(usr, "main.service")) // instance to non-template
	l := &Loader{Paths: []string{etc, usr}}
	tests := []struct {
		name, want string
		ok         bool
	}{
		{"alias.service", "main.service", true},
		{"chain.service", "main.service", true},
		{"main.service", "", false},
		{"plain.service", "", false},
		{"other.socket", "", false},
		{"masked.service", "", false},
		{"dangling.service", "", false},
		{"missing.service", "", false},
		{"atmpl@x.service", "tmpl@x.service", true},
		{"atmpl@.service", "", false},
		{"inst@a.service", "main.service", true},
	}
	for _, tt := range tests {
		got, ok := l.Alias(tt.name)
		if got != tt.want || ok != tt.ok {
			t.Errorf("Alias(%s) = %q, %v; want %q, %v", tt.name, got, ok, tt.want, tt.ok)
		}
	}
	if got, want := strings.Join(l.Names("main.service"), " "), "main.service alias.service chain.service inst@a.service same.service"; got != want {
		t.Errorf("Names(main.service) = %q, want %q", got, want)
	}
	if got := strings.Join(l.Names("plain.service"), " "); got != "plain.service" {
		t.Errorf("Names(plain.service) = %q", got)
	}
}
