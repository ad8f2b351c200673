package manager

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/capsuled/capsuled/internal/keyring"
	"github.com/capsuled/capsuled/internal/unit"
)

// options parses text as a unit file named name.
func options(t *testing.T, name, text string) *unit.Options {
	t.Helper()
	f, err := unit.Parse(strings.NewReader(text), name)
	if err != nil {
		t.Fatalf("unit.Parse: %v", err)
	}
	return unit.NewOptions(f)
}

// service runs parseService on a [Service] body with x.service specifiers.
func service(t *testing.T, body string) (*serviceConfig, error) {
	t.Helper()
	o := options(t, "x.service", "[Service]\n"+body)
	return parseService(o, unit.Specifiers{Name: "x.service"}.Expand)
}

func TestParseSignal(t *testing.T) {
	tests := []struct {
		in   string
		want int
		ok   bool
	}{
		{"15", 15, true},
		{"9", 9, true},
		{"64", 64, true},
		{"TERM", 15, true},
		{"SIGTERM", 15, true},
		{"sigkill", 9, true},
		{"SIGINT", 2, true},
		{"hup", 1, true},
		{"USR1", 10, true},
		{"0", 0, false},
		{"65", 0, false},
		{"-1", 0, false},
		{"SIGFOO", 0, false},
		{"", 0, false},
	}
	for _, tt := range tests {
		got, err := parseSignal(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("parseSignal(%q) = %d, %v; want %d (ok=%v)", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestParseServiceDefaults(t *testing.T) {
	c, err := service(t, "ExecStart=/bin/true\n")
	if err != nil {
		t.Fatal(err)
	}
	if c.Type != "simple" || c.KillMode != "control-group" || c.KillSignal != 15 ||
		c.TimeoutStart != 90*time.Second || c.TimeoutStop != 90*time.Second ||
		c.ProtectSystem != "no" || c.ProtectHome != "no" || c.StandardOutput != "journal" ||
		c.NoNewPrivileges || c.PrivateTmp || c.DynamicUser || c.Delegate {
		t.Errorf("unexpected defaults: %+v", c)
	}
	if len(c.ExecStart) != 1 || !reflect.DeepEqual(c.ExecStart[0].Argv, []string{"/bin/true"}) {
		t.Errorf("ExecStart = %+v", c.ExecStart)
	}
}

func TestParseServiceDynamicUser(t *testing.T) {
	c, err := service(t, "ExecStart=/bin/true\nDynamicUser=yes\nUser=foo\n")
	if err != nil {
		t.Fatal(err)
	}
	want := serviceConfig{DynamicUser: true, NoNewPrivileges: true, RestrictSUIDSGID: true, RemoveIPC: true,
		PrivateTmp: true, ProtectSystem: "strict", ProtectHome: "read-only", User: "foo", Group: "foo"}
	got := serviceConfig{DynamicUser: c.DynamicUser, NoNewPrivileges: c.NoNewPrivileges,
		RestrictSUIDSGID: c.RestrictSUIDSGID, RemoveIPC: c.RemoveIPC, PrivateTmp: c.PrivateTmp,
		ProtectSystem: c.ProtectSystem, ProtectHome: c.ProtectHome, User: c.User, Group: c.Group}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}

	// Explicit settings stronger than the implied ones are kept.
	c, err = service(t, "ExecStart=/bin/true\nDynamicUser=yes\nUser=foo\nGroup=bar\nProtectSystem=full\nProtectHome=yes\n")
	if err != nil {
		t.Fatal(err)
	}
	if c.Group != "bar" || c.ProtectSystem != "full" || c.ProtectHome != "yes" {
		t.Errorf("explicit settings overridden: Group=%s ProtectSystem=%s ProtectHome=%s", c.Group, c.ProtectSystem, c.ProtectHome)
	}
}

func TestParseServiceFields(t *testing.T) {
	c, err := service(t, strings.Join([]string{
		"Type=oneshot",
		"ExecStart=/bin/echo %n",
		"ExecStart=-/bin/false",
		"ExecStartPre=/bin/pre",
		"ExecStop=/bin/stop",
		"RemainAfterExit=yes",
		`Environment=A=1 B='x y'`,
		`Environment="C=%N"`,
		"KillMode=mixed",
		"KillSignal=SIGINT",
		"TimeoutStopSec=5s",
		"Delegate=cpu memory",
		"StateDirectory=foo foo/bar",
		"RuntimeDirectory=%N",
		"WorkingDirectory=/srv",
		"KeyringMode=shared",
	}, "\n")+"\n")
	if err != nil {
		t.Fatal(err)
	}
	if len(c.ExecStart) != 2 || !reflect.DeepEqual(c.ExecStart[0].Argv, []string{"/bin/echo", "x.service"}) ||
		!c.ExecStart[1].IgnoreFailure {
		t.Errorf("ExecStart = %+v", c.ExecStart)
	}
	if len(c.ExecStartPre) != 1 || len(c.ExecStop) != 1 || !c.RemainAfterExit {
		t.Errorf("ExecStartPre=%v ExecStop=%v RemainAfterExit=%v", c.ExecStartPre, c.ExecStop, c.RemainAfterExit)
	}
	if want := []string{"A=1", "B=x y", "C=x"}; !reflect.DeepEqual(c.Environment, want) {
		t.Errorf("Environment = %q, want %q", c.Environment, want)
	}
	if c.KillMode != "mixed" || c.KillSignal != 2 {
		t.Errorf("KillMode=%s KillSignal=%d", c.KillMode, c.KillSignal)
	}
	if c.TimeoutStart != 90*time.Second || c.TimeoutStop != 5*time.Second {
		t.Errorf("TimeoutStart=%v TimeoutStop=%v", c.TimeoutStart, c.TimeoutStop)
	}
	if !c.Delegate {
		t.Error("Delegate=cpu memory should enable delegation")
	}
	if want := []string{"foo", "foo/bar"}; !reflect.DeepEqual(c.Dirs[dirState], want) {
		t.Errorf("StateDirectory = %q, want %q", c.Dirs[dirState], want)
	}
	if want := []string{"x"}; !reflect.DeepEqual(c.Dirs[dirRuntime], want) {
		t.Errorf("RuntimeDirectory = %q, want %q", c.Dirs[dirRuntime], want)
	}
	if c.WorkingDirectory != "/srv" {
		t.Errorf("WorkingDirectory = %q", c.WorkingDirectory)
	}
	if c.KeyringMode != keyring.Shared {
		t.Errorf("KeyringMode = %q", c.KeyringMode)
	}
}

func TestParseServiceErrors(t *testing.T) {
	tests := []struct {
		name, body, want string
	}{
		{"no ExecStart", "Type=simple\n", "no ExecStart="},
		{"oneshot needs none", "Type=oneshot\n", ""},
		{"two ExecStart", "ExecStart=/bin/a\nExecStart=/bin/b\n", "more than one ExecStart="},
		{"two ExecStart reset", "ExecStart=/bin/a\nExecStart=\nExecStart=/bin/b\n", ""},
		{"forking", "Type=forking\nExecStart=/bin/a\n", "use simple, exec, notify, notify-reload or oneshot"},
		{"dbus", "Type=dbus\nExecStart=/bin/a\n", "unsupported Type=dbus"},
		{"KillMode bad", "ExecStart=/bin/a\nKillMode=everything\n", "KillMode=everything is invalid"},
		{"KillMode none", "ExecStart=/bin/a\nKillMode=none\n", ""},
		{"KeyringMode bad", "ExecStart=/bin/a\nKeyringMode=none\n", "invalid KeyringMode=none"},
		{"KillSignal bad", "ExecStart=/bin/a\nKillSignal=SIGBOGUS\n", "KillSignal="},
		{"TimeoutSec bad", "ExecStart=/bin/a\nTimeoutSec=soon\n", "TimeoutSec="},
		{"bad bool", "ExecStart=/bin/a\nPrivateTmp=maybe\n", "PrivateTmp="},
		{"PrivateIPC bad", "ExecStart=/bin/a\nPrivateIPC=maybe\n", "PrivateIPC="},
		{"ProtectProc invisible", "ExecStart=/bin/a\nProtectProc=invisible\n", ""},
		{"ProtectProc bad", "ExecStart=/bin/a\nProtectProc=hidden\n", "invalid ProtectProc=hidden"},
		{"StateDirectory absolute", "ExecStart=/bin/a\nStateDirectory=/var/lib/x\n", "must be a relative path"},
		{"StateDirectory dotdot", "ExecStart=/bin/a\nStateDirectory=../x\n", "must be a relative path"},
		{"CacheDirectory dotdot inside", "ExecStart=/bin/a\nCacheDirectory=a/../../b\n", "CacheDirectory="},
		{"relative exec", "ExecStart=./run\n", "ExecStart="},
		{"unknown specifier", "ExecStart=/bin/echo %z\n", "ExecStart="},
		{"Environment not assignment", "ExecStart=/bin/a\nEnvironment=A=1 B\n", `"B" is not an assignment`},
		{"Environment unterminated", "ExecStart=/bin/a\nEnvironment=A='x\n", "bad Environment="},
		{"DynamicUser without User", "ExecStart=/bin/a\nDynamicUser=yes\n", "needs User="},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := service(t, tt.body)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("unexpected error: %v", err)
			case tt.want != "" && err == nil:
				t.Errorf("no error, want one containing %q", tt.want)
			case tt.want != "" && !strings.Contains(err.Error(), tt.want):
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

func TestParseServiceDirectoryDots(t *testing.T) {
	c, err := service(t, "ExecStart=/bin/a\nStateDirectory=foo..bar\n")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"foo..bar"}; !reflect.DeepEqual(c.Dirs[dirState], want) {
		t.Errorf("StateDirectory = %q, want %q", c.Dirs[dirState], want)
	}
}

// TimeoutSec= sets both timeouts, so a later TimeoutStartSec= must win for
// the start timeout regardless of map iteration order.
func TestParseServiceTimeoutPrecedence(t *testing.T) {
	for i := 0; i < 50; i++ {
		c, err := service(t, "ExecStart=/bin/a\nTimeoutSec=10\nTimeoutStartSec=5\n")
		if err != nil {
			t.Fatal(err)
		}
		if c.TimeoutStart != 5*time.Second || c.TimeoutStop != 10*time.Second {
			t.Fatalf("try %d: TimeoutStart=%v TimeoutStop=%v, want 5s and 10s", i, c.TimeoutStart, c.TimeoutStop)
		}
	}
}

func TestUnknownDirectives(t *testing.T) {
	o := options(t, "/etc/capsuled/x.service", strings.Join([]string{
		"[Unit]",
		"Description=x",
		"Bogus=1",
		"[Service]",
		"ExecStart=/bin/true",
		"ExecStratPre=/bin/true",
		"[Frobnicate]",
		"Key=v",
		"[Install]",
		"WantedBy=multi-user.target",
	}, "\n")+"\n")
	// [Unit], [Install] and unknown sections are unitconf's.
	want := []string{
		"/etc/capsuled/x.service:6: Unknown key name 'ExecStratPre' in section 'Service', ignoring.",
	}
	if got := unknownDirectives(o); !reflect.DeepEqual(got, want) {
		t.Errorf("unknownDirectives =\n%q\nwant\n%q", got, want)
	}
	if got := unknownDirectives(options(t, "ok.service", "[Service]\nExecStart=/bin/true\nUser=x\n")); len(got) != 0 {
		t.Errorf("clean file gave warnings: %q", got)
	}
}

func TestParseServiceRestart(t *testing.T) {
	tests := []struct {
		body    string
		restart string
		delay   time.Duration
		err     string
	}{
		{"ExecStart=/bin/true\n", "no", 100 * time.Millisecond, ""},
		{"ExecStart=/bin/true\nRestart=on-failure\nRestartSec=2s\n", "on-failure", 2 * time.Second, ""},
		{"ExecStart=/bin/true\nRestart=always\nRestartSec=250ms\n", "always", 250 * time.Millisecond, ""},
		{"ExecStart=/bin/true\nRestart=sometimes\n", "", 0, "invalid Restart=sometimes"},
		{"ExecStart=/bin/true\nRestartSec=soon\n", "", 0, "RestartSec="},
	}
	for _, tt := range tests {
		c, err := service(t, tt.body)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%q: error %v, want %q", tt.body, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tt.body, err)
			continue
		}
		if c.Restart != tt.restart || c.RestartDelay != tt.delay {
			t.Errorf("%q: Restart=%s delay %v, want %s %v", tt.body, c.Restart, c.RestartDelay, tt.restart, tt.delay)
		}
	}
}

func TestRestartPolicies(t *testing.T) {
	results := []string{"success", "exit-code", "signal", "core-dump", "timeout"}
	want := map[string][]bool{
		"no":          {false, false, false, false, false},
		"always":      {true, true, true, true, true},
		"on-success":  {true, false, false, false, false},
		"on-failure":  {false, true, true, true, true},
		"on-abnormal": {false, false, true, true, true},
		"on-abort":    {false, false, true, true, false},
	}
	for policy, w := range want {
		for i, r := range results {
			if got := restartPolicies[policy](r); got != w[i] {
				t.Errorf("Restart=%s after %s: restart=%v, want %v", policy, r, got, w[i])
			}
		}
	}
}
