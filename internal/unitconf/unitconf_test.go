package unitconf

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/capsuled/capsuled/internal/condition"
	"github.com/capsuled/capsuled/internal/unit"
)

// parse parses text as the unit file /u/name with name's specifiers.
func parse(t *testing.T, name, text string) (*Unit, []Warning, error) {
	t.Helper()
	f, err := unit.Parse(strings.NewReader(text), "/u/"+name)
	if err != nil {
		t.Fatalf("unit.Parse: %v", err)
	}
	return Parse(name, unit.NewOptions(f), unit.Specifiers{Name: name}.Expand)
}

// mustParse is parse that fails the test on refusal or warnings.
func mustParse(t *testing.T, name, text string) *Unit {
	t.Helper()
	u, w, err := parse(t, name, text)
	if err != nil {
		t.Fatalf("%q: %v", text, err)
	}
	if len(w) > 0 {
		t.Fatalf("%q: unexpected warnings %v", text, w)
	}
	return u
}

// property returns the value of the named property of u.
func property(t *testing.T, u *Unit, name string) string {
	t.Helper()
	var vals []string
	found := false
	for _, p := range Properties(u) {
		if p.Name == name {
			vals, found = append(vals, p.Value), true
		}
	}
	if !found {
		t.Fatalf("%s has no property %s", u.Name, name)
	}
	return strings.Join(vals, "\n")
}

// sample is a valid assignment of a directive and the property value it
// gives, or a check of the typed configuration where no property shows it.
type sample struct {
	unit   string // unit name; default x.target, x.service for [Service]
	noBase bool   // a [Service] sample without the ExecStart= every other has
	lines  string // assignments after the section header
	prop   string // property to look at
	want   string
	check  func(u *Unit) bool
}

