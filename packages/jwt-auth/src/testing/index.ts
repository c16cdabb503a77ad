export {
  TestIssuer,
  signJwsInput,
  type TestIssuerOptions,
  type TestKeyMode,
  type TestSignOptions,
} from './test-issuer';
export {
  createContextOfType,
  createHttpContext,
  createHttpRequest,
  createHttpResponse,
  createRpcContext,
  type TestContextTarget,
  type TestHttpRequest,
  type TestHttpResponse,
} from './execution-context';
