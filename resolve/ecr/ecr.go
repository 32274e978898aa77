// Package ecr is a go-containerregistry keychain for Amazon ECR registries
// (ACCOUNT.dkr.ecr.REGION.amazonaws.com, an ECR pull-through cache among them),
// built on the amazon-ecr-credential-helper library: it exchanges the process's
// AWS credentials for a registry token, as the kubelet's ECR credential provider
// does on EKS nodes. A package of its own so that only the verifying commands
// import the AWS SDK, not every importer of resolve (docs/decisions.md).
//
// Contract: only private ECR hosts cost an AWS call; any other host (ECR Public
// included, which serves anonymous pulls) resolves to anonymous. A token that
// cannot be had is an error wrapping resolve.ErrNoCredentials, with the reason
// written to the log writer.
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
