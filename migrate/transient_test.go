package migrate

import (
	"context"
	"errors"
	"net/url"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func TestTransient(t *testing.T) {
	t.Parallel()
	gr := schema.GroupResource{Group: "apps", Resource: "deployments"}
	stopped, stop := context.WithCancel(context.Background())
	stop()
	tests := []struct {
		name string
		ctx  context.Context
		err  error
		want bool
	}{
		{"conflict", context.Background(), apierrors.NewConflict(gr, "web", errors.New("busy")), true},
		{"internal error", context.Background(), apierrors.NewInternalError(errors.New("etcd")), true},
		{"server timeout", context.Background(), apierrors.NewServerTimeout(gr, "patch", 1), true},
		{"too many requests", context.Background(), apierrors.NewTooManyRequests("slow down", 1), true},
		{"unavailable", context.Background(), apierrors.NewServiceUnavailable("restarting"), true},
		// No answer: the patch may or may not have landed; its test
		// operations make the repeat safe either way.
		{"client timeout", context.Background(), &url.Error{Op: "Patch", URL: "https://api", Err: context.DeadlineExceeded}, true},
		// Final answers.
		{"forbidden", context.Background(), apierrors.NewForbidden(gr, "web", errors.New("rbac")), false},
		{"not found", context.Background(), apierrors.NewNotFound(gr, "web"), false},
		{"invalid", context.Background(), apierrors.NewInvalid(schema.GroupKind{Group: "apps", Kind: "Deployment"}, "web", nil), false},
		// The run was stopped (SIGINT): never retried.
		{"stopped", stopped, apierrors.NewInternalError(errors.New("etcd")), false},
		{"cancelled request", context.Background(), &url.Error{Op: "Patch", URL: "https://api", Err: context.Canceled}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := transient(tt.ctx, tt.err); got != tt.want {
				t.Errorf("transient(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}
