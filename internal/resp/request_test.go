package resp_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/shinglekv/shingle/internal/redisnum"
	"github.com/shinglekv/shingle/internal/resp"
	"github.com/shinglekv/shingle/internal/splitargs"
	"github.com/shinglekv/shingle/internal/testutil"
)

// chunkReader returns its data in reads of the given sizes, taken in turn
// and repeated, then io.EOF. With no sizes it returns as much as fits.
type chunkReader struct {
	data  []byte
	sizes []int
	i     int
	reads int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	c.reads++
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	n := len(c.data)
	if len(c.sizes) > 0 {
		n = min(n, c.sizes[c.i%len(c.sizes)])
		c.i++
	}
	n = copy(p, c.data[:n])
	c.data = c.data[n:]
	return n, nil
}

// feed is a reader over data that the test tops up between reads; it
// returns (0, io.EOF) only once closed, and counts its reads.
type feed struct {
	data   []byte
	closed bool
	reads  int
}

func (f *feed) Read(p []byte) (int, error) {
	f.reads++
	if len(f.data) == 0 {
		if f.closed {
			return 0, io.EOF
		}
		return 0, errors.New("feed: read with nothing to give (the reader read when it should not have)")
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}

// limits configures a reader; the zero value keeps NewRequestReader's.
type limits struct {
	maxBulk, maxQuery int64
	unauth            bool
}

func (l limits) apply(rd *resp.RequestReader) {
	if l.maxBulk != 0 {
		rd.MaxBulkLen = l.maxBulk
	}
	if l.maxQuery != 0 {
		rd.MaxQueryBuffer = l.maxQuery
	}
	rd.Unauthenticated = l.unauth
}

// readAll reads commands until an error, copying each (the arguments alias
// the reader's buffer). With poll it asks Next(false) first, as the server
// does, and blocks only when nothing complete is buffered.
func readAll(src io.Reader, l limits, poll bool) ([][]string, error) {
	rd := resp.NewRequestReader(src)
	l.apply(rd)
	var cmds [][]string
	for {
		args, err := rd.Next(!poll)
		if poll && args == nil && err == nil {
			args, err = rd.Next(true)
		}
		if err != nil {
			return cmds, err
		}
		if len(args) == 0 {
			return cmds, errors.New("Next returned an empty command and no error")
		}
		cmd := make([]string, len(args))
		for i, a := range args {
			cmd[i] = string(a)
		}
		cmds = append(cmds, cmd)
	}
}

// mb encodes a multibulk request.
func mb(args ...string) string {
	b := make([][]byte, len(args))
	for i, a := range args {
		b[i] = []byte(a)
	}
	return string(resp.AppendCommand(nil, b...))
}

func errText(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

// feedings returns the ways the same input is fed to a reader: whole, a
// byte per read, odd chunk sizes, and split in two at every byte (for
// inputs small enough to make that cheap).
func feedings(data []byte) map[string]func() io.Reader {
	ways := map[string]func() io.Reader{
		"whole":    func() io.Reader { return bytes.NewReader(data) },
		"one byte": func() io.Reader { return iotest.OneByteReader(bytes.NewReader(data)) },
		"3,7,1":    func() io.Reader { return &chunkReader{data: data, sizes: []int{3, 7, 1}} },
		"511":      func() io.Reader { return &chunkReader{data: data, sizes: []int{511}} },
	}
	splits := []int{}
	if len(data) <= 4096 {
		for i := 1; i < len(data); i++ {
			splits = append(splits, i)
		}
	} else {
		for _, i := range []int{1, 2, 3, 511, 512, 513, 16383, 16384, 16385, len(data) / 2, len(data) - 2, len(data) - 1} {
			if i > 0 && i < len(data) {
				splits = append(splits, i)
			}
		}
	}
	for _, i := range splits {
		ways[fmt.Sprintf("split at %d", i)] = func() io.Reader {
			return &chunkReader{data: data, sizes: []int{i, len(data)}}
		}
	}
	return ways
}

func TestRequestReaderCommands(t *testing.T) {
	binary := "a\r\n\x00\xff$*\r\nb"
	big := strings.Repeat("x", 100<<10)
	var manyArgs []string
	for i := range 300 {
		manyArgs = append(manyArgs, strconv.Itoa(i))
	}
	for _, tc := range []struct {
		name string
		in   string
		want [][]string
	}{
		{"multibulk", mb("PING"), [][]string{{"PING"}}},
		{"multibulk with empty argument", mb("SET", "k", ""), [][]string{{"SET", "k", ""}}},
		{"binary payload", mb("ECHO", binary), [][]string{{"ECHO", binary}}},
		{"inline CRLF", "PING\r\n", [][]string{{"PING"}}},
		{"inline LF", "PING\n", [][]string{{"PING"}}},
		{"inline spaces", "  GET   k \t \r\n", [][]string{{"GET", "k"}}},
		{"inline quotes", "SET k \"a b\\x41\\n\" 'c\\'d'\r\n", [][]string{{"SET", "k", "a bA\n", "c'd"}}},
		{"pipeline", mb("SET", "k", "v") + mb("GET", "k") + mb("DEL", "k"),
			[][]string{{"SET", "k", "v"}, {"GET", "k"}, {"DEL", "k"}}},
		{"mixed pipeline", "PING\r\n" + mb("ECHO", binary) + "ECHO x\n" + mb("PING"),
			[][]string{{"PING"}, {"ECHO", binary}, {"ECHO", "x"}, {"PING"}}},
		{"skipped", "*0\r\n*-1\r\n\r\n\n   \r\n*0\r\n" + mb("PING") + "\r\n*-1\r\nPING\r\n",
			[][]string{{"PING"}, {"PING"}}},
		// Redis does not check the two bytes after a bulk's data, nor the
		// byte after a length line's CR.
		{"unchecked terminators", "*1\r\n$4\r\nPINGxx*1\rx$4\ryPING\r\n", [][]string{{"PING"}, {"PING"}}},
		{"big argument", mb("SET", "k", big) + mb("GET", "k"), [][]string{{"SET", "k", big}, {"GET", "k"}}},
		{"many arguments", mb(manyArgs...), [][]string{manyArgs}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for how, src := range feedings([]byte(tc.in)) {
				for _, poll := range []bool{false, true} {
					got, err := readAll(src(), limits{}, poll)
					if err != io.EOF {
						t.Fatalf("%s (poll %v): error %v after %d commands, want io.EOF", how, poll, err, len(got))
					}
					if !slices.EqualFunc(got, tc.want, slices.Equal) {
						t.Fatalf("%s (poll %v): got %q, want %q", how, poll, got, tc.want)
					}
				}
			}
		})
	}
}

// errorCases are malformed requests, with the commands read before the
// error and the error: a ProtocolError's text, or a sentinel.
var errorCases = []struct {
	name   string
	in     string
	l      limits
	before [][]string
	want   string // Error() of the expected error
	redis  bool   // compare with a real redis-server
}{
	{"multibulk length not a number", "*x\r\n", limits{}, nil, "Protocol error: invalid multibulk length", true},
	{"multibulk length with plus", "*+1\r\n", limits{}, nil, "Protocol error: invalid multibulk length", true},
	{"multibulk length leading zero", "*01\r\n", limits{}, nil, "Protocol error: invalid multibulk length", true},
	{"multibulk length over INT_MAX", "*2147483648\r\n", limits{}, nil, "Protocol error: invalid multibulk length", true},
	{"after a command", "PING\r\n*x\r\n", limits{}, [][]string{{"PING"}}, "Protocol error: invalid multibulk length", true},
	{"not a bulk", "*1\r\nx\r\n", limits{}, nil, "Protocol error: expected '$', got 'x'", true},
	{"integer instead of bulk", "*2\r\n$4\r\nECHO\r\n:1\r\n", limits{}, nil, "Protocol error: expected '$', got ':'", true},
	{"negative bulk length", "*1\r\n$-1\r\n", limits{}, nil, "Protocol error: invalid bulk length", true},
	{"bulk length not a number", "*1\r\n$x\r\n", limits{}, nil, "Protocol error: invalid bulk length", true},
	{"bulk length empty", "*1\r\n$\r\n", limits{}, nil, "Protocol error: invalid bulk length", true},
	{"bulk length above proto-max-bulk-len", "*2\r\n$4\r\nECHO\r\n$1048577\r\n", limits{maxBulk: 1 << 20}, nil,
		"Protocol error: invalid bulk length", true},
	{"default proto-max-bulk-len", "*2\r\n$4\r\nECHO\r\n$536870913\r\n", limits{}, nil, "Protocol error: invalid bulk length", true},
	{"unbalanced double quote", "SET k \"v\r\n", limits{}, nil, "Protocol error: unbalanced quotes in request", true},
	{"text after closing quote", "SET k \"v\"w\r\n", limits{}, nil, "Protocol error: unbalanced quotes in request", true},
	{"unbalanced single quote", "'\r\n", limits{}, nil, "Protocol error: unbalanced quotes in request", true},
	{"too big inline request", "\xff" + strings.Repeat("a", 64<<10), limits{}, nil, "Protocol error: too big inline request", true},
	{"too big mbulk count string", "*" + strings.Repeat("1", 64<<10), limits{}, nil, "Protocol error: too big mbulk count string", true},
	{"too big bulk count string", "*1\r\n$" + strings.Repeat("1", 64<<10), limits{}, nil, "Protocol error: too big bulk count string", true},
	{"unauthenticated multibulk length", "*11\r\n", limits{unauth: true}, nil, "Protocol error: unauthenticated multibulk length", true},
	{"unauthenticated bulk length", "*2\r\n$4\r\nAUTH\r\n$16385\r\n", limits{unauth: true}, nil, "Protocol error: unauthenticated bulk length", true},
	{"query buffer limit, one big element", "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2097152\r\n", limits{maxBulk: 4 << 20, maxQuery: 1 << 20}, nil,
		resp.ErrQueryBufferLimit.Error(), false},
	{"query buffer limit, many elements", "*2048\r\n" + strings.Repeat("$1024\r\n"+strings.Repeat("v", 1024)+"\r\n", 2048),
		limits{maxQuery: 1 << 20}, nil, resp.ErrQueryBufferLimit.Error(), false},
	{"query buffer limit after a command", mb("PING") + "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2097152\r\n",
		limits{maxBulk: 4 << 20, maxQuery: 1 << 20}, [][]string{{"PING"}}, resp.ErrQueryBufferLimit.Error(), false},
	{"cut in a command", mb("SET", "k", "v")[:10], limits{}, nil, io.ErrUnexpectedEOF.Error(), false},
	{"cut in a bulk", mb("SET", "k", "value")[:26], limits{}, nil, io.ErrUnexpectedEOF.Error(), false},
	{"cut in an inline command", "PING", limits{}, nil, io.ErrUnexpectedEOF.Error(), false},
}

func TestRequestReaderErrors(t *testing.T) {
	for _, tc := range errorCases {
		t.Run(tc.name, func(t *testing.T) {
			ways := feedings([]byte(tc.in))
			if len(tc.in) > 4096 {
				// A byte at a time costs a scan of the line per byte:
				// fine once, too slow for every variant.
				delete(ways, "one byte")
				delete(ways, "3,7,1")
			}
			for how, src := range ways {
				got, err := readAll(src(), tc.l, true)
				if errText(err) != tc.want {
					t.Fatalf("%s: error %q, want %q", how, errText(err), tc.want)
				}
				if !slices.EqualFunc(got, tc.before, slices.Equal) {
					t.Fatalf("%s: commands before the error %q, want %q", how, got, tc.before)
				}
				var pe *resp.ProtocolError
				if isProto := errors.As(err, &pe); isProto != strings.HasPrefix(tc.want, "Protocol error: ") {
					t.Fatalf("%s: %T %v: ProtocolError=%v", how, err, err, isProto)
				}
			}
		})
	}
	// The limits must be exact: one less is accepted.
	for _, tc := range []struct {
		name string
		in   string
		l    limits
	}{
		{"bulk of exactly proto-max-bulk-len", mb("ECHO", strings.Repeat("v", 1<<20)), limits{maxBulk: 1 << 20}},
		{"inline of 64 KiB", strings.Repeat("a", 64<<10-2) + "\r\n", limits{}},
		{"10 arguments unauthenticated", mb(slices.Repeat([]string{"a"}, 10)...), limits{unauth: true}},
		{"16 KiB argument unauthenticated", mb("AUTH", strings.Repeat("p", 16384)), limits{unauth: true}},
		{"request of exactly the query buffer limit", "*1\r\n$1048560\r\n" + strings.Repeat("v", 1048560) + "\r\n",
			limits{maxBulk: 4 << 20, maxQuery: 1 << 20}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "request of exactly the query buffer limit" && len(tc.in) != 1<<20 {
				t.Fatalf("test input is %d bytes, want 1 MiB", len(tc.in))
			}
			got, err := readAll(bytes.NewReader([]byte(tc.in)), tc.l, true)
			if err != io.EOF || len(got) != 1 {
				t.Fatalf("got %d commands, %v; want 1 and io.EOF", len(got), err)
			}
		})
	}
}

