package testutil

import (
	"io"
	"net"
	"sync"
	"testing"
	"time"
)

// Proxy forwards TCP connections from its own loopback address to a
// target, and lets a test cut them, cut them after a number of bytes, stall
// them after a number of bytes, and fragment and delay what flows from the
// target to the client ("downstream"): the faults a replication link must
// survive.
type Proxy struct {
	Addr   string // where clients connect
	target string
	ln     net.Listener

	mu       sync.Mutex
	closed   bool
	conns    map[net.Conn]struct{}
	cutAfter []int64 // cut the next connections after these many bytes downstream
	hold     *hold   // stall the next connection
	holds    []*hold // every hold handed out, released at the end
	chunk    int     // downstream writes of at most chunk bytes; 0 unchanged
	delay    time.Duration
	accepted int
	wg       sync.WaitGroup
}

// StartProxy starts a proxy to target on 127.0.0.1:0, stopped by
// t.Cleanup.
func StartProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{Addr: ln.Addr().String(), target: target, ln: ln, conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(func() {
		ln.Close()
		p.mu.Lock()
		p.closed = true
		holds := p.holds
		p.mu.Unlock()
		for _, h := range holds {
			h.release()
		}
		p.Cut()
		p.wg.Wait()
	})
	return p
}

// Cut closes every connection open through the proxy.
func (p *Proxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		c.Close()
	}
}

// CutAfter makes the next connections close once n[0], n[1], ... bytes
// have gone downstream through them, one limit per connection (a cut in
// the middle of a reply or a snapshot).
func (p *Proxy) CutAfter(n ...int64) {
	p.mu.Lock()
	p.cutAfter = append(p.cutAfter, n...)
	p.mu.Unlock()
}

// hold stalls a connection's downstream once after bytes have gone
// through, until released.
type hold struct {
	after int64
	ch    chan struct{}
	once  sync.Once
}

func (h *hold) release() { h.once.Do(func() { close(h.ch) }) }

// HoldAfter makes the next connection stop sending downstream once n bytes
// have gone through, until release is called: a link stalled in the
// middle of a snapshot, for as long as the test looks at both ends.
func (p *Proxy) HoldAfter(n int64) (release func()) {
	h := &hold{after: n, ch: make(chan struct{})}
	p.mu.Lock()
	p.hold = h
	p.holds = append(p.holds, h)
	p.mu.Unlock()
	return h.release
}

// Shape splits what goes downstream on connections accepted from now on
// into writes of at most chunk bytes, each after delay.
func (p *Proxy) Shape(chunk int, delay time.Duration) {
	p.mu.Lock()
	p.chunk, p.delay = chunk, delay
	p.mu.Unlock()
}

// Accepted returns how many connections the proxy has accepted.
func (p *Proxy) Accepted() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.accepted
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return
		}
		server, err := net.DialTimeout("tcp", p.target, 10*time.Second)
		if err != nil {
			client.Close()
			continue
		}
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			client.Close()
			server.Close()
			return
		}
		p.accepted++
		p.conns[client], p.conns[server] = struct{}{}, struct{}{}
		var limit int64
		if len(p.cutAfter) > 0 {
			limit, p.cutAfter = p.cutAfter[0], p.cutAfter[1:]
		}
		chunk, delay, h := p.chunk, p.delay, p.hold
		p.hold = nil
		p.mu.Unlock()
		closeBoth := func() {
			client.Close()
			server.Close()
			p.mu.Lock()
			delete(p.conns, client)
			delete(p.conns, server)
			p.mu.Unlock()
		}
		p.wg.Add(2)
		go func() {
			defer p.wg.Done()
			defer closeBoth()
			io.Copy(server, client)
		}()
		go func() {
			defer p.wg.Done()
			defer closeBoth()
			downstream(client, server, limit, h, chunk, delay)
		}()
	}
}

// downstream copies from src to dst, shaped, until either fails or limit
// bytes (when set) have gone through, stalling at h (when set).
func downstream(dst io.Writer, src io.Reader, limit int64, h *hold, chunk int, delay time.Duration) {
	buf := make([]byte, 32<<10)
	var sent int64
	for {
		n, err := src.Read(buf)
		data := buf[:n]
		if limit > 0 && sent+int64(len(data)) >= limit {
			data = data[:limit-sent]
			err = io.EOF
		}
		if h != nil && sent+int64(len(data)) >= h.after {
			k, werr := ShapedWrite(dst, data[:h.after-sent], chunk, delay)
			sent += int64(k)
			if werr != nil {
				return
			}
			data = data[k:]
			<-h.ch
			h = nil
		}
		k, werr := ShapedWrite(dst, data, chunk, delay)
		sent += int64(k)
		if werr != nil || err != nil {
			return
		}
	}
}

// ShapedWrite writes p to w in pieces of at most chunk bytes (0: in one),
// each after Latency(delay): what a slow, fragmented link delivers. It
// returns how much was written, as Write does.
func ShapedWrite(w io.Writer, p []byte, chunk int, delay time.Duration) (int, error) {
	written := 0
	for len(p) > 0 {
		k := len(p)
		if chunk > 0 {
			k = min(k, chunk)
		}
		Latency(delay)
		n, err := w.Write(p[:k])
		written += n
		if err != nil {
			return written, err
		}
		p = p[k:]
	}
	return written, nil
}

// Latency is a link's delay, the fault a test puts under a connection
// (Proxy.Shape, the cluster tests' slow bus): it waits d. It is the
// thing under test there, never a way to wait for something to happen.
func Latency(d time.Duration) {
	if d > 0 {
		time.Sleep(d)
	}
}
