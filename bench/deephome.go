package main

import (
	"context"
	"fmt"
)

const (
	deepLevels = 25000
	mDeepClean = "clean --what=all, home 25,000 levels deep"
)

// deepHome times clean --what=all of a capsule whose home holds
// deepLevels nested directories, more than the system manager may have
// descriptors open; measured once.
func (b *bench) deepHome(ctx context.Context) error {
	name := b.caps.fresh("deep")
	if _, err := b.caps.start(ctx, name); err != nil {
		return err
	}
	script := fmt.Sprintf(`import os
os.chdir(os.path.expanduser("~"))
for i in range(%d):
    os.mkdir("d"); os.chdir("d")
`, deepLevels)
	if _, err := b.ctl.run(ctx, "run", "-q", "-C", name, "-P", "python3", "-c", script); err != nil {
		return err
	}
	if _, err := b.caps.stop(ctx, name); err != nil {
		return err
	}
	d, err := b.caps.clean(ctx, name)
	if err != nil {
		return err
	}
	b.record(mDeepClean, "ms", ms(d))
	return nil
}
