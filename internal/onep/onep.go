// Package onep puts a test on one P, the setting in which the Go runtime
// polls the network only when its run queue empties (see plugin/pollgate),
// and keeps that P busy.
package onep

import (
	"runtime"
	"sync"
	"testing"
)

// Use sets GOMAXPROCS to 1 until the test ends.
func Use(t testing.TB) {
	prev := runtime.GOMAXPROCS(1)
	t.Cleanup(func() { runtime.GOMAXPROCS(prev) })
}

// Loop runs step over and over in n goroutines until the test ends.
func Loop(t testing.TB, n int, step func()) {
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
					step()
				}
			}
		}()
	}
	t.Cleanup(func() { close(stop); wg.Wait() })
}

// Saturate puts the test on one P and keeps two goroutines always
// runnable until it ends: the run queue never empties, so the runtime
// polls the network only from sysmon, every 10 ms.
func Saturate(t testing.TB) {
	Use(t)
	Loop(t, 2, runtime.Gosched)
}
