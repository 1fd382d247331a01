package netmode

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/shinglekv/shingle/command"
	"github.com/shinglekv/shingle/internal/testutil"
)

// TestDifferentialConnection sends the same connection commands to a stock
// redis-server and to Shingle, over the network, in RESP2 and then RESP3,
// and compares the replies byte for byte after decoding: the wire encoding
// of every reply kind is exercised too.
func TestDifferentialConnection(t *testing.T) {
	rs := testutil.StartRedis(t, "--requirepass", "pw")
	ts := startServer(t, func(c *Config) { c.RequirePass = "pw" })
	script := [][]string{
		{"PING"}, // NOAUTH before AUTH
		{"GET", "k"},
		{"AUTH", "wrong"},
		{"AUTH", "default", "wrong"},
		{"AUTH", "a", "b", "c"},
		{"HELLO", "3"}, // not authenticated yet
		{"AUTH", "pw"},
		{"PING"},
		{"PING", "hello"},
		{"PING", "a", "b"},
		{"ECHO", "x y"},
		{"ECHO"},
		{"SELECT", "0"},
		{"SELECT", "16"},
		{"SELECT", "x"},
		{"CLIENT", "SETNAME", "my name"},
		{"CLIENT", "SETNAME", "app"},
		{"CLIENT", "GETNAME"},
		{"CLIENT", "SETNAME", ""},
		{"CLIENT", "GETNAME"},
		{"CLIENT", "NO-EVICT", "on"},
		{"CLIENT", "NO-EVICT", "maybe"},
		{"CLIENT", "KILL", "1.2.3.4:5"},
		{"CLIENT", "KILL", "ID", "0"},
		{"CLIENT", "KILL", "ID", "999999"},
		{"CLIENT", "KILL", "TYPE", "bogus"},
		{"CLIENT", "NOPE"},
		{"CLIENT", "SETNAME"},
		{"CLIENT", "GETNAME", "x"},
		{"CONFIG", "GET"},
		{"CONFIG", "NOPE"},
		{"MULTI"},
		{"MULTI"},
		{"SET", "k", "v"},
		{"INCR", "k"},
		{"EXEC"},
		{"EXEC"},
		{"DISCARD"},
		{"MULTI"},
		{"SET", "k", "v"},
		{"NOSUCHCOMMAND"},
		{"EXEC"},
		{"MULTI"},
		{"SET", "k", "v"},
		{"DISCARD"},
		{"GET", "k"},
		{"HSET", "h", "a", "1"},
		{"HGETALL", "h"},
		{"HRANDFIELD", "h", "1", "WITHVALUES"},
		{"GET", "missing"},
		{"MGET", "missing", "k"},
		{"SCAN", "0", "MATCH", "nothing*"},
		{"TTL", "k"},
		{"INCRBYFLOAT", "f", "1.5"},
		{"CONFIG", "GET", "maxclients"},
		{"CONFIG", "GET", "timeout", "maxclients"},
		{"HELLO", "4"},
		{"HELLO", "x"},
		{"HELLO", "3", "AUTH", "default", "wrong"},
		{"HELLO", "2", "SETNAME", "bad name"},
	}
	for _, proto := range []string{"2", "3"} {
		t.Run("RESP"+proto, func(t *testing.T) {
			want, got := rs.Dial(t), ts.raw(t)
			run := func(i int, args ...string) {
				w, err := want.Do(args...)
				if err != nil {
					t.Fatal(err)
				}
				g, err := got.Do(args...)
				if err != nil {
					t.Fatal(err)
				}
				if strings.EqualFold(args[0], "CONFIG") {
					// Redis lists settings in its dictionary's order.
					w, g = sortPairs(w), sortPairs(g)
				}
				if w.String() != g.String() || w.Kind != g.Kind {
					t.Errorf("%d %q:\n  redis:   %v (kind %d)\n  shingle: %v (kind %d)", i, args, w, w.Kind, g, g.Kind)
				}
			}
			for i, args := range script {
				if i == 7 && proto == "3" {
					// Switch both connections to RESP3 once authenticated;
					// HELLO's reply itself differs (server name, id).
					want.Do("HELLO", "3")
					got.Do("HELLO", "3")
				}
				run(i, args...)
			}
		})
	}
}

