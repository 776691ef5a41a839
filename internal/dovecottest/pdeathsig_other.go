//go:build !linux

package dovecottest

import "syscall"

// sysProcAttr puts Dovecot in its own process group (stopped as a whole).
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
