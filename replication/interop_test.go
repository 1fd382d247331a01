package replication

import (
	"bufio"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/shinglekv/shingle/command"
	"github.com/shinglekv/shingle/internal/resp"
	"github.com/shinglekv/shingle/internal/testutil"
	"github.com/shinglekv/shingle/internal/tick"
)

// TestFullSyncFromRedis asks a stock redis-server for a full sync the way
// a replica does (REPLCONF capa eof capa psync2, PSYNC ? -1) and loads it
// with readFullSync: the store ends with the same DEBUG DIGEST as the
// server. Then a write on the server arrives on the same link as a command
// of the change stream, and applied through the command table it keeps
// the two equal.
func TestFullSyncFromRedis(t *testing.T) {
	srv := testutil.StartRedis(t, "--enable-debug-command", "yes", "--repl-diskless-sync", "yes",
		"--repl-diskless-sync-delay", "0")
	c := srv.Dial(t)
	for i := range 500 {
		k := fmt.Sprintf("k:%d", i)
		switch i % 4 {
		case 0:
			c.Do("SET", k, fmt.Sprint(i)) // an integer encoding
		case 1:
			c.Do("SET", k, strings.Repeat("compressible ", 20)) // LZF
		case 2:
			c.Do("HSET", k, "a", "1", "b", fmt.Sprint(i)) // a listpack
		case 3:
			c.Do("SET", k, "t")
			c.Do("PEXPIRE", k, "3600000")
		}
	}

	link, err := net.Dial("unix", srv.Socket)
	if err != nil {
		t.Fatal(err)
	}
	defer link.Close()
	link.SetDeadline(time.Now().Add(30 * time.Second))
	br := bufio.NewReader(link)
	for _, cmd := range []string{"PING", "REPLCONF capa eof capa psync2"} {
		fmt.Fprintf(link, "%s\r\n", cmd)
		if line, err := readLine(br); err != nil || line[0] != '+' {
			t.Fatalf("%s: %q, %v", cmd, line, err)
		}
	}
	fmt.Fprintf(link, "PSYNC ? -1\r\n")
	replica := memStore(t)
	id, off, err := readSync(br, replica)
	if err != nil {
		t.Fatal(err)
	}
	want := func() string {
		r, err := c.Do("DEBUG", "DIGEST")
		if err != nil {
			t.Fatal(err)
		}
		return string(r.Str)
	}
	if got, _ := replica.Digest(); got != want() {
		t.Fatalf("after the full sync: digest %s, redis-server %s", got, want())
	}
	if replica.ReplicationID() != id || replica.Offset() != off {
		t.Fatal("the store did not take the primary's history")
	}

	// A diskless Redis primary starts the stream at the replica's first
	// acknowledgement once its child has reported the transfer done: one
	// sent before then is ignored, so the replica sends one every 100 ms,
	// as a real one does every second.
	acked := make(chan struct{})
	defer close(acked)
	go tick.Every(acked, 100*time.Millisecond, func(time.Time) bool {
		_, err := fmt.Fprintf(link, "*3\r\n$8\r\nREPLCONF\r\n$3\r\nACK\r\n$%d\r\n%d\r\n", len(fmt.Sprint(off)), off)
		return err == nil
	})
	c.Do("HSET", "k:2", "c", "new")
	rd := resp.NewRequestReader(br)
	for {
		args, err := rd.Next(true)
		if err != nil {
			t.Fatal(err)
		}
		if name := strings.ToUpper(string(args[0])); name == "SELECT" || name == "PING" {
			continue // database 0 is the only one; keepalives
		}
		strs := make([]string, len(args))
		for i, a := range args {
			strs[i] = string(a)
		}
		if r := command.Do(replica, strs...); r.Kind == command.KindError {
			t.Fatalf("applying %q: %v", strs, r)
		}
		break
	}
	if got, _ := replica.Digest(); got != want() {
		t.Fatalf("after the stream's first write: digest %s, redis-server %s", got, want())
	}
}
