package acl_test

import (
	"fmt"
	"math/rand"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/shinglekv/shingle/acl"
	"github.com/shinglekv/shingle/command"
	"github.com/shinglekv/shingle/internal/testutil"
)

// sha256 of "p", "q" and "" in hex.
const (
	hashP     = "148de9c5a7a44d19e56cd9ae1a554bf67847afb0c58f6e12fa29ac7ddfca9940"
	hashQ     = "8e35c2cd3bf6641bdb0e2050b76932cbb2e6034a0ddacc1d9bea82a6ba57f7cf"
	hashEmpty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
)

const afterAllKeys = "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns"

// line returns the ACL LIST line of user name.
func line(t *testing.T, r *acl.Registry, name string) string {
	t.Helper()
	for _, l := range r.List() {
		if strings.HasPrefix(l, "user "+name+" ") {
			return l
		}
	}
	t.Fatalf("no ACL LIST line for %q in %q", name, r.List())
	return ""
}

// setUserCases are rule sets with the ACL LIST line redis-server 7.0.15
// printed for a new user "u" given them (checked by hand and, where
// differential is set, by TestDifferentialRedis).
var setUserCases = []struct {
	rules []string
	want  string
}{
	{nil, "user u off resetchannels -@all"},
	{[]string{""}, "user u off resetchannels -@all"},
	{[]string{"reset", "on", ">p", "~app:*", "+@read"}, "user u on sanitize-payload #" + hashP + " ~app:* resetchannels -@all +@read"},
	{[]string{"+@all", "-set"}, "user u off resetchannels +@all -set"},
	{[]string{"nocommands", "+get"}, "user u off resetchannels -@all +get"},
	{[]string{"+@read", "-@read"}, "user u off resetchannels -@all"},
	{[]string{"+@all", "+@read"}, "user u off resetchannels +@all"},
	{[]string{"+get", "+@all"}, "user u off resetchannels +@all"},
	{[]string{"+@all", "-set", "+set"}, "user u off resetchannels +@all"},
	{[]string{"+@READ", "+GET", "+@all", "-SET"}, "user u off resetchannels +@all -set"},
	{[]string{"allcommands", "-@write", "+set", "nocommands"}, "user u off resetchannels -@all"},
	{[]string{"-@all", "+@read", "-get"}, "user u off resetchannels -@all +@read -get"},
	{[]string{"-@all", "-get", "+@read"}, "user u off resetchannels -@all +@read"},
	{[]string{"-@all", "+@write", "+@read"}, "user u off resetchannels -@all +@write +@read"},
	{[]string{"-@all", "+@read", "+@read"}, "user u off resetchannels -@all +@read"},
	{[]string{"+@all", "-@read", "+get"}, "user u off resetchannels +@all -@read +get"},
	{[]string{"~a", "~a", "~b"}, "user u off ~a ~b resetchannels -@all"},
	{[]string{"~a", "~*"}, "user u off ~* resetchannels -@all"},
	{[]string{"allkeys", "~*"}, "user u off ~* resetchannels -@all"},
	{[]string{"allkeys", "allkeys"}, "user u off ~* resetchannels -@all"},
	{[]string{"allkeys", "resetkeys", "~x"}, "user u off ~x resetchannels -@all"},
	{[]string{"~"}, "user u off ~ resetchannels -@all"},
	{[]string{"nopass", ">p"}, "user u off #" + hashP + " resetchannels -@all"},
	{[]string{">p", "nopass"}, "user u off nopass resetchannels -@all"},
	{[]string{">p", ">p", ">q"}, "user u off #" + hashP + " #" + hashQ + " resetchannels -@all"},
	{[]string{">p", "<p"}, "user u off resetchannels -@all"},
	{[]string{"nopass", "resetpass"}, "user u off resetchannels -@all"},
	{[]string{">q", ">p", "<q"}, "user u off #" + hashP + " resetchannels -@all"},
	{[]string{">"}, "user u off #" + hashEmpty + " resetchannels -@all"},
	{[]string{"#" + hashP, "nopass"}, "user u off nopass resetchannels -@all"},
	{[]string{"#" + hashP, "!" + hashP}, "user u off resetchannels -@all"},
	{[]string{"nopass", "#" + hashQ}, "user u off #" + hashQ + " resetchannels -@all"},
	{[]string{"nopass", "on", "~*", "+@all", "reset"}, "user u off sanitize-payload resetchannels -@all"},
	{[]string{"sanitize-payload", "skip-sanitize-payload"}, "user u off skip-sanitize-payload resetchannels -@all"},
	{[]string{"skip-sanitize-payload", "sanitize-payload", "nopass", "on"}, "user u on nopass sanitize-payload resetchannels -@all"},
	{[]string{"allchannels"}, "user u off &* -@all"},
	{[]string{"&*", "resetchannels"}, "user u off resetchannels -@all"},
	{[]string{"clearselectors"}, "user u off resetchannels -@all"},
	{[]string{"On", "NOPASS", "ALLKEYS", "AllCommands"}, "user u on nopass ~* resetchannels +@all"},
	{[]string{"on", "nopass", "~*", "&*", "+@all"}, "user u on nopass ~* &* +@all"},
	{[]string{"~b", "~a", "skip-sanitize-payload", "allchannels", "#" + hashP, "-@all", "+get", "-@all"},
		"user u off skip-sanitize-payload #" + hashP + " ~b ~a &* -@all"},
}

