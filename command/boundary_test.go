package command_test

import (
	"bytes"
	"fmt"
	"os"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shinglekv/shingle/command"
	"github.com/shinglekv/shingle/internal/testutil"
	"github.com/shinglekv/shingle/netmode"
	"github.com/shinglekv/shingle/store"
	"github.com/shinglekv/shingle/tlsconn"
)

// TestBoundaryDifferential sends every numeric argument of every command
// Shingle serves, at the edges of every numeric range, to a stock
// redis-server 7.0 and to a Shingle server, and requires the same replies,
// error texts included, and the same data set afterwards. The argument
// positions come from redis-server's own COMMAND DOCS, read at test time,
// so that a command added to the table is covered without a line here.
// Numeric arguments are where a Go server can die of one request (a slice
// sized by an unchecked offset); after every case Shingle must still answer
// and its write lock must be free.
//
// Differences that are intended are listed, with their reasons, in
// testdata/boundary-differences.txt; a line there that matches nothing any
// more fails the test, so that the list stays true.
func TestBoundaryDifferential(t *testing.T) {
	// Redis configured as Shingle behaves (docs/directives.md): every hash
	// and every set a hash table, as hash-max-listpack-entries 0 and
	// set-max-intset-entries 0 make them, every sorted set a skiplist. Both sides
	// take strings of at most boundaryBulkLen: under the default 512 MB a
	// bit offset of 2^31 is valid, and each such case would write a
	// 256 MB string (seconds under the race detector); the limit, and
	// what happens at it, is what is under test.
	rs := startDiffRedis(t, "--hash-max-listpack-entries", "0", "--set-max-intset-entries", "0",
		"--proto-max-bulk-len", strconv.Itoa(boundaryBulkLen))
	redis := rs.Dial(t)
	requireRedis70(t, redis)
	sh := startShingle(t)
	diffs := loadDifferences(t, "testdata/boundary-differences.txt")

	cases := boundaryCases(t, redis, sh)
	t.Logf("%d cases", len(cases))

	// redis-server answers each batch in one pipeline; the replies are
	// kept, to be compared with Shingle's case by case.
	var asked []int
	for i := range cases {
		if d := diffs.match(&cases[i]); d == nil || d.kind == kindDiffer || d.kind == kindShape {
			asked = append(asked, i)
		}
	}
	want := make([][]command.Reply, len(cases))
	const batch = 64
	for lo := 0; lo < len(asked); lo += batch {
		var reqs [][]string
		idx := asked[lo:min(lo+batch, len(asked))]
		for _, i := range idx {
			reqs = append(reqs, cases[i].script(true)...)
		}
		replies, err := redis.Pipeline(30*time.Second, reqs...)
		if err != nil {
			t.Fatalf("redis-server, cases from %s: %v", cases[idx[0]].name(), err)
		}
		for _, i := range idx {
			n := len(cases[i].script(true))
			want[i], replies = replies[:n], replies[n:]
		}
	}

	// Shingle runs case by case, so that a crash, a hang or a held lock is
	// pinned on the case that caused it.
	failures, lost := 0, 0
	for i := range cases {
		// A fresh server and store now and then: deleted keys stay in
		// Pebble's memtable until a flush, and DEBUG DIGEST steps over all
		// of them, so that with one store for every case the last ones are
		// many times slower than the first.
		if i > 0 && i%256 == 0 {
			sh.close()
			sh = startShingle(t)
		}
		c := &cases[i]
		d := diffs.match(c)
		if d != nil && d.kind == kindSkip {
			continue
		}
		got, err := sh.pipe.Pipeline(10*time.Second, c.script(false)...)
		if p := sh.panics(); p != "" {
			t.Errorf("%s: Shingle panicked:\n%s", c.name(), p)
		}
		if err != nil {
			t.Errorf("%s: Shingle stopped answering: %v", c.name(), err)
			if lost++; lost == 3 {
				t.Fatal("Shingle stopped answering three times; stopping")
			}
			sh.redial(t)
			failures++
		} else if !sh.usable(t, c, got) {
			failures++
		} else if want[i] != nil && !c.same(want[i], got, d) {
			if d == nil || d.kind == kindShape {
				n := len(got)
				t.Errorf("%s: %q\n  redis:   %v (then PTTL %v, digest %v)\n  shingle: %v (then PTTL %v, digest %v)", c.name(), c.args,
					want[i][c.cmdAt], want[i][n-5], want[i][n-4], got[c.cmdAt], got[n-5], got[n-4])
				failures++
			} else {
				d.differed++
			}
		}
		if !sh.lockFree() {
			t.Fatalf("%s: a write from another goroutine did not complete in 10s: the store's write lock is held", c.name())
		}
		if failures > 50 {
			t.Fatal("more than 50 failing cases; stopping")
		}
	}
	diffs.checkUsed(t)
}

