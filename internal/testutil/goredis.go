package testutil

import (
	"context"
	"testing"

	"github.com/redis/go-redis/v9"
)

// RoundTrip sets key to "v:"+key through c and reads it back, the minimal
// proof that a client is served. It returns c's error (a refused
// handshake, a closed connection); a wrong value read back fails the test.
func RoundTrip(t testing.TB, c *redis.Client, key string) error {
	t.Helper()
	ctx := context.Background()
	if err := c.Set(ctx, key, "v:"+key, 0).Err(); err != nil {
		return err
	}
	v, err := c.Get(ctx, key).Result()
	if err == nil && v != "v:"+key {
		t.Fatalf("GET %s = %q", key, v)
	}
	return err
}
