// Command dyndns-register registers the host it runs on with a DNS server
// that takes RFC 2136 dynamic updates (the dyndns CoreDNS plugin, BIND...):
// its A and AAAA records, optionally its PTR records, under an RFC 9664
// update lease that it renews until it is stopped, when it deletes them.
package main

import (
	"context"
	"errors"
	"flag"
	"io"
	"log"
	"os"
	"os/signal"
	"syscall"
)

func main() { os.Exit(realMain(os.Args[1:], os.Stderr)) }

// realMain runs the command and returns its exit status: 0 on success, 1 on
// a failure, 2 on a bad command line.
func realMain(args []string, stderr io.Writer) int {
	cfg, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		return 2
	}
	logger := log.New(stderr, "dyndns-register: ", 0)
	if err := cfg.load(); err != nil {
		logger.Print(err)
		return 1
	}
	r := newRegistrar(cfg, logger)

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	go func() {
		<-ctx.Done()
		stop() // a second signal kills at once
	}()
	if cfg.once {
		err = r.once(ctx)
	} else {
		err = r.run(ctx)
	}
	if err != nil {
		logger.Print(err)
		return 1
	}
	return 0
}