// requireRedis70 skips the test (fails it in CI) unless the server is
// Redis 7.0: the reference is 7.0's replies and COMMAND DOCS, and other
// versions word some errors differently.
func requireRedis70(t *testing.T, redis *testutil.Client) {
	t.Helper()
	reps, err := redis.Pipeline(10*time.Second, []string{"INFO", "server"})
	if err != nil {
		t.Fatal(err)
	}
	_, v, _ := strings.Cut(string(reps[0].Str), "redis_version:")
	v, _, _ = strings.Cut(v, "\r")
	if !strings.HasPrefix(v, "7.0.") {
		testutil.Unavailable(t, "redis-server %s is not 7.0, the version the replies are compared with", v)
	}
}

// boundaryValues are the numbers, and the strings that look like numbers,
// that numeric arguments get. Labels name them in the differences file.
var boundaryValues = []struct{ label, text string }{
	{"0", "0"},
	{"-1", "-1"},
	{"1", "1"},
	{"2^31-1", "2147483647"},
	{"2^31", "2147483648"},
	{"2^32", "4294967296"},
	{"2^53+1", "9007199254740993"},
	{"2^63-1", "9223372036854775807"},
	{"2^63", "9223372036854775808"},
	{"2^64", "18446744073709551616"},
	{"-2^63+1", "-9223372036854775807"},
	{"-2^63", "-9223372036854775808"},
	{"-2^63-1", "-9223372036854775809"},
	{"1e3", "1e3"},
	{"0x10", "0x10"},
	{"space-1", " 1"},
	{"1-space", "1 "},
	{"+1", "+1"},
	{"01", "01"},
	{"empty", ""},
	{"nan", "nan"},
	{"inf", "inf"},
	{"-inf", "-inf"},
	{"400-digits", strings.Repeat("9", 400)},
}

// A boundaryCase is one command with one numeric argument at one boundary
// value, run on a prepared data set.
type boundaryCase struct {
	cmd   string   // lower case; "client|kill" for a subcommand
	arg   string   // the numeric argument's name in COMMAND DOCS
	value string   // the boundary value's label
	state string   // of the first key: "absent", "present" (holding a value of the command's type) or "wrongtype"
	group string   // the command's COMMAND DOCS group: "hash", "set" and "list" keys are made as such, any other as a string
	args  []string // the invocation
	cmdAt int      // its index in script
}

func (c *boundaryCase) name() string {
	return fmt.Sprintf("%s %s=%s (key %s)", c.cmd, c.arg, c.value, c.state)
}

// script is what each side runs for the case: the data set, the command,
// what undoes a change of the connection or server state it may make, and
// what shows the resulting data set and that the server still works.
//
// redis-server starts each case with FLUSHALL, which also empties the
// databases a SELECT or a COPY ... DB may have reached. Shingle deletes the
// few keys a case can create instead: each FLUSHALL leaves a range deletion
// that every read steps over until Pebble flushes its memtable, and
// thousands of them make the last cases ten times slower than the first.
func (c *boundaryCase) script(redis bool) [][]string {
	s := [][]string{{"FLUSHALL"}}
	if !redis {
		s[0] = []string{"DEL", "k", "kk", "kkk", "probe", "lock-probe"}
	}
	own, collection := map[string][]string{"hash": {"HSET", "k", "f", "10"}, "set": {"SADD", "k", "10"}, "list": {"RPUSH", "k", "10"},
		"sorted-set": {"ZADD", "k", "10", "m"}}[c.group]
	switch {
	case c.state == "present" && collection:
		s = append(s, own)
	case c.state == "wrongtype" && !collection:
		s = append(s, []string{"HSET", "k", "f", "10"})
	case c.state != "absent":
		s = append(s, []string{"SET", "k", "10"})
	}
	s = append(s, c.args) // at cmdAt
	switch c.cmd {
	case "select":
		s = append(s, []string{"SELECT", "0"})
	case "hello":
		s = append(s, []string{"HELLO", "2"})
	case "replicaof", "slaveof":
		s = append(s, []string{"REPLICAOF", "NO", "ONE"})
	}
	return append(s,
		[]string{"PTTL", "k"},
		[]string{"DEBUG", "DIGEST"},
		[]string{"PING"},
		[]string{"SET", "probe", "after"},
		[]string{"GET", "probe"},
	)
}

