//go:build !linux

package aiosync

import "os"

// Sync calls f.Sync: AIO fsync is Linux's.
func Sync(f *os.File) error { return f.Sync() }

// Async says whether Sync goes through AIO: never here.
func Async() bool { return false }
