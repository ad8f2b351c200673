package unitconf

import "strings"

// Install is the [Install] section, used by enable and disable. Values
// are kept as written: enable expands their specifiers itself.
type Install struct {
	WantedBy, RequiredBy, Also, Alias []string
	DefaultInstance                   string
}

// installList returns a parser appending words to a list of [Install].
func installList(field func(*Install) *[]string) func(c *parseCtx, v string) error {
	return func(c *parseCtx, v string) error {
		dst := field(&c.unit().Install)
		if v == "" {
			*dst = nil
			return nil
		}
		*dst = append(*dst, strings.Fields(v)...)
		return nil
	}
}

// installDirectives are acted on by enable and disable (as systemctl
// does); they are no properties of a loaded unit.
func installDirectives() []Directive {
	return []Directive{
		{Key: "WantedBy", Raw: true, Parse: installList(func(i *Install) *[]string { return &i.WantedBy })},
		{Key: "RequiredBy", Raw: true, Parse: installList(func(i *Install) *[]string { return &i.RequiredBy })},
		{Key: "Also", Raw: true, Parse: installList(func(i *Install) *[]string { return &i.Also })},
		{Key: "Alias", Raw: true, Parse: installList(func(i *Install) *[]string { return &i.Alias })},
		{Key: "DefaultInstance", Raw: true, Parse: func(c *parseCtx, v string) error {
			c.unit().Install.DefaultInstance = v
			return nil
		}},
	}
}
