package control

import (
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/godbus/dbus/v5"

	"github.com/capsuled/capsuled/internal/api"
)

// busNames lists the names on the capsule's own bus at addr; connecting
// starts the broker if it is socket-activated.
func busNames(addr string) (api.BusNames, error) {
	var out api.BusNames
	conn, err := dbus.Dial(addr)
	if err != nil {
		return out, fmt.Errorf("connect to the capsule's bus at %s: %w", addr, err)
	}
	defer conn.Close()
	if err := conn.Auth(nil); err != nil {
		return out, fmt.Errorf("authenticate on the capsule's bus: %w", err)
	}
	if err := conn.Hello(); err != nil {
		return out, fmt.Errorf("hello on the capsule's bus: %w", err)
	}
	bus := conn.BusObject()
	var names, activatable []string
	if err := bus.Call("org.freedesktop.DBus.ListNames", 0).Store(&names); err != nil {
		return out, fmt.Errorf("list names: %w", err)
	}
	if err := bus.Call("org.freedesktop.DBus.ListActivatableNames", 0).Store(&activatable); err != nil {
		return out, fmt.Errorf("list activatable names: %w", err)
	}
	seen := map[string]bool{}
	for _, n := range names {
		seen[n] = true
		bn := api.BusName{Name: n}
		var pid uint32
		if err := bus.Call("org.freedesktop.DBus.GetConnectionUnixProcessID", 0, n).Store(&pid); err == nil {
			bn.PID = int(pid)
			comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
			bn.Process = strings.TrimSpace(string(comm))
		}
		if !strings.HasPrefix(n, ":") && n != "org.freedesktop.DBus" {
			var owner string
			if err := bus.Call("org.freedesktop.DBus.GetNameOwner", 0, n).Store(&owner); err == nil {
				bn.Connection = owner
			}
		} else if strings.HasPrefix(n, ":") {
			bn.Connection = n
		}
		out.Names = append(out.Names, bn)
	}
	for _, n := range activatable {
		if !seen[n] {
			out.Names = append(out.Names, api.BusName{Name: n, Activatable: true})
		}
	}
	sort.Slice(out.Names, func(i, j int) bool { return out.Names[i].Name < out.Names[j].Name })
	return out, nil
}
