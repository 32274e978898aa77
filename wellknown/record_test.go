package wellknown

import (
	"maps"
	"testing"
)

func TestRecordRoundTrip(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		record map[string]string
		want   string
	}{
		{"empty", map[string]string{}, `{}`},
		{"sorted keys", map[string]string{"b": "2", "a": "1", "volume:a": "3"}, `{"a":"1","b":"2","volume:a":"3"}`},
		// A ConfigMap's text is kept as written, never as \u003c.
		{"no HTML escaping", map[string]string{"/data/x": "a < b && c > d"}, `{"/data/x":"a < b && c > d"}`},
		{"JSON pointer keys", map[string]string{"/spec/template/spec/volumes/1/image/reference": "ghcr.io/a/m:1"}, `{"/spec/template/spec/volumes/1/image/reference":"ghcr.io/a/m:1"}`},
	} {
		got := EncodeRecord(tc.record)
		if got != tc.want {
			t.Errorf("%s: EncodeRecord = %s, want %s", tc.name, got, tc.want)
		}
		back, err := DecodeRecord(got)
		if err != nil || !maps.Equal(back, tc.record) {
			t.Errorf("%s: DecodeRecord(%s) = %v, %v", tc.name, got, back, err)
		}
	}
	for _, bad := range []string{"", "edited by hand", `["a"]`, `{"a":1}`} {
		if _, err := DecodeRecord(bad); err == nil {
			t.Errorf("DecodeRecord(%q): no error for a value that is not a record", bad)
		}
	}
}
