package unit

import (
	"errors"
	"strings"
	"testing"
)

func TestParseNameValid(t *testing.T) {
	tests := []struct {
		in                       string
		want                     Name
		template, instance       bool
		templateName, stringForm string
	}{
		{in: "capsule@tatze.service", want: Name{Prefix: "capsule", Instance: "tatze", Type: "service"}, instance: true, templateName: "capsule@.service"},
		{in: "basic.target", want: Name{Prefix: "basic", Type: "target"}},
		{in: "capsule@.service", want: Name{Prefix: "capsule", Type: "service", template: true}, template: true, templateName: "capsule@.service"},
		{in: "foo.bar.service", want: Name{Prefix: "foo.bar", Type: "service"}},
		{in: "foo@bar.baz.socket", want: Name{Prefix: "foo", Instance: "bar.baz", Type: "socket"}, instance: true, templateName: "foo@.socket"},
		{in: `dev-disk-by\x2duuid-1234.device`, want: Name{Prefix: `dev-disk-by\x2duuid-1234`, Type: "device"}},
		{in: "a:b_c-d.automount", want: Name{Prefix: "a:b_c-d", Type: "automount"}},
		{in: strings.Repeat("a", 247) + ".service", want: Name{Prefix: strings.Repeat("a", 247), Type: "service"}},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseName(tc.in)
			if err != nil {
				t.Fatalf("ParseName: %v", err)
			}
			if got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
			if got.IsTemplate() != tc.template || got.IsInstance() != tc.instance {
				t.Errorf("IsTemplate=%v IsInstance=%v, want %v %v", got.IsTemplate(), got.IsInstance(), tc.template, tc.instance)
			}
			if got.Template() != tc.templateName {
				t.Errorf("Template() = %q, want %q", got.Template(), tc.templateName)
			}
			if got.String() != tc.in {
				t.Errorf("String() = %q, want %q", got.String(), tc.in)
			}
		})
	}
}

func TestParseNameInvalid(t *testing.T) {
	tests := []struct {
		in, msg string
	}{
		{"", "empty"},
		{"a b.service", "' '"},
		{"foo", "missing type suffix"},
		{"foo.bogus", `unknown unit type "bogus"`},
		{"foo@bar@baz.service", "more than one '@'"},
		{strings.Repeat("a", 248) + ".service", "256 characters"},
		{".service", "empty name"},
		{"@foo.service", "empty prefix"},
		{"foo/bar.service", "'/'"},
		{"f\u00f6o.service", "not allowed"},
		{"foo.", `unknown unit type ""`},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			_, err := ParseName(tc.in)
			if err == nil {
				t.Fatal("expected error")
			}
			if !errors.Is(err, ErrInvalidName) {
				t.Errorf("error %v does not wrap ErrInvalidName", err)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q does not mention %q", err, tc.msg)
			}
		})
	}
}

func TestInstantiate(t *testing.T) {
	tests := []struct {
		tmpl, inst, want string
		wantErr          bool
	}{
		{"capsule@.service", "tatze", "capsule@tatze.service", false},
		{"getty@.service", `tty\x2d1`, `getty@tty\x2d1.service`, false},
		{"capsule@.service", "", "", true},
		{"capsule.service", "x", "", true},
		{"capsule@x.service", "y", "", true},
		{"capsule@.service", "a b", "", true},
		{"capsule@.service", "a@b", "", true},
		{"capsule@.service", strings.Repeat("x", 250), "", true},
	}
	for _, tc := range tests {
		got, err := Instantiate(tc.tmpl, tc.inst)
		if (err != nil) != tc.wantErr {
			t.Errorf("Instantiate(%q, %q) error = %v, wantErr %v", tc.tmpl, tc.inst, err, tc.wantErr)
			continue
		}
		if got != tc.want {
			t.Errorf("Instantiate(%q, %q) = %q, want %q", tc.tmpl, tc.inst, got, tc.want)
		}
	}
}

func TestEscape(t *testing.T) {
	tests := []struct{ in, want string }{
		{"/dev/sda", "-dev-sda"},
		{"foo bar", `foo\x20bar`},
		{".hidden", `\x2ehidden`},
		{"a.b", "a.b"},
		{"a-b", `a\x2db`},
		{`back\slash`, `back\x5cslash`},
		{"tatze@home", `tatze\x40home`},
		{"\u00fc", `\xc3\xbc`},
		{"Az09:_", "Az09:_"},
		{"", ""},
	}
	for _, tc := range tests {
		got := Escape(tc.in)
		if got != tc.want {
			t.Errorf("Escape(%q) = %q, want %q", tc.in, got, tc.want)
		}
		back, err := Unescape(got)
		if err != nil {
			t.Errorf("Unescape(%q): %v", got, err)
			continue
		}
		if back != tc.in {
			t.Errorf("Unescape(Escape(%q)) = %q", tc.in, back)
		}
		if got != "" {
			if _, err := ParseName("x@" + got + ".service"); err != nil {
				t.Errorf("escaped %q not usable as instance: %v", got, err)
			}
		}
	}
}

func TestUnescape(t *testing.T) {
	tests := []struct {
		in, want string
		wantErr  bool
	}{
		{`home-tatze\x2dcat`, "home/tatze-cat", false},
		{`\x41\x42`, "AB", false},
		{`\X41`, "", true},
		{`\x4`, "", true},
		{`\xZZ`, "", true},
		{`trailing\`, "", true},
		{`\y41`, "", true},
	}
	for _, tc := range tests {
		got, err := Unescape(tc.in)
		if (err != nil) != tc.wantErr {
			t.Errorf("Unescape(%q) error = %v, wantErr %v", tc.in, err, tc.wantErr)
			continue
		}
		if got != tc.want {
			t.Errorf("Unescape(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
