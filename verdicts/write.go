package verdicts

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"
)

// writeBackoff retries a conflicting write: every writer that loses a race
// merges again, so a burst of writers (a warm over many namespaces) needs as
// many rounds as there are writers at once; jitter spreads them out.
var writeBackoff = wait.Backoff{Steps: 20, Duration: 10 * time.Millisecond, Factor: 1.5, Jitter: 1, Cap: time.Second}

// Write merges add into the record namespace/name (creating it if absent),
// retrying a conflicting update: the CLI's checks call it with what they
// learnt. It needs get, create and update on that one ConfigMap.
func Write(ctx context.Context, cs kubernetes.Interface, namespace, name string, add Record) error {
	if len(add) == 0 {
		return nil
	}
	source := namespace + "/" + name
	err := retry.RetryOnConflict(writeBackoff, func() error {
		cm, err := cs.CoreV1().ConfigMaps(namespace).Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			data, err := Record{}.Merge(add, MaxEntries).Encode()
			if err != nil {
				return err
			}
			_, err = cs.CoreV1().ConfigMaps(namespace).Create(ctx, &corev1.ConfigMap{
				ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace},
				Data:       map[string]string{Key: data},
			}, metav1.CreateOptions{})
			if apierrors.IsAlreadyExists(err) {
				return apierrors.NewConflict(corev1.Resource("configmaps"), name, err) // created meanwhile: merge again
			}
			return err
		}
		if err != nil {
			return err
		}
		old, err := Decode(source, cm.Data[Key])
		if err != nil {
			old = Record{} // unreadable: replaced by what is known now
		}
		data, err := old.Merge(add, MaxEntries).Encode()
		if err != nil {
			return err
		}
		if cm.Data == nil {
			cm.Data = map[string]string{}
		}
		cm.Data[Key] = data
		_, err = cs.CoreV1().ConfigMaps(namespace).Update(ctx, cm, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		return fmt.Errorf("writing the verdict record %s: %w", source, err)
	}
	return nil
}
