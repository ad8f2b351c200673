package api

// Methods on unit files and on a unit's processes.
const (
	MethodCatUnit       = Interface + ".CatUnit"
	MethodKillUnit      = Interface + ".KillUnit"
	MethodListUnitFiles = Interface + ".ListUnitFiles"
	MethodMaskUnit      = Interface + ".MaskUnit"
	MethodUnmaskUnit    = Interface + ".UnmaskUnit"
	MethodEditUnit      = Interface + ".EditUnit"
)

// UnitFile is one file of a unit and its text.
type UnitFile struct {
	Path    string `json:"path"`
	Content string `json:"content"`
}

// Cat is the reply of CatUnit.
type Cat struct {
	Files  []UnitFile `json:"files"`
	Masked bool       `json:"masked,omitempty"`
}

// Kill asks to signal a unit's processes.
type Kill struct {
	Name   string `json:"name"`
	Signal int    `json:"signal"`
	Whom   string `json:"whom,omitempty"` // main, control or all (default)
}

// UnitFileEntry is one unit file of ListUnitFiles.
type UnitFileEntry struct {
	Name   string `json:"name"`
	State  string `json:"state"`
	Preset string `json:"preset"`
}

// UnitFiles is the reply of ListUnitFiles.
type UnitFiles struct {
	Files []UnitFileEntry `json:"files"`
}

// Mask asks to mask or unmask a unit.
type Mask struct {
	Name    string `json:"name"`
	Runtime bool   `json:"runtime,omitempty"`
}

// Masked is the reply of MaskUnit and UnmaskUnit.
type Masked struct {
	Changes []Change `json:"changes"`
	// Missing: no unit file of that name was found (masked anyway).
	Missing bool `json:"missing,omitempty"`
}

// Edit asks for the file an edit changes or, with Content, writes it.
type Edit struct {
	Name    string `json:"name"`
	Runtime bool   `json:"runtime,omitempty"`
	DropIn  string `json:"dropIn,omitempty"`
	Full    bool   `json:"full,omitempty"`
	// Force: a unit without files may be edited, creating its first.
	Force   bool    `json:"force,omitempty"`
	Content *string `json:"content,omitempty"`
}

// Edited is the reply of EditUnit: the file and, without Content in the
// call, what it holds now and the unit's files.
type Edited struct {
	Path    string     `json:"path"`
	Content string     `json:"content,omitempty"`
	Sources []UnitFile `json:"sources,omitempty"`
}
