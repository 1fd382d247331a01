package netmode

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/shinglekv/shingle/command"
	"github.com/shinglekv/shingle/config"
	"github.com/shinglekv/shingle/internal/testutil"
)

var update = flag.Bool("update", false, "regenerate docs/directives.md (TestDirectivesPage) and testdata/redis-7.0-directives.txt (TestRedisDirectiveList)")

const (
	directiveListFile = "testdata/redis-7.0-directives.txt"
	redisConfFile     = "testdata/redis-7.0.conf" // Debian's stock redis.conf of redis-server 7.0.15, verbatim
	directivesPage    = "../docs/directives.md"
)

// listedDirective is a line of testdata/redis-7.0-directives.txt.
type listedDirective struct {
	name, def string
	configSet string // set, immutable, protected, or file
}

// outsideTable are the directives Redis 7.0's config.c reads outside its
// table of parameters (loadServerConfigFromString), which CONFIG GET does
// not list.
var outsideTable = []string{"include", "rename-command", "user", "loadmodule", "sentinel",
	"list-max-ziplist-entries", "list-max-ziplist-value", "lua-replicate-commands"}

const directiveListHeader = `# The directives of Redis 7.0, as redis-server 7.0.15 knows them: the names
# CONFIG GET * returns (aliases included), then those its config.c reads
# outside its table of parameters. Tab-separated: name; default, as CONFIG
# GET shows it on a server started without options (port, unixsocket and dir
# are written as their compiled-in defaults: 6379, "" and "" for the working
# directory); what CONFIG SET of it answers: set, immutable, protected, or
# file for a config-file directive that is not a parameter.
# Regenerate from the installed redis-server:
#   go test ./netmode -run TestRedisDirectiveList -update
`

func readDirectiveList(t testing.TB) []listedDirective {
	t.Helper()
	data, err := os.ReadFile(directiveListFile)
	if err != nil {
		t.Fatal(err)
	}
	var out []listedDirective
	for _, line := range strings.Split(string(data), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 3 {
			t.Fatalf("%s: bad line %q", directiveListFile, line)
		}
		out = append(out, listedDirective{f[0], f[1], f[2]})
	}
	return out
}

// redisIs70 skips the test unless the installed redis-server is 7.0.x,
// whose directives the list holds.
func redisIs70(t *testing.T) {
	t.Helper()
	bin := testutil.RequireTool(t, "redis-server")
	out, err := exec.Command(bin, "--version").Output()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "v=7.0.") {
		testutil.Unavailable(t, "the directive list is Redis 7.0's; the installed redis-server is %s", strings.TrimSpace(string(out)))
	}
}

