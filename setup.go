package dyndns

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/coredns/caddy"
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/plugin"
	"github.com/coredns/coredns/plugin/transfer"
	"github.com/dyndns/dyndns/plugin/check"
	"github.com/dyndns/dyndns/plugin/derive"
	"github.com/dyndns/dyndns/plugin/durable"
	"github.com/dyndns/dyndns/plugin/rotate"
	"github.com/miekg/dns"
)

const pluginName = "dyndns"

func init() { plugin.Register(pluginName, setup) }

// WithDirective returns directives with dyndns inserted right before
// transfer: tsig, acl and cache run before it, transfer (which finds it as a
// Transferer) right after it, so that dyndns answers IXFR over UDP, which
// transfer refuses. A custom build sets dnsserver.Directives with it.
func WithDirective(directives []string) []string {
	i := slices.Index(directives, "transfer")
	return slices.Insert(slices.Clone(directives), i, pluginName)
}

func setup(c *caddy.Controller) error {
	d, err := parse(c)
	if err != nil {
		return plugin.Error(pluginName, err)
	}
	if err := d.open(c); err != nil {
		return plugin.Error(pluginName, err)
	}

	cfg := dnsserver.GetConfig(c)
	cfg.AllowOpcode(dns.OpcodeUpdate)
	cfg.AddPlugin(func(next plugin.Handler) plugin.Handler {
		d.Next = next
		return d
	})
	c.OnStartup(func() error {
		if t, ok := cfg.Handler("transfer").(*transfer.Transfer); ok {
			d.xfer.Store(t)
		}
		if d.checker != nil {
			checkers.Store(d, d.checker)
			d.checker.Start()
		}
		return d.apply()
	})
	c.OnRestartFailed(d.restartFailed)
	c.OnShutdown(d.close)
	return nil
}

// parse reads one dyndns block. Every error names the Corefile line.
func parse(c *caddy.Controller) (*DynDNS, error) {
	d := newDynDNS()
	c.Next() // the directive name
	args := c.RemainingArgs()
	for _, a := range args { // OriginsFromArgsOrServerBlock drops bad names silently
		if len(plugin.OriginsFromArgsOrServerBlock([]string{a}, nil)) == 0 {
			return nil, c.Errf("invalid zone %q", a)
		}
	}
	d.origins = plugin.OriginsFromArgsOrServerBlock(args, c.ServerBlockKeys)
	d.bound = boundAddresses(dnsserver.GetConfig(c).ListenHosts)
	if len(d.origins) == 0 {
		return nil, c.Err("no zones")
	}
	var rules *derive.Rules
	etcdLine := 0 // the first etcd line, for errors about them together
	for c.NextBlock() {
		option := c.Val()
		args = c.RemainingArgs()
		var err error
		switch option {
		case "directory":
			if len(args) != 1 {
				return nil, c.ArgErr()
			}
			if d.etcd != nil {
				return nil, c.Err(errTwoPlaces.Error())
			}
			d.directory = args[0]
			if !filepath.IsAbs(d.directory) {
				d.directory = filepath.Join(dnsserver.GetConfig(c).Root, d.directory)
			}
			// Created on first start, so that a first run keeps its data.
			if merr := os.MkdirAll(d.directory, 0o750); merr != nil {
				return nil, c.Errf("directory %q: %v", d.directory, merr)
			}
		case "etcd", "etcd-path", "etcd-tls", "etcd-credentials":
			if etcdLine == 0 {
				etcdLine = c.Line()
			}
			err = d.parseEtcd(option, args)
		case "derive":
			rules, err = rules.Parse(args)
		case "order":
			if len(args) != 1 {
				return nil, c.ArgErr()
			}
			d.order, err = rotate.Parse(args[0])
		case "allow-update":
			err = d.allow.Parse(args)
		case "nameserver":
			d.nameserver, err = parseNameserver(args)
		case "grant", "deny":
			err = d.grants.Parse(args, option == "grant")
		case "max-update-records":
			d.limits.updateRecords, err = positive(args)
		case "max-zone-records":
			d.limits.zoneRecords, err = positive(args)
		case "max-zone-bytes":
			d.limits.zoneBytes, err = positive(args)
		case "max-queued-updates":
			d.limits.queuedUpdates, err = positive(args)
		case "health":
			var hc check.Check
			if hc, err = parseHealth(args); err == nil {
				d.healthCfg.checks = append(d.healthCfg.checks, hc)
			}
		case "health-interval":
			d.healthCfg.interval, err = parseInterval(args)
		case "max-answers":
			d.maxAnswers, err = positive(args)
		case "ixfr-history":
			d.ixfrHistory, err = historySize(args)
		case "lease":
			d.lease, err = parseLease(args)
		case "ptr":
			if len(args) != 0 {
				return nil, c.ArgErr()
			}
			d.ptr = true
			err = d.checkPTR()
		case "snapshot":
			d.snapshotInterval, d.snapshotJournalSize, err = parseSnapshot(args)
		default:
			return nil, c.Errf("unknown property %q", option)
		}
		if err != nil {
			return nil, c.Errf("%s: %v", option, err)
		}
	}
	if c.Next() {
		return nil, c.Errf("dyndns can be used once per server block, found a second at %q", c.Val())
	}
	if d.etcd != nil {
		if err := d.etcdBackend(); err != nil {
			// Named at the first etcd line, not where the block ends.
			return nil, fmt.Errorf("%s:%d - Error during parsing: %v", c.File(), etcdLine, err)
		}
	} else {
		d.backend = &durable.Directory{Dir: d.directory}
	}
	d.rules = rules
	if rules == nil {
		d.rules = derive.Default()
	}
	if d.healthCfg.interval != 0 && len(d.healthCfg.checks) == 0 {
		return nil, c.Err("health-interval without a health line")
	}
	if len(d.healthCfg.checks) > 0 {
		var err error
		if d.checker, err = d.newChecker(); err != nil {
			return nil, c.Errf("health: %v", err)
		}
	}
	return d, nil
}

// positive reads one positive integer argument.
func positive(args []string) (int, error) {
	if len(args) != 1 {
		return 0, errors.New("wants one number")
	}
	n, err := strconv.Atoi(args[0])
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%q is not a positive number", args[0])
	}
	return n, nil
}

// historySize reads "ixfr-history N": N changesets kept for IXFR, 0 for
// none (durable.Options.History says none with a negative number).
func historySize(args []string) (int, error) {
	if len(args) != 1 {
		return 0, errors.New("wants one number")
	}
	n, err := strconv.Atoi(args[0])
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%q is not a number of changesets", args[0])
	}
	if n == 0 {
		return -1, nil
	}
	return n, nil
}

// parseSnapshot reads "snapshot INTERVAL [JOURNAL-BYTES]".
func parseSnapshot(args []string) (time.Duration, int64, error) {
	if len(args) < 1 || len(args) > 2 {
		return 0, 0, errors.New("wants INTERVAL [JOURNAL-BYTES]")
	}
	every, err := time.ParseDuration(args[0])
	if err != nil || every <= 0 {
		return 0, 0, fmt.Errorf("%q is not a positive duration", args[0])
	}
	if len(args) == 1 {
		return every, 0, nil
	}
	size, err := positive(args[1:])
	return every, int64(size), err
}
