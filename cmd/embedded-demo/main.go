// Command embedded-demo shows Shingle embedded in a Go program: it opens a
// store (in ./shingle-data unless --dir says otherwise), writes and reads a
// few keys of each type through the typed API and through command words, and
// prints what it did. Run it twice: the visit counter shows that the data
// persists.
//
//	go run ./cmd/embedded-demo [--dir path] [--appendfsync always|everysec|no]
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/shinglekv/shingle/command"
	"github.com/shinglekv/shingle/store"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "embedded-demo:", err)
		os.Exit(1)
	}
}

func run(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("embedded-demo", flag.ContinueOnError)
	dir := fs.String("dir", "shingle-data", "data directory (Redis's dir directive)")
	fsync := fs.String("appendfsync", "everysec", "durability: always, everysec or no")
	if err := fs.Parse(args); err != nil {
		return err
	}
	policy, err := store.ParseFsyncPolicy(*fsync)
	if err != nil {
		return err
	}
	db, err := store.Open(*dir, &store.Options{AppendFsync: policy})
	if err != nil {
		return err
	}
	defer db.Close()
	fmt.Fprintf(out, "Shingle store open in %s (appendfsync %s)\n\n", *dir, policy)

	step := func(what string, result any, err error) {
		if err != nil {
			result = "error: " + err.Error()
		}
		fmt.Fprintf(out, "  %-44s -> %v\n", what, result)
	}

	fmt.Fprintln(out, "Typed Go API:")
	err = db.Set([]byte("greeting"), []byte("hello, world"))
	step(`db.Set("greeting", "hello, world")`, "ok", err)
	v, err := db.Get([]byte("greeting"))
	step(`db.Get("greeting")`, fmt.Sprintf("%q", v), err)
	n, err := db.IncrBy([]byte("demo:runs"), 1)
	step(`db.IncrBy("demo:runs", 1)`, fmt.Sprintf("%d (one more each run)", n), err)
	added, err := db.HSet([]byte("user:1"), []byte("name"), []byte("Ada"), []byte("lang"), []byte("Go"))
	step(`db.HSet("user:1", name Ada, lang Go)`, fmt.Sprintf("%d new fields", added), err)
	fields, err := db.HGetAll([]byte("user:1"))
	var shown []string
	for _, f := range fields {
		shown = append(shown, string(f.Field)+"="+string(f.Value))
	}
	step(`db.HGetAll("user:1")`, shown, err)
	_, _, err = db.SetWith([]byte("session:42"), []byte("token"), store.SetOptions{TTL: time.Minute})
	step(`db.SetWith("session:42", TTL 1m)`, "ok", err)
	ttl, err := db.TTL([]byte("session:42"))
	step(`db.TTL("session:42")`, ttl.Round(time.Second), err)
	err = db.Update(func(tx *store.Tx) error {
		if _, err := tx.IncrBy([]byte("stock:book"), -1); err != nil {
			return err
		}
		_, err := tx.HIncrBy([]byte("orders"), []byte("book"), 1)
		return err
	})
	step(`db.Update(stock -1, orders +1)`, "committed atomically", err)

	fmt.Fprintln(out, "\nRedis command words (the table the network server will use):")
	for _, c := range [][]string{
		{"INCRBYFLOAT", "price", "0.1"},
		{"INCRBYFLOAT", "price", "0.2"},
		{"TYPE", "user:1"},
		{"HGET", "user:1", "name"},
		{"GET", "user:1"},
		{"DBSIZE"},
	} {
		fmt.Fprintf(out, "  %-44s -> %v\n", strings.Join(c, " "), command.Do(db, c...))
	}

	digest, err := db.Digest()
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "\nreplication id %s, offset %d\ndataset digest %s (DEBUG DIGEST)\n",
		db.ReplicationID(), db.Offset(), digest)
	return nil
}
