//go:build !linux

package testenv

import "syscall"

// childProcAttr returns nil: only Linux has a parent-death signal, so
// elsewhere only Stop and StopServers end a test server.
func childProcAttr() *syscall.SysProcAttr { return nil }
