// Package executor starts unit processes. Go cannot run code between fork and
// exec, so a process that needs a sandbox is started through the manager's
// own binary re-executed as an executor: it reads a Context from fd 3, sets up
// the mount namespace and credentials, then execs the command.
package executor

import "os"

// Context is everything the executor needs to turn itself into the command.
type Context struct {
	Path string   `json:"path"`
	Argv []string `json:"argv"`
	Env  []string `json:"env"`
	Dir  string   `json:"dir,omitempty"`
	// Unit names the unit in the lines a failing executor leaves in its
	// log, as systemd's do.
	Unit string `json:"unit,omitempty"`

	// Credentials are applied only when SetCreds is true.
	SetCreds bool     `json:"setCreds,omitempty"`
	UID      uint32   `json:"uid"`
	GID      uint32   `json:"gid"`
	Groups   []uint32 `json:"groups,omitempty"`

	// Keyring is KeyringMode= ("private", "shared"; empty inherits); the
	// new session keyring records InvocationID (32 hex digits).
	Keyring      string `json:"keyring,omitempty"`
	InvocationID string `json:"invocationID,omitempty"`

	NoNewPrivs bool `json:"noNewPrivs,omitempty"`
	// KeepSIGPIPE (IgnoreSIGPIPE=no) leaves SIGPIPE's default action to
	// the command; without it the command starts with SIGPIPE ignored.
	KeepSIGPIPE bool `json:"keepSIGPIPE,omitempty"`
	// OOMScoreAdjust, when set, is written to the process's
	// oom_score_adj before its credentials change (OOMScoreAdjust=).
	OOMScoreAdjust *int `json:"oomScoreAdjust,omitempty"`
	// RestrictSUIDSGID forbids creating set-user/group-ID files (seccomp);
	// it needs NoNewPrivs.
	RestrictSUIDSGID bool `json:"restrictSUIDSGID,omitempty"`
	// RestrictNamespaces are the CLONE_NEW* flags of namespace types the
	// command may neither create nor join (seccomp); it needs NoNewPrivs
	// unless the command runs as root.
	RestrictNamespaces uint32 `json:"restrictNamespaces,omitempty"`
	// RefuseKeyUpcalls makes request_key(2) fail (seccomp): it would have
	// root run /sbin/request-key on the caller's behalf. It needs
	// NoNewPrivs.
	RefuseKeyUpcalls bool `json:"refuseKeyUpcalls,omitempty"`

	// ScopeLandlock puts the command into a Landlock domain of its own
	// that cannot reach abstract unix sockets or signal processes outside
	// it (needs Landlock ABI 6; the caller checks). Only the outermost
	// sandbox sets it: a nested domain would cut a unit off from its own
	// capsule's abstract sockets.
	ScopeLandlock bool `json:"scopeLandlock,omitempty"`

	Mounts *MountPlan `json:"mounts,omitempty"`

	// Syscalls are the system call filters of SystemCallFilter= and the
	// settings that check arguments (installed last, before the exec).
	Syscalls *SyscallPlan `json:"syscalls,omitempty"`
	// Caps are CapabilityBoundingSet= and AmbientCapabilities=.
	Caps *Capabilities `json:"caps,omitempty"`

	// IPCNamespace, when set, is an IPC namespace the process joins
	// (PrivateIPC=: every process of an invocation shares the one its
	// first process got); Command passes it at IPCNamespaceFD.
	IPCNamespace   *os.File `json:"-"`
	IPCNamespaceFD int      `json:"ipcNamespaceFD,omitempty"`
	// NetNamespace, likewise, is PrivateNetwork='s network namespace of
	// the invocation, passed at NetNamespaceFD.
	NetNamespace   *os.File `json:"-"`
	NetNamespaceFD int      `json:"netNamespaceFD,omitempty"`
	// ExecReport, when set, is the write end of a pipe that tells the
	// manager whether the command's execve() succeeded (Type=exec): it
	// is closed on exec, and a failing executor writes a byte to it
	// before it exits. Command passes it at ExecReportFD.
	ExecReport   *os.File `json:"-"`
	ExecReportFD int      `json:"execReportFD,omitempty"`

	// JoinCgroups are cgroup.procs files of v1 hierarchies the process
	// moves itself to first, so everything the command forks stays there.
	JoinCgroups []string `json:"joinCgroups,omitempty"`

	// ListenFDs sockets are passed at fds 3 and up (socket activation);
	// LISTEN_PID can only be set by the process itself, before exec.
	ListenFDs int      `json:"listenFDs,omitempty"`
	FDNames   []string `json:"fdNames,omitempty"`
	// NonBlocking sets O_NONBLOCK on the passed sockets (NonBlocking=).
	NonBlocking bool `json:"nonBlocking,omitempty"`

	// Attrs are the process attributes (limits, priorities, umask,
	// standard streams) of systemd.exec(5); nil sets none.
	Attrs *Attrs `json:"attrs,omitempty"`
}

