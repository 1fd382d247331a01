package command_test

import (
	"bufio"
	"fmt"
	"io"
	"maps"
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shinglekv/shingle/command"
	"github.com/shinglekv/shingle/internal/resp"
)

// TestDocsDifferential compares Shingle's COMMAND DOCS with a stock
// redis-server 7.0's, under RESP2 and RESP3, for every command Shingle
// serves: the facts of each entry (since, group, doc_flags,
// deprecated_since, replaced_by), the whole argument tree (name, type,
// token, since, deprecated_since, flags, nesting, in order) and the
// subcommands Shingle serves, each the same way, with the reply's field
// order and RESP types. Summary and complexity are Shingle's own prose,
// and history and key_spec_index are what Shingle leaves out: they are
// not compared. It also checks that the subcommands with an entry are
// exactly those Shingle serves among Redis's, and how COMMAND DOCS
// answers names that are subcommands or nothing at all.
func TestDocsDifferential(t *testing.T) {
	rs := startDiffRedis(t)
	requireRedis70(t, rs.Dial(t))
	redis := dialDocs(t, "unix", rs.Socket)
	node := startDocsNode(t)
	sh := dialDocs(t, "tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(node.srv.Config().Port)))

	for _, proto := range []string{"2", "3"} {
		for _, c := range []*docsClient{redis, sh} {
			if r, err := c.Do("HELLO", proto); err != nil || r.IsError() {
				t.Fatalf("HELLO %s: %v %v", proto, r, err)
			}
		}
		want := docsByName(t, redis, "COMMAND", "DOCS")
		got := docsByName(t, sh, "COMMAND", "DOCS")
		for _, cmd := range node.srv.Table().Commands() {
			w, ok := want[cmd.Name]
			if !ok {
				t.Errorf("RESP%s: %s: redis-server 7.0 has no such command", proto, cmd.Name)
				continue
			}
			g, ok := got[cmd.Name]
			if !ok {
				t.Errorf("RESP%s: %s: missing from Shingle's COMMAND DOCS", proto, cmd.Name)
				continue
			}
			d := command.LookupDoc(cmd.Name)
			if d == nil {
				t.Errorf("%s: no docs entry", cmd.Name)
				continue
			}
			// The subcommands compared: those Shingle serves that Redis
			// 7.0 has (the others are checked below).
			served := map[string]bool{}
			for _, s := range d.Subcommands {
				_, extra := docsNotInRedis70[s.Name]
				served[s.Name] = !extra
			}
			if diff := lineDiff(renderDoc(w, served), renderDoc(g, served)); diff != "" {
				t.Errorf("RESP%s: COMMAND DOCS %s differs from redis-server's (- redis, + shingle):\n%s", proto, cmd.Name, diff)
			}
		}
		if len(got) != len(node.srv.Table().Commands()) {
			t.Errorf("RESP%s: COMMAND DOCS gives %d entries for %d commands", proto, len(got), len(node.srv.Table().Commands()))
		}

		// Names given: a command, a subcommand in any case (answered
		// under its full name in lower case), a command twice; names
		// that are none are skipped.
		for _, args := range [][]string{
			{"COMMAND", "DOCS", "get"},
			{"COMMAND", "DOCS", "GET", "get", "nosuchcommand"},
			{"COMMAND", "DOCS", "config|get", "CONFIG|SET", "Client|Kill", "cluster|slots"},
			{"COMMAND", "DOCS", "get|x", "config|get|x", "config|", "|get", "config|nosuch", "nosuch|get"},
			{"COMMAND", "DOCS", "nosuchcommand"},
		} {
			w, err := redis.Do(args...)
			if err != nil {
				t.Fatal(err)
			}
			g, err := sh.Do(args...)
			if err != nil {
				t.Fatal(err)
			}
			if diff := lineDiff(renderDocs(w), renderDocs(g)); diff != "" {
				t.Errorf("RESP%s: %q differs from redis-server's (- redis, + shingle):\n%s", proto, args, diff)
			}
		}
	}

	// The subcommands with an entry are those Shingle serves: of Redis's,
	// those a minimal call finds, and those Redis 7.0 does not have,
	// listed in docsNotInRedis70.
	want := docsByName(t, redis, "COMMAND", "DOCS")
	extra := maps.Clone(docsNotInRedis70)
	for _, d := range command.Docs() {
		redisSubs := pairs(pairs(want[d.Name])["subcommands"])
		for name, sub := range redisSubs {
			call := append(strings.Split(name, "|"), invocation(parseArgs(pairs(sub)["arguments"]), nil, "")...)
			served := !unknownSubcommand(t, node.conn, call)
			if documented := command.LookupDoc(name) != nil; served != documented {
				t.Errorf("%s: served %v (%q), documented %v", name, served, call, documented)
			}
		}
		for _, s := range d.Subcommands {
			if _, ok := redisSubs[s.Name]; ok {
				if _, listed := docsNotInRedis70[s.Name]; listed {
					t.Errorf("%s: listed in docsNotInRedis70, but redis-server 7.0 has it", s.Name)
				}
				continue
			}
			if _, ok := extra[s.Name]; !ok {
				t.Errorf("%s: has a docs entry, but redis-server 7.0 has no such subcommand and docsNotInRedis70 does not list it", s.Name)
			}
			delete(extra, s.Name)
		}
	}
	for name := range extra {
		t.Errorf("%s: listed in docsNotInRedis70, but has no docs entry", name)
	}
}

// docsClient is a RESP client that gets the types of a large reply right.
// resp.ReadReply decides a map, a set or an array (and a bulk string from a
// verbatim one) by the type byte of its first line after reading what
// follows, and by then bufio may have moved that line, when the reply came
// in several reads: a whole COMMAND DOCS of Redis, %240 and 136 KB, came
// back as an array, and a "|" of a subcommand's name that took the type
// byte's place made it read on into the next reply. docsClient reads
// replies with readDocsReply, which keeps the type byte first.
type docsClient struct {
	conn net.Conn
	r    *bufio.Reader
}

func dialDocs(t *testing.T, network, addr string) *docsClient {
	t.Helper()
	conn, err := net.DialTimeout(network, addr, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &docsClient{conn: conn, r: bufio.NewReader(conn)}
}

// Do sends one command and reads its reply.
func (c *docsClient) Do(args ...string) (command.Reply, error) {
	if err := c.conn.SetDeadline(time.Now().Add(30 * time.Second)); err != nil {
		return command.Reply{}, err
	}
	b := make([][]byte, len(args))
	for i, a := range args {
		b[i] = []byte(a)
	}
	if _, err := c.conn.Write(resp.AppendCommand(nil, b...)); err != nil {
		return command.Reply{}, err
	}
	return readDocsReply(c.r)
}

// readDocsReply reads one RESP2 or RESP3 reply of the types COMMAND DOCS
// and HELLO use.
func readDocsReply(r *bufio.Reader) (command.Reply, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return command.Reply{}, err
	}
	if len(line) < 3 || !strings.HasSuffix(line, "\r\n") {
		return command.Reply{}, fmt.Errorf("bad line %q", line)
	}
	typ, body := line[0], line[1:len(line)-2]
	switch typ {
	case '+':
		return command.Status(body), nil
	case '-':
		return command.ErrorReply(body), nil
	case '_':
		return command.Null(), nil
	}
	n, err := strconv.Atoi(body)
	if err != nil {
		return command.Reply{}, fmt.Errorf("bad line %q", line)
	}
	switch typ {
	case ':':
		return command.Int(int64(n)), nil
	case '$':
		if n < 0 {
			return command.Null(), nil
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return command.Reply{}, err
		}
		return command.Bulk(buf[:n]), nil
	case '*', '%', '~':
		count := n
		if typ == '%' {
			count *= 2
		}
		elems := make([]command.Reply, 0, max(count, 0))
		for range count {
			e, err := readDocsReply(r)
			if err != nil {
				return command.Reply{}, err
			}
			elems = append(elems, e)
		}
		kind := map[byte]command.Kind{'*': command.KindArray, '%': command.KindMap, '~': command.KindSet}[typ]
		return command.Reply{Kind: kind, Elems: elems}, nil
	}
	return command.Reply{}, fmt.Errorf("unexpected reply type in %q", line)
}

// docsByName sends a COMMAND DOCS and returns its entries by name.
func docsByName(t *testing.T, c *docsClient, args ...string) map[string]command.Reply {
	t.Helper()
	r, err := c.Do(args...)
	if err != nil || r.IsError() {
		t.Fatalf("%q: %v %v", args, r, err)
	}
	return pairs(r)
}

// kindMark is how the rendering shows a reply's RESP type, so that a map
// given as an array (or a set as an array) under RESP3 is a difference.
func kindMark(r command.Reply) string {
	switch r.Kind {
	case command.KindMap:
		return "%"
	case command.KindSet:
		return "~"
	case command.KindArray:
		return "*"
	case command.KindStatus:
		return "+"
	case command.KindBulk:
		return "$"
	case command.KindInt:
		return ":"
	}
	return fmt.Sprintf("(kind %d)", r.Kind)
}

// scalar renders a string or integer reply with its type.
func scalar(r command.Reply) string {
	if r.Kind == command.KindInt {
		return ":" + strconv.FormatInt(r.Int, 10)
	}
	if r.Elems != nil || r.Kind == command.KindArray || r.Kind == command.KindSet || r.Kind == command.KindMap {
		var s []string
		for _, e := range r.Elems {
			s = append(s, scalar(e))
		}
		return kindMark(r) + "[" + strings.Join(s, " ") + "]"
	}
	return kindMark(r) + strconv.Quote(string(r.Str))
}

// renderDocs renders a COMMAND DOCS reply: its entries in order.
func renderDocs(r command.Reply) []string {
	if r.Kind == command.KindError {
		return []string{"error " + string(r.Str)}
	}
	out := []string{"reply " + kindMark(r)}
	for i := 0; i+1 < len(r.Elems); i += 2 {
		out = append(out, "entry "+scalar(r.Elems[i]))
		out = append(out, indent(renderDoc(r.Elems[i+1], nil))...)
	}
	return out
}

// renderDoc renders an entry, one line per field, without its summary,
// complexity and history; its subcommands are those in served (all when
// served is nil), sorted by name, since Redis's order is its hash
// table's.
func renderDoc(r command.Reply, served map[string]bool) []string {
	out := []string{"doc " + kindMark(r)}
	for i := 0; i+1 < len(r.Elems); i += 2 {
		k, v := string(r.Elems[i].Str), r.Elems[i+1]
		switch k {
		case "summary", "complexity", "history":
		case "arguments":
			out = append(out, "arguments "+kindMark(v))
			out = append(out, indent(renderArgs(v))...)
		case "subcommands":
			out = append(out, "subcommands "+kindMark(v))
			subs := pairs(v)
			names := slices.Sorted(maps.Keys(subs))
			for _, name := range names {
				if served == nil || served[name] {
					out = append(out, "  "+name)
					out = append(out, indent(indent(renderDoc(subs[name], nil)))...)
				}
			}
		default:
			out = append(out, k+" "+scalar(v))
		}
	}
	return out
}

// renderArgs renders an argument list without key_spec_index.
func renderArgs(r command.Reply) []string {
	var out []string
	for _, a := range r.Elems {
		out = append(out, "- "+kindMark(a))
		for i := 0; i+1 < len(a.Elems); i += 2 {
			k, v := string(a.Elems[i].Str), a.Elems[i+1]
			switch k {
			case "key_spec_index":
			case "arguments":
				out = append(out, "  arguments "+kindMark(v))
				out = append(out, indent(indent(renderArgs(v)))...)
			default:
				out = append(out, "  "+k+" "+scalar(v))
			}
		}
	}
	return out
}

func indent(lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = "  " + l
	}
	return out
}

