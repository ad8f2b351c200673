package busface

import (
	"os"
	"strings"

	"github.com/godbus/dbus/v5"
)

const (
	managerPath  = "/org/freedesktop/systemd1"
	managerIface = "org.freedesktop.systemd1.Manager"
	peerIface    = "org.freedesktop.DBus.Peer"
	introIface   = "org.freedesktop.DBus.Introspectable"
	// machinePeer is where GetMachineId calls are routed (see peerCalls):
	// godbus answers Peer itself, with the bus's ID rather than the
	// machine's.
	machinePeer = "org.capsuled.internal.Peer"
)

// objectChild is the one child node each object of the manager's tree
// lists, "" for the leaf: busctl tree walks from "/" down this chain.
func objectChild(path dbus.ObjectPath) (child string, ok bool) {
	switch path {
	case "/":
		return "org", true
	case "/org":
		return "freedesktop", true
	case "/org/freedesktop":
		return "systemd1", true
	case managerPath:
		return "", true
	}
	return "", false
}

// introspection is what Introspect answers on path: Peer and
// Introspectable everywhere, and on /org/freedesktop/systemd1 the one
// method of org.freedesktop.systemd1.Manager the face implements. The
// layout is sd-bus's.
func introspection(path dbus.ObjectPath) string {
	child, _ := objectChild(path)
	var b strings.Builder
	b.WriteString(`<!DOCTYPE node PUBLIC "-//freedesktop//DTD D-BUS Object Introspection 1.0//EN"
"https://www.freedesktop.org/standards/dbus/1.0/introspect.dtd">
<node>
 <interface name="org.freedesktop.DBus.Peer">
  <method name="Ping"/>
  <method name="GetMachineId">
   <arg type="s" name="machine_uuid" direction="out"/>
  </method>
 </interface>
 <interface name="org.freedesktop.DBus.Introspectable">
  <method name="Introspect">
   <arg name="xml_data" type="s" direction="out"/>
  </method>
 </interface>
`)
	if path == managerPath {
		b.WriteString(` <interface name="org.freedesktop.systemd1.Manager">
  <method name="SetEnvironment">
   <arg type="as" name="assignments" direction="in"/>
  </method>
 </interface>
`)
	}
	if child != "" {
		b.WriteString(` <node name="` + child + `"/>
`)
	}
	b.WriteString("</node>\n")
	return b.String()
}

// exportObjects makes Introspect and Peer answer on each object of the
// manager's tree.
func exportObjects(c *dbus.Conn) error {
	for _, p := range []dbus.ObjectPath{"/", "/org", "/org/freedesktop", managerPath} {
		xml := introspection(p)
		intro := map[string]any{"Introspect": func() (string, *dbus.Error) { return xml, nil }}
		if err := c.ExportMethodTable(intro, p, introIface); err != nil {
			return err
		}
		if err := c.ExportMethodTable(map[string]any{"GetMachineId": machineID}, p, machinePeer); err != nil {
			return err
		}
	}
	return nil
}

// peerCalls routes Peer.GetMachineId on the manager's objects to
// machinePeer, before godbus would answer it itself with the bus's ID;
// Ping stays godbus's.
func peerCalls(m *dbus.Message) {
	if m.Type != dbus.TypeMethodCall {
		return
	}
	iface, _ := m.Headers[dbus.FieldInterface].Value().(string)
	member, _ := m.Headers[dbus.FieldMember].Value().(string)
	path, _ := m.Headers[dbus.FieldPath].Value().(dbus.ObjectPath)
	if _, ours := objectChild(path); ours && iface == peerIface && member == "GetMachineId" {
		m.Headers[dbus.FieldInterface] = dbus.MakeVariant(machinePeer)
	}
}

// machineID answers GetMachineId as sd-bus does: the machine's ID from
// /etc/machine-id.
func machineID() (string, *dbus.Error) {
	b, err := os.ReadFile("/etc/machine-id")
	id := strings.TrimSpace(string(b))
	if err != nil || len(id) != 32 {
		return "", dbus.NewError("org.freedesktop.DBus.Error.FileNotFound", []any{"No machine ID set."})
	}
	return id, nil
}
