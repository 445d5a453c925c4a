package e2e

import (
	"bytes"
	"fmt"
	"os/exec"
	"regexp"
	"sync"
	"syscall"
	"testing"
	"time"
)

// startTimeout bounds how long any peer or the service may take to become ready.
const startTimeout = 30 * time.Second

// stopTimeout bounds how long a process may take to exit after SIGTERM before it is killed.
const stopTimeout = 5 * time.Second

// process is a child program started by a test. Its combined output is kept and shown when
// the test fails; t.Cleanup stops it.
type process struct {
	name string
	cmd  *exec.Cmd
	out  *output
	done chan struct{} // closed once the process exited and err is set
	err  error
}

// startProcess starts cmd and registers its shutdown: SIGTERM, then SIGKILL after stopTimeout.
func startProcess(t *testing.T, name string, cmd *exec.Cmd) *process {
	t.Helper()
	p := &process{name: name, cmd: cmd, out: newOutput(), done: make(chan struct{})}
	cmd.Stdout = p.out
	cmd.Stderr = p.out
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	// This goroutine ends when the process exits; the cleanup below makes sure it does.
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.stop()
		if t.Failed() {
			t.Logf("%s output:\n%s", name, p.out.String())
		}
	})
	return p
}

// stop ends the process if it still runs and waits for it.
func (p *process) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM) // An error means it already exited.
	select {
	case <-p.done:
	case <-time.After(stopTimeout):
		_ = p.cmd.Process.Kill() // An error means it exited meanwhile.
		<-p.done
	}
}

// waitExit waits up to timeout for the process to exit by itself and returns its exit error.
func (p *process) waitExit(timeout time.Duration) error {
	select {
	case <-p.done:
		return p.err
	case <-time.After(timeout):
		return fmt.Errorf("%s still running after %v", p.name, timeout)
	}
}

// waitOutput waits until the output matches re and returns the submatches, failing t when the
// process exits first or startTimeout passes.
func (p *process) waitOutput(t *testing.T, re *regexp.Regexp) []string {
	t.Helper()
	deadline := time.After(startTimeout)
	for {
		text, changed := p.out.snapshot()
		if m := re.FindStringSubmatch(text); m != nil {
			return m
		}
		select {
		case <-changed:
		case <-p.done:
			t.Fatalf("%s exited (%v) before printing %q; output:\n%s", p.name, p.err, re, text)
		case <-deadline:
			t.Fatalf("%s did not print %q within %v; output:\n%s", p.name, re, startTimeout, text)
		}
	}
}

// exited reports whether the process has exited, and its exit error.
func (p *process) exited() (bool, error) {
	select {
	case <-p.done:
		return true, p.err
	default:
		return false, nil
	}
}

// output collects a process's output and tells waiters when more arrived.
type output struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{} // closed and replaced on every write; guarded by mu
}

func newOutput() *output { return &output{changed: make(chan struct{})} }

// Write implements io.Writer.
func (o *output) Write(b []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	close(o.changed)
	o.changed = make(chan struct{})
	return o.buf.Write(b)
}

// snapshot returns the output so far and a channel closed when more arrives.
func (o *output) snapshot() (string, <-chan struct{}) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String(), o.changed
}

// String returns the output so far.
func (o *output) String() string {
	s, _ := o.snapshot()
	return s
}
