package unitconf

// Slice is the [Slice] section: the limits of everything below the slice.
type Slice struct {
	Resources
}

func sliceRes(u *Unit) *Resources { return &u.Slice.Resources }

func sliceDirectives() []Directive { return resourceDirectives(sliceRes) }

func sliceProps() []Property { return resourceProps(sliceRes) }
