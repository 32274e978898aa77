package cluster

import "syscall"

// dieWithParent has the kernel kill the controller manager when the test binary dies
// without calling Stop (go test -timeout, a crash), so no process outlives the run.
// Linux sends the signal when the OS thread that started the child exits, which Go
// does only for a goroutine that ends while locked with runtime.LockOSThread.
func dieWithParent() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
