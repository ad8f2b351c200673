package keyring

import "testing"

func TestParseMode(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Mode
		ok   bool
	}{
		{"inherit", Inherit, true},
		{"private", Private, true},
		{"shared", Shared, true},
		{"Private", "", false},
		{"yes", "", false},
		{"", "", false},
	} {
		got, err := ParseMode(tc.in)
		if got != tc.want || (err == nil) != tc.ok {
			t.Errorf("ParseMode(%q) = %q, %v; want %q, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func TestNotFresh(t *testing.T) {
	for _, tc := range []struct {
		desc              string
		id, before, links int
		want              string
	}{
		{"keyring;65400;65400;3f030000;_ses", 7, 5, 0, ""},
		{"keyring;0;0;0b0b0000;_ses", 7, 5, 0, "owned by UID 0, GID 0"},
		{"keyring;65400;0;3f030000;_ses", 7, 5, 0, "owned by UID 65400, GID 0"},
		{"keyring;65400;65400;3f030000;_uid_ses.65400", 7, 5, 0, `named "_uid_ses.65400"`},
		{"keyring;65400;65400;3f030000;_ses", 5, 5, 0, "the keyring it had before"},
		{"keyring;65400;65400;3f030000;_ses", 7, 5, 4, "not empty"},
		{"user;65400;65400;3f030000;_ses", 7, 5, 0, "not a keyring"},
		{"keyring;65400", 7, 5, 0, "not a keyring"},
	} {
		if got := notFresh(tc.desc, tc.id, tc.before, tc.links, 65400, 65400); got != tc.want {
			t.Errorf("notFresh(%q, %d, %d, %d) = %q, want %q", tc.desc, tc.id, tc.before, tc.links, got, tc.want)
		}
	}
}
