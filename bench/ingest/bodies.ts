/** The events the ingest bench sends (and the raw phase writes): `page.viewed`, a built-in type with a schema. */
export function sampleEvent(i: number) {
  return {
    type: 'page.viewed',
    userId: `user-${i % 500}`,
    sessionId: `session-${i % 2000}`,
    data: { url: `https://shop.example.com/articles/${i % 10_000}`, path: `/articles/${i % 10_000}`, title: 'Hex bolt M8 × 40, zinc plated', referrer: 'https://www.example.org/search?q=bolts' },
  };
}

export const singleBody = JSON.stringify(sampleEvent(1));
export const batchBody = JSON.stringify(Array.from({ length: 100 }, (_, i) => sampleEvent(i)));
