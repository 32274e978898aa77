//go:build faults

package faults

import (
	"context"
	"errors"
	"io"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// balancer is a TCP round-robin in front of webhook processes, as a Service
// is: it probes each backend's readiness and sends a new connection only to
// a ready one. TLS passes through; the processes share one certificate.
type balancer struct {
	mu       sync.Mutex
	backends []*webhookProc
	ready    map[*webhookProc]bool
	next     int
	refused  atomic.Int64 // connections with no ready backend
}

// startBalancer listens on 127.0.0.1:port until the test ends.
func startBalancer(t *testing.T, port int) *balancer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		t.Fatal(err)
	}
	b := &balancer{ready: map[*webhookProc]bool{}}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() {
		cancel()
		_ = ln.Close()
		wg.Wait()
	})
	wg.Add(2)
	go func() { defer wg.Done(); b.probe(ctx) }()
	go func() { defer wg.Done(); b.accept(ctx, ln, &wg) }()
	return b
}

// set replaces the backends.
func (b *balancer) set(backends ...*webhookProc) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.backends = backends
}

// probe checks every backend's /readyz every 50ms, as an endpoints
// controller would (only faster).
func (b *balancer) probe(ctx context.Context) {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		b.mu.Lock()
		backends := append([]*webhookProc(nil), b.backends...)
		b.mu.Unlock()
		ready := map[*webhookProc]bool{}
		for _, p := range backends {
			probe, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
			ready[p] = p.ready(probe)
			cancel()
		}
		b.mu.Lock()
		b.ready = ready
		b.mu.Unlock()
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// pick returns the next ready backend, or nil.
func (b *balancer) pick() *webhookProc {
	b.mu.Lock()
	defer b.mu.Unlock()
	for range b.backends {
		p := b.backends[b.next%len(b.backends)]
		b.next++
		if b.ready[p] {
			return p
		}
	}
	return nil
}

func (b *balancer) accept(ctx context.Context, ln net.Listener, wg *sync.WaitGroup) {
	for {
		conn, err := ln.Accept()
		if err != nil {
			if ctx.Err() == nil && !errors.Is(err, net.ErrClosed) {
				continue
			}
			return
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			b.forward(ctx, conn)
		}()
	}
}

// forward pipes conn to a ready backend until either side closes.
func (b *balancer) forward(ctx context.Context, conn net.Conn) {
	defer conn.Close()
	p := b.pick()
	if p == nil {
		b.refused.Add(1)
		return
	}
	var d net.Dialer
	upstream, err := d.DialContext(ctx, "tcp", "127.0.0.1:"+strconv.Itoa(p.port))
	if err != nil {
		b.refused.Add(1)
		return
	}
	defer upstream.Close()
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(upstream, conn); done <- struct{}{} }()
	go func() { _, _ = io.Copy(conn, upstream); done <- struct{}{} }()
	select {
	case <-done:
	case <-ctx.Done():
	}
}
