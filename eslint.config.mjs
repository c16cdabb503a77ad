import nx from '@nx/eslint-plugin';

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  ...nx.configs['flat/javascript'],
  {
    ignores: ['**/dist', '**/out-tsc', '**/tmp'],
  },
  {
    files: ['**/*.ts', '**/*.tsx', '**/*.js', '**/*.jsx'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: true,
          allow: ['^.*/eslint(\\.base)?\\.config\\.[cm]?[jt]s$'],
          depConstraints: [
            // The published package stands alone: never sample libs or apps.
            { sourceTag: 'type:package', onlyDependOnLibsWithTags: ['type:package'] },
            // Private sample code may use the package, never an app.
            { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:package', 'type:lib'] },
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:package', 'type:lib'] },
            { sourceTag: 'type:e2e', onlyDependOnLibsWithTags: ['type:package', 'type:lib'] },
          ],
        },
      ],
    },
  },
];
