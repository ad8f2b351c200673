package unitconf

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/capsuled/capsuled/internal/keyring"
)

func init() {
	for k, v := range map[string]sample{
		"Service.Type":          {lines: "Type=notify", prop: "Type", want: "notify"},
		"Service.ExecStart":     {noBase: true, lines: "ExecStart=-/bin/echo %n", prop: "ExecStart", want: "{ path=/bin/echo ; argv[]=/bin/echo x.service ; ignore_errors=yes ; start_time=[n/a] ; stop_time=[n/a] ; pid=0 ; code=(null) ; status=0/0 }"},
		"Service.ExecStartPre":  {lines: "ExecStartPre=/bin/a 1\nExecStartPre=/bin/b", prop: "ExecStartPre", want: "{ path=/bin/a ; argv[]=/bin/a 1 ; ignore_errors=no ; start_time=[n/a] ; stop_time=[n/a] ; pid=0 ; code=(null) ; status=0/0 }\n{ path=/bin/b ; argv[]=/bin/b ; ignore_errors=no ; start_time=[n/a] ; stop_time=[n/a] ; pid=0 ; code=(null) ; status=0/0 }"},
		"Service.ExecStartPost": {lines: "ExecStartPost=/bin/a", check: func(u *Unit) bool { return len(u.Service.ExecStartPost) == 1 }},
		"Service.PIDFile":       {lines: "PIDFile=x.pid", prop: "PIDFile", want: "/run/x.pid"},
		"Service.BusName":       {lines: "Type=dbus\nBusName=org.example.X-1", prop: "BusName", want: "org.example.X-1"},
		"Service.GuessMainPID":  {lines: "GuessMainPID=no", prop: "GuessMainPID", want: "no"},
		"Service.ExecReload": {lines: "ExecReload=/bin/kill -HUP $MAINPID", check: func(u *Unit) bool {
			return len(u.Service.ExecReload) == 1 && u.Service.ExecReload[0].Argv[2] == "$MAINPID"
		}},
		"Service.ExecCondition": {lines: "ExecCondition=-/bin/a", check: func(u *Unit) bool {
			return len(u.Service.ExecCondition) == 1 && u.Service.ExecCondition[0].IgnoreFailure
		}},
		"Service.ExecStop":        {lines: "ExecStop=/bin/a", check: func(u *Unit) bool { return len(u.Service.ExecStop) == 1 }},
		"Service.ExecStopPost":    {lines: "ExecStopPost=/bin/a\nExecStopPost=", check: func(u *Unit) bool { return len(u.Service.ExecStopPost) == 0 }},
		"Service.RemainAfterExit": {lines: "RemainAfterExit=yes", prop: "RemainAfterExit", want: "yes"},
		"Service.ReloadSignal":    {lines: "ReloadSignal=SIGUSR1", prop: "ReloadSignal", want: "10"},
		"Service.PermissionsStartOnly": {lines: "PermissionsStartOnly=yes\nExecStartPre=/bin/a\nExecStop=!/bin/b", check: func(u *Unit) bool {
			s := u.Service
			return s.ExecStartPre[0].Privileged && !s.ExecStop[0].Privileged && s.ExecStop[0].AmbientOnly && !s.ExecStart[0].Privileged
		}},
		"Service.Environment":                {lines: `Environment=A=1 B='x y'` + "\n" + `Environment="C=%N"`, prop: "Environment", want: `A=1 "B=x y" C=x`},
		"Service.User":                       {lines: "User=u-%N", prop: "User", want: "u-x"},
		"Service.Group":                      {lines: "Group=g", prop: "Group", want: "g"},
		"Service.DynamicUser":                {lines: "DynamicUser=yes\nUser=foo", prop: "DynamicUser", want: "yes"},
		"Service.WorkingDirectory":           {lines: "WorkingDirectory=~", prop: "WorkingDirectory", want: "~"},
		"Service.Slice":                      {lines: "Slice=capsule.slice", prop: "Slice", want: "capsule.slice"},
		"Service.KillMode":                   {lines: "KillMode=mixed", prop: "KillMode", want: "mixed"},
		"Service.KillSignal":                 {lines: "KillSignal=SIGINT", prop: "KillSignal", want: "2"},
		"Service.TimeoutSec":                 {lines: "TimeoutSec=5min", prop: "TimeoutStopUSec", want: "5min"},
		"Service.TimeoutStartSec":            {lines: "TimeoutStartSec=infinity", prop: "TimeoutStartUSec", want: "infinity"},
		"Service.TimeoutStopSec":             {lines: "TimeoutStopSec=1min 30s", prop: "TimeoutStopUSec", want: "1min 30s"},
		"Service.Delegate":                   {lines: "Delegate=cpu memory", prop: "Delegate", want: "yes"},
		"Service.DelegateSubgroup":           {lines: "DelegateSubgroup=init.scope", prop: "DelegateSubgroup", want: "init.scope"},
		"Service.NoNewPrivileges":            {lines: "NoNewPrivileges=yes", prop: "NoNewPrivileges", want: "yes"},
		"Service.ProtectSystem":              {lines: "ProtectSystem=true", prop: "ProtectSystem", want: "yes"},
		"Service.ProtectHome":                {lines: "ProtectHome=read-only", prop: "ProtectHome", want: "read-only"},
		"Service.PrivateTmp":                 {lines: "PrivateTmp=yes", prop: "PrivateTmp", want: "yes"},
		"Service.PrivateIPC":                 {lines: "PrivateIPC=yes", prop: "PrivateIPC", want: "yes"},
		"Service.ProtectProc":                {lines: "ProtectProc=invisible", prop: "ProtectProc", want: "invisible"},
		"Service.RemoveIPC":                  {lines: "RemoveIPC=yes", prop: "RemoveIPC", want: "yes"},
		"Service.RestrictSUIDSGID":           {lines: "RestrictSUIDSGID=yes", prop: "RestrictSUIDSGID", want: "yes"},
		"Service.RestrictNamespaces":         {lines: "RestrictNamespaces=yes", prop: "RestrictNamespaces", want: "yes"},
		"Service.KeyringMode":                {lines: "KeyringMode=shared", prop: "KeyringMode", want: "shared"},
		"Service.StandardOutput":             {lines: "StandardOutput=journal", prop: "StandardOutput", want: "journal"},
		"Service.StandardError":              {lines: "StandardError=journal", prop: "StandardError", want: "journal"},
		"Service.NotifyAccess":               {lines: "NotifyAccess=main", prop: "NotifyAccess", want: "main"},
		"Service.OOMScoreAdjust":             {lines: "OOMScoreAdjust=-100", prop: "OOMScoreAdjust", want: "-100"},
		"Service.Restart":                    {lines: "Restart=on-failure", prop: "Restart", want: "on-failure"},
		"Service.RestartSec":                 {lines: "RestartSec=2s", prop: "RestartUSec", want: "2s"},
		"Service.RuntimeDirectory":           {lines: "RuntimeDirectory=%N", prop: "RuntimeDirectory", want: "x"},
		"Service.StateDirectory":             {lines: "StateDirectory=foo foo/bar\nStateDirectory=baz", prop: "StateDirectory", want: "foo foo/bar baz"},
		"Service.CacheDirectory":             {lines: "CacheDirectory=c", prop: "CacheDirectory", want: "c"},
		"Service.LogsDirectory":              {lines: "LogsDirectory=l", prop: "LogsDirectory", want: "l"},
		"Service.ConfigurationDirectory":     {lines: "ConfigurationDirectory=e", prop: "ConfigurationDirectory", want: "e"},
		"Service.MemoryMax":                  {lines: "MemoryMax=64M", prop: "MemoryMax", want: "67108864"},
		"Service.TasksMax":                   {lines: "TasksMax=4096", prop: "TasksMax", want: "4096"},
		"Service.TmpfsSize":                  {lines: "TmpfsSize=8M", prop: "TmpfsSize", want: "8388608"},
		"Service.LogRateLimitIntervalSec":    {lines: "LogRateLimitIntervalSec=1s", prop: "LogRateLimitIntervalUSec", want: "1s"},
		"Service.LogRateLimitBurst":          {lines: "LogRateLimitBurst=5", prop: "LogRateLimitBurst", want: "5"},
		"Service.SyslogLevelPrefix":          {lines: "SyslogLevelPrefix=no", prop: "SyslogLevelPrefix", want: "no"},
		"Socket.ListenStream":                {lines: "ListenStream=%t/x.sock\nListenStream=/run/y.sock", prop: "Listen", want: "/x.sock (Stream)\n/run/y.sock (Stream)"},
		"Socket.SocketMode":                  {lines: "ListenStream=/s\nSocketMode=0600", prop: "SocketMode", want: "0600"},
		"Socket.DirectoryMode":               {lines: "ListenStream=/s\nDirectoryMode=700", prop: "DirectoryMode", want: "0700"},
		"Service.RuntimeDirectoryMode":       {lines: "RuntimeDirectoryMode=2755", prop: "RuntimeDirectoryMode", want: "2755"},
		"Service.StateDirectoryMode":         {lines: "StateDirectoryMode=700", prop: "StateDirectoryMode", want: "0700"},
		"Service.CacheDirectoryMode":         {lines: "CacheDirectoryMode=0750\nCacheDirectoryMode=", prop: "CacheDirectoryMode", want: "0755"},
		"Service.LogsDirectoryMode":          {lines: "LogsDirectoryMode=0750", prop: "LogsDirectoryMode", want: "0750"},
		"Service.ConfigurationDirectoryMode": {lines: "ConfigurationDirectoryMode=0555", prop: "ConfigurationDirectoryMode", want: "0555"},
		"Service.PrivateUsers":               {lines: "PrivateUsers=no", prop: "PrivateUsersEx", want: "no"},
		"Service.NonBlocking":                {lines: "NonBlocking=yes", prop: "NonBlocking", want: "yes"},
		"Service.IgnoreSIGPIPE":              {lines: "IgnoreSIGPIPE=no", prop: "IgnoreSIGPIPE", want: "no"},
		"Socket.RemoveOnStop":                {lines: "ListenStream=/s\nRemoveOnStop=no", prop: "RemoveOnStop", want: "no"},
		"Socket.SocketUser":                  {lines: "ListenStream=/s\nSocketUser=www-data", prop: "SocketUser", want: "www-data"},
		"Socket.SocketGroup":                 {lines: "ListenStream=/s\nSocketGroup=123", prop: "SocketGroup", want: "123"},
		"Socket.Accept":                      {lines: "ListenStream=/s\nAccept=yes", prop: "Accept", want: "yes"},
		"Socket.MaxConnections":              {lines: "ListenStream=/s\nMaxConnections=2", prop: "MaxConnections", want: "2"},
		"Socket.MaxConnectionsPerSource":     {lines: "ListenStream=/s\nMaxConnectionsPerSource=1", prop: "MaxConnectionsPerSource", want: "1"},
		"Socket.Service":                     {lines: "ListenStream=/s\nService=other.service", prop: "Triggers", want: "other.service"},
		"Socket.FileDescriptorName":          {lines: "ListenStream=/s\nFileDescriptorName=ctl", prop: "FileDescriptorName", want: "ctl"},
		"Slice.MemoryMax":                    {lines: "MemoryMax=1K", prop: "MemoryMax", want: "1024"},
		"Slice.TasksMax":                     {lines: "TasksMax=infinity", prop: "TasksMax", want: "infinity"},
	} {
		samples[k] = v
	}
}