// TestRequestReaderErrorsMatchRedis sends each malformed request to a real
// redis-server: it must answer "-ERR " and the reader's error text, then
// close.
func TestRequestReaderErrorsMatchRedis(t *testing.T) {
	open := testutil.StartRedis(t, "--proto-max-bulk-len", "1mb")
	authed := testutil.StartRedis(t, "--requirepass", "secret")
	for _, tc := range errorCases {
		if !tc.redis {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			srv := open
			if tc.l.unauth {
				srv = authed
			}
			in := tc.in
			if tc.name == "default proto-max-bulk-len" {
				// The first server runs with 1mb; the authenticated one
				// has Redis's default.
				srv, in = authed, "AUTH secret\r\n"+in
			}
			conn, err := net.Dial("unix", srv.Socket)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(10 * time.Second))
			if _, err := conn.Write([]byte(in)); err != nil {
				t.Fatal(err)
			}
			out, err := io.ReadAll(conn)
			if err != nil {
				t.Fatalf("redis-server did not close the connection: %v (read %q)", err, out)
			}
			lines := strings.SplitAfter(string(out), "\r\n")
			if len(lines) < 2 || lines[len(lines)-1] != "" {
				t.Fatalf("redis-server answered %q", out)
			}
			if last, want := lines[len(lines)-2], "-ERR "+tc.want+"\r\n"; last != want {
				t.Fatalf("redis-server's last reply %q, the reader's error gives %q", last, want)
			}
		})
	}
}

