const nxPreset = require('@nx/jest/preset').default;

module.exports = {
  ...nxPreset,
  // jose 6 ships ESM only; let ts-jest transform it (needs allowJs in the spec tsconfig).
  transformIgnorePatterns: ['/node_modules/(?!(jose)/)'],
};
