// Package random maps the upstream Terraform random provider onto the Pulumi package that
// @pulumi/random speaks: package "random", every resource in module "index", token names
// "Random" + the camel-cased Terraform name (random_password -> random:index/randomPassword:RandomPassword),
// property names camel-cased by the bridge (override_special -> overrideSpecial). Both
// cmd/pulumi-tfgen-random (build time: writes the schema and bridge metadata) and
// cmd/pulumi-resource-random (the plugin, which embeds them) use this one mapping.
package random

import (
	"context"
	"fmt"

	pf "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/terraform-providers/terraform-provider-random/shim"
)

// Version is stamped by tools/pulumi/binaries.sh (-ldflags -X) from versions.env.
var Version string

// Info returns the bridge's description of the provider. metadata is the bridge metadata that
// tfgen wrote (nil when tfgen itself runs and records it afresh).
func Info(metadata []byte) tfbridge.ProviderInfo {
	info := tfbridge.ProviderInfo{
		P:            pf.ShimProvider(shim.NewProvider()),
		Name:         "random",
		Version:      Version,
		Description:  "Random values for Pulumi programs: the Terraform random provider, bridged (an nsip test build).",
		License:      "Apache-2.0",
		MetadataInfo: tfbridge.NewProviderMetadata(metadata),
		Resources: map[string]*tfbridge.ResourceInfo{
			// random_bytes has no id attribute: its id is its base64 value, as in pulumi-random.
			"random_bytes": {ComputeID: bytesID},
			// Older pulumi-random releases wrote RandomString state without a schema version;
			// treat such state as version 1 so the upstream state upgraders accept it.
			"random_string": {PreStateUpgradeHook: func(args tfbridge.PreStateUpgradeHookArgs) (int64, resource.PropertyMap, error) {
				if args.PriorStateSchemaVersion == 0 {
					return 1, args.PriorState, nil
				}
				return args.PriorStateSchemaVersion, args.PriorState, nil
			}},
		},
		EnableAccurateBridgePreview: true,
		EnableRawStateDelta:         true,
	}
	info.MustComputeTokens(tokens.SingleModule("random_", "index", func(module, name string) (string, error) {
		return tokens.MakeStandard("random")(module, "Random"+name)
	}))
	info.MustApplyAutoAliases()
	return info
}

func bytesID(_ context.Context, state resource.PropertyMap) (resource.ID, error) {
	v, ok := state["base64"]
	if !ok {
		return "", fmt.Errorf("random_bytes state has no base64 property")
	}
	if v.IsSecret() {
		v = v.SecretValue().Element
	}
	if !v.IsString() {
		return "", fmt.Errorf("random_bytes base64 property is not a string")
	}
	return resource.ID(v.StringValue()), nil
}
