package store

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/shinglekv/shingle/internal/testutil"
)

// TestZRankIndex drives sorted sets through many adds, score changes and
// removals, with small rank index blocks (every block soon split) and room
// for only two indexed sets (the third evicts one), and checks ZRANK,
// ZRANGE by rank and ZCOUNT against a sorted copy after every step.
func TestZRankIndex(t *testing.T) {
	defer func(min, size int64, sets int) { zindexMinSize, zblockSize, zindexMaxSets = min, size, sets }(zindexMinSize, zblockSize, zindexMaxSets)
	zindexMinSize, zblockSize, zindexMaxSets = 8, 4, 2
	db, err := Open("", &Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	r := rand.New(rand.NewPCG(testutil.Seed(t), 0))
	keys := [][]byte{[]byte("a"), []byte("b"), []byte("c")}
	ref := map[string]map[string]float64{}
	sorted := func(k []byte) []ScoredMember {
		return (&modelVal{zset: ref[string(k)]}).zsorted()
	}
	for step := range 3000 {
		k := keys[r.IntN(len(keys))]
		if ref[string(k)] == nil {
			ref[string(k)] = map[string]float64{}
		}
		m := []byte(fmt.Sprintf("m%d", r.IntN(300)))
		score := float64(r.IntN(50))
		if r.IntN(3) == 0 {
			if _, err := db.ZRem(k, m); err != nil {
				t.Fatal(err)
			}
			delete(ref[string(k)], string(m))
		} else {
			if _, err := db.ZAdd(k, ZAddFlags{}, ScoredMember{m, score}); err != nil {
				t.Fatal(err)
			}
			ref[string(k)][string(m)] = score
		}
		want := sorted(k)
		n := int64(len(want))
		if n == 0 {
			continue
		}
		i := r.Int64N(n)
		rank, ok, err := db.ZRank(k, want[i].Member, false)
		if err != nil || !ok || rank != i {
			t.Fatalf("step %d: ZRank(%s, %s) = %d, %v, %v; want %d", step, k, want[i].Member, rank, ok, err, i)
		}
		got, err := db.ZRange(k, ZRange{Start: i, Stop: i + 2})
		if err != nil || !slices.EqualFunc(got, want[i:min(i+3, n)], func(a, b ScoredMember) bool {
			return string(a.Member) == string(b.Member) && a.Score == b.Score
		}) {
			t.Fatalf("step %d: ZRange(%s, %d, %d) = %v, %v; want %v", step, k, i, i+2, got, err, want[i:min(i+3, n)])
		}
		lo, hi := float64(r.IntN(50)), float64(r.IntN(50))
		rg := ZRange{By: ZByScore, Min: ScoreBound{lo, r.IntN(2) == 0}, Max: ScoreBound{hi, r.IntN(2) == 0}}
		var count int64
		for _, sm := range want {
			if rg.in(sm.Score) {
				count++
			}
		}
		if got, err := db.ZCount(k, rg); err != nil || got != count {
			t.Fatalf("step %d: ZCount(%s, %+v) = %d, %v; want %d", step, k, rg, got, err, count)
		}
	}
	// Readers at once: the walks inside blocks run without the index's
	// lock, the splits under it.
	for _, k := range keys {
		want := sorted(k)
		var wg sync.WaitGroup
		for g := range 4 {
			wg.Go(func() {
				r := rand.New(rand.NewPCG(uint64(g), 1))
				for range 200 {
					if len(want) == 0 {
						return
					}
					i := r.IntN(len(want))
					rank, ok, err := db.ZRank(k, want[i].Member, false)
					if err != nil || !ok || rank != int64(i) {
						t.Errorf("concurrent ZRank(%s, %s) = %d, %v, %v; want %d", k, want[i].Member, rank, ok, err, i)
						return
					}
				}
			})
		}
		wg.Wait()
	}
	if len(db.zindex.sets) > zindexMaxSets {
		t.Errorf("%d sets indexed, at most %d allowed", len(db.zindex.sets), zindexMaxSets)
	}
}
