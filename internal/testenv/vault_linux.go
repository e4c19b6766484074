package testenv

import "syscall"

// childProcAttr makes the kernel kill a test server when the test binary
// dies, even when no cleanup runs.
func childProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
