package replication

import (
	"errors"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shinglekv/shingle/command"
	"github.com/shinglekv/shingle/internal/resp"
	"github.com/shinglekv/shingle/internal/testutil"
	"github.com/shinglekv/shingle/store"
)

// fakePrimary serves one replica link on 127.0.0.1:0: the handshake, a
// full sync of snap, then whatever is sent on stream. Later connections
// are held unanswered, so that the replica's next attempt waits.
func fakePrimary(t *testing.T, snap *store.Snapshot) (addr string, stream chan<- []byte) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return fakePrimaryOn(t, ln, snap)
}

// baseSnapshot is a snapshot of a primary's store holding base = 1, for
// fakePrimary to serve.
func baseSnapshot(t *testing.T) *store.Snapshot {
	t.Helper()
	primary := memStore(t)
	primary.Set([]byte("base"), []byte("1"))
	snap, cancel, err := primary.SubscribeSnapshot(func(store.Change) {})
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	t.Cleanup(func() { snap.Close() })
	return snap
}

// fakePrimaryOn is fakePrimary on ln, of any transport.
func fakePrimaryOn(t *testing.T, ln net.Listener, snap *store.Snapshot) (addr string, stream chan<- []byte) {
	t.Helper()
	t.Cleanup(func() { ln.Close() })
	ch := make(chan []byte)
	go func() {
		first := true
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { conn.Close() })
			if !first {
				go io.Copy(io.Discard, conn)
				continue
			}
			first = false
			go func() {
				rd := resp.NewRequestReader(conn)
				for {
					args, err := rd.Next(true)
					if err != nil {
						return
					}
					switch strings.ToUpper(string(args[0])) {
					case "PING":
						io.WriteString(conn, "+PONG\r\n")
					case "PSYNC":
						io.WriteString(conn, FullResync(snap))
						if WriteDisklessRDB(conn, snap, "7.0.15") != nil {
							return
						}
						go io.Copy(io.Discard, conn) // the ACKs
						for b := range ch {
							if _, err := conn.Write(b); err != nil {
								return
							}
						}
						return
					default:
						io.WriteString(conn, "+OK\r\n")
					}
				}
			}()
		}
	}()
	return ln.Addr().String(), ch
}

// TestReplicaSurvivesPanic: a command of the primary's stream whose
// application panics (a SET of key "boom", through a table where SET is
// replaced to panic there) ends the link with a PanicError rather than the
// process: logged, told to OnPanic, shown as the link's last error. The
// run of the stream that panicked is rolled back whole; what was applied
// before stays; the store goes on taking writes.
func TestReplicaSurvivesPanic(t *testing.T) {
	addr, stream := fakePrimary(t, baseSnapshot(t))

	table := command.NewTable()
	set := *table.Lookup([]byte("set"))
	run := set.Run
	set.Run = func(c *command.Ctx, args [][]byte) command.Reply {
		if string(args[1]) == "boom" {
			panic("boom applying SET")
		}
		return run(c, args)
	}
	table.Add(&set)
	db := memStore(t)
	var panics atomic.Int32
	r, err := Follow(db, Config{Addr: addr, Table: table, Timeout: 30 * time.Second,
		OnPanic: func(pe *PanicError) {
			if pe.Value == "boom applying SET" && len(pe.Stack) > 0 {
				panics.Add(1)
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Stop)
	testutil.Eventually(t, 10*time.Second, "the link to come up", func() bool { return r.Status().LinkUp })

	stream <- resp.AppendCommand(nil, []byte("SET"), []byte("a"), []byte("1"))
	testutil.Eventually(t, 10*time.Second, "SET a to be applied", func() bool { v, err := db.Get([]byte("a")); return err == nil && string(v) == "1" })
	// One write, one run of the stream: the SET before the panic in it is
	// rolled back with it.
	run2 := resp.AppendCommand(nil, []byte("SET"), []byte("b"), []byte("2"))
	run2 = resp.AppendCommand(run2, []byte("SET"), []byte("boom"), []byte("x"))
	stream <- run2
	testutil.Eventually(t, 10*time.Second, "the panic to end the link", func() bool {
		st := r.Status()
		return panics.Load() == 1 && !st.LinkUp && strings.Contains(st.LastError, "panic handling the primary's data: boom applying SET")
	})
	for k, want := range map[string]string{"base": "1", "a": "1", "b": "", "boom": ""} {
		v, err := db.Get([]byte(k))
		switch {
		case want == "" && !errors.Is(err, store.ErrNotFound):
			t.Errorf("%s = %q, %v: a write of the run that panicked is there", k, v, err)
		case want != "" && (err != nil || string(v) != want):
			t.Errorf("%s = %q, %v, want %q", k, v, err, want)
		}
	}
	if err := db.Set([]byte("after"), []byte("1")); err != nil {
		t.Fatalf("a write after the panic: %v", err)
	}
}
