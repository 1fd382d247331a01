package acl_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/shinglekv/shingle/acl"
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
