package store

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const (
	// crashChildEnv, when set, makes the test act as the child writer on
	// the directory it names, with the policy named by crashPolicyEnv.
	crashChildEnv  = "SHINGLE_CRASH_CHILD"
	crashPolicyEnv = "SHINGLE_CRASH_POLICY"
	// crashSeedEnv repeats a run: the seed is logged by every run.
	crashSeedEnv = "SHINGLE_CRASH_SEED"

	crashWriters      = 4
	crashCycles       = 3
	crashMinAcks      = 200
	crashMaxAcks      = 2000
	crashMaxPerWriter = 1_000_000 // far past any kill: a child left alone gives up
)

// TestCrash checks the promise every fsync policy makes about a crash of
// the process (power loss is another matter): a write that has returned
// survives the death of the process at any moment. A child process
// (this test binary, run again) writes strings, hashes, a counter, lists,
// sets and sorted sets from several goroutines and prints one line per
// write that returned; the parent kills it with SIGKILL after a
// random number of lines, which lands the kill at an arbitrary point of
// some writes in flight, then reopens the directory and looks for every
// write that was acknowledged. Writes in flight may or may not be there;
// that is not checked.
func TestCrash(t *testing.T) {
	if dir := os.Getenv(crashChildEnv); dir != "" {
		crashWriter(dir, os.Getenv(crashPolicyEnv)) // does not return
	}
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv(crashSeedEnv); s != "" {
		var err error
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatalf("%s=%q: %v", crashSeedEnv, s, err)
		}
	}
	t.Logf("seed %d (%s=%d repeats the kill points)", seed, crashSeedEnv, seed)
	r := rand.New(rand.NewPCG(seed, 0))
	policies := []FsyncPolicy{FsyncAlways, FsyncEverySec, FsyncNo}
	for cycle := range crashCycles {
		target := crashMinAcks + r.IntN(crashMaxAcks-crashMinAcks+1)
		crashCycle(t, policies[cycle%len(policies)], cycle, target)
	}
}

// crashCycle runs one child writing with policy on a fresh directory, kills
// it once it has acknowledged target writes, and checks the directory. The
// child is the test binary running t's test again, which must hand over to
// crashWriter when crashChildEnv is set.
func crashCycle(t *testing.T, policy FsyncPolicy, cycle, target int) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^"+t.Name()+"$")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+dir, crashPolicyEnv+"="+policy.String())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// A child that hangs (a deadlock in the store, say) would block the
	// read below until the test binary's own timeout; this turns it into a
	// failure with the child's output instead.
	var hung atomic.Bool
	watchdog := time.AfterFunc(2*time.Minute, func() {
		hung.Store(true)
		cmd.Process.Kill()
	})
	defer watchdog.Stop()

	acks := newCrashAcks()
	n, killed := 0, false
	sc := bufio.NewScanner(stdout)
	// Lines already in the pipe when the child dies were written after
	// their call returned, so they are acknowledged writes too: read to
	// the end, not just to the kill.
	for sc.Scan() {
		line := sc.Text()
		if id, ok := strings.CutPrefix(line, "replid "); ok {
			acks.replID = id
			continue
		}
		if !strings.HasPrefix(line, "ack ") {
			t.Logf("child: %s", line) // the testing package's own output
			continue
		}
		if err := acks.add(line); err != nil {
			t.Error(err)
		}
		if n++; n == target {
			if err := cmd.Process.Kill(); err != nil {
				t.Errorf("kill: %v", err)
			}
			killed = true
		}
	}
	if err := sc.Err(); err != nil {
		t.Errorf("reading the child's output: %v", err)
	}
	waitErr := cmd.Wait()
	watchdog.Stop()
	switch {
	case hung.Load():
		t.Fatalf("cycle %d: child still running after 2 minutes, %d of %d acks; stderr:\n%s", cycle, n, target, stderr.Bytes())
	case !killed:
		t.Fatalf("cycle %d: child stopped after %d of %d acks (%v); stderr:\n%s", cycle, n, target, waitErr, stderr.Bytes())
	// Windows ends a killed process with an exit code; elsewhere an exit,
	// rather than death by the signal, means the child failed on its own
	// just before the kill.
	case cmd.ProcessState.Exited() && runtime.GOOS != "windows":
		t.Fatalf("cycle %d: child exited (%v) instead of being killed; stderr:\n%s", cycle, waitErr, stderr.Bytes())
	}
	t.Logf("cycle %d: killed after %d acks (target %d): %d strings, %d hash fields, %d increments, %d list elements, %d set members, %d sorted set members",
		cycle, n, target, len(acks.strings), acks.fields, acks.incrs,
		acks.colls.count(crashList), acks.colls.count(crashSet), acks.colls.count(crashZSet))
	acks.verify(t, dir, policy)
}

