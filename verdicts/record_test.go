package verdicts

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestMerge: the later check of a reference wins, whichever side it is on,
// and past the bound the oldest checks go first.
func TestMerge(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	at := func(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }
	tests := []struct {
		name     string
		old, add Record
		max      int
		want     Record
	}{
		{"into nothing", nil, Record{"p/a:1": {true, at(1)}}, 10, Record{"p/a:1": {true, at(1)}}},
		// An ECR digest refused, then served once warm pulled its tag.
		{"a later check wins", Record{"p/a@sha256:1": {false, at(1)}}, Record{"p/a@sha256:1": {true, at(2)}}, 10, Record{"p/a@sha256:1": {true, at(2)}}},
		// A writer with an older check (a slow verify) does not undo a newer one.
		{"an earlier check loses", Record{"p/a:1": {false, at(3)}}, Record{"p/a:1": {true, at(2)}}, 10, Record{"p/a:1": {false, at(3)}}},
		{"the oldest go first", Record{"p/a:1": {true, at(1)}, "p/b:1": {true, at(3)}}, Record{"p/c:1": {false, at(2)}}, 2,
			Record{"p/b:1": {true, at(3)}, "p/c:1": {false, at(2)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.old.Merge(tt.add, tt.max); fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("Merge = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestEncodeDecode: a record reads back as written, sorted by reference, and
// an unreadable one is an error naming the object.
func TestEncodeDecode(t *testing.T) {
	t.Parallel()
	r := Record{"p/b:1": {true, time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)}, "p/a:1": {false, time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)}}
	data, err := r.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(data, `{"p/a:1":{"served":false,"checked":"2026-12-07T09:00:00Z"},"p/b:1"`) {
		t.Errorf("Encode = %s, want sorted keys", data)
	}
	back, err := Decode("ns/name", data)
	if err != nil || fmt.Sprint(back) != fmt.Sprint(r) {
		t.Errorf("Decode = %v, %v; want %v", back, err, r)
	}
	if _, err := Decode("ns/name", "{"); err == nil || !strings.Contains(err.Error(), "verdict record ns/name, key verdicts") {
		t.Errorf("Decode of junk: err = %v, want one naming the record", err)
	}
}
