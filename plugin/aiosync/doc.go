// Package aiosync makes a file durable like (*os.File).Sync without taking a
// thread of the Go scheduler out of service while the disk works.
//
// A blocking fsync keeps its goroutine's P: the runtime gives the P to
// another thread only once sysmon sees the same system call twice, and an
// idle sysmon looks every 10 ms. A server running on one P therefore reads
// no socket while a journal fsync lasts, 0.3 to 4 ms on the bench disk, 22%
// of the time during an update flood. Sync hands the fsync to the kernel
// through Linux AIO (IOCB_CMD_FSYNC, Linux 4.18 and later). The kernel
// signals its end on an eventfd the netpoller watches, and the caller parks
// like any goroutine waiting for the network. Where AIO is missing or
// refused (another OS, an old kernel, a seccomp filter), Sync calls
// (*os.File).Sync.
package aiosync