// same compares the replies that must match: the command's, and the data
// set's digest when no key is about to expire. A key with a TTL of
// milliseconds (PX 1) can be gone on one side and not yet on the other.
// Under a "shape" line, successful replies need not have the same content;
// errors must still be the same, and the line counts as used once both
// succeed.
func (c *boundaryCase) same(want, got []command.Reply, d *difference) bool {
	w, g := want[c.cmdAt], got[c.cmdAt]
	switch {
	case d != nil && d.kind == kindShape && !w.IsError() && !g.IsError():
		d.differed++
	case !sameReply(c.args[0], w, g):
		return false
	}
	n := len(want)
	pttlW, pttlG := want[n-5], got[n-5]
	stable := func(r command.Reply) bool { return r.Kind == command.KindInt && (r.Int < 0 || r.Int > 10_000) }
	if stable(pttlW) && stable(pttlG) {
		return ttlClass(pttlW) == ttlClass(pttlG) && want[n-4].String() == got[n-4].String()
	}
	return true
}

// ttlClass is what two PTTL replies taken moments apart must agree on.
func ttlClass(r command.Reply) int64 { return min(r.Int, 0) } // -2, -1, or 0 for some time

// boundaryCases builds the cases from redis-server's COMMAND DOCS for every
// command in Shingle's table.
func boundaryCases(t *testing.T, redis *testutil.Client, sh *shingle) []boundaryCase {
	var cases []boundaryCase
	covered := map[string]bool{}
	for _, cmd := range sh.srv.Table().Commands() {
		reps, err := redis.Pipeline(10*time.Second, []string{"COMMAND", "DOCS", cmd.Name})
		if err != nil {
			t.Fatal(err)
		}
		docs := pairs(reps[0])
		doc, ok := docs[cmd.Name]
		if !ok {
			t.Logf("%s: redis-server 7.0 has no docs for it; not covered", cmd.Name)
			continue
		}
		d := pairs(doc)
		group := string(d["group"].Str)
		type target struct {
			name string
			args []*argDoc
		}
		targets := []target{{cmd.Name, parseArgs(d["arguments"])}}
		if subs, ok := d["subcommands"]; ok {
			targets = targets[:0]
			for name, sub := range pairs(subs) {
				targets = append(targets, target{name, parseArgs(pairs(sub)["arguments"])})
			}
			slices.SortFunc(targets, func(a, b target) int { return strings.Compare(a.name, b.name) })
		}
		for _, tg := range targets {
			words := strings.Split(tg.name, "|")
			nums := numericArgs(tg.args)
			if len(nums) == 0 {
				continue
			}
			if len(words) > 1 && !sh.implements(t, append(words, invocation(tg.args, nil, "")...)) {
				t.Logf("%s: Shingle does not implement it; not covered", tg.name)
				continue
			}
			for _, num := range nums {
				covered[tg.name+" "+num.name] = true
				for _, v := range boundaryValues {
					args := append(slices.Clone(words), invocation(tg.args, num, v.text)...)
					// The key's states decide which checks a command
					// reaches, and in which order Redis makes them: its
					// argument's, or the key's type first.
					for _, state := range []string{"absent", "present", "wrongtype"} {
						c := boundaryCase{cmd: tg.name, arg: num.name, value: v.label, state: state, group: group, args: args, cmdAt: 1}
						if state != "absent" {
							c.cmdAt = 2
						}
						cases = append(cases, c)
					}
				}
			}
		}
	}
	// The walk must reach numeric arguments wherever COMMAND DOCS puts
	// them: plain, behind a token, in an optional block, in a oneof
	// branch, in a subcommand. These are known to be there.
	for _, want := range []string{
		"setrange offset", "getrange end", "set milliseconds", "set unix-time-milliseconds",
		"getex unix-time-seconds", "hrandfield count", "scan count", "copy destination-db",
		"incrbyfloat increment", "wait timeout", "client|kill client-id", "client|list client-id",
	} {
		if !covered[want] {
			t.Errorf("no cases for %s: the COMMAND DOCS walk missed it", want)
		}
	}
	return cases
}

// argDoc is one argument of COMMAND DOCS. Its "multiple" flag needs no
// field: a minimal invocation gives such an argument once.
type argDoc struct {
	name, typ, token string
	optional         bool
	children         []*argDoc
}

func parseArgs(r command.Reply) []*argDoc {
	var out []*argDoc
	for _, e := range r.Elems {
		m := pairs(e)
		a := &argDoc{name: string(m["name"].Str), typ: string(m["type"].Str), token: string(m["token"].Str)}
		for _, f := range m["flags"].Elems {
			a.optional = a.optional || string(f.Str) == "optional"
		}
		a.children = parseArgs(m["arguments"])
		out = append(out, a)
	}
	return out
}

