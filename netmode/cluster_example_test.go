package netmode_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/shinglekv/shingle/cluster"
	"github.com/shinglekv/shingle/netmode"
	"github.com/shinglekv/shingle/store"
)

// freePort finds a free port of 127.0.0.1 below the ephemeral range,
// where no outgoing connection takes it meanwhile.
func freePort() int {
	for {
		p := 20000 + rand.IntN(12000)
		if ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p)); err == nil {
			ln.Close()
			return p
		}
	}
}

// Three cluster nodes in one Go program, each around its own store: the
// slots split as redis-cli --cluster create splits them, and the second
// and third nodes meet the first.
func ExampleServer_Cluster() {
	dir, _ := os.MkdirTemp("", "cluster-example")
	defer os.RemoveAll(dir)
	var nodes []*netmode.Server
	for i := range 3 {
		db, err := store.Open(filepath.Join(dir, fmt.Sprint(i)), nil)
		if err != nil {
			panic(err)
		}
		defer db.Close()
		cfg := netmode.DefaultConfig()
		cfg.Bind = []string{"127.0.0.1"}
		cfg.Port = freePort()
		cfg.Dir = filepath.Join(dir, fmt.Sprint(i))
		cfg.Cluster.Enabled = true
		cfg.Cluster.Port = freePort()
		cfg.Cluster.NodeTimeoutMs = 1000
		srv, err := netmode.New(db, cfg)
		if err != nil {
			panic(err)
		}
		defer srv.Close()
		if err := srv.Start(); err != nil {
			panic(err)
		}
		var slots []int
		for s := i * cluster.Slots / 3; s < (i+1)*cluster.Slots/3; s++ {
			slots = append(slots, s)
		}
		if err := srv.Cluster().AddSlots(slots...); err != nil {
			panic(err)
		}
		nodes = append(nodes, srv)
	}
	first := nodes[0].Config()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, srv := range nodes[1:] {
		if err := srv.Cluster().Meet(ctx, "127.0.0.1", first.Port, first.Cluster.Port); err != nil {
			panic(err)
		}
	}
	st := nodes[2].Cluster().State()
	fmt.Println(len(st.Nodes), "nodes; every slot served:", st.Served())
	fmt.Println("slot 0 belongs to the first node:", st.Owner(0) == nodes[0].ClusterNodeID())
	// Output:
	// 3 nodes; every slot served: true
	// slot 0 belongs to the first node: true
}