// crashAcks are the writes a child acknowledged.
type crashAcks struct {
	strings map[string]string            // key -> value
	hashes  map[string]map[string]string // key -> field -> value
	fields  int
	incrs   int64       // acknowledged INCRBY counter 1
	counter int64       // the largest value an acknowledged INCRBY returned
	colls   *crashColls // lists, sets and sorted sets
	replID  string      // the child's replication id
}

func newCrashAcks() *crashAcks {
	return &crashAcks{strings: map[string]string{}, hashes: map[string]map[string]string{}, colls: newCrashColls()}
}

// add records one ack line (see crashWriter for the forms).
func (a *crashAcks) add(line string) error {
	f := strings.Fields(line)
	switch {
	case len(f) == 4 && f[1] == "set":
		if _, dup := a.strings[f[2]]; dup {
			return fmt.Errorf("key written twice: %q", line)
		}
		a.strings[f[2]] = f[3]
	case len(f) == 5 && f[1] == "hset":
		h := a.hashes[f[2]]
		if h == nil {
			h = map[string]string{}
			a.hashes[f[2]] = h
		}
		if _, dup := h[f[3]]; dup {
			return fmt.Errorf("field written twice: %q", line)
		}
		h[f[3]] = f[4]
		a.fields++
	case len(f) == 4 && f[1] == "incr" && f[2] == "counter":
		n, err := strconv.ParseInt(f[3], 10, 64)
		if err != nil {
			return fmt.Errorf("bad ack %q: %v", line, err)
		}
		a.incrs++
		a.counter = max(a.counter, n)
	case len(f) == 4:
		k := slices.IndexFunc(crashKinds, func(k crashKind) bool { return k.ack == f[1] })
		g, gerr := strconv.Atoi(f[2])
		j, jerr := strconv.Atoi(f[3])
		if k < 0 || gerr != nil || jerr != nil {
			return fmt.Errorf("bad ack %q", line)
		}
		return a.colls.add(k, g, j)
	default:
		return fmt.Errorf("bad ack %q", line)
	}
	return nil
}

