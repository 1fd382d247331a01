// Package command is Shingle's one command table: a Redis command's words
// in, its reply value out. The network server, a replica applying its
// primary's stream and an embedded call all run the same table, so that a
// command has exactly one implementation.
//
// # Usage
//
//	db, _ := store.Open("", &store.Options{InMemory: true})
//	command.Do(db, "SET", "greeting", "hello") // +OK
//	r := command.Do(db, "GET", "greeting")     // $5 hello
//	fmt.Println(string(r.Str))
//
// NewTable returns a table with every data command; netmode adds its
// connection and server commands (CLIENT, CONFIG, INFO, ...) to its own
// copy, and an embedder may add commands of its own the same way.
//
// # What it owns
//
// The table (names, arity, flags, key positions and ACL categories as
// COMMAND INFO reports them), the parsing of each command's arguments with
// Redis's exact errors, and the choice of reply shape (RESP2 or RESP3
// structure from Ctx.Proto). Reply values themselves are the RESP codec's
// (internal/resp); Reply, Kind and their constructors here are aliases of
// them, so that the codec stays a leaf.
//
// # What it must never do
//
// Touch a socket or know who sent a command beyond Ctx.Client, which it
// hands to the server's own commands untouched. Keep state between calls:
// everything lives in the store, which makes the same command give the
// same reply whichever door it came through. Allocate from a number a
// client sent before checking it against Redis's range. Import netmode or
// replication: the server and a replica run the table, never the other
// way round (a test over go list holds it for netmode).
package command
