// Tests the built package (dist/packages/jwt-auth) as a consumer gets it; `nx test jwt-auth-consumer` builds it first.
module.exports = {
  displayName: 'jwt-auth-consumer',
  preset: '../../jest.preset.js',
  testEnvironment: 'node',
  transform: {
    '^.+\\.[tj]s$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.spec.json' }],
  },
  moduleFileExtensions: ['ts', 'js', 'html'],
  testMatch: ['<rootDir>/src/**/*.e2e-spec.ts'],
  // npm install, tsc and child processes: one suite at a time on a small machine.
  maxWorkers: 1,
  testTimeout: 120000,
  coverageDirectory: '../../coverage/packages/jwt-auth-consumer',
};
