package unitconf

import (
	"reflect"
	"testing"

	"golang.org/x/sys/unix"
)

func init() {
	for k, s := range map[string]sample{
		"Service.UMask":                    {lines: "UMask=0077", prop: "UMask", want: "0077"},
		"Service.Nice":                     {lines: "Nice=-5", prop: "Nice", want: "-5"},
		"Service.CPUSchedulingPolicy":      {lines: "CPUSchedulingPolicy=fifo", prop: "CPUSchedulingPriority", want: "1"},
		"Service.CPUSchedulingPriority":    {lines: "CPUSchedulingPolicy=rr\nCPUSchedulingPriority=20", prop: "CPUSchedulingPolicy", want: "2"},
		"Service.CPUSchedulingResetOnFork": {lines: "CPUSchedulingResetOnFork=yes", prop: "CPUSchedulingResetOnFork", want: "yes"},
		"Service.IOSchedulingClass":        {lines: "IOSchedulingClass=idle", prop: "IOSchedulingClass", want: "3"},
		"Service.IOSchedulingPriority":     {lines: "IOSchedulingPriority=7", prop: "IOSchedulingClass", want: "2"},
		"Service.CPUAffinity":              {lines: "CPUAffinity=0-2,5\nCPUAffinity=7 1", prop: "CPUAffinity", want: "0-2 5 7"},
		"Service.StandardInput":            {lines: "StandardInput=file:/etc/hostname", prop: "StandardInput", want: "file:/etc/hostname"},
		"Service.StandardInputText":        {lines: "StandardInputText=a %n\nStandardInputText= b", prop: "StandardInputData", want: "YSB4LnNlcnZpY2UKYgo="},
		"Service.StandardInputData":        {lines: "StandardInputData=aGVs\n StandardInputData=bG8=", prop: "StandardInputData", want: "aGVsbG8="},
		"Service.StandardOutput":           {lines: "StandardOutput=append:/var/log/%N.log", prop: "StandardOutput", want: "append:/var/log/x.log"},
		"Service.StandardError":            {lines: "StandardError=truncate:/e", prop: "StandardError", want: "truncate:/e"},
		"Service.TTYPath":                  {lines: "TTYPath=/dev/tty9", prop: "TTYPath", want: "/dev/tty9"},
		"Service.SyslogIdentifier":         {lines: "SyslogIdentifier=%N-d", prop: "SyslogIdentifier", want: "x-d"},
		"Service.LimitCPU":                 {lines: "LimitCPU=1h", prop: "LimitCPU", want: "3600"},
		"Service.LimitFSIZE":               {lines: "LimitFSIZE=1K:2M", prop: "LimitFSIZESoft", want: "1024"},
		"Service.LimitDATA":                {lines: "LimitDATA=infinity", prop: "LimitDATA", want: "infinity"},
		"Service.LimitSTACK":               {lines: "LimitSTACK=8M:infinity", prop: "LimitSTACK", want: "infinity"},
		"Service.LimitCORE":                {lines: "LimitCORE=0", prop: "LimitCORE", want: "0"},
		"Service.LimitRSS":                 {lines: "LimitRSS=1G", prop: "LimitRSSSoft", want: "1073741824"},
		"Service.LimitNOFILE":              {lines: "LimitNOFILE=4096:900000", prop: "LimitNOFILE", want: "900000"},
		"Service.LimitAS":                  {lines: "LimitAS=2G", prop: "LimitAS", want: "2147483648"},
		"Service.LimitNPROC":               {lines: "LimitNPROC=100", prop: "LimitNPROC", want: "100"},
		"Service.LimitMEMLOCK":             {lines: "LimitMEMLOCK=64K", prop: "LimitMEMLOCK", want: "65536"},
		"Service.LimitLOCKS":               {lines: "LimitLOCKS=10", prop: "LimitLOCKS", want: "10"},
		"Service.LimitSIGPENDING":          {lines: "LimitSIGPENDING=10:20", prop: "LimitSIGPENDINGSoft", want: "10"},
		"Service.LimitMSGQUEUE":            {lines: "LimitMSGQUEUE=1M", prop: "LimitMSGQUEUE", want: "1048576"},
		"Service.LimitNICE":                {lines: "LimitNICE=-5", prop: "LimitNICE", want: "25"},
		"Service.LimitRTPRIO":              {lines: "LimitRTPRIO=0", prop: "LimitRTPRIO", want: "0"},
		"Service.SupplementaryGroups":      {lines: "SupplementaryGroups=audio video\nSupplementaryGroups=\nSupplementaryGroups=mail", prop: "SupplementaryGroups", want: "mail"},
		// systemd 257: lines add up, a line with a relative path is ignored.
		"Service.ExecSearchPath": {lines: "ExecSearchPath=/x\nExecSearchPath=\nExecSearchPath=/opt/a:/opt/b\nExecSearchPath=rel:/c", prop: "ExecSearchPath", want: "/opt/a /opt/b"},
		"Service.LimitRTTIME":    {lines: "LimitRTTIME=1s", prop: "LimitRTTIME", want: "1000000"},
	} {
		samples[k] = s
	}
	freeText["Service.StandardInputText"] = true
	freeText["Service.SyslogIdentifier"] = true
}