// lineDiff returns the lines of a and b that differ, "-" for a's and "+"
// for b's, with two lines of context around each change; "" when they
// are equal.
func lineDiff(a, b []string) string {
	if slices.Equal(a, b) {
		return ""
	}
	// lcs[i][j] is the length of the longest common subsequence of a[i:]
	// and b[j:]; the entries are short, so the table is small.
	lcs := make([][]int, len(a)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	type line struct {
		mark byte
		text string
	}
	var lines []line
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case i < len(a) && j < len(b) && a[i] == b[j]:
			lines = append(lines, line{' ', a[i]})
			i, j = i+1, j+1
		case i < len(a) && (j == len(b) || lcs[i+1][j] >= lcs[i][j+1]):
			lines = append(lines, line{'-', a[i]})
			i++
		default:
			lines = append(lines, line{'+', b[j]})
			j++
		}
	}
	var sb strings.Builder
	last := -1
	for k, l := range lines {
		near := false
		for d := max(0, k-2); d <= min(len(lines)-1, k+2); d++ {
			near = near || lines[d].mark != ' '
		}
		if !near {
			continue
		}
		if last >= 0 && k > last+1 {
			sb.WriteString("    ...\n")
		}
		fmt.Fprintf(&sb, "  %c %s\n", l.mark, l.text)
		last = k
	}
	return sb.String()
}