func TestSetUserRules(t *testing.T) {
	for _, tc := range setUserCases {
		r := acl.NewRegistry()
		if err := r.SetUser("u", tc.rules...); err != nil {
			t.Errorf("SetUser(u, %q): %v", tc.rules, err)
			continue
		}
		if got := line(t, r, "u"); got != tc.want {
			t.Errorf("SetUser(u, %q):\n got %q\nwant %q", tc.rules, got, tc.want)
		}
	}
}

// Rule sets where Redis folds commands into categories with its command
// table: the rules are kept in order instead, granting the same.
func TestSetUserKeepsOrderWhereRedisFolds(t *testing.T) {
	for _, tc := range []struct {
		rules []string
		want  string // Redis 7.0.15 shows the comment's line
	}{
		{[]string{"-@all", "+get", "+@read"}, "-@all +get +@read"},                 // -@all +@read
		{[]string{"+@all", "-get", "-@read"}, "+@all -get -@read"},                 // +@all -@read
		{[]string{"+@read", "+get", "-@read"}, "-@all +get -@read"},                // -@all
		{[]string{"+@all", "-@admin", "+@dangerous"}, "+@all -@admin +@dangerous"}, // +@all
	} {
		r := acl.NewRegistry()
		if err := r.SetUser("u", tc.rules...); err != nil {
			t.Fatal(err)
		}
		if got := r.User("u").GetUser()[2].Value; got != tc.want {
			t.Errorf("SetUser(u, %q): commands %q, want %q", tc.rules, got, tc.want)
		}
	}
}

var setUserErrors = []struct {
	rules       []string
	bad         string // the rule named in the error
	why         string
	unsupported bool // valid in Redis 7, refused by Shingle
}{
	{[]string{"bogus"}, "bogus", "Syntax error", false},
	{[]string{"on", "bogus", "off"}, "bogus", "Syntax error", false},
	{[]string{"@all"}, "@all", "Syntax error", false},
	{[]string{"+@nosuchcat"}, "+@nosuchcat", "Unknown command or category name in ACL", false},
	{[]string{"-@"}, "-@", "Unknown command or category name in ACL", false},
	{[]string{"+"}, "+", "Unknown command or category name in ACL", false},
	{[]string{"-"}, "-", "Unknown command or category name in ACL", false},
	{[]string{"+ge\tt"}, "+ge\tt", "Unknown command or category name in ACL", false},
	{[]string{"<nopw"}, "<nopw", "The password you are trying to remove from the user does not exist", false},
	{[]string{"nopass", "<p"}, "<p", "The password you are trying to remove from the user does not exist", false},
	{[]string{"!" + hashP}, "!" + hashP, "The password you are trying to remove from the user does not exist", false},
	{[]string{"#abc"}, "#abc", "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters", false},
	{[]string{"!abc"}, "!abc", "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters", false},
	{[]string{"#" + strings.ToUpper(hashP)}, "#" + strings.ToUpper(hashP), "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters", false},
	{[]string{"#" + hashP + "0"}, "#" + hashP + "0", "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters", false},
	{[]string{"~a b"}, "~a b", "Syntax error", false},
	{[]string{"allkeys", "~x"}, "~x", afterAllKeys, false},
	{[]string{"~*", "~a b"}, "~a b", afterAllKeys, false},
	// Valid in Redis, not supported by Shingle: refused, never ignored.
	{[]string{"%R~x"}, "%R~x", "Syntax error", true},
	{[]string{"%RW~x"}, "%RW~x", "Syntax error", true},
	{[]string{"&chan"}, "&chan", "Syntax error", true},
	{[]string{"(~x +get)"}, "(~x +get)", "Syntax error", true},
	{[]string{"+client|id"}, "+client|id", "Syntax error", true},
	{[]string{"-select|0"}, "-select|0", "Syntax error", true},
}

