package dyndns

import (
	"errors"

	"github.com/coredns/coredns/plugin/pkg/tls"
	"github.com/dyndns/dyndns/plugin/etcdstore"
)

// errTwoPlaces is the error of a block with both directory and etcd.
var errTwoPlaces = errors.New("directory and etcd are two places to keep the zones: use one")

// parseEtcd reads the etcd lines of a block:
//
//	etcd ENDPOINT...
//	etcd-path PATH
//	etcd-tls CERT KEY CACERT
//	etcd-credentials USER PASSWORD
func (d *DynDNS) parseEtcd(option string, args []string) error {
	if d.directory != "" {
		return errTwoPlaces
	}
	if d.etcd == nil {
		d.etcd = &etcdstore.Config{}
	}
	c := d.etcd
	switch option {
	case "etcd":
		if len(args) == 0 {
			return errors.New("wants at least one ENDPOINT")
		}
		c.Endpoints = append(c.Endpoints, args...)
	case "etcd-path":
		if len(args) != 1 || len(args[0]) < 2 || args[0][0] != '/' {
			return errors.New("wants one absolute key prefix, such as /dyndns")
		}
		c.Prefix = args[0]
	case "etcd-tls":
		if len(args) != 3 {
			return errors.New("wants CERT KEY CACERT")
		}
		cfg, err := tls.NewTLSConfigFromArgs(args...)
		if err != nil {
			return err
		}
		c.TLS = cfg
	case "etcd-credentials":
		if len(args) != 2 {
			return errors.New("wants USER PASSWORD")
		}
		c.Username, c.Password = args[0], args[1]
	}
	return nil
}

// etcdBackend makes the block keep its zones in etcd.
func (d *DynDNS) etcdBackend() error {
	if len(d.etcd.Endpoints) == 0 {
		return errors.New("etcd-path, etcd-tls and etcd-credentials need an etcd line")
	}
	d.backend = etcdstore.New(*d.etcd)
	return nil
}
