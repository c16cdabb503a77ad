import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AsnConvert } from '@peculiar/asn1-schema';
import { CRLNumber, id_ce_cRLNumber } from '@peculiar/asn1-x509';
import * as x509 from '@peculiar/x509';
import { startIdentity, type TestIdentity } from '../../testing/identity.harness';
import { PKI_FILES, PrivateCa } from './private-ca';

const DAY_SECONDS = 86_400;

interface CrlView {
  readonly number: number;
  readonly nextUpdate: number;
  readonly serials: string[];
  readonly der: Buffer;
}

function view(crl: x509.X509Crl): CrlView {
  const extension = crl.extensions.find((e) => e.type === id_ce_cRLNumber);
  if (!extension) throw new Error('CRL without a CRL number');
  return {
    number: Number(AsnConvert.parse(extension.value, CRLNumber).value),
    nextUpdate: crl.nextUpdate?.getTime() ?? 0,
    serials: crl.entries.map((entry) => entry.serialNumber),
    der: Buffer.from(crl.rawData),
  };
}

describe('private CA: CRLs are re-issued before they expire', () => {
  let identity: TestIdentity;
  const adminToken = 'admin-token-for-crl-tests';
  const file = (name: keyof typeof PKI_FILES) => join(identity.dataDir, 'pki', PKI_FILES[name]);
  const fromFile = (name: 'rootCrl' | 'intermediateCrl') => view(new x509.X509Crl(readFileSync(file(name), 'utf8')));
  const fromUrl = async (path: string) => {
    const response = await fetch(`${identity.app.url}/pki/${path}`);
    expect(response.status).toBe(200);
    return view(new x509.X509Crl(Buffer.from(await response.arrayBuffer())));
  };
  const ca = () => identity.app.nest.get(PrivateCa);

  beforeAll(async () => {
    identity = await startIdentity({ adminToken, x509Clients: ['billing-worker'], crlCheckSeconds: 60 });
  });
  afterAll(() => identity.close());

  it('re-issues both CRLs (file and URL) past half their validity, with a higher number, still listing revocations', async () => {
    const revoke = await fetch(`${identity.app.url}/admin/revoke-signing-cert`, {
      method: 'POST',
      headers: { 'x-admin-token': adminToken },
    });
    const { revoked } = (await revoke.json()) as { revoked: string };
    const rootBefore = fromFile('rootCrl');
    const interBefore = fromFile('intermediateCrl');
    expect(interBefore.serials).toContain(revoked);

    // Three days in: not due yet, nothing changes.
    identity.clock.advanceSeconds(3 * DAY_SECONDS);
    await expect(ca().refreshCrlsIfDue()).resolves.toBe(false);
    expect(fromFile('intermediateCrl').der).toEqual(interBefore.der);

    // Four days in (past 3.5 of 7), still before nextUpdate: re-issued.
    identity.clock.advanceSeconds(DAY_SECONDS);
    expect(identity.clock.now()).toBeLessThan(interBefore.nextUpdate);
    await expect(ca().refreshCrlsIfDue()).resolves.toBe(true);
    for (const [name, path, before] of [
      ['rootCrl', 'root-ca.crl', rootBefore],
      ['intermediateCrl', 'intermediate-ca.crl', interBefore],
    ] as const) {
      const onDisk = fromFile(name);
      expect(onDisk.number).toBeGreaterThan(before.number);
      expect(onDisk.nextUpdate).toBeGreaterThan(before.nextUpdate);
      expect(onDisk.nextUpdate).toBeGreaterThan(identity.clock.now() + 6 * DAY_SECONDS * 1000);
      expect((await fromUrl(path)).der).toEqual(onDisk.der);
    }
    expect(fromFile('intermediateCrl').serials).toContain(revoked);
    // Just re-issued: not due again.
    await expect(ca().refreshCrlsIfDue()).resolves.toBe(false);
  });

  it('re-issues at start when the CRL on disk is past half its validity', async () => {
    const before = fromFile('intermediateCrl');
    await identity.close({ keepData: true });
    identity.clock.advanceSeconds(4 * DAY_SECONDS);
    identity = await startIdentity(
      { adminToken, dataDir: identity.dataDir, x509Clients: ['billing-worker'] },
      identity.clock,
    );
    const after = fromFile('intermediateCrl');
    expect(after.number).toBeGreaterThan(before.number);
    expect(after.nextUpdate).toBeGreaterThan(identity.clock.now());
    expect(after.serials).toEqual(before.serials);
  });
});
