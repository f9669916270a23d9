import { inspect } from 'node:util';

const redacted = '[redacted]';

/**
 * A secret value (password, key, connection string with a password) that never prints: `String()`,
 * JSON, `util.inspect` and template literals all show `[redacted]`. Call `reveal()` only where the
 * value leaves the process for its intended recipient.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return redacted;
  }

  toJSON(): string {
    return redacted;
  }

  [inspect.custom](): string {
    return redacted;
  }
}
