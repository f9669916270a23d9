import { hash, verify } from '@node-rs/argon2';

/**
 * argon2id at OWASP's recommended minimum (Password Storage Cheat Sheet): 19 MiB of memory, two
 * passes, one lane. Used for passwords and transaction PINs alike.
 */
const argon2idOptions = { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export function hashSecret(plain: string): Promise<string> {
  return hash(plain, argon2idOptions);
}

export async function verifySecret(hashed: string, plain: string): Promise<boolean> {
  try {
    return await verify(hashed, plain);
  } catch {
    return false;
  }
}

// Verifying against this when no user matches makes "no such user" take as long as "wrong password".
let decoy: Promise<string> | undefined;
export async function verifyDecoy(plain: string): Promise<false> {
  decoy ??= hashSecret('decoy password that matches nothing');
  await verifySecret(await decoy, plain);
  return false;
}
