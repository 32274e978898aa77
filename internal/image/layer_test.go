package image

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
)

var created = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

func TestLayer(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		files   []File
		entries []string // name:mode, in order
		err     string
	}{
		{"parents made, sorted", []File{{Path: "/b/c/f", Mode: 0o644, Data: []byte("x")}, {Path: "/a", Mode: 0o755}},
			[]string{"a:755", "b/:755", "b/c/:755", "b/c/f:644"}, ""},
		// A shared parent is written once.
		{"siblings", []File{{Path: "/d/x", Mode: 0o600}, {Path: "/d/y", Mode: 0o600}},
			[]string{"d/:755", "d/x:600", "d/y:600"}, ""},
		{"relative path refused", []File{{Path: "etc/x"}}, nil, `"etc/x": want an absolute path`},
		{"root refused", []File{{Path: "/"}}, nil, `"/": want an absolute path`},
		// Two spellings of one path would otherwise give a tar with two entries.
		{"duplicate refused", []File{{Path: "/x"}, {Path: "//x"}}, nil, `"//x": given twice`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			data, err := tarStream(tt.files, created)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			r := tar.NewReader(bytes.NewReader(data))
			for {
				h, err := r.Next()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				if !h.ModTime.Equal(created) || h.Uid != 0 || h.Gid != 0 || h.Uname != "" || len(h.PAXRecords) > 0 {
					t.Errorf("%s: mtime %v uid %d gid %d uname %q pax %v: want only the fixed time, root, no names",
						h.Name, h.ModTime, h.Uid, h.Gid, h.Uname, h.PAXRecords)
				}
				got = append(got, fmt.Sprintf("%s:%o", h.Name, h.Mode))
			}
			if strings.Join(got, " ") != strings.Join(tt.entries, " ") {
				t.Errorf("entries = %v, want %v", got, tt.entries)
			}
		})
	}
}

// TestLayerReproducible: the same files give the same digest, whatever
// their order; another time gives another digest.
func TestLayerReproducible(t *testing.T) {
	t.Parallel()
	a := []File{{Path: "/x", Mode: 0o644, Data: []byte("1")}, {Path: "/y/z", Mode: 0o755, Data: []byte("2")}}
	b := []File{a[1], a[0]}
	digest := func(files []File, at time.Time) string {
		l, err := Layer(files, at)
		if err != nil {
			t.Fatal(err)
		}
		d, err := l.Digest()
		if err != nil {
			t.Fatal(err)
		}
		return d.String()
	}
	if x, y := digest(a, created), digest(b, created); x != y {
		t.Errorf("same files in another order: %s != %s", x, y)
	}
	if x, y := digest(a, created), digest(a, created.Add(time.Second)); x == y {
		t.Errorf("another time, same digest %s", x)
	}
}
