package netmode

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shinglekv/shingle/command"
	"github.com/shinglekv/shingle/config"
	"github.com/shinglekv/shingle/tlsconn"
)

// MONITOR: the connection receives every command the server runs from
// then on, one status line each, as Redis 7.0 writes them
// (replicationFeedMonitors): time, database and client address, then the
// arguments quoted, passwords redacted, admin commands left out. A
// monitor whose connection cannot keep up (monitorBacklog lines behind)
// is closed, as Redis closes one past its output buffer limit. A
// monitoring connection reads nothing else: it ends when the client
// closes it.

const monitorBacklog = 10000

type monitors struct {
	mu   sync.Mutex
	n    atomic.Int32
	list map[*client]chan []byte
}

func monitorCmd(ctx *command.Ctx, _ [][]byte) command.Reply {
	if ctx.Block == nil {
		return command.ErrorReply("ERR MONITOR isn't allowed for DENY BLOCKING client")
	}
	clientOf(ctx).monitoring = true
	return command.OK
}

// feedMonitors sends args, which c ran, to every monitor.
func (s *Server) feedMonitors(c *client, cmd *command.Command, args [][]byte) {
	if s.monitors.n.Load() == 0 || cmd.Flags&(command.FlagAdmin|command.FlagSkipMonitor) != 0 {
		return
	}
	now := time.Now()
	addr := c.addr()
	if c.conn.Transport() == tlsconn.Unix {
		addr = "unix:" + c.conn.LocalAddr().String()
	}
	line := fmt.Appendf(nil, "+%d.%06d [0 %s]", now.Unix(), now.Nanosecond()/1000, addr)
	redacted := redactions(cmd.Name, args)
	for i, a := range args {
		if redacted[i] {
			a = []byte("(redacted)")
		}
		line = config.AppendRepr(append(line, ' '), string(a))
	}
	line = append(line, "\r\n"...)
	m := &s.monitors
	m.mu.Lock()
	defer m.mu.Unlock()
	for mc, ch := range m.list {
		select {
		case ch <- line:
		default:
			delete(m.list, mc) // too far behind: serveMonitor closes it
			m.n.Add(-1)
			close(ch)
		}
	}
}

// serveMonitor turns the connection into a monitor's, until it closes or
// falls behind.
func (c *client) serveMonitor() {
	m := &c.s.monitors
	ch := make(chan []byte, monitorBacklog)
	m.mu.Lock()
	if m.list == nil {
		m.list = map[*client]chan []byte{}
	}
	m.list[c] = ch
	m.n.Add(1)
	m.mu.Unlock()
	defer func() {
		m.mu.Lock()
		if _, ok := m.list[c]; ok {
			delete(m.list, c)
			m.n.Add(-1)
		}
		m.mu.Unlock()
	}()
	read := make(chan error, 1)
	go func() {
		for {
			c.conn.SetReadDeadline(time.Time{})
			if c.s.isStopping() || c.isKilled() {
				c.conn.SetReadDeadline(time.Now())
			}
			if err := c.rd.Fill(); err != nil {
				read <- err
				return
			}
			for { // what the client sends is read and dropped
				args, err := c.rd.Next(false)
				if err != nil {
					read <- err
					return
				}
				if args == nil {
					break
				}
			}
		}
	}()
	defer func() {
		c.conn.SetReadDeadline(time.Now())
		<-read
	}()
	for {
		select {
		case line, ok := <-ch:
			if !ok {
				return
			}
			c.out = append(c.out, line...)
			for len(ch) > 0 && len(c.out) < flushAt {
				c.out = append(c.out, <-ch...)
			}
			if !c.flush() {
				return
			}
		case <-read:
			read <- nil // for the deferred wait
			return
		}
	}
}
