package acl_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/shinglekv/shingle/acl"
)

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
