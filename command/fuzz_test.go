package command_test

import (
	"bytes"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shinglekv/shingle/command"
	"github.com/shinglekv/shingle/internal/resp"
	"github.com/shinglekv/shingle/store"
)

// FuzzCommands runs short programs of commands from the command table, with
// boundary values, random words and a few shared keys, against an in-memory
// store, and replays the store's change feed into a second store the way a
// replica applies its primary's stream. It fails on any panic, on a command
// of the feed that the replica cannot apply, and when the two stores differ
// (digest, key counts, offset) after any step: what the feed says a write
// did must be what it did, or every replica drifts silently.
//
// The input is text, so that the seed corpus (testdata/fuzz/FuzzCommands)
// reads as what it tests. Each line is one step:
//
//	SET k1 10 EX #7       a command; its first word picks a command of the
//	                      table (by name, or by hash when it names none)
//	TX INCR k1 | GET k1   a transaction, as MULTI/EXEC (command.DoTx)
//	+1500                 the store clock moves on 1500 ms
//
// In arguments, #n is boundaryValues[n] (#7 is 2^63-1) and @n a shared key;
// missing arguments are filled in (keys where the command takes keys), so
// that most mutations still reach a command's parsing.
//
// Run it longer with:
//
//	go test ./command -run '^$' -fuzz '^FuzzCommands$' -fuzztime 1h -fuzzminimizetime 5s
//
// (A run is a few milliseconds, two stores opened and closed; at the
// default of 60 s, minimizing each new input would take most of the time.)
func FuzzCommands(f *testing.F) {
	table := command.NewTable()
	cmds := table.Commands()
	f.Fuzz(func(t *testing.T, data []byte) {
		// A program is a few dozen small commands: one still running after
		// a minute is hung, and the fuzzer would only report a silent
		// worker. Crash with every goroutine's stack instead.
		watchdog := time.AfterFunc(time.Minute, func() {
			buf := make([]byte, 1<<20)
			os.Stderr.Write(buf[:runtime.Stack(buf, true)])
			panic(fmt.Sprintf("FuzzCommands: a program ran for a minute:\n%s", data))
		})
		defer watchdog.Stop()
		prog := decodeProgram(data, table, cmds)
		clock := &fuzzClock{}
		clock.ms.Store(1_700_000_000_000)
		// Both stores on one fixed clock, without active expiry: a key
		// expires when the program moves the clock, and goes when a write
		// meets it (propagated as DEL), never at a moment of the wall clock.
		// A small proto-max-bulk-len (64 KiB) keeps a SETRANGE at a large
		// offset from allocating up to 512 MiB in a run; the bound is
		// checked the same way whatever its value.
		opts := &store.Options{InMemory: true, Now: clock.now, ActiveExpireInterval: -1, ProtoMaxBulkLen: 1 << 16}
		primary, replica := openFuzzStore(t, opts), openFuzzStore(t, opts)
		var feed []store.Change
		start, cancel, err := primary.Subscribe(func(c store.Change) {
			// Changes are valid only during the callback: keep a copy.
			cp := store.Change{Offset: c.Offset}
			for _, cmd := range c.Commands {
				cp.Commands = append(cp.Commands, cloneArgs(cmd))
			}
			feed = append(feed, cp)
		})
		if err != nil {
			t.Fatal(err)
		}
		defer cancel()
		replicaStart := replica.Offset()

		for i, step := range prog {
			switch {
			case step.advance > 0:
				clock.ms.Add(step.advance)
			case step.tx:
				if _, err := command.DoTx(primary, step.cmds...); err != nil {
					t.Fatalf("step %d: TX %q: %v", i, step.cmds, err)
				}
			default:
				ctx := &command.Ctx{Ops: &primary.Ops, DB: primary, Proto: 2}
				table.Exec(ctx, toBytes(step.cmds[0]))
			}
			for _, c := range feed {
				applyChange(t, table, replica, c)
			}
			feed = feed[:0]
			compareStores(t, fmt.Sprintf("after step %d (%s)", i, step), primary, replica, start, replicaStart)
		}
	})
}

// fuzzKeys are the keys programs share, so that commands meet each other's
// data: plain names, and a hash-tagged pair for RENAME and COPY.
var fuzzKeys = []string{"k1", "k2", "h1", "h2", "{t}a", "{t}b"}

type fuzzClock struct{ ms atomic.Int64 }

func (c *fuzzClock) now() time.Time { return time.UnixMilli(c.ms.Load()) }

