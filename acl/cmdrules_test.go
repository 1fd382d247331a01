package acl_test

import (
	"math/rand"
	"strings"
	"testing"

	"github.com/shinglekv/shingle/acl"
)

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
