package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/shinglekv/shingle/internal/tick"
	"github.com/shinglekv/shingle/tlsconn"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: replsync load|wait|quiet|lag [flags]")
		os.Exit(2)
	}
	cmds := map[string]func([]string) error{"load": load, "wait": wait, "quiet": quiet, "lag": lag}
	cmd, ok := cmds[os.Args[1]]
	if !ok {
		fmt.Fprintf(os.Stderr, "replsync: unknown command %q: load, wait, quiet or lag\n", os.Args[1])
		os.Exit(2)
	}
	if err := cmd(os.Args[2:]); err != nil {
		fmt.Fprintf(os.Stderr, "replsync %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}

// tlsFlags are the client certificate files every command takes.
type tlsFlags struct{ ca, cert, key string }

func (t *tlsFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&t.ca, "cacert", "", "CA certificate that signed the servers' certificates (required)")
	fs.StringVar(&t.cert, "cert", "", "client certificate, for tls-auth-clients yes")
	fs.StringVar(&t.key, "key", "", "client private key")
}

// config is the client side of Shingle's tls-* settings: the CA verifies
// the server for the name 127.0.0.1, the pair is presented.
func (t *tlsFlags) config() (*tls.Config, error) {
	if t.ca == "" {
		return nil, errors.New("-cacert is required")
	}
	st := tlsconn.DefaultSettings()
	st.CACertFile, st.ClientCertFile, st.ClientKeyFile = t.ca, t.cert, t.key
	return st.ClientConfig("127.0.0.1")
}

// parse adds the TLS flags to fs, which holds the command's own flags,
// parses args, and returns the TLS config of the command's clients.
func parse(fs *flag.FlagSet, args []string) (*tls.Config, error) {
	var tf tlsFlags
	tf.register(fs)
	_ = fs.Parse(args)
	return tf.config()
}

func client(addr string, tc *tls.Config, pool int) *redis.Client {
	return redis.NewClient(&redis.Options{
		Addr: addr, TLSConfig: tc, Protocol: 2, PoolSize: pool, MaxRetries: -1,
		// A server busy with a full sync can be slow to answer INFO.
		ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second,
	})
}

// info returns the fields of one INFO section.
func info(ctx context.Context, c *redis.Client, section string) (map[string]string, error) {
	s, err := c.Info(ctx, section).Result()
	if err != nil {
		return nil, err
	}
	m := make(map[string]string)
	for line := range strings.SplitSeq(s, "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), ":"); ok {
			m[k] = v
		}
	}
	return m, nil
}

// replOffset is master_repl_offset from INFO replication.
func replOffset(ctx context.Context, c *redis.Client) (int64, map[string]string, error) {
	m, err := info(ctx, c, "replication")
	if err != nil {
		return 0, nil, err
	}
	off, err := strconv.ParseInt(m["master_repl_offset"], 10, 64)
	if err != nil {
		return 0, m, fmt.Errorf("master_repl_offset %q: %w", m["master_repl_offset"], err)
	}
	return off, m, nil
}

// pair holds a client of a primary and one of its replica: the two
// servers that wait and lag watch.
type pair struct{ primary, replica *redis.Client }

// dialPair adds -primary and -replica and the TLS flags to fs, which holds
// the command's own flags, parses args, and returns a client of each
// server. The caller closes the pair.
func dialPair(fs *flag.FlagSet, args []string) (pair, error) {
	primary := fs.String("primary", "", "primary address, host:port")
	replica := fs.String("replica", "", "replica address, host:port")
	tc, err := parse(fs, args)
	if err != nil {
		return pair{}, err
	}
	return pair{client(*primary, tc, 1), client(*replica, tc, 1)}, nil
}

func (pr pair) Close() {
	_ = pr.primary.Close()
	_ = pr.replica.Close()
}

// offsets asks the primary for its master_repl_offset, then the replica
// for its own and the rest of its INFO replication (also returned when
// the offset does not parse). The primary first: its offset only grows,
// so a replica at or past it a moment later has everything the primary
// had.
func (pr pair) offsets(ctx context.Context) (po, ro int64, replica map[string]string, err error) {
	po, _, err = replOffset(ctx, pr.primary)
	if err != nil {
		return 0, 0, nil, err
	}
	ro, replica, err = replOffset(ctx, pr.replica)
	return po, ro, replica, err
}

