import { jwtVerify, SignJWT } from "jose";
import { z } from "zod";
import type { ListPosition } from "./analysis.js";
import { HttpError } from "./errors.js";

const AUDIENCE = "nsip-api:analyses-cursor";
const ALGORITHM = "HS256";

const claimsSchema = z.object({
  createdAt: z.iso.datetime(),
  id: z.uuid(),
});

/** Pagination cursors are HS256-signed compact JWTs, so clients can pass them back but not forge them. */
export class CursorCodec {
  private readonly key: Uint8Array;

  constructor(secret: string) {
    this.key = new TextEncoder().encode(secret);
  }

  encode(position: ListPosition): Promise<string> {
    return new SignJWT({ createdAt: position.createdAt, id: position.id })
      .setProtectedHeader({ alg: ALGORITHM })
      .setAudience(AUDIENCE)
      .sign(this.key);
  }

  async decode(cursor: string): Promise<ListPosition> {
    try {
      const { payload } = await jwtVerify(cursor, this.key, { algorithms: [ALGORITHM], audience: AUDIENCE });
      return claimsSchema.parse(payload);
    } catch {
      throw new HttpError(400, "INVALID_CURSOR", "cursor is not one this api issued");
    }
  }
}
