package netmode

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shinglekv/shingle/internal/testutil"
)

// netFaults puts faults under the links between the nodes of a test
// cluster: every connection a node dials to another (the cluster bus:
// Raft and health pings; a replica's link to its primary) goes through
// it, so that a test can partition nodes (Partition, Heal) or make their
// links slow and fragmented (Slow). Clients of the nodes are not
// affected: a test's clients still reach a node that is cut off from the
// others, as clients on its side of a partition would. MIGRATE and slot
// migrations dial through it too.
//
// A node is known by its plain port, which it keeps when it restarts; wire
// registers its ports, so that a dial knows which node it reaches. It is
// safe for concurrent use.
type netFaults struct {
	mu    sync.Mutex
	owner map[int]int         // a node's plain, TLS or bus port -> the node
	cut   map[[2]int]bool     // pairs of nodes (lower first) that cannot talk
	conns map[*faultConn]bool // open connections
	delay time.Duration       // Slow's
	chunk int
	// shaped counts the pieces that went through slowed links: a test's
	// proof that the links it slows are those the nodes use.
	shaped atomic.Int64
}

// errPartitioned is what a dial across a partition returns.
var errPartitioned = errors.New("netfaults: partitioned")

func newNetFaults() *netFaults {
	return &netFaults{owner: map[int]int{}, cut: map[[2]int]bool{}, conns: map[*faultConn]bool{}}
}

// wire is a startClusterNode modifier: it gives the node's configuration
// its dial function, and registers its ports (set before modifiers run).
func (f *netFaults) wire(c *Config) {
	id := c.Port
	bus := c.Cluster.Port
	if bus == 0 {
		bus = c.Port + 10000
	}
	f.mu.Lock()
	for _, p := range []int{c.Port, c.TLSPort, bus} {
		if p != 0 {
			f.owner[p] = id
		}
	}
	f.mu.Unlock()
	c.netDial = func(ctx context.Context, network, addr string) (net.Conn, error) {
		return f.dial(ctx, id, network, addr)
	}
}

// dial connects node from to addr unless a partition lies between them.
func (f *netFaults) dial(ctx context.Context, from int, network, addr string) (net.Conn, error) {
	to := f.nodeOf(addr)
	if f.blocked(from, to) {
		return nil, fmt.Errorf("dial %s: %w", addr, errPartitioned)
	}
	var nd net.Dialer
	c, err := nd.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	fc := &faultConn{Conn: c, f: f, from: from, to: to}
	f.mu.Lock()
	defer f.mu.Unlock()
	// A partition that began while this dial ran cuts it too.
	if f.cut[pair(from, to)] {
		c.Close()
		return nil, fmt.Errorf("dial %s: %w", addr, errPartitioned)
	}
	f.conns[fc] = true
	return fc, nil
}

func (f *netFaults) nodeOf(addr string) int {
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		return 0
	}
	port, _ := strconv.Atoi(p)
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.owner[port]
}

func pair(a, b int) [2]int {
	if a > b {
		a, b = b, a
	}
	return [2]int{a, b}
}

func (f *netFaults) blocked(a, b int) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.cut[pair(a, b)]
}

// Partition cuts every link between a node of a and a node of b, in both
// directions: the open connections close, new ones are refused, until
// Heal.
func (f *netFaults) Partition(a, b []*clusterNode) {
	f.mu.Lock()
	for _, x := range a {
		for _, y := range b {
			f.cut[pair(x.port, y.port)] = true
		}
	}
	var doomed []*faultConn
	for c := range f.conns {
		if f.cut[pair(c.from, c.to)] {
			doomed = append(doomed, c)
		}
	}
	f.mu.Unlock()
	for _, c := range doomed {
		c.Close()
	}
}

// Heal lifts every partition; the nodes dial each other again as they
// need to.
func (f *netFaults) Heal() {
	f.mu.Lock()
	clear(f.cut)
	f.mu.Unlock()
}

// Slow makes what flows on every link, open or new, arrive in pieces of
// at most chunk bytes, each delay late: a slow, fragmented network.
// Slow(0, 0) makes the network normal again.
func (f *netFaults) Slow(delay time.Duration, chunk int) {
	f.mu.Lock()
	f.delay, f.chunk = delay, chunk
	f.mu.Unlock()
}

func (f *netFaults) shape() (time.Duration, int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.delay, f.chunk
}

// faultConn is a connection dialed by node from to node to (0 when the
// address is no node's). Both directions are shaped on this end: what it
// writes goes out in pieces, what it reads comes in pieces.
type faultConn struct {
	net.Conn
	f        *netFaults
	from, to int
}

func (c *faultConn) Read(p []byte) (int, error) {
	delay, chunk := c.f.shape()
	if chunk > 0 && len(p) > chunk {
		p = p[:chunk]
	}
	n, err := c.Conn.Read(p)
	if n > 0 && delay > 0 {
		c.f.shaped.Add(1)
		testutil.Latency(delay)
	}
	return n, err
}

func (c *faultConn) Write(p []byte) (int, error) {
	delay, chunk := c.f.shape()
	if delay > 0 {
		c.f.shaped.Add(1)
	}
	return testutil.ShapedWrite(c.Conn, p, chunk, delay)
}

func (c *faultConn) Close() error {
	c.f.mu.Lock()
	delete(c.f.conns, c)
	c.f.mu.Unlock()
	return c.Conn.Close()
}

// TestNetFaults: a partition closes the links between its sides and
// refuses new ones, both ways, and leaves the others alone; Heal lets them
// dial again; Slow delivers in pieces.
func TestNetFaults(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				buf := make([]byte, 1024)
				for {
					n, err := c.Read(buf)
					if err != nil {
						return
					}
					c.Write(buf[:n])
				}
			}()
		}
	}()
	_, p, _ := net.SplitHostPort(ln.Addr().String())
	port, _ := strconv.Atoi(p)
	f := newNetFaults()
	// a and b are nodes; the listener is b's bus.
	var ca, cb Config
	ca.Port, cb.Port, cb.Cluster.Port = 1, 2, port
	f.wire(&ca)
	f.wire(&cb)
	a, b, other := &clusterNode{port: 1}, &clusterNode{port: 2}, &clusterNode{port: 3}
	ctx := context.Background()
	c, err := ca.netDial(ctx, "tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	f.Partition([]*clusterNode{other}, []*clusterNode{a, b})
	if _, err := c.Write([]byte("x")); err != nil {
		t.Fatalf("a partition elsewhere cut the link: %v", err)
	}
	f.Partition([]*clusterNode{b}, []*clusterNode{a})
	if _, err := c.Write([]byte("x")); err == nil {
		t.Fatal("the link across the partition is still open")
	}
	if _, err := ca.netDial(ctx, "tcp", ln.Addr().String()); !errors.Is(err, errPartitioned) {
		t.Fatalf("a dial across the partition: %v", err)
	}
	f.Heal()
	c, err = ca.netDial(ctx, "tcp", ln.Addr().String())
	if err != nil {
		t.Fatalf("after Heal: %v", err)
	}
	defer c.Close()
	f.Slow(time.Millisecond, 3)
	if _, err := c.Write([]byte("0123456789")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 100)
	got := ""
	for len(got) < 10 {
		n, err := c.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		if n > 3 {
			t.Fatalf("a read of %d bytes through a link in pieces of 3", n)
		}
		got += string(buf[:n])
	}
	if got != "0123456789" {
		t.Fatalf("read %q", got)
	}
}
