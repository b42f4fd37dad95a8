package etcdtest

import (
	"os/exec"
	"syscall"
)

// setSysProcAttr has the kernel SIGKILL etcd if the test binary dies
// without running its cleanups (e.g. a panic or go test's timeout), so no
// etcd is left holding ports. Pdeathsig fires when the spawning OS thread
// exits; Go only exits threads locked by goroutines that end locked, and
// Start/Restart never lock theirs.
func setSysProcAttr(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
