// Starts the built apps (dist/apps/*) as child processes on 127.0.0.1; `nx test sso-e2e` builds them first.
module.exports = {
  displayName: 'sso-e2e',
  preset: '../../jest.preset.js',
  testEnvironment: 'node',
  transform: {
    '^.+\\.[tj]s$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.spec.json' }],
  },
  moduleFileExtensions: ['ts', 'js', 'html'],
  testMatch: ['<rootDir>/src/**/*.e2e-spec.ts'],
  // Each suite runs its own system (three Node processes, and a browser for one); one suite at a time on 2 cores.
  maxWorkers: 1,
  testTimeout: 30000,
  coverageDirectory: '../../coverage/apps/sso-e2e',
};
