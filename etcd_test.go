package dyndns

import (
	"slices"
	"testing"

	"github.com/coredns/caddy"
	"github.com/dyndns/dyndns/plugin/etcdstore"
)

func TestParseEtcd(t *testing.T) {
	c := caddy.NewTestController("dns", `dyndns example.org {
		etcd http://10.0.0.1:2379 http://10.0.0.2:2379
		etcd http://10.0.0.3:2379
		etcd-path /dns/prod
		etcd-credentials dyndns s3cret
	}`)
	d, err := parse(c)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"http://10.0.0.1:2379", "http://10.0.0.2:2379", "http://10.0.0.3:2379"}
	if !slices.Equal(d.etcd.Endpoints, want) || d.etcd.Prefix != "/dns/prod" || d.etcd.Username != "dyndns" || d.etcd.Password != "s3cret" {
		t.Errorf("etcd settings %+v", d.etcd)
	}
	if _, ok := d.backend.(*etcdstore.Backend); !ok {
		t.Errorf("backend %T, want etcd", d.backend)
	}
}
