package tlsconn

import (
	"container/list"
	"crypto/rand"
	"crypto/tls"
	"sync"
	"time"
)

// sessionCache is the server-side session cache: a session ticket is only
// a random identifier of an entry here, so the session's secrets never
// leave the server, at most size sessions are kept (least recently used
// first out; 0 means no limit, as in OpenSSL), and an entry expires timeout
// after it was issued.
type sessionCache struct {
	mu      sync.Mutex
	size    int
	timeout time.Duration
	now     func() time.Time
	entries map[string]*list.Element
	lru     list.List // of *sessionEntry, most recent first
}

type sessionEntry struct {
	id      string
	state   []byte // tls.SessionState.Bytes
	expires time.Time
}

// cacheSessions makes cfg keep its sessions in a bounded server-side cache
// with the given limits.
func cacheSessions(cfg *tls.Config, size int, timeout time.Duration) *sessionCache {
	c := &sessionCache{size: size, timeout: timeout, entries: map[string]*list.Element{}}
	c.now = func() time.Time {
		if cfg.Time != nil {
			return cfg.Time()
		}
		return time.Now()
	}
	cfg.WrapSession = c.wrap
	cfg.UnwrapSession = c.unwrap
	return c
}

func (c *sessionCache) wrap(_ tls.ConnectionState, ss *tls.SessionState) ([]byte, error) {
	state, err := ss.Bytes()
	if err != nil {
		return nil, err
	}
	id := make([]byte, 16)
	rand.Read(id)
	c.mu.Lock()
	defer c.mu.Unlock()
	// The least recently used entries are at the back: drop those expired,
	// so that a cache without a size limit still forgets old sessions.
	now := c.now()
	for el := c.lru.Back(); el != nil && !now.Before(el.Value.(*sessionEntry).expires); el = c.lru.Back() {
		c.remove(el)
	}
	c.entries[string(id)] = c.lru.PushFront(&sessionEntry{id: string(id), state: state, expires: now.Add(c.timeout)})
	for c.size > 0 && c.lru.Len() > c.size {
		c.remove(c.lru.Back())
	}
	return id, nil
}

func (c *sessionCache) unwrap(id []byte, _ tls.ConnectionState) (*tls.SessionState, error) {
	c.mu.Lock()
	el, ok := c.entries[string(id)]
	if !ok {
		c.mu.Unlock()
		return nil, nil // not ours, evicted or expired: a full handshake
	}
	e := el.Value.(*sessionEntry)
	if !c.now().Before(e.expires) {
		c.remove(el)
		c.mu.Unlock()
		return nil, nil
	}
	c.lru.MoveToFront(el)
	state := e.state
	c.mu.Unlock()
	ss, err := tls.ParseSessionState(state)
	if err != nil {
		return nil, nil
	}
	return ss, nil
}

func (c *sessionCache) remove(el *list.Element) {
	delete(c.entries, el.Value.(*sessionEntry).id)
	c.lru.Remove(el)
}
