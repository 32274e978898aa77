package process

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

const kubeconfigYAML = `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
current-context: c
`

// TestKube: every client comes from the one kubeconfig with the caller's
// rate and timeout, and a kubeconfig that cannot be used is a
// KubeconfigError naming which one.
func TestKube(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(good, []byte(kubeconfigYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	loaded := &clientcmdapi.Config{
		Clusters:  map[string]*clientcmdapi.Cluster{"c": {Server: "https://127.0.0.1:1"}},
		AuthInfos: map[string]*clientcmdapi.AuthInfo{"u": {Token: "t"}},
		Contexts:  map[string]*clientcmdapi.Context{"c": {Cluster: "c", AuthInfo: "u"}},
	}
	tests := []struct {
		name    string
		kube    *Kube
		wantErr string // the KubeconfigError's What; "" for none
	}{
		{"a kubeconfig file", Kubeconfig(good), ""},
		{"a missing file", Kubeconfig(filepath.Join(dir, "missing")), "kubeconfig"},
		{"a context of a loaded kubeconfig", Context(loaded, "c"), ""},
		{"a context the kubeconfig lacks", Context(loaded, "gone"), "kubeconfig context gone"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.kube.QPS, tt.kube.Burst, tt.kube.Timeout = 20, 40, 7*time.Second
			rc, err := tt.kube.Config()
			if tt.wantErr != "" {
				var ke *KubeconfigError
				if !errors.As(err, &ke) || ke.What != tt.wantErr || !strings.HasPrefix(err.Error(), tt.wantErr+": ") {
					t.Fatalf("Config: %v, want a KubeconfigError of %q", err, tt.wantErr)
				}
				if _, err := tt.kube.Typed(); !errors.As(err, &ke) {
					t.Errorf("Typed: %v, want a KubeconfigError", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Config: %v", err)
			}
			if rc.QPS != 20 || rc.Burst != 40 || rc.Timeout != 7*time.Second || rc.Host != "https://127.0.0.1:1" {
				t.Errorf("rest config: host %s, QPS %v, burst %d, timeout %s; want the kubeconfig's host, 20, 40, 7s", rc.Host, rc.QPS, rc.Burst, rc.Timeout)
			}
			if _, err := tt.kube.Typed(); err != nil {
				t.Errorf("Typed: %v", err)
			}
			if _, err := tt.kube.Dynamic(); err != nil {
				t.Errorf("Dynamic: %v", err)
			}
			if _, err := tt.kube.Metadata(); err != nil {
				t.Errorf("Metadata: %v", err)
			}
		})
	}
}