// service parses a [Service] body of x.service.
func service(t *testing.T, body string) (*Service, []Warning, error) {
	t.Helper()
	u, w, err := parse(t, "x.service", "[Service]\n"+body)
	if err != nil {
		return nil, w, err
	}
	return u.Service, w, nil
}

func TestServiceDefaults(t *testing.T) {
	u := mustParse(t, "x.service", "[Service]\nExecStart=/bin/true\n")
	c := u.Service
	if c.Type != "simple" || c.KillMode != "control-group" || c.KillSignal != 15 ||
		c.TimeoutStart != 90*time.Second || c.TimeoutStop != 90*time.Second ||
		c.ProtectSystem != "no" || c.ProtectHome != "no" || c.StandardOutput != "journal" ||
		c.NoNewPrivileges || c.PrivateTmp || c.DynamicUser || c.Delegate || c.Restart != "no" ||
		c.RestartDelay != 100*time.Millisecond {
		t.Errorf("unexpected defaults: %+v", c)
	}
	if len(c.ExecStart) != 1 || !reflect.DeepEqual(c.ExecStart[0].Argv, []string{"/bin/true"}) {
		t.Errorf("ExecStart = %+v", c.ExecStart)
	}
	// As systemctl show prints a service with nothing set.
	want := map[string]string{"Type": "simple", "Restart": "no", "NotifyAccess": "none", "RestartUSec": "100ms",
		"TimeoutStartUSec": "1min 30s", "TimeoutStopUSec": "1min 30s", "RemainAfterExit": "no", "ReloadSignal": "1",
		"MemoryMax": "infinity", "TasksMax": "infinity", "StandardOutput": "journal", "StandardError": "inherit",
		"ProtectSystem": "no", "ProtectHome": "no", "ProtectProc": "default", "RestrictNamespaces": "no",
		"KillMode": "control-group", "KillSignal": "15", "DynamicUser": "no", "Environment": "",
		"Description": "x.service", "DefaultDependencies": "yes"}
	for p, v := range want {
		if got := property(t, u, p); got != v {
			t.Errorf("%s=%q, want %q", p, got, v)
		}
	}
	// The type's own properties come before the [Unit] ones.
	ps := Properties(u)
	if ps[0].Name != "Type" || ps[len(ps)-1].Name != "JobRunningTimeoutUSec" {
		t.Errorf("properties run from %s to %s", ps[0].Name, ps[len(ps)-1].Name)
	}
}

