//go:build !linux

package etcdtest

import "os/exec"

func setSysProcAttr(cmd *exec.Cmd) {}