// MountPlan describes the private mount namespace of a sandboxed process.
type MountPlan struct {
	// Staging is an existing empty directory on the host where the new root
	// is assembled before pivot_root.
	Staging string `json:"staging"`
	// ReadOnly makes every mount of the cloned tree read-only
	// (ProtectSystem=strict); writable places are added back as Binds.
	ReadOnly bool    `json:"readOnly,omitempty"`
	Tmpfs    []Tmpfs `json:"tmpfs,omitempty"`
	// ProcHidePID, when set, replaces /proc with a procfs instance of its
	// own mounted with hidepid= this (ProtectProc=: "invisible" hides the
	// processes of other users).
	ProcHidePID string `json:"procHidePID,omitempty"`
	// ProcSubsetPID mounts that /proc with subset=pid (ProcSubset=pid).
	ProcSubsetPID bool `json:"procSubsetPID,omitempty"`
	// DevPts, when set, gets a devpts instance of its own (PrivateDevices=).
	DevPts string `json:"devPts,omitempty"`
	// Paths are the path settings' mounts, after Tmpfs, before Binds.
	Paths []PathMount `json:"paths,omitempty"`
	Binds []Bind      `json:"binds,omitempty"`
}

// Tmpfs mounts a fresh tmpfs, e.g. a private /tmp or a cover that hides a
// directory's other entries.
type Tmpfs struct {
	Path string `json:"path"`
	Mode uint32 `json:"mode"`
	// Dirs are created inside the fresh tmpfs (as mount points for binds).
	Dirs []string `json:"dirs,omitempty"`
	// Files are created empty inside it (as mount points for file binds).
	Files []string `json:"files,omitempty"`
	// Links are symbolic links created inside it, name to target.
	Links [][2]string `json:"links,omitempty"`
	// Size and Inodes bound a tmpfs the unit can write to; 0 leaves the
	// kernel's default (half of RAM).
	Size   uint64 `json:"size,omitempty"`
	Inodes uint64 `json:"inodes,omitempty"`
}

// Bind makes a host path visible at Target inside the sandbox.
type Bind struct {
	Source   string `json:"source"`
	Target   string `json:"target"`
	ReadOnly bool   `json:"readOnly,omitempty"`
	NoSuid   bool   `json:"noSuid,omitempty"`
	NoDev    bool   `json:"noDev,omitempty"`
	NoExec   bool   `json:"noExec,omitempty"`
	// IDMap, when set, shows files owned by IDMap.From on disk as owned by
	// IDMap.To inside the sandbox (ID-mapped mount).
	IDMap *IDMap `json:"idmap,omitempty"`
}

// IDMap maps one on-disk ID to one ID seen through the mount; 0 stays 0.
type IDMap struct {
	From uint32 `json:"from"`
	To   uint32 `json:"to"`
}
