package unitconf

// Slice is the [Slice] section: the limits of everything below the slice.
type Slice struct {
	Resources
}

func sliceRes(u *Unit) *Resources { return &u.Slice.Resources }

var (
	sliceDirectives = resourceDirectives(sliceRes)
	sliceProps      = resourceProps(sliceRes)
)