func TestRequestReaderNextWithoutBlocking(t *testing.T) {
	f := &feed{}
	rd := resp.NewRequestReader(f)
	if args, err := rd.Next(false); args != nil || err != nil {
		t.Fatalf("empty reader: Next(false) = %q, %v", args, err)
	}
	if f.reads != 0 {
		t.Fatalf("Next(false) read %d times", f.reads)
	}

	// A command in pieces: nothing until its last byte, and Buffered shows
	// what waits.
	cmd := mb("SET", "key", "value")
	for i := 0; i < len(cmd)-1; i++ {
		f.data = []byte(cmd[i : i+1])
		if err := rd.Fill(); err != nil {
			t.Fatal(err)
		}
		if args, err := rd.Next(false); args != nil || err != nil {
			t.Fatalf("after %q: Next(false) = %q, %v", cmd[:i+1], args, err)
		}
	}
	f.data = []byte(cmd[len(cmd)-1:])
	if err := rd.Fill(); err != nil {
		t.Fatal(err)
	}
	if got := string(rd.Buffered()); got != cmd {
		t.Fatalf("Buffered() = %q, want %q", got, cmd)
	}
	args, err := rd.Next(false)
	if err != nil || fmt.Sprintf("%q", args) != `["SET" "key" "value"]` {
		t.Fatalf("Next(false) = %q, %v", args, err)
	}
	// Arguments are capped: appending to one must not overwrite the next.
	for i, a := range args {
		if cap(a) != len(a) {
			t.Fatalf("argument %d has cap %d > len %d", i, cap(a), len(a))
		}
	}

	// A pipeline read at once is handed out whole before any read.
	f.data = []byte(mb("PING") + "ECHO a\r\n" + mb("GET", "k") + "*1\r\n$4\r\nPI")
	reads := f.reads
	if err := rd.Fill(); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`["PING"]`, `["ECHO" "a"]`, `["GET" "k"]`} {
		args, err := rd.Next(false)
		if err != nil || fmt.Sprintf("%q", args) != want {
			t.Fatalf("Next(false) = %q, %v; want %s", args, err, want)
		}
	}
	if args, err := rd.Next(false); args != nil || err != nil {
		t.Fatalf("with half a command buffered: Next(false) = %q, %v", args, err)
	}
	if f.reads != reads+1 {
		t.Fatalf("%d reads for one Fill and non-blocking Nexts", f.reads-reads)
	}
	if got := string(rd.Buffered()); got != "*1\r\n$4\r\nPI" {
		t.Fatalf("Buffered() = %q", got)
	}
	// Blocking completes it; then a clean EOF between commands is io.EOF.
	f.data, f.closed = []byte("NG\r\n"), true
	if args, err := rd.Next(true); err != nil || fmt.Sprintf("%q", args) != `["PING"]` {
		t.Fatalf("Next(true) = %q, %v", args, err)
	}
	if _, err := rd.Next(true); err != io.EOF {
		t.Fatalf("at EOF between commands: %v, want io.EOF", err)
	}
	if want := int64(len(cmd) + len(mb("PING")+"ECHO a\r\n"+mb("GET", "k")+"*1\r\n$4\r\nPING\r\n")); rd.InputBytes != want {
		t.Fatalf("InputBytes = %d, want %d", rd.InputBytes, want)
	}
}

