//go:build !linux

package cluster

import "syscall"

// dieWithParent has no portable equivalent of Linux's Pdeathsig: elsewhere a controller
// manager can outlive a test binary that dies without calling Stop.
func dieWithParent() *syscall.SysProcAttr {
	return nil
}
