// Command activation is a socket-activated server written against
// go-systemd's activation package, as such programs are written for
// systemd: it serves every socket it is passed, answering with the
// socket's name.
package main

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"

	"github.com/coreos/go-systemd/v22/activation"
)

func main() {
	byName, err := activation.ListenersWithNames()
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	names := make([]string, 0, len(byName))
	for n := range byName {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		for _, l := range byName[n] {
			fmt.Printf("listener %s %s\n", n, filepath.Base(l.Addr().String()))
			go serve(n, l)
		}
	}
	// The package unsets the variables once it took the sockets.
	fmt.Printf("env LISTEN_PID=%q LISTEN_FDS=%q LISTEN_FDNAMES=%q\n", os.Getenv("LISTEN_PID"), os.Getenv("LISTEN_FDS"), os.Getenv("LISTEN_FDNAMES"))
	select {}
}

func serve(name string, l net.Listener) {
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		fmt.Fprintf(c, "hello from %s\n", name)
		c.Close()
	}
}
