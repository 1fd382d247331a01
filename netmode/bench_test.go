package netmode

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/shinglekv/shingle/internal/testutil"
	"github.com/shinglekv/shingle/store"
	"github.com/shinglekv/shingle/tlsconn"
)

// The pipeline benchmarks drive a server on an on-disk store (appendfsync
// everysec, as bench/tls.sh sets both servers) the way redis-benchmark does:
// 50 connections, each sending pipelines of SET or GET on random keys of a
// 100,000-key space and reading every reply (over QUIC, 50 streams of one
// connection). ns/op is per command. They
// exist to profile the request path (-cpuprofile); bench/tls.sh compares
// with redis-server.

func BenchmarkPipeline(b *testing.B) {
	for _, transport := range []string{tlsconn.TCP, tlsconn.TLS, tlsconn.QUIC} {
		for _, cmd := range []string{"SET", "GET"} {
			for _, depth := range []int{1, 16} {
				b.Run(fmt.Sprintf("%s/%s/P%d", transport, cmd, depth), func(b *testing.B) {
					benchPipeline(b, transport, cmd, depth)
				})
			}
		}
	}
}

func benchPipeline(b *testing.B, transport, cmd string, depth int) {
	const keys = 100000
	p := testutil.NewPKI(b, "Shingle Bench CA")
	db, err := store.Open(b.TempDir(), &store.Options{AppendFsync: store.FsyncEverySec})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	cfg := DefaultConfig()
	cfg.TLS.CertFile, cfg.TLS.KeyFile, cfg.TLS.CACertFile = p.CertFile, p.KeyFile, p.CAFile
	srv, err := New(db, cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { srv.Close() })
	ln, err := srv.Listen(transport, "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	addr := ln.Addr().String()
	qd := &tlsconn.Dialer{Transport: tlsconn.QUIC, TLSConfig: p.ClientTLS(b, true)} // 50 streams of one connection
	defer qd.Close()
	dial := func() (net.Conn, error) {
		switch transport {
		case tlsconn.TLS:
			return tls.Dial("tcp", addr, p.ClientTLS(b, true))
		case tlsconn.QUIC:
			return qd.DialContext(context.Background(), "udp", addr)
		}
		return net.Dial("tcp", addr)
	}
	value := []byte("xxx") // redis-benchmark's default -d 3
	if cmd == "GET" {
		var kv [][]byte
		for i := 0; i < keys; i++ {
			kv = append(kv, []byte("key:"+strconv.Itoa(i)), value)
			if len(kv) == 2000 || i == keys-1 {
				if err := db.MSet(kv...); err != nil {
					b.Fatal(err)
				}
				kv = kv[:0]
			}
		}
	}
	runLoad(b, dial, cmd, depth)
}

// runLoad sends b.N commands cmd (SET or GET of a random key among 100,000)
// in pipelines of depth over 50 connections from dial, reading every reply.
func runLoad(b *testing.B, dial func() (net.Conn, error), cmd string, depth int) {
	const clients, keys = 50, 100000
	value := []byte("xxx")
	conns := make([]net.Conn, clients)
	for i := range conns {
		var err error
		if conns[i], err = dial(); err != nil {
			b.Fatal(err)
		}
		defer conns[i].Close()
	}

	var left atomic.Int64
	left.Store(int64(b.N))
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	b.ResetTimer()
	for i, c := range conns {
		wg.Add(1)
		go func(seed int, c net.Conn) {
			defer wg.Done()
			r := bufio.NewReader(c)
			rnd := uint64(seed)*0x9e3779b97f4a7c15 + 1
			var req []byte
			for {
				n := int64(depth)
				if rest := left.Add(-n); rest < 0 {
					n += rest
					if n <= 0 {
						return
					}
				}
				req = req[:0]
				for j := int64(0); j < n; j++ {
					rnd ^= rnd << 13
					rnd ^= rnd >> 7
					rnd ^= rnd << 17
					key := "key:" + strconv.FormatUint(rnd%keys, 10)
					if cmd == "SET" {
						req = fmt.Appendf(req, "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n", len(key), key, len(value), value)
					} else {
						req = fmt.Appendf(req, "*2\r\n$3\r\nGET\r\n$%d\r\n%s\r\n", len(key), key)
					}
				}
				if _, err := c.Write(req); err != nil {
					errs <- err
					return
				}
				for j := int64(0); j < n; j++ {
					if err := skipReply(r); err != nil {
						errs <- err
						return
					}
				}
			}
		}(i, c)
	}
	wg.Wait()
	b.StopTimer()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
}

// skipReply reads one reply of SET (+OK) or GET (a bulk string or null).
func skipReply(r *bufio.Reader) error {
	line, err := r.ReadSlice('\n')
	if err != nil {
		return err
	}
	switch line[0] {
	case '+':
		return nil
	case '$':
		n, err := strconv.Atoi(string(line[1 : len(line)-2]))
		if err != nil || n < 0 {
			return err
		}
		_, err = r.Discard(n + 2)
		return err
	}
	return fmt.Errorf("unexpected reply %q", line)
}

// BenchmarkSyncReplicas is the cost of cluster-sync-replicas 1: SET at
// pipeline 1 and 16 over TCP against a primary with one replica, with the
// acknowledgement gate off (0) and on (1). Both servers run in the
// benchmark's process, the primary on disk with appendfsync everysec.
func BenchmarkSyncReplicas(b *testing.B) {
	for _, sync := range []int{0, 1} {
		for _, depth := range []int{1, 16} {
			b.Run(fmt.Sprintf("sync%d/P%d", sync, depth), func(b *testing.B) {
				db, err := store.Open(b.TempDir(), &store.Options{AppendFsync: store.FsyncEverySec})
				if err != nil {
					b.Fatal(err)
				}
				b.Cleanup(func() { db.Close() })
				cfg := DefaultConfig()
				cfg.Cluster.SyncReplicas = sync
				primary, err := New(db, cfg)
				if err != nil {
					b.Fatal(err)
				}
				b.Cleanup(func() { primary.Close() })
				ln, err := primary.Listen(tlsconn.TCP, "127.0.0.1:0")
				if err != nil {
					b.Fatal(err)
				}
				addr := ln.Addr().String()
				replica, err := New(memStore(b), DefaultConfig())
				if err != nil {
					b.Fatal(err)
				}
				b.Cleanup(func() { replica.Close() })
				rln, err := replica.Listen(tlsconn.TCP, "127.0.0.1:0")
				if err != nil {
					b.Fatal(err)
				}
				host, port, _ := net.SplitHostPort(addr)
				mustDo(b, testutil.MustDial(b, "tcp", rln.Addr().String()), "REPLICAOF", host, port)
				pc := testutil.MustDial(b, "tcp", addr)
				eventually(b, "the replica to acknowledge", func() bool {
					return mustDo(b, pc, "WAIT", "1", "100") == "(integer) 1"
				})
				runLoad(b, func() (net.Conn, error) { return net.Dial("tcp", addr) }, "SET", depth)
			})
		}
	}
}
