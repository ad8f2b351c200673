package busface

import (
	"encoding/xml"
	"reflect"
	"testing"

	"github.com/godbus/dbus/v5"
	"github.com/godbus/dbus/v5/introspect"
)

// TestIntrospection: each object of the manager's tree lists the next one
// down to /org/freedesktop/systemd1 (busctl tree walks that chain), every
// one has Peer and Introspectable, and only the manager's object lists the
// Manager interface, with just what the face implements.
func TestIntrospection(t *testing.T) {
	for _, tt := range []struct {
		path   dbus.ObjectPath
		ifaces []string
		nodes  []string
	}{
		{"/", []string{peerIface, introIface}, []string{"org"}},
		{"/org", []string{peerIface, introIface}, []string{"freedesktop"}},
		{"/org/freedesktop", []string{peerIface, introIface}, []string{"systemd1"}},
		{managerPath, []string{peerIface, introIface, managerIface}, nil},
	} {
		t.Run(string(tt.path), func(t *testing.T) {
			var n introspect.Node
			if err := xml.Unmarshal([]byte(introspection(tt.path)), &n); err != nil {
				t.Fatalf("not XML: %v\n%s", err, introspection(tt.path))
			}
			var ifaces, nodes []string
			for _, i := range n.Interfaces {
				ifaces = append(ifaces, i.Name)
			}
			for _, c := range n.Children {
				nodes = append(nodes, c.Name)
			}
			if !reflect.DeepEqual(ifaces, tt.ifaces) || !reflect.DeepEqual(nodes, tt.nodes) {
				t.Errorf("interfaces %q nodes %q, want %q %q", ifaces, nodes, tt.ifaces, tt.nodes)
			}
			if tt.path == managerPath {
				m := n.Interfaces[2].Methods
				if len(m) != 1 || m[0].Name != "SetEnvironment" || m[0].Args[0].Type != "as" {
					t.Errorf("Manager methods: %+v", m)
				}
			}
		})
	}
}

// TestPeerCalls: only a call of Peer.GetMachineId on the manager's objects is routed to the face's
// own answer; Ping and everything else pass unchanged.
func TestPeerCalls(t *testing.T) {
	for _, tt := range []struct {
		typ           dbus.Type
		path          dbus.ObjectPath
		iface, member string
		want          string
	}{
		{dbus.TypeMethodCall, managerPath, peerIface, "GetMachineId", machinePeer},
		{dbus.TypeMethodCall, "/", peerIface, "GetMachineId", machinePeer},
		{dbus.TypeMethodCall, "/other", peerIface, "GetMachineId", peerIface},
		{dbus.TypeMethodCall, managerPath, peerIface, "Ping", peerIface},
		{dbus.TypeMethodCall, managerPath, managerIface, "GetMachineId", managerIface},
		{dbus.TypeSignal, managerPath, peerIface, "GetMachineId", peerIface},
	} {
		m := &dbus.Message{Type: tt.typ, Headers: map[dbus.HeaderField]dbus.Variant{dbus.FieldPath: dbus.MakeVariant(tt.path),
			dbus.FieldInterface: dbus.MakeVariant(tt.iface), dbus.FieldMember: dbus.MakeVariant(tt.member)}}
		peerCalls(m)
		if got := m.Headers[dbus.FieldInterface].Value(); got != tt.want {
			t.Errorf("%v %s.%s: routed to %v, want %s", tt.typ, tt.iface, tt.member, got, tt.want)
		}
	}
}
