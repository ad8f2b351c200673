package manager

// hooks let tests force one interleaving of concurrent paths. All are nil
// outside tests.
type hooks struct {
	// notifyPIDMiss runs when a notify message's sender is no recorded
	// main process, before its cgroup is looked at.
	notifyPIDMiss func(pid int)
}
