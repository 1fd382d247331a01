package netmode

import (
	"net"
	"testing"
	"time"

	"github.com/shinglekv/shingle/internal/testutil"
)

// TestRoleChangeBesideTransactions: REPLICAOF host port and REPLICAOF NO
// ONE, which change the store's role, run beside transactions of server
// commands (MULTI, CLIENT LIST, INFO, EXEC), which run under the store's
// write lock and read the server's state. Neither waits on the other for
// good: a role change never calls into the store while holding the lock
// that server commands take.
func TestRoleChangeBesideTransactions(t *testing.T) {
	p := testutil.NewPKI(t, "role change")
	primary := startNode(t, p, nil)
	n := startNode(t, p, nil)
	host, port, _ := net.SplitHostPort(primary.tcp)

	roles, txs := testutil.MustDial(t, "tcp", n.tcp), testutil.MustDial(t, "tcp", n.tcp)
	const rounds = 200
	errs := make(chan error, 2)
	go func() {
		for range rounds {
			for _, cmd := range [][]string{{"REPLICAOF", host, port}, {"REPLICAOF", "NO", "ONE"}} {
				r, err := roles.Do(cmd...)
				if err != nil {
					errs <- err
					return
				}
				if r.IsError() {
					t.Errorf("%q: %v", cmd, r)
				}
			}
		}
		errs <- nil
	}()
	go func() {
		for range rounds {
			replies, err := txs.Pipeline(30*time.Second, []string{"MULTI"}, []string{"CLIENT", "LIST"},
				[]string{"INFO", "replication"}, []string{"EXEC"})
			if err != nil {
				errs <- err
				return
			}
			if exec := replies[3]; exec.IsError() || len(exec.Elems) != 2 {
				t.Errorf("EXEC: %v", exec)
			}
		}
		errs <- nil
	}()
	// A deadlock shows as a client whose reply never comes: its read
	// deadline (30 s per command) ends the loop with an error.
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatalf("a client was not answered: %v", err)
		}
	}
}