func TestSetUserErrors(t *testing.T) {
	for _, tc := range setUserErrors {
		want := "Error in ACL SETUSER modifier '" + tc.bad + "': " + tc.why
		// A new user: not created.
		r := acl.NewRegistry()
		err := r.SetUser("u", tc.rules...)
		if err == nil || err.Error() != want {
			t.Errorf("SetUser(u, %q) = %v, want %q", tc.rules, err, want)
		}
		if r.User("u") != nil || len(r.Users()) != 1 {
			t.Errorf("SetUser(u, %q) failed but created the user: %q", tc.rules, r.List())
		}
		// An existing user: unchanged.
		if err := r.SetUser("u", "on", ">q", "~k:*", "+@read", "-get"); err != nil {
			t.Fatal(err)
		}
		before, snap := r.List(), r.User("u")
		if err := r.SetUser("u", append([]string{"off", "resetpass", "resetkeys", "+@all"}, tc.rules...)...); err == nil || err.Error() != want {
			t.Errorf("SetUser(u, ..., %q) = %v, want %q", tc.rules, err, want)
		}
		if after := r.List(); !reflect.DeepEqual(before, after) {
			t.Errorf("SetUser(u, ..., %q) failed but changed the users:\n%q\n%q", tc.rules, before, after)
		}
		if r.User("u") != snap || !snap.Enabled() || !r.Authenticate("u", "q") {
			t.Errorf("SetUser(u, ..., %q) failed but changed the user", tc.rules)
		}
	}
}

func TestSetUserName(t *testing.T) {
	r := acl.NewRegistry()
	for _, name := range []string{"a b", "a\tb", "a\x00b", " ", "\n"} {
		if err := r.SetUser(name, "on"); err == nil || err.Error() != "Usernames can't contain spaces or null characters" {
			t.Errorf("SetUser(%q) = %v", name, err)
		}
	}
	if got := r.Users(); !reflect.DeepEqual(got, []string{"default"}) {
		t.Errorf("users %q", got)
	}
	// The empty name is allowed, as in Redis, and sorts first.
	if err := r.SetUser("", "on"); err != nil {
		t.Fatal(err)
	}
	if got, want := r.List(), []string{"user  on resetchannels -@all", "user default on nopass ~* &* +@all"}; !reflect.DeepEqual(got, want) {
		t.Errorf("List() = %q, want %q", got, want)
	}
}

func TestNewRegistry(t *testing.T) {
	r := acl.NewRegistry()
	if got, want := r.List(), []string{"user default on nopass ~* &* +@all"}; !reflect.DeepEqual(got, want) {
		t.Errorf("List() = %q, want %q", got, want)
	}
	u := r.User("default")
	if u == nil || u.Name() != "default" || !u.Enabled() {
		t.Fatalf("default user %+v", u)
	}
	if !u.CanRun("flushall", []string{"@keyspace", "@write", "@slow", "@dangerous"}) || !u.CanAccessKey([]byte("any")) || !u.CanAccessKey(nil) {
		t.Error("default user is restricted")
	}
	if !r.Authenticate("default", "whatever") {
		t.Error("nopass default user refused")
	}
	if r.User("nobody") != nil {
		t.Error("unknown user found")
	}
}

