// Command slotfill writes, on standard output, the RESP commands that fill
// the hash slots first to last with MB megabytes of string values (SET of
// 4 KiB values), spread evenly over the slots, for redis-cli --pipe:
//
//	slotfill -mb 1024 -first 0 -last 15 | redis-cli --pipe
//
// bench/migrate.sh loads the same data into a Shingle and a redis-server
// node with it.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/shinglekv/shingle/internal/resp"
	"github.com/shinglekv/shingle/store"
)

func main() {
	mb := flag.Int("mb", 64, "megabytes of values to write")
	first := flag.Int("first", 0, "first slot")
	last := flag.Int("last", 15, "last slot")
	flag.Parse()
	if *first < 0 || *last >= store.SlotCount || *first > *last || *mb <= 0 {
		fmt.Fprintln(os.Stderr, "slotfill: -first and -last must be slots, first <= last, and -mb positive")
		os.Exit(2)
	}
	const valueLen = 4096
	keys := *mb << 20 / valueLen
	value := []byte(strings.Repeat("v", valueLen))
	w := bufio.NewWriterSize(os.Stdout, 1<<20)
	written := 0
	for i := 0; written < keys; i++ {
		k := fmt.Appendf(nil, "fill:%d", i)
		if s := int(store.Slot(k)); s < *first || s > *last {
			continue
		}
		copy(value, fmt.Sprintf("%012d", written))
		w.Write(resp.AppendCommand(nil, []byte("SET"), k, value))
		written++
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintln(os.Stderr, "slotfill:", err)
		os.Exit(1)
	}
}
