import { DEMO_BASE_PORT, demoPorts } from './sso-system';

describe('demoPorts', () => {
  it('lays four fixed ports out from the base (4000 by default)', () => {
    expect(DEMO_BASE_PORT).toBe(4000);
    expect(demoPorts()).toEqual({ identity: 4000, orders: 4001, inventory: 4002, inventoryTcp: 4003 });
    expect(demoPorts(5100)).toEqual({ identity: 5100, orders: 5101, inventory: 5102, inventoryTcp: 5103 });
  });

  it('refuses a base whose four ports do not fit', () => {
    for (const base of [0, 65533, 1.5, Number.NaN]) expect(() => demoPorts(base)).toThrow(RangeError);
  });
});
