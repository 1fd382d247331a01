package netmode

// Replication interop with a stock redis-server (Debian's 7.0 package):
// redis-server as a replica of Shingle and Shingle as a replica of
// redis-server, both over mutual TLS, compared key by key; and a Shingle
// replica whose primary holds or sends what Shingle cannot store.

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shinglekv/shingle/command"
	"github.com/shinglekv/shingle/internal/testutil"
)

// endpoint is where a test reaches a server: Shingle's plain TCP port, or
// redis-server's unix socket.
type endpoint struct{ network, addr string }

func shingleAt(n *node) endpoint         { return endpoint{"tcp", n.tcp} }
func redisAt(r *testutil.Redis) endpoint { return endpoint{"unix", r.Socket} }

// pipe is a connection that sends a batch of commands at once and reads
// their replies, so that a test can read thousands of keys quickly.
type pipe struct{ *testutil.Client }

func dialPipe(t *testing.T, e endpoint) *pipe {
	t.Helper()
	return &pipe{testutil.MustDial(t, e.network, e.addr)}
}

// do sends cmds and returns their replies.
func (p *pipe) do(t *testing.T, cmds [][]string) []command.Reply {
	t.Helper()
	replies, err := p.Pipeline(30*time.Second, cmds...)
	if err != nil {
		t.Fatalf("%v (after %d replies)", err, len(replies))
	}
	return replies
}

// mustRun sends cmds and fails the test on any error reply.
func (p *pipe) mustRun(t *testing.T, cmds [][]string) {
	t.Helper()
	for i, r := range p.do(t, cmds) {
		if r.IsError() {
			t.Fatalf("%q: %s", cmds[i], r)
		}
	}
}

