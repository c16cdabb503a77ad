// The main entry must load in an app that has none of the optional transport peers installed.
const OPTIONAL_PEERS = ['@nestjs/websockets', '@nestjs/graphql', '@nestjs/apollo', 'graphql', '@nestjs/microservices'];

describe('optional peers', () => {
  it('loads the main entry, and builds the guard, without @nestjs/websockets, GraphQL or @nestjs/microservices', () => {
    jest.isolateModules(() => {
      for (const name of OPTIONAL_PEERS) {
        jest.doMock(name, () => {
          throw new Error(`Cannot find module '${name}'`);
        });
      }
      const entry = require('../src') as typeof import('../src');
      expect(typeof entry.JwtAuthGuard).toBe('function');
      expect(typeof entry.WsAuthenticator).toBe('function');
      expect(typeof entry.GraphqlAuth).toBe('function');
      expect(typeof entry.Roles).toBe('function');
      expect(() => require('@nestjs/websockets')).toThrow(/Cannot find module/);
    });
  });
});
