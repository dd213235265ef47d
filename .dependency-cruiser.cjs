/**
 * Layering of src/ (docs/architecture.md, "Layers"), checked by `npm test`:
 * ports ← text, platform ← adapters ← composition root (main.ts, backends.ts, cli/);
 * features use ports and never adapters.
 */
const FEATURES = '^src/(events|rag|identity|memory|analytics|categorizer|workflows|webhooks|stats)/';
const ROOT = '^src/(main|backends)[.]ts$|^src/cli/';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'ports-import-only-types',
      severity: 'error',
      comment: 'A port is an interface: at run time it imports nothing of ours outside src/ports.',
      from: { path: '^src/ports/' },
      to: { path: '^src/', pathNot: '^src/ports/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'ports-know-no-feature',
      severity: 'error',
      comment: 'Ports sit below features and adapters: not even their types come from there.',
      from: { path: '^src/ports/' },
      to: { path: [FEATURES, '^src/adapters/', '^src/http/', '^src/feature[.]ts$', ROOT] },
    },
    {
      name: 'adapters-import-ports-platform-text',
      severity: 'error',
      comment: 'An adapter implements a port with the help of platform and text; it knows no feature, no HTTP layer.',
      from: { path: '^src/adapters/' },
      to: { path: '^src/', pathNot: '^src/(adapters|ports|platform|text)/' },
    },
    {
      name: 'only-the-root-imports-adapters',
      severity: 'error',
      comment: 'Adapters are created in the composition root (main.ts, backends.ts, the CLI) and handed to features as ports.',
      from: { path: '^src/', pathNot: [ROOT, '^src/adapters/'] },
      to: { path: '^src/adapters/' },
    },
    {
      name: 'text-and-platform-below-features',
      severity: 'error',
      comment: 'Text analysis and platform helpers are used by features and adapters, never the other way round.',
      from: { path: '^src/(text|platform)/' },
      to: { path: '^src/', pathNot: '^src/(text|platform|ports)/' },
    },
    {
      name: 'no-cycles',
      severity: 'error',
      comment: 'No import cycles. Cycles made only of type-only imports vanish at run time and are allowed.',
      from: { path: '^src/' },
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
