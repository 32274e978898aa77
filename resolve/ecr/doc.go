// Package ecr is a go-containerregistry keychain for Amazon ECR registries
// (ACCOUNT.dkr.ecr.REGION.amazonaws.com, an ECR pull-through cache among them),
// built on the amazon-ecr-credential-helper library: it exchanges the process's
// AWS credentials for a registry token, as the kubelet's ECR credential provider
// does on EKS nodes. A package of its own so that only the binary's commands
// (verify, migrate --verify, and the webhook's served check, through
// webhook.State.UseKeychain) import the AWS SDK, not every importer of
// resolve (docs/decisions.md).
//
// Contract: only private ECR hosts cost an AWS call; any other host (ECR Public
// included, which serves anonymous pulls) resolves to anonymous. A token that
// cannot be had is an error wrapping resolve.ErrNoCredentials, with the reason
// written to the log writer.
package ecr
