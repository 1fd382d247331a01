package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/shinglekv/shingle/tlsconn"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "goredis:", err)
		os.Exit(1)
	}
}

func run() error {
	addr := flag.String("addr", "127.0.0.1:6380", "server address, host:port")
	transport := flag.String("transport", "tls", "tls or quic")
	test := flag.String("t", "set", "set or get")
	clients := flag.Int("c", 50, "clients")
	n := flag.Int64("n", 100000, "requests in all")
	keys := flag.Int("r", 100000, "random key space")
	caFile := flag.String("cacert", "", "CA certificate that signed the server's certificate (required)")
	certFile := flag.String("cert", "", "client certificate, for tls-auth-clients yes")
	keyFile := flag.String("key", "", "client private key")
	flag.Parse()
	if *caFile == "" || *clients <= 0 || *n <= 0 || *keys <= 0 {
		flag.Usage()
		return errors.New("-cacert is required; -c, -n and -r must be positive")
	}
	if *test != "set" && *test != "get" {
		return fmt.Errorf("-t %q: set or get", *test)
	}
	// The client side of Shingle's own tls-* settings: the CA verifies
	// the server (for the name 127.0.0.1), the pair is presented.
	st := tlsconn.DefaultSettings()
	st.CACertFile, st.ClientCertFile, st.ClientKeyFile = *caFile, *certFile, *keyFile
	tc, err := st.ClientConfig("127.0.0.1")
	if err != nil {
		return err
	}
	opts := &redis.Options{Addr: *addr, PoolSize: 1, MaxRetries: -1}
	switch *transport {
	case "tls":
		opts.TLSConfig = tc
	case "quic":
		d := &tlsconn.Dialer{Transport: tlsconn.QUIC, TLSConfig: tc}
		defer d.Close()
		opts.Dialer = d.DialContext
	default:
		return fmt.Errorf("-transport %q: tls or quic", *transport)
	}

	ctx := context.Background()
	cs := make([]*redis.Client, *clients)
	for i := range cs {
		cs[i] = redis.NewClient(opts)
		defer cs[i].Close()
		if err := cs[i].Ping(ctx).Err(); err != nil { // connected before the clock starts
			return err
		}
	}
	value := "xxx" // redis-benchmark's default 3 bytes
	var left atomic.Int64
	left.Store(*n)
	var wg sync.WaitGroup
	errs := make(chan error, len(cs))
	start := time.Now()
	for i, c := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rnd := rand.New(rand.NewPCG(uint64(i), 1))
			for left.Add(-1) >= 0 {
				key := "key:" + strconv.Itoa(rnd.IntN(*keys))
				var err error
				if *test == "set" {
					err = c.Set(ctx, key, value, 0).Err()
				} else if err = c.Get(ctx, key).Err(); errors.Is(err, redis.Nil) {
					err = nil
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	fmt.Printf("%.2f\n", float64(*n)/elapsed.Seconds())
	return nil
}