func TestServiceDynamicUser(t *testing.T) {
	c, _, err := service(t, "ExecStart=/bin/true\nDynamicUser=yes\nUser=foo\n")
	if err != nil {
		t.Fatal(err)
	}
	if !c.NoNewPrivileges || !c.RestrictSUIDSGID || !c.RemoveIPC || !c.PrivateTmp ||
		c.ProtectSystem != "strict" || c.ProtectHome != "read-only" || c.User != "foo" || c.Group != "foo" {
		t.Errorf("DynamicUser=yes implies too little: %+v", c)
	}
	// Explicit settings stronger than the implied ones are kept.
	c, _, err = service(t, "ExecStart=/bin/true\nDynamicUser=yes\nUser=foo\nGroup=bar\nProtectSystem=full\nProtectHome=yes\n")
	if err != nil {
		t.Fatal(err)
	}
	if c.Group != "bar" || c.ProtectSystem != "full" || c.ProtectHome != "yes" {
		t.Errorf("explicit settings overridden: Group=%s ProtectSystem=%s ProtectHome=%s", c.Group, c.ProtectSystem, c.ProtectHome)
	}
	if c.KeyringMode != "" {
		t.Errorf("KeyringMode = %q, want the manager's default", c.KeyringMode)
	}
	c, _, _ = service(t, "ExecStart=/bin/true\nKeyringMode=shared\n")
	if c.KeyringMode != keyring.Shared {
		t.Errorf("KeyringMode = %q", c.KeyringMode)
	}
}