func TestHelloAndReset(t *testing.T) {
	ts := startServer(t, nil)
	c := ts.raw(t)
	r, _ := c.Do("HELLO", "3", "SETNAME", "conn1")
	fields := map[string]string{}
	for i := 0; i+1 < len(r.Elems); i += 2 {
		fields[string(r.Elems[i].Str)] = r.Elems[i+1].String()
	}
	if fields["proto"] != "(integer) 3" || fields["version"] != `"`+Version+`"` || fields["mode"] != `"standalone"` {
		t.Fatalf("HELLO 3 = %v", r)
	}
	if got := mustDo(t, c, "CLIENT", "GETNAME"); got != `"conn1"` {
		t.Fatalf("HELLO SETNAME: %s", got)
	}
	if got := mustDo(t, c, "RESET"); got != `"RESET"` {
		t.Fatalf("RESET = %s", got)
	}
	if r, _ := c.Do("GET", "missing"); r.Kind != command.KindNull {
		t.Fatal("RESET did not bring back RESP2")
	}
	if got := mustDo(t, c, "CLIENT", "GETNAME"); got != "(nil)" {
		t.Fatalf("RESET kept the name: %s", got)
	}
}

func TestClientListAndKill(t *testing.T) {
	ts := startServer(t, func(c *Config) { c.TLS.AuthClients = "optional" })
	admin := ts.raw(t)
	tlsc, err := ts.rawTLS(t, ts.ClientTLS(t, true))
	if err != nil {
		t.Fatal(err)
	}
	mustDo(t, tlsc, "CLIENT", "SETNAME", "secure")
	unix, err := testutil.Dial("unix", ts.unixPath)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close()
	mustDo(t, unix, "CLIENT", "SETINFO", "LIB-NAME", "mylib")
	list := mustDo(t, admin, "CLIENT", "LIST")
	for _, re := range []string{
		`id=\d+ addr=127\.0\.0\.1:\d+ laddr=127\.0\.0\.1:\d+ .*name=secure .*cmd=client\|setname .*transport=tls tls-version=TLSv1\.[23] tls-cipher=TLS_\S+ tls-resumed=0 tls-client-cn=client`,
		`addr=` + regexp.QuoteMeta(ts.unixPath) + `:0 laddr=` + regexp.QuoteMeta(ts.unixPath) + `:0 .*flags=NU .*lib-name=mylib .*transport=unix`,
		`cmd=client\|list .*transport=tcp`,
	} {
		if !regexp.MustCompile(re).MatchString(list) {
			t.Errorf("CLIENT LIST lacks %s:\n%s", re, list)
		}
	}
	id := strings.TrimPrefix(mustDo(t, tlsc, "CLIENT", "ID"), "(integer) ")
	if got := mustDo(t, admin, "CLIENT", "LIST", "ID", id); strings.Count(got, "id=") != 1 || !strings.Contains(got, "name=secure") {
		t.Fatalf("CLIENT LIST ID %s = %s", id, got)
	}
	if got := mustDo(t, admin, "CLIENT", "KILL", "ID", id); got != "(integer) 1" {
		t.Fatalf("CLIENT KILL ID = %s", got)
	}
	if _, err := tlsc.Do("PING"); err == nil {
		t.Fatal("a killed client is still served")
	}
	// The old form, by address, on the unix client.
	if got := mustDo(t, admin, "CLIENT", "KILL", ts.unixPath+":0"); got != `"OK"` {
		t.Fatalf("CLIENT KILL addr = %s", got)
	}
	// SKIPME no kills the caller after its reply.
	if got := mustDo(t, admin, "CLIENT", "KILL", "TYPE", "normal", "SKIPME", "no"); got == "(integer) 0" {
		t.Fatalf("CLIENT KILL SKIPME no = %s", got)
	}
	if _, err := admin.Do("PING"); err == nil {
		t.Fatal("CLIENT KILL SKIPME no spared the caller")
	}
}

