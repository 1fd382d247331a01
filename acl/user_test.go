package acl_test

import (
	"reflect"
	"testing"

	"github.com/shinglekv/shingle/acl"
)

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