func TestExecAttrValues(t *testing.T) {
	for _, tt := range []struct {
		lines string
		check func(s *Service) bool
		warns int
	}{
		{"WorkingDirectory=-/nonexistent", func(s *Service) bool { return s.WorkingDirectory == "/nonexistent" && s.WorkingDirMissingOK }, 0},
		{"WorkingDirectory=~", func(s *Service) bool { return s.WorkingDirectory == "~" && !s.WorkingDirMissingOK }, 0},
		{"WorkingDirectory=rel", func(s *Service) bool { return s.WorkingDirectory == "" }, 1},
		{"Nice=-21", func(s *Service) bool { return s.Nice == nil }, 1},
		{"Nice=19\nNice=", func(s *Service) bool { return s.Nice == nil }, 0},
		{"UMask=0999", func(s *Service) bool { return s.UMask == 0o022 }, 1},
		{"LimitNOFILE=10:5", func(s *Service) bool { return s.Limits == nil }, 1},
		{"LimitNOFILE=10\nLimitNOFILE=", func(s *Service) bool { return len(s.Limits) == 0 }, 0},
		{"LimitCPU=1500ms", func(s *Service) bool { return s.Limits[unix.RLIMIT_CPU] == Rlimit{2, 2} }, 0},
		{"LimitNICE=40", func(s *Service) bool { return s.Limits[unix.RLIMIT_NICE] == Rlimit{40, 40} }, 0},
		{"LimitNICE=41", func(s *Service) bool { return s.Limits == nil }, 1},
		{"CPUSchedulingPriority=50\nCPUSchedulingPolicy=fifo", func(s *Service) bool { return *s.CPUSchedPolicy == 1 && s.CPUSchedPriority == 50 }, 0},
		{"CPUSchedulingPriority=50\nCPUSchedulingPolicy=batch", func(s *Service) bool { return *s.CPUSchedPolicy == 3 && s.CPUSchedPriority == 0 }, 0},
		{"CPUSchedulingPolicy=deadline", func(s *Service) bool { return s.CPUSchedPolicy == nil }, 1},
		{"IOSchedulingClass=realtime\nIOSchedulingPriority=0", func(s *Service) bool { return *s.IOSchedClass == 1 && s.IOSchedPriority == 0 }, 0},
		{"IOSchedulingPriority=8", func(s *Service) bool { return s.IOSchedClass == nil }, 1},
		{"CPUAffinity=3-1", func(s *Service) bool { return s.CPUAffinity == nil }, 1},
		{"StandardInputText=hi", func(s *Service) bool { return s.StandardInput == "data" && string(s.StandardInputData) == "hi\n" }, 0},
		{"StandardInput=socket", func(s *Service) bool { return s.StandardInput == "socket" && s.StandardOutput == "inherit" }, 0},
		{"StandardInput=socket\nStandardOutput=journal", func(s *Service) bool { return s.StandardOutput == "journal" }, 0},
		{"StandardInput=fd:x", func(s *Service) bool { return s.StandardInput == "null" }, 1},
		{"StandardOutput=socket\nStandardError=socket", func(s *Service) bool { return s.StandardOutput == "socket" && s.StandardError == "socket" }, 0},
		{"StandardInput=tty", func(s *Service) bool { return s.StandardOutput == "inherit" && s.TTYPath == "/dev/console" }, 0},
		{"StandardInput=tty\nStandardOutput=journal", func(s *Service) bool { return s.StandardOutput == "journal" }, 0},
		{"StandardOutput=kmsg", func(s *Service) bool { return s.StandardOutput == "journal" }, 1},
		{"StandardOutput=fd:x", func(s *Service) bool { return s.StandardOutput == "journal" }, 1},
		{"StandardOutput=file:rel", func(s *Service) bool { return s.StandardOutput == "journal" }, 1},
		{"StandardError=null", func(s *Service) bool { return s.StandardError == "null" }, 0},
		{"TTYReset=yes", func(s *Service) bool { return true }, 1},
		{"DynamicUser=yes", func(s *Service) bool { return s.User == "x" && s.Group == "x" }, 0},
	} {
		u, w, err := parse(t, "x.service", "[Service]\nExecStart=/bin/true\n"+tt.lines+"\n")
		if err != nil {
			t.Errorf("%q: %v", tt.lines, err)
			continue
		}
		if len(w) != tt.warns || !tt.check(u.Service) {
			t.Errorf("%q: warnings %v, service %+v", tt.lines, w, u.Service.ExecAttrs)
		}
	}
	if _, _, err := parse(t, "x.service", "[Service]\nExecStart=/bin/true\nStandardInput=data\n"); err == nil {
		t.Errorf("StandardInput=data without data: loaded")
	}
}

func TestFormatCPUSet(t *testing.T) {
	for _, tt := range []struct {
		in   []int
		want string
	}{{nil, ""}, {[]int{0}, "0"}, {[]int{0, 1, 2, 4, 6, 7}, "0-2 4 6-7"}} {
		if got := formatCPUSet(tt.in); got != tt.want {
			t.Errorf("%v: %q, want %q", tt.in, got, tt.want)
		}
	}
	_ = reflect.DeepEqual
}
