package command_test

import (
	"errors"
	"net"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unicode"

	"github.com/shinglekv/shingle/command"
	"github.com/shinglekv/shingle/internal/testutil"
	"github.com/shinglekv/shingle/netmode"
	"github.com/shinglekv/shingle/store"
)

// docsNode is a cluster-enabled Shingle server, whose table holds every
// command Shingle serves, and a client connected to it.
type docsNode struct {
	srv  *netmode.Server
	conn *testutil.Client
}

// newDocsServer builds, without starting it, a cluster-enabled server on
// 127.0.0.1: the full table is the store's commands, netmode's and the
// cluster's.
func newDocsServer(t *testing.T) *netmode.Server {
	t.Helper()
	db, err := store.Open("", &store.Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	cfg := netmode.DefaultConfig()
	cfg.Bind = []string{"127.0.0.1"}
	cfg.Port = testutil.FreePort(t)
	cfg.Dir = t.TempDir()
	cfg.Cluster.Enabled = true
	cfg.Cluster.Port = testutil.FreePort(t)
	cfg.Cluster.NodeTimeoutMs = 1000
	srv, err := netmode.New(db, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

// startDocsNode starts a cluster-enabled server and connects to it.
func startDocsNode(t *testing.T) *docsNode {
	t.Helper()
	var srv *netmode.Server
	// The ports were free when chosen; another process may have taken
	// one since: choose again while a bind says so.
	testutil.Eventually(t, 20*time.Second, "free ports for the node", func() bool {
		s := newDocsServer(t)
		if err := s.Start(); err != nil {
			s.Close()
			if errors.Is(err, syscall.EADDRINUSE) {
				return false
			}
			t.Fatal(err)
		}
		srv = s
		return true
	})
	port := srv.Config().Port
	return &docsNode{srv: srv, conn: testutil.MustDial(t, "tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))}
}

// TestDocsCoverTable checks that every command of a cluster node's table,
// the fullest Shingle builds, has a docs entry, and that every entry is a
// command of that table.
func TestDocsCoverTable(t *testing.T) {
	table := newDocsServer(t).Table()
	var undocumented, stale []string
	for _, cmd := range table.Commands() {
		if command.LookupDoc(cmd.Name) == nil {
			undocumented = append(undocumented, cmd.Name)
		}
	}
	docs := command.Docs()
	for _, d := range docs {
		if table.Lookup([]byte(d.Name)) == nil {
			stale = append(stale, d.Name)
		}
	}
	if len(undocumented) > 0 {
		t.Errorf("commands without a docs entry: %s", strings.Join(undocumented, " "))
	}
	if len(stale) > 0 {
		t.Errorf("docs entries of commands Shingle does not serve: %s", strings.Join(stale, " "))
	}
	if len(docs) != len(table.Commands()) {
		t.Errorf("%d docs entries for %d commands", len(docs), len(table.Commands()))
	}
	// Every entry is found under its name, in any case.
	for _, d := range docs {
		if command.LookupDoc(strings.ToUpper(d.Name)) != d {
			t.Errorf("LookupDoc(%q) does not find its entry", strings.ToUpper(d.Name))
		}
		for _, s := range d.Subcommands {
			if command.LookupDoc(s.Name) != s {
				t.Errorf("LookupDoc(%q) does not find its entry", s.Name)
			}
		}
	}
}

// docsNotInRedis70 are the subcommands Shingle serves that redis-server
// 7.0 does not have; their entries have no Since but for those Redis 7.2
// brought.
var docsNotInRedis70 = map[string]string{
	"client|setinfo":               "7.2.0",
	"cluster|myshardid":            "7.2.0",
	"cluster|migrateslots":         "", // Valkey 9's
	"cluster|getslotmigrations":    "", // Valkey 9's
	"cluster|cancelslotmigrations": "", // Valkey 9's
	"cluster|syncslots":            "", // Shingle's own, between nodes
}

var (
	versionRE  = regexp.MustCompile(`^[0-9]+\.[0-9]+\.[0-9]+$`)
	docsGroups = strings.Fields("bitmap cluster connection generic geo hash hyperloglog list pubsub scripting server set sorted-set stream string transactions")
)

// TestDocsWellFormed checks what the differential test cannot: the prose
// is there and is one sentence, and the entries are consistent.
func TestDocsWellFormed(t *testing.T) {
	var check func(d *command.Doc, parent *command.Doc)
	check = func(d *command.Doc, parent *command.Doc) {
		s := d.Summary
		switch {
		case s == "" || !unicode.IsUpper(rune(s[0])) || !strings.HasSuffix(s, "."):
			t.Errorf("%s: summary %q is not a sentence", d.Name, s)
		case strings.Contains(s[:len(s)-1], ". "):
			t.Errorf("%s: summary %q is more than one sentence", d.Name, s)
		}
		if d.Complexity == "" {
			t.Errorf("%s: no complexity", d.Name)
		}
		if want, ok := docsNotInRedis70[d.Name]; ok && d.Since != want {
			t.Errorf("%s: since %q, want %q", d.Name, d.Since, want)
		} else if !ok && !versionRE.MatchString(d.Since) {
			t.Errorf("%s: since %q is not a version", d.Name, d.Since)
		}
		if !slices.Contains(docsGroups, d.Group) {
			t.Errorf("%s: group %q is not Redis's", d.Name, d.Group)
		}
		if (d.DocFlags&command.DocDeprecated != 0) != (d.DeprecatedSince != "") || (d.DeprecatedSince == "") != (d.ReplacedBy == "") {
			t.Errorf("%s: deprecated flag, deprecated_since %q and replaced_by %q disagree", d.Name, d.DeprecatedSince, d.ReplacedBy)
		}
		if parent != nil {
			if !strings.HasPrefix(d.Name, parent.Name+"|") || d.Group != parent.Group {
				t.Errorf("%s (group %s): not a subcommand of %s (group %s)", d.Name, d.Group, parent.Name, parent.Group)
			}
			if len(d.Subcommands) > 0 {
				t.Errorf("%s: a subcommand with subcommands", d.Name)
			}
		}
		if !slices.IsSortedFunc(d.Subcommands, func(a, b *command.Doc) int { return strings.Compare(a.Name, b.Name) }) {
			t.Errorf("%s: subcommands not sorted by name", d.Name)
		}
		checkArgs(t, d.Name, d.Args)
		for _, sub := range d.Subcommands {
			check(sub, d)
		}
	}
	for _, d := range command.Docs() {
		check(d, nil)
	}
}

func checkArgs(t *testing.T, where string, args []command.Arg) {
	t.Helper()
	for _, a := range args {
		at := where + " " + a.Name
		switch a.Type {
		case command.ArgOneOf, command.ArgBlock:
			if len(a.Args) == 0 {
				t.Errorf("%s: a %s without arguments", at, a.Type)
			}
		case command.ArgString, command.ArgInteger, command.ArgDouble, command.ArgKey,
			command.ArgPattern, command.ArgUnixTime, command.ArgPureToken:
			if len(a.Args) > 0 {
				t.Errorf("%s: a %s with arguments", at, a.Type)
			}
		default:
			t.Errorf("%s: unknown type %q", at, a.Type)
		}
		switch {
		case a.Name == "":
			t.Errorf("%s: an argument without a name", where)
		case a.Flags&command.ArgMultipleToken != 0 && a.Flags&command.ArgMultiple == 0:
			t.Errorf("%s: multiple_token without multiple", at)
		case a.Since != "" && !versionRE.MatchString(a.Since):
			t.Errorf("%s: since %q is not a version", at, a.Since)
		}
		checkArgs(t, at, a.Args)
	}
}

// TestDocsReply checks the shape of an entry, field by field, against
// Redis 7.0's (the differential test compares every entry with
// redis-server's own).
func TestDocsReply(t *testing.T) {
	r := command.LookupDoc("getset").Reply()
	want := []string{"summary", "since", "group", "complexity", "doc_flags", "deprecated_since", "replaced_by", "arguments"}
	if r.Kind != command.KindMap || len(r.Elems) != 2*len(want) {
		t.Fatalf("GETSET's entry: %v", r)
	}
	for i, k := range want {
		if string(r.Elems[2*i].Str) != k {
			t.Errorf("field %d is %q, want %q", i, r.Elems[2*i].Str, k)
		}
	}
	if f := r.Elems[9]; f.Kind != command.KindSet || len(f.Elems) != 1 || f.Elems[0].Kind != command.KindStatus || string(f.Elems[0].Str) != "deprecated" {
		t.Errorf("doc_flags: %v (kind %d)", f, f.Kind)
	}
	set := command.LookupDoc("set").Reply()
	args := set.Elems[len(set.Elems)-1]
	if args.Kind != command.KindArray || len(args.Elems) != 5 {
		t.Fatalf("SET's arguments: %v", args)
	}
	// {name condition type oneof since 2.6.12 flags ~[+optional] arguments [...]}
	cond := args.Elems[2]
	keys := []string{"name", "type", "since", "flags", "arguments"}
	for i, k := range keys {
		if string(cond.Elems[2*i].Str) != k {
			t.Errorf("SET's condition: field %d is %q, want %q", i, cond.Elems[2*i].Str, k)
		}
	}
	if f := cond.Elems[7]; f.Kind != command.KindSet || f.String() != `["optional"]` || f.Elems[0].Kind != command.KindStatus {
		t.Errorf("SET's condition's flags: %v", f)
	}
	cfg := command.LookupDoc("config").Reply()
	subs := cfg.Elems[len(cfg.Elems)-1]
	if string(cfg.Elems[len(cfg.Elems)-2].Str) != "subcommands" || subs.Kind != command.KindMap || string(subs.Elems[0].Str) != "config|get" {
		t.Errorf("CONFIG's subcommands: %v", subs)
	}
}

// TestDocsSubcommandsServed checks that every subcommand that has an
// entry is served: a minimal call of it, built from its own argument
// tree, is not refused as an unknown subcommand. (That every subcommand
// served has an entry takes Redis's list of them: TestDocsDifferential.)
func TestDocsSubcommandsServed(t *testing.T) {
	node := startDocsNode(t)
	for _, d := range command.Docs() {
		if len(d.Subcommands) == 0 {
			continue
		}
		if !unknownSubcommand(t, node.conn, []string{d.Name, "no-such-subcommand"}) {
			t.Errorf("%s no-such-subcommand: not refused as an unknown subcommand; the probe is blind", d.Name)
		}
		for _, s := range d.Subcommands {
			call := docCall(s)
			if unknownSubcommand(t, node.conn, call) {
				t.Errorf("%s has a docs entry but %q is refused as an unknown subcommand", s.Name, call)
			}
		}
	}
}

// docCall is a minimal call of a documented command or subcommand,
// through the differential tests' invocation.
func docCall(d *command.Doc) []string {
	return append(strings.Split(d.Name, "|"), invocation(argDocs(d.Args), nil, "")...)
}

// argDocs turns an argument tree into the boundary test's argDoc form.
func argDocs(args []command.Arg) []*argDoc {
	out := make([]*argDoc, len(args))
	for i, a := range args {
		out[i] = &argDoc{name: a.Name, typ: string(a.Type), token: a.Token, optional: a.Flags&command.ArgOptional != 0, children: argDocs(a.Args)}
	}
	return out
}

// unknownSubcommand reports whether Shingle refuses a call as naming a
// subcommand it does not serve. ACL words it "unknown subcommand or wrong
// number of arguments" for either, which a minimal call, whose arguments
// are right, cannot meet for a subcommand ACL serves.
func unknownSubcommand(t *testing.T, c *testutil.Client, call []string) bool {
	t.Helper()
	r, err := c.Do(call...)
	if err != nil {
		t.Fatalf("%q: %v", call, err)
	}
	return r.Kind == command.KindError && strings.HasPrefix(string(r.Str), "ERR unknown subcommand")
}