func TestGetUser(t *testing.T) {
	r := acl.NewRegistry()
	if err := r.SetUser("u", "reset", "on", ">p", "~app:*", "~b", "+@read", "-get"); err != nil {
		t.Fatal(err)
	}
	want := []acl.Field{
		{Name: "flags", Value: []string{"on", "sanitize-payload"}},
		{Name: "passwords", Value: []string{hashP}},
		{Name: "commands", Value: "-@all +@read -get"},
		{Name: "keys", Value: "~app:* ~b"},
		{Name: "channels", Value: ""},
		{Name: "selectors", Value: []string{}},
	}
	if got := r.User("u").GetUser(); !reflect.DeepEqual(got, want) {
		t.Errorf("GetUser() =\n%#v\nwant\n%#v", got, want)
	}
	want = []acl.Field{
		{Name: "flags", Value: []string{"on", "nopass"}},
		{Name: "passwords", Value: []string{}},
		{Name: "commands", Value: "+@all"},
		{Name: "keys", Value: "~*"},
		{Name: "channels", Value: "&*"},
		{Name: "selectors", Value: []string{}},
	}
	if got := r.User("default").GetUser(); !reflect.DeepEqual(got, want) {
		t.Errorf("GetUser() =\n%#v\nwant\n%#v", got, want)
	}
	if err := r.SetUser("v"); err != nil {
		t.Fatal(err)
	}
	want = []acl.Field{
		{Name: "flags", Value: []string{"off"}},
		{Name: "passwords", Value: []string{}},
		{Name: "commands", Value: "-@all"},
		{Name: "keys", Value: ""},
		{Name: "channels", Value: ""},
		{Name: "selectors", Value: []string{}},
	}
	if got := r.User("v").GetUser(); !reflect.DeepEqual(got, want) {
		t.Errorf("GetUser() =\n%#v\nwant\n%#v", got, want)
	}
	// The snapshot is immutable: changing what GetUser returned, or the
	// user afterwards, does not change it.
	u := r.User("u")
	u.GetUser()[1].Value.([]string)[0] = "x"
	u.GetUser()[0].Value.([]string)[0] = "x"
	if err := r.SetUser("u", "off", "resetpass", "allkeys"); err != nil {
		t.Fatal(err)
	}
	if f := u.GetUser(); f[1].Value.([]string)[0] != hashP || f[0].Value.([]string)[0] != "on" || f[3].Value != "~app:* ~b" {
		t.Errorf("snapshot changed: %#v", f)
	}
}

