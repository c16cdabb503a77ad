import { InventoryContractError, parseReserveStockRequest, parseStockQuery } from './inventory.contracts';
import { InventoryCallError } from './inventory.client';

describe('inventory contracts', () => {
  it('accepts well-formed payloads and drops unknown members', () => {
    expect(parseStockQuery({ sku: 'SKU-1', extra: true })).toEqual({
      sku: 'SKU-1',
    });
    expect(
      parseReserveStockRequest({
        sku: 'SKU-2',
        quantity: 3,
        reference: 'order-1',
        __proto__: { admin: true },
      }),
    ).toEqual({
      sku: 'SKU-2',
      quantity: 3,
      reference: 'order-1',
    });
  });

  it.each([null, [], 'SKU-1', { sku: '' }, { sku: 'sku-1' }, { sku: 'A'.repeat(33) }, { sku: 1 }])(
    'refuses the stock query %j',
    (payload) => {
      expect(() => parseStockQuery(payload)).toThrow(InventoryContractError);
    },
  );

  it.each([
    { sku: 'SKU-1', quantity: 0, reference: 'r' },
    { sku: 'SKU-1', quantity: 1.5, reference: 'r' },
    { sku: 'SKU-1', quantity: '2', reference: 'r' },
    { sku: 'SKU-1', quantity: 1001, reference: 'r' },
    { sku: 'SKU-1', quantity: 1, reference: 'has space' },
    { sku: 'SKU-1', quantity: 1 },
  ])('refuses the reservation %j', (payload) => {
    expect(() => parseReserveStockRequest(payload)).toThrow(InventoryContractError);
  });
});

describe('InventoryCallError.from', () => {
  it('keeps the status and code of a 4xx answer from inventory-service', () => {
    expect(
      InventoryCallError.from({
        status: 403,
        code: 'insufficient_scope',
        message: 'no',
      }),
    ).toMatchObject({ status: 403, code: 'insufficient_scope', message: 'no' });
    expect(
      InventoryCallError.from({
        status: 409,
        code: 'insufficient_stock',
        message: 'x',
      }),
    ).toMatchObject({ status: 409, code: 'insufficient_stock' });
  });

  it('maps transport failures and unknown answers to 5xx', () => {
    expect(InventoryCallError.from(Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }))).toMatchObject({
      status: 503,
      code: 'inventory_unavailable',
    });
    expect(InventoryCallError.from(Object.assign(new Error('t'), { name: 'TimeoutError' }))).toMatchObject({
      status: 504,
    });
    expect(
      InventoryCallError.from({
        status: 'error',
        message: 'Internal server error',
      }),
    ).toMatchObject({ status: 502, code: 'inventory_error' });
    expect(InventoryCallError.from({ status: 500, code: 'x' })).toMatchObject({
      status: 502,
    });
  });
});
