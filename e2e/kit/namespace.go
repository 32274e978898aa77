package kit

import (
	"context"
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/pullthrough/pullthrough/config"
	"github.com/pullthrough/pullthrough/wellknown"
)

// deleteTimeout bounds the deletion of a test's namespace at its end, when
// the test's own context is already done.
const deleteTimeout = 30 * time.Second

// Namespace creates namespace name with labels (nil for none), fails t if it
// cannot, and deletes it when t ends, so that a namespace of one subtest is
// not met by the next on a shared control plane.
func Namespace(t testing.TB, cs kubernetes.Interface, name string, labels map[string]string) {
	t.Helper()
	if err := CreateNamespace(t.Context(), cs, name, labels); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), deleteTimeout)
		defer cancel()
		// NotFound or Conflict: the test deleted it already, and it is gone
		// or being emptied.
		err := cs.CoreV1().Namespaces().Delete(ctx, name, metav1.DeleteOptions{})
		if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
			t.Errorf("delete namespace %s: %v", name, err)
		}
	})
}

// CreateNamespace creates namespace name with labels (nil for none) and
// leaves it: for the Lab and the demo, which are not tests, and for a
// namespace a later subtest still uses.
func CreateNamespace(ctx context.Context, cs kubernetes.Interface, name string, labels map[string]string) error {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
	if _, err := cs.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("create namespace %s: %w", name, err)
	}
	return nil
}

// ModeLabels are the labels of a namespace in mode: none for "" (the
// config's mode), else wellknown.LabelMode. An empty label would not do: any
// value but enforce and off is a typo, which routes to audit.
func ModeLabels(mode config.Mode) map[string]string {
	if mode == "" {
		return nil
	}
	return map[string]string{wellknown.LabelMode: string(mode)}
}
