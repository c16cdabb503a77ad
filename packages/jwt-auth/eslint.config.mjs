import baseConfig from '../../eslint.config.mjs';

// Layers inside the package point one way: nest -> verification -> keys, jwt -> jws -> json, errors. Each folder may
// import only the layers below it; the core entry and everything under it never imports @nestjs/*.
const LAYERS = {
  errors: [],
  json: ['errors'],
  jws: ['json', 'errors'],
  jwt: ['jws', 'json', 'errors'],
  keys: ['jws', 'json', 'errors'],
  bearer: ['errors'],
  verification: ['keys', 'jwt', 'jws', 'json', 'errors'],
  client: ['keys', 'json', 'errors'],
  // The OpenTelemetry instrumentation (the /otel entry) sits beside nest, above verification; the core never loads it.
  metrics: ['verification', 'keys', 'errors'],
};
const ALL = [...Object.keys(LAYERS), 'nest'];
const layerRules = Object.entries(LAYERS).map(([layer, allowed]) => {
  const forbidden = ALL.filter((other) => other !== layer && !allowed.includes(other));
  return {
    files: [`src/lib/${layer}/**/*.ts`],
    ignores: ['**/*.spec.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: `^\\.\\./(\\.\\./)*(lib/)?(${forbidden.join('|')})(/|$)`,
              message: `src/lib/${layer} may import only ${allowed.join(', ') || 'nothing else in the package'} (layers point one way)`,
            },
            { regex: '^@nestjs/', message: 'The core imports nothing from @nestjs/*' },
          ],
        },
      ],
    },
  };
});
const coreEntryRule = {
  files: ['src/core/**/*.ts'],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          { regex: '/nest(/|$)', message: 'The core entry exports nothing from the Nest layer' },
          { regex: '^@nestjs/', message: 'The core imports nothing from @nestjs/*' },
        ],
      },
    ],
  },
};
export default [
  ...baseConfig,
  ...layerRules,
  coreEntryRule,
  {
    files: ['**/*.json'],
    rules: {
      '@nx/dependency-checks': [
        'error',
        {
          // Tests, benchmarks and the fuzz runner use dev tooling that is not part of the published package.
          ignoredFiles: [
            '{projectRoot}/eslint.config.{js,cjs,mjs,ts,cts,mts}',
            '{projectRoot}/jest.config.{js,cjs,mjs,ts,cts,mts}',
            '{projectRoot}/src/**/*.spec.ts',
            '{projectRoot}/src/lib/__fixtures__/**',
            '{projectRoot}/test/**',
            '{projectRoot}/bench/**',
            '{projectRoot}/fuzz/**',
          ],
          // Peers the package works with but does not import: Nest apps load reflect-metadata themselves, a jwks-rsa
          // JwksClient and passport-jwt extractors are accepted structurally, GraphQL contexts are read by their type.
          ignoredDependencies: ['reflect-metadata', 'jwks-rsa', 'passport-jwt', '@nestjs/graphql'],
        },
      ],
    },
    languageOptions: {
      parser: await import('jsonc-eslint-parser'),
    },
  },
];
