package store_test

import (
	"fmt"
	"log"
	"time"

	"github.com/shinglekv/shingle/command"
	"github.com/shinglekv/shingle/store"
)

// This example is the embedding example of README.md; a test keeps the two
// identical.
func Example() {
	db, err := store.Open("", &store.Options{InMemory: true}) // or a directory
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	db.Set([]byte("greeting"), []byte("hello"))
	db.HSet([]byte("user:1"), []byte("name"), []byte("Ada"))
	db.Expire([]byte("greeting"), time.Minute, store.ExpireAlways)
	v, _ := db.Get([]byte("greeting"))
	name, _ := db.HGet([]byte("user:1"), []byte("name"))
	fmt.Println(string(v), string(name), command.Do(db, "TTL", "greeting"))
	// Output: hello Ada (integer) 60
}

// Update runs several commands as one atomic transaction.
func ExampleDB_Update() {
	db, _ := store.Open("", &store.Options{InMemory: true})
	defer db.Close()
	err := db.Update(func(tx *store.Tx) error {
		if _, err := tx.IncrBy([]byte("orders"), 1); err != nil {
			return err
		}
		_, err := tx.HSet([]byte("order:1"), []byte("item"), []byte("book"))
		return err
	})
	n, _ := db.Get([]byte("orders"))
	fmt.Println(string(n), err)
	// Output: 1 <nil>
}

// Subscribe follows every committed write, as replication does.
func ExampleDB_Subscribe() {
	db, _ := store.Open("", &store.Options{InMemory: true})
	defer db.Close()
	_, cancel, _ := db.Subscribe(func(c store.Change) {
		for _, cmd := range c.Commands {
			fmt.Printf("%s\n", cmd)
		}
	})
	defer cancel()
	db.Set([]byte("k"), []byte("v"))
	db.IncrByFloat([]byte("f"), 0.1)
	db.Del([]byte("k"), []byte("missing"))
	// Output:
	// [SET k v]
	// [SET f 0.1]
	// [DEL k]
}
