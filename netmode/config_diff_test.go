package netmode

import (
	"slices"
	"strings"
	"testing"

	"github.com/shinglekv/shingle/command"
	"github.com/shinglekv/shingle/internal/testutil"
)

// diffSkipped are the directives TestConfigSetMatchesRedis leaves out,
// with the reason.
var diffSkipped = map[string]string{
	"requirepass": "a password would lock the test's own connection out",
	// With TLS in use (the test server has a TLS listener), Shingle reads
	// and checks these files and values at once; Redis, whose TLS is off
	// here, takes anything.
	"tls-cert-file": "TLS files", "tls-key-file": "TLS files", "tls-key-file-pass": "TLS files",
	"tls-client-cert-file": "TLS files", "tls-client-key-file": "TLS files", "tls-client-key-file-pass": "TLS files",
	"tls-dh-params-file": "TLS files", "tls-ca-cert-file": "TLS files", "tls-ca-cert-dir": "TLS files",
	"tls-protocols": "Go's TLS versions", "tls-ciphers": "Go's cipher names", "tls-ciphersuites": "Go's TLS 1.3",
	// Redis refuses these with TLS off ("Unable to update TLS
	// configuration"); Shingle's test server has TLS on.
	"tls-replication": "Redis's TLS is off here", "tls-cluster": "Redis's TLS is off here",
}

// diffSkippedValues are single probes left out: Debian's redis-server is
// built without the jemalloc that active defragmentation needs, and
// refuses activedefrag yes, which a stock build of Redis 7.0 takes.
var diffSkippedValues = map[string]string{"activedefrag": "yes"}

// TestConfigSetMatchesRedis sends the same CONFIG SET, of every directive
// of Redis 7.0 with values a user might get wrong, to Shingle and to a
// stock redis-server 7.0: where Redis refuses a value (or a name), Shingle
// gives the same error, word for word; where Redis takes it, Shingle takes
// it and CONFIG GET then shows the same value, or, for a directive Shingle
// takes only at fixed values, refuses it saying what it does instead.
func TestConfigSetMatchesRedis(t *testing.T) {
	redisIs70(t)
	rc := testutil.StartRedis(t).Dial(t)
	ts := startServer(t, nil)
	sc := ts.raw(t)
	do := func(c *testutil.Client, args ...string) command.Reply { return mustDoReply(t, c, args...) }

	// The cases the brief names, and the unknown name.
	for _, args := range [][]string{
		{"nosuchdirective", "1"}, {"maxclients", "abc"}, {"port", "99999"}, {"tls-port", "-1"},
		{"timeout", "5", "maxclients", "abc"}, {"dir", "/x"}, {"daemonize", "no"},
	} {
		cmd := append([]string{"CONFIG", "SET"}, args...)
		want, got := do(rc, cmd...), do(sc, cmd...)
		if !want.IsError() || got.String() != want.String() {
			t.Errorf("%q: Shingle %s, Redis %s", cmd, got, want)
		}
	}

	probes := []string{"abc", "-1", "0", "1.5", "", "yes", "9223372036854775807", "-9223372036854775808", "18446744073709551616", "1gb"}
	for _, l := range readDirectiveList(t) {
		d := lookupDirective(l.name)
		if l.configSet == "file" || d.status == refused || diffSkipped[l.name] != "" || slices.Contains(shingleImmutable, l.name) {
			continue
		}
		before := do(rc, "CONFIG", "GET", l.name)
		shingleBefore := do(sc, "CONFIG", "GET", l.name)
		for _, v := range probes {
			if diffSkippedValues[l.name] == v {
				continue
			}
			want := do(rc, "CONFIG", "SET", l.name, v)
			got := do(sc, "CONFIG", "SET", l.name, v)
			switch {
			case want.IsError():
				if got.String() != want.String() {
					t.Errorf("CONFIG SET %s %q: Shingle %s, Redis %s", l.name, v, got, want)
				}
			case got.IsError():
				refusal := "ERR CONFIG SET failed (possibly related to argument '" + l.name + "') - "
				switch {
				case d.status == fixedValue:
					p, _ := d.parse(strings.Split(v, " "))
					refusal += d.refusal(l.name).Error()
					if d.allows(p) {
						refusal = "(a value Shingle takes)"
					}
				case l.name == "client-output-buffer-limit":
					refusal += "Shingle does not limit" // the normal class
				}
				if !strings.HasPrefix(string(got.Str), refusal) {
					t.Errorf("CONFIG SET %s %q: Shingle %s, Redis OK", l.name, v, got)
				}
			default:
				w, g := do(rc, "CONFIG", "GET", l.name), do(sc, "CONFIG", "GET", l.name)
				if g.String() != w.String() {
					t.Errorf("after CONFIG SET %s %q: CONFIG GET shows %s in Shingle, %s in Redis", l.name, v, g, w)
				}
			}
		}
		if len(before.Elems) == 2 {
			do(rc, "CONFIG", "SET", l.name, string(before.Elems[1].Str))
		}
		if len(shingleBefore.Elems) == 2 {
			do(sc, "CONFIG", "SET", l.name, string(shingleBefore.Elems[1].Str))
		}
	}
}