// sample asks both servers for their offsets at once, so that neither is
// older than the other by a round trip.
func (pr pair) sample(ctx context.Context) (po, ro int64, err error) {
	var wg sync.WaitGroup
	var perr, rerr error
	wg.Go(func() { po, _, perr = replOffset(ctx, pr.primary) })
	wg.Go(func() { ro, _, rerr = replOffset(ctx, pr.replica) })
	wg.Wait()
	return po, ro, errors.Join(perr, rerr)
}

// alive reports whether process pid exists (0: not checked).
func alive(pid int) bool {
	return pid == 0 || syscall.Kill(pid, 0) == nil
}

func load(args []string) error {
	fs := flag.NewFlagSet("load", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:6380", "server address, host:port")
	total := fs.Int64("bytes", 1<<30, "bytes of values to write in all")
	size := fs.Int("value", 1024, "bytes per value")
	conns := fs.Int("c", 8, "connections")
	pipeline := fs.Int("P", 64, "SETs per pipeline")
	tc, err := parse(fs, args)
	if err != nil {
		return err
	}
	if *total <= 0 || *size <= 0 || *conns <= 0 || *pipeline <= 0 {
		return errors.New("-bytes, -value, -c and -P must be positive")
	}
	keys := (*total + int64(*size) - 1) / int64(*size)
	ctx := context.Background()
	var next, done atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, *conns)
	start := time.Now()
	stop := make(chan struct{})
	go tick.Every(stop, 10*time.Second, func(time.Time) bool { // progress for a load that takes minutes
		fmt.Fprintf(os.Stderr, "  loaded %d of %d keys\n", done.Load(), keys)
		return true
	})
	for w := range *conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := client(*addr, tc, 1)
			defer c.Close()
			rnd := rand.NewChaCha8([32]byte{byte(w), 'r', 'e', 'p', 'l'})
			buf := make([]byte, *pipeline**size)
			for {
				first := next.Add(int64(*pipeline)) - int64(*pipeline)
				if first >= keys {
					return
				}
				n := min(int64(*pipeline), keys-first)
				_, _ = rnd.Read(buf[:n*int64(*size)])
				p := c.Pipeline()
				for i := range n {
					p.Set(ctx, fmt.Sprintf("key:%012d", first+i), buf[i*int64(*size):(i+1)*int64(*size)], 0)
				}
				if _, err := p.Exec(ctx); err != nil {
					errs <- err
					return
				}
				done.Add(n)
			}
		}()
	}
	wg.Wait()
	close(stop)
	elapsed := time.Since(start)
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	fmt.Printf("%d %d %.3f\n", keys, keys*int64(*size), elapsed.Seconds())
	return nil
}

func wait(args []string) error {
	fs := flag.NewFlagSet("wait", flag.ExitOnError)
	pid := fs.Int("pid", 0, "replica process: fail if it exits")
	since := fs.Int64("since", 0, "Unix nanoseconds the replica was started at (default: now)")
	interval := fs.Duration("interval", 20*time.Millisecond, "poll interval")
	timeout := fs.Duration("timeout", 30*time.Minute, "give up after")
	pr, err := dialPair(fs, args)
	if err != nil {
		return err
	}
	defer pr.Close()
	start := time.Now()
	if *since != 0 {
		start = time.Unix(0, *since)
	}
	ctx := context.Background()
	deadline := time.Now().Add(*timeout)
	lastNote := time.Now()
	var lastErr error
	var last map[string]string
	for {
		if !alive(*pid) {
			return fmt.Errorf("replica process %d exited (last INFO replication %v, last error %v)", *pid, last, lastErr)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("replica not in sync after %v (last INFO replication %v, last error %v)", *timeout, last, lastErr)
		}
		want, got, m, err := pr.offsets(ctx)
		now := time.Now()
		switch {
		case err != nil:
			lastErr = err // the replica is not listening yet, or busy loading
		case m["master_link_status"] == "up" && m["master_sync_in_progress"] == "0" && got >= want:
			fmt.Printf("%.3f %d\n", now.Sub(start).Seconds(), got)
			return nil
		default:
			last = m
		}
		if now.Sub(lastNote) >= 10*time.Second {
			lastNote = now
			note := fmt.Sprintf("last error: %v", lastErr)
			if m != nil {
				note = fmt.Sprintf("link %s, sync in progress %s, read %s bytes, offset %d of %d",
					m["master_link_status"], m["master_sync_in_progress"], m["master_sync_read_bytes"], got, want)
			}
			fmt.Fprintf(os.Stderr, "  %.0fs: %s\n", now.Sub(start).Seconds(), note)
		}
		time.Sleep(*interval)
	}
}

