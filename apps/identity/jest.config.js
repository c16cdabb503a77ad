module.exports = {
  displayName: 'identity',
  preset: '../../jest.preset.js',
  testEnvironment: 'node',
  transform: {
    '^.+\\.[tj]s$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.spec.json' }],
  },
  moduleFileExtensions: ['ts', 'js', 'html'],
  coverageDirectory: '../../coverage/apps/identity',
  // Specs start the real server and generate RSA keys; scrypt checks are deliberately slow.
  testTimeout: 30000,
};
