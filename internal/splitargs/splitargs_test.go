package splitargs_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/shinglekv/shingle/command"
	"github.com/shinglekv/shingle/internal/resp"
	"github.com/shinglekv/shingle/internal/splitargs"
	"github.com/shinglekv/shingle/internal/testutil"
)

// splitCases are sdssplitargs's answers; the ones marked "redis" were sent
// as inline commands to redis-server 7.0.15 (see TestSplitMatchesRedis,
// which replays all of them that can be sent). A nil want means
// ErrUnbalancedQuotes.
var splitCases = []struct {
	line string
	want []string
}{
	// Empty and blank lines.
	{"", []string{}},
	{" ", []string{}},
	{" \t\r\n\v\f ", []string{}},

	// Plain words and separators.
	{"a", []string{"a"}},
	{"a b  c", []string{"a", "b", "c"}},
	{"  a  ", []string{"a"}},
	{"a\tb\rc\nd", []string{"a", "b", "c", "d"}},
	// \v and \f are skipped between arguments but do not end an unquoted
	// one (redis).
	{"a\vb", []string{"a\vb"}},
	{"a\fb", []string{"a\fb"}},
	{"\va", []string{"a"}},
	{"a \v b", []string{"a", "b"}},
	{"a\v", []string{"a\v"}},
	// Backslashes outside quotes are literal.
	{`a\nb`, []string{`a\nb`}},
	{`a\`, []string{`a\`}},
	// Bytes above 0x7f are plain bytes.
	{"\xff\x80 é", []string{"\xff\x80", "é"}},

	// Double quotes.
	{`""`, []string{""}},
	{`"" ""`, []string{"", ""}},
	{`"a b"`, []string{"a b"}},
	{`"a\x41b"`, []string{"aAb"}},        // redis
	{`"\xfF\x00"`, []string{"\xff\x00"}}, // redis (\xfF)
	{`"\x4"`, []string{"x4"}},            // redis: not two hex digits
	{`"\x4g"`, []string{"x4g"}},          // redis
	{`"\xZZ"`, []string{"xZZ"}},          // redis
	{`"\x"`, []string{"x"}},              // redis
	{`"\n\r\t\b\a"`, []string{"\n\r\t\b\a"}},
	{`"a\"b"`, []string{`a"b`}}, // redis
	{`"a\\b"`, []string{`a\b`}}, // redis
	{`"a\qb"`, []string{"aqb"}}, // redis
	{`"a\'b"`, []string{"a'b"}}, // any other escaped byte is itself
	{`"a'b"`, []string{"a'b"}},  // redis
	{"\"a\nb\"", []string{"a\nb"}},
	{"\"a\x00b\"", nil}, // the NUL ends the line inside the quotes
	{`"a"b`, nil},       // redis: closing quote followed by a non-space
	{`"a"'b'`, nil},     // redis
	{`"a`, nil},         // redis: unterminated
	{`"a\"`, nil},       // the escaped quote does not close
	{`"a\`, nil},        // redis: a backslash at the end is literal, still open
	{`"`, nil},
	{"\"a\"\tb", []string{"a", "b"}}, // redis
	{"\"a\"\vb", []string{"a", "b"}}, // redis: \v is enough after a quote
	{"\"a\"\fb", []string{"a", "b"}}, // redis
	{"\"a\"\r", []string{"a"}},
	{`"a" `, []string{"a"}},

	// Single quotes.
	{`''`, []string{""}},
	{`'a b'`, []string{"a b"}},
	{`'a\'b'`, []string{"a'b"}},  // redis
	{`'a\nb'`, []string{`a\nb`}}, // redis
	{`'a\\b'`, []string{`a\\b`}}, // redis
	{`'a\x41'`, []string{`a\x41`}},
	{`'a"b'`, []string{`a"b`}}, // redis
	{`'a\'`, nil},
	{`'a'b`, nil},
	{`'a`, nil},

	// Quotes inside an unquoted argument open a quoted part (redis).
	{`ab"c d"`, []string{"abc d"}},
	{`ab'c d'`, []string{"abc d"}},
	{`ab"c`, nil},
	{`x"y"z`, nil},
	{`a\"b`, nil}, // the backslash is literal, the quote opens
	{`ab"c"`, []string{"abc"}},
	{`ab"\x41" d`, []string{"abA", "d"}},

	// A NUL ends the line, quoted or not.
	{"a\x00b", []string{"a"}},
	{"a \x00 b \"", []string{"a"}},
	{"\x00\"", []string{}},

	// A realistic inline command.
	{`SET "key with space" 'it''s'`, nil},
	{`SET "key with space" "it's" EX 10`, []string{"SET", "key with space", "it's", "EX", "10"}},
}

func TestSplit(t *testing.T) {
	for _, c := range splitCases {
		got, err := splitargs.Split([]byte(c.line))
		if c.want == nil {
			if !errors.Is(err, splitargs.ErrUnbalancedQuotes) || got != nil {
				t.Errorf("Split(%q) = %q, %v; want nil, ErrUnbalancedQuotes", c.line, got, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("Split(%q): %v", c.line, err)
			continue
		}
		if got == nil || !equal(got, c.want) {
			t.Errorf("Split(%q) = %q, want %q", c.line, got, c.want)
		}
	}
}

// TestSplitDoesNotAlias checks the ownership promise: the arguments survive
// the caller reusing its buffer, and appending to one leaves the next alone.
func TestSplitDoesNotAlias(t *testing.T) {
	line := []byte("abc def")
	args, err := splitargs.Split(line)
	if err != nil {
		t.Fatal(err)
	}
	copy(line, "XXXXXXX")
	_ = append(args[0], 'Z')
	if !equal(args, []string{"abc", "def"}) {
		t.Fatalf("arguments changed: %q", args)
	}
}

func TestSplitAllocations(t *testing.T) {
	line := []byte(`SET "key with space" value EX 10`)
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := splitargs.Split(line); err != nil {
			t.Fatal(err)
		}
	})
	// One slice of arguments and one array of bytes they share.
	if allocs > 2 {
		t.Errorf("Split allocates %v times per call, want at most 2", allocs)
	}
}

// requote writes every argument in double quotes with each byte as \xHH,
// the one form that cannot be misread.
func requote(args [][]byte) []byte {
	var b []byte
	for _, a := range args {
		b = append(b, " \""...)
		for _, c := range a {
			b = fmt.Appendf(b, `\x%02x`, c)
		}
		b = append(b, '"')
	}
	return b
}

func FuzzSplit(f *testing.F) {
	for _, c := range splitCases {
		f.Add([]byte(c.line))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		args, err := splitargs.Split(line)
		if err != nil {
			if !errors.Is(err, splitargs.ErrUnbalancedQuotes) || args != nil {
				t.Fatalf("Split(%q) = %q, %v", line, args, err)
			}
			return
		}
		again, err := splitargs.Split(requote(args))
		if err != nil {
			t.Fatalf("Split(%q) = %q, and splitting them requoted failed: %v", line, args, err)
		}
		if len(again) != len(args) {
			t.Fatalf("Split(%q) = %q, requoted gives %q", line, args, again)
		}
		for i := range args {
			if !bytes.Equal(args[i], again[i]) {
				t.Fatalf("Split(%q) = %q, requoted gives %q", line, args, again)
			}
		}
	})
}

// TestSplitMatchesRedis sends lines to redis-server as inline commands and
// checks that it splits them as Split does: the fixed cases, then random
// lines over the bytes that matter to the state machine.
//
// Each line is sent as "RPUSH k <line>" and read back with LRANGE, which
// returns every argument. Lines that cannot travel inline are left out: a
// '\n' ends the inline command, a '\r' before it is dropped, and a NUL makes
// Redis wait for more input forever (it looks for the newline with strchr).
func TestSplitMatchesRedis(t *testing.T) {
	srv := testutil.StartRedis(t)
	c := dialInline(t, srv.Socket)
	defer func() { c.Close() }()

	check := func(line string) {
		t.Helper()
		if strings.ContainsAny(line, "\n\x00") {
			return
		}
		want, wantErr := splitargs.Split([]byte(line))
		got, gotErr, closed := c.split(t, line)
		if closed {
			c.Close()
			c = dialInline(t, srv.Socket)
		}
		switch {
		case wantErr != nil && gotErr != "ERR Protocol error: unbalanced quotes in request":
			t.Errorf("line %q: Split fails with %v, Redis gives %q %q", line, wantErr, got, gotErr)
		case wantErr == nil && len(want) == 0 && gotErr != "ERR wrong number of arguments for 'rpush' command":
			t.Errorf("line %q: Split gives no arguments, Redis gives %q %q", line, got, gotErr)
		case wantErr == nil && len(want) > 0 && (gotErr != "" || !equalBytes(got, want)):
			t.Errorf("line %q: Split gives %q, Redis gives %q %q", line, want, got, gotErr)
		}
	}
	for _, sc := range splitCases {
		// A line ending in \r would lose it to the inline terminator.
		check(strings.TrimRight(sc.line, "\r"))
	}
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []byte(" \t\v\f\r\"'\\xab4F")
	for range 3000 {
		b := make([]byte, 1+rng.IntN(12))
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		check(strings.TrimRight(string(b), "\r"))
	}
}

// inlineClient speaks inline commands to a Redis over a unix socket.
type inlineClient struct {
	conn net.Conn
	r    *bufio.Reader
}

func dialInline(t *testing.T, socket string) *inlineClient {
	t.Helper()
	conn, err := net.DialTimeout("unix", socket, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return &inlineClient{conn: conn, r: bufio.NewReader(conn)}
}

func (c *inlineClient) Close() { c.conn.Close() }

// split sends "DEL k", "RPUSH k <line>" and "LRANGE k 0 -1" and returns the
// list, or the error RPUSH gave; closed says Redis dropped the connection,
// as it does after a protocol error.
func (c *inlineClient) split(t *testing.T, line string) (got [][]byte, errMsg string, closed bool) {
	t.Helper()
	if err := c.conn.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.conn.Write([]byte("DEL k\r\nRPUSH k " + line + "\r\n")); err != nil {
		t.Fatal(err)
	}
	if _, err := resp.ReadReply(c.r); err != nil {
		t.Fatal(err)
	}
	rep, err := resp.ReadReply(c.r)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Kind == command.KindError {
		return nil, string(rep.Str), strings.Contains(string(rep.Str), "Protocol error")
	}
	if _, err := c.conn.Write([]byte("LRANGE k 0 -1\r\n")); err != nil {
		t.Fatal(err)
	}
	rep, err = resp.ReadReply(c.r)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range rep.Elems {
		got = append(got, e.Str)
	}
	return got, "", false
}

func BenchmarkSplit(b *testing.B) {
	for _, bc := range []struct{ name, line string }{
		{"plain", "SET somekey somevalue"},
		{"quoted", `SET "key with space" "value\x00\n" EX 10`},
	} {
		b.Run(bc.name, func(b *testing.B) {
			line := []byte(bc.line)
			b.SetBytes(int64(len(line)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := splitargs.Split(line); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func equal(got [][]byte, want []string) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if string(got[i]) != want[i] {
			return false
		}
	}
	return true
}

func equalBytes(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}
