package deploy

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/pullthrough/pullthrough/e2e/cluster"
	"github.com/pullthrough/pullthrough/e2e/kit"
	"github.com/pullthrough/pullthrough/verdicts"
	"github.com/pullthrough/pullthrough/webhook"
)

// TestVerdictRecordRBAC renders the chart with verdictRecord and a verifying
// migrator, installs the record, its Roles and the ServiceAccounts on a real
// API server, writes the record as the migrator (the writer Role) and runs
// the webhook's watcher as the webhook's ServiceAccount: each grant is
// enough, the webhook decides from what the migrator wrote without asking
// the proxy, and neither can read or write any other ConfigMap.
func TestVerdictRecordRBAC(t *testing.T) {
	c := cluster.StartForTest(t, cluster.Options{})
	objs := renderChart(t, "verdictRecord: {enabled: true}\nmigrator: {enabled: true, verify: true}\n",
		"templates/serviceaccount.yaml", "templates/verdicts.yaml", "templates/migrator-rbac.yaml")
	admin, err := kubernetes.NewForConfig(c.Config())
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	kit.Namespace(t, admin, releaseNamespace, nil)
	install(t, c, objs)
	other := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "other", Namespace: releaseNamespace}}
	if _, err := admin.CoreV1().ConfigMaps(releaseNamespace).Create(ctx, other, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	const record = "pullthrough-verdicts"
	as := func(name string) kubernetes.Interface {
		cs, err := kubernetes.NewForConfig(serviceAccountUser(t, c, releaseNamespace, name).Config)
		if err != nil {
			t.Fatal(err)
		}
		return cs
	}
	hook, writer := as("pullthrough"), as("pullthrough-migrator")

	var asked atomic.Int32
	proxy := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v2/" {
			asked.Add(1)
		}
		w.WriteHeader(http.StatusNotFound) // only the record can say served
	}))
	defer proxy.Close()
	host := strings.TrimPrefix(proxy.URL, "https://")
	if err := verdicts.Write(ctx, writer, releaseNamespace, record, verdicts.Record{host + "/library/app:1": {Served: true, Checked: time.Now()}}); err != nil {
		t.Fatalf("the migrator, with the writer Role, cannot write the record: %v", err)
	}

	state := kit.ProxyState(t, proxy)
	reg := prometheus.NewRegistry()
	w, err := verdicts.NewWatcher(hook, releaseNamespace, record, state, reg, logr.Discard())
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = w.Start(ctx) }()
	kit.Eventually(t, "the watcher, as the webhook's ServiceAccount, to read the record", func(context.Context) error {
		if errs := counted(t, reg, "pullthrough_verdict_record_errors_total"); errs > 0 {
			t.Fatalf("the watcher's list or watch was refused (%v errors)", errs)
		}
		if !w.Synced() {
			return errors.New("not synced")
		}
		return nil
	})
	h := kit.Handler(t, state, webhook.PathMutate)
	if resp := h.Handle(ctx, kit.PodRequest(t, "shop", "library/app:1")); len(resp.Patches) == 0 || asked.Load() != 0 {
		t.Errorf("the webhook left library/app:1 as written (%d patches) or asked the proxy (%d times): the record's served verdict did not reach it", len(resp.Patches), asked.Load())
	}

	for what, err := range map[string]error{
		"webhook: get another ConfigMap":          get(hook.CoreV1().ConfigMaps(releaseNamespace).Get(ctx, other.Name, metav1.GetOptions{})),
		"webhook: list every ConfigMap":           get(hook.CoreV1().ConfigMaps(releaseNamespace).List(ctx, metav1.ListOptions{})),
		"webhook: update the record":              get(hook.CoreV1().ConfigMaps(releaseNamespace).Update(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: record, Namespace: releaseNamespace}}, metav1.UpdateOptions{})),
		"webhook: the record's name elsewhere":    get(hook.CoreV1().ConfigMaps("default").Get(ctx, record, metav1.GetOptions{})),
		"writer: get another ConfigMap":           get(writer.CoreV1().ConfigMaps(releaseNamespace).Get(ctx, other.Name, metav1.GetOptions{})),
		"writer: update another ConfigMap":        get(writer.CoreV1().ConfigMaps(releaseNamespace).Update(ctx, other, metav1.UpdateOptions{})),
		"writer: create a ConfigMap":              get(writer.CoreV1().ConfigMaps(releaseNamespace).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "x"}}, metav1.CreateOptions{})),
		"writer: delete the record":               writer.CoreV1().ConfigMaps(releaseNamespace).Delete(ctx, record, metav1.DeleteOptions{}),
		"writer: list (the record's data is all)": get(writer.CoreV1().ConfigMaps(releaseNamespace).List(ctx, metav1.ListOptions{})),
	} {
		if !apierrors.IsForbidden(err) {
			t.Errorf("%s: %v, want forbidden", what, err)
		}
	}
}