// samples has one valid use of every directive of the table; the test
// fails for a directive without one.
var samples = map[string]sample{
	"Unit.Description":           {lines: "Description=The %n unit", prop: "Description", want: "The x.target unit"},
	"Unit.Documentation":         {lines: "Documentation=man:x(8) https://example.org/x\nDocumentation=bad", prop: "Documentation", want: `"man:x(8)" https://example.org/x`},
	"Unit.Requires":              {lines: "Requires=a.service b.service", prop: "Requires", want: "a.service b.service"},
	"Unit.Wants":                 {lines: "Wants=a.service\nWants=%N-helper.service", prop: "Wants", want: "a.service x-helper.service"},
	"Unit.BindsTo":               {lines: "BindsTo=a.service", prop: "BindsTo", want: "a.service"},
	"Unit.Requisite":             {lines: "Requisite=a.service\nRequisite=\nRequisite=b.service", prop: "Requisite", want: "b.service"},
	"Unit.PartOf":                {lines: "PartOf=a.target", prop: "PartOf", want: "a.target"},
	"Unit.Upholds":               {lines: "Upholds=a.service", prop: "Upholds", want: "a.service"},
	"Unit.Conflicts":             {lines: "Conflicts=a.service", prop: "Conflicts", want: "a.service"},
	"Unit.Before":                {lines: "Before=a.service", prop: "Before", want: "a.service"},
	"Unit.After":                 {lines: "After=a.service b.socket", prop: "After", want: "a.service b.socket"},
	"Unit.OnFailure":             {lines: "OnFailure=alert@%n.service", prop: "OnFailure", want: "alert@x.target.service"},
	"Unit.OnSuccess":             {lines: "OnSuccess=a.service", prop: "OnSuccess", want: "a.service"},
	"Unit.PropagatesStopTo":      {lines: "PropagatesStopTo=a.service", prop: "PropagatesStopTo", want: "a.service"},
	"Unit.StopPropagatedFrom":    {lines: "StopPropagatedFrom=a.service", prop: "StopPropagatedFrom", want: "a.service"},
	"Unit.StopWhenUnneeded":      {lines: "StopWhenUnneeded=yes", prop: "StopWhenUnneeded", want: "yes"},
	"Unit.RefuseManualStart":     {lines: "RefuseManualStart=true", prop: "RefuseManualStart", want: "yes"},
	"Unit.RefuseManualStop":      {lines: "RefuseManualStop=1", prop: "RefuseManualStop", want: "yes"},
	"Unit.AllowIsolate":          {lines: "AllowIsolate=on", prop: "AllowIsolate", want: "yes"},
	"Unit.IgnoreOnIsolate":       {lines: "IgnoreOnIsolate=yes", prop: "IgnoreOnIsolate", want: "yes"},
	"Unit.DefaultDependencies":   {lines: "DefaultDependencies=no", prop: "DefaultDependencies", want: "no"},
	"Unit.RequiresMountsFor":     {lines: "RequiresMountsFor=/srv/data/ relative /var//lib", prop: "RequiresMountsFor", want: "/srv/data /var/lib"},
	"Unit.JobTimeoutSec":         {lines: "JobTimeoutSec=1min 30s", prop: "JobTimeoutUSec", want: "1min 30s"},
	"Unit.JobRunningTimeoutSec":  {lines: "JobRunningTimeoutSec=2s", prop: "JobRunningTimeoutUSec", want: "2s"},
	"Unit.OnFailureJobMode":      {lines: "OnFailureJobMode=isolate", prop: "OnFailureJobMode", want: "isolate"},
	"Unit.StartLimitIntervalSec": {lines: "StartLimitIntervalSec=1min 30s", prop: "StartLimitIntervalUSec", want: "1min 30s"},
	"Unit.StartLimitInterval":    {lines: "StartLimitInterval=infinity", prop: "StartLimitIntervalUSec", want: "infinity"},
	"Unit.StartLimitBurst":       {lines: "StartLimitBurst=1", prop: "StartLimitBurst", want: "1"},
	"Unit.StartLimitAction":      {lines: "StartLimitAction=reboot\nStartLimitAction=none", prop: "StartLimitAction", want: "none"},
	"Service.StartLimitInterval": {lines: "StartLimitInterval=0", prop: "StartLimitIntervalUSec", want: "0"},
	"Service.StartLimitBurst":    {lines: "StartLimitBurst=0", prop: "StartLimitBurst", want: "0"},
	"Service.StartLimitAction":   {lines: "StartLimitAction=none", prop: "StartLimitAction", want: "none"},
	"Install.WantedBy": {lines: "WantedBy=default.target multi-user.target", check: func(u *Unit) bool {
		return reflect.DeepEqual(u.Install.WantedBy, []string{"default.target", "multi-user.target"})
	}},
	"Install.RequiredBy":      {lines: "RequiredBy=a.target", check: func(u *Unit) bool { return reflect.DeepEqual(u.Install.RequiredBy, []string{"a.target"}) }},
	"Install.Also":            {lines: "Also=a.socket", check: func(u *Unit) bool { return reflect.DeepEqual(u.Install.Also, []string{"a.socket"}) }},
	"Install.Alias":           {lines: "Alias=%N-alias.service", check: func(u *Unit) bool { return reflect.DeepEqual(u.Install.Alias, []string{"%N-alias.service"}) }},
	"Install.DefaultInstance": {lines: "DefaultInstance=one", check: func(u *Unit) bool { return u.Install.DefaultInstance == "one" }},
}

func init() {
	for _, k := range conditionKeys() {
		k := k
		samples["Unit."+k] = sample{lines: k + "=|!/%N", check: func(u *Unit) bool {
			got := u.Unit.Conditions
			if strings.HasPrefix(k, "Assert") {
				got = u.Unit.Asserts
			}
			return len(got) == 1 && got[0].Name() == k && got[0].Trigger && got[0].Negate && got[0].Param == "/x"
		}}
	}
}

