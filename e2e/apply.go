package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// ApplyFile creates every object of a multi-document YAML file, in order,
// the way `kubectl create -f` would, without needing kubectl.
func ApplyFile(ctx context.Context, k8s client.Client, path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	objs, err := Decode(path, data)
	if err != nil {
		return err
	}
	return Create(ctx, k8s, path, objs)
}

// Decode splits a multi-document YAML (or JSON) stream into its objects, as
// kubectl reads one; source names the stream in errors.
func Decode(source string, data []byte) ([]*unstructured.Unstructured, error) {
	var out []*unstructured.Unstructured
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	for i := 1; ; i++ {
		obj := &unstructured.Unstructured{}
		if err := dec.Decode(&obj.Object); err != nil {
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return nil, fmt.Errorf("%s: document %d: %w", source, i, err)
		}
		if len(obj.Object) > 0 {
			out = append(out, obj)
		}
	}
}

// Create creates objs in order; source names where they came from in errors.
func Create(ctx context.Context, k8s client.Client, source string, objs []*unstructured.Unstructured) error {
	for _, obj := range objs {
		if err := k8s.Create(ctx, obj); err != nil {
			return fmt.Errorf("%s: create %s %s/%s: %w", source, obj.GetKind(), obj.GetNamespace(), obj.GetName(), err)
		}
	}
	return nil
}