// verify reopens dir and checks that every acknowledged write is there.
func (a *crashAcks) verify(t *testing.T, dir string, policy FsyncPolicy) {
	t.Helper()
	db, err := Open(dir, &Options{AppendFsync: policy})
	if err != nil {
		t.Fatalf("reopen after the crash: %v", err)
	}
	defer func() {
		if err := db.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	}()
	for k, want := range a.strings {
		if got, err := db.Get([]byte(k)); err != nil || string(got) != want {
			t.Errorf("GET %s = %q, %v; acknowledged %q", k, got, err, want)
		}
	}
	for k, h := range a.hashes {
		for f, want := range h {
			if got, err := db.HGet([]byte(k), []byte(f)); err != nil || string(got) != want {
				t.Errorf("HGET %s %s = %q, %v; acknowledged %q", k, f, got, err, want)
			}
		}
	}
	// Increments in flight at the kill may have landed too, so the
	// counter is at least, not exactly, what was acknowledged.
	v, err := db.Get([]byte("counter"))
	if err == nil || a.incrs > 0 { // no counter is right only if no increment was acknowledged
		n, perr := strconv.ParseInt(string(v), 10, 64)
		if err != nil || perr != nil || n < a.incrs || n < a.counter {
			t.Errorf("GET counter = %q, %v; %d increments acknowledged, the largest result %d",
				v, err, a.incrs, a.counter)
		}
	}
	sizes := a.colls.verify(t, db)
	// Every commit carries its offset, so the offset after the crash is
	// exactly that of the data recovered, whichever writes in flight
	// landed: the length of the commands that made it. A new history
	// starts there, continuing the child's up to it.
	want := recoveredOffset(t, db)
	h, err := db.History()
	if err != nil || h.Offset != want {
		t.Errorf("offset %d after the crash (%v); the recovered data was written by %d bytes of commands", h.Offset, err, want)
	}
	if len(h.ReplID) != 40 || !isHex(h.ReplID) || h.ReplID == a.replID || h.ReplID2 != a.replID || h.SecondOffset != int64(want)+1 {
		t.Errorf("history %+v after the crash; want a new id continuing the child's %s up to %d", h, a.replID, want)
	}

	// Collection ids handed out before the crash must not be handed out
	// again: a new hash given the id of an old one in the same slot (all
	// have crashTag) would show the old one's fields, and writing to it
	// would change the old hash.
	lens := map[string]int64{}
	for k := range a.hashes {
		if lens[k], err = db.HLen([]byte(k)); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 50 {
		k := fmt.Appendf(nil, "%safter-crash:%d", crashTag, i)
		if _, err := db.HSet(k, []byte("f"), []byte("v")); err != nil {
			t.Fatal(err)
		}
		if n, err := db.HLen(k); err != nil || n != 1 {
			t.Errorf("new hash %s after the crash has %d fields (%v), want 1", k, n, err)
		}
	}
	for k, want := range lens {
		if n, err := db.HLen([]byte(k)); err != nil || n != want {
			t.Errorf("HLEN %s = %d (%v) after new hashes were written, was %d", k, n, err, want)
		}
	}
	checkNoAlias(t, db, sizes)
}

// recoveredOffset returns the replication offset of a crash writer's data
// set: the RESP length of the commands that wrote it, which the change
// feed propagates as they were called (SET, HSET, INCRBY counter 1, and
// for each element RPUSH, SADD, or ZADD with the score as FormatScore
// writes it).
func recoveredOffset(t *testing.T, db *DB) uint64 {
	t.Helper()
	snap, cancel, err := db.SubscribeSnapshot(func(Change) {})
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	defer snap.Close()
	var n uint64
	err = snap.Each(func(r *Record) error {
		switch {
		case string(r.Key) == "counter":
			c, err := strconv.ParseUint(string(r.Value), 10, 64)
			n += c * respLen([][]byte{[]byte("INCRBY"), r.Key, []byte("1")})
			return err
		case r.Type == TypeString:
			n += respLen([][]byte{cmdSet, r.Key, r.Value})
		case r.Type == TypeHash:
			for i := 0; i < len(r.Fields); i += 2 {
				n += respLen([][]byte{cmdHSet, r.Key, r.Fields[i], r.Fields[i+1]})
			}
		case r.Type == TypeList || r.Type == TypeSet:
			cmd := crashKinds[crashList].cmd
			if r.Type == TypeSet {
				cmd = crashKinds[crashSet].cmd
			}
			for _, m := range r.Members {
				n += respLen([][]byte{cmd, r.Key, m})
			}
		case r.Type == TypeZSet:
			for i, m := range r.Members {
				n += respLen([][]byte{crashKinds[crashZSet].cmd, r.Key, FormatScore(r.Scores[i]), m})
			}
		default:
			return fmt.Errorf("key %s of type %s, which no crash writer writes", r.Key, r.Type)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func isHex(s string) bool {
	_, err := hex.DecodeString(s)
	return err == nil
}

// crashWriter is the child: crashWriters goroutines write distinct keys
// with the named fsync policy until the process is killed, each printing one
// line per write that returned without error:
//
//	ack set <key> <value>
//	ack hset <key> <field> <value>
//	ack incr counter <value returned>
//	ack rpush|sadd|zadd <writer> <j>  (the writer's j-th element of that kind, see crashElem)
//
// Any error ends the process with status 3 and the error on stderr, which
// the parent reports.
func crashWriter(dir, policy string) {
	fail := func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, "crash writer: "+format+"\n", args...)
		os.Exit(3)
	}
	p, err := ParseFsyncPolicy(policy)
	if err != nil {
		fail("%v", err)
	}
	db, err := Open(dir, &Options{AppendFsync: p})
	if err != nil {
		fail("open: %v", err)
	}
	fmt.Printf("replid %s\n", db.ReplicationID())
	// One Write per line, under a lock: a line is never split or mixed
	// with another, and a line short enough goes into the pipe whole even
	// when the kill comes during the write.
	var mu sync.Mutex
	ack := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		if _, err := fmt.Fprintf(os.Stdout, "ack "+format+"\n", args...); err != nil {
			fail("stdout: %v", err)
		}
	}
	errc := make(chan error)
	ops := 3 + len(crashKinds) // set, hset, incr, then a kind of collection each
	for g := range crashWriters {
		go func() {
			for i := range crashMaxPerWriter {
				var err error
				switch i % ops {
				case 0:
					k, v := fmt.Sprintf("str:%d:%d", g, i), fmt.Sprintf("value-%d-%d", g, i)
					if err = db.Set([]byte(k), []byte(v)); err == nil {
						ack("set %s %s", k, v)
					}
				case 1:
					// A new hash every few fields, so that collection ids
					// are handed out while the kill can come.
					k := fmt.Sprintf("%shash:%d:%d", crashTag, g, i/(3*ops))
					f, v := fmt.Sprintf("field:%d", i), fmt.Sprintf("value-%d-%d", g, i)
					if _, err = db.HSet([]byte(k), []byte(f), []byte(v)); err == nil {
						ack("hset %s %s %s", k, f, v)
					}
				case 2:
					var n int64
					if n, err = db.IncrBy([]byte("counter"), 1); err == nil {
						ack("incr counter %d", n)
					}
				default:
					k, j := i%ops-3, i/ops
					key, member, score := crashElem(k, g, j)
					var n int64
					if n, err = crashKinds[k].add(db, key, member, score); err == nil && n != int64(j%crashPerColl+1) {
						err = fmt.Errorf("%s %s: size %d after element %d", crashKinds[k].ack, key, n, j)
					}
					if err == nil {
						ack("%s %d %d", crashKinds[k].ack, g, j)
					}
				}
				if err != nil {
					errc <- fmt.Errorf("writer %d, write %d: %w", g, i, err)
					return
				}
			}
			errc <- fmt.Errorf("writer %d made %d writes and was never killed", g, crashMaxPerWriter)
		}()
	}
	fail("%v", <-errc)
}
