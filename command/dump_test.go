package command_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/shinglekv/shingle/command"
)

// TestDumpRestoreWithRedis moves values both ways between redis-server 7
// and Shingle by DUMP and RESTORE, and compares RESTORE's errors.
func TestDumpRestoreWithRedis(t *testing.T) {
	d := newDiffer(t)
	d.reset()
	do := func(args ...string) command.Reply {
		t.Helper()
		r, err := d.redis.Do(args...)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	var big, bigZ []string
	for i := range 600 {
		big = append(big, fmt.Sprintf("f%d", i), strconv.Itoa(i*7))
		bigZ = append(bigZ, strconv.Itoa(i*7%101)+".5", fmt.Sprintf("m%d", i))
	}
	values := []struct {
		key  string
		cmd  []string
		read string
	}{
		{"s:empty", []string{"SET", "s:empty", ""}, "GET"},
		{"s:int", []string{"SET", "s:int", "-12345"}, "GET"},
		{"s:bigint", []string{"SET", "s:bigint", "12345678901234"}, "GET"},
		{"s:text", []string{"SET", "s:text", "hello world"}, "GET"},
		{"s:long", []string{"SET", "s:long", strings.Repeat("abcdef", 50)}, "GET"},
		{"s:binary", []string{"SET", "s:binary", "\x00\xff\r\n"}, "GET"},
		{"h:small", []string{"HSET", "h:small", "a", "1", "b", "two", "c", ""}, "HGETALL"},
		{"h:big", append([]string{"HSET", "h:big"}, big...), "HGETALL"},
		{"set:ints", []string{"SADD", "set:ints", "1", "-7", "40000", "-3000000000", "9223372036854775807"}, "SMEMBERS"}, // an intset
		{"set:text", []string{"SADD", "set:text", "a", "", "two words", "\x00\xff"}, "SMEMBERS"},
		{"set:big", append([]string{"SADD", "set:big"}, big...), "SMEMBERS"}, // a hashtable
		{"list:small", []string{"RPUSH", "list:small", "a", "", "7", "-30000", "two words"}, "LRANGE"},
		{"list:big", append([]string{"RPUSH", "list:big"}, big...), "LRANGE"}, // several quicklist nodes
		{"z:small", []string{"ZADD", "z:small", "1", "a", "-0", "negzero", "inf", "top", "-inf", "bottom", "0.1", "tenth", "1e300", ""}, "ZRANGE"},
		{"z:big", append([]string{"ZADD", "z:big"}, bigZ...), "ZRANGE"},
	}
	for _, v := range values {
		read := func(k string) []string {
			switch v.read {
			case "LRANGE":
				return []string{v.read, k, "0", "-1"}
			case "ZRANGE":
				return []string{v.read, k, "0", "-1", "WITHSCORES"}
			}
			return []string{v.read, k}
		}
		// Redis to Shingle.
		do(v.cmd...)
		payload := do("DUMP", v.key)
		if r := command.Do(d.db, "RESTORE", v.key, "0", string(payload.Str)); r.String() != `"OK"` {
			t.Fatalf("%s: Shingle's RESTORE of Redis's payload: %v", v.key, r)
		}
		if want, got := normalize(v.read, do(read(v.key)...)), normalize(v.read, command.Do(d.db, read(v.key)...)); !sameReply(v.read, want, got) {
			t.Fatalf("%s from Redis: %v, want %v", v.key, got, want)
		}
		// Shingle to Redis, with a TTL.
		mine := command.Do(d.db, "DUMP", v.key)
		if r := do("RESTORE", v.key+":back", "100000", string(mine.Str)); r.String() != `"OK"` {
			t.Fatalf("%s: Redis's RESTORE of Shingle's payload: %v", v.key, r)
		}
		if want, got := normalize(v.read, command.Do(d.db, read(v.key)...)), normalize(v.read, do(read(v.key+":back")...)); !sameReply(v.read, want, got) {
			t.Fatalf("%s from Shingle: %v, want %v", v.key, got, want)
		}
		if ttl := do("PTTL", v.key+":back"); ttl.Int <= 0 || ttl.Int > 100000 {
			t.Fatalf("%s: TTL %v after RESTORE 100000", v.key, ttl)
		}
		if strings.HasPrefix(v.key, "s:") && v.key != "s:long" && string(mine.Str) != string(payload.Str) {
			t.Errorf("%s: Shingle's payload %q, Redis's %q", v.key, mine.Str, payload.Str)
		}
	}
	// The same commands to both sides: RESTORE's checks and their order.
	payload := string(do("DUMP", "s:text").Str)
	d.run("busy", "RESTORE", "s:text", "0", payload)
	d.run("replace", "RESTORE", "s:text", "0", payload, "REPLACE")
	d.run("negative ttl", "RESTORE", "new", "-1", payload)
	d.run("ttl not a number", "RESTORE", "new", "x", payload)
	d.run("bad option", "RESTORE", "new", "0", payload, "BOGUS")
	d.run("idletime", "RESTORE", "new", "0", payload, "IDLETIME", "-1")
	d.run("freq", "RESTORE", "new", "0", payload, "FREQ", "256")
	d.run("freq and idletime", "RESTORE", "new", "0", payload, "FREQ", "1", "IDLETIME", "1")
	d.run("short payload", "RESTORE", "new", "0", "abc")
	d.run("bad checksum", "RESTORE", "new", "0", payload[:len(payload)-1]+"x")
	d.run("newer version", "RESTORE", "new", "0", payload[:len(payload)-10]+"\x0f\x00"+payload[len(payload)-8:])
	d.run("expired", "RESTORE", "s:text", "1", payload, "REPLACE", "ABSTTL")
	d.run("gone", "EXISTS", "s:text")
	d.run("missing", "DUMP", "nokey")
	d.run("restored with idle", "RESTORE", "new", "0", payload, "IDLETIME", "5")
	d.run("read back", "GET", "new")
}
