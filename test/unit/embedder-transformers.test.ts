/**
 * The transformers embedder on a tiny model this test writes itself: a WordPiece tokenizer and
 * an ONNX graph `last_hidden_state = Gather(embeddings, input_ids)`, encoded as protobuf by hand
 * (ONNX field numbers from onnx.proto). No network, no weights downloaded.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTransformersEmbedder } from '../../src/adapters/embedder/transformers/transformers.embedder.js';

// --- minimal protobuf writer -------------------------------------------------------------
const varint = (value: number | bigint): number[] => {
  let v = BigInt(value);
  const out: number[] = [];
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) byte |= 0x80;
    out.push(byte);
  } while (v > 0n);
  return out;
};
const key = (field: number, wire: number) => varint((field << 3) | wire);
const int = (field: number, value: number) => [...key(field, 0), ...varint(value)];
const bytes = (field: number, data: Uint8Array | number[]) => [...key(field, 2), ...varint(data.length), ...data];
const str = (field: number, text: string) => bytes(field, new TextEncoder().encode(text));
const msg = (field: number, parts: number[][]) => bytes(field, parts.flat());

const FLOAT = 1;
const INT64 = 7;
const dim = (d: number | string) => msg(1, [typeof d === 'number' ? int(1, d) : str(2, d)]);
const valueInfo = (field: number, name: string, elemType: number, shape: (number | string)[]) =>
  msg(field, [str(1, name), msg(2, [msg(1, [int(1, elemType), msg(2, shape.map(dim))])])]);

function tinyOnnx(vocabSize: number, hidden: number, weights: Float32Array): Uint8Array {
  const tensor = msg(5, [int(1, vocabSize), int(1, hidden), int(2, FLOAT), str(8, 'embeddings'), bytes(9, new Uint8Array(weights.buffer))]);
  const node = msg(1, [str(1, 'embeddings'), str(1, 'input_ids'), str(2, 'last_hidden_state'), str(3, 'gather'), str(4, 'Gather')]);
  const graph = msg(7, [
    node,
    str(2, 'tiny'),
    tensor,
    valueInfo(11, 'input_ids', INT64, ['batch', 'sequence']),
    valueInfo(11, 'attention_mask', INT64, ['batch', 'sequence']),
    valueInfo(12, 'last_hidden_state', FLOAT, ['batch', 'sequence', hidden]),
  ]);
  return Uint8Array.from([...int(1, 8), ...str(2, 'eventrag-test'), ...graph, ...msg(8, [str(1, ''), int(2, 13)])]);
}

// --- model folder ---------------------------------------------------------------------------
const VOCAB = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'cat', 'cats', 'dog', 'kitten', 'car', 'engine', 'road', 'the', 'a', '##s'];
const HIDDEN = 8;
let dir: string;

function writeModel(root: string): void {
  // Animals share a direction (0), vehicles another (1), plus a small per-token signature.
  const weights = new Float32Array(VOCAB.length * HIDDEN);
  VOCAB.forEach((token, id) => {
    const animal = ['cat', 'cats', 'dog', 'kitten'].includes(token);
    const vehicle = ['car', 'engine', 'road'].includes(token);
    weights[id * HIDDEN + 0] = animal ? 1 : 0;
    weights[id * HIDDEN + 1] = vehicle ? 1 : 0;
    weights[id * HIDDEN + 2 + (id % 6)] = 0.3;
  });
  mkdirSync(join(root, 'onnx'), { recursive: true });
  writeFileSync(join(root, 'onnx', 'model.onnx'), tinyOnnx(VOCAB.length, HIDDEN, weights));
  writeFileSync(join(root, 'config.json'), JSON.stringify({ model_type: 'bert', architectures: ['BertModel'], hidden_size: HIDDEN, vocab_size: VOCAB.length }));
  writeFileSync(join(root, 'tokenizer_config.json'), JSON.stringify({ tokenizer_class: 'BertTokenizer', do_lower_case: true, model_max_length: 64, cls_token: '[CLS]', sep_token: '[SEP]', pad_token: '[PAD]', unk_token: '[UNK]', mask_token: '[MASK]' }));
  const special = (id: number) => ({ id, content: VOCAB[id], single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  writeFileSync(
    join(root, 'tokenizer.json'),
    JSON.stringify({
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: [0, 1, 2, 3, 4].map(special),
      normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
      pre_tokenizer: { type: 'BertPreTokenizer' },
      post_processor: {
        type: 'TemplateProcessing',
        single: [{ SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } }],
        pair: [],
        special_tokens: { '[CLS]': { id: '[CLS]', ids: [2], tokens: ['[CLS]'] }, '[SEP]': { id: '[SEP]', ids: [3], tokens: ['[SEP]'] } },
      },
      decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
      model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab: Object.fromEntries(VOCAB.map((token, id) => [token, id])) },
    }),
  );
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tiny-model-'));
  writeModel(dir);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('transformers embedder (tiny generated ONNX model)', () => {
  it('loads the local folder lazily, learns the dimension and embeds with mean pooling', async () => {
    const embedder = createTransformersEmbedder({ model: dir });
    expect(embedder.dimension).toBe(0);
    await embedder.init();
    expect(embedder.dimension).toBe(HIDDEN);
    const [cat, kitten, car, batchCat] = await embedder.embed({ texts: ['the cat', 'a kitten', 'the car engine', 'the cat'], purpose: 'document' });
    expect(Math.hypot(...cat!)).toBeCloseTo(1, 5);
    const dot = (x: Float32Array, y: Float32Array) => x.reduce((sum, v, i) => sum + v * y[i]!, 0);
    expect(dot(cat!, kitten!)).toBeGreaterThan(dot(cat!, car!));
    expect(Array.from(batchCat!)).toEqual(Array.from(cat!));
    // Mean over [CLS] the cat [SEP] of the rows written above, then L2: check one coordinate.
    expect(cat![0]! / cat![1]!).toBe(Infinity);
    await embedder.close();
  });

  it('fails with CONFIG_INVALID for a missing folder and never goes to the network', async () => {
    await expect(createTransformersEmbedder({ model: join(dir, 'missing') }).init()).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
  });
});