func TestAuthenticate(t *testing.T) {
	r := acl.NewRegistry()
	for name, rules := range map[string][]string{
		"alice": {"on", ">secret", ">other"},
		"bob":   {"off", ">secret"},
		"carol": {"on", "nopass"},
		"dave":  {"on"},
		"erin":  {"on", "#" + hashP},
		"frank": {"on", ">secret", "resetpass"},
		"gina":  {"on", ">"},
	} {
		if err := r.SetUser(name, rules...); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name, pass string
		want       bool
	}{
		{"alice", "secret", true},
		{"alice", "other", true},
		{"alice", "Secret", false},
		{"alice", "", false},
		{"bob", "secret", false}, // off
		{"carol", "anything", true},
		{"carol", "", true},
		{"dave", "", false}, // no passwords, not nopass
		{"erin", "p", true},
		{"erin", hashP, false},
		{"frank", "secret", false},
		{"gina", "", true},
		{"gina", "x", false},
		{"nobody", "", false},
		{"default", "x", true},
	} {
		if got := r.Authenticate(tc.name, tc.pass); got != tc.want {
			t.Errorf("Authenticate(%q, %q) = %v, want %v", tc.name, tc.pass, got, tc.want)
		}
	}
	// Turning a user off or deleting it stops it logging in.
	if err := r.SetUser("carol", "off"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.DelUser("alice"); err != nil {
		t.Fatal(err)
	}
	if r.Authenticate("carol", "x") || r.Authenticate("alice", "secret") {
		t.Error("disabled or deleted user logged in")
	}
}

// A few commands with their Redis 7 categories.
var commands = []struct {
	name string
	cats []string
}{
	{"get", []string{"@read", "@string", "@fast"}},
	{"set", []string{"@write", "@string", "@slow"}},
	{"hset", []string{"@write", "@hash", "@fast"}},
	{"keys", []string{"@keyspace", "@read", "@slow", "@dangerous"}},
	{"flushall", []string{"@keyspace", "@write", "@slow", "@dangerous"}},
	{"ping", []string{"@fast", "@connection"}},
	{"client|id", []string{"@slow", "@connection"}},
	{"client|kill", []string{"@admin", "@slow", "@dangerous", "@connection"}},
	{"acl|cat", []string{"@slow"}},
}

func cats(name string) []string {
	for _, c := range commands {
		if c.name == name {
			return c.cats
		}
	}
	panic(name)
}

func TestCanRun(t *testing.T) {
	for _, tc := range []struct {
		rules   []string
		allowed string // the commands allowed, space separated, in commands' order
	}{
		{nil, ""},
		{[]string{"+@all"}, "get set hset keys flushall ping client|id client|kill acl|cat"},
		{[]string{"allcommands", "nocommands"}, ""},
		{[]string{"+@read"}, "get keys"},
		{[]string{"+@read", "-keys"}, "get"},
		{[]string{"-keys", "+@read"}, "get keys"},
		{[]string{"+@all", "-@dangerous"}, "get set hset ping client|id acl|cat"},
		{[]string{"+@all", "-@dangerous", "+keys"}, "get set hset keys ping client|id acl|cat"},
		{[]string{"+@all", "-@dangerous", "+keys", "-@read"}, "set hset ping client|id acl|cat"},
		{[]string{"+@all", "-set"}, "get hset keys flushall ping client|id client|kill acl|cat"},
		{[]string{"+@all", "-set", "+set"}, "get set hset keys flushall ping client|id client|kill acl|cat"},
		{[]string{"+@string", "-@write"}, "get"},
		{[]string{"-@write", "+@string"}, "get set"},
		{[]string{"+client"}, "client|id client|kill"},
		{[]string{"+client", "-@dangerous"}, "client|id"},
		{[]string{"+@connection", "-client"}, "ping"},
		{[]string{"+GET", "+@FAST"}, "get hset ping"},
		{[]string{"+acl"}, "acl|cat"},
		{[]string{"+@read", "+get", "-@read"}, ""},
		{[]string{"+@all", "+get", "reset"}, ""},
	} {
		r := acl.NewRegistry()
		if err := r.SetUser("u", tc.rules...); err != nil {
			t.Fatalf("SetUser(%q): %v", tc.rules, err)
		}
		u := r.User("u")
		var allowed []string
		for _, c := range commands {
			if u.CanRun(c.name, c.cats) {
				allowed = append(allowed, c.name)
			}
		}
		if got := strings.Join(allowed, " "); got != tc.allowed {
			t.Errorf("rules %q allow %q, want %q", tc.rules, got, tc.allowed)
		}
	}
	// Categories may be given without "@".
	r := acl.NewRegistry()
	if err := r.SetUser("u", "+@read"); err != nil {
		t.Fatal(err)
	}
	if !r.User("u").CanRun("get", []string{"read"}) || r.User("u").CanRun("set", []string{"write"}) {
		t.Error("categories without @")
	}
	// A parent's rule does not cover a command whose name merely starts
	// like it.
	if err := r.SetUser("u", "+client"); err != nil {
		t.Fatal(err)
	}
	if r.User("u").CanRun("clientx", nil) || !r.User("u").CanRun("client", nil) {
		t.Error("command prefix")
	}
}

// model evaluates rules the plain way: a decision per command, each rule
// overriding it for the commands it covers.
func model(rules []string) map[string]bool {
	allowed := map[string]bool{}
	for _, rule := range rules {
		allow := rule[0] == '+'
		for _, c := range commands {
			covered := false
			switch {
			case rule[1:] == "@all":
				covered = true
			case rule[1] == '@':
				for _, k := range c.cats {
					covered = covered || k == rule[1:]
				}
			default:
				covered = c.name == rule[1:] || strings.HasPrefix(c.name, rule[1:]+"|")
			}
			if covered {
				allowed[c.name] = allow
			}
		}
	}
	return allowed
}

// roundTrip feeds each List line's rules back to SetUser on a fresh
// registry (the default user first losing what it starts with, as Redis
// resets it when loading users) and returns the new List.
func roundTrip(t *testing.T, lines []string) *acl.Registry {
	t.Helper()
	r := acl.NewRegistry()
	for _, l := range lines {
		f := strings.SplitN(l, " ", 3)
		if len(f) != 3 || f[0] != "user" {
			t.Fatalf("bad List line %q", l)
		}
		rules := strings.Split(f[2], " ")
		if f[1] == "default" {
			rules = append([]string{"resetpass", "resetkeys", "resetchannels", "nocommands"}, rules...)
		}
		if err := r.SetUser(f[1], rules...); err != nil {
			t.Fatalf("List line %q fed back: %v", l, err)
		}
	}
	if got := r.List(); !reflect.DeepEqual(got, lines) {
		t.Errorf("List round trip:\n got %q\nwant %q", got, lines)
	}
	return r
}

func TestListRoundTrip(t *testing.T) {
	r := acl.NewRegistry()
	for i, tc := range setUserCases {
		if err := r.SetUser(fmt.Sprintf("u%02d", i), tc.rules...); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.SetUser("default", "resetpass", ">p", "resetkeys", "~x:*", "resetchannels", "-@all", "+@read", "-keys", "skip-sanitize-payload"); err != nil {
		t.Fatal(err)
	}
	roundTrip(t, r.List())
}

// TestRandomRules checks on random rule sequences that CanRun decides as
// the plain model does (so dropping rules never changes a permission) and
// that List lines round-trip.
func TestRandomRules(t *testing.T) {
	alphabet := []string{"+@all", "-@all", "allcommands", "nocommands"}
	for _, name := range []string{"get", "set", "keys", "client", "acl", "ping"} {
		alphabet = append(alphabet, "+"+name, "-"+name)
	}
	for _, cat := range []string{"read", "write", "dangerous", "fast", "connection", "string", "slow"} {
		alphabet = append(alphabet, "+@"+cat, "-@"+cat)
	}
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < 3000; i++ {
		rules := make([]string, rng.Intn(10))
		for j := range rules {
			rules[j] = alphabet[rng.Intn(len(alphabet))]
		}
		r := acl.NewRegistry()
		if err := r.SetUser("u", rules...); err != nil {
			t.Fatal(err)
		}
		canon := make([]string, len(rules))
		for j, rule := range rules {
			canon[j] = map[string]string{"allcommands": "+@all", "nocommands": "-@all"}[rule]
			if canon[j] == "" {
				canon[j] = rule
			}
		}
		want := model(canon)
		u := r.User("u")
		for _, c := range commands {
			if got := u.CanRun(c.name, c.cats); got != want[c.name] {
				t.Fatalf("rules %q: CanRun(%s) = %v, want %v (commands %q)", rules, c.name, got, want[c.name], u.GetUser()[2].Value)
			}
		}
		r2 := roundTrip(t, r.List())
		for _, c := range commands {
			if r2.User("u").CanRun(c.name, c.cats) != want[c.name] {
				t.Fatalf("rules %q: round-tripped user differs on %s", rules, c.name)
			}
		}
		if t.Failed() {
			t.Fatalf("rules %q", rules)
		}
	}
}

func TestCanAccessKey(t *testing.T) {
	for _, tc := range []struct {
		rules []string
		yes   []string
		no    []string
	}{
		{nil, nil, []string{"a", ""}},
		{[]string{"allkeys"}, []string{"a", "", "x:y"}, nil},
		{[]string{"~*"}, []string{"a", ""}, nil},
		{[]string{"~app:*"}, []string{"app:", "app:1", "app:x:y"}, []string{"app", "ap:1", "x:app:1", ""}},
		{[]string{"~app:*", "~user:?"}, []string{"app:1", "user:1"}, []string{"user:12", "other"}},
		{[]string{"~k[ab]"}, []string{"ka", "kb"}, []string{"kc", "k"}},
		{[]string{"~a\\*"}, []string{"a*"}, []string{"ab"}},
		{[]string{"~"}, []string{""}, []string{"a"}},
		{[]string{"allkeys", "resetkeys"}, nil, []string{"a"}},
		{[]string{"allkeys", "resetkeys", "~b*"}, []string{"b", "bb"}, []string{"a"}},
		{[]string{"~a*", "reset"}, nil, []string{"a"}},
	} {
		r := acl.NewRegistry()
		if err := r.SetUser("u", tc.rules...); err != nil {
			t.Fatal(err)
		}
		u := r.User("u")
		for _, k := range tc.yes {
			if !u.CanAccessKey([]byte(k)) {
				t.Errorf("rules %q: key %q refused", tc.rules, k)
			}
		}
		for _, k := range tc.no {
			if u.CanAccessKey([]byte(k)) {
				t.Errorf("rules %q: key %q allowed", tc.rules, k)
			}
		}
	}
}

func TestDelUser(t *testing.T) {
	r := acl.NewRegistry()
	for _, n := range []string{"a", "b", "c"} {
		if err := r.SetUser(n); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := r.DelUser("a", "default", "b"); err == nil || err.Error() != "The 'default' user cannot be removed" || n != 0 {
		t.Errorf("DelUser(a, default, b) = %d, %v", n, err)
	}
	if got := r.Users(); !reflect.DeepEqual(got, []string{"a", "b", "c", "default"}) {
		t.Errorf("users after refused DelUser: %q", got)
	}
	if n, err := r.DelUser("Default", "a", "a", "nosuch"); err != nil || n != 1 {
		t.Errorf("DelUser(Default, a, a, nosuch) = %d, %v, want 1", n, err)
	}
	if n, err := r.DelUser(); err != nil || n != 0 {
		t.Errorf("DelUser() = %d, %v", n, err)
	}
	if got := r.Users(); !reflect.DeepEqual(got, []string{"b", "c", "default"}) {
		t.Errorf("users %q", got)
	}
	if r.User("a") != nil {
		t.Error("deleted user found")
	}
}

func TestCategories(t *testing.T) {
	want := []string{"keyspace", "read", "write", "set", "sortedset", "list", "hash", "string", "bitmap", "hyperloglog", "geo", "stream", "pubsub", "admin", "fast", "slow", "blocking", "dangerous", "connection", "transaction", "scripting"}
	got := acl.Categories()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Categories() = %q", got)
	}
	got[0] = "x"
	if acl.Categories()[0] != "keyspace" {
		t.Error("Categories() shares its slice")
	}
	r := acl.NewRegistry()
	for _, c := range want {
		if err := r.SetUser("u", "+@"+c, "-@"+strings.ToUpper(c)); err != nil {
			t.Errorf("category %s: %v", c, err)
		}
	}
}

func TestSetCommandChecker(t *testing.T) {
	r := acl.NewRegistry()
	if err := r.SetUser("u", "+nosuchcmd"); err != nil {
		t.Fatalf("without a checker: %v", err)
	}
	r.SetCommandChecker(func(name string) bool { return name == "get" || name == "set" })
	if err := r.SetUser("u", "+GET", "-set", "+@read"); err != nil {
		t.Fatal(err)
	}
	err := r.SetUser("v", "+get", "-nosuchcmd")
	if want := "Error in ACL SETUSER modifier '-nosuchcmd': Unknown command or category name in ACL"; err == nil || err.Error() != want {
		t.Errorf("SetUser(v, -nosuchcmd) = %v, want %q", err, want)
	}
	if r.User("v") != nil {
		t.Error("user created despite the error")
	}
	r.SetCommandChecker(nil)
	if err := r.SetUser("v", "-nosuchcmd"); err != nil {
		t.Fatal(err)
	}
}

func TestConcurrent(t *testing.T) {
	r := acl.NewRegistry()
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			name := fmt.Sprintf("u%d", g)
			for i := 0; i < 200; i++ {
				if err := r.SetUser(name, "on", fmt.Sprintf(">p%d", i), "+@read", "~k:*"); err != nil {
					t.Error(err)
					return
				}
				if u := r.User(name); u == nil || !u.CanRun("get", cats("get")) || !u.CanAccessKey([]byte("k:1")) {
					t.Error("bad snapshot")
					return
				}
				r.Authenticate(name, "p0")
				r.List()
				r.Users()
				if i%10 == 0 {
					r.DelUser(name)
				}
			}
		}(g)
	}
	wg.Wait()
}

