package verdicts

import (
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/pullthrough/pullthrough/resolve"
)

// DefaultName is the record's ConfigMap in the release namespace.
const DefaultName = "pullthrough-verdicts"

// Key is the ConfigMap data key that holds the record.
const Key = "verdicts"

// MaxEntries bounds the record: about 150 bytes an entry keeps it near
// 300 KB, well under a ConfigMap's 1 MiB.
const MaxEntries = 2000

// Entry is what was seen of one proxy reference.
type Entry struct {
	// Served is whether the proxy served it (a manifest HEAD or a pull
	// succeeded); false is a refusal (404), never a failed check.
	Served bool `json:"served"`
	// Checked is when.
	Checked time.Time `json:"checked"`
}

// Record is the record's content: proxy reference to Entry.
type Record map[string]Entry

// Decode reads a record; source names it in errors (namespace/name).
func Decode(source, data string) (Record, error) {
	r := Record{}
	if data == "" {
		return r, nil
	}
	if err := json.Unmarshal([]byte(data), &r); err != nil {
		return nil, fmt.Errorf("verdict record %s, key %s: %w", source, Key, err)
	}
	return r, nil
}

// Encode writes r as JSON with sorted keys (encoding/json sorts map keys).
func (r Record) Encode() (string, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return "", fmt.Errorf("encoding the verdict record: %w", err)
	}
	return string(b), nil
}

// Merge returns r with add's entries, the later check of a reference
// winning, and at most max entries: the oldest checks are dropped first
// (ties by reference, so the result does not depend on map order).
func (r Record) Merge(add Record, max int) Record {
	out := maps.Clone(r)
	if out == nil {
		out = Record{}
	}
	for ref, e := range add {
		if old, ok := out[ref]; !ok || e.Checked.After(old.Checked) {
			out[ref] = e
		}
	}
	if len(out) <= max {
		return out
	}
	refs := slices.SortedFunc(maps.Keys(out), func(a, b string) int {
		if c := out[a].Checked.Compare(out[b].Checked); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	for _, ref := range refs[:len(refs)-max] {
		delete(out, ref)
	}
	return out
}

// Note adds what a check of ref answered at checked: served, or refused
// (not found); any other answer says nothing of the reference and is left
// out, as the webhook leaves it out of its own verdicts.
func (r Record) Note(ref string, res resolve.Result, checked time.Time) {
	switch res.Status {
	case resolve.StatusServed:
		r[ref] = Entry{Served: true, Checked: checked}
	case resolve.StatusNotFound:
		r[ref] = Entry{Served: false, Checked: checked}
	}
}
