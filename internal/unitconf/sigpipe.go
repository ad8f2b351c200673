package unitconf

// IgnoreSIGPIPE= (default yes) starts the service's processes with SIGPIPE
// ignored, as systemd does; Service.KeepSIGPIPE is its negation, so the
// zero value is the default.
func sigpipeDirective() Directive {
	return Directive{Key: "IgnoreSIGPIPE", Props: []string{"IgnoreSIGPIPE"}, Parse: func(c *parseCtx, v string) error {
		ignore := true
		if err := parseBoolInto(&ignore, v, true); err != nil {
			return err
		}
		svc(c).KeepSIGPIPE = !ignore
		return nil
	}}
}

func sigpipeProp() Property {
	return Property{Name: "IgnoreSIGPIPE", Format: func(u *Unit) string { return FormatBool(!u.Service.KeepSIGPIPE) }}
}