// capacity is the size of the reader's buffer as far as Buffered shows it:
// the capacity from the unread bytes to the end.
func capacity(rd *resp.RequestReader) int { return cap(rd.Buffered()) }

func TestRequestReaderIdleBufferIsSmall(t *testing.T) {
	big := strings.Repeat("v", 200<<10)
	f := &feed{data: []byte(mb("SET", "k", big) + mb("GET", "k"))}
	rd := resp.NewRequestReader(f)
	small := capacity(rd)
	if small > 4096 {
		t.Fatalf("a new reader holds %d bytes", small)
	}
	n := 0
	for n < 2 {
		args, err := rd.Next(false)
		if err != nil {
			t.Fatal(err)
		}
		if args == nil {
			if err := rd.Fill(); err != nil {
				t.Fatal(err)
			}
			continue
		}
		n++
	}
	if args, err := rd.Next(false); args != nil || err != nil {
		t.Fatalf("drained: Next(false) = %q, %v", args, err)
	}
	if got := capacity(rd); got != small {
		t.Fatalf("an idle reader holds a buffer of %d bytes, want its small one of %d", got, small)
	}
	// And it still works after.
	f.data = []byte("PING\r\n")
	if args, err := rd.Next(true); err != nil || fmt.Sprintf("%q", args) != `["PING"]` {
		t.Fatalf("Next(true) = %q, %v", args, err)
	}
}