func TestInfo(t *testing.T) {
	ts := startServer(t, nil)
	c := ts.raw(t)
	mustDo(t, c, "SET", "k", "v")
	mustDo(t, c, "SET", "t", "v", "EX", "100")
	info := mustDo(t, c, "INFO")
	for _, want := range []string{
		"# Server", "redis_version:" + Version, "tcp_port:" + strings.Split(ts.tcp, ":")[1],
		"listener0:name=tcp,bind=127.0.0.1,port=" + strings.Split(ts.tcp, ":")[1],
		"listener1:name=unix,bind=" + ts.unixPath,
		"listener2:name=tls,bind=127.0.0.1,port=" + strings.Split(ts.tls, ":")[1],
		"# Clients", "connected_clients:1", "maxclients:10000",
		"# Memory", "used_memory:", "used_memory_human:",
		"# Persistence", "# Stats", "total_commands_processed:",
		"# Replication", "role:master", "master_repl_offset:",
		"# Keyspace", "db0:keys=2,expires=1,avg_ttl=0",
	} {
		if !strings.Contains(info, want) {
			t.Errorf("INFO lacks %q", want)
		}
	}
	if got := mustDo(t, c, "INFO", "keyspace"); strings.Contains(got, "# Server") || !strings.Contains(got, "db0:keys=2") {
		t.Errorf("INFO keyspace = %s", got)
	}
	if got := mustDo(t, c, "INFO", "nosuchsection"); got != `""` {
		t.Errorf("INFO of an unknown section = %s", got)
	}
	// INFO inside MULTI runs in the transaction and must not deadlock.
	mustDo(t, c, "MULTI")
	mustDo(t, c, "INFO", "keyspace")
	mustDo(t, c, "DBSIZE")
	if got := mustDo(t, c, "EXEC"); !strings.Contains(got, "db0:keys=2") || !strings.Contains(got, "(integer) 2") {
		t.Errorf("INFO and DBSIZE in a transaction = %s", got)
	}
}

func TestCommandIntrospection(t *testing.T) {
	ts := startServer(t, nil)
	c := ts.raw(t)
	n := mustDo(t, c, "COMMAND", "COUNT")
	var count int
	fmt.Sscanf(n, "(integer) %d", &count)
	if count < 70 {
		t.Fatalf("COMMAND COUNT = %s", n)
	}
	info := mustDo(t, c, "COMMAND", "INFO", "get", "mset", "nosuch")
	if !strings.HasPrefix(info, `[["get" (integer) 2 ["readonly" "fast"] (integer) 1 (integer) 1 (integer) 1 ["@read" "@string" "@fast"]`) ||
		!strings.Contains(info, `["mset" (integer) -3`) || !strings.HasSuffix(info, "(nil)]") {
		t.Fatalf("COMMAND INFO = %s", info)
	}
	if docs := mustDo(t, c, "COMMAND", "DOCS", "hset"); !strings.Contains(docs, `"group" "hash"`) {
		t.Fatalf("COMMAND DOCS = %s", docs)
	}
	all, _ := c.Do("COMMAND")
	if len(all.Elems) != count {
		t.Fatalf("COMMAND lists %d, COUNT says %d", len(all.Elems), count)
	}
}

// sortPairs orders a map reply (or its RESP2 array) by key.
func sortPairs(r command.Reply) command.Reply {
	type pair struct{ k, v command.Reply }
	var ps []pair
	for i := 0; i+1 < len(r.Elems); i += 2 {
		ps = append(ps, pair{r.Elems[i], r.Elems[i+1]})
	}
	sort.Slice(ps, func(i, j int) bool { return string(ps[i].k.Str) < string(ps[j].k.Str) })
	out := r
	out.Elems = nil
	for _, p := range ps {
		out.Elems = append(out.Elems, p.k, p.v)
	}
	return out
}
