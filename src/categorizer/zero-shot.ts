/**
 * Zero-shot classification by embeddings: an event's vector against each label's lines (cosine:
 * the embedder's vectors are unit length), a label scoring its best line. The confidence is the
 * softmax of the scores at a fixed temperature, so it is the share of the probability mass the
 * best label gets; below the threshold the answer is `unknown`.
 */
import { UNKNOWN } from './settings.js';

/**
 * Softmax temperature over cosine similarities. Fixed before measuring (bench/categorizer):
 * 0.05 makes a label 0.1 more similar than the next about e² ≈ 7 times as likely.
 */
export const TEMPERATURE = 0.05;

/**
 * A tenant's labels as vectors: every description line of every label, one row each of one
 * matrix (rows × dimension), and the label each row belongs to.
 */
export interface LabelVectors {
  names: readonly string[];
  /** Row r's label index. */
  rowLabel: Int32Array;
  /** Rows of `dimension` values each. */
  matrix: Float32Array;
  dimension: number;
}

/** Lays out each label's line vectors as rows of one matrix. */
export function labelVectors(names: readonly string[], lines: readonly (readonly Float32Array[])[], dimension: number): LabelVectors {
  const rows = lines.reduce((n, l) => n + l.length, 0);
  const matrix = new Float32Array(rows * dimension);
  const rowLabel = new Int32Array(rows);
  let r = 0;
  lines.forEach((vectors, label) => {
    for (const v of vectors) {
      matrix.set(v.subarray(0, dimension), r * dimension);
      rowLabel[r] = label;
      r += 1;
    }
  });
  return { names, rowLabel, matrix, dimension };
}

export function dot(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i += 1) sum += a[i]! * b[i]!;
  return sum;
}

/** The event's vector: the unit-length sum of its type text's and its data text's vectors (or the type's alone). */
export function combine(typeVector: Float32Array, dataVector: Float32Array | null): Float32Array {
  if (!dataVector) return typeVector;
  const n = typeVector.length;
  const sum = new Float32Array(n);
  let norm = 0;
  for (let i = 0; i < n; i += 1) {
    const x = typeVector[i]! + (dataVector[i] ?? 0);
    sum[i] = x;
    norm += x * x;
  }
  if (norm === 0) return sum;
  const scale = 1 / Math.sqrt(norm);
  for (let i = 0; i < n; i += 1) sum[i] = sum[i]! * scale;
  return sum;
}

/** Each label's similarity to the vector: that of its most similar line. */
export function labelScores(vector: Float32Array, labels: LabelVectors): number[] {
  const scores = new Array<number>(labels.names.length).fill(-1);
  const { matrix, rowLabel, dimension } = labels;
  const n = Math.min(dimension, vector.length);
  for (let r = 0; r < rowLabel.length; r += 1) {
    const offset = r * dimension;
    let sum = 0;
    for (let i = 0; i < n; i += 1) sum += vector[i]! * matrix[offset + i]!;
    const label = rowLabel[r]!;
    if (sum > scores[label]!) scores[label] = sum;
  }
  return scores;
}

/** Softmax of `scores / temperature` (stable: shifted by the maximum). */
export function softmax(scores: readonly number[], temperature = TEMPERATURE): number[] {
  if (scores.length === 0) return [];
  const max = Math.max(...scores);
  const exps = scores.map((s) => Math.exp((s - max) / temperature));
  const total = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / total);
}

export interface ZeroShotResult {
  /** The best label's name, or `unknown` below the threshold (and without labels). */
  intent: string;
  /** The best label's index (-1 without labels), whether or not it passed the threshold. */
  best: number;
  /** The best label's probability, rounded to 4 decimals (0 without labels). */
  confidence: number;
}

/** Rounds a confidence to 4 decimals (what is stored and shown). */
export const round4 = (x: number) => Math.round(x * 10_000) / 10_000;

export function zeroShot(vector: Float32Array, labels: LabelVectors, threshold: number): ZeroShotResult {
  if (labels.names.length === 0) return { intent: UNKNOWN, best: -1, confidence: 0 };
  const probabilities = softmax(labelScores(vector, labels));
  let best = 0;
  for (let i = 1; i < probabilities.length; i += 1) if (probabilities[i]! > probabilities[best]!) best = i;
  const confidence = round4(probabilities[best]!);
  return { intent: confidence >= threshold ? labels.names[best]! : UNKNOWN, best, confidence };
}