// allocated runs f and returns the bytes it allocated (approximately: other
// goroutines count too, so thresholds are generous).
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

func TestRequestReaderHugeHeaderBeyondQueryBufferLimit(t *testing.T) {
	// proto-max-bulk-len raised above the query buffer limit: a header
	// announcing 4 GiB must be refused before anything that size exists.
	in := []byte("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$4294967296\r\nabc")
	var err error
	n := allocated(func() {
		for range 10 {
			rd := resp.NewRequestReader(bytes.NewReader(in))
			rd.MaxBulkLen, rd.MaxQueryBuffer = 8<<30, 1<<20
			_, err = rd.Next(true)
		}
	})
	if !errors.Is(err, resp.ErrQueryBufferLimit) {
		t.Fatalf("error %v, want ErrQueryBufferLimit", err)
	}
	if n > 10<<20 {
		t.Fatalf("10 refused requests allocated %d bytes", n)
	}

	// A multibulk count of INT_MAX announces nothing to allocate either.
	in = []byte("*2147483647\r\n" + strings.Repeat("$1\r\na\r\n", 100))
	n = allocated(func() {
		for range 10 {
			_, err = readAll(bytes.NewReader(in), limits{}, false)
		}
	})
	if err != io.ErrUnexpectedEOF {
		t.Fatalf("error %v, want io.ErrUnexpectedEOF", err)
	}
	if n > 10<<20 {
		t.Fatalf("10 requests announcing 2^31-1 arguments allocated %d bytes", n)
	}
}