// cpuTicks is the user and system time process pid has used, in clock
// ticks (fields 14 and 15 of /proc/pid/stat).
func cpuTicks(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name, field 2, is in parentheses and may hold spaces.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc/%d/stat: %q", pid, b)
	}
	f := strings.Fields(string(b[i+1:])) // f[0] is field 3
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: %q", pid, b)
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	s, err2 := strconv.ParseInt(f[12], 10, 64)
	return u + s, errors.Join(err1, err2)
}

func quiet(args []string) error {
	fs := flag.NewFlagSet("quiet", flag.ExitOnError)
	addr := fs.String("addr", "", "server address, host:port")
	pid := fs.Int("pid", 0, "server process")
	cpu := fs.Float64("cpu", 0.1, "CPUs the process may use in a second and count as quiet")
	timeout := fs.Duration("timeout", 10*time.Minute, "give up after")
	tc, err := parse(fs, args)
	if err != nil {
		return err
	}
	ctx := context.Background()
	c := client(*addr, tc, 1)
	defer c.Close()
	const hz = 100 // USER_HZ on Linux
	start := time.Now()
	for {
		if time.Since(start) > *timeout {
			return fmt.Errorf("%s not quiet after %v", *addr, *timeout)
		}
		m, err := info(ctx, c, "persistence")
		if err != nil {
			return err
		}
		busy := false
		for _, f := range []string{"loading", "rdb_bgsave_in_progress", "aof_rewrite_in_progress", "aof_rewrite_scheduled"} {
			if v, ok := m[f]; ok && v != "0" {
				busy = true
			}
		}
		if busy {
			time.Sleep(200 * time.Millisecond)
			continue
		}
		t0, err := cpuTicks(*pid)
		if err != nil {
			return err
		}
		time.Sleep(time.Second)
		t1, err := cpuTicks(*pid)
		if err != nil {
			return err
		}
		if float64(t1-t0)/hz < *cpu {
			fmt.Printf("%.1f\n", time.Since(start).Seconds())
			return nil
		}
	}
}

func lag(args []string) error {
	fs := flag.NewFlagSet("lag", flag.ExitOnError)
	interval := fs.Duration("interval", 10*time.Millisecond, "sample interval")
	timeout := fs.Duration("timeout", 10*time.Minute, "give up catching up after")
	pr, err := dialPair(fs, args)
	if err != nil {
		return err
	}
	defer pr.Close()
	ctx := context.Background()
	eof := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, bufio.NewReader(os.Stdin))
		close(eof)
	}()
	first, _, err := pr.sample(ctx)
	if err != nil {
		return err
	}
	var n, sum, most, last int64
	var began time.Time
	t := time.NewTicker(*interval)
	defer t.Stop()
	for running := true; running; {
		select {
		case <-eof:
			running = false
		case <-t.C:
		}
		po, ro, err := pr.sample(ctx)
		if err != nil {
			return err
		}
		if po == first { // the load has not begun
			continue
		}
		if began.IsZero() {
			began = time.Now()
		}
		d := max(po-ro, 0) // the replica, asked a moment later, may be past
		n, sum, most, last = n+1, sum+d, max(most, d), po
	}
	end := time.Now()
	rate := 0.0 // bytes of replication stream per second during the load
	if n > 1 {
		rate = float64(last-first) / end.Sub(began).Seconds()
	}
	for {
		po, ro, _, err := pr.offsets(ctx)
		if err != nil {
			return err
		}
		if ro >= po {
			break
		}
		if time.Since(end) > *timeout {
			return fmt.Errorf("replica at offset %d, primary at %d, %v after the load", ro, po, *timeout)
		}
		time.Sleep(*interval)
	}
	mean := 0.0
	if n > 0 {
		mean = float64(sum) / float64(n)
	}
	fmt.Printf("%d %.0f %d %.3f %.0f\n", n, mean, most, time.Since(end).Seconds(), rate)
	return nil
}