// pairs reads a RESP2 map (a flat array of keys and values) by key.
func pairs(r command.Reply) map[string]command.Reply {
	m := map[string]command.Reply{}
	for i := 0; i+1 < len(r.Elems); i += 2 {
		m[string(r.Elems[i].Str)] = r.Elems[i+1]
	}
	return m
}

func isNumeric(a *argDoc) bool {
	return a.typ == "integer" || a.typ == "double" || a.typ == "unix-time"
}

// numericArgs lists the numeric arguments of a tree, depth first.
func numericArgs(args []*argDoc) []*argDoc {
	var out []*argDoc
	for _, a := range args {
		if isNumeric(a) {
			out = append(out, a)
		}
		out = append(out, numericArgs(a.children)...)
	}
	return out
}

func contains(a, target *argDoc) bool {
	if a == target {
		return true
	}
	for _, c := range a.children {
		if contains(c, target) {
			return true
		}
	}
	return false
}

// invocation builds the arguments of a minimal valid call that includes
// target (nil for none) with the value val: required arguments always,
// optional ones only on the way to target, one occurrence of a multiple
// one, and of a oneof the branch holding target, or else the first.
func invocation(args []*argDoc, target *argDoc, val string) []string {
	var out []string
	keys := 0
	var emit func(a *argDoc)
	emit = func(a *argDoc) {
		if a.token != "" {
			out = append(out, a.token)
		}
		switch a.typ {
		case "pure-token":
		case "block":
			for _, c := range a.children {
				if !c.optional || target != nil && contains(c, target) {
					emit(c)
				}
			}
		case "oneof":
			pick := a.children[0]
			for _, c := range a.children {
				if target != nil && contains(c, target) {
					pick = c
				}
			}
			emit(pick)
		case "key":
			keys++
			out = append(out, strings.Repeat("k", keys)) // k, kk, ...
		default:
			out = append(out, baseline(a, target, val))
		}
	}
	for _, a := range args {
		if !a.optional || target != nil && contains(a, target) {
			emit(a)
		}
	}
	return out
}

// baseline is the value of a non-key argument: val for the target, and
// otherwise one that lets the command reach the target's parsing without
// side effects (a WAIT timeout of 0 would block for good).
func baseline(a, target *argDoc, val string) string {
	if a == target {
		return val
	}
	switch a.name {
	case "timeout":
		return "1"
	case "field":
		return "f" // the field of the prepared hash
	case "host":
		return "127.0.0.1"
	case "pattern":
		return "*"
	}
	if isNumeric(a) {
		return "0"
	}
	return "v"
}

// shingle is a Shingle server on 127.0.0.1:0 over an in-memory store with
// Redis's default proto-max-bulk-len, as a client reaches it. Every command
// of its table is wrapped to record a panic with its stack, so that a crash
// is reported on the case that caused it instead of killing the test.
type shingle struct {
	db   *store.DB
	srv  *netmode.Server
	addr string
	pipe *testutil.Client

	mu       sync.Mutex
	panicked []string
}

// boundaryBulkLen is both servers' proto-max-bulk-len in
// TestBoundaryDifferential.
const boundaryBulkLen = 32 << 20

