package listen

import (
	"os"
	"time"
)

// Options are a socket unit's settings for its listeners. Zero values are
// systemd's defaults except where a field says otherwise (newOptions in
// unitconf sets those).
type Options struct {
	Backlog       int    // listen(2)'s backlog; the kernel caps it at somaxconn
	BindIPv6Only  string // "default", "both" or "ipv6-only"
	BindToDevice  string
	Protocol      int // SocketProtocol=: IPPROTO_UDPLITE or IPPROTO_SCTP, 0 the default
	FreeBind      bool
	Transparent   bool
	Broadcast     bool
	ReusePort     bool
	PassCred      bool
	PassSec       bool
	PassPktInfo   bool
	KeepAlive     bool
	NoDelay       bool
	KeepAliveTime time.Duration
	KeepAliveIntv time.Duration
	KeepAliveCnt  int
	DeferAccept   time.Duration
	ReceiveBuffer int
	SendBuffer    int
	Priority      int    // -1: unset
	IPTOS         int    // -1: unset
	IPTTL         int    // -1: unset
	Mark          int    // -1: unset
	Timestamping  string // "off", "us" or "ns"
	TCPCongestion string

	SocketMode    os.FileMode
	DirectoryMode os.FileMode
	PipeSize      int
	Writable      bool // ListenSpecial= opened read-write
	MQMaxMsg      int64
	MQMsgSize     int64

	// UID and GID own the file system nodes (SocketUser=, SocketGroup=);
	// -1 leaves the manager's.
	UID, GID int

	// FIFOUmask is the manager's umask, which systemd's mkfifo leaves in
	// force (its sockets get SocketMode= exactly): 0 for the system
	// manager, as PID 1 runs with none; 0022 for a capsule's, so that a
	// FIFO made 0666 is 0644.
	FIFOUmask os.FileMode
}

// Defaults are systemd 257's: Backlog=SOMAXCONN_DELUXE, modes 0666 and
// 0755, the -1 "unset" of the numeric socket options.
func Defaults() Options {
	return Options{Backlog: 2147483647, BindIPv6Only: "default", Priority: -1, IPTOS: -1, IPTTL: -1, Mark: -1,
		Timestamping: "off", SocketMode: 0o666, DirectoryMode: 0o755, UID: -1, GID: -1}
}
