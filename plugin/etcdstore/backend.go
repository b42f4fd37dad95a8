// Package etcdstore keeps zones in etcd, so that several dyndns replicas
// serve one set of zones and each takes updates: every replica holds the
// zones in memory (queries never touch etcd), commits with a transaction
// that succeeds only from the log's head, and follows the log with a watch.
package etcdstore

import (
	"context"
	"crypto/tls"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dyndns/dyndns/plugin/storage"
	"github.com/dyndns/dyndns/plugin/zone"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	"google.golang.org/grpc"
)

// Config says how to reach etcd.
type Config struct {
	Endpoints          []string
	Prefix             string // key prefix, DefaultPrefix when empty
	TLS                *tls.Config
	Username, Password string
	// Timeout bounds each commit and each read at start (DefaultTimeout
	// when 0): an UPDATE fails with SERVFAIL after it, not later.
	Timeout time.Duration
}

// Defaults.
const (
	DefaultPrefix  = "/dyndns"
	DefaultTimeout = 5 * time.Second
)

// Backend is the storage.Backend of zones kept in etcd.
type Backend struct {
	cfg       Config
	client    *clientv3.Client
	campaigns sync.WaitGroup // the stores' elections, ended by Stop
}

var _ storage.Backend = (*Backend)(nil)

// New returns the backend of cfg; Start connects.
func New(cfg Config) *Backend {
	if cfg.Prefix == "" {
		cfg.Prefix = DefaultPrefix
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	return &Backend{cfg: cfg}
}

// Key implements storage.Backend.
func (b *Backend) Key() string {
	return "etcd " + strings.Join(b.cfg.Endpoints, ",") + " " + b.cfg.Prefix
}

// Start implements storage.Backend: it connects and checks that etcd
// answers, so that a wrong endpoint is a startup error, not a silent wait.
func (b *Backend) Start() error {
	// The client retries a failed connection until the deadline and then
	// says only that: the last error of an attempt says why (a certificate
	// refused, TLS spoken to a plain port).
	var last atomic.Pointer[error]
	record := func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		err := invoker(ctx, method, req, reply, cc, opts...)
		if err != nil {
			last.Store(&err)
		}
		return err
	}
	c, err := clientv3.New(clientv3.Config{
		Endpoints:   b.cfg.Endpoints,
		DialTimeout: b.cfg.Timeout,
		TLS:         b.cfg.TLS,
		Username:    b.cfg.Username,
		Password:    b.cfg.Password,
		Logger:      zap.NewNop(), // errors come back to us; the client's retries are noise
		DialOptions: []grpc.DialOption{grpc.WithChainUnaryInterceptor(record)},
	})
	if err != nil {
		return fmt.Errorf("etcd %v: %w", b.cfg.Endpoints, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), b.cfg.Timeout)
	defer cancel()
	// Read under the prefix, which is all a role for dyndns needs to grant.
	if _, err := c.Get(ctx, strings.TrimSuffix(b.cfg.Prefix, "/")+"/", clientv3.WithPrefix(), clientv3.WithCountOnly()); err != nil {
		c.Close()
		if why := last.Load(); why != nil && (*why).Error() != err.Error() {
			return fmt.Errorf("etcd %v: %w (last error: %v)", b.cfg.Endpoints, err, *why)
		}
		return fmt.Errorf("etcd %v: %w", b.cfg.Endpoints, err)
	}
	b.client = c
	return nil
}

// Open implements storage.Backend.
func (b *Backend) Open(origin string, d zone.Deriver, opts storage.Options) (storage.Store, error) {
	return open(b, origin, d, opts)
}

// Stop implements storage.Backend.
func (b *Backend) Stop() error {
	if b.client == nil {
		return nil
	}
	err := b.client.Close()
	b.campaigns.Wait()
	b.client = nil
	return err
}
