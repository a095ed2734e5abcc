/** Image types the analyzer accepts, recognised by their leading bytes rather than by what the client claims. */
export const ACCEPTED_IMAGE_TYPES = ["image/png", "image/jpeg", "image/webp", "image/gif"] as const;
export type ImageType = (typeof ACCEPTED_IMAGE_TYPES)[number];

const startsWith = (bytes: Uint8Array, signature: readonly number[], offset = 0): boolean =>
  bytes.length >= offset + signature.length && signature.every((byte, index) => bytes[offset + index] === byte);

const ascii = (text: string): number[] => [...text].map((char) => char.charCodeAt(0));

export function sniffImageType(bytes: Uint8Array): ImageType | undefined {
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return "image/png";
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return "image/jpeg";
  if (startsWith(bytes, ascii("GIF87a")) || startsWith(bytes, ascii("GIF89a"))) return "image/gif";
  if (startsWith(bytes, ascii("RIFF")) && startsWith(bytes, ascii("WEBP"), 8)) return "image/webp";
  return undefined;
}

export function isAcceptedImageType(type: string): type is ImageType {
  return (ACCEPTED_IMAGE_TYPES as readonly string[]).includes(type);
}

/** "image/JPEG; charset=x" -> "image/jpeg"; the legacy "image/jpg" counts as JPEG. */
export function normaliseMediaType(type: string): string {
  const base = type.split(";")[0]?.trim().toLowerCase() ?? "";
  return base === "image/jpg" || base === "image/pjpeg" ? "image/jpeg" : base;
}
