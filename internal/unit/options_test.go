package unit

import (
	"reflect"
	"strings"
	"testing"
)

func mustParse(t *testing.T, name, content string) *File {
	t.Helper()
	f, err := Parse(strings.NewReader(content), name)
	if err != nil {
		t.Fatalf("Parse %s: %v", name, err)
	}
	return f
}

func TestOptionsGet(t *testing.T) {
	var o Options
	o.Add(mustParse(t, "frag", "[Service]\nType=simple\nUser=a\nGroup=g\n"))
	o.Add(mustParse(t, "dropin", "[Service]\nUser=b\nGroup=\n"))

	tests := []struct {
		section, key, want string
		ok                 bool
	}{
		{"Service", "Type", "simple", true},
		{"Service", "User", "b", true},
		{"Service", "Group", "", true},
		{"Service", "Missing", "", false},
		{"Unit", "User", "", false},
		{"Service", "user", "", false}, // keys are case-sensitive
	}
	for _, tc := range tests {
		got, ok := o.Get(tc.section, tc.key)
		if got != tc.want || ok != tc.ok {
			t.Errorf("Get(%s, %s) = %q, %v; want %q, %v", tc.section, tc.key, got, ok, tc.want, tc.ok)
		}
	}
	e, ok := o.Lookup("Service", "User")
	if !ok || e.File != "dropin" || e.Line != 2 {
		t.Errorf("Lookup = %+v, %v; want dropin:2", e, ok)
	}
	if n := len(o.Entries()); n != 5 {
		t.Errorf("Entries() has %d entries, want 5", n)
	}
}

func TestOptionsList(t *testing.T) {
	tests := []struct {
		name       string
		files      []string
		list       []string
		listFields []string
	}{
		{
			name:       "accumulates across files",
			files:      []string{"[Unit]\nAfter=a.service b.service\nAfter=c.service\n", "[Unit]\nAfter=d.service\n"},
			list:       []string{"a.service b.service", "c.service", "d.service"},
			listFields: []string{"a.service", "b.service", "c.service", "d.service"},
		},
		{
			name:       "empty assignment resets",
			files:      []string{"[Unit]\nAfter=a.service b.service\n", "[Unit]\nAfter=\nAfter=x.service  y.service\n"},
			list:       []string{"x.service  y.service"},
			listFields: []string{"x.service", "y.service"},
		},
		{
			name:  "reset at the end leaves nothing",
			files: []string{"[Unit]\nAfter=a.service\nAfter=\n"},
		},
		{
			name:  "other sections ignored",
			files: []string{"[Install]\nAfter=a.service\n"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := &Options{}
			for i, c := range tc.files {
				o.Add(mustParse(t, "f"+string(rune('0'+i)), c))
			}
			if got := o.List("Unit", "After"); !reflect.DeepEqual(got, tc.list) {
				t.Errorf("List = %q, want %q", got, tc.list)
			}
			if got := o.ListFields("Unit", "After"); !reflect.DeepEqual(got, tc.listFields) {
				t.Errorf("ListFields = %q, want %q", got, tc.listFields)
			}
		})
	}
}

func TestOptionsBool(t *testing.T) {
	tests := []struct {
		value   string // "-" means unset
		def     bool
		want    bool
		wantErr bool
	}{
		{"-", true, true, false},
		{"-", false, false, false},
		{"", true, true, false},
		{"yes", false, true, false},
		{"1", false, true, false},
		{"TRUE", false, true, false},
		{"on", false, true, false},
		{"no", true, false, false},
		{"0", true, false, false},
		{"false", true, false, false},
		{"Off", true, false, false},
		{"maybe", true, true, true},
	}
	for _, tc := range tests {
		content := "[Service]\n"
		if tc.value != "-" {
			content += "RemainAfterExit=" + tc.value + "\n"
		}
		o := NewOptions(mustParse(t, "x.service", content))
		got, err := o.Bool("Service", "RemainAfterExit", tc.def)
		if (err != nil) != tc.wantErr {
			t.Errorf("Bool(%q) error = %v, wantErr %v", tc.value, err, tc.wantErr)
			continue
		}
		if err != nil && !strings.Contains(err.Error(), "x.service:2") {
			t.Errorf("Bool(%q) error %q lacks file:line", tc.value, err)
		}
		if got != tc.want {
			t.Errorf("Bool(%q, %v) = %v, want %v", tc.value, tc.def, got, tc.want)
		}
	}
}

func TestOptionsSections(t *testing.T) {
	o := NewOptions(mustParse(t, "a", "[Unit]\nA=1\n[Service]\nB=2\n"), nil)
	o.AddEntry(Entry{Section: "Unit", Key: "C", Value: "3"})
	if !o.HasSection("Service") || o.HasSection("Install") {
		t.Errorf("HasSection wrong")
	}
	var keys []string
	for _, e := range o.Section("Unit") {
		keys = append(keys, e.Key+"="+e.Value)
	}
	if want := []string{"A=1", "C=3"}; !reflect.DeepEqual(keys, want) {
		t.Errorf("Section(Unit) = %q, want %q", keys, want)
	}
	// Entries returns a copy.
	o.Entries()[0].Value = "changed"
	if v, _ := o.Get("Unit", "A"); v != "1" {
		t.Errorf("Entries() aliases internal state")
	}
	// A nil *Options behaves as empty.
	var n *Options
	if _, ok := n.Get("Unit", "A"); ok || n.List("Unit", "A") != nil || n.Entries() != nil || n.HasSection("Unit") {
		t.Errorf("nil Options not empty")
	}
}
