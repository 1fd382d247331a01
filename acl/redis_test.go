package acl_test

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/shinglekv/shingle/acl"
	"github.com/shinglekv/shingle/command"
	"github.com/shinglekv/shingle/internal/testutil"
)

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
