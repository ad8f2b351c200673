# A service on a capsule's bus for capsulectl bus's tests: owns argv[1],
# serves /org/bc/Test with a method, a hostile reply, a property and a
# signal.
import sys

import dbus
import dbus.service
from dbus.mainloop.glib import DBusGMainLoop
from gi.repository import GLib

DBusGMainLoop(set_as_default=True)
bus = dbus.SessionBus()


class Test(dbus.service.Object):
    def __init__(self):
        super().__init__(bus, '/org/bc/Test')
        self.label = 'first'

    @dbus.service.method('org.bc.Test', in_signature='s', out_signature='s')
    def Hello(self, s):
        return 'hi ' + s

    @dbus.service.method('org.bc.Test', in_signature='', out_signature='sa{sv}(ib)')
    def Hostile(self):
        # Terminal controls, a forged monitor line, a bidi override.
        return ('\x1b]0;pwned\x07\n\u2023 Type=forged',
                {'k\x1b[2J': dbus.String('v\u202e', variant_level=1)},
                (dbus.Int32(-7), True))

    @dbus.service.method('org.freedesktop.DBus.Properties', in_signature='ss', out_signature='v')
    def Get(self, iface, prop):
        return dbus.String(self.label, variant_level=1)

    @dbus.service.method('org.freedesktop.DBus.Properties', in_signature='s', out_signature='a{sv}')
    def GetAll(self, iface):
        return {'Label': dbus.String(self.label, variant_level=1)}

    @dbus.service.method('org.freedesktop.DBus.Properties', in_signature='ssv')
    def Set(self, iface, prop, value):
        self.label = str(value)

    @dbus.service.signal('org.bc.Test', signature='s')
    def Changed(self, s):
        pass


obj = Test()
name = dbus.service.BusName(sys.argv[1], bus)
GLib.MainLoop().run()
