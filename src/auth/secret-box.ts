// TOTP secrets at rest: AES-256-GCM, bound to the user ID so a secret copied
// onto another user's row does not decrypt.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const VERSION = 1;

export function sealSecret(key: Buffer, userId: string, secret: string): Buffer {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(`astotp:${userId}`));
  const body = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
  return Buffer.concat([Buffer.from([VERSION]), iv, cipher.getAuthTag(), body]);
}

/** The secret, or null when the box was not made with this key for this user. */
export function openSecret(key: Buffer, userId: string, box: Buffer): string | null {
  if (box.length < 1 + 12 + 16 + 1 || box[0] !== VERSION) return null;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, box.subarray(1, 13));
    decipher.setAAD(Buffer.from(`astotp:${userId}`));
    decipher.setAuthTag(box.subarray(13, 29));
    return Buffer.concat([decipher.update(box.subarray(29)), decipher.final()]).toString('utf8');
  } catch {
    return null;
  }
}
