package testutil

import (
	"slices"
	"strings"
)

// JoinSignature is redis-cli --cluster's join signature of a node's CLUSTER
// NODES text: each node's id with its slot tokens (migration marks left
// out), sorted, joined by "|". Nodes that agree on the slots give the same
// bytes, which is what redis-cli waits for after MEET.
func JoinSignature(nodes string) string {
	var entries []string
	for _, line := range strings.Split(strings.TrimSuffix(nodes, "\n"), "\n") {
		f := strings.Split(line, " ")
		if len(f) < 8 {
			continue
		}
		var toks []string
		for _, tok := range f[8:] {
			if !strings.HasPrefix(tok, "[") {
				toks = append(toks, tok)
			}
		}
		slices.Sort(toks)
		entries = append(entries, f[0]+":"+strings.Join(toks, ","))
	}
	slices.Sort(entries)
	return strings.Join(entries, "|")
}
