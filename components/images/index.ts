import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { ImageRegistry } from "../cluster/types";
import { AppName, BuildContext } from "./build-context";

export { appNames, resolveBuildContext, BuildContextError } from "./build-context";
export type { AppName, BuildContext } from "./build-context";

/** The mutable tag that carries BuildKit's inline cache; the release tags stay immutable. */
export const CACHE_TAG = "buildcache";

export interface AppImagesArgs {
    /** Checked and hashed up front by `resolveBuildContext`, before anything is registered. */
    contexts: BuildContext[];
    registry: ImageRegistry;
    platform: string;
    /**
     * OCI labels: version and source (repository URL). The revision label is the context's content hash, not the git
     * commit: a commit that leaves an app untouched must not rebuild its image.
     */
    labels: { version: string; source?: string };
    /** Pull `:buildcache` before building and push the new image there afterwards. */
    registryCache: boolean;
}

/**
 * Builds and pushes the three application images. Nothing here depends on the cluster: the registry's
 * `pushDependsOn` holds only the repositories (or the local registry container), so builds run while
 * the cluster is still being created.
 */
export class AppImages extends pulumi.ComponentResource {
    /** `repository@sha256:...` per image: pods always run exactly what was built. */
    public readonly digests: Record<AppName, pulumi.Output<string>>;

    constructor(name: string, args: AppImagesArgs, opts?: pulumi.ComponentResourceOptions) {
        super("nsip:images:AppImages", name, {}, opts);

        const registryAuth = args.registry.credentials?.apply((c) => [{ address: c.server, username: c.username, password: c.password }]);
        const pusher = new docker.Provider(`${name}-docker`, { registryAuth: registryAuth ?? [] }, { parent: this });

        const digests = {} as Record<AppName, pulumi.Output<string>>;
        for (const ctx of args.contexts) {
            const repository = args.registry.repositoryUrl(ctx.name);
            const cacheRef = pulumi.interpolate`${repository}:${CACHE_TAG}`;
            const image = new docker.Image(
                `${name}-${ctx.name}`,
                {
                    imageName: pulumi.interpolate`${repository}:${ctx.contentTag}`,
                    build: {
                        context: ctx.context,
                        dockerfile: ctx.dockerfile,
                        platform: args.platform,
                        args: {
                            VERSION: args.labels.version,
                            REVISION: ctx.contentTag,
                            ...(args.labels.source ? { SOURCE: args.labels.source } : {}),
                            // Embeds cache metadata in the pushed image so `cacheFrom` can reuse its layers.
                            ...(args.registryCache ? { BUILDKIT_INLINE_CACHE: "1" } : {}),
                        },
                        cacheFrom: args.registryCache ? { images: [cacheRef] } : undefined,
                    },
                    registry: args.registry.credentials,
                    skipPush: false,
                },
                { parent: this, provider: pusher, dependsOn: args.registry.pushDependsOn },
            );
            digests[ctx.name] = image.repoDigest;

            if (args.registryCache) {
                const cacheTag = new docker.Tag(
                    `${name}-${ctx.name}-cache`,
                    { sourceImage: image.imageName, targetImage: cacheRef },
                    { parent: this, provider: pusher },
                );
                new docker.RegistryImage(
                    `${name}-${ctx.name}-cache`,
                    { name: cacheTag.targetImage, keepRemotely: true, triggers: { digest: image.repoDigest } },
                    { parent: this, provider: pusher },
                );
            }
        }
        this.digests = digests;
        this.registerOutputs({ digests });
    }
}
