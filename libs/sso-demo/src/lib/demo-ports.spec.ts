import { DEMO_BASE_PORT, demoPorts } from './sso-system';

describe('demoPorts', () => {
  it('lays six fixed ports out from the base (4000 by default)', () => {
    expect(DEMO_BASE_PORT).toBe(4000);
    expect(demoPorts()).toEqual({
      identity: 4000,
      orders: 4001,
      inventory: 4002,
      inventoryTcp: 4003,
      webPortal: 4004,
      adminConsole: 4005,
    });
    expect(demoPorts(5100)).toMatchObject({ identity: 5100, adminConsole: 5105 });
  });

  it('refuses a base whose six ports do not fit', () => {
    for (const base of [0, 65531, 1.5, Number.NaN]) expect(() => demoPorts(base)).toThrow(RangeError);
  });
});