// fixture returns the commands that write n keys (and a few with odd
// names) in every encoding Redis 7.0 gives the types Shingle stores, a
// fifth of them with a TTL of an hour or more: integers of every width
// (RDB_ENC_INT8/16/32) and numbers Redis keeps as text, short strings,
// long repetitive strings (LZF), incompressible binary ones, small hashes
// (listpack, whose integers take 7 to 64 bits) and large ones (hashtable,
// by field count or by value length), sets, lists, and sorted sets small
// (listpack) and large (skiplist).
func fixture(n int) [][]string {
	ints := []string{"0", "7", "-1", "127", "-128", "255", "256", "32767", "-32768", "65535", "65536",
		"2147483647", "-2147483648", "4294967296", "9223372036854775807", "-9223372036854775808"}
	texts := []string{"18446744073709551616", "007", "+5", "1e3", " 1", "-0", "0x10", "3.14", ""}
	rng := rand.New(rand.NewPCG(1, 2))
	var cmds [][]string
	for i := range n {
		k := "k:" + strconv.Itoa(i)
		switch i % 7 {
		case 0:
			cmds = append(cmds, []string{"SET", k, ints[i/7%len(ints)]})
		case 1:
			cmds = append(cmds, []string{"SET", k, texts[i/7%len(texts)]})
		case 2:
			cmds = append(cmds, []string{"SET", k, "v" + strconv.Itoa(i)})
		case 3:
			cmds = append(cmds, []string{"SET", k, strings.Repeat("shingle "+strconv.Itoa(i%10)+" ", 3+i%60)})
		case 4:
			b := make([]byte, 21+i%300)
			for j := range b {
				b[j] = byte(rng.UintN(256)) // \x00, \r and \n included
			}
			cmds = append(cmds, []string{"SET", k, string(b)})
		case 5:
			cmds = append(cmds, []string{"HSET", k, "u7", "100", "i13", "-1000", "i16", "30000", "i24", "-8000000",
				"i32", "2000000000", "i64", "9000000000000", "text", "value " + strconv.Itoa(i), "1", "an integer field", "empty", ""})
		case 6:
			h := []string{"HSET", k}
			switch i / 7 % 10 {
			case 0: // hashtable: more than hash-max-listpack-entries fields
				for j := range 129 + i%100 {
					h = append(h, "f"+strconv.Itoa(j), strconv.Itoa(j*i))
				}
			case 1: // hashtable: a value longer than hash-max-listpack-value
				h = append(h, "short", "s", "long", strings.Repeat("x", 65+i%100))
			default:
				h = append(h, "a", strings.Repeat("compressible ", 4), "b", strconv.Itoa(i))
			}
			cmds = append(cmds, h)
		}
		if i%5 == 0 {
			cmds = append(cmds, []string{"PEXPIRE", k, strconv.Itoa(3_600_000 + i*1000 + i%7)})
		}
		if i%11 == 0 {
			sk := "s:" + strconv.Itoa(i)
			set := []string{"SADD", sk}
			switch i / 11 % 3 {
			case 0: // an intset
				for j := range 5 + i%20 {
					set = append(set, strconv.Itoa(j*i-50))
				}
			case 1: // a hashtable (7.0) or a listpack (7.2)
				set = append(set, "a", "b", "member "+strconv.Itoa(i), "")
			default: // a hashtable: more than set-max-intset-entries
				for j := range 600 {
					set = append(set, strconv.Itoa(j))
				}
			}
			cmds = append(cmds, set)
			if i%2 == 0 {
				cmds = append(cmds, []string{"PEXPIRE", sk, strconv.Itoa(3_600_000 + i)})
			}
		}
		if i%13 == 0 {
			list := []string{"RPUSH", "l:" + strconv.Itoa(i)}
			for j := range 1 + i%7*i%300 { // up to a few quicklist nodes
				list = append(list, strconv.Itoa(j*i), strings.Repeat("e", j%70))
			}
			cmds = append(cmds, list, []string{"LPUSH", "l:" + strconv.Itoa(i), "head"})
		}
		if i%17 == 0 {
			zk := "z:" + strconv.Itoa(i)
			z := []string{"ZADD", zk}
			switch i / 17 % 3 {
			case 0: // a listpack: scores kept as integers or as text
				z = append(z, "0", "zero", "-1", "neg", "1.5", "frac", "inf", "top", "-inf", "bottom", strconv.Itoa(i), "m"+strconv.Itoa(i))
			case 1: // a skiplist: more than zset-max-listpack-entries
				for j := range 200 {
					z = append(z, strconv.Itoa(j%37)+"."+strconv.Itoa(j), "m"+strconv.Itoa(j))
				}
			default: // a skiplist: a member longer than zset-max-listpack-value
				z = append(z, "1e300", strings.Repeat("m", 65+i%50), "-0.25", "b", "1e-300", "c")
			}
			cmds = append(cmds, z)
			if i%2 == 0 {
				cmds = append(cmds, []string{"PEXPIRE", zk, strconv.Itoa(3_600_000 + i)})
			}
		}
	}
	return append(cmds,
		[]string{"SET", strings.Repeat("K", 1000), "a long key"},
		[]string{"SET", "bin\x00\r\nkey", "a binary key"},
		[]string{"HSET", "bin\x00hash", "f\x00\r\n", "v\x00\r\n"},
	)
}

// keyState is a key as a client sees it.
type keyState struct {
	typ    string
	value  string // a string's value, or a hash's fields and values, sorted and quoted
	pttl   int64  // -1 without a TTL
	expire int64  // PEXPIRETIME: absolute, so equal on both sides of a link
}