// TestDifferentialRedis feeds the same rule sets to a stock redis-server and
// to a Registry, and compares ACL LIST, ACL GETUSER and the errors.
func TestDifferentialRedis(t *testing.T) {
	srv := testutil.StartRedis(t)
	c := srv.Dial(t)
	do := func(args ...string) command.Reply {
		t.Helper()
		rep, err := c.Do(args...)
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	known := map[string]bool{"get": true, "set": true, "keys": true, "ping": true, "acl": true}
	r := acl.NewRegistry()
	r.SetCommandChecker(func(name string) bool { return known[name] })

	setuser := func(name string, rules []string) {
		t.Helper()
		rep := do(append([]string{"ACL", "SETUSER", name}, rules...)...)
		err := r.SetUser(name, rules...)
		switch {
		case rep.Kind == command.KindError:
			if err == nil || "ERR "+err.Error() != string(rep.Str) {
				t.Errorf("SETUSER %s %q: redis %q, shingle %v", name, rules, rep.Str, err)
			}
		case err != nil:
			t.Errorf("SETUSER %s %q: redis %s, shingle %v", name, rules, rep.Str, err)
		}
	}
	// Log in as another administrator, so that the connection keeps its
	// rights while the default user's change.
	setuser("admin", []string{"on", "nopass", "+@all"})
	if rep := do("AUTH", "admin", "x"); rep.Kind == command.KindError {
		t.Fatalf("AUTH: %s", rep.Str)
	}
	for i, tc := range setUserCases {
		setuser(fmt.Sprintf("u%02d", i), tc.rules)
	}
	for i, tc := range setUserErrors {
		if !tc.unsupported {
			setuser(fmt.Sprintf("e%02d", i), tc.rules)
		}
	}
	setuser("cmd", []string{"+get", "-nosuchcmd"})
	setuser("default", []string{"resetpass", ">p", "resetkeys", "~x:*", "-@all", "+@read", "-keys", "skip-sanitize-payload"})
	setuser("default", []string{"nopass", "allkeys", "+@all"})
	setuser("a b", []string{"on"})

	var redisList []string
	for _, e := range do("ACL", "LIST").Elems {
		redisList = append(redisList, string(e.Str))
	}
	if got := r.List(); !reflect.DeepEqual(got, redisList) {
		t.Errorf("ACL LIST differs:\nredis   %q\nshingle %q", redisList, got)
	}
	for _, name := range r.Users() {
		rep := do("ACL", "GETUSER", name)
		var redisFields []acl.Field
		for i := 0; i+1 < len(rep.Elems); i += 2 {
			v := rep.Elems[i+1]
			var value any = string(v.Str)
			if v.Kind == command.KindArray {
				ss := []string{}
				for _, e := range v.Elems {
					ss = append(ss, string(e.Str))
				}
				value = ss
			}
			redisFields = append(redisFields, acl.Field{Name: string(rep.Elems[i].Str), Value: value})
		}
		if got := r.User(name).GetUser(); !reflect.DeepEqual(got, redisFields) {
			t.Errorf("ACL GETUSER %s differs:\nredis   %#v\nshingle %#v", name, redisFields, got)
		}
	}
}
