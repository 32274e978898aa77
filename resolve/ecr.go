package resolve

import (
	"context"
	"fmt"
	"io"

	ecr "github.com/awslabs/amazon-ecr-credential-helper/ecr-login"
	"github.com/awslabs/amazon-ecr-credential-helper/ecr-login/api"
	"github.com/google/go-containerregistry/pkg/authn"
)

// ECR is a keychain for Amazon ECR registries (ACCOUNT.dkr.ecr.REGION.amazonaws.com,
// an ECR pull-through cache among them): it exchanges the AWS credentials the
// process has (IRSA or EKS Pod Identity for a pod, an instance role, the
// environment, a profile) for a registry token, as the kubelet's ECR credential
// provider does on the nodes. Any other registry resolves to anonymous without
// an AWS call. Why a credential could not be had is written to log.
func ECR(ctx context.Context, log io.Writer) authn.Keychain {
	return ecrKeychain{helper: ecr.NewECRHelper(ecr.WithContext(ctx), ecr.WithLogger(log))}
}

// ecrKeychain is ECR's keychain.
type ecrKeychain struct{ helper *ecr.ECRHelper }

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
		return nil, fmt.Errorf("%w for %s: no ECR token from the AWS credentials of this process (IRSA, Pod Identity, instance role or environment; the reason is logged above): %w", errCredentialSource, host, err)
	}
	return authn.FromConfig(authn.AuthConfig{Username: user, Password: password}), nil
}