// TestServiceRefused lists what refuses a unit: what systemd refuses too,
// types capsuled cannot run, and invalid sandboxing or limit settings.
func TestServiceRefused(t *testing.T) {
	tests := []struct {
		name, body, want string
	}{
		{"no ExecStart", "Type=simple\n", "Service has no ExecStart=, ExecStop=, or SuccessAction=. Refusing."},
		{"only ExecStop", "ExecStop=/bin/a\n", "Service has no ExecStart= and no SuccessAction= settings and does not have RemainAfterExit=yes set. Refusing."},
		{"simple with ExecStop only", "Type=simple\nExecStop=/bin/a\n", "Service has no ExecStart= setting, which is only allowed for Type=oneshot services. Refusing."},
		{"oneshot with ExecStop only", "Type=oneshot\nExecStop=/bin/a\n", "does not have RemainAfterExit=yes set"},
		{"oneshot with ExecStop, RemainAfterExit", "Type=oneshot\nExecStop=/bin/a\nRemainAfterExit=yes\n", ""},
		{"implied oneshot", "ExecStop=/bin/a\nRemainAfterExit=yes\n", ""},
		{"Type= reset", "Type=oneshot\nType=\nExecStop=/bin/a\nRemainAfterExit=yes\n", ""},
		{"idle", "Type=idle\nExecStart=/bin/a\n", ""},
		{"two ExecStart", "ExecStart=/bin/a\nExecStart=/bin/b\n", "more than one ExecStart= setting"},
		{"two ExecStart reset", "ExecStart=/bin/a\nExecStart=\nExecStart=/bin/b\n", ""},
		{"oneshot two", "Type=oneshot\nExecStart=/bin/a\nExecStart=/bin/b\n", ""},
		{"only bad ExecStart", "ExecStart=./run\n", "no ExecStart="},
		{"forking", "Type=forking\nExecStart=/bin/a\n", ""},
		{"dbus without BusName", "Type=dbus\nExecStart=/bin/a\n", "Service is of type D-Bus but no D-Bus service name has been specified. Refusing."},
		{"dbus", "Type=dbus\nBusName=org.example.A\nExecStart=/bin/a\n", ""},
		{"BusName implies dbus", "BusName=org.example.A\nExecStart=/bin/a\n", ""},
		{"KeyringMode bad", "ExecStart=/bin/a\nKeyringMode=none\n", "/u/x.service:3: invalid KeyringMode=none"},
		{"bad bool", "ExecStart=/bin/a\nPrivateTmp=maybe\n", "invalid PrivateTmp=maybe"},
		{"PrivateIPC bad", "ExecStart=/bin/a\nPrivateIPC=maybe\n", "invalid PrivateIPC=maybe"},
		{"ProtectProc bad", "ExecStart=/bin/a\nProtectProc=hidden\n", "invalid ProtectProc=hidden"},
		{"ProtectSystem bad", "ExecStart=/bin/a\nProtectSystem=strikt\n", "invalid ProtectSystem=strikt"},
		{"ProtectHome bad", "ExecStart=/bin/a\nProtectHome=ro\n", "invalid ProtectHome=ro"},
		{"User bad specifier", "ExecStart=/bin/a\nUser=%z\n", "/u/x.service:3: User=: "},
		{"Slice not a slice", "ExecStart=/bin/a\nSlice=x.service\n", "invalid Slice=x.service"},
		{"DynamicUser without User", "ExecStart=/bin/a\nDynamicUser=yes\n", ""},
		{"ProtectProc invisible", "ExecStart=/bin/a\nProtectProc=invisible\n", ""},
		{"KillMode none", "ExecStart=/bin/a\nKillMode=none\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := service(t, tt.body)
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

// TestServiceInvalidValues checks that a bad value warns with file:line
// and falls back as systemd does, to the default or an earlier line.
func TestServiceInvalidValues(t *testing.T) {
	tests := []struct {
		body string
		warn string
		prop string
		want string
	}{
		{"KillMode=everything", "/u/x.service:3: Failed to parse KillMode= value, ignoring: everything", "KillMode", "control-group"},
		{"KillSignal=SIGBOGUS", "/u/x.service:3: Failed to parse KillSignal= value, ignoring: SIGBOGUS", "KillSignal", "15"},
		{"TimeoutSec=10\nTimeoutSec=soon", "/u/x.service:4: Failed to parse TimeoutSec= value, ignoring: soon", "TimeoutStartUSec", "10s"},
		{"Restart=sometimes", "/u/x.service:3: Failed to parse Restart= value, ignoring: sometimes", "Restart", "no"},
		{"RestartSec=soon", "/u/x.service:3: Failed to parse RestartSec= value, ignoring: soon", "RestartUSec", "100ms"},
		{"Type=sometimes", "/u/x.service:3: Failed to parse Type= value, ignoring: sometimes", "Type", "simple"},
		{"RemainAfterExit=perhaps", "/u/x.service:3: Failed to parse RemainAfterExit= value, ignoring: perhaps", "RemainAfterExit", "no"},
		{"Environment=A=1 B", "/u/x.service:3: Invalid environment assignment, ignoring: B", "Environment", "A=1"},
		{"Environment=A='x", "/u/x.service:3: Invalid syntax, ignoring: A='x", "Environment", ""},
		{"StateDirectory=/var/lib/x ok", "/u/x.service:3: StateDirectory= path is not valid", "StateDirectory", "ok"},
		{"CacheDirectory=a/../../b", "/u/x.service:3: CacheDirectory= path is not valid", "CacheDirectory", ""},
		{"ExecStartPre=/bin/echo %z", "/u/x.service:3: Failed to resolve unit specifiers in /bin/echo %z, ignoring", "ExecStartPre", ""},
		{"ExecStartPost=./run", "/u/x.service:3: Failed to parse ExecStartPost= value, ignoring: ./run", "ExecStartPost", ""},
		{"WorkingDirectory=srv", "/u/x.service:3: Failed to parse WorkingDirectory= value, ignoring: srv", "WorkingDirectory", ""},
		{"StandardOutput=kmsg", "/u/x.service:3: Unsupported in capsuled: StandardOutput=kmsg (output goes to the unit's log only); ignoring.", "StandardOutput", "journal"},
		{"LogRateLimitBurst=-1", "/u/x.service:3: Failed to parse LogRateLimitBurst= value, ignoring: -1", "LogRateLimitBurst", "0"},
		{"OOMScoreAdjust=1001", "/u/x.service:3: Failed to parse OOMScoreAdjust= value, ignoring: 1001", "Type", "simple"},
		{"ReloadSignal=SIGBOGUS", "/u/x.service:3: Failed to parse ReloadSignal= value, ignoring: SIGBOGUS", "ReloadSignal", "1"},
		{"LogExtraFields=A=b", "/u/x.service:3: Unsupported in capsuled: LogExtraFields= (", "Type", "simple"},
		{"MemoryPressureWatch=auto", "/u/x.service:3: Unsupported in capsuled: MemoryPressureWatch= (", "Type", "simple"},
	}
	for _, tt := range tests {
		u, w, err := parse(t, "x.service", "[Service]\nExecStart=/bin/true\n"+tt.body+"\n")
		if err != nil {
			t.Errorf("%q: refused: %v", tt.body, err)
			continue
		}
		if len(w) != 1 || !strings.HasPrefix(w[0].String(), tt.warn) {
			t.Errorf("%q: warnings %q, want one starting %q", tt.body, w, tt.warn)
		}
		if got := property(t, u, tt.prop); got != tt.want {
			t.Errorf("%q: %s=%q, want %q", tt.body, tt.prop, got, tt.want)
		}
	}
}

func TestServiceDirectoryDots(t *testing.T) {
	c, _, err := service(t, "ExecStart=/bin/a\nStateDirectory=foo..bar\n")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"foo..bar"}; !reflect.DeepEqual(c.Dirs[DirState], want) {
		t.Errorf("StateDirectory = %q, want %q", c.Dirs[DirState], want)
	}
}

// TimeoutSec= sets both timeouts; a later line wins whichever it is.
func TestServiceTimeoutPrecedence(t *testing.T) {
	c, _, err := service(t, "ExecStart=/bin/a\nTimeoutSec=10\nTimeoutStartSec=5\n")
	if err != nil {
		t.Fatal(err)
	}
	if c.TimeoutStart != 5*time.Second || c.TimeoutStop != 10*time.Second {
		t.Fatalf("TimeoutStart=%v TimeoutStop=%v, want 5s and 10s", c.TimeoutStart, c.TimeoutStop)
	}
	c, _, _ = service(t, "ExecStart=/bin/a\nTimeoutStartSec=5\nTimeoutSec=10\nTimeoutStopSec=\n")
	if c.TimeoutStart != 10*time.Second || c.TimeoutStop != 90*time.Second {
		t.Fatalf("TimeoutStart=%v TimeoutStop=%v, want 10s and 90s", c.TimeoutStart, c.TimeoutStop)
	}
}

func TestParseSignal(t *testing.T) {
	tests := []struct {
		in   string
		want int
		ok   bool
	}{
		{"15", 15, true}, {"9", 9, true}, {"64", 64, true}, {"TERM", 15, true}, {"SIGTERM", 15, true},
		{"sigkill", 9, true}, {"SIGINT", 2, true}, {"hup", 1, true}, {"USR1", 10, true},
		{"0", 0, false}, {"65", 0, false}, {"-1", 0, false}, {"SIGFOO", 0, false}, {"", 0, false},
	}
	for _, tt := range tests {
		got, err := ParseSignal(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseSignal(%q) = %d, %v; want %d (ok=%v)", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestSocket(t *testing.T) {
	u := mustParse(t, "foo.socket", "[Socket]\nListenStream=/run/foo.sock\n")
	if s := u.Socket; s.Service != "foo.service" || s.FDName != "foo.socket" || s.Opts.SocketMode != 0o666 || s.Opts.DirectoryMode != 0o755 {
		t.Errorf("defaults: %+v", s)
	}
	refused := []struct{ body, want string }{
		{"", "Unit has no Listen setting (ListenStream=, ListenDatagram=, ListenFIFO=, ...). Refusing."},
		{"ListenStream=0", "Unit has no Listen setting"},
		{"ListenStream=/s\nAccept=yes\nService=bar.service", "Explicit service configuration for accepting socket units not supported. Refusing."},
		{"ListenStream=/s\nListenDatagram=127.0.0.1:8210\nAccept=yes", "Unit configured for accepting sockets, but sockets are non-accepting. Refusing."},
		{"ListenStream=/s\nAccept=yes\nMaxConnections=0", "MaxConnection= setting too small. Refusing."},
	}
	for _, tt := range refused {
		if _, _, err := parse(t, "foo.socket", "[Socket]\n"+tt.body+"\n"); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: error %v, want %q", tt.body, err, tt.want)
		}
	}
	warned := []struct{ body, warn, prop, want string }{
		{"SocketMode=rw", "/u/foo.socket:3: Failed to parse SocketMode= value, ignoring: rw", "SocketMode", "0666"},
		{"DirectoryMode=17777", "/u/foo.socket:3: Failed to parse DirectoryMode= value", "DirectoryMode", "0755"},
		{"Service=bar.target", "/u/foo.socket:3: Failed to parse Service= value, ignoring: bar.target", "Triggers", "foo.service"},
		{"FileDescriptorName=a:b", "/u/foo.socket:3: Failed to parse FileDescriptorName= value", "FileDescriptorName", "foo.socket"},
		{"Accept=maybe", "/u/foo.socket:3: Failed to parse Accept= value", "Accept", "no"},
		{"MaxConnections=-1", "/u/foo.socket:3: Failed to parse MaxConnections= value", "MaxConnections", "64"},
		{"ListenDatagram=x", "/u/foo.socket:3: Failed to parse address value in 'x', ignoring: Invalid argument", "Listen", "/s (Stream)"},
	}
	for _, tt := range warned {
		u, w, err := parse(t, "foo.socket", "[Socket]\nListenStream=/s\n"+tt.body+"\n")
		if err != nil {
			t.Errorf("%q: %v", tt.body, err)
			continue
		}
		if len(w) != 1 || !strings.HasPrefix(w[0].String(), tt.warn) {
			t.Errorf("%q: warnings %q, want %q", tt.body, w, tt.warn)
		}
		if got := property(t, u, tt.prop); got != tt.want {
			t.Errorf("%q: %s=%q, want %q", tt.body, tt.prop, got, tt.want)
		}
	}
	// An accepting socket triggers its instances, none of them named.
	u = mustParse(t, "foo.socket", "[Socket]\nListenStream=/s\nAccept=yes\n")
	if got := property(t, u, "Triggers"); got != "" || !u.Socket.Accept || u.Socket.MaxConnections != 64 {
		t.Errorf("Accept=yes: Triggers=%q, %+v", got, u.Socket)
	}
}

// A section of another unit type is unknown, as in systemd.
func TestForeignSection(t *testing.T) {
	_, w, err := parse(t, "x.target", "[Service]\nExecStart=/bin/true\nUser=x\n")
	if err != nil {
		t.Fatal(err)
	}
	if len(w) != 1 || w[0].String() != "/u/x.target:2: Unknown section 'Service'. Ignoring." {
		t.Errorf("warnings %q", w)
	}
}

// TestServiceImpliedType: without Type=, a service with no ExecStart= is a
// oneshot, as in systemd; otherwise simple.
func TestServiceImpliedType(t *testing.T) {
	tests := []struct{ body, want string }{
		{"ExecStart=/bin/a\n", "simple"},
		{"RemainAfterExit=yes\nExecStop=/bin/a\n", "oneshot"},
		{"Type=exec\nExecStart=/bin/a\n", "exec"},
		{"Type=idle\nExecStart=/bin/a\n", "idle"},
		{"Type=oneshot\nType=\nExecStart=/bin/a\n", "simple"},
	}
	for _, tt := range tests {
		c, _, err := service(t, tt.body)
		if err != nil {
			t.Fatalf("%q: %v", tt.body, err)
		}
		if c.Type != tt.want {
			t.Errorf("%q: Type = %q, want %q", tt.body, c.Type, tt.want)
		}
	}
}

// TestPIDFile: PIDFile= values as systemd 257 took them.
func TestPIDFile(t *testing.T) {
	tests := []struct{ v, want, warn string }{
		{"./no:such value", "/run/no:such value", ""},
		{"x.pid", "/run/x.pid", ""},
		{"/run/a//b.pid", "/run/a/b.pid", ""},
		{"foo/../x.pid", "", "PIDFile= path is not normalized, ignoring: /run/foo/../x.pid"},
		{"/var/run/x.pid", "/run/x.pid", "PIDFile= references a path below legacy directory /var/run/, updating /var/run/x.pid → /run/x.pid; please update the unit file accordingly."},
	}
	for _, tt := range tests {
		c, w, err := service(t, "Type=forking\nExecStart=/bin/a\nPIDFile="+tt.v+"\n")
		if err != nil {
			t.Fatal(err)
		}
		if c.PIDFile != tt.want {
			t.Errorf("PIDFile=%s: %q, want %q", tt.v, c.PIDFile, tt.want)
		}
		if got := ""; len(w) > 0 {
			got = w[0].String()
			if !strings.HasSuffix(got, tt.warn) || tt.warn == "" {
				t.Errorf("PIDFile=%s: warning %q, want %q", tt.v, got, tt.warn)
			}
		} else if tt.warn != "" {
			t.Errorf("PIDFile=%s: no warning, want %q", tt.v, tt.warn)
		}
	}
}
