package certs

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

func TestSecretFilesReconcile(t *testing.T) {
	t.Parallel()
	opts := testOptions("")
	year := time.Now().Add(servingValidity)
	pair := issue(t, opts, year, year)
	other := issue(t, opts, year, year)
	tests := []struct {
		name string
		// data is the Secret's; nil means there is no Secret.
		data      map[string][]byte
		wantFiles bool
	}{
		{
			name:      "filled by the rotator",
			data:      map[string][]byte{"ca.crt": pair.caPEM, "ca.key": pair.caKeyPEM, "tls.crt": pair.certPEM, "tls.key": pair.keyPEM},
			wantFiles: true,
		},
		{
			// What ensureSecret creates, before the rotator fills it.
			name: "created empty",
			data: map[string][]byte{"tls.crt": {}, "tls.key": {}},
		},
		{
			name: "no ca",
			data: map[string][]byte{"tls.crt": pair.certPEM, "tls.key": pair.keyPEM},
		},
		{
			// Edited by hand: the rotator will replace it, and until then the old files serve.
			name: "key of another pair",
			data: map[string][]byte{"ca.crt": pair.caPEM, "tls.crt": pair.certPEM, "tls.key": other.keyPEM},
		},
		{
			// Deleted: keep serving what is on disk rather than fail.
			name: "no secret",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			key := types.NamespacedName{Namespace: opts.SecretNamespace, Name: opts.SecretName}
			var objects []client.Object
			if tt.data != nil {
				objects = append(objects, &corev1.Secret{
					ObjectMeta: metav1.ObjectMeta{Namespace: key.Namespace, Name: key.Name},
					Data:       tt.data,
				})
			}
			dir := t.TempDir()
			files := &secretFiles{
				secrets: fake.NewClientBuilder().WithObjects(objects...).Build(),
				key:     key,
				dir:     dir,
				written: make(chan struct{}),
			}
			if _, err := files.Reconcile(context.Background(), reconcile.Request{NamespacedName: key}); err != nil {
				t.Fatalf("Reconcile: %v", err)
			}
			select {
			case <-files.written:
				if !tt.wantFiles {
					t.Fatal("written closed, want it open")
				}
			default:
				if tt.wantFiles {
					t.Fatal("written open, want it closed")
				}
			}
			entries, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			if !tt.wantFiles {
				if len(entries) != 0 {
					t.Fatalf("wrote %d files, want none", len(entries))
				}
				return
			}
			got := readCertDir(t, dir)
			if !bytes.Equal(got.caPEM, pair.caPEM) || !bytes.Equal(got.certPEM, pair.certPEM) || !bytes.Equal(got.keyPEM, pair.keyPEM) {
				t.Error("files differ from the Secret")
			}
			if _, err := os.Stat(filepath.Join(dir, "ca.key")); !os.IsNotExist(err) {
				t.Errorf("ca.key written to disk (stat error %v); the CA key must stay in the Secret", err)
			}
		})
	}
}

// TestWriteCertDirKeepsUnchangedFiles guards against needless certwatcher reloads: the
// controller rewrites the same pair on every event of the Secret.
func TestWriteCertDirKeepsUnchangedFiles(t *testing.T) {
	t.Parallel()
	opts := testOptions("")
	year := time.Now().Add(servingValidity)
	first, second := issue(t, opts, year, year), issue(t, opts, year, year)
	dir := t.TempDir()
	write := func(p issued) map[string]os.FileInfo {
		t.Helper()
		if err := writeCertDir(dir, servingPair{caPEM: p.caPEM, certPEM: p.certPEM, keyPEM: p.keyPEM}); err != nil {
			t.Fatalf("writeCertDir: %v", err)
		}
		infos := map[string]os.FileInfo{}
		for _, name := range []string{"ca.crt", "tls.crt", "tls.key"} {
			info, err := os.Stat(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			infos[name] = info
		}
		return infos
	}
	before := write(first)
	same := write(first)
	changed := write(second)
	for name := range before {
		if !os.SameFile(before[name], same[name]) {
			t.Errorf("%s replaced although unchanged", name)
		}
		if os.SameFile(before[name], changed[name]) {
			t.Errorf("%s kept although changed", name)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 3 {
		t.Errorf("directory holds %d entries, want 3 (no temporary files left)", len(entries))
	}
}