// TestTableComplete fails for a directive that is neither parsed and acted
// on nor warned about, so none can be known but ignored.
func TestTableComplete(t *testing.T) {
	seen := map[string]bool{}
	for _, d := range Directives() {
		id := d.Section + "." + d.Key
		if seen[id] {
			t.Errorf("%s: twice in the table", id)
		}
		seen[id] = true
		switch d.Status {
		case ActedOn:
			if d.Parse == nil {
				t.Errorf("%s: acted on but has no parser", id)
			}
			if _, ok := samples[id]; !ok {
				t.Errorf("%s: no sample in the test", id)
			}
		case Warn:
			if d.Reason == "" || d.Parse != nil {
				t.Errorf("%s: a warned directive needs a reason and no parser", id)
			}
		default:
			t.Errorf("%s: status %d is neither ActedOn nor Warn", id, d.Status)
		}
		for _, p := range d.Props {
			if !hasProperty(d.Section, p) {
				t.Errorf("%s: property %s is not in its section's property list", id, p)
			}
		}
	}
	for id := range samples {
		if !seen[id] {
			t.Errorf("sample %s has no directive", id)
		}
	}
}

func hasProperty(section, name string) bool {
	for _, s := range tables().sections {
		if s.name != section {
			continue
		}
		for _, p := range s.props {
			if p.Name == name {
				return true
			}
		}
	}
	return false
}

// TestDirectives parses every directive's sample.
func TestDirectives(t *testing.T) {
	for _, d := range Directives() {
		s, ok := samples[d.Section+"."+d.Key]
		if !ok || d.Status != ActedOn {
			continue
		}
		t.Run(d.Section+"."+d.Key, func(t *testing.T) {
			name := s.unit
			text := "[" + d.Section + "]\n" + s.lines + "\n"
			switch {
			case name != "":
			case d.Section == "Service":
				name = "x.service"
				if !s.noBase {
					text = "[Service]\nExecStart=/bin/true\n" + s.lines + "\n"
				}
			case d.Section == "Socket":
				name = "x.socket"
			case d.Section == "Slice":
				name = "x.slice"
			default:
				name = "x.target"
			}
			u, w, err := parse(t, name, text)
			if err != nil {
				t.Fatal(err)
			}
			// A sample may include a bad line to show it is skipped.
			if len(w) > 1 {
				t.Errorf("warnings: %v", w)
			}
			if s.check != nil && !s.check(u) {
				t.Errorf("%q: typed configuration is wrong: %+v", s.lines, u)
			}
			if s.prop != "" {
				if got := property(t, u, s.prop); got != s.want {
					t.Errorf("%q: %s=%s, want %s", s.lines, s.prop, got, s.want)
				}
			}
		})
	}
}

func TestUnitDefaults(t *testing.T) {
	u := mustParse(t, "x.target", "[Unit]\n")
	want := map[string]string{"Description": "x.target", "DefaultDependencies": "yes", "JobTimeoutUSec": "infinity",
		"JobRunningTimeoutUSec": "infinity",
		"OnFailureJobMode":      "replace", "After": "", "StopWhenUnneeded": "no",
		"StartLimitIntervalUSec": "10s", "StartLimitBurst": "5", "StartLimitAction": "none"}
	for p, v := range want {
		if got := property(t, u, p); got != v {
			t.Errorf("%s=%q, want %q", p, got, v)
		}
	}
}