func TestRequestReaderNeverGrowsPastQueryBufferLimit(t *testing.T) {
	const limit = 1 << 20
	// Elements of every size up to what the limit allows, a long inline
	// command and a pipeline, fed in pieces of varied sizes.
	var in strings.Builder
	for _, n := range []int{1, 1000, 16 << 10, 100 << 10, 600 << 10} {
		in.WriteString(mb("SET", "k", strings.Repeat("v", n)))
	}
	in.WriteString(strings.Repeat("w", 60<<10) + "\r\n")
	in.WriteString("*1\r\n$1048560\r\n" + strings.Repeat("v", 1048560) + "\r\n") // exactly the limit
	for range 100 {
		in.WriteString(mb("GET", "k"))
	}
	want := 5 + 1 + 1 + 100
	for _, sizes := range [][]int{nil, {1 << 20}, {4096, 65536, 7, 300000}, {16 << 10}} {
		rd := resp.NewRequestReader(&chunkReader{data: []byte(in.String()), sizes: sizes})
		rd.MaxBulkLen, rd.MaxQueryBuffer = 4<<20, limit
		got := 0
		for {
			args, err := rd.Next(false)
			if err != nil {
				t.Fatal(err)
			}
			if args == nil {
				if c := capacity(rd); c > limit {
					t.Fatalf("chunks %v: buffer of %d bytes, past the %d limit", sizes, c, limit)
				}
				if err := rd.Fill(); err == io.EOF {
					break
				} else if err != nil {
					t.Fatalf("chunks %v, after %d commands: %v", sizes, got, err)
				}
				if c := capacity(rd); c > limit {
					t.Fatalf("chunks %v: buffer of %d bytes, past the %d limit", sizes, c, limit)
				}
				continue
			}
			got++
		}
		if got != want {
			t.Fatalf("chunks %v: %d commands, want %d", sizes, got, want)
		}
	}
}

// TestRequestReaderGrowsWithReceivedData checks that a "$" header alone does
// not make the reader allocate what it announces: the buffer follows the
// bytes that actually arrive, so that a few bytes from a client cannot pin
// proto-max-bulk-len (512 MiB by default) of memory.
func TestRequestReaderGrowsWithReceivedData(t *testing.T) {
	const announced = 64 << 20
	header := fmt.Sprintf("*1\r\n$%d\r\n", announced)
	f := &feed{data: []byte(header + "abc")}
	rd := resp.NewRequestReader(f)
	received := 0
	for received < 4<<20 {
		if err := rd.Fill(); err != nil {
			t.Fatal(err)
		}
		received = int(rd.InputBytes)
		if args, err := rd.Next(false); args != nil || err != nil {
			t.Fatalf("Next(false) = %d args, %v", len(args), err)
		}
		// Doubling as data arrives is fine; the announced size is not.
		if c := capacity(rd); c > 2*received+(64<<10) {
			t.Fatalf("after receiving %d bytes of a %d-byte element the buffer is %d bytes", received, announced, c)
		}
		f.data = bytes.Repeat([]byte{'v'}, 256<<10)
	}
}