func openFuzzStore(t *testing.T, opts *store.Options) *store.DB {
	db, err := store.Open("", opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// fuzzStep is one line of a program.
type fuzzStep struct {
	advance int64      // ms the clock moves on; the step is nothing else
	tx      bool       // cmds run as one transaction
	cmds    [][]string // the command(s)
}

func (s fuzzStep) String() string {
	if s.advance > 0 {
		return fmt.Sprintf("+%d", s.advance)
	}
	var parts []string
	for _, c := range s.cmds {
		parts = append(parts, fmt.Sprintf("%q", c))
	}
	if s.tx {
		return "TX " + strings.Join(parts, " | ")
	}
	return parts[0]
}

// Bounds of a program, so that one input stays a short run.
const (
	maxSteps   = 40
	maxTxCmds  = 6
	maxArgs    = 12
	maxArgLen  = 64
	maxAdvance = 10 * 365 * 24 * int64(time.Hour/time.Millisecond)
)

// decodeProgram turns fuzz input into steps. Every input decodes to some
// program: that is what lets the fuzzer's mutations explore.
func decodeProgram(data []byte, table *command.Table, cmds []*command.Command) []fuzzStep {
	var prog []fuzzStep
	for _, line := range strings.Split(string(data), "\n") {
		if len(prog) == maxSteps {
			break
		}
		line = strings.TrimSpace(line)
		switch {
		case line == "":
		case line[0] == '+':
			n, err := strconv.ParseInt(line[1:], 10, 64)
			if err != nil || n <= 0 {
				n = int64(len(line)) * 1000
			}
			prog = append(prog, fuzzStep{advance: min(n, maxAdvance)})
		case len(line) > 3 && strings.EqualFold(line[:3], "tx "):
			step := fuzzStep{tx: true}
			for _, part := range strings.Split(line[3:], "|") {
				if c := decodeCommand(part, table, cmds); c != nil && len(step.cmds) < maxTxCmds {
					step.cmds = append(step.cmds, c)
				}
			}
			if len(step.cmds) > 0 {
				prog = append(prog, step)
			}
		default:
			if c := decodeCommand(line, table, cmds); c != nil {
				prog = append(prog, fuzzStep{cmds: [][]string{c}})
			}
		}
	}
	return prog
}

func decodeCommand(s string, table *command.Table, cmds []*command.Command) []string {
	words := strings.Fields(s)
	if len(words) == 0 {
		return nil
	}
	cmd := table.Lookup([]byte(words[0]))
	if cmd == nil {
		h := fnv.New32a()
		h.Write([]byte(words[0]))
		cmd = cmds[h.Sum32()%uint32(len(cmds))]
	}
	args := []string{strings.ToUpper(cmd.Name)}
	for _, w := range words[1:min(len(words), maxArgs+1)] {
		args = append(args, decodeArg(w))
	}
	need := -cmd.Arity
	if cmd.Arity > 0 {
		need = cmd.Arity
	}
	for len(args) < need {
		if isKeyPos(cmd, len(args)) {
			args = append(args, fuzzKeys[len(args)%len(fuzzKeys)])
		} else {
			args = append(args, "1")
		}
	}
	return args
}

// decodeArg expands #n (a boundary value) and @n (a shared key); any other
// word is itself, cut to maxArgLen bytes.
func decodeArg(w string) string {
	if len(w) > 1 && (w[0] == '#' || w[0] == '@') {
		n, err := strconv.Atoi(w[1:])
		if err != nil || n < 0 {
			h := fnv.New32a()
			h.Write([]byte(w))
			n = int(h.Sum32() >> 1)
		}
		if w[0] == '#' {
			return boundaryValues[n%len(boundaryValues)].text
		}
		return fuzzKeys[n%len(fuzzKeys)]
	}
	return w[:min(len(w), maxArgLen)]
}

func isKeyPos(cmd *command.Command, i int) bool {
	if cmd.FirstKey <= 0 || i < cmd.FirstKey {
		return false
	}
	return (cmd.LastKey < 0 || i <= cmd.LastKey) && (i-cmd.FirstKey)%max(cmd.Step, 1) == 0
}

func toBytes(args []string) [][]byte {
	b := make([][]byte, len(args))
	for i, a := range args {
		b[i] = []byte(a)
	}
	return b
}

func cloneArgs(args [][]byte) [][]byte {
	out := make([][]byte, len(args))
	for i, a := range args {
		out[i] = bytes.Clone(a)
	}
	return out
}

// applyChange applies one change of the primary's feed to the replica as
// replication.Replica.apply does: the change's bytes as the stream, its
// commands through the table in one Replicate transaction, MULTI and EXEC
// dropped (the run is a transaction already). A command the primary
// propagated must apply without an error.
func applyChange(t *testing.T, table *command.Table, replica *store.DB, c store.Change) {
	t.Helper()
	var raw []byte
	for _, args := range c.Commands {
		raw = resp.AppendCommand(raw, args...)
	}
	err := replica.Replicate(raw, func(tx *store.Tx) error {
		ctx := &command.Ctx{Ops: &tx.Ops, DB: replica, Proto: 2}
		for _, args := range c.Commands {
			switch strings.ToLower(string(args[0])) {
			case "multi", "exec":
				continue
			}
			if r := table.Exec(ctx, args); r.IsError() {
				return fmt.Errorf("the feed's %q fails on the replica: %s", args, r.Str)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// compareStores fails unless the replica holds what the primary holds, as
// DEBUG DIGEST sees it, with the same key counts (expired keys not yet
// deleted included: both hold them until a DEL) and a feed of the same
// length.
func compareStores(t *testing.T, where string, primary, replica *store.DB, start, replicaStart uint64) {
	t.Helper()
	d1, err1 := primary.Digest()
	d2, err2 := replica.Digest()
	if err1 != nil || err2 != nil {
		t.Fatalf("%s: digests: %v, %v", where, err1, err2)
	}
	if d1 != d2 {
		t.Fatalf("%s: the replica's digest %s differs from the primary's %s\nprimary:\n%s\nreplica:\n%s", where, d2, d1, dump(primary), dump(replica))
	}
	k1, e1, err1 := primary.KeyCounts()
	k2, e2, err2 := replica.KeyCounts()
	if err1 != nil || err2 != nil || k1 != k2 || e1 != e2 {
		t.Fatalf("%s: key counts (keys, with expiry): primary %d, %d (%v); replica %d, %d (%v)", where, k1, e1, err1, k2, e2, err2)
	}
	if o1, o2 := primary.Offset()-start, replica.Offset()-replicaStart; o1 != o2 {
		t.Fatalf("%s: the primary's feed is %d bytes, the replica applied %d", where, o1, o2)
	}
}

// dump lists a store's keys with their types and values, for a failure
// message.
func dump(db *store.DB) string {
	var b strings.Builder
	ks, _ := db.Keys([]byte("*"))
	slices.SortFunc(ks, bytes.Compare)
	for _, k := range ks {
		typ := command.Do(db, "TYPE", string(k))
		var v command.Reply
		switch string(typ.Str) {
		case "hash":
			v = normalize("hgetall", command.Do(db, "HGETALL", string(k)))
		default:
			v = command.Do(db, "GET", string(k))
		}
		fmt.Fprintf(&b, "  %q %s %v pttl %v\n", k, typ.Str, v, command.Do(db, "PTTL", string(k)))
	}
	return b.String()
}

// TestFuzzSeedsCoverTable keeps the seed corpus covering the table: every
// command appears in some seed, so that a plain go test runs each at least
// once through the feed check, and a command added to the table needs a
// seed.
func TestFuzzSeedsCoverTable(t *testing.T) {
	table := command.NewTable()
	cmds := table.Commands()
	files, err := filepath.Glob("testdata/fuzz/FuzzCommands/*")
	if err != nil || len(files) == 0 {
		t.Fatalf("no seed corpus: %v", err)
	}
	seen := map[string]bool{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		// The corpus format: a header line, then one Go literal per
		// argument, here []byte("...").
		lines := strings.SplitN(string(data), "\n", 2)
		lit, ok := strings.CutPrefix(strings.TrimSpace(lines[len(lines)-1]), "[]byte(")
		if len(lines) != 2 || lines[0] != "go test fuzz v1" || !ok {
			t.Fatalf("%s: not a []byte corpus entry", f)
		}
		s, err := strconv.Unquote(strings.TrimSuffix(lit, ")"))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, step := range decodeProgram([]byte(s), table, cmds) {
			for _, c := range step.cmds {
				seen[strings.ToLower(c[0])] = true
			}
		}
	}
	for _, c := range cmds {
		if !seen[c.Name] {
			t.Errorf("no seed in testdata/fuzz/FuzzCommands runs %s", strings.ToUpper(c.Name))
		}
	}
}