// dumpKeys reads every key at e: SCAN, then TYPE, then the value, PTTL and
// PEXPIRETIME of each, pipelined.
func dumpKeys(t *testing.T, e endpoint) map[string]keyState {
	t.Helper()
	p := dialPipe(t, e)
	var keys []string
	for cursor := "0"; ; {
		r := p.do(t, [][]string{{"SCAN", cursor, "COUNT", "1000"}})[0]
		if r.Kind != command.KindArray || len(r.Elems) != 2 {
			t.Fatalf("SCAN on %s: %s", e.addr, r)
		}
		for _, k := range r.Elems[1].Elems {
			keys = append(keys, string(k.Str))
		}
		if cursor = string(r.Elems[0].Str); cursor == "0" {
			break
		}
	}
	slices.Sort(keys)
	keys = slices.Compact(keys) // SCAN may return a key twice
	var cmds [][]string
	for _, k := range keys {
		cmds = append(cmds, []string{"TYPE", k})
	}
	types := p.do(t, cmds)
	cmds = cmds[:0]
	for i, k := range keys {
		read := "GET"
		switch string(types[i].Str) {
		case "hash":
			read = "HGETALL"
		case "set":
			read = "SMEMBERS"
		case "list":
			read = "LRANGE"
		case "zset":
			read = "ZRANGE"
		}
		args := []string{read, k}
		switch read {
		case "LRANGE":
			args = append(args, "0", "-1")
		case "ZRANGE":
			args = append(args, "0", "-1", "WITHSCORES")
		}
		cmds = append(cmds, args, []string{"PTTL", k}, []string{"PEXPIRETIME", k})
	}
	replies := p.do(t, cmds)
	m := make(map[string]keyState, len(keys))
	for i, k := range keys {
		typ := string(types[i].Str)
		if typ == "none" {
			continue // expired since SCAN
		}
		v, pttl, at := replies[3*i], replies[3*i+1], replies[3*i+2]
		if v.IsError() || pttl.Kind != command.KindInt || at.Kind != command.KindInt {
			t.Fatalf("reading %q (%s) on %s: %s %s %s", k, typ, e.addr, v, pttl, at)
		}
		s := strconv.Quote(string(v.Str))
		switch typ {
		case "hash":
			var pairs []string
			for j := 0; j+1 < len(v.Elems); j += 2 {
				pairs = append(pairs, strconv.Quote(string(v.Elems[j].Str))+"="+strconv.Quote(string(v.Elems[j+1].Str)))
			}
			slices.Sort(pairs)
			s = strings.Join(pairs, " ")
		case "set", "list":
			var members []string
			for _, m := range v.Elems {
				members = append(members, strconv.Quote(string(m.Str)))
			}
			if typ == "set" {
				slices.Sort(members)
			}
			s = strings.Join(members, " ")
		}
		m[k] = keyState{typ: typ, value: s, pttl: pttl.Int, expire: at.Int}
	}
	return m
}

// ttlSlack is how far apart the two sides' PTTLs may be: they are read at
// different moments.
const ttlSlack = 3000