// fuzzSeeds are real requests: what redis-cli, redis-benchmark and client
// libraries send, pipelined and split, and a few malformed ones.
func fuzzSeeds() []string {
	return []string{
		mb("PING"),
		mb("SET", "key:000000000001", "xxx"),
		mb("GET", "key:000000000001"),
		mb("HELLO", "3", "AUTH", "default", "secret", "SETNAME", "app"),
		mb("CLIENT", "SETINFO", "LIB-NAME", "go-redis(,go1.26)"),
		mb("MSET", "a", "1", "b", "2", "c", "3") + mb("MGET", "a", "b", "c") + mb("DEL", "a", "b", "c"),
		mb("SET", "bin", "\x00\x01\xff\r\n$5\r\n*2\r\n") + mb("GET", "bin"),
		mb("LPUSH", "mylist", strings.Repeat("x", 3000)),
		mb("EVAL", "return redis.call('get', KEYS[1])", "1", "k"),
		"PING\r\n",
		"SET k \"hello world\\x21\\n\" EX 10\r\nGET k\n",
		"  ECHO 'it''s' \r\n",
		"*0\r\n*-1\r\n\r\n" + mb("PING"),
		"MULTI\r\n" + mb("INCR", "n") + "EXEC\r\n",
		"*1\r\n$4\r\nPINGxx*1\r\n$4\r\nPING\r\n",
		"*x\r\n",
		"*1\r\n$-1\r\n",
		"*1\r\nfoo\r\n",
		"SET k \"unterminated\r\n",
		"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$70000\r\n",
		"*11\r\n",
		"*2\r\n$4\r\nAUTH\r\n$16385\r\n",
		"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
	}
}

// FuzzRequestReader feeds the same input whole and in random chunks: the
// commands and the final error must be the same, and every multibulk
// argument must be exactly the bytes the request carried at that place.
func FuzzRequestReader(f *testing.F) {
	for i, s := range fuzzSeeds() {
		f.Add([]byte(s), uint64(i), i%5 == 4)
	}
	f.Fuzz(func(t *testing.T, data []byte, seed uint64, unauth bool) {
		// Longer inputs could hold a line past the 64 KiB inline limit,
		// whose outcome depends on read sizes (in Redis as well).
		if len(data) > 32<<10 {
			return
		}
		l := limits{maxBulk: 64 << 10, maxQuery: 80 << 10, unauth: unauth}
		whole, wholeErr := check(t, data, bytes.NewReader(data), l, false)
		rng := rand.New(rand.NewPCG(seed, seed>>7))
		sizes := make([]int, 1+rng.IntN(16))
		for i := range sizes {
			switch rng.IntN(4) {
			case 0:
				sizes[i] = 1
			case 1:
				sizes[i] = 1 + rng.IntN(16)
			default:
				sizes[i] = 1 + rng.IntN(2048)
			}
		}
		for _, poll := range []bool{false, true} {
			got, err := check(t, data, &chunkReader{data: data, sizes: sizes}, l, poll)
			if errText(err) != errText(wholeErr) || !slices.EqualFunc(got, whole, slices.Equal) {
				t.Fatalf("chunks %v (poll %v): %q, %v\nwhole: %q, %v", sizes, poll, got, err, whole, wholeErr)
			}
		}
	})
}

