// Package shim re-exports the constructor of the upstream Terraform provider, whose code lives in
// an internal package that only a module under github.com/terraform-providers/terraform-provider-random/
// may import. This module takes that path and is replaced to this directory by ../go.mod; it is
// never published.
package shim

import (
	"github.com/hashicorp/terraform-plugin-framework/provider"
	upstream "github.com/terraform-providers/terraform-provider-random/internal/provider"
)

// NewProvider returns the upstream plugin-framework provider.
func NewProvider() provider.Provider { return upstream.New() }