// TestInvalidValues checks that a bad value warns, naming file and line,
// and leaves the setting as it was (the default or an earlier line).
func TestInvalidValues(t *testing.T) {
	tests := []struct {
		lines string
		warn  string
		prop  string
		want  string
	}{
		{"StopWhenUnneeded=maybe", "/u/x.service:2: Failed to parse StopWhenUnneeded= value, ignoring: maybe", "StopWhenUnneeded", "no"},
		{"DefaultDependencies=no\nDefaultDependencies=perhaps", "/u/x.service:3: Failed to parse DefaultDependencies= value, ignoring: perhaps", "DefaultDependencies", "no"},
		{"JobTimeoutSec=soon", "/u/x.service:2: Failed to parse JobTimeoutSec= value, ignoring: soon", "JobTimeoutUSec", "infinity"},
		{"JobRunningTimeoutSec=soon", "/u/x.service:2: Failed to parse JobRunningTimeoutSec= value, ignoring: soon", "JobRunningTimeoutUSec", "infinity"},
		// systemd's own load-time warning; the setting stays.
		{"JobTimeoutSec=1s\nJobRunningTimeoutSec=2s", "JobRunningTimeoutSec= is greater than JobTimeoutSec=, it has no effect.", "JobRunningTimeoutUSec", "2s"},
		{"JobTimeoutAction=reboot", "/u/x.service:2: Unsupported in capsuled: JobTimeoutAction= (a job that times out fails; the manager takes no further action); ignoring.", "JobTimeoutUSec", "infinity"},
		{"StartLimitBurst=many", "/u/x.service:2: Failed to parse StartLimitBurst= value, ignoring: many", "StartLimitBurst", "5"},
		{"StartLimitIntervalSec=soon", "/u/x.service:2: Failed to parse StartLimitIntervalSec= value, ignoring: soon", "StartLimitIntervalUSec", "10s"},
		{"StartLimitAction=exit", "/u/x.service:2: Unsupported in capsuled: StartLimitAction=exit (a unit that hits its start limit fails; the manager takes no further action); ignoring.", "StartLimitAction", "none"},
		{"StartLimitAction=explode", "/u/x.service:2: Failed to parse StartLimitAction= value, ignoring: explode", "StartLimitAction", "none"},
		{"OnFailureJobMode=sometimes", "/u/x.service:2: Failed to parse OnFailureJobMode= value, ignoring: sometimes", "OnFailureJobMode", "replace"},
		{"After=a.service -bad- b.target", "/u/x.service:2: Failed to add dependency on -bad-, ignoring", "After", "a.service b.target"},
		{"Documentation=foo", "/u/x.service:2: Invalid URL, ignoring: foo", "Documentation", ""},
		{"Description=%z", "/u/x.service:2: Failed to resolve unit specifiers in %z, ignoring", "Description", "x.service"},
		{"ConditionPathExists=!", "/u/x.service:2: ConditionPathExists= path is not absolute, ignoring", "Description", "x.service"},
	}
	for _, tt := range tests {
		u, w, err := parse(t, "x.service", "[Unit]\n"+tt.lines+"\n[Service]\nExecStart=/bin/true\n")
		if err != nil {
			t.Errorf("%q: refused: %v", tt.lines, err)
			continue
		}
		if len(w) != 1 || !strings.HasPrefix(w[0].String(), tt.warn) {
			t.Errorf("%q: warnings %q, want one starting %q", tt.lines, w, tt.warn)
		}
		if got := property(t, u, tt.prop); got != tt.want {
			t.Errorf("%q: %s=%q, want %q", tt.lines, tt.prop, got, tt.want)
		}
	}
}

func TestUnknownKeysAndSections(t *testing.T) {
	_, w, err := parse(t, "x.target", strings.Join([]string{
		"[Unit]",
		"Description=x",
		"Bogus=1",
		"X-Tool=ok",
		"[Frobnicate]",
		"Key=v",
		"Other=w",
		"[X-Ext]",
		"A=b",
		"[Install]",
		"WantedBy=multi-user.target",
		"Wanted=x",
	}, "\n")+"\n")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, x := range w {
		got = append(got, x.String())
	}
	want := []string{
		"/u/x.target:3: Unknown key name 'Bogus' in section 'Unit', ignoring.",
		"/u/x.target:6: Unknown section 'Frobnicate'. Ignoring.",
		"/u/x.target:12: Unknown key name 'Wanted' in section 'Install', ignoring.",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("warnings\n%q\nwant\n%q", got, want)
	}
}

