package netmode

import (
	"errors"
	"sync"
	"time"

	"github.com/shinglekv/shingle/command"
	"github.com/shinglekv/shingle/replication"
	"github.com/shinglekv/shingle/store"
)

// The primary side of replication, as far as it goes: a client that sends
// PSYNC (or SYNC) becomes a replica link. Its connection and goroutine
// then serve only the full sync and the change stream that follows,
// written by this goroutine alone; the changes committed meanwhile wait in
// a buffer bounded like Redis's client-output-buffer-limit for replicas.
// Partial resync (+CONTINUE) is not offered yet: every PSYNC gets a full
// sync.

// replicaBufferLimit is the most a replica link may fall behind, in bytes
// of the change stream, before it is dropped (Redis's default hard limit
// for replicas, 256mb).
const replicaBufferLimit = 256 << 20

// replconf answers REPLCONF: the replica's listening-port, capabilities
// and acknowledgements are accepted (acknowledgements arrive on the link
// later and are read there).
func replconf(ctx *command.Ctx, args [][]byte) command.Reply {
	if len(args)%2 == 0 {
		return command.ErrorReply("ERR syntax error")
	}
	return command.OK
}

// psync marks the client to become a replica link once this reply and
// those before it are written.
func psync(ctx *command.Ctx, args [][]byte) command.Reply {
	c := ctx.Client.(*client)
	if c.multi != nil {
		return command.ErrorReply("ERR Command not allowed inside a transaction")
	}
	c.replicaLink = true // execute writes no reply: the link answers +FULLRESYNC
	return command.Reply{}
}

// streamBuffer holds the change stream a replica link has not written yet.
type streamBuffer struct {
	mu       sync.Mutex
	data     []byte
	overflow bool
	wake     chan struct{} // signalled when data arrives
}

func (b *streamBuffer) add(c store.Change) {
	b.mu.Lock()
	if !b.overflow {
		b.data = replication.AppendChange(b.data, c)
		b.overflow = len(b.data) > replicaBufferLimit
	}
	b.mu.Unlock()
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

func (b *streamBuffer) take() ([]byte, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	d := b.data
	b.data = nil
	return d, b.overflow
}

var errReplicaOverflow = errors.New("netmode: replica fell too far behind (output buffer limit)")

// serveReplica runs a replica link to its end: the full sync, then the
// changes after it, while a reader goroutine drains what the replica sends
// (REPLCONF ACK). It returns when the link fails or the server stops.
func (c *client) serveReplica() {
	cfg := c.s.cfg.Load()
	buf := &streamBuffer{wake: make(chan struct{}, 1)}
	snap, cancel, err := c.s.db.SubscribeSnapshot(buf.add)
	if err != nil {
		c.reply(command.ErrReply(err))
		c.flush()
		return
	}
	defer cancel()
	c.conn.SetWriteDeadline(time.Time{})
	err = replication.WriteFullSync(c.conn, snap, Version)
	snap.Close()
	if err != nil {
		cfg.Logger.Warn("netmode: full sync to a replica failed", "id", c.id, "err", err)
		return
	}
	gone := make(chan struct{})
	go func() { // acknowledgements: read and dropped for now
		defer close(gone)
		c.conn.SetReadDeadline(time.Time{})
		for {
			if err := c.rd.Fill(); err != nil {
				return
			}
			for {
				args, err := c.rd.Next(false)
				if err != nil {
					return
				}
				if args == nil {
					break
				}
			}
		}
	}()
	// No PING keepalives yet: Redis counts them in the stream's offsets,
	// and the store's offsets count only writes.
	for {
		select {
		case <-buf.wake:
		case <-gone:
			return
		case <-c.s.done:
			return
		}
		data, overflow := buf.take()
		if overflow {
			cfg.Logger.Warn(errReplicaOverflow.Error(), "id", c.id)
			return
		}
		if timeout := cfg.Timeout; timeout > 0 {
			c.conn.SetWriteDeadline(time.Now().Add(timeout))
		}
		if _, err := c.conn.Write(data); err != nil {
			return
		}
	}
}
