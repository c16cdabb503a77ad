const nxPreset = require('@nx/jest/preset').default;

module.exports = {
  ...nxPreset,
  // jose 6 and openid-client 6 (with its oauth4webapi) ship ESM only; let ts-jest transform them (needs allowJs in the
  // spec tsconfig).
  transformIgnorePatterns: ['/node_modules/(?!(jose|openid-client|oauth4webapi)/)'],
};