func TestConditionsReset(t *testing.T) {
	u := mustParse(t, "x.target", "[Unit]\nConditionPathExists=/a\nConditionUser=root\nConditionHost=\nConditionPathExists=!/b\nAssertUser=|0\n")
	if got := fmt.Sprint(u.Unit.Conditions); got != "[ConditionPathExists=!/b]" {
		t.Errorf("Conditions = %s", got)
	}
	if got := fmt.Sprint(u.Unit.Asserts); got != "[AssertUser=|0]" {
		t.Errorf("Asserts = %s", got)
	}
	// A path that is not absolute is ignored with the condition package's
	// warning, which names file and line.
	_, w, _ := parse(t, "x.target", "[Unit]\nConditionPathExists=relative\n")
	if len(w) != 1 || !strings.HasPrefix(w[0].String(), "/u/x.target:2: ConditionPathExists= path is not absolute, ignoring: relative") {
		t.Errorf("warnings %q", w)
	}
}

func TestFormatTimespan(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "0"},
		{90 * time.Second, "1min 30s"},
		{100 * time.Millisecond, "100ms"},
		{1500 * time.Millisecond, "1.500000s"},
		{2*time.Minute + 500*time.Millisecond, "2min 500ms"},
		{25 * time.Hour, "1d 1h"},
		{time.Microsecond, "1us"},
		{1500 * time.Microsecond, "1.500ms"},
		{8 * 24 * time.Hour, "1w 1d"},
	}
	for _, tt := range tests {
		if got := formatTimespan(tt.d); got != tt.want {
			t.Errorf("formatTimespan(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}

func TestQuoteItem(t *testing.T) {
	tests := map[string]string{
		"a.service":    "a.service",
		"man:x(8)":     `"man:x(8)"`,
		"A=x y":        `"A=x y"`,
		`say "$HOME"`:  `"say \"\$HOME\""`,
		"":             `""`,
		"x\\x2d.mount": `"x\\x2d.mount"`,
	}
	for in, want := range tests {
		if got := quoteItem(in); got != want {
			t.Errorf("quoteItem(%q) = %s, want %s", in, got, want)
		}
	}
}

// TestShowAsSystemd257 compares the configuration properties of small
// units with what systemctl show printed for the same files on systemd 257
// (values that depend on the manager, such as Slice= or TasksMax=, left out).
func TestShowAsSystemd257(t *testing.T) {
	tests := []struct {
		name, text string
		want       map[string]string
	}{
		{"show5.service", "[Unit]\nDescription=Show5 simple service\n[Service]\nExecStart=/bin/sleep infinity\n", map[string]string{
			"Type": "simple", "Restart": "no", "NotifyAccess": "none", "RestartUSec": "100ms",
			"TimeoutStartUSec": "1min 30s", "TimeoutStopUSec": "1min 30s", "RemainAfterExit": "no",
			"ExecStart": "{ path=/bin/sleep ; argv[]=/bin/sleep infinity ; ignore_errors=no ; start_time=[n/a] ; stop_time=[n/a] ; pid=0 ; code=(null) ; status=0/0 }",
			"Delegate":  "no", "MemoryMax": "infinity", "StandardOutput": "journal", "StandardError": "inherit",
			"LogRateLimitIntervalUSec": "0", "LogRateLimitBurst": "0", "DynamicUser": "no", "RemoveIPC": "no",
			"PrivateTmp": "no", "PrivateIPC": "no", "ProtectHome": "no", "ProtectSystem": "no", "NoNewPrivileges": "no",
			"RestrictSUIDSGID": "no", "RestrictNamespaces": "no", "ProtectProc": "default", "KillMode": "control-group",
			"KillSignal": "15", "Description": "Show5 simple service", "DefaultDependencies": "yes",
			"OnFailureJobMode": "replace", "JobTimeoutUSec": "infinity", "Documentation": "",
		}},
		{"show5s.socket", "[Unit]\nDescription=Show5 socket\n[Socket]\nListenStream=/run/capsules/obs/show5.sock\n", map[string]string{
			"SocketMode": "0666", "DirectoryMode": "0755", "Accept": "no", "Listen": "/run/capsules/obs/show5.sock (Stream)",
			"FileDescriptorName": "show5s.socket", "Triggers": "show5s.service", "Description": "Show5 socket",
			"StopWhenUnneeded": "no", "RefuseManualStart": "no", "RefuseManualStop": "no", "AllowIsolate": "no",
			"DefaultDependencies": "yes", "IgnoreOnIsolate": "no",
		}},
		{"show5.slice", "[Unit]\nDescription=Show5 slice\n", map[string]string{
			"MemoryMax": "infinity", "TasksMax": "infinity", "Description": "Show5 slice", "IgnoreOnIsolate": "yes",
			"DefaultDependencies": "yes",
		}},
		{"show5.target", "[Unit]\nDescription=Show5 target\n", map[string]string{
			"Description": "Show5 target", "StopWhenUnneeded": "no", "AllowIsolate": "no", "IgnoreOnIsolate": "no",
		}},
	}
	for _, tt := range tests {
		u := mustParse(t, tt.name, tt.text)
		for p, v := range tt.want {
			if got := property(t, u, p); got != v {
				t.Errorf("%s: %s=%q, systemd 257 shows %q", tt.name, p, got, v)
			}
		}
	}
}

// freeText are the directives whose values are taken as written, so no
// value is invalid for them.
var freeText = map[string]bool{
	"Unit.Description": true, "Service.User": true, "Service.Group": true, "Service.DelegateSubgroup": true,
	"Service.Delegate": true, "Install.WantedBy": true, "Install.RequiredBy": true, "Install.Also": true,
	"Install.Alias": true, "Install.DefaultInstance": true,
	// A relative PIDFile= is below /run, whatever its characters (257).
	"Service.PIDFile": true,
}

// TestEveryDirectiveValidates gives every directive a value no directive
// takes: it must warn naming file and line, or refuse the unit naming
// them, unless it takes free text.
func TestEveryDirectiveValidates(t *testing.T) {
	const bad = "./no:such value"
	for _, d := range Directives() {
		id := d.Section + "." + d.Key
		if d.Status != ActedOn || freeText[id] {
			continue
		}
		if strings.HasPrefix(d.Key, "Condition") || strings.HasPrefix(d.Key, "Assert") {
			// Only paths are checked when a unit loads; other
			// parameters fail when evaluated, as in systemd.
			if _, _, ok := condition.Lookup(d.Key); ok {
				if ty, _, _ := condition.Lookup(d.Key); !ty.TakesPath() {
					continue
				}
			}
		}
		name, head := "x.service", "[Service]\nExecStart=/bin/true\n"
		switch d.Section {
		case "Socket":
			name, head = "x.socket", "[Socket]\nListenStream=/s\n"
		case "Slice":
			name, head = "x.slice", ""
		case "Path":
			name, head = "x.path", "[Path]\nPathExists=/p\n"
		}
		text := head + "[" + d.Section + "]\n" + d.Key + "=" + bad + "\n"
		line := strings.Count(head, "\n") + 2
		where := fmt.Sprintf("/u/%s:%d: ", name, line)
		_, w, err := parse(t, name, text)
		switch {
		case err != nil:
			if !strings.HasPrefix(err.Error(), where) {
				t.Errorf("%s: refused without naming the line: %v", id, err)
			}
		case len(w) == 0:
			t.Errorf("%s=%s: taken without a warning", id, bad)
		case !strings.HasPrefix(w[0].String(), where):
			t.Errorf("%s: warning does not name the line: %v", id, w[0])
		}
	}
}
