import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

const tfjs = ['@tensorflow/*', '@tensorflow/tfjs*'];

export default [
  { ignores: ['**/dist/**', '**/node_modules/**', 'runs/**', '.nx/**', '**/test-output/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.mjs'],
    plugins: { '@nx': nx },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: [
            { sourceTag: 'scope:data', onlyDependOnLibsWithTags: ['scope:data'], bannedExternalImports: tfjs },
            { sourceTag: 'scope:models', onlyDependOnLibsWithTags: ['scope:data', 'scope:models'] },
            { sourceTag: 'scope:store', onlyDependOnLibsWithTags: ['scope:store'], bannedExternalImports: tfjs },
            {
              sourceTag: 'scope:search',
              onlyDependOnLibsWithTags: ['scope:data', 'scope:models', 'scope:store', 'scope:search'],
            },
            { sourceTag: 'scope:reporting', onlyDependOnLibsWithTags: ['scope:store', 'scope:reporting'], bannedExternalImports: tfjs },
            {
              sourceTag: 'scope:cli',
              onlyDependOnLibsWithTags: ['scope:data', 'scope:models', 'scope:store', 'scope:search', 'scope:reporting', 'scope:cli'],
            },
          ],
        },
      ],
    },
  },
];
