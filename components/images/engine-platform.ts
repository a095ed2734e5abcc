import { DEFAULT_DOCKER_HOST, dockerEngineGet } from "../docker-engine";

/** The platforms `nsip:images.platform` accepts (stacks/schema.ts). */
export const IMAGE_PLATFORMS = ["linux/amd64", "linux/arm64"] as const;
export type ImagePlatform = (typeof IMAGE_PLATFORMS)[number];

const HINT = "set nsip:images.platform (linux/amd64 or linux/arm64) to skip the question";

/**
 * The Docker engine's own platform (GET /version: Os/Arch), i.e. the platform a k3s node container on that engine
 * runs: images built for it run natively instead of failing to pull or running emulated. Reads DOCKER_HOST as the
 * Docker provider does (tools/dev-up.sh exports it from the docker CLI's context).
 */
export async function dockerEnginePlatform(dockerHost = process.env.DOCKER_HOST || DEFAULT_DOCKER_HOST): Promise<ImagePlatform> {
    const body = await dockerEngineGet(dockerHost, "/version").catch((error: Error) => {
        throw new Error(`cannot ask the Docker engine at ${dockerHost} for its platform (${error.message}); start Docker or ${HINT}`);
    });
    const { Os, Arch } = JSON.parse(body) as { Os?: string; Arch?: string };
    const platform = `${Os}/${Arch}`;
    if (!(IMAGE_PLATFORMS as readonly string[]).includes(platform)) {
        throw new Error(`the Docker engine at ${dockerHost} runs ${platform}, which the images are not built for; ${HINT}`);
    }
    return platform as ImagePlatform;
}

/**
 * The build platform: the stack's `nsip:images.platform` when set; else, on the local cluster, the Docker engine's
 * own (its k3s node is that engine); else linux/amd64, the EKS node group's AMI type (AL2023_x86_64_STANDARD).
 */
export async function imagePlatform(
    configured: ImagePlatform | undefined,
    clusterProvider: string,
    askEngine: () => Promise<ImagePlatform> = () => dockerEnginePlatform(),
): Promise<ImagePlatform> {
    if (configured !== undefined) return configured;
    return clusterProvider === "local" ? askEngine() : "linux/amd64";
}
