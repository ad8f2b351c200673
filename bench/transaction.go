package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"
)

// The capsule of the transaction step holds txUnits oneshot services in
// chains of txChain, all enabled for the capsule's target. Within a chain
// each unit is ordered after the one before it and requires it (even
// positions) or wants it (odd ones); each unit also wants, without
// ordering, the unit at its position in the chain before, so the
// transaction holds about two dependencies per unit and chains txChain
// jobs deep.
const (
	txUnits = 500
	txChain = 25
	// txPrefix names the units; they live in the capsule only.
	txPrefix = "bt-"
	txPoll   = 20 * time.Millisecond
	// txTimeout bounds the wait for all units to become active.
	txTimeout = 2 * time.Minute

	mTxStart  = "start capsule, 500 units (start returns)"
	mTxActive = "start capsule, 500 units (all active)"
	mTxStop   = "stop capsule, 500 units active"
)

// txScript writes the units into the capsule's unit directory. It runs
// in the capsule, so the files belong to the capsule's user on every
// host, ID-mapped home or not.
func txScript() string {
	return fmt.Sprintf(`set -e
n=%[1]d chain=%[2]d p=%[3]s
d="$HOME/.config/systemd/user"
mkdir -p "$d/capsule@.target.wants"
cd "$d"
i=0
while [ $i -lt $n ]; do
	k=$((i %% chain))
	{
		echo "[Unit]"
		echo "Description=transaction benchmark unit $i"
		if [ $k -gt 0 ]; then
			if [ $((k %% 2)) -eq 0 ]; then echo "Requires=$p$((i - 1)).service"; else echo "Wants=$p$((i - 1)).service"; fi
			echo "After=$p$((i - 1)).service"
		fi
		if [ $i -ge $chain ]; then echo "Wants=$p$((i - chain)).service"; fi
		echo "[Service]"
		echo "Type=oneshot"
		echo "RemainAfterExit=yes"
		echo "ExecStart=/bin/true"
		echo "[Install]"
		echo "WantedBy=capsule@.target"
	} >"$p$i.service"
	ln -sf "../$p$i.service" "capsule@.target.wants/$p$i.service"
	i=$((i + 1))
done
`, txUnits, txChain, txPrefix)
}

// txSetup leaves a stopped capsule whose home holds the units.
func (b *bench) txSetup(ctx context.Context) error {
	b.txName = b.caps.fresh("tx")
	if _, err := b.caps.start(ctx, b.txName); err != nil {
		return err
	}
	if _, err := b.ctl.run(ctx, "run", "-q", "-C", b.txName, "-P", "sh", "-c", txScript()); err != nil {
		return fmt.Errorf("write %d units into capsule %s: %w", txUnits, b.txName, err)
	}
	_, err := b.caps.stop(ctx, b.txName)
	return err
}

// transaction times starting the capsule until capsulectl returns and
// until all its units are active, then stopping it.
func (b *bench) transaction(ctx context.Context) error {
	start := time.Now()
	if _, err := b.caps.start(ctx, b.txName); err != nil {
		return err
	}
	b.record(mTxStart, "ms", ms(time.Since(start)))
	if err := b.waitActive(ctx, b.txName, txPrefix, txUnits); err != nil {
		return err
	}
	b.record(mTxActive, "ms", ms(time.Since(start)))
	d, err := b.caps.stopForRestart(ctx, b.txName)
	if err != nil {
		return err
	}
	b.record(mTxStop, "ms", ms(d))
	return nil
}

func (b *bench) txTeardown(ctx context.Context) error {
	_, err := b.caps.clean(ctx, b.txName)
	return err
}

// parseUnitStates reads the ACTIVE column of list-units' table for the
// units whose names start with prefix.
func parseUnitStates(out []byte, prefix string) (map[string]string, error) {
	states := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) > 0 && f[0] == "●" {
			f = f[1:]
		}
		// UNIT LOAD ACTIVE SUB DESCRIPTION...
		if len(f) < 4 || !strings.HasPrefix(f[0], prefix) {
			continue
		}
		states[f[0]] = f[2]
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return states, nil
}
