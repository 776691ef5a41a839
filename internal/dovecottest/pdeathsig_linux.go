package dovecottest

import "syscall"

// sysProcAttr puts Dovecot in its own process group (stopped as a whole)
// and has it killed if the test process dies without cleaning up.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
