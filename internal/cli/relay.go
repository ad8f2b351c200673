package cli

import (
	"io"
	"os"
	"sync/atomic"
	"time"
)

// After the command's main process has exited, output still in flight is
// copied until nothing arrives for drainIdle, and for drainMax at most: a
// daemon the command left behind may hold the write end open forever (or
// keep writing), and capsulectl must not hang on it.
const (
	drainIdle = 100 * time.Millisecond
	drainMax  = 5 * time.Second
)

// outRelay copies a stream of the command (a pipe or a pty master) to one
// of capsulectl's outputs, byte for byte.
type outRelay struct {
	r        *os.File
	w        io.Writer
	done     chan struct{}
	draining atomic.Bool
	end      atomic.Int64 // drain deadline, Unix nanoseconds
}

func startOutRelay(r *os.File, w io.Writer) *outRelay {
	o := &outRelay{r: r, w: w, done: make(chan struct{})}
	go o.loop()
	return o
}

func (o *outRelay) loop() {
	defer close(o.done)
	buf := make([]byte, 64*1024)
	for {
		n, err := o.r.Read(buf)
		if n > 0 {
			o.w.Write(buf[:n])
		}
		if err != nil {
			return // EOF, EIO from a pty whose last slave closed, or the drain deadline
		}
		if o.draining.Load() {
			o.extend()
		}
	}
}

// extend moves the read deadline drainIdle ahead, never past the end.
func (o *outRelay) extend() {
	d := time.Now().Add(drainIdle)
	if end := time.Unix(0, o.end.Load()); d.After(end) {
		d = end
	}
	o.r.SetReadDeadline(d)
}

// beginDrain lets the relay copy what is left, then stop; it is called
// once the command's main process has exited. wait waits until it stopped.
func (o *outRelay) beginDrain() {
	o.end.Store(time.Now().Add(drainMax).UnixNano())
	o.draining.Store(true)
	o.extend()
}

func (o *outRelay) wait() {
	select {
	case <-o.done:
	case <-time.After(drainMax + time.Second):
		// Stuck writing to our own output (a full pipe nobody reads).
	}
}

// pipeRelay connects the command to capsulectl's stdio through three new
// pipes, so the command never gets capsulectl's own descriptors: whatever
// holds them after the command ends (a daemon it started, or a hostile
// manager) has a pipe that nobody relays any more, not root's terminal,
// pipeline or file.
type pipeRelay struct {
	remote  []*os.File // the ends for the command: stdin, stdout, stderr
	stdinW  *os.File
	outs    []*outRelay
	stopped atomic.Bool
}

func startPipeRelay(stdin *os.File, stdout, stderr io.Writer) (*pipeRelay, error) {
	p := &pipeRelay{}
	inR, inW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	p.remote, p.stdinW = append(p.remote, inR), inW
	for _, w := range []io.Writer{stdout, stderr} {
		r, rw, err := os.Pipe()
		if err != nil {
			p.closeRemote()
			p.finish()
			return nil, err
		}
		p.remote = append(p.remote, rw)
		p.outs = append(p.outs, startOutRelay(r, w))
	}
	go func() {
		// End of our input is end of the command's input.
		io.Copy(inW, stdin)
		inW.Close()
	}()
	return p, nil
}

// closeRemote drops our copies of the command's ends once they are sent,
// so the command's exit is seen as end of file.
func (p *pipeRelay) closeRemote() {
	for _, f := range p.remote {
		f.Close()
	}
	p.remote = nil
}

// finish stops relaying input, drains the outputs and closes them.
func (p *pipeRelay) finish() {
	if p.stopped.Swap(true) {
		return
	}
	p.stdinW.Close()
	for _, o := range p.outs {
		o.beginDrain()
	}
	for _, o := range p.outs {
		o.wait()
	}
	for _, o := range p.outs {
		o.r.Close()
	}
}
