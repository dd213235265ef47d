/**
 * What a tenant's JSON Schema may contain, so that validating one event against it costs work in
 * proportion to the event and never stalls other tenants:
 *
 * - at most `maxBytes` serialised and `maxDepth` levels of nesting;
 * - `$ref` only as a JSON pointer into the same schema (`#`, `#/$defs/…`), never recursive, and the
 *   schema with every `$ref` expanded at most `maxExpandedNodes` nodes (no exponential fan-out);
 * - no `$id`/`$anchor` (refs stay local; one tenant's schema can never name another's);
 * - `uniqueItems` only on arrays of scalars or with `maxItems` ≤ 1,000 (its comparison is quadratic);
 * - regular expressions run on RE2 (linear time, see `re2RegExp`): a pattern RE2 cannot run
 *   (backreferences, lookaround) is rejected when the schema is compiled.
 *
 * Every walk here is iterative, so no schema can overflow the stack.
 */
import { RE2JS } from 're2js';
import { AppError } from '../../platform/errors.js';

export interface SchemaLimits {
  maxBytes: number;
  maxDepth: number;
  maxExpandedNodes: number;
}

// Compiling costs about a millisecond per node on a busy core: 2,000 nodes is room for ~1,500 fields.
export const DEFAULT_SCHEMA_LIMITS: SchemaLimits = { maxBytes: 64 * 1024, maxDepth: 32, maxExpandedNodes: 2_000 };

const UNIQUE_ITEMS_MAX = 1_000;
const SCALAR_TYPES = new Set(['string', 'number', 'integer', 'boolean', 'null']);
const FORBIDDEN_KEYWORDS = ['$id', '$anchor', '$dynamicAnchor', '$dynamicRef', '$recursiveRef', '$recursiveAnchor'];

type Node = Record<string, unknown> | unknown[];

export function unsafe(detail: string, pointer = '/schema'): AppError {
  return new AppError('CATALOG_SCHEMA_UNSAFE', { detail, errors: [{ pointer, detail }] });
}

