package unitconf

import (
	"fmt"
	"strconv"
)

// defaultDirMode is the mode of exec directories without
// RuntimeDirectoryMode= and its siblings, as in systemd.
const defaultDirMode = 0o755

// DirMode is the mode (with setuid, setgid and sticky bits, as chmod(2)
// takes it) exec directories of kind d get.
func (s *Service) DirMode(d DirType) uint32 {
	if m, ok := s.DirModes[d]; ok {
		return m
	}
	return defaultDirMode
}

// dirMode parses RuntimeDirectoryMode= and its siblings: an octal mode.
func dirMode(d DirType) func(c *parseCtx, v string) error {
	return func(c *parseCtx, v string) error {
		s := svc(c)
		if v == "" {
			delete(s.DirModes, d)
			return nil
		}
		n, err := strconv.ParseUint(v, 8, 32)
		if err != nil || n > 0o7777 {
			return fmt.Errorf("invalid mode: %s", v)
		}
		if s.DirModes == nil {
			s.DirModes = map[DirType]uint32{}
		}
		s.DirModes[d] = uint32(n)
		return nil
	}
}

func dirModeDirectives() []Directive {
	var ds []Directive
	for _, d := range DirTypes {
		ds = append(ds, Directive{Key: d.Key() + "Mode", Props: []string{d.Key() + "Mode"}, Parse: dirMode(d)})
	}
	return ds
}

func dirModeProps() []Property {
	var ps []Property
	for _, d := range DirTypes {
		ps = append(ps, Property{Name: d.Key() + "Mode", Format: func(u *Unit) string { return fmt.Sprintf("%04o", u.Service.DirMode(d)) }})
	}
	return ps
}
