package webhook

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// limitedServer serves the mutate path, bounded by limits, on a real
// net/http server on 127.0.0.1: deadlines are the connection's. Its channel
// receives once, when the first request reaches the handler.
func limitedServer(t *testing.T, limits Limits) (*fixture, *httptest.Server, <-chan struct{}) {
	t.Helper()
	f := limitedFixture(t, limits)
	entered := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case entered <- struct{}{}:
		default:
		}
		f.mutate.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return f, srv, entered
}

// stalledRequest opens a connection to srv and sends the headers of a
// review of length bytes, then sent bytes of its body, and no more.
func stalledRequest(t *testing.T, srv *httptest.Server, length, sent int) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	head := fmt.Sprintf("POST /mutate-pods HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", length)
	if _, err := conn.Write(append([]byte(head), bytes.Repeat([]byte(" "), sent)...)); err != nil {
		t.Fatal(err)
	}
	return conn
}

// closedWithin reports whether the server ends conn (answers and closes,
// or just closes) within d.
func closedWithin(t *testing.T, conn net.Conn, d time.Duration) bool {
	t.Helper()
	if err := conn.SetReadDeadline(time.Now().Add(d)); err != nil {
		t.Fatal(err)
	}
	_, err := io.Copy(io.Discard, conn)
	// EOF or a reset (the body was still coming): closed by the server; a
	// timeout of our deadline: still open.
	var ne net.Error
	return !errors.As(err, &ne) || !ne.Timeout()
}

func TestSlowBodyDropped(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		length   int
		sent     int
		trickled bool // one more byte every 20 ms after the first ones
	}{
		{name: "a body that stalls", length: 1000, sent: 10},
		{name: "a body that never starts", length: 1000},
		{name: "a body sent a byte at a time", length: 1000, sent: 1, trickled: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, srv, _ := limitedServer(t, Limits{ReadTimeout: 300 * time.Millisecond})
			conn := stalledRequest(t, srv, tt.length, tt.sent)
			if tt.trickled {
				go func() {
					for range tt.length {
						time.Sleep(20 * time.Millisecond)
						if _, err := conn.Write([]byte(" ")); err != nil {
							return // dropped, as it must be
						}
					}
				}()
			}
			start := time.Now()
			if !closedWithin(t, conn, 5*time.Second) {
				t.Fatalf("a connection with a stalled body still open after %s, with a read timeout of 300ms", time.Since(start).Round(time.Millisecond))
			}
		})
	}
}

func TestBytesInFlight(t *testing.T) {
	t.Parallel()
	small := wideReview(t, 1)
	tests := []struct {
		name string
		// held is the Content-Length of a request whose body stalls while
		// a review of len(small) bytes is sent.
		held     int
		wantCode int
	}{
		{name: "room left", held: 2000, wantCode: http.StatusOK},
		{name: "no room", held: 4000, wantCode: http.StatusTooManyRequests},
		// Of unknown length, a body takes the most that is ever read.
		{name: "no room, chunked", held: -1, wantCode: http.StatusTooManyRequests},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			limit := int64(2000 + len(small))
			// The held body is dropped 1 s after its headers; a request
			// waits at most half that for room.
			f, srv, entered := limitedServer(t, Limits{MaxBytesInFlight: limit, ReadTimeout: time.Second})
			if tt.held < 0 {
				held := stalledChunked(t, srv)
				defer func() { _ = held.Close() }()
			} else {
				held := stalledRequest(t, srv, tt.held, 1)
				defer func() { _ = held.Close() }()
			}
			<-entered                         // the held request is in the handler,
			time.Sleep(50 * time.Millisecond) // and has taken its room
			status, header, body := postRaw(t, srv, small)
			if status != tt.wantCode {
				t.Fatalf("HTTP %d (%s), want %d", status, body, tt.wantCode)
			}
			overloaded := testutil.ToFloat64(f.metrics.requests.WithLabelValues(operationOther, resultOverloaded))
			if tt.wantCode != http.StatusTooManyRequests {
				if overloaded != 0 {
					t.Errorf("overloaded = %v for a request that was served", overloaded)
				}
				return
			}
			if header.Get("Retry-After") == "" || !strings.Contains(string(body), "request bytes in flight") || overloaded != 1 {
				t.Errorf("Retry-After %q, body %q, overloaded %v: want a Retry-After, the limit named, 1 counted", header.Get("Retry-After"), body, overloaded)
			}
			// Once the held body is dropped (ReadTimeout), there is room again.
			time.Sleep(time.Second)
			if status, _, _ := postRaw(t, srv, small); status != http.StatusOK {
				t.Errorf("after the held request timed out: HTTP %d, want 200", status)
			}
		})
	}
}

// stalledChunked sends the headers of a chunked review and one chunk.
func stalledChunked(t *testing.T, srv *httptest.Server) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(conn)
	_, _ = w.WriteString("POST /mutate-pods HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n1\r\n \r\n")
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return conn
}

// postRaw posts body to srv's mutate path and returns the answer and its body.
func postRaw(t *testing.T, srv *httptest.Server, body []byte) (status int, header http.Header, got []byte) {
	t.Helper()
	resp, err := http.Post(srv.URL+"/mutate-pods", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	got, err = io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, got
}