// diffKeys lists how got (a replica's keys) differs from want (its
// primary's), at most 10 differences and a count of the rest.
func diffKeys(want, got map[string]keyState) []string {
	var diffs []string
	var keys []string
	for k := range want {
		keys = append(keys, k)
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	short := func(s string) string {
		if len(s) > 120 {
			return s[:120] + "..."
		}
		return s
	}
	for _, k := range keys {
		w, inW := want[k]
		g, inG := got[k]
		var d string
		switch {
		case !inG:
			d = "missing on the replica"
		case !inW:
			d = fmt.Sprintf("only on the replica: %s %s", g.typ, short(g.value))
		case w.typ != g.typ:
			d = fmt.Sprintf("type %s, want %s", g.typ, w.typ)
		case w.value != g.value:
			d = fmt.Sprintf("value %s, want %s", short(g.value), short(w.value))
		case w.expire != g.expire:
			d = fmt.Sprintf("PEXPIRETIME %d, want %d", g.expire, w.expire)
		case (w.pttl < 0) != (g.pttl < 0) || w.pttl < 0 && w.pttl != g.pttl || max(w.pttl-g.pttl, g.pttl-w.pttl) > ttlSlack:
			d = fmt.Sprintf("PTTL %d, want %d", g.pttl, w.pttl)
		default:
			continue
		}
		diffs = append(diffs, fmt.Sprintf("%.60q: %s", k, d))
	}
	if len(diffs) > 10 {
		diffs = append(diffs[:10], fmt.Sprintf("... and %d more", len(diffs)-10))
	}
	return diffs
}

// sameData compares the keys at primary and replica one by one, fails the
// test on a difference and returns how many keys there are.
func sameData(t *testing.T, what string, primary, replica endpoint) int {
	t.Helper()
	want, got := dumpKeys(t, primary), dumpKeys(t, replica)
	if d := diffKeys(want, got); len(d) > 0 {
		t.Fatalf("%s, the replica (%d keys) differs from the primary (%d keys):\n%s", what, len(got), len(want), strings.Join(d, "\n"))
	}
	return len(want)
}

// redisInfo returns one field of a redis-server's INFO replication, or "".
func redisInfo(t *testing.T, c *testutil.Client, field string) string {
	t.Helper()
	r, err := c.Do("INFO", "replication")
	if err != nil {
		t.Fatal(err)
	}
	return testutil.InfoFields(string(r.Str))[field]
}

// redisTLS is redis-server's command line for a TLS port only, on
// 127.0.0.1, with p's server pair, p's client pair for its outgoing links
// (a replica's, under tls-replication), and clients required to present a
// certificate from p's CA.
func redisTLS(p *testutil.PKI, tlsPort int) []string {
	return []string{"--bind", "127.0.0.1", "--port", "0", "--tls-port", strconv.Itoa(tlsPort),
		"--tls-cert-file", p.CertFile, "--tls-key-file", p.KeyFile, "--tls-ca-cert-file", p.CAFile,
		"--tls-client-cert-file", p.ClientCertFile, "--tls-client-key-file", p.ClientKeyFile,
		"--tls-auth-clients", "yes", "--tls-replication", "yes"}
}

// TestRedisReplicatesFromShingleOverTLS: a stock redis-server replica of
// Shingle's TLS port (tls-replication, presenting its client certificate)
// full-syncs thousands of keys of every kind, then follows Shingle's
// stream, key by key, TTLs included; Shingle's WAIT counts it.
func TestRedisReplicatesFromShingleOverTLS(t *testing.T) {
	testutil.RequireTool(t, "redis-server")
	p := testutil.NewPKI(t, "Interop Replication CA")
	primary := startNode(t, p, nil)
	shingle := shingleAt(primary)
	sp := dialPipe(t, shingle)
	sp.mustRun(t, fixture(3500))
	port := testutil.FreePort(t)
	r := testutil.StartRedis(t, append(redisTLS(p, port), "--replicaof", "127.0.0.1", portOf(t, primary.tls))...)
	redis := redisAt(r)
	rc := r.Dial(t)
	caughtUp := func(what string) {
		t.Helper()
		eventuallyWithin(t, 30*time.Second, what, func() bool {
			return redisInfo(t, rc, "master_link_status") == "up" &&
				redisInfo(t, rc, "slave_repl_offset") == primary.info("master_repl_offset")
		})
	}
	caughtUp("redis-server to full-sync from Shingle over TLS")
	if n := sameData(t, "after the full sync", shingle, redis); n < 3500 {
		t.Fatalf("%d keys compared, want the fixture's 3500 and more", n)
	}
	if got := primary.info("slave0"); !strings.Contains(got, "state=online") || !strings.Contains(got, ",port="+strconv.Itoa(port)+",") {
		t.Errorf("slave0:%s, want state=online and redis-server's tls-port %d", got, port)
	}
	var link string
	for _, l := range outputLines(string(sp.do(t, [][]string{{"CLIENT", "LIST"}})[0].Str)) {
		if strings.Contains(l, " cmd=psync ") {
			link = l
		}
	}
	if !strings.Contains(link, " transport=tls ") || !strings.Contains(link, " tls-client-cn=client") {
		t.Errorf("the replica's connection in CLIENT LIST, want TLS with redis-server's tls-client-cert-file:\n%s", link)
	}

	c := primary.client()
	for _, cmd := range [][]string{
		{"SET", "new:ex", "v", "EX", "3600"},
		{"SET", "new:px", "v", "PX", "7200000"},
		{"SET", "k:2", "overwritten"},              // had no TTL
		{"SET", "k:0", "overwritten, TTL cleared"}, // had a TTL
		{"SET", "k:10", "TTL kept", "KEEPTTL"},     // had a TTL
		{"HSET", "k:5", "text", "changed", "new", "field"},
		{"HSET", "k:6", "f0", "in a large hash"},
		{"HSET", "new:hash", "a", "1", "b", "2"},
		{"DEL", "k:9", "k:12", "k:13"},
		{"INCR", "new:counter"},
		{"INCR", "k:7"},
		{"INCRBYFLOAT", "k:14", "2.5"},
		{"HINCRBYFLOAT", "k:19", "u7", "0.25"},
		{"HDEL", "k:19", "text"},
		{"APPEND", "k:3", " appended"},
		{"EXPIRE", "k:1", "5000"},
		{"PERSIST", "k:15"},
		{"RENAME", "k:16", "renamed"},
		{"COPY", "k:17", "copied"},
		{"GETDEL", "k:18"},
	} {
		if r := mustDo(t, c, cmd...); strings.HasPrefix(r, "(error)") {
			t.Fatalf("%q on Shingle: %s", cmd, r)
		}
	}
	for _, cmd := range [][]string{{"MULTI"}, {"SET", "tx:1", "x"}, {"HSET", "tx:2", "f", "v"}, {"INCRBY", "tx:3", "5"},
		{"EXPIRE", "tx:1", "600"}, {"DEL", "k:20"}, {"EXEC"}} {
		if r := mustDo(t, c, cmd...); strings.Contains(r, "(error)") {
			t.Fatalf("%q in MULTI on Shingle: %s", cmd, r)
		}
	}
	caughtUp("redis-server to follow Shingle's stream")
	n := sameData(t, "after writes on Shingle", shingle, redis)

	// Shingle expires a key actively and sends DEL: the replica's DBSIZE,
	// which counts keys whose time passed until the DEL arrives, drops.
	mustDo(t, c, "SET", "short", "lived", "PX", "1")
	eventually(t, "the expired key's DEL to reach redis-server", func() bool {
		r, err := rc.Do("DBSIZE")
		return err == nil && r.Int == int64(n) &&
			redisInfo(t, rc, "slave_repl_offset") == primary.info("master_repl_offset")
	})

	mustDo(t, c, "SET", "acked", "1")
	if r := mustDo(t, c, "WAIT", "1", "5000"); r != "(integer) 1" {
		t.Fatalf("WAIT 1 5000 on Shingle with redis-server as the replica: %s", r)
	}
}

// encodingsOf counts the OBJECT ENCODING of every key at e.
func encodingsOf(t *testing.T, e endpoint) map[string]int {
	t.Helper()
	p := dialPipe(t, e)
	var cmds [][]string
	for k := range dumpKeys(t, e) {
		cmds = append(cmds, []string{"OBJECT", "ENCODING", k})
	}
	m := map[string]int{}
	for _, r := range p.do(t, cmds) {
		m[string(r.Str)]++
	}
	return m
}

// TestShingleReplicatesFromRedisOverTLS: Shingle, with tls-replication,
// full-syncs from a stock redis-server's TLS port (tls-auth-clients yes)
// every encoding Redis gives strings and hashes, by a diskless sync
// (EOF-marked) and a disk one (with a length), then follows its stream in
// the form Redis propagates it; Redis's WAIT counts Shingle, and Shingle
// refuses writes.
func TestShingleReplicatesFromRedisOverTLS(t *testing.T) {
	testutil.RequireTool(t, "redis-server")
	for _, diskless := range []string{"yes", "no"} {
		t.Run("diskless="+diskless, func(t *testing.T) {
			p := testutil.NewPKI(t, "Interop Replication CA")
			port := testutil.FreePort(t)
			r := testutil.StartRedis(t, append(redisTLS(p, port),
				"--repl-diskless-sync", diskless, "--repl-diskless-sync-delay", "0")...)
			redis := redisAt(r)
			rc := r.Dial(t)
			dialPipe(t, redis).mustRun(t, fixture(3500))
			enc := encodingsOf(t, redis)
			for _, want := range []string{"int", "embstr", "raw", "listpack", "hashtable"} {
				if enc[want] == 0 {
					t.Fatalf("the fixture has no key of encoding %s on redis-server: %v", want, enc)
				}
			}

			replica := startNode(t, p, func(cfg *Config) {
				cfg.TLS.Replication = true
				cfg.ReplicaOf = "127.0.0.1 " + strconv.Itoa(port)
			})
			shingle := shingleAt(replica)
			caughtUp := func(what string) {
				t.Helper()
				eventuallyWithin(t, 30*time.Second, what, func() bool {
					return replica.info("master_link_status") == "up" &&
						replica.info("slave_repl_offset") == redisInfo(t, rc, "master_repl_offset")
				})
			}
			caughtUp("Shingle to full-sync from redis-server over TLS")
			if n := sameData(t, "after the full sync", redis, shingle); n < 3500 {
				t.Fatalf("%d keys compared, want the fixture's 3500 and more", n)
			}
			if got := replica.info("master_full_syncs"); got != "1" {
				t.Errorf("master_full_syncs:%s, want 1", got)
			}
			if got := replica.info("master_link_last_error"); got != "" {
				t.Errorf("master_link_last_error:%s on a link that is up", got)
			}
			if got, want := replica.info("master_replid"), redisInfo(t, rc, "master_replid"); got != want {
				t.Errorf("master_replid:%s, redis-server's is %s", got, want)
			}

			c := rc
			for _, cmd := range [][]string{
				{"SET", "new:ex", "v", "EX", "3600"}, // propagated as SET PXAT
				{"SETEX", "new:setex", "3600", "v"},
				{"SET", "k:2", "overwritten"},
				{"SET", "k:0", "overwritten, TTL cleared"},
				{"SET", "k:10", "TTL kept", "KEEPTTL"},
				{"HSET", "k:5", "text", "changed", "new", "field"},
				{"HSET", "k:6", "f0", "in a large hash"},
				{"HSET", "new:hash", "a", "1", "b", "2"},
				{"DEL", "k:9", "k:12", "k:13"},
				{"INCR", "new:counter"},
				{"INCR", "k:7"},
				{"INCRBYFLOAT", "k:14", "2.5"},         // propagated as SET KEEPTTL
				{"HINCRBYFLOAT", "k:19", "u7", "0.25"}, // propagated as HSET
				{"HDEL", "k:19", "text"},
				{"APPEND", "k:3", " appended"},
				{"SETRANGE", "k:24", "3", "range"},
				{"PEXPIRE", "k:1", "5000000"}, // propagated as PEXPIREAT
				{"EXPIRE", "k:8", "-1"},       // propagated as DEL
				{"GETEX", "k:15", "PERSIST"},  // propagated as PERSIST
				{"GETEX", "k:22", "EX", "999"},
				{"RENAME", "k:16", "renamed"},
				{"COPY", "k:17", "copied"},
				{"GETDEL", "k:18"},
				{"HSETNX", "k:26", "only", "if new"},
				{"MSET", "m:1", "a", "m:2", "b"},
			} {
				if r := mustDo(t, c, cmd...); strings.HasPrefix(r, "(error)") {
					t.Fatalf("%q on redis-server: %s", cmd, r)
				}
			}
			for _, cmd := range [][]string{{"MULTI"}, {"SET", "tx:1", "x"}, {"HSET", "tx:2", "f", "v"}, {"INCRBY", "tx:3", "5"},
				{"PEXPIRE", "tx:1", "600000"}, {"DEL", "k:20"}, {"HINCRBYFLOAT", "tx:2", "n", "1.5"}, {"EXEC"}} {
				if r := mustDo(t, c, cmd...); strings.Contains(r, "(error)") {
					t.Fatalf("%q in MULTI on redis-server: %s", cmd, r)
				}
			}
			caughtUp("Shingle to follow redis-server's stream")
			n := sameData(t, "after writes on redis-server", redis, shingle)

			// redis-server expires a key actively and sends DEL.
			mustDo(t, c, "SET", "short", "lived", "PX", "1")
			sc := replica.client()
			eventually(t, "the expired key's DEL to reach Shingle", func() bool {
				r, err := rc.Do("DBSIZE")
				return err == nil && r.Int == int64(n) && mustDo(t, sc, "DBSIZE") == "(integer) "+strconv.Itoa(n) &&
					replica.info("slave_repl_offset") == redisInfo(t, rc, "master_repl_offset")
			})

			mustDo(t, c, "SET", "acked", "1")
			if r := mustDo(t, c, "WAIT", "1", "5000"); r != "(integer) 1" {
				t.Fatalf("WAIT 1 5000 on redis-server with Shingle as the replica: %s", r)
			}
			if r := mustDo(t, sc, "SET", "x", "1"); r != "(error) READONLY You can't write against a read only replica." {
				t.Fatalf("a write on the Shingle replica: %s", r)
			}

			mustDo(t, c, "FLUSHALL")
			caughtUp("Shingle to follow FLUSHALL")
			if n := sameData(t, "after FLUSHALL", redis, shingle); n != 0 {
				t.Fatalf("%d keys after FLUSHALL", n)
			}
		})
	}
}

// startPlainRedis starts a redis-server with a plain TCP port on 127.0.0.1
// that replicas can full-sync from at once, and returns it, a client and
// the port.
func startPlainRedis(t *testing.T) (*testutil.Redis, *testutil.Client, string) {
	t.Helper()
	port := strconv.Itoa(testutil.FreePort(t))
	r := testutil.StartRedis(t, "--bind", "127.0.0.1", "--port", port, "--repl-diskless-sync-delay", "0")
	return r, r.Dial(t), port
}

// TestReplicaStopsOnUnsupportedType: a Shingle replica of a redis-server
// that holds, or later writes, a stream stops with master_link_last_error
// saying why, and never reports data it could not take as in sync.
func TestReplicaStopsOnUnsupportedType(t *testing.T) {
	testutil.RequireTool(t, "redis-server")
	p := testutil.NewPKI(t, "Interop Replication CA")

	t.Run("a stream in the full sync", func(t *testing.T) {
		r, rc, port := startPlainRedis(t)
		dialPipe(t, redisAt(r)).mustRun(t, fixture(500))
		mustDo(t, rc, "XADD", "the-stream", "*", "f", "v")
		replica := startNode(t, p, func(cfg *Config) { cfg.ReplicaOf = "127.0.0.1 " + port })
		eventually(t, "the full sync to fail", func() bool { return replica.info("master_link_last_error") != "" })
		// It fails again on every retry, and never comes up.
		eventually(t, "a second full sync to be asked for", func() bool {
			st, err := rc.Do("INFO", "stats")
			n, _ := strconv.Atoi(testutil.InfoFields(string(st.Str))["sync_full"])
			return err == nil && n >= 2
		})
		msg := replica.info("master_link_last_error")
		if !strings.Contains(msg, `"the-stream"`) || !strings.Contains(msg, "unsupported type") || !strings.Contains(msg, "stream") {
			t.Errorf("master_link_last_error:%s, want the key and its type named", msg)
		}
		for field, want := range map[string]string{"master_link_status": "down", "master_full_syncs": "0"} {
			if got := replica.info(field); got != want {
				t.Errorf("%s:%s, want %s", field, got, want)
			}
		}
		if got := replica.info("master_replid"); got == redisInfo(t, rc, "master_replid") {
			t.Errorf("master_replid:%s is the primary's: a failed full sync took its history", got)
		}
		sc := replica.client()
		if r := mustDo(t, sc, "ROLE"); strings.Contains(r, `"connected"`) {
			t.Errorf("ROLE after a failed full sync: %s", r)
		}
		// The keys loaded beside the data set before the stream never
		// replace it.
		if r := mustDo(t, sc, "GET", "k:2"); r != "(nil)" {
			t.Errorf("GET on a replica whose full sync failed: %s, want the old data set's (nil)", r)
		}
	})

	t.Run("a stream command in the stream", func(t *testing.T) {
		r, rc, port := startPlainRedis(t)
		dialPipe(t, redisAt(r)).mustRun(t, fixture(500))
		replica := startNode(t, p, func(cfg *Config) { cfg.ReplicaOf = "127.0.0.1 " + port })
		sc := replica.client()
		mustDo(t, rc, "SET", "before", "1")
		eventually(t, "the sync and the write before the stream", func() bool {
			return replica.info("master_link_status") == "up" && mustDo(t, sc, "GET", "before") == `"1"`
		})
		sameData(t, "before the stream", redisAt(r), shingleAt(replica))
		mustDo(t, rc, "XADD", "the-stream", "*", "f", "v")
		eventually(t, "the link to stop at XADD", func() bool {
			return strings.Contains(strings.ToLower(replica.info("master_link_last_error")), "xadd")
		})
		if got := replica.info("master_link_last_error"); !strings.Contains(got, "does not implement") {
			t.Errorf("master_link_last_error:%s, want replication.ErrUnsupportedCommand's text", got)
		}
		mustDo(t, rc, "SET", "after", "1")
		mustDo(t, rc, "HSET", "k:5", "after", "1")
		// Each retry continues from the backlog (+CONTINUE) and stops at
		// XADD again; two more mean one began after the writes above.
		from, _ := strconv.Atoi(replica.info("master_partial_syncs"))
		eventually(t, "two more attempts", func() bool {
			n, _ := strconv.Atoi(replica.info("master_partial_syncs"))
			return n >= from+2
		})
		// Between +CONTINUE and XADD the link is up for a moment; it
		// goes down again at XADD.
		eventually(t, "the retried link to stop at XADD again", func() bool {
			return replica.info("master_link_status") == "down" &&
				strings.Contains(strings.ToLower(replica.info("master_link_last_error")), "xadd")
		})
		if r := mustDo(t, sc, "GET", "after"); r != "(nil)" {
			t.Errorf("a write after XADD was applied: GET after = %s", r)
		}
		if r := mustDo(t, sc, "HGET", "k:5", "after"); r != "(nil)" {
			t.Errorf("a write after XADD was applied: HGET k:5 after = %s", r)
		}
		got, _ := strconv.ParseInt(replica.info("slave_repl_offset"), 10, 64)
		primary, _ := strconv.ParseInt(redisInfo(t, rc, "master_repl_offset"), 10, 64)
		if got >= primary {
			t.Errorf("slave_repl_offset %d, the primary's is %d: the replica claims to have passed XADD", got, primary)
		}
	})
}

// TestReplicaofAfterFailedFullSync: a replica whose full sync failed half
// way (its primary holds a stream) can be pointed at another primary with
// REPLICAOF. Under swapdb the failed sync left its data set and history as
// they were, so it continues its old primary's history (+CONTINUE); a
// replica that was loading straight into an empty store (on-empty-db) is
// left incomplete, and full-syncs: the half-loaded data set is neither
// continued under the history it had before nor kept.
func TestReplicaofAfterFailedFullSync(t *testing.T) {
	testutil.RequireTool(t, "redis-server")
	p := testutil.NewPKI(t, "Interop Replication CA")
	a, ac, aport := startPlainRedis(t)
	dialPipe(t, redisAt(a)).mustRun(t, fixture(300))
	b, _, bport := startPlainRedis(t)
	dialPipe(t, redisAt(b)).mustRun(t, append(fixture(50), []string{"XADD", "b-stream", "*", "f", "v"}))
	for _, tc := range []struct {
		load          string
		full, partial string // syncs from A after the failure
	}{{"swapdb", "0", "1"}, {"on-empty-db", "1", "0"}} {
		t.Run(tc.load, func(t *testing.T) {
			replica := startNode(t, p, func(c *Config) { c.ReplDisklessLoad = tc.load })
			caughtUpWithA := func(what string) {
				t.Helper()
				eventually(t, what, func() bool {
					return replica.info("master_link_status") == "up" &&
						replica.info("slave_repl_offset") == redisInfo(t, ac, "master_repl_offset")
				})
			}
			if tc.load == "swapdb" {
				replica.replicaOf("127.0.0.1:" + aport)
				caughtUpWithA("the sync from A")
				sameData(t, "in sync with A", redisAt(a), shingleAt(replica))
				mustDo(t, ac, "SET", "only-on-a:"+tc.load, "1") // A's history moves on: its backlog continues it
			}
			replica.replicaOf("127.0.0.1:" + bport)
			eventually(t, "the full sync from B to fail", func() bool {
				return strings.Contains(replica.info("master_link_last_error"), "b-stream")
			})
			if r := mustDo(t, replica.client(), "REPLICAOF", "127.0.0.1", aport); r != `"OK"` {
				t.Fatalf("REPLICAOF on a replica whose full sync failed: %s; it can follow no other primary", r)
			}
			caughtUpWithA("the sync from A again")
			if full, partial := replica.info("master_full_syncs"), replica.info("master_partial_syncs"); full != tc.full || partial != tc.partial {
				t.Errorf("back on A: master_full_syncs:%s master_partial_syncs:%s, want %s and %s", full, partial, tc.full, tc.partial)
			}
			sameData(t, "back on A", redisAt(a), shingleAt(replica))
		})
	}
}