func startShingle(t *testing.T) *shingle {
	t.Helper()
	db, err := store.Open("", &store.Options{InMemory: true, ProtoMaxBulkLen: boundaryBulkLen})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	cfg := netmode.DefaultConfig()
	cfg.Port = 0
	cfg.ProtoMaxBulkLen = boundaryBulkLen
	srv, err := netmode.New(db, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	sh := &shingle{db: db, srv: srv}
	table := srv.Table()
	for _, cmd := range table.Commands() {
		wrapped := *cmd // a copy: the table's commands are shared with every other table
		run := cmd.Run
		wrapped.Run = func(c *command.Ctx, args [][]byte) (r command.Reply) {
			defer func() {
				if p := recover(); p != nil {
					sh.mu.Lock()
					sh.panicked = append(sh.panicked, fmt.Sprintf("%q: %v\n%s", args, p, debug.Stack()))
					sh.mu.Unlock()
					r = command.ErrorReply(fmt.Sprintf("ERR panic: %v", p))
				}
			}()
			return run(c, args)
		}
		table.Add(&wrapped)
	}
	ln, err := srv.Listen(tlsconn.TCP, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sh.addr = ln.Addr().String()
	sh.pipe = testutil.MustDial(t, "tcp", sh.addr)
	return sh
}

func (sh *shingle) close() {
	sh.pipe.Close()
	sh.srv.Close()
	sh.db.Close()
}

func (sh *shingle) redial(t *testing.T) {
	sh.pipe.Close()
	sh.pipe = testutil.MustDial(t, "tcp", sh.addr)
}

// panics returns and forgets the panics recorded since the last call.
func (sh *shingle) panics() string {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	s := strings.Join(sh.panicked, "\n")
	sh.panicked = nil
	return s
}

// implements reports whether Shingle serves a subcommand: a container
// (CLIENT, ACL ...) answers one it lacks with "unknown subcommand".
func (sh *shingle) implements(t *testing.T, args []string) bool {
	reps, err := sh.pipe.Pipeline(10*time.Second, args)
	if err != nil {
		t.Fatal(err)
	}
	return !bytes.HasPrefix(reps[0].Str, []byte("ERR unknown subcommand"))
}

// usable checks the end of a case's script on Shingle: PING, SET and GET
// must work as ever.
func (sh *shingle) usable(t *testing.T, c *boundaryCase, got []command.Reply) bool {
	t.Helper()
	n := len(got)
	if got[n-3].String() != `"PONG"` || got[n-2].String() != `"OK"` || got[n-1].String() != `"after"` {
		t.Errorf("%s: Shingle is not usable after it: PING, SET, GET answered %v %v %v", c.name(), got[n-3], got[n-2], got[n-1])
		return false
	}
	return true
}

// lockFree reports whether a write from another goroutine completes within
// 10 seconds.
func (sh *shingle) lockFree() bool {
	done := make(chan error, 1)
	go func() { done <- sh.db.Set([]byte("lock-probe"), []byte("x")) }()
	select {
	case err := <-done:
		return err == nil
	case <-time.After(10 * time.Second):
		return false
	}
}

// Kinds of intended difference.
const (
	kindDiffer      = "differ"       // both run it; the replies may differ
	kindShingleOnly = "shingle-only" // redis-server is not asked; Shingle must stay usable
	kindSkip        = "skip"         // neither runs it
	kindShape       = "shape"        // both run it; errors must match, successes may differ in content
)

// difference is one line of the differences file.
type difference struct {
	line                   int
	cmd, arg, value, state string
	kind, reason           string
	matched, differed      int
}

type differences []*difference

// loadDifferences reads the intended differences: one per line,
// "command argument value state kind -- reason", with * for any.
func loadDifferences(t *testing.T, path string) differences {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out differences
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		spec, reason, ok := strings.Cut(line, " -- ")
		f := strings.Fields(spec)
		if !ok || len(f) != 5 || strings.TrimSpace(reason) == "" {
			t.Fatalf("%s:%d: want \"command argument value state kind -- reason\": %q", path, i+1, line)
		}
		d := &difference{line: i + 1, cmd: f[0], arg: f[1], value: f[2], state: f[3], kind: f[4], reason: reason}
		if d.kind != kindDiffer && d.kind != kindShingleOnly && d.kind != kindSkip && d.kind != kindShape {
			t.Fatalf("%s:%d: unknown kind %q", path, i+1, d.kind)
		}
		if d.state != "*" && d.state != "absent" && d.state != "present" && d.state != "wrongtype" {
			t.Fatalf("%s:%d: unknown state %q", path, i+1, d.state)
		}
		out = append(out, d)
	}
	return out
}

// match returns the first line covering c, counting the match.
func (ds differences) match(c *boundaryCase) *difference {
	is := func(pat, s string) bool { return pat == "*" || pat == s }
	for _, d := range ds {
		if is(d.cmd, c.cmd) && is(d.arg, c.arg) && is(d.value, c.value) && is(d.state, c.state) {
			d.matched++
			return d
		}
	}
	return nil
}

// checkUsed fails on lines that no longer describe anything: a line that
// matches no case, a "differ" line whose cases all agree now, or a "shape"
// line none of whose cases succeeds on both sides.
func (ds differences) checkUsed(t *testing.T) {
	for _, d := range ds {
		switch {
		case d.matched == 0:
			t.Errorf("boundary-differences.txt:%d (%s %s %s %s) matches no case: remove it", d.line, d.cmd, d.arg, d.value, d.state)
		case d.kind == kindDiffer && d.differed == 0:
			t.Errorf("boundary-differences.txt:%d (%s %s %s %s): Shingle now agrees with Redis on every case it matches: remove it", d.line, d.cmd, d.arg, d.value, d.state)
		case d.kind == kindShape && d.differed == 0:
			t.Errorf("boundary-differences.txt:%d (%s %s %s %s): no case it matches succeeds on both sides: remove it", d.line, d.cmd, d.arg, d.value, d.state)
		}
	}
}
