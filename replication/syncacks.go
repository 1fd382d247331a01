package replication

import (
	"context"
	"slices"
)

// Acknowledgements that reveal writes: under the store's acknowledgement
// gate (store.DB.SetAckGate, netmode's cluster-sync-replicas), a write is
// revealed only once PrimaryConfig.SyncReplicas replicas acknowledged it.
// The Primary reports each new such offset to the store (AckReplicated),
// and, while a writer or reader waits for one beyond it (AckWanted), asks
// the replicas for their offsets at once (REPLCONF GETACK *, as WAIT
// does), one request per round trip however many wait: a group commit of
// acknowledgements.

// feedAcks asks the replicas for acknowledgements whenever the store waits
// for them, until Close.
func (p *Primary) feedAcks() {
	defer p.loops.Done()
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-p.stop
		cancel()
	}()
	for {
		want, err := p.db.AckWanted(ctx)
		if err != nil {
			return
		}
		acked := p.Acked()
		if p.reportAcks() >= want {
			continue
		}
		p.db.Publish([]byte("REPLCONF"), []byte("GETACK"), []byte("*"))
		select {
		case <-acked:
		case <-p.stop:
			return
		}
	}
}

// reportAcks tells the store the offset SyncReplicas online replicas have
// acknowledged, and returns it (0: not that many replicas, or off).
func (p *Primary) reportAcks() uint64 {
	n := p.config().SyncReplicas
	if n <= 0 {
		return 0
	}
	var acks []uint64
	for _, l := range p.snapshotLinks() {
		if l.ackAt.Load() != 0 && l.state.Load() == "online" {
			acks = append(acks, l.ack.Load())
		}
	}
	if len(acks) < n {
		return 0
	}
	slices.Sort(acks)
	off := acks[len(acks)-n] // the n-th largest
	p.db.AckReplicated(off)
	return off
}
