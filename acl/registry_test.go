package acl_test

import (
	"fmt"
	"reflect"
	"sync"
	"testing"

	"github.com/shinglekv/shingle/acl"
)

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
