package command_test

import (
	"fmt"

	"github.com/shinglekv/shingle/command"
	"github.com/shinglekv/shingle/store"
)

// Do runs any command by its Redis words, with Redis's reply.
func ExampleDo() {
	db, _ := store.Open("", &store.Options{InMemory: true})
	defer db.Close()
	fmt.Println(command.Do(db, "SET", "counter", "41"))
	fmt.Println(command.Do(db, "INCR", "counter"))
	fmt.Println(command.Do(db, "HSET", "counter", "f", "v"))
	fmt.Println(command.Do(db, "GET", "missing"))
	// Output:
	// "OK"
	// (integer) 42
	// (error) WRONGTYPE Operation against a key holding the wrong kind of value
	// (nil)
}
