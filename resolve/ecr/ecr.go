package ecr

import (
	"context"
	"fmt"
	"io"

	ecrlogin "github.com/awslabs/amazon-ecr-credential-helper/ecr-login"
	"github.com/awslabs/amazon-ecr-credential-helper/ecr-login/api"
	"github.com/google/go-containerregistry/pkg/authn"

	"github.com/pullthrough/pullthrough/resolve"
)

// Keychain exchanges the AWS credentials the process has (IRSA or EKS Pod
// Identity for a pod, an instance role, the environment, a profile) for ECR
// tokens. Why a token could not be had is written to log.
func Keychain(ctx context.Context, log io.Writer) authn.Keychain {
	return ecrKeychain{helper: ecrlogin.NewECRHelper(ecrlogin.WithContext(ctx), ecrlogin.WithLogger(log))}
}

// ecrKeychain is Keychain's keychain.
type ecrKeychain struct{ helper *ecrlogin.ECRHelper }

// Resolve implements authn.Keychain.
func (k ecrKeychain) Resolve(r authn.Resource) (authn.Authenticator, error) {
	host := r.RegistryStr()
	if reg, err := api.ExtractRegistry(host); err != nil || reg.Service != api.ServiceECR {
		// Not a private ECR registry (ECR Public serves anonymous pulls): the
		// other keychains decide.
		return authn.Anonymous, nil
	}
	user, password, err := k.helper.Get(host)
	if err != nil {
		return nil, fmt.Errorf("%w for %s: no ECR token from the AWS credentials of this process (IRSA, Pod Identity, instance role or environment; the reason is logged above): %w", resolve.ErrNoCredentials, host, err)
	}
	return authn.FromConfig(authn.AuthConfig{Username: user, Password: password}), nil
}
