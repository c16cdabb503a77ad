import baseConfig from '../../eslint.config.mjs';

export default [
  ...baseConfig,
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
          // JwksClient and passport-jwt extractors are accepted structurally.
          ignoredDependencies: ['reflect-metadata', 'jwks-rsa', 'passport-jwt'],
        },
      ],
    },
    languageOptions: {
      parser: await import('jsonc-eslint-parser'),
    },
  },
];
