/**
 * Stripe's request encoding: `application/x-www-form-urlencoded` with nested keys in brackets
 * (`metadata[reference]=dep_1`, `line_items[0][price_data][currency]=usd`, `expand[]=payment_intent`).
 * The adapter encodes with it; the sandbox decodes what any client (ours, stripe-node, curl) sends.
 */

export type FormInput =
  | string
  | number
  | boolean
  | undefined
  | readonly FormInput[]
  | { readonly [key: string]: FormInput };

/** A decoded form: strings at the leaves, arrays where every key was an index. */
export type FormValue = string | FormValue[] | FormObject;
export interface FormObject {
  [key: string]: FormValue;
}

/** Bounds on what the sandbox accepts: a real API refuses absurd requests too. */
const pairsMax = 1_000;
const depthMax = 6;

export function encodeForm(params: Readonly<Record<string, FormInput>>): string {
  const pairs: string[] = [];
  const walk = (prefix: string, value: FormInput): void => {
    if (value === undefined) return;
    if (Array.isArray(value)) {
      value.forEach((item, index) => {
        walk(`${prefix}[${index}]`, item);
      });
      return;
    }
    if (typeof value === 'object') {
      for (const [key, item] of Object.entries(value as Readonly<Record<string, FormInput>>))
        walk(`${prefix}[${key}]`, item);
      return;
    }
    pairs.push(`${encodeURIComponent(prefix)}=${encodeURIComponent(String(value))}`);
  };
  for (const [key, value] of Object.entries(params)) walk(key, value);
  return pairs.join('&');
}

/** Thrown for a form the sandbox refuses (too many pairs, too deep, a key both leaf and branch). */
export class FormError extends Error {
  override readonly name = 'FormError';
}

export function decodeForm(text: string): FormObject {
  const root: FormObject = Object.create(null) as FormObject;
  if (text.length === 0) return root;
  const pairs = text.split('&');
  if (pairs.length > pairsMax) throw new FormError(`more than ${pairsMax} parameters`);
  for (const pair of pairs) {
    if (pair.length === 0) continue;
    const equals = pair.indexOf('=');
    const rawKey = equals < 0 ? pair : pair.slice(0, equals);
    const rawValue = equals < 0 ? '' : pair.slice(equals + 1);
    assign(root, parseKey(decodeComponent(rawKey)), decodeComponent(rawValue));
  }
  return arraysFromIndexes(root) as FormObject;
}

function decodeComponent(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    throw new FormError('malformed percent-encoding');
  }
}

/** `a[b][0][]` → `['a', 'b', '0', '']` (an empty segment appends). */
function parseKey(key: string): string[] {
  const open = key.indexOf('[');
  if (open <= 0) return [key];
  const path = [key.slice(0, open)];
  const rest = key.slice(open);
  const segment = /\[([^\]]*)\]/g;
  let consumed = 0;
  for (let match = segment.exec(rest); match; match = segment.exec(rest)) {
    if (match.index !== consumed) throw new FormError(`malformed key ${key.slice(0, 64)}`);
    path.push(match[1] ?? '');
    consumed = match.index + match[0].length;
  }
  if (consumed !== rest.length) throw new FormError(`malformed key ${key.slice(0, 64)}`);
  if (path.length > depthMax) throw new FormError('parameters nested too deeply');
  return path;
}

function assign(target: FormObject, path: readonly string[], value: string): void {
  let node = target;
  for (let i = 0; i < path.length; i++) {
    let segment = path[i] ?? '';
    // `x[]=a&x[]=b`: each empty index is the next free one.
    if (segment === '' && i > 0) segment = String(Object.keys(node).length);
    const last = i === path.length - 1;
    const existing = node[segment];
    if (last) {
      if (existing !== undefined && typeof existing !== 'string')
        throw new FormError(`${path[0]} given twice`);
      node[segment] = value;
      return;
    }
    if (existing === undefined) {
      const child: FormObject = Object.create(null) as FormObject;
      node[segment] = child;
      node = child;
    } else if (typeof existing === 'string' || Array.isArray(existing)) {
      throw new FormError(`${path[0]} is both a value and an object`);
    } else {
      node = existing;
    }
  }
}

function arraysFromIndexes(value: FormValue): FormValue {
  if (typeof value === 'string' || Array.isArray(value)) return value;
  const keys = Object.keys(value);
  for (const key of keys) value[key] = arraysFromIndexes(value[key] as FormValue);
  if (keys.length > 0 && keys.every((key) => /^(0|[1-9][0-9]{0,3})$/.test(key))) {
    return keys
      .map(Number)
      .sort((a, b) => a - b)
      .map((index) => value[String(index)] as FormValue);
  }
  return value;
}