// check reads every command of data from src and verifies each against the
// input (see checkArgs). It returns the commands and the error that ended
// them, which must be one the reader documents.
func check(t *testing.T, data []byte, src io.Reader, l limits, poll bool) ([][]string, error) {
	rd := resp.NewRequestReader(src)
	l.apply(rd)
	var cmds [][]string
	from := 0
	for {
		args, err := rd.Next(!poll)
		if poll && args == nil && err == nil {
			args, err = rd.Next(true)
		}
		if err != nil {
			var pe *resp.ProtocolError
			if !errors.As(err, &pe) && err != io.EOF && err != io.ErrUnexpectedEOF && err != resp.ErrQueryBufferLimit {
				t.Fatalf("unexpected error %T %v", err, err)
			}
			return cmds, err
		}
		end := int(rd.InputBytes) - len(rd.Buffered())
		checkArgs(t, data, from, end, args)
		from = end
		cmd := make([]string, len(args))
		for i, a := range args {
			cmd[i] = string(a)
		}
		cmds = append(cmds, cmd)
	}
}

// checkArgs verifies that args are the command that data[from:end] holds:
// after what the reader skips ("*0", "*-1", blank lines), either a multibulk
// request whose arguments are data's bytes at their places, or an inline
// line that splits into args.
func checkArgs(t *testing.T, data []byte, from, end int, args [][]byte) {
	t.Helper()
	if len(args) == 0 {
		t.Fatal("Next returned no arguments and no error")
	}
	if from < 0 || end > len(data) || from >= end {
		t.Fatalf("command at [%d:%d] of %d bytes", from, end, len(data))
	}
	for i, a := range args {
		if cap(a) != len(a) {
			t.Fatalf("argument %d: cap %d > len %d", i, cap(a), len(a))
		}
	}
	seg := data[:end]
	lineEnd := func(p int, c byte) int { // index of c at or after p, or fail
		i := bytes.IndexByte(seg[p:], c)
		if i < 0 {
			t.Fatalf("command at [%d:%d]: no %q after %d in %q", from, end, c, p, seg[from:])
		}
		return p + i
	}
	p := from
	for {
		if p >= end {
			t.Fatalf("only skippable input in [%d:%d]: %q", from, end, seg[from:])
		}
		if seg[p] != '*' {
			nl := lineEnd(p, '\n')
			line := seg[p:nl]
			if len(line) > 0 && line[len(line)-1] == '\r' {
				line = line[:len(line)-1]
			}
			words, err := splitargs.Split(line)
			if err != nil {
				t.Fatalf("inline line %q does not split: %v", line, err)
			}
			if len(words) == 0 {
				p = nl + 1
				continue
			}
			if nl+1 != end || !slices.EqualFunc(words, args, bytes.Equal) {
				t.Fatalf("inline %q at [%d:%d] gave %q, consumed to %d", line, p, nl+1, args, end)
			}
			return
		}
		cr := lineEnd(p, '\r')
		n, ok := redisnum.ParseInt(seg[p+1 : cr])
		if !ok {
			t.Fatalf("multibulk count %q accepted", seg[p:cr])
		}
		p = cr + 2
		if n <= 0 {
			continue
		}
		if int(n) != len(args) {
			t.Fatalf("*%d gave %d arguments", n, len(args))
		}
		for i, a := range args {
			if p >= end || seg[p] != '$' {
				t.Fatalf("argument %d: no '$' at %d", i, p)
			}
			cr := lineEnd(p, '\r')
			size, ok := redisnum.ParseInt(seg[p+1 : cr])
			if !ok || size < 0 {
				t.Fatalf("bulk length %q accepted", seg[p:cr])
			}
			p = cr + 2
			if p+int(size) > end || !bytes.Equal(a, seg[p:p+int(size)]) {
				t.Fatalf("argument %d = %q, the request has %q at %d", i, a, seg[p:min(p+int(size), end)], p)
			}
			p += int(size) + 2
		}
		if p != end {
			t.Fatalf("command consumed to %d, the request ends at %d", end, p)
		}
		return
	}
}
