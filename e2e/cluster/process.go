package cluster

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// stopTimeout bounds a graceful stop before the process is killed.
const stopTimeout = 20 * time.Second

// Process is a child process a test runs beside the API server (kube-controller-manager,
// the registries of package e2e/registry): started, waited for until it serves, stopped
// with SIGTERM then SIGKILL, and killed by the kernel if the test binary dies first.
type Process struct {
	name   string
	cmd    *exec.Cmd
	exited chan struct{} // closed once cmd.Wait returned
	err    error         // cmd.Wait's result, set before exited is closed
}

// StartProcess starts cmd and polls ready every 100 ms until it reports true, so that a
// crash on a bad flag fails here and not in a later wait. name appears in errors. On
// error the process is stopped.
func StartProcess(name string, cmd *exec.Cmd, ready func(context.Context) bool) (*Process, error) {
	cmd.SysProcAttr = dieWithParent()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s (%s): %w", name, cmd.Path, err)
	}
	p := &Process{name: name, cmd: cmd, exited: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.exited)
	}()
	if err := p.waitReady(ready); err != nil {
		return nil, errors.Join(err, p.Stop())
	}
	return p, nil
}

func (p *Process) waitReady(ready func(context.Context) bool) error {
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		if ready(ctx) {
			return nil
		}
		select {
		case <-p.exited:
			return fmt.Errorf("%s exited before serving (its output has the reason): %w", p.name, p.err)
		case <-ctx.Done():
			return fmt.Errorf("%s not serving within %s", p.name, startTimeout)
		case <-tick.C:
		}
	}
}

// Stop asks the process to terminate, kills it after stopTimeout, and waits for it.
// Stopping a stopped process does nothing.
func (p *Process) Stop() error {
	select {
	case <-p.exited:
		return nil
	default:
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("stopping %s: %w", p.name, err)
	}
	select {
	case <-p.exited:
		return nil
	case <-time.After(stopTimeout):
	}
	if err := p.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("killing %s: %w", p.name, err)
	}
	<-p.exited
	return fmt.Errorf("%s ignored SIGTERM for %s and was killed", p.name, stopTimeout)
}

// Kill SIGKILLs the process, as an OOM kill or a node failure would, and waits
// for it; killing a stopped process does nothing.
func (p *Process) Kill() {
	select {
	case <-p.exited:
		return
	default:
	}
	_ = p.cmd.Process.Kill() // already gone is fine: we wait below either way
	<-p.exited
}

// Pid is the process id.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Answers reports whether GET url gets a response whose status ok accepts; any
// failure means "not yet". It is the usual ready function of StartProcess.
func Answers(ctx context.Context, c *http.Client, url string, ok func(status int) bool) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return false
	}
	resp, err := c.Do(req)
	if err != nil {
		return false
	}
	_ = resp.Body.Close()
	return ok(resp.StatusCode)
}