// TestRedisDirectiveList regenerates the directive list from the
// installed redis-server 7.0 and compares it with the checked-in one.
func TestRedisDirectiveList(t *testing.T) {
	redisIs70(t)
	c := testutil.StartRedisDefaults(t).Dial(t)
	r, err := c.Do("CONFIG", "GET", "*")
	if err != nil || r.IsError() {
		t.Fatalf("CONFIG GET *: %v %v", r, err)
	}
	defaults := map[string]string{}
	for i := 0; i+1 < len(r.Elems); i += 2 {
		defaults[string(r.Elems[i].Str)] = string(r.Elems[i+1].Str)
	}
	defaults["port"], defaults["unixsocket"], defaults["dir"] = "6379", "", ""
	names := make([]string, 0, len(defaults))
	for n := range defaults {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString(directiveListHeader)
	for _, n := range names {
		// Setting the value a parameter has shows whether it can be set.
		cur, _ := c.Do("CONFIG", "GET", n)
		rep, err := c.Do("CONFIG", "SET", n, string(cur.Elems[1].Str))
		if err != nil {
			t.Fatal(err)
		}
		set := "set"
		switch msg := string(rep.Str); {
		case strings.HasSuffix(msg, "can't set immutable config"):
			set = "immutable"
		case strings.HasSuffix(msg, "can't set protected config"):
			set = "protected"
		case rep.IsError():
			t.Fatalf("CONFIG SET %s to its own value: %s", n, msg)
		}
		fmt.Fprintf(&b, "%s\t%s\t%s\n", n, defaults[n], set)
	}
	for _, n := range outsideTable {
		fmt.Fprintf(&b, "%s\t\tfile\n", n)
	}
	if *update {
		if err := os.WriteFile(directiveListFile, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	data, _ := os.ReadFile(directiveListFile)
	if string(data) != b.String() {
		t.Fatalf("%s is stale for the installed redis-server; regenerate it with go test ./netmode -run TestRedisDirectiveList -update", directiveListFile)
	}
}

// proseInRedisConf are the words at the start of commented lines of
// redis.conf that look like directives (hyphenated) but are prose: the
// maxmemory-policy legend and a sentence.
var proseInRedisConf = []string{"volatile-lru", "allkeys-lru", "volatile-lfu", "allkeys-lfu",
	"volatile-random", "allkeys-random", "volatile-ttl", "client-only"}

// TestDirectiveListCoversRedisConf checks that every directive Redis 7.0's
// redis.conf names, on an active line or in a commented example, is in the
// list: the first word of every active line, and every hyphenated first
// word of a commented line except known prose (other commented first words
// are directives when the list has them, prose otherwise).
func TestDirectiveListCoversRedisConf(t *testing.T) {
	listed := map[string]bool{}
	for _, d := range readDirectiveList(t) {
		listed[d.name] = true
	}
	f, err := os.Open(redisConfFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	commented := regexp.MustCompile(`^# ?([a-z][a-z0-9_]*(-[a-z0-9_]+)*)( |$)`)
	seen := map[string]bool{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		var name string
		switch {
		case len(strings.Fields(line)) > 0 && !strings.HasPrefix(strings.TrimSpace(line), "#"):
			name = strings.ToLower(strings.Fields(line)[0])
			if !listed[name] {
				t.Errorf("%s:%d: active directive %q is not in %s", redisConfFile, n, name, directiveListFile)
			}
		case commented.MatchString(line):
			name = commented.FindStringSubmatch(line)[1]
			if strings.ContainsAny(name, "-_") && !listed[name] && !slices.Contains(proseInRedisConf, name) {
				t.Errorf("%s:%d: commented directive %q is not in %s", redisConfFile, n, name, directiveListFile)
			}
		}
		if listed[name] {
			seen[name] = true
		}
	}
	if len(seen) < 150 {
		t.Errorf("only %d directives found in %s", len(seen), redisConfFile)
	}
}

// shingleImmutable are the directives Redis sets at run time and Shingle
// only at startup, each saying so in its reason.
var shingleImmutable = []string{"hz", "appendfsync", "repl-backlog-size", "repl-ping-replica-period", "repl-ping-slave-period"}

// TestDirectiveTableMatchesList checks that every name in the list has
// exactly one entry in the table (by name or alias), with Redis's default
// and Redis's CONFIG SET behaviour, and that the table has nothing of
// Redis's that the list lacks.
func TestDirectiveTableMatchesList(t *testing.T) {
	list := readDirectiveList(t)
	listed := map[string]listedDirective{}
	for _, l := range list {
		listed[l.name] = l
		n := 0
		for i := range directives {
			if slices.Contains(directives[i].names(), l.name) {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%s is in the table %d times", l.name, n)
		}
	}
	for i := range directives {
		d := &directives[i]
		if d.status == 0 {
			t.Errorf("%s has no status", d.name)
		}
		for _, n := range d.names() {
			l, ok := listed[n]
			switch {
			case d.own && ok:
				t.Errorf("%s is marked as Shingle's own but Redis 7.0 has it", n)
			case d.own:
				continue
			case !ok:
				t.Errorf("%s is in the table but not in Redis 7.0's list", n)
				continue
			}
			if l.configSet != "file" && l.def != d.redisDefault {
				t.Errorf("%s: Redis's default is %q, the table says %q", n, l.def, d.redisDefault)
			}
			if d.status == refused {
				continue
			}
			want := l.configSet
			if slices.Contains(shingleImmutable, n) {
				if want != "set" || !d.immutable || !strings.Contains(d.reason, "immutable config") {
					t.Errorf("%s: expected Redis settable, Shingle immutable, and a reason that says so", n)
				}
				continue
			}
			got := "set"
			switch {
			case d.fileOnly:
				got = "file"
			case d.immutable:
				got = "immutable"
			case d.protected:
				got = "protected"
			}
			if got != want {
				t.Errorf("%s: CONFIG SET answers %s in Redis, %s in Shingle", n, want, got)
			}
		}
		if d.reason == "" && d.status != implemented {
			t.Errorf("%s (%s) has no reason", d.name, d.status)
		}
	}
}

// defaultArgs are the arguments of a config line setting d to Redis's
// default value.
func defaultArgs(d *directive) []string {
	if d.name == "replicaof" {
		return []string{"no", "one"} // Redis's "", which a line cannot give
	}
	if d.multiArg && d.redisDefault != "" {
		return strings.Fields(d.redisDefault)
	}
	return []string{d.redisDefault}
}

// TestDirectiveStatuses walks the table and checks each directive's
// status through Config.Set and, on a running server, CONFIG GET and SET:
// an implemented directive takes Redis's default and shows it; a fixed one
// takes exactly its values and refuses Redis's others saying what Shingle
// does; a refused one is unknown, in Redis's words.
func TestDirectiveStatuses(t *testing.T) {
	ts := startServer(t, nil)
	c := ts.raw(t)
	configurable := map[string]bool{}
	for i := range directives {
		d := &directives[i]
		if d.configurable() {
			for _, n := range d.names() {
				configurable[n] = true
			}
		}
	}
	r := mustDoReply(t, c, "CONFIG", "GET", "*")
	got := map[string]bool{}
	for i := 0; i < len(r.Elems); i += 2 {
		got[string(r.Elems[i].Str)] = true
	}
	for n := range configurable {
		if !got[n] {
			t.Errorf("CONFIG GET * does not show %s", n)
		}
	}
	for n := range got {
		if !configurable[n] {
			t.Errorf("CONFIG GET * shows %s, which is not configurable", n)
		}
	}

	for i := range directives {
		d := &directives[i]
		for _, name := range d.names() {
			cfg := DefaultConfig()
			switch d.status {
			case implemented, unobserved:
				if d.fileOnly {
					continue
				}
				if d.own { // Shingle's default round-trips
					if err := cfg.Set(name, d.value(cfg)); err != nil || d.value(cfg) != d.value(DefaultConfig()) {
						t.Errorf("%s: Set to its default %q: %v", name, d.value(DefaultConfig()), err)
					}
					continue
				}
				if err := cfg.Set(name, defaultArgs(d)...); err != nil {
					t.Errorf("%s: Set to Redis's default %q: %v", name, d.redisDefault, err)
				} else if v := d.value(cfg); v != d.redisDefault {
					t.Errorf("%s: after Set to Redis's default %q, CONFIG GET shows %q", name, d.redisDefault, v)
				}
			case fixedValue:
				for _, v := range d.accepted {
					if err := cfg.Set(name, v); err != nil && !d.multiArg {
						t.Errorf("%s: Set(%q): %v", name, v, err)
					}
				}
				if v := DefaultConfig().value(d); !d.allows(v) {
					t.Errorf("%s: Shingle's default %q is not accepted", name, v)
				}
				for _, v := range append([]string{d.redisDefault}, d.typical...) {
					args := []string{v}
					if d.multiArg && v != "" {
						args = strings.Fields(v)
					}
					p, err := d.parse(args)
					if err != nil {
						t.Errorf("%s: Redis's value %q does not parse: %v", name, v, err)
						continue
					}
					if d.allows(p) {
						continue
					}
					var de *DirectiveError
					if err := cfg.Set(name, args...); !errors.As(err, &de) || de.Unknown || de.Reason != d.refusal(name).Error() {
						t.Errorf("%s: Set(%q) = %v, want the refusal %q", name, v, err, d.refusal(name))
					}
					want := "ERR CONFIG SET failed (possibly related to argument '" + name + "') - " + d.refusal(name).Error()
					if d.immutable {
						want = "ERR CONFIG SET failed (possibly related to argument '" + name + "') - can't set immutable config"
					}
					if rep := mustDoReply(t, c, "CONFIG", "SET", name, v); !rep.IsError() || string(rep.Str) != want {
						t.Errorf("CONFIG SET %s %q = %v, want %q", name, v, rep, want)
					}
				}
				if !strings.Contains(d.refusal(name).Error(), name) {
					t.Errorf("%s: the refusal does not name the directive: %v", name, d.refusal(name))
				}
			case refused:
				var de *DirectiveError
				if err := cfg.Set(name, "x"); !errors.As(err, &de) || !de.Unknown || de.Reason != config.RedisBadDirective {
					t.Errorf("%s: Set = %v, want the bad-directive error", name, err)
				}
				want := "ERR Unknown option or number of arguments for CONFIG SET - '" + name + "'"
				if rep := mustDoReply(t, c, "CONFIG", "SET", name, "x"); !rep.IsError() || string(rep.Str) != want {
					t.Errorf("CONFIG SET %s = %v, want %q", name, rep, want)
				}
				if rep := mustDoReply(t, c, "CONFIG", "GET", name); len(rep.Elems) != 0 {
					t.Errorf("CONFIG GET %s = %v, want nothing", name, rep)
				}
			}
		}
	}
}

// value is d's value in c (a helper that reads the other way round).
func (c *Config) value(d *directive) string { return d.value(c) }

func mustDoReply(t testing.TB, c *testutil.Client, args ...string) command.Reply {
	t.Helper()
	r, err := c.Do(args...)
	if err != nil {
		t.Fatalf("%q: %v", args, err)
	}
	return r
}

// debianStoppers are the directives of Debian's stock redis.conf for
// redis-server 7.0.15 that stop Shingle, with the edit that makes each
// line acceptable ("" deletes the line). README lists them.
var debianStoppers = map[string]string{
	"daemonize":                 "daemonize no",
	"databases":                 "databases 1",
	"set-proc-title":            "set-proc-title no",
	"rdbcompression":            "rdbcompression no",
	"acllog-max-len":            "acllog-max-len 0",
	"disable-thp":               "disable-thp no",
	"appendfilename":            "",
	"appenddirname":             "",
	"hash-max-listpack-entries": "hash-max-listpack-entries 0",
	"set-max-intset-entries":    "set-max-intset-entries 0",
	"zset-max-listpack-entries": "zset-max-listpack-entries 0",
}

// TestDebianRedisConf loads Debian's stock redis.conf: it is refused, one
// block per line that stops it, exactly debianStoppers; with their edits it
// loads.
func TestDebianRedisConf(t *testing.T) {
	ds, err := config.ParseFile(redisConfFile)
	if err != nil {
		t.Fatal(err)
	}
	err = DefaultConfig().Apply(ds)
	var ae *ApplyError
	if !errors.As(err, &ae) {
		t.Fatalf("Apply = %v, want an *ApplyError", err)
	}
	var stopped []string
	for _, e := range ae.Errors {
		stopped = append(stopped, e.Directive.Name)
	}
	var want []string
	for n := range debianStoppers {
		want = append(want, n)
	}
	sort.Strings(stopped)
	sort.Strings(want)
	if !slices.Equal(stopped, want) {
		t.Errorf("the directives that stop Debian's redis.conf: %q, want %q", stopped, want)
	}
	text, ok := FatalConfigText(err)
	if !ok || strings.Count(text, "*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***") != len(want) {
		t.Errorf("FatalConfigText: %v\n%s", ok, text)
	}
	// With the edits, the file loads.
	data, err := os.ReadFile(redisConfFile)
	if err != nil {
		t.Fatal(err)
	}
	var edited []string
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) > 0 && !strings.HasPrefix(line, "#") {
			if fix, ok := debianStoppers[f[0]]; ok {
				line = fix
			}
		}
		edited = append(edited, line)
	}
	ds, err = config.Parse(strings.NewReader(strings.Join(edited, "\n")), "edited.conf")
	if err != nil {
		t.Fatal(err)
	}
	if err := DefaultConfig().Apply(ds); err != nil {
		t.Errorf("Debian's redis.conf with the edits: %v", err)
	}
}

func TestFatalConfigText(t *testing.T) {
	cl, err := config.ParseCommandLine([]string{"--port", "99999", "--nosuch", "1", "--maxmemory", "1gb"})
	if err != nil {
		t.Fatal(err)
	}
	ds, err := cl.Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	text, ok := FatalConfigText(DefaultConfig().Apply(ds))
	want := `
*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***
Reading the configuration file, at line 2
>>> 'port "99999"'
argument must be between 0 and 65535 inclusive

*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***
Reading the configuration file, at line 3
>>> 'nosuch "1"'
Bad directive or wrong number of arguments

*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***
Reading the configuration file, at line 4
>>> 'maxmemory "1gb"'
Shingle keeps its data on disk, in Pebble, and never evicts keys or refuses writes for memory; Shingle accepts only maxmemory "0"
`
	if !ok || text != want {
		t.Errorf("FatalConfigText = %v\n%s\nwant\n%s", ok, text, want)
	}
	// Set's errors have no line; errors from elsewhere are not Redis's.
	if text, ok := FatalConfigText(DefaultConfig().Set("databases", "16")); !ok || !strings.HasPrefix(text, "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nShingle has one database") {
		t.Errorf("FatalConfigText of a Set error = %v %q", ok, text)
	}
	if _, ok := FatalConfigText(errors.New("other")); ok {
		t.Error("FatalConfigText took an unrelated error")
	}
}

// TestDirectivesPage checks that docs/directives.md is what the table
// generates; -update rewrites it.
func TestDirectivesPage(t *testing.T) {
	page := directivesMarkdown()
	if *update {
		if err := os.WriteFile(directivesPage, []byte(page), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	data, err := os.ReadFile(directivesPage)
	if err != nil || string(data) != page {
		t.Fatalf("%s is stale: regenerate it with go test ./netmode -run TestDirectivesPage -update", directivesPage)
	}
}

func mdCode(s string) string {
	if s == "" {
		return `""`
	}
	return "`" + strings.ReplaceAll(s, "|", `\|`) + "`"
}

func mdText(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

// redisNames counts the names of Redis's directives in the table.
func redisNames() int {
	n := 0
	for i := range directives {
		if !directives[i].own {
			n += len(directives[i].names())
		}
	}
	return n
}

// directivesMarkdown renders the table as docs/directives.md.
func directivesMarkdown() string {
	var b strings.Builder
	b.WriteString(`# Configuration directives

<!-- Generated from netmode/directives.go by TestDirectivesPage: do not edit.
     Regenerate with: go test ./netmode -run TestDirectivesPage -update -->

Every directive of Redis 7.0 (the ` + fmt.Sprint(redisNames()) + ` names of ` + "`netmode/testdata/redis-7.0-directives.txt`" + `,
taken from redis-server 7.0.15, aliases included) has exactly one status in
Shingle:

- **implemented**: Shingle does what it says; the last column says where it
  differs from Redis.
- **implemented, no observable effect**: the value is checked as Redis checks
  it (so a typo is an error), kept and shown by CONFIG GET, and no reply of
  a command Shingle implements depends on it.
- **fixed value**: accepted only at the values listed, those at which a Redis
  7.0 server behaves as Shingle does; any other value is refused, at startup
  and by CONFIG SET, saying what Shingle does instead.
- **refused**: unknown to Shingle, as an unknown name is to Redis: "Bad
  directive or wrong number of arguments" at startup, "ERR Unknown option or
  number of arguments for CONFIG SET" at run time, nothing from CONFIG GET.

The rule for choosing: a value is accepted only if a Redis 7.0 server
configured with it would behave, in everything Shingle implements, the way
Shingle does (same replies, same files written or not, same connections
accepted or refused, same process behaviour).

At startup, Shingle prints redis-server's block for every line it refuses
(Redis stops at the first), then exits with status 1.

| Directive | Status | Shingle accepts | Redis 7.0 default | Why |
|---|---|---|---|---|
`)
	rows := func(own bool) {
		ds := make([]*directive, 0, len(directives))
		for i := range directives {
			if directives[i].own == own {
				ds = append(ds, &directives[i])
			}
		}
		sort.Slice(ds, func(i, j int) bool { return ds[i].name < ds[j].name })
		for _, d := range ds {
			name := mdCode(d.name)
			if len(d.aliases) > 0 {
				q := make([]string, len(d.aliases))
				for i, a := range d.aliases {
					q[i] = mdCode(a)
				}
				name += " (alias " + strings.Join(q, ", ") + ")"
			}
			var accepts string
			switch {
			case d.status == fixedValue && d.acceptedDoc != "":
				accepts = mdText(d.acceptedDoc)
			case d.status == fixedValue:
				q := make([]string, len(d.accepted))
				for i, v := range d.accepted {
					q[i] = mdCode(v)
				}
				accepts = strings.Join(q, " or ")
			case d.status == refused:
				accepts = "nothing"
			case d.fileOnly:
				accepts = "in a config file"
			default:
				accepts = "any valid value"
			}
			if d.immutable && d.status != refused {
				accepts += " (at startup only)"
			}
			def := mdCode(d.redisDefault)
			if d.fileOnly || d.status == refused && d.redisDefault == "" || own {
				def = ""
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", name, d.status, accepts, def, mdText(d.reason))
		}
	}
	rows(false)
	b.WriteString(`
## Shingle's own directives

| Directive | Status | Shingle accepts | Redis 7.0 default | Why |
|---|---|---|---|---|
`)
	rows(true)
	return b.String()
}

// FuzzConfigSet feeds Set any directive and arguments: it never panics,
// every error is a *DirectiveError, and a fixed directive never ends up at
// a value it does not take.
func FuzzConfigSet(f *testing.F) {
	for _, s := range []string{"maxmemory\x001gb", "save\x00", "save\x003600\x001", "notify-keyspace-events\x00KEA",
		"proc-title-template\x00{title", "client-output-buffer-limit\x00normal\x000\x000\x000", "oom-score-adj-values\x001 2 3",
		"latency-tracking-info-percentiles\x0050\x0099.9", "shutdown-on-sigterm\x00nosave\x00now", "unixsocketperm\x00777",
		"hash-max-listpack-value\x0018446744073709551616", "maxmemory-clients\x0010%", "replicaof\x00no\x00one", "user\x00alice\x00on"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		parts := strings.Split(s, "\x00")
		cfg := DefaultConfig()
		err := cfg.Set(parts[0], parts[1:]...)
		var de *DirectiveError
		if err != nil && !errors.As(err, &de) {
			t.Fatalf("Set(%q) = %v, not a *DirectiveError", parts, err)
		}
		if d := lookupDirective(strings.ToLower(parts[0])); err == nil && d != nil && d.status == fixedValue && !d.allows(d.value(cfg)) {
			t.Fatalf("Set(%q) left %s at %q", parts, d.name, d.value(cfg))
		}
	})
}
