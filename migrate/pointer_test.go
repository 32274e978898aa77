package migrate

import "testing"

func TestLookupAndSetString(t *testing.T) {
	t.Parallel()
	doc := func() map[string]any {
		return map[string]any{
			"spec": map[string]any{
				"containers": []any{map[string]any{"image": "nginx"}},
				"replicas":   int64(2),
			},
			"data": map[string]any{"a/b": "text"},
		}
	}
	tests := []struct {
		name    string
		path    string
		want    string
		found   bool
		setFail bool
	}{
		{"list element", "/spec/containers/0/image", "nginx", true, false},
		{"escaped key", "/data/a~1b", "text", true, false},
		{"index out of range", "/spec/containers/1/image", "", false, true},
		{"not a string", "/spec/replicas", "", false, false},
		{"missing member", "/spec/missing", "", false, true},
		{"not a pointer", "spec", "", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := doc()
			got, found := lookupString(d, tt.path)
			if got != tt.want || found != tt.found {
				t.Fatalf("lookupString = %q, %v; want %q, %v", got, found, tt.want, tt.found)
			}
			err := setString(d, tt.path, "new")
			if (err != nil) != tt.setFail {
				t.Fatalf("setString error = %v, want failure %v", err, tt.setFail)
			}
			if err == nil {
				if got, _ := lookupString(d, tt.path); got != "new" {
					t.Fatalf("after setString, value = %q", got)
				}
			}
		})
	}
}
