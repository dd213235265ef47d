/**
 * The persisted form of a next-action model (plain JSON, versioned) and its validation, so a
 * projection can store a tenant's model and load it back without trusting what it reads.
 */
export interface SerializedNextActionModel {
  format: 'eventrag.next-action-model';
  version: 1;
  options: { maxOrder: number; maxContexts: number; maxTypesPerContext: number; maxTypes: number };
  /** Parents before children; the first is the empty context (the overall distribution). */
  contexts: Array<{ context: string[]; next: Array<[string, number]> }>;
}

function fail(detail: string): never {
  throw new TypeError(`not a next-action model (version 1): ${detail}`);
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Checks the shape, the counts (positive, finite) and that every type counted after a context
 * is a type of the overall distribution, which the model's probabilities rely on.
 * Option ranges are checked by the model's constructor.
 */
export function parseSerializedModel(json: unknown): SerializedNextActionModel {
  if (!isRecord(json)) fail('expected an object');
  if (json.format !== 'eventrag.next-action-model') fail(`format is ${JSON.stringify(json.format)}`);
  if (json.version !== 1) fail(`version is ${JSON.stringify(json.version)}`);
  const options = json.options;
  if (!isRecord(options)) fail('options missing');
  for (const key of ['maxOrder', 'maxContexts', 'maxTypesPerContext', 'maxTypes'] as const) {
    if (typeof options[key] !== 'number') fail(`options.${key} is not a number`);
  }
  const { maxOrder, maxContexts, maxTypesPerContext, maxTypes } = options as SerializedNextActionModel['options'];
  if (!Array.isArray(json.contexts) || json.contexts.length === 0) fail('contexts missing');
  const contexts: SerializedNextActionModel['contexts'] = [];
  let known: Set<string> | undefined;
  const seenContexts = new Set<string>();
  for (const [index, entry] of json.contexts.entries()) {
    if (!isRecord(entry) || !Array.isArray(entry.context) || !Array.isArray(entry.next)) fail(`contexts[${index}] is not { context, next }`);
    if (!entry.context.every((symbol) => typeof symbol === 'string')) fail(`contexts[${index}].context holds a non-string`);
    if (entry.context.length > maxOrder) fail(`contexts[${index}] is longer than maxOrder`);
    if (index === 0 && entry.context.length !== 0) fail('contexts[0] is not the empty context');
    const contextKey = JSON.stringify(entry.context);
    if (seenContexts.has(contextKey)) fail(`contexts[${index}] repeats a context`);
    seenContexts.add(contextKey);
    const next: Array<[string, number]> = [];
    for (const pair of entry.next) {
      if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'string' || pair[0] === '') fail(`contexts[${index}].next holds a bad pair`);
      const count = pair[1];
      if (typeof count !== 'number' || !Number.isFinite(count) || count <= 0) fail(`contexts[${index}].next has a bad count`);
      if (known && !known.has(pair[0])) fail(`contexts[${index}] counts ${JSON.stringify(pair[0])}, unknown to the overall distribution`);
      next.push([pair[0], count]);
    }
    if (new Set(next.map(([type]) => type)).size !== next.length) fail(`contexts[${index}].next repeats a type`);
    if (index === 0) {
      if (next.length > maxTypes) fail('more types than maxTypes');
      known = new Set(next.map(([type]) => type));
    } else if (next.length > maxTypesPerContext) fail(`contexts[${index}] has more types than maxTypesPerContext`);
    contexts.push({ context: entry.context as string[], next });
  }
  return { format: 'eventrag.next-action-model', version: 1, options: { maxOrder, maxContexts, maxTypesPerContext, maxTypes }, contexts };
}