const isNode = (value: unknown): value is Node => value !== null && typeof value === 'object';
const escapeToken = (token: string) => token.replace(/~/g, '~0').replace(/\//g, '~1');

/** Resolves a local `$ref` (`#` or `#/a/b`, RFC 6901 with percent-encoding) inside `root`. */
function resolveLocal(root: unknown, ref: string): unknown {
  if (ref === '#') return root;
  if (!ref.startsWith('#/')) return undefined;
  let current: unknown = root;
  for (const raw of ref.slice(2).split('/')) {
    let token: string;
    try { token = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~'); } catch { return undefined; }
    if (!isNode(current) || !Object.prototype.hasOwnProperty.call(current, token)) return undefined;
    current = (current as Record<string, unknown>)[token];
  }
  return current;
}

/** Checks each object of the schema on its own (keywords, `uniqueItems`) and the nesting depth. */
function checkNodes(schema: Node, limits: SchemaLimits): void {
  const stack: Array<[node: Node, depth: number, pointer: string]> = [[schema, 1, '/schema']];
  while (stack.length > 0) {
    const [node, depth, pointer] = stack.pop()!;
    if (depth > limits.maxDepth) throw unsafe(`the schema nests deeper than ${limits.maxDepth} levels`, pointer);
    if (!Array.isArray(node)) checkKeywords(node, pointer);
    for (const [key, value] of Object.entries(node)) {
      if (isNode(value)) stack.push([value, depth + 1, `${pointer}/${escapeToken(key)}`]);
    }
  }
}

function checkKeywords(node: Record<string, unknown>, pointer: string): void {
  for (const keyword of FORBIDDEN_KEYWORDS) {
    if (typeof node[keyword] === 'string') throw unsafe(`${keyword} is not accepted: a schema's references stay inside it`, `${pointer}/${keyword}`);
  }
  const ref = node.$ref;
  if (typeof ref === 'string' && ref !== '#' && !ref.startsWith('#/')) {
    throw unsafe('$ref must be a JSON pointer into the same schema ("#/$defs/name")', `${pointer}/$ref`);
  }
  // Every pattern must compile on RE2, also where Ajv would skip it (an always-valid subschema).
  if (typeof node.pattern === 'string') checkPattern(node.pattern, `${pointer}/pattern`);
  if (isNode(node.patternProperties) && !Array.isArray(node.patternProperties)) {
    for (const key of Object.keys(node.patternProperties)) checkPattern(key, `${pointer}/patternProperties/${escapeToken(key)}`);
  }
  if (node.uniqueItems === true) {
    const items = node.items as { type?: unknown } | undefined;
    const types = items && (Array.isArray(items.type) ? items.type : [items.type]);
    const scalar = Array.isArray(types) && types.length > 0 && types.every((t) => typeof t === 'string' && SCALAR_TYPES.has(t));
    const maxItems = node.maxItems;
    if (!scalar && !(typeof maxItems === 'number' && maxItems <= UNIQUE_ITEMS_MAX)) {
      throw unsafe(`uniqueItems needs items of a scalar type or maxItems of at most ${UNIQUE_ITEMS_MAX}`, `${pointer}/uniqueItems`);
    }
  }
}

function checkPattern(pattern: string, pointer: string): void {
  try {
    re2RegExp(pattern);
  } catch (error) {
    throw unsafe((error as Error).message, pointer);
  }
}

/**
 * Counts the nodes of the schema with every `$ref` replaced by its target (memoised per target),
 * in one iterative depth-first pass; a `$ref` that leads back into itself is a cycle.
 */
function expandedSize(root: Node, limits: SchemaLimits): number {
  const size = new Map<Node, number>();
  const visiting = new Set<Node>();
  const children = (node: Node): Node[] => {
    const out = Object.values(node).filter(isNode);
    const ref = Array.isArray(node) ? undefined : node.$ref;
    if (typeof ref === 'string') {
      const target = resolveLocal(root, ref);
      if (!isNode(target)) throw unsafe(`$ref ${ref} does not point to a schema inside this one`);
      out.push(target);
    }
    return out;
  };
  const stack: Array<{ node: Node; kids: Node[] | null }> = [{ node: root, kids: null }];
  while (stack.length > 0) {
    const frame = stack[stack.length - 1]!;
    if (frame.kids === null) {
      if (size.has(frame.node)) { stack.pop(); continue; }
      if (visiting.has(frame.node)) throw unsafe('recursive $ref is not accepted');
      visiting.add(frame.node);
      frame.kids = children(frame.node);
      for (const kid of frame.kids) if (!size.has(kid)) stack.push({ node: kid, kids: null });
      continue;
    }
    stack.pop();
    visiting.delete(frame.node);
    const total = frame.kids.reduce((sum, kid) => sum + (size.get(kid) ?? 0), 1);
    if (total > limits.maxExpandedNodes) throw unsafe(`the schema, with its $refs expanded, has more than ${limits.maxExpandedNodes} parts`);
    size.set(frame.node, total);
  }
  return size.get(root) ?? 1;
}

/** Throws CATALOG_SCHEMA_UNSAFE (422) unless the schema is within the limits above. */
export function checkSchemaSafety(schema: Record<string, unknown>, limits: SchemaLimits): void {
  checkNodes(schema, limits);
  const bytes = Buffer.byteLength(JSON.stringify(schema));
  if (bytes > limits.maxBytes) throw unsafe(`the schema is ${bytes} bytes; at most ${limits.maxBytes} are accepted`);
  expandedSize(schema, limits);
}

/** Thrown while compiling a pattern RE2 cannot run. */
export class UnsafePatternError extends Error {
  constructor(readonly pattern: string, reason: string) {
    super(`pattern ${JSON.stringify(pattern)} cannot run in linear time: ${reason}`);
    this.name = 'UnsafePatternError';
  }
}

/**
 * Ajv's `code.regExp`: compiles JSON Schema patterns (ECMA-262 syntax) on RE2, which matches in
 * time linear in the input. Backreferences and lookaround are not RE2 and throw UnsafePatternError.
 */
export function re2RegExp(pattern: string): { test: (input: string) => boolean; toString: () => string } {
  let compiled: RE2JS;
  try {
    compiled = RE2JS.compile(RE2JS.translateRegExp(pattern));
  } catch (error) {
    throw new UnsafePatternError(pattern, (error as Error).message);
  }
  return { test: (input) => compiled.test(input), toString: () => `re2:${pattern}` };
}
