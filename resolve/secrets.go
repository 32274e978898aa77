package resolve

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// FromSecrets reads the named kubernetes.io/dockerconfigjson Secrets of namespace
// through the API, as kubelet reads a pod's imagePullSecrets, and returns their logins.
// A missing Secret or one of another type is an error naming it.
func FromSecrets(ctx context.Context, cs kubernetes.Interface, namespace string, names []string) (Credentials, error) {
	creds := Credentials{}
	for _, name := range names {
		secret, err := cs.CoreV1().Secrets(namespace).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return nil, fmt.Errorf("pull secret %s/%s: %w", namespace, name, err)
		}
		if secret.Type != corev1.SecretTypeDockerConfigJson {
			return nil, fmt.Errorf("pull secret %s/%s: type %q, want %q", namespace, name, secret.Type, corev1.SecretTypeDockerConfigJson)
		}
		if err := creds.Add(namespace+"/"+name, secret.Data[corev1.DockerConfigJsonKey]); err != nil {
			return nil, err
		}
	}
	return creds, nil
}
